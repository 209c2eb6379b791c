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

Modules: ``optimum`` (``assign``), ``rules`` and ``eligibility`` (who may inspect whom), ``model`` (the instance as
arrays), ``diagnose`` (why it is infeasible), ``solvers`` (``flow``, ``typed_flow``, ``cpsat``
behind one protocol, chosen by ``assign(solver=...)``), ``certificate`` (the LP-dual proof),
``check`` (the independent re-check). ``rules``, ``eligibility`` and ``check`` use the standard
library only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from inspect_sched.core.assign.check import check_assignment
from inspect_sched.core.assign.eligibility import eligible_pairs, pair_exclusions
from inspect_sched.core.assign.rules import REASONS, Assignment, Rules

if TYPE_CHECKING:
    from inspect_sched.core.assign.optimum import assign
    from inspect_sched.core.assign.solvers import SOLVERS

__all__ = [
    "REASONS",
    "SOLVERS",
    "Assignment",
    "Rules",
    "assign",
    "check_assignment",
    "eligible_pairs",
    "pair_exclusions",
]


def __getattr__(name: str) -> Any:
    # numpy and OR-Tools load with the solver, not with the pure rules and the re-check.
    if name == "assign":
        from inspect_sched.core.assign.optimum import assign

        return assign
    if name == "SOLVERS":
        from inspect_sched.core.assign.solvers import SOLVERS

        return SOLVERS
    raise AttributeError(f"module 'inspect_sched.core.assign' has no attribute {name!r}")
