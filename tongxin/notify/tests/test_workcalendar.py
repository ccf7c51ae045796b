"""The Chinese working calendar: known dates from the State Council notices, and properties of
working-time arithmetic."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tongxin.core import holidays
from tongxin.core.workcalendar import (
    TZ,
    add_working_days,
    add_working_hours,
    is_working_day,
    working_hours_between,
)


def at(y, m, d, h=0, mi=0):
    return dt.datetime(y, m, d, h, mi, tzinfo=TZ)


@pytest.mark.parametrize("day", [
    dt.date(2026, 2, 15), dt.date(2026, 2, 17), dt.date(2026, 2, 23),  # Spring Festival 2026 (Sun–Mon, 9 days)
    dt.date(2026, 10, 1), dt.date(2026, 10, 7),                        # National Day 2026
    dt.date(2026, 1, 2), dt.date(2026, 5, 5), dt.date(2026, 6, 19), dt.date(2026, 9, 25), dt.date(2026, 4, 6),
    dt.date(2025, 1, 28), dt.date(2025, 2, 4), dt.date(2025, 10, 8), dt.date(2025, 6, 2),
    dt.date(2024, 2, 16), dt.date(2024, 5, 3), dt.date(2024, 9, 16), dt.date(2024, 10, 4),
    dt.date(2027, 2, 8), dt.date(2027, 10, 1),
])
def test_public_holidays_are_not_working_days(day):
    assert not is_working_day(day)


@pytest.mark.parametrize("day", [
    dt.date(2026, 1, 4), dt.date(2026, 2, 14), dt.date(2026, 2, 28), dt.date(2026, 5, 9),
    dt.date(2026, 9, 20), dt.date(2026, 10, 10),                       # 2026 make-up working days
    dt.date(2025, 1, 26), dt.date(2025, 2, 8), dt.date(2025, 4, 27), dt.date(2025, 9, 28), dt.date(2025, 10, 11),
    dt.date(2024, 2, 4), dt.date(2024, 2, 18), dt.date(2024, 5, 11), dt.date(2024, 9, 14), dt.date(2024, 10, 12),
])
def test_make_up_weekend_days_are_working_days(day):
    assert day.weekday() >= 5
    assert is_working_day(day)


def test_ordinary_days_and_years_outside_the_table():
    assert is_working_day(dt.date(2026, 11, 25))       # a Wednesday
    assert not is_working_day(dt.date(2026, 11, 28))   # a Saturday
    assert is_working_day(dt.date(2030, 10, 1))        # not in the table: Monday–Friday only
    assert not is_working_day(dt.date(2030, 10, 5))
    assert 2030 not in holidays.HOLIDAYS


def test_table_covers_2024_to_2027_with_sources():
    assert set(holidays.HOLIDAYS) >= {2024, 2025, 2026, 2027}
    for year in (2024, 2025, 2026, 2027):
        assert "节假日安排" in holidays.SOURCES[year] or "放假办法" in holidays.SOURCES[year]
    # Day counts from the notices: 2025 and 2026 have 28 and 33 holiday days in the table.
    assert len(holidays.HOLIDAYS[2025]) == 1 + 8 + 3 + 5 + 3 + 8
    assert len(holidays.HOLIDAYS[2026]) == 3 + 9 + 3 + 5 + 3 + 3 + 7
    assert 2027 in holidays.PROVISIONAL


def test_working_days_skip_the_spring_festival():
    # Friday 13 Feb 2026 10:00 + 1 working day = the make-up Saturday 14 Feb.
    assert add_working_days(at(2026, 2, 13, 10), 1) == at(2026, 2, 14, 10)
    # + 2 working days jumps the whole holiday to Tuesday 24 Feb.
    assert add_working_days(at(2026, 2, 13, 10), 2) == at(2026, 2, 24, 10)
    assert add_working_days(at(2026, 2, 24, 10), -2) == at(2026, 2, 13, 10)
    assert add_working_days(at(2026, 2, 13, 10), 0) == at(2026, 2, 13, 10)
    # National Day 2026: Wednesday 30 Sep + 1 = Thursday 8 Oct; the make-up Saturday 10 Oct counts.
    assert add_working_days(at(2026, 9, 30, 9), 1) == at(2026, 10, 8, 9)
    assert add_working_days(at(2026, 10, 9, 9), 1) == at(2026, 10, 10, 9)


def test_working_hours_respect_office_time_and_holidays():
    # 16:00 on Friday 13 Feb + 4 h: 1.5 h that day, 2.5 h on the make-up Saturday from 09:00.
    assert add_working_hours(at(2026, 2, 13, 16), 4) == at(2026, 2, 14, 11, 30)
    # Before opening: the clock starts at 09:00.
    assert add_working_hours(at(2026, 11, 25, 7), 2) == at(2026, 11, 25, 11)
    # A deadline that uses a day exactly ends at its closing time, not the next morning.
    assert add_working_hours(at(2026, 11, 25, 9), 8.5) == at(2026, 11, 25, 17, 30)
    # After closing on Friday: Monday morning.
    assert add_working_hours(at(2026, 11, 27, 20), 1) == at(2026, 11, 30, 10)
    # Custom office hours.
    assert add_working_hours(at(2026, 11, 25, 8), 1, day_start=dt.time(8), day_end=dt.time(12)) == at(2026, 11, 25, 9)
    assert working_hours_between(at(2026, 2, 13, 9), at(2026, 2, 24, 9)) == 17.0  # Fri + make-up Sat
    assert working_hours_between(at(2026, 2, 24, 9), at(2026, 2, 13, 9)) == -17.0
    with pytest.raises(ValueError):
        add_working_hours(at(2026, 1, 5), -1)


def test_naive_and_other_time_zones_are_read_correctly():
    naive = dt.datetime(2026, 11, 25, 16)
    assert add_working_hours(naive, 1) == at(2026, 11, 25, 17)
    utc = dt.datetime(2026, 11, 25, 8, tzinfo=dt.UTC)  # 16:00 in Shanghai
    result = add_working_hours(utc, 1)
    assert result == at(2026, 11, 25, 17) and result.tzinfo == TZ


moments = st.datetimes(min_value=dt.datetime(2023, 12, 1), max_value=dt.datetime(2028, 2, 1)).map(
    lambda d: d.replace(tzinfo=TZ, microsecond=0))
hours = st.floats(min_value=0, max_value=400, allow_nan=False).map(lambda h: round(h, 4))


@settings(max_examples=300, deadline=None)
@given(moments, hours)
def test_adding_then_measuring_gives_back_the_hours(start, h):
    end = add_working_hours(start, h)
    assert end >= start
    assert working_hours_between(start, end) == pytest.approx(h, abs=1e-6)


@settings(max_examples=200, deadline=None)
@given(moments, hours, hours)
def test_adding_hours_is_monotonic_and_additive(start, a, b):
    lo, hi = sorted((a, b))
    assert add_working_hours(start, lo) <= add_working_hours(start, hi)
    # Adding in two steps lands at the same moment as adding at once (after the first step the clock is running).
    if lo > 0:
        assert add_working_hours(add_working_hours(start, lo), hi) == pytest.approx(
            add_working_hours(start, lo + hi), abs=dt.timedelta(milliseconds=1))


@settings(max_examples=200, deadline=None)
@given(moments, moments, moments)
def test_measuring_is_monotonic_and_additive(a, b, c):
    x, y, z = sorted((a, b, c))
    assert 0 <= working_hours_between(x, y) <= working_hours_between(x, z)
    assert working_hours_between(x, z) == pytest.approx(working_hours_between(x, y) + working_hours_between(y, z))


@settings(max_examples=200, deadline=None)
@given(moments, st.integers(min_value=-40, max_value=40))
def test_working_days_land_on_working_days_and_round_trip(start, n):
    end = add_working_days(start, n)
    assert end.timetz().replace(tzinfo=None) == start.timetz().replace(tzinfo=None)
    if n:
        assert is_working_day(end.date())
        assert (end > start) == (n > 0)
    if is_working_day(start.date()):
        assert add_working_days(end, -n) == start
