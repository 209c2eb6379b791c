"""Working days in mainland China and the publication deadline (SPEC §8).

The State Council publishes each year's holiday schedule (放假安排) late in the year
before, including the 调休 weekend days that become working days. Those come from the
maintained ``chinese-calendar`` package, never from a list kept here: a hand-made list
would silently be wrong the first year nobody updated it. A date the package does not know
yet is an error that says so; guessing "Monday to Friday" would give wrong deadlines
around every 春节 and 国庆.
"""

from __future__ import annotations

import datetime as dt

from inspect_sched.errors import InspectSchedError

PUBLICATION_WORKING_DAYS = 20  # 企业信息公示暂行条例 art. 7


class CalendarError(InspectSchedError):
    """A date outside the years the holiday calendar package knows."""


def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("chinese-calendar")
    except PackageNotFoundError:  # pragma: no cover - a broken install
        return "?"


def is_working_day(day: dt.date) -> bool:
    """True on a working day by the State Council's schedule (调休 Saturdays/Sundays included)."""
    import chinese_calendar

    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        raise CalendarError(
            f"the holiday calendar (chinese-calendar {_package_version()}) does not know the year {day.year} "
            f"yet, so working days in {day.year} cannot be counted; upgrade it "
            "(pip install -U chinese-calendar) once the State Council has published that year's 放假安排"
        ) from None


def add_working_days(start: dt.date, n: int) -> dt.date:
    """The ``n``-th working day after ``start`` (``start`` itself never counts)."""
    if n < 1:
        raise ValueError("n must be at least 1")
    day, left = start, n
    while left:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            left -= 1
    return day


def publication_deadline(inspected: dt.date) -> dt.date:
    """The last day on which a result inspected on ``inspected`` is still published on time.

    "Within 20 working days" is read as: the day of the inspection does not count, and
    publication on the 20th working day after it is still on time.
    """
    return add_working_days(inspected, PUBLICATION_WORKING_DAYS)
