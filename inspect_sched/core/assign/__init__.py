"""Inspector assignment (SPEC §4 "Assignment (assign-v1)"): eligibility, exact optimum, checks.

Pure and database-free. ``pair_exclusions`` says which (firm, inspector) pairs are blocked and
why; ``assign`` finds the team assignment of least total cost and *proves* it optimal;
``check_assignment`` re-checks a stored assignment independently (used by ``verify``).

Solver strategy
---------------
* The plain case (one department, no specialty requirement among the firms) is a min-cost
  flow: source → firm (k) → inspector (1, cost) → sink (max_per_inspector), solved exactly by
  OR-Tools ``SimpleMinCostFlow``. Otherwise CP-SAT (one worker, fixed seed, no time limit)
  solves the integer model and must report OPTIMAL.
* At scale, the model only holds each firm's cheapest *candidate* pairs (plus the cheapest
  of every department / specialty the firm needs). Optimality over **all** eligible pairs is
  then certified with LP duality: for any sign-valid dual vector ``y`` of the LP relaxation
  (taken from GLOP on the restricted model, rounded to integers — its accuracy affects only
  tightness, never validity), every integer solution ``x`` satisfies
  ``cost(x) ≥ L(y) + Σ_j max(0, rc_j)·x_j`` where ``L(y) = bᵀy + Σ_j min(0, rc_j)`` is
  computed exactly over every eligible pair. So a solution that used an excluded pair ``j``
  costs at least ``L(y) + rc_j``; when that exceeds the restricted optimum for every
  excluded pair, the restricted optimum is the global one. Pairs that fail the test are
  added and the model is solved again, until none fails (or all pairs are in).
No wall-clock limit decides anything; all input is sorted by id first.

Modules: ``rules`` and ``eligibility`` (who may inspect whom), ``model`` (the instance as
arrays), ``diagnose`` (why it is infeasible), ``solvers``, ``certificate`` (the LP-dual proof),
``check`` (the independent re-check). ``rules``, ``eligibility`` and ``check`` use the standard
library only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import ortools

from inspect_sched.core.assign.check import check_assignment
from inspect_sched.core.assign.diagnose import _precheck
from inspect_sched.core.assign.eligibility import eligible_pairs, pair_exclusions
from inspect_sched.core.assign.model import _instance
from inspect_sched.core.assign.rules import REASONS, Assignment, Rules
from inspect_sched.core.assign.solvers import (
    _assign_cpsat,
    _assign_flow,
    _disjoint_needs,
    _initial_candidates,
    _solve_typed_flow,
)
from inspect_sched.core.inputs import Firm, InspectorRec

__all__ = [
    "REASONS",
    "Assignment",
    "Rules",
    "assign",
    "check_assignment",
    "eligible_pairs",
    "pair_exclusions",
]

_ORTOOLS = "ortools-" + ".".join(ortools.__version__.split(".")[:2])


def assign(
    seed: str,
    firms: Sequence[Firm],
    inspectors: Sequence[InspectorRec],
    exclusions: dict[tuple[str, str], str],
    rules: Rules,
    *,
    _per_firm: int | None = None,
    _per_group: int | None = None,
) -> Assignment:
    """The cost-minimal team assignment (SPEC §4), proven optimal; raise AssignmentInfeasible."""
    inst = _instance(seed, firms, inspectors, exclusions, rules)
    typed = not inst.plain and _disjoint_needs(inst)
    kind = "SimpleMinCostFlow" if inst.plain else "SimpleMinCostFlow (typed slots)" if typed else "CP-SAT"
    if not inst.firms:
        return Assignment({}, 0, f"{_ORTOOLS} {kind}", "OPTIMAL")
    _precheck(inst, exclusions)
    if inst.plain:
        per_firm = _per_firm if _per_firm is not None else 3 * inst.k + 6
        per_group = _per_group if _per_group is not None else 4
        cands = _initial_candidates(inst, per_firm, per_group)
        fs, ins, x, objective = _assign_flow(inst, cands, per_firm, per_group)
    elif typed:
        per_firm = _per_firm if _per_firm is not None else 3 * inst.k + 6
        per_group = _per_group if _per_group is not None else 4
        cands = _initial_candidates(inst, per_firm, per_group)
        fs, ins, x, objective = _assign_flow(inst, cands, per_firm, per_group, _solve_typed_flow)
    else:
        per_firm = _per_firm if _per_firm is not None else inst.k + 2
        per_group = _per_group if _per_group is not None else 2
        cands = _initial_candidates(inst, per_firm, per_group)
        fs, ins, x, objective = _assign_cpsat(inst, cands, per_firm, per_group)
    teams: dict[str, list[str]] = defaultdict(list)
    for f, i in zip(fs[x == 1].tolist(), ins[x == 1].tolist(), strict=True):
        teams[inst.firms[f].uscc].append(inst.inspectors[i].inspector_id)
    return Assignment(
        teams={u: tuple(sorted(teams[u])) for u in sorted(teams)},
        objective=objective,
        solver=f"{_ORTOOLS} {kind}",
        status="OPTIMAL",
    )
