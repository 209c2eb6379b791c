"""The formats of the public sheet (standard library only, so the front door stays light)."""

from __future__ import annotations

from enum import StrEnum


class PublicFormat(StrEnum):
    XLSX = "xlsx"
    CSV = "csv"
    HTML = "html"


FORMATS: tuple[PublicFormat, ...] = tuple(PublicFormat)
