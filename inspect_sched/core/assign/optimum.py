"""``assign``: the cost-minimal team assignment, solved by the chosen solver and proven optimal.

The result carries a ``Certificate`` for the bundle (``certificate.json``): for the flow
solvers exact integer duals from the optimal flow's node potentials (``duals``), whose bound
equals the objective; for CP-SAT GLOP's rounded duals, an honest lower bound. The
certificate never changes the teams or the objective.

Kept out of the package ``__init__`` so that ``rules``, ``eligibility`` and ``check`` (and an
auditor's re-check) load without numpy or OR-Tools.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

import numpy as np
import ortools

from inspect_sched.core.assign.certificate import _bound, _lp_duals
from inspect_sched.core.assign.certify import Certificate, need_key
from inspect_sched.core.assign.diagnose import _precheck
from inspect_sched.core.assign.duals import flow_duals
from inspect_sched.core.assign.model import _Instance, _instance
from inspect_sched.core.assign.rules import Assignment, Rules
from inspect_sched.core.assign.solvers import choose
from inspect_sched.core.inputs import Firm, InspectorRec

# ortools ships py.typed only in subpackages, so mypy sees the top package as a namespace
# package without its __init__ attributes.
_ORTOOLS = "ortools-" + ".".join(ortools.__version__.split(".")[:2])  # type: ignore[attr-defined]


def assign(
    seed: str,
    firms: Sequence[Firm],
    inspectors: Sequence[InspectorRec],
    exclusions: Mapping[tuple[str, str], str],
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
        empty = Certificate({}, {}, {i.inspector_id: 0 for i in inst.inspectors}, 0, 0, "empty draw")
        return Assignment({}, 0, f"{_ORTOOLS} {chosen.label}", "OPTIMAL", empty)
    _precheck(inst, exclusions)
    fs, ins, x, objective = chosen.solve(inst, _per_firm, _per_group)
    cs = inst_costs(inst, fs, ins)
    if chosen.name in ("flow", "typed_flow"):
        duals = flow_duals(inst, fs, ins, cs, x)
        method = "node potentials of the optimal min-cost flow (exact)"
    else:
        lp = _lp_duals(inst, fs, ins, cs)
        duals = lp[0] if lp is not None else _zero_duals(inst)
        method = "LP relaxation duals (GLOP, rounded); CP-SAT proved the integer optimum"
    teams: dict[str, list[str]] = defaultdict(list)
    for f, i in zip(fs[x == 1].tolist(), ins[x == 1].tolist(), strict=True):
        teams[inst.firms[f].uscc].append(inst.inspectors[i].inspector_id)
    return Assignment(
        teams={u: tuple(sorted(teams[u])) for u in sorted(teams)},
        objective=objective,
        solver=f"{_ORTOOLS} {chosen.label}",
        status="OPTIMAL",
        certificate=_certificate(inst, duals, objective, method),
    )


def inst_costs(inst: _Instance, fs: np.ndarray, ins: np.ndarray) -> np.ndarray:
    """The cost of each (firm, inspector) pair given by index arrays."""
    out = np.empty(len(fs), dtype=np.int64)
    for f in np.unique(fs).tolist():
        sel = np.flatnonzero(fs == f)
        out[sel] = inst.cost[f][np.searchsorted(inst.elig[f], ins[sel])]
    return out


def _zero_duals(inst: _Instance):
    return (np.zeros(len(inst.firms), dtype=np.int64), {(f, g): 0 for f, need in enumerate(inst.needs)
            for g in need}, np.zeros(len(inst.inspectors), dtype=np.int64))


def _certificate(inst: _Instance, duals, objective: int, method: str) -> Certificate:
    y_team, y_cover, y_cap = duals
    bound, _rcs = _bound(inst, duals)
    return Certificate(
        team={f.uscc: int(y) for f, y in zip(inst.firms, y_team.tolist(), strict=True)},
        cover={inst.firms[f].uscc: {need_key(g): int(y_cover[(f, g)]) for g in need}
               for f, need in enumerate(inst.needs) if need},
        cap={i.inspector_id: int(y) for i, y in zip(inst.inspectors, y_cap.tolist(), strict=True)},
        bound=int(bound),
        objective=int(objective),
        method=method,
    )
