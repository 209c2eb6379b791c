"""The solver side of assign-v1: the exact optimum and its certificate (OR-Tools, numpy).

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
* The result carries a ``Certificate`` for the bundle (``certificate.json``): on the flow
  paths exact integer duals from the optimal flow's node potentials (``duals``), whose bound
  equals the objective; on the CP-SAT path GLOP's rounded duals, an honest lower bound.
  The certificate never changes the teams or the objective.
No wall-clock limit decides anything; all input is sorted by id first.

Modules: ``rules`` and ``eligibility`` (who may inspect whom), ``model`` (the instance as
arrays), ``diagnose`` (why it is infeasible), ``solvers``, ``certificate`` (the GLOP LP-dual
bound that chooses candidates), ``duals`` (exact flow duals), ``certify`` (the certificate's
format and exact check), ``check`` (the independent re-check). ``rules``, ``eligibility``,
``check`` and ``certify`` use the standard library only (the auditor's kit runs them).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np
import ortools

from inspect_sched.core.assign.certificate import _bound, _lp_duals
from inspect_sched.core.assign.certify import Certificate, need_key
from inspect_sched.core.assign.diagnose import _precheck
from inspect_sched.core.assign.duals import flow_duals
from inspect_sched.core.assign.model import _Instance, _instance
from inspect_sched.core.assign.rules import Assignment, Rules
from inspect_sched.core.assign.solvers import (
    _assign_cpsat,
    _assign_flow,
    _disjoint_needs,
    _initial_candidates,
    _solve_flow,
    _solve_typed_flow,
)
from inspect_sched.core.inputs import Firm, InspectorRec

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
        empty = Certificate({}, {}, {i.inspector_id: 0 for i in inst.inspectors}, 0, 0, "empty draw")
        return Assignment({}, 0, f"{_ORTOOLS} {kind}", "OPTIMAL", empty)
    _precheck(inst, exclusions)
    if inst.plain or typed:
        per_firm = _per_firm if _per_firm is not None else 3 * inst.k + 6
        per_group = _per_group if _per_group is not None else 4
        cands = _initial_candidates(inst, per_firm, per_group)
        solve = _solve_typed_flow if typed else _solve_flow
        fs, ins, x, objective = _assign_flow(inst, cands, per_firm, per_group, solve)
        duals = flow_duals(inst, fs, ins, inst_costs(inst, fs, ins), x)
        method = "node potentials of the optimal min-cost flow (exact)"
    else:
        per_firm = _per_firm if _per_firm is not None else inst.k + 2
        per_group = _per_group if _per_group is not None else 2
        cands = _initial_candidates(inst, per_firm, per_group)
        fs, ins, x, objective = _assign_cpsat(inst, cands, per_firm, per_group)
        lp = _lp_duals(inst, fs, ins, inst_costs(inst, fs, ins))
        duals = lp[0] if lp is not None else _zero_duals(inst)
        method = "LP relaxation duals (GLOP, rounded); CP-SAT proved the integer optimum"
    teams: dict[str, list[str]] = defaultdict(list)
    for f, i in zip(fs[x == 1].tolist(), ins[x == 1].tolist(), strict=True):
        teams[inst.firms[f].uscc].append(inst.inspectors[i].inspector_id)
    return Assignment(
        teams={u: tuple(sorted(teams[u])) for u in sorted(teams)},
        objective=objective,
        solver=f"{_ORTOOLS} {kind}",
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
