"""The LP-dual optimality certificate: integer duals and the exact bound over every eligible pair.

See the package doc for why a sign-valid dual vector proves a lower bound.
"""

from __future__ import annotations

import numpy as np

from inspect_sched.core.assign.model import _Instance


def _lp_duals(inst: _Instance, fs, ins, cs):
    """Integer, sign-valid duals of the restricted LP relaxation (GLOP) and its x; or None.

    The LP is built as one ``MPModelProto`` from the pair arrays (constraint rows grouped
    with numpy) rather than one ``SetCoefficient`` call per pair, which was 12% of a
    province's assignment. Same rows in the same order: team per firm, cover per (firm,
    need), capacity per inspector.
    """
    from ortools.linear_solver import linear_solver_pb2, pywraplp

    scale = float(1 << 24)
    model = linear_solver_pb2.MPModelProto()
    n_pairs = len(fs)
    for c in (cs / scale).tolist():
        model.variable.add(lower_bound=0.0, upper_bound=1.0, objective_coefficient=c)
    fs = np.asarray(fs, dtype=np.int64)
    ins = np.asarray(ins, dtype=np.int64)
    # Pairs come firm-major, so each firm's pairs are one contiguous, increasing range.
    firm_start = np.searchsorted(fs, np.arange(len(inst.firms) + 1))
    ones = [1.0] * n_pairs
    for f, k in enumerate(inst.ks.tolist()):
        a, b = int(firm_start[f]), int(firm_start[f + 1])
        model.constraint.add(lower_bound=k, upper_bound=k, var_index=range(a, b), coefficient=ones[a:b])
    cover_keys = []
    for f, need in enumerate(inst.needs):
        a, b = int(firm_start[f]), int(firm_start[f + 1])
        for g in need:
            js = (a + np.flatnonzero(inst.member[g][ins[a:b]])).tolist()
            model.constraint.add(lower_bound=1.0, upper_bound=float("inf"), var_index=js, coefficient=ones[:len(js)])
            cover_keys.append((f, g))
    by_insp = np.argsort(ins, kind="stable")
    insp_start = np.searchsorted(ins[by_insp], np.arange(len(inst.inspectors) + 1))
    cap = float(inst.rules.max_per_inspector)
    by_insp_list = by_insp.tolist()
    for i in range(len(inst.inspectors)):
        a, b = int(insp_start[i]), int(insp_start[i + 1])
        model.constraint.add(lower_bound=-float("inf"), upper_bound=cap, var_index=by_insp_list[a:b],
                             coefficient=ones[a:b])
    lp = pywraplp.Solver.CreateSolver("GLOP")
    if lp is None:  # pragma: no cover
        return None
    if lp.LoadModelFromProto(model):  # a non-empty string is an error
        return None  # pragma: no cover
    if lp.Solve() != pywraplp.Solver.OPTIMAL:
        return None
    response = linear_solver_pb2.MPSolutionResponse()
    lp.FillSolutionResponseProto(response)
    duals = np.round(np.asarray(response.dual_value, dtype=np.float64) * scale).astype(np.int64)
    n_f, n_c = len(inst.firms), len(cover_keys)
    y_team = duals[:n_f]
    y_cover = {key: max(0, int(v)) for key, v in zip(cover_keys, duals[n_f:n_f + n_c].tolist(), strict=True)}
    y_cap = np.minimum(duals[n_f + n_c:], 0)
    xval = np.asarray(response.variable_value, dtype=np.float64)
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


def negative_reduced_costs(seed: str, firms, inspectors, exclusions, rules, cert) -> tuple[int, int] | None:
    """``certify._negative_reduced_costs`` with numpy and the parallel pair costs; exact.

    The same sum over the same pairs: eligibility from ``model._instance`` (tested equal to the
    exclusions' own), costs from ``pair_costs`` (worker processes; tested equal to
    ``assign_cost``), reduced costs in int64. None — the caller then uses the plain Python
    loop — when a dual is so large that int64 could overflow (only a forged certificate has one).
    """
    from inspect_sched.core.assign.certify import firm_needs, need_key
    from inspect_sched.core.assign.model import _instance

    limit = 1 << 62
    firms = sorted(firms, key=lambda f: f.uscc)
    if not firms:
        return 0, 0
    widest = (1 << 40) + max(abs(v) for v in cert.team.values()) + max((abs(v) for v in cert.cap.values()), default=0)
    widest += max(sum(abs(y) for y in cert.cover.get(f.uscc, {}).values()) for f in firms)
    if widest >= limit:
        return None
    try:
        inst = _instance(seed, firms, inspectors, exclusions, rules)
    except ValueError:  # a duplicate firm or inspector: the plain loop says what it says
        return None
    y_cap = np.array([cert.cap[i.inspector_id] for i in inst.inspectors], dtype=np.int64)
    total = pairs = 0
    for f, idx, cost in zip(inst.firms, inst.elig, inst.cost, strict=True):
        rc = cost - cert.team[f.uscc] - y_cap[idx]
        cover = cert.cover.get(f.uscc, {})
        for g in firm_needs(f, rules):
            y = cover[need_key(g)]
            if y:
                member = inst.member.get(g)
                if member is None:  # a department need of a single-department task has no mask
                    return None
                rc = rc - y * member[idx]
        neg = rc[rc < 0]
        total += sum(neg.tolist())  # Python ints: exact however many pairs
        pairs += len(idx)
    return total, pairs
