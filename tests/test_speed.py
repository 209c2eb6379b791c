"""The speed work (issue 14) changes no byte: each fast path against the plain one it replaced."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
from openpyxl import Workbook

from inspect_sched.io import xlsx


def _append_reference(ws: Any, values: list[object], width: int) -> int:
    """The original row writer: ``ws[ws.max_row]`` after each append (quadratic in the rows)."""
    ws.append(values)
    for cell in ws[ws.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"
    return width


def _random_sheets(rnd: random.Random) -> list[xlsx.Sheet]:
    sheets = []
    for s in range(rnd.randint(1, 3)):
        w = rnd.randint(1, 7)
        rows = [[rnd.choice(["x", "=1+1", None, 3, "", dt.date(2026, 1, 2), "长文本" * rnd.randint(0, 5)])
                 for _ in range(rnd.randint(0, w + 2))] for _ in range(rnd.randint(0, 30))]
        widths = tuple(range(5, 5 + w)) if rnd.random() < 0.5 else ()
        sheets.append(xlsx.Sheet(f"s{s}", [f"h{i}" for i in range(w)], rows, ["cap"] * rnd.randint(0, 3), widths))
    return sheets


@pytest.mark.parametrize("case", range(60))
def test_xlsx_rows_are_written_as_the_quadratic_writer_wrote_them(case, monkeypatch):
    """Ragged, empty and wide rows, preambles, formulas, dates: the same bytes as before."""
    sheets = _random_sheets(random.Random(f"xlsx-{case}"))
    fast = xlsx.xlsx_bytes(sheets)
    monkeypatch.setattr(xlsx, "_append", _append_reference)
    assert xlsx.xlsx_bytes(sheets) == fast


def test_xlsx_text_cells_stay_text():
    wb = Workbook()
    ws = wb.active
    xlsx._append(ws, ["=HYPERLINK(1)", 3], 1)
    assert ws.cell(row=1, column=1).data_type == "s" and ws.cell(row=1, column=2).data_type == "n"
