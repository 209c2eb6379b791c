"""The LP-dual optimality certificate: integer duals and the exact bound over every eligible pair.

See the package doc for why a sign-valid dual vector proves a lower bound.
"""

from __future__ import annotations

import numpy as np

from inspect_sched.core.assign.model import _Instance


def _lp_duals(inst: _Instance, fs, ins, cs):
    """Integer, sign-valid duals of the restricted LP relaxation (GLOP) and its x; or None."""
    from ortools.linear_solver import pywraplp

    scale = float(1 << 24)
    lp = pywraplp.Solver.CreateSolver("GLOP")
    if lp is None:  # pragma: no cover
        return None
    x = [lp.NumVar(0.0, 1.0, "") for _ in range(len(fs))]
    team = [lp.Constraint(int(k), int(k)) for k in inst.ks.tolist()]
    cover = {(f, g): lp.Constraint(1, lp.infinity()) for f, need in enumerate(inst.needs) for g in need}
    capc = [lp.Constraint(-lp.infinity(), inst.rules.max_per_inspector) for _ in inst.inspectors]
    obj = lp.Objective()
    for j, (f, i, c) in enumerate(zip(fs.tolist(), ins.tolist(), cs.tolist(), strict=True)):
        v = x[j]
        team[f].SetCoefficient(v, 1)
        capc[i].SetCoefficient(v, 1)
        for g in inst.needs[f]:
            if inst.member[g][i]:
                cover[(f, g)].SetCoefficient(v, 1)
        obj.SetCoefficient(v, c / scale)
    obj.SetMinimization()
    if lp.Solve() != pywraplp.Solver.OPTIMAL:
        return None

    def r(v: float) -> int:
        return round(v * scale)

    y_team = np.array([r(t.dual_value()) for t in team], dtype=np.int64)
    y_cover = {key: max(0, r(con.dual_value())) for key, con in cover.items()}
    y_cap = np.array([min(0, r(con.dual_value())) for con in capc], dtype=np.int64)
    xval = np.array([v.solution_value() for v in x])
    return (y_team, y_cover, y_cap), xval


def _bound(inst: _Instance, duals) -> tuple[int, list[np.ndarray]]:
    """Exact Lagrangian bound L(y) over *all* eligible pairs and each pair's reduced cost.

    Any assignment x costs at least ``L + Σ max(0, rc_j)·x_j``: a pair with ``L + rc > U``
    is in no assignment of cost ≤ U.
    """
    y_team, y_cover, y_cap = duals
    cap = inst.rules.max_per_inspector
    bound = int((inst.ks * y_team).sum()) + sum(y_cover.values()) + cap * int(y_cap.sum())
    rcs = []
    for f, (idx, c) in enumerate(zip(inst.elig, inst.cost, strict=True)):
        rc = c - y_team[f] - y_cap[idx]
        for g in inst.needs[f]:
            yg = y_cover[(f, g)]
            if yg:
                rc = rc - yg * inst.member[g][idx]
        bound += int(np.minimum(rc, 0).sum())
        rcs.append(rc)
    return bound, rcs


def _certify(inst: _Instance, cands: list[np.ndarray], objective: int, duals) -> list[np.ndarray]:
    """Positions of non-candidate pairs that the dual bound cannot rule out, per firm."""
    bound, rcs = _bound(inst, duals)
    failing = []
    for f, rc in enumerate(rcs):
        outside = np.ones(len(rc), dtype=bool)
        outside[cands[f]] = False
        failing.append(np.flatnonzero(outside & (bound + rc <= objective)))
    return failing
