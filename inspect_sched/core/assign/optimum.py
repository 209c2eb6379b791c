"""``assign``: the cost-minimal team assignment, solved by the chosen solver and proven optimal.

Kept out of the package ``__init__`` so that ``rules``, ``eligibility`` and ``check`` (and an
auditor's re-check) load without numpy or OR-Tools.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import ortools

from inspect_sched.core.assign.diagnose import _precheck
from inspect_sched.core.assign.model import _instance
from inspect_sched.core.assign.rules import Assignment, Rules
from inspect_sched.core.assign.solvers import choose
from inspect_sched.core.inputs import Firm, InspectorRec

_ORTOOLS = "ortools-" + ".".join(ortools.__version__.split(".")[:2])


def assign(
    seed: str,
    firms: Sequence[Firm],
    inspectors: Sequence[InspectorRec],
    exclusions: dict[tuple[str, str], str],
    rules: Rules,
    *,
    solver: str | None = None,
    _per_firm: int | None = None,
    _per_group: int | None = None,
) -> Assignment:
    """The cost-minimal team assignment (SPEC §4), proven optimal; raise AssignmentInfeasible.

    ``solver`` names one of ``solvers.SOLVERS`` ("flow", "typed_flow", "cpsat"); by default
    the fastest that is exact for the instance. Each is exact where it applies, so the choice
    changes the time taken, not the objective (tests/test_assignment.py: the teams agree too).
    """
    inst = _instance(seed, firms, inspectors, exclusions, rules)
    chosen = choose(inst, solver)
    if not inst.firms:
        return Assignment({}, 0, f"{_ORTOOLS} {chosen.label}", "OPTIMAL")
    _precheck(inst, exclusions)
    fs, ins, x, objective = chosen.solve(inst, _per_firm, _per_group)
    teams: dict[str, list[str]] = defaultdict(list)
    for f, i in zip(fs[x == 1].tolist(), ins[x == 1].tolist(), strict=True):
        teams[inst.firms[f].uscc].append(inst.inspectors[i].inspector_id)
    return Assignment(
        teams={u: tuple(sorted(teams[u])) for u in sorted(teams)},
        objective=objective,
        solver=f"{_ORTOOLS} {chosen.label}",
        status="OPTIMAL",
    )
