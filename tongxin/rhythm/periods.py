"""Months ("2026-11") and quarters ("2026-Q4") on the local calendar (Asia/Shanghai)."""

from __future__ import annotations

import datetime as dt
import re

from tongxin.core.errors import DomainError
from tongxin.core.workcalendar import TZ

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


def today() -> dt.date:
    return dt.datetime.now(TZ).date()


def month_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_bounds(period: str) -> tuple[dt.date, dt.date]:
    """First and last day of the month "YYYY-MM"."""
    m = _MONTH.match((period or "").strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise DomainError(f"月份格式应为“年-月”，如 2026-05（收到“{(period or '')[:20]}”）", field="period")
    start = dt.date(int(m.group(1)), int(m.group(2)), 1)
    return start, next_month_start(start) - dt.timedelta(days=1)


def next_month_start(day: dt.date) -> dt.date:
    return dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def quarter_of(day: dt.date) -> str:
    return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"


def quarter_bounds(quarter: str) -> tuple[dt.date, dt.date]:
    """First and last day of the quarter "YYYY-Qn"."""
    m = _QUARTER.match((quarter or "").strip().upper())
    if not m:
        raise DomainError(f"季度格式应为“年-Q季”，如 2026-Q2（收到“{(quarter or '')[:20]}”）", field="quarter")
    year, q = int(m.group(1)), int(m.group(2))
    start = dt.date(year, 3 * q - 2, 1)
    end = dt.date(year + (q == 4), (3 * q) % 12 + 1, 1) - dt.timedelta(days=1)
    return start, end


def previous_quarter(day: dt.date) -> str:
    start, _ = quarter_bounds(quarter_of(day))
    return quarter_of(start - dt.timedelta(days=1))


def local_start(day: dt.date) -> dt.datetime:
    """Midnight at the start of `day`, aware, local time."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=TZ)


def local_end(day: dt.date) -> dt.datetime:
    """Midnight after `day` (exclusive end)."""
    return local_start(day + dt.timedelta(days=1))


def next_prompt_at(now: dt.datetime, day: int, at: dt.time) -> tuple[str, dt.datetime]:
    """(period, moment) of the next monthly prompt strictly after `now`."""
    local = now.astimezone(TZ)
    first = local.date().replace(day=1)
    for _ in range(2):
        moment = dt.datetime.combine(first.replace(day=day), at, tzinfo=TZ)
        if moment > local:
            return month_of(first), moment
        first = next_month_start(first)
    raise AssertionError("unreachable")


def next_review_at(now: dt.datetime, day: int, at: dt.time) -> tuple[str, dt.datetime]:
    """(quarter reviewed, moment) of the next quarterly review strictly after `now`: on `day` of the
    first month of a quarter, reviewing the quarter before it."""
    local = now.astimezone(TZ)
    start, _ = quarter_bounds(quarter_of(local.date()))
    for _ in range(2):
        moment = dt.datetime.combine(start.replace(day=day), at, tzinfo=TZ)
        if moment > local:
            return previous_quarter(start), moment
        start = quarter_bounds(quarter_of(start + dt.timedelta(days=95)))[0]
    raise AssertionError("unreachable")
