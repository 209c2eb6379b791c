"""The formats of the public sheet (standard library only, so the front door stays light)."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from inspect_sched.errors import InspectSchedError


class PublicFormat(StrEnum):
    XLSX = "xlsx"
    CSV = "csv"
    HTML = "html"


FORMATS: tuple[PublicFormat, ...] = tuple(PublicFormat)


def check_formats(formats: Iterable[PublicFormat | str]) -> tuple[PublicFormat, ...]:
    """The formats, each once in the order given; an unknown one is an error naming the accepted."""
    out: list[PublicFormat] = []
    for f in formats:
        try:
            fmt = PublicFormat(f)
        except ValueError:
            raise InspectSchedError(f"unknown format {f!r}; use any of {', '.join(FORMATS)}") from None
        if fmt not in out:
            out.append(fmt)
    if not out:
        raise InspectSchedError(f"no format given; use any of {', '.join(FORMATS)}")
    return tuple(out)
