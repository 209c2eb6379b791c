"""Deterministic .xlsx output: the same rows give the same bytes on every run.

openpyxl stamps the current time into the workbook properties and into every zip entry;
both are pinned here so that an xlsx in a bundle can be hashed and reproduced.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

_EPOCH = dt.datetime(2020, 1, 1)


@dataclass
class Sheet:
    title: str
    header: Sequence[str]
    rows: Sequence[Sequence[object]]
    # Lines above the header (a caption such as 内部资料，检查前保密, the period, the seed).
    preamble: Sequence[str] = field(default_factory=tuple)
    column_widths: Sequence[int] = field(default_factory=tuple)


def xlsx_bytes(sheets: Sequence[Sheet]) -> bytes:
    """Render ``sheets`` into a workbook and return its bytes, reproducibly."""
    wb = Workbook()
    wb.remove(wb.active)
    for sheet in sheets:
        ws = wb.create_sheet(sheet.title[:31])
        width = 1  # what ws.max_column would say; openpyxl recounts every cell to answer it
        for line in sheet.preamble:
            width = _append(ws, [line], width)
            ws.cell(row=ws._current_row, column=1).font = Font(bold=True)
        width = _append(ws, list(sheet.header), width)
        header_row = ws._current_row
        for cell in ws[header_row]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(horizontal="center")
        for row in sheet.rows:
            # Text stays text: a code like 0123 or a date string must not turn into a number.
            width = _append(ws, ["" if v is None else (v if isinstance(v, int | dt.date) else str(v)) for v in row],
                            width)
        ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
        widths = list(sheet.column_widths) or [
            min(60, max(8, *(len(str(r[i])) * 2 for r in [sheet.header, *sheet.rows] if i < len(r))))
            for i in range(len(sheet.header))
        ]
        for i, w in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = w
    wb.properties.creator = "inspect-sched"
    wb.properties.created = _EPOCH
    wb.properties.modified = _EPOCH
    wb.properties.lastModifiedBy = "inspect-sched"
    raw = io.BytesIO()
    wb.save(raw)
    return _pin_zip(raw.getvalue())


def _append(ws: Any, values: list[object], width: int) -> int:
    """Append a row with every text cell typed as text (SPEC §9); the sheet's new width.

    openpyxl turns a string beginning with ``=`` into a live formula: a firm named
    ``=HYPERLINK(...)`` would run in the public sheet. Typing the cell as a string keeps it inert.
    The row's cells are visited up to the sheet's width, as ``ws[ws.max_row]`` did (it
    creates the empty ones, which the file never shows), but without ``max_row`` and
    ``max_column``, which scan every cell of the sheet: that made a 5,000-row task sheet
    quadratic (over a minute of a province draw).
    """
    ws.append(values)
    if not values:  # no cell made; ``ws[ws.max_row]`` looked at the row before, already done
        return width
    row = ws._current_row
    width = max(width, len(values))
    for col in range(1, width + 1):
        cell = ws.cell(row=row, column=col)
        if isinstance(cell.value, str):
            cell.data_type = "s"
    return width


def _pin_zip(data: bytes) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in sorted(src.infolist(), key=lambda i: i.filename):
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                # openpyxl writes "modified" as now() whatever the property says.
                body = _pin_core_times(body)
            pinned = zipfile.ZipInfo(info.filename, date_time=(2020, 1, 1, 0, 0, 0))
            pinned.compress_type = zipfile.ZIP_DEFLATED
            pinned.external_attr = 0o644 << 16
            dst.writestr(pinned, body)
    return out.getvalue()


def _pin_core_times(body: bytes) -> bytes:
    import re

    text = body.decode("utf-8")
    text = re.sub(
        r"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)",
        r"\g<1>2020-01-01T00:00:00Z\g<2>",
        text,
    )
    return text.encode("utf-8")
