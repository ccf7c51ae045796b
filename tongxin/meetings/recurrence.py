"""The recurrence rule of a meeting series: a checked subset of RFC 5545 RRULE, expanded with
python-dateutil.

Allowed parts: FREQ (WEEKLY, MONTHLY, YEARLY), INTERVAL, BYDAY (e.g. TU, 1TU, -1FR), BYMONTHDAY,
BYMONTH, BYSETPOS, COUNT, UNTIL (a date, YYYYMMDD). Every other part, or a bad value, is refused
with a Chinese message. Expansion is capped (MAX_OCCURRENCES, HORIZON_DAYS) so a rule without an
end cannot create an unbounded number of meetings.
"""

from __future__ import annotations

import datetime as dt
import re

from dateutil.rrule import rrulestr

from tongxin.core.errors import DomainError

ALLOWED = {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS", "COUNT", "UNTIL"}
FREQS = {"WEEKLY", "MONTHLY", "YEARLY"}
MAX_OCCURRENCES = 60
HORIZON_DAYS = 400  # a rule without COUNT/UNTIL materialises about a year ahead
_DAY = re.compile(r"^([+-]?[1-5])?(MO|TU|WE|TH|FR|SA|SU)$")
_INT = re.compile(r"^[+-]?\d{1,3}$")

PRESETS = (
    ("FREQ=MONTHLY;BYDAY=1TU;COUNT=12", "每月第一个周二，共12次"),
    ("FREQ=MONTHLY;BYMONTHDAY=15;COUNT=12", "每月15日，共12次"),
    ("FREQ=MONTHLY;INTERVAL=3;BYDAY=-1FR;COUNT=4", "每季度（每3个月）最后一个周五，共4次"),
    ("FREQ=WEEKLY;BYDAY=MO;COUNT=8", "每周一，共8次"),
)


def normalise(rule: str) -> str:
    """Upper-case, without an "RRULE:" prefix and spaces; validated. Raises DomainError."""
    text = (rule or "").strip().upper().replace(" ", "")
    if text.startswith("RRULE:"):
        text = text[6:]
    if not text:
        raise DomainError("请填写重复规则（RRULE），例如 FREQ=MONTHLY;BYDAY=1TU;COUNT=12", field="rrule")
    parts: dict[str, str] = {}
    for chunk in text.strip(";").split(";"):
        if "=" not in chunk:
            raise DomainError(f"重复规则中的“{chunk}”格式不对，应为 名称=值", field="rrule")
        key, value = chunk.split("=", 1)
        if key not in ALLOWED:
            raise DomainError(f"重复规则不支持“{key}”，可用：{'、'.join(sorted(ALLOWED))}", field="rrule")
        if key in parts:
            raise DomainError(f"重复规则中“{key}”出现了两次", field="rrule")
        parts[key] = value
    if parts.get("FREQ") not in FREQS:
        raise DomainError("重复规则必须有 FREQ，取值 WEEKLY、MONTHLY 或 YEARLY", field="rrule")
    if "COUNT" in parts and "UNTIL" in parts:
        raise DomainError("COUNT 和 UNTIL 不能同时使用", field="rrule")
    for key in ("INTERVAL", "COUNT"):
        if key in parts and not (parts[key].isdigit() and 1 <= int(parts[key]) <= (12 if key == "INTERVAL" else MAX_OCCURRENCES)):
            limit = 12 if key == "INTERVAL" else MAX_OCCURRENCES
            raise DomainError(f"{key} 必须是 1 到 {limit} 之间的整数", field="rrule")
    for key in ("BYMONTHDAY", "BYMONTH", "BYSETPOS"):
        if key in parts and not all(_INT.match(v) for v in parts[key].split(",")):
            raise DomainError(f"{key} 必须是用逗号分隔的整数", field="rrule")
    if "BYDAY" in parts and not all(_DAY.match(v) for v in parts["BYDAY"].split(",")):
        raise DomainError("BYDAY 取值应为 MO、TU、WE、TH、FR、SA、SU，可带序号，如 1TU、-1FR", field="rrule")
    if "UNTIL" in parts:
        if not re.match(r"^\d{8}$", parts["UNTIL"]):
            raise DomainError("UNTIL 必须是日期，格式 YYYYMMDD", field="rrule")
        try:
            dt.datetime.strptime(parts["UNTIL"], "%Y%m%d")
        except ValueError:
            raise DomainError("UNTIL 不是有效日期", field="rrule") from None
    out = ";".join(f"{k}={v}" for k, v in parts.items())
    try:
        rrulestr(out, dtstart=dt.datetime(2026, 1, 1))
    except (ValueError, TypeError) as exc:
        raise DomainError(f"重复规则无法解析：{exc}", field="rrule") from None
    return out


def occurrences(rule: str, *, starts_on: dt.date, today: dt.date | None = None) -> list[dt.date]:
    """The dates of the series (at most MAX_OCCURRENCES, and not beyond HORIZON_DAYS from
    max(today, starts_on) when the rule has no end)."""
    rule = normalise(rule)
    r = rrulestr(rule, dtstart=dt.datetime.combine(starts_on, dt.time.min))
    horizon = max(today or starts_on, starts_on) + dt.timedelta(days=HORIZON_DAYS)
    out: list[dt.date] = []
    for value in r:
        day = value.date()
        if ("COUNT" not in rule and day > horizon) or len(out) >= MAX_OCCURRENCES:
            break
        out.append(day)
    if not out:
        raise DomainError("该重复规则在开始日期之后没有任何一次会议，请检查", field="rrule")
    return out
