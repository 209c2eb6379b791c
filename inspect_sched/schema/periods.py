"""Draw periods: ``YYYY-MM`` or ``YYYY-Qn``."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from inspect_sched.errors import DrawError

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-[Qq]([1-4])$")


@dataclass(frozen=True)
class Period:
    label: str
    first_day: dt.date
    last_day: dt.date

    @property
    def year(self) -> int:
        return self.first_day.year


def parse_period(text: str) -> Period:
    """Parse ``2026-12`` or ``2026-Q4``; raise ``DrawError`` saying what is accepted."""
    text = text.strip()
    m = _MONTH.match(text)
    if m:
        year, month = int(m.group(1)), int(m.group(2))
        if not 1 <= month <= 12:
            raise DrawError(f"period {text!r}: month must be 01-12. Use YYYY-MM, e.g. 2026-12")
        last_day = calendar.monthrange(year, month)[1]
        return Period(f"{year:04d}-{month:02d}", dt.date(year, month, 1), dt.date(year, month, last_day))
    m = _QUARTER.match(text)
    if m:
        year, q = int(m.group(1)), int(m.group(2))
        first = dt.date(year, 3 * q - 2, 1)
        last_month = 3 * q
        last = dt.date(year, last_month, calendar.monthrange(year, last_month)[1])
        return Period(f"{year:04d}-Q{q}", first, last)
    raise DrawError(f"period {text!r} is not YYYY-MM or YYYY-Qn, e.g. 2026-12 or 2026-Q4")


CHINA = dt.timezone(dt.timedelta(hours=8))
"""Dates on inspection records are local dates in China (UTC+8)."""


def today_china() -> dt.date:
    """Today in China: deadlines, result dates and publication dates are Chinese legal dates."""
    return dt.datetime.now(CHINA).date()


def utc_timestamp() -> str:
    """Now, to the second, as recorded in plans, draws and ledger entries: ``2026-12-01T01:30:15Z``.

    Only a record of when; no result ever depends on it."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def within_days_before(first_day: dt.date, date: dt.date, days: int) -> bool:
    """SPEC: "within N days before" the period means ``0 <= (first day - date) <= N`` days
    (the exclusion of recently inspected firms, and the rotation of inspectors)."""
    return 0 <= (first_day - date).days <= days
