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


# ---------------------------------------------------------------------------- the certificate's bound

def _instance_and_certificate(case: int):
    """A random assignment instance (joint departments, specialties, exemptions) and its certificate."""
    from test_assignment import FIRST, LAST, random_instance

    from inspect_sched.core.assign import pair_exclusions
    from inspect_sched.core.assign.optimum import assign
    from inspect_sched.errors import InspectSchedError

    rnd = random.Random(f"bound-{case}")
    while True:
        firms, inspectors, conflicts, r = random_instance(rnd, special=case % 2 == 1)
        ex = pair_exclusions(firms, inspectors, conflicts, [], r, FIRST, LAST)
        try:
            a = assign("bound-seed", firms, inspectors, ex, r)
        except InspectSchedError:
            continue
        if a.certificate is not None:
            return rnd, firms, inspectors, ex, r, a


@pytest.mark.parametrize("case", range(30))
def test_numpy_reduced_costs_equal_the_kits_loop(case, monkeypatch):
    """The tool's sum of negative reduced costs (numpy, worker processes) is the kit's, exactly:
    for the real certificate and for forged ones, with factored, extended and plain exclusions."""
    from inspect_sched.core.assign import certify, model
    from inspect_sched.core.assign.certificate import negative_reduced_costs

    monkeypatch.setattr(model, "PARALLEL_MIN_PAIRS", 0)  # the pool runs even on these small instances
    monkeypatch.setenv("INSPECT_SCHED_WORKERS", str(1 + case % 3))
    rnd, firms, inspectors, ex, r, a = _instance_and_certificate(case)
    c = a.certificate
    firms = sorted(firms, key=lambda f: f.uscc)
    inspectors = sorted(inspectors, key=lambda i: i.inspector_id)
    forged = certify.Certificate(
        {u: y + rnd.randint(-10**12, 10**12) + (10**13 if u == firms[0].uscc else 0) for u, y in c.team.items()},
        {u: {g: rnd.randint(0, 10**12) for g in v} for u, v in c.cover.items()},
        {i: -rnd.randint(0, 10**12) if rnd.random() < 0.5 else 0 for i in c.cap},
        c.bound, c.objective, "",
    )
    plain = dict(ex.items())
    extended = certify.PairExclusions(ex.firms, ex.inspectors, ex.whole, ex.cross_district, dict(ex.pairs))
    extended.bound_district = ex.bound_district
    extended[(firms[0].uscc, inspectors[-1].inspector_id)] = "unavailable"
    for cert in (c, forged):
        for exclusions in (ex, plain, extended):
            want = certify._negative_reduced_costs("bound-seed", firms, inspectors, exclusions, r, cert)
            got = negative_reduced_costs("bound-seed", firms, inspectors, exclusions, r, cert)
            assert got == want
    total, pairs = certify._negative_reduced_costs("bound-seed", firms, inspectors, ex, r, forged)
    assert total < 0 and pairs == sum(1 for f in firms for i in inspectors if (f.uscc, i.inspector_id) not in ex)
    # A dual too large for int64 arithmetic: the numpy side declines and the check uses the loop.
    huge = certify.Certificate(c.team, c.cover, {**c.cap, inspectors[0].inspector_id: -(1 << 70)}, c.bound,
                               c.objective, "")
    assert negative_reduced_costs("bound-seed", firms, inspectors, ex, r, huge) is None
    fast = certify.check_certificate("bound-seed", firms, inspectors, ex, r, a, huge, negative_reduced_costs)
    slow = certify.check_certificate("bound-seed", firms, inspectors, ex, r, a, huge)
    assert fast == slow and fast.problems
