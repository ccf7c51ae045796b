"""Working time on the Chinese calendar: deadlines that skip weekends and public holidays
but count make-up working days (调休上班).

The holiday table lives in tongxin.core.holidays (2024–2027, with sources); a year missing from
it falls back to Monday–Friday. All results are aware datetimes in Asia/Shanghai; naive inputs
are read as Asia/Shanghai wall time.

- is_working_day(d): Mon–Fri unless a public holiday, plus make-up Saturdays/Sundays.
- add_working_days(start, n): the same clock time on the n-th working day after start's date
  (n may be negative; 0 returns start).
- add_working_hours(start, h): h hours of office time (default 09:00–17:30 on working days)
  after start. Time before the office opens or after it closes does not count; a deadline that
  uses up a day exactly ends at that day's closing time.
- working_hours_between(a, b): office hours in [a, b] (negative when b < a), so that
  working_hours_between(s, add_working_hours(s, h)) == h.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from .holidays import HOLIDAYS, WORKDAYS

TZ = ZoneInfo("Asia/Shanghai")
DAY_START = dt.time(9)
DAY_END = dt.time(17, 30)
_ONE_DAY = dt.timedelta(days=1)


def is_working_day(d: dt.date) -> bool:
    if isinstance(d, dt.datetime):
        d = _local(d).date()
    if d.year in HOLIDAYS:
        if d in WORKDAYS[d.year]:
            return True
        if d in HOLIDAYS[d.year]:
            return False
    return d.weekday() < 5


def _local(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=TZ)
    return value.astimezone(TZ)


def _at(d: dt.date, t: dt.time) -> dt.datetime:
    return dt.datetime.combine(d, t, tzinfo=TZ)


def add_working_days(start: dt.datetime, days: int) -> dt.datetime:
    start = _local(start)
    step = _ONE_DAY if days >= 0 else -_ONE_DAY
    d = start.date()
    remaining = abs(days)
    while remaining:
        d += step
        if is_working_day(d):
            remaining -= 1
    return _at(d, start.timetz().replace(tzinfo=None))


def _check_window(day_start: dt.time, day_end: dt.time) -> None:
    if not day_start < day_end:
        raise ValueError("day_start must be before day_end")


def add_working_hours(start: dt.datetime, hours: float, *, day_start: dt.time = DAY_START,
                      day_end: dt.time = DAY_END) -> dt.datetime:
    _check_window(day_start, day_end)
    if hours < 0:
        raise ValueError("hours must not be negative")
    remaining = dt.timedelta(hours=hours)
    cur = _local(start)
    if not remaining:
        return cur
    while True:
        d = cur.date()
        if is_working_day(d):
            opens, closes = _at(d, day_start), _at(d, day_end)
            if cur < opens:
                cur = opens
            if cur < closes:
                available = closes - cur
                if remaining <= available:
                    return cur + remaining
                remaining -= available
        cur = _at(d + _ONE_DAY, dt.time(0))


def working_hours_between(a: dt.datetime, b: dt.datetime, *, day_start: dt.time = DAY_START,
                          day_end: dt.time = DAY_END) -> float:
    _check_window(day_start, day_end)
    a, b = _local(a), _local(b)
    if b < a:
        return -working_hours_between(b, a, day_start=day_start, day_end=day_end)
    total = dt.timedelta(0)
    d = a.date()
    while d <= b.date():
        if is_working_day(d):
            lo = max(a, _at(d, day_start))
            hi = min(b, _at(d, day_end))
            if hi > lo:
                total += hi - lo
        d += _ONE_DAY
    return total.total_seconds() / 3600
