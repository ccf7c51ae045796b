"""Chinese public holidays and make-up working days (调休上班), one table per year.

Source: the State Council General Office notices on holiday arrangements
(国务院办公厅关于20xx年部分节假日安排的通知), published each November for the next year:

- 2024: 国办发明电〔2023〕7号, 2023-10-25
- 2025: 国办发明电〔2024〕12号, 2024-11-12 (first year under the 2024 revision of
  《全国年节及纪念日放假办法》: Spring Festival and Labour Day each gain one statutory day)
- 2026: 国务院办公厅 2025-11-04 (新华社 full text)
- 2027: PROVISIONAL. The 2027 notice was not available when this table was written, so the
  year lists only the statutory days of 《全国年节及纪念日放假办法》 (2024 revision: New Year 1,
  Spring Festival 4 = eve + days 1–3, Qingming 1, Labour Day 2, Dragon Boat 1, Mid-Autumn 1,
  National Day 3) on their 2027 dates, and no make-up working days. Replace it with the
  notice as soon as it is published (set PROVISIONAL to False then).

To add a year: copy the notice's lines into a block below with `rest(first, last)` for each
holiday range and `work(day)` for each make-up working day. Years missing from the table
fall back to Monday–Friday (see tongxin.core.workcalendar).
"""

from __future__ import annotations

import datetime as dt

HOLIDAYS: dict[int, frozenset[dt.date]] = {}
WORKDAYS: dict[int, frozenset[dt.date]] = {}
SOURCES: dict[int, str] = {}
PROVISIONAL: set[int] = set()


def _year(year: int, source: str, rest: list[tuple[str, str]], work: list[str], provisional: bool = False) -> None:
    days: set[dt.date] = set()
    for first, last in rest:
        a = dt.date(year, *map(int, first.split("-")))
        b = dt.date(year, *map(int, last.split("-")))
        assert a <= b, (year, first, last)
        while a <= b:
            days.add(a)
            a += dt.timedelta(days=1)
    HOLIDAYS[year] = frozenset(days)
    WORKDAYS[year] = frozenset(dt.date(year, *map(int, d.split("-"))) for d in work)
    assert not (HOLIDAYS[year] & WORKDAYS[year]), year
    SOURCES[year] = source
    if provisional:
        PROVISIONAL.add(year)


# 一、元旦：1月1日放假，与周末连休。二、春节：2月10日至17日放假调休，共8天。2月4日（星期日）、
# 2月18日（星期日）上班。三、清明节：4月4日至6日放假调休，共3天。4月7日（星期日）上班。
# 四、劳动节：5月1日至5日放假调休，共5天。4月28日（星期日）、5月11日（星期六）上班。
# 五、端午节：6月10日放假，与周末连休。六、中秋节：9月15日至17日放假调休，共3天。9月14日（星期六）上班。
# 七、国庆节：10月1日至7日放假调休，共7天。9月29日（星期日）、10月12日（星期六）上班。
_year(
    2024,
    "国务院办公厅关于2024年部分节假日安排的通知（国办发明电〔2023〕7号）",
    rest=[("1-1", "1-1"), ("2-10", "2-17"), ("4-4", "4-6"), ("5-1", "5-5"), ("6-10", "6-10"),
          ("9-15", "9-17"), ("10-1", "10-7")],
    work=["2-4", "2-18", "4-7", "4-28", "5-11", "9-14", "9-29", "10-12"],
)

# 一、元旦：1月1日（周三）放假1天，不调休。二、春节：1月28日（农历除夕、周二）至2月4日（农历正月初七、
# 周二）放假调休，共8天。1月26日（周日）、2月8日（周六）上班。三、清明节：4月4日（周五）至6日（周日）
# 放假，共3天。四、劳动节：5月1日（周四）至5日（周一）放假调休，共5天。4月27日（周日）上班。
# 五、端午节：5月31日（周六）至6月2日（周一）放假，共3天。六、国庆节、中秋节：10月1日（周三）至8日
# （周三）放假调休，共8天。9月28日（周日）、10月11日（周六）上班。
_year(
    2025,
    "国务院办公厅关于2025年部分节假日安排的通知（国办发明电〔2024〕12号）",
    rest=[("1-1", "1-1"), ("1-28", "2-4"), ("4-4", "4-6"), ("5-1", "5-5"), ("5-31", "6-2"),
          ("10-1", "10-8")],
    work=["1-26", "2-8", "4-27", "9-28", "10-11"],
)

# 一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。二、春节：2月15日
# （农历腊月二十八、周日）至23日（农历正月初七、周一）放假调休，共9天。2月14日（周六）、2月28日
# （周六）上班。三、清明节：4月4日（周六）至6日（周一）放假，共3天。四、劳动节：5月1日（周五）至
# 5日（周二）放假调休，共5天。5月9日（周六）上班。五、端午节：6月19日（周五）至21日（周日）放假，
# 共3天。六、中秋节：9月25日（周五）至27日（周日）放假，共3天。七、国庆节：10月1日（周四）至7日
# （周三）放假调休，共7天。9月20日（周日）、10月10日（周六）上班。
_year(
    2026,
    "国务院办公厅关于2026年部分节假日安排的通知（2025年11月4日）",
    rest=[("1-1", "1-3"), ("2-15", "2-23"), ("4-4", "4-6"), ("5-1", "5-5"), ("6-19", "6-21"),
          ("9-25", "9-27"), ("10-1", "10-7")],
    work=["1-4", "2-14", "2-28", "5-9", "9-20", "10-10"],
)

# Statutory days only (see the module docstring): 元旦 1-1; 春节 除夕 2-5 to 初三 2-8; 清明 4-5;
# 劳动节 5-1, 5-2; 端午 6-9; 中秋 9-15; 国庆 10-1 to 10-3.
_year(
    2027,
    "《全国年节及纪念日放假办法》（2024年修订）法定假日；2027年调休安排待国务院办公厅通知发布后补充",
    rest=[("1-1", "1-1"), ("2-5", "2-8"), ("4-5", "4-5"), ("5-1", "5-2"), ("6-9", "6-9"),
          ("9-15", "9-15"), ("10-1", "10-3")],
    work=[],
    provisional=True,
)
