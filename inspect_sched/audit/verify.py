"""The tool's ``verify``: the kit's checks (``verify_core``) plus a re-solve where no certificate proves optimality.

A draw-v2 bundle's teams are proven optimal by its certificate, checked without a solver. A
draw-v1 bundle has none (and a CP-SAT draw's certificate may leave a gap): for those the
assignment is solved again with OR-Tools and compared with the written teams.

The certificate's exact bound is a sum over every eligible pair (14 million in a province):
the kit adds it up in plain Python, the tool with numpy over worker processes
(``certificate.negative_reduced_costs``, the same integers; tests compare the verdicts).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from inspect_sched.audit.bundle import CURRENT, READERS, rendered_files
from inspect_sched.audit.verify_core import Report, check_bundle, diff_csv, task_sheet_columns
from inspect_sched.core.assign.certificate import negative_reduced_costs
from inspect_sched.core.assign.optimum import assign
from inspect_sched.core.derive import Sampled
from inspect_sched.errors import InspectSchedError


def resolve(s: Sampled, files: dict[str, bytes], manifest: dict[str, Any]) -> list[str]:
    """Solve the assignment again; each difference from the written teams and objective."""
    selected = [r.framed.firm for r in s.sample]
    try:
        a = assign(s.seed, selected, s.inputs.inspectors, s.exclusions, s.rules)
    except InspectSchedError as exc:
        return [f"re-solving the assignment fails: {exc}"]
    fmt = READERS.get(str(manifest.get("format")), CURRENT)
    problems = diff_csv("assignments.csv", files.get("assignments.csv", b""),
                        rendered_files(s.with_assignment(a), fmt, task_sheet_columns(files))["assignments.csv"], fmt)
    declared = manifest.get("assignment", {})
    objective = declared.get("objective") if isinstance(declared, dict) else None
    if objective != a.objective:
        problems.append(f"manifest.json: assignment objective {objective} differs from the re-solved optimum {a.objective}")
    return problems


def verify_report(folder: str | Path) -> Report:
    """Problems, notes on what was not proven, and the commitment and hashes that were checked."""
    return check_bundle(folder, resolve=resolve, reduced_costs=negative_reduced_costs)


def verify_bundle(folder: str | Path) -> list[str]:
    """Every difference between the bundle and what its inputs, policy and seed give."""
    return verify_report(folder).problems
