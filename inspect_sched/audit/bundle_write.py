"""Writing a bundle's ``assignments.xlsx`` (openpyxl): the one part of a bundle the kit never writes."""

from __future__ import annotations

from inspect_sched.audit.bundle import (
    ASSIGNMENT_HEADERS_ZH,
    CURRENT,
    BundleFormat,
    assignment_rows,
    column_headers,
    rendered_files,
    task_columns,
    task_sheet_preamble,
)
from inspect_sched.core.derive import Derivation
from inspect_sched.core.frame import DrawSpec
from inspect_sched.io.xlsx import Sheet, xlsx_bytes


def assignments_xlsx(rows: list[list[str]], spec: DrawSpec, seed: str, headers_zh: list[str] | None = None) -> bytes:
    headers = headers_zh or ASSIGNMENT_HEADERS_ZH
    sheet = Sheet(
        title="检查任务",
        header=["序号", *headers],
        rows=[[i, *r] for i, r in enumerate(rows, start=1)],
        preamble=task_sheet_preamble(spec, seed),
        column_widths=[6, 22, 36, 10, 40, 30, 24, 10, 30, 60][:len(headers) + 1],
    )
    return xlsx_bytes([sheet])


def derived_files(
    d: Derivation, fmt: BundleFormat = CURRENT, columns: list[str] | None = None,
    input_files: dict[str, bytes] | None = None,
) -> dict[str, bytes]:
    """Every bundle file except the manifest, from a derivation, as ``fmt`` writes them
    (``input_files``: the canonical inputs when the caller has them, see ``rendered_files``)."""
    files = rendered_files(d, fmt, columns, input_files)
    cols = task_columns(d.spec, columns)
    files["assignments.xlsx"] = assignments_xlsx(assignment_rows(d, cols), d.spec, d.seed,
                                                 column_headers(d.spec, cols))
    return files
