"""Writing a bundle's ``assignments.xlsx`` (openpyxl): the one part of a bundle the kit never writes."""

from __future__ import annotations

from inspect_sched.audit.bundle import (
    ASSIGNMENT_HEADERS_ZH,
    CURRENT,
    BundleFormat,
    assignment_rows,
    rendered_files,
    task_sheet_preamble,
)
from inspect_sched.core.derive import Derivation
from inspect_sched.core.frame import DrawSpec
from inspect_sched.io.xlsx import Sheet, xlsx_bytes


def assignments_xlsx(rows: list[list[str]], spec: DrawSpec, seed: str) -> bytes:
    sheet = Sheet(
        title="检查任务",
        header=["序号", *ASSIGNMENT_HEADERS_ZH],
        rows=[[i, *r] for i, r in enumerate(rows, start=1)],
        preamble=task_sheet_preamble(spec, seed),
        column_widths=[6, 22, 36, 10, 40, 30, 24],
    )
    return xlsx_bytes([sheet])


def derived_files(d: Derivation, fmt: BundleFormat = CURRENT) -> dict[str, bytes]:
    """Every bundle file except the manifest, from a derivation, as ``fmt`` writes them."""
    files = rendered_files(d, fmt)
    files["assignments.xlsx"] = assignments_xlsx(assignment_rows(d), d.spec, d.seed)
    return files
