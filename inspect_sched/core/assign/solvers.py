"""The solvers: min-cost flow (plain and typed slots) and CP-SAT, on candidate pairs that the
certificate widens until the optimum over all eligible pairs is proven."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from inspect_sched.core.assign.certificate import _bound, _certify, _lp_duals
from inspect_sched.core.assign.diagnose import _solver_infeasible
from inspect_sched.core.assign.model import _Instance


def _cheapest(c: np.ndarray, n: int) -> np.ndarray:
    """Positions of the ``n`` smallest entries of ``c`` (all when there are fewer)."""
    if len(c) <= n:
        return np.arange(len(c))
    return np.argpartition(c, n - 1)[:n]


def _initial_candidates(inst: _Instance, per_firm: int, per_group: int) -> list[np.ndarray]:
    """Per firm: positions (into elig/cost) of the cheapest pairs, plus the cheapest per group."""
    cands = []
    for idx, c, need in zip(inst.elig, inst.cost, inst.needs, strict=True):
        if len(idx) <= per_firm:
            cands.append(np.arange(len(idx)))
            continue
        chosen = [_cheapest(c, per_firm)]
        for g in need:
            pos = np.flatnonzero(inst.member[g][idx])
            chosen.append(pos[_cheapest(c[pos], per_group)])
        cands.append(np.unique(np.concatenate(chosen)))
    return cands


# --------------------------------------------------------------------------- solvers


def _pairs(inst: _Instance, cands: list[np.ndarray]):
    """Flat arrays (firm, inspector, cost) of the candidate pairs, firm-major, inspector-sorted."""
    fs = np.concatenate([np.full(len(p), n, dtype=np.int64) for n, p in enumerate(cands)])
    ins = np.concatenate([inst.elig[n][p] for n, p in enumerate(cands)])
    cs = np.concatenate([inst.cost[n][p] for n, p in enumerate(cands)])
    return fs, ins, cs


def _run_flow(mcf, src: int, sink: int, total: int, pair_arcs) -> np.ndarray | None:
    """Send ``total`` units from ``src`` to ``sink``; the flow on ``pair_arcs``, or None if infeasible."""
    mcf.set_node_supply(src, total)
    mcf.set_node_supply(sink, -total)
    status = mcf.solve()
    if status == mcf.INFEASIBLE:
        return None
    if status != mcf.OPTIMAL:
        raise RuntimeError(f"min-cost flow ended with status {status}, not OPTIMAL")
    return np.asarray(mcf.flows(pair_arcs), dtype=np.int64)


def _solve_flow(inst: _Instance, fs, ins, cs) -> np.ndarray | None:
    """Min-cost flow; returns a 0/1 array over the pairs or None if infeasible."""
    from ortools.graph.python import min_cost_flow

    n_f, n_i = len(inst.firms), len(inst.inspectors)
    src, sink = 0, 1 + n_f + n_i
    mcf = min_cost_flow.SimpleMinCostFlow()
    firm_nodes = np.arange(1, 1 + n_f, dtype=np.int64)
    insp_nodes = np.arange(1 + n_f, 1 + n_f + n_i, dtype=np.int64)
    mcf.add_arcs_with_capacity_and_unit_cost(
        np.full(n_f, src, dtype=np.int64),
        firm_nodes,
        inst.ks,
        np.zeros(n_f, dtype=np.int64),
    )
    pair_arcs = mcf.add_arcs_with_capacity_and_unit_cost(
        1 + fs, 1 + n_f + ins, np.ones(len(fs), dtype=np.int64), cs
    )
    mcf.add_arcs_with_capacity_and_unit_cost(
        insp_nodes,
        np.full(n_i, sink, dtype=np.int64),
        np.full(n_i, inst.rules.max_per_inspector, dtype=np.int64),
        np.zeros(n_i, dtype=np.int64),
    )
    return _run_flow(mcf, src, sink, int(inst.ks.sum()), pair_arcs)


def _disjoint_needs(inst: _Instance) -> bool:
    """True when no eligible inspector of any firm meets two of that firm's needs at once.

    Then a team is "one member per need + free places", and typed slots in a min-cost flow
    describe exactly the feasible teams (departments are always disjoint; a single
    specialty need is trivially so).
    """
    for idx, need, k in zip(inst.elig, inst.needs, inst.ks.tolist(), strict=True):
        if len(need) > k:
            return False
        for a in range(len(need)):
            for b in range(a + 1, len(need)):
                if (inst.member[need[a]][idx] & inst.member[need[b]][idx]).any():
                    return False
    return True


def _solve_typed_flow(inst: _Instance, fs, ins, cs) -> np.ndarray | None:
    """Min-cost flow with a slot per need: source → slot → (firm, inspector) → inspector → sink.

    Each firm gets one slot of capacity 1 per need (only inspectors of that group may fill
    it) and one free slot of capacity k − #needs; the (firm, inspector) node lets a person
    take at most one place in a team. Valid only when ``_disjoint_needs`` holds.
    """
    from ortools.graph.python import min_cost_flow

    n_f, n_i, n_p = len(inst.firms), len(inst.inspectors), len(fs)
    slot_of: dict[tuple[int, tuple[str, str]], int] = {}
    free_slot = np.empty(n_f, dtype=np.int64)
    node = 1
    for f, need in enumerate(inst.needs):
        free_slot[f] = node
        node += 1
        for g in need:
            slot_of[(f, g)] = node
            node += 1
    pair0, insp0 = node, node + n_p
    sink = insp0 + n_i
    mcf = min_cost_flow.SimpleMinCostFlow()
    tails, heads, caps = [], [], []
    for f, need in enumerate(inst.needs):
        tails.append(0)
        heads.append(int(free_slot[f]))
        caps.append(int(inst.ks[f]) - len(need))
        for g in need:
            tails.append(0)
            heads.append(slot_of[(f, g)])
            caps.append(1)
    for j, (f, i) in enumerate(zip(fs.tolist(), ins.tolist(), strict=True)):
        tails.append(int(free_slot[f]))
        heads.append(pair0 + j)
        caps.append(1)
        for g in inst.needs[f]:
            if inst.member[g][i]:
                tails.append(slot_of[(f, g)])
                heads.append(pair0 + j)
                caps.append(1)
    mcf.add_arcs_with_capacity_and_unit_cost(
        np.array(tails, dtype=np.int64),
        np.array(heads, dtype=np.int64),
        np.array(caps, dtype=np.int64),
        np.zeros(len(tails), dtype=np.int64),
    )
    pair_arcs = mcf.add_arcs_with_capacity_and_unit_cost(
        pair0 + np.arange(n_p, dtype=np.int64), insp0 + ins, np.ones(n_p, dtype=np.int64), cs
    )
    mcf.add_arcs_with_capacity_and_unit_cost(
        insp0 + np.arange(n_i, dtype=np.int64),
        np.full(n_i, sink, dtype=np.int64),
        np.full(n_i, inst.rules.max_per_inspector, dtype=np.int64),
        np.zeros(n_i, dtype=np.int64),
    )
    return _run_flow(mcf, 0, sink, int(inst.ks.sum()), pair_arcs)


def _solve_cpsat(inst: _Instance, fs, ins, cs, hint=None, first_only: bool = False) -> np.ndarray | None:
    """CP-SAT on the given pairs; a 0/1 array, or None if infeasible.

    ``first_only`` stops at the first solution (used only for an upper bound, which decides
    nothing but how many pairs the final model must keep); otherwise OPTIMAL is required.
    """
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x{j}") for j in range(len(fs))]
    by_firm: dict[int, list[int]] = defaultdict(list)
    by_insp: dict[int, list[int]] = defaultdict(list)
    for j, (f, i) in enumerate(zip(fs.tolist(), ins.tolist(), strict=True)):
        by_firm[f].append(j)
        by_insp[i].append(j)
    for f in range(len(inst.firms)):
        js = by_firm.get(f, [])
        model.add(sum(x[j] for j in js) == int(inst.ks[f]))
        for g in inst.needs[f]:
            m = inst.member[g]
            model.add(sum(x[j] for j in js if m[ins[j]]) >= 1)
    cap = inst.rules.max_per_inspector
    for i in sorted(by_insp):
        js = by_insp[i]
        if len(js) > cap:
            model.add(sum(x[j] for j in js) <= cap)
    model.minimize(sum(int(c) * x[j] for j, c in enumerate(cs.tolist())))
    if hint is not None:
        for j, v in enumerate(hint.tolist()):
            model.add_hint(x[j], bool(v))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    if first_only:
        solver.parameters.stop_after_first_solution = True
    status = solver.solve(model)
    if status == cp_model.INFEASIBLE:
        return None
    if status != cp_model.OPTIMAL and not (first_only and status == cp_model.FEASIBLE):
        raise RuntimeError(f"CP-SAT ended with status {solver.status_name(status)}, not OPTIMAL")
    return np.array([solver.value(v) for v in x], dtype=np.int64)


# --------------------------------------------------------------------------- certificate


def _complete(inst: _Instance, cands) -> bool:
    return all(len(p) == len(e) for p, e in zip(cands, inst.elig, strict=True))


def _widen(inst: _Instance, cands, per_firm: int, per_group: int):
    """Candidates infeasible on their own: double the cheapest pairs kept per firm and group."""
    per_firm, per_group = 2 * per_firm, 2 * per_group
    more = _initial_candidates(inst, per_firm, per_group)
    return [np.union1d(a, b) for a, b in zip(cands, more, strict=True)], per_firm, per_group


def _assign_flow(inst: _Instance, cands, per_firm: int, per_group: int, solve=_solve_flow):
    """Min-cost flow on candidates, certified optimal over all pairs (see module doc)."""
    while True:
        complete = _complete(inst, cands)
        fs, ins, cs = _pairs(inst, cands)
        x = solve(inst, fs, ins, cs)
        if x is None:
            if complete:
                raise _solver_infeasible(inst)
            cands, per_firm, per_group = _widen(inst, cands, per_firm, per_group)
            continue
        objective = int(sum(int(c) for c in cs[x == 1].tolist()))
        if complete:
            return fs, ins, x, objective
        lp = _lp_duals(inst, fs, ins, cs)
        if lp is None:  # pragma: no cover - GLOP trouble: fall back to the full model
            cands = [np.arange(len(e)) for e in inst.elig]
            continue
        failing = _certify(inst, cands, objective, lp[0])
        if not any(len(p) for p in failing):
            return fs, ins, x, objective
        cands = [np.union1d(a, b) for a, b in zip(cands, failing, strict=True)]


def _assign_cpsat(inst: _Instance, cands, per_firm: int, per_group: int):
    """CP-SAT on the pairs that LP reduced costs cannot rule out; optimal over all pairs.

    1. LP relaxation on candidates (adding pairs of negative reduced cost, a few rounds)
       gives duals y and the exact bound L(y) over all pairs.
    2. A first CP-SAT solution on the candidates (hinted by the LP) gives an upper bound U.
    3. Every pair with L + rc ≤ U is kept — no optimal assignment uses another — and CP-SAT
       solves that model to proven optimality.
    """
    while True:
        # Each LP is solved once per candidate set: it is deterministic, so solving the same
        # set again at the top of the next round would only repeat the work.
        fs, ins, cs = _pairs(inst, cands)
        lp = _lp_duals(inst, fs, ins, cs)
        for _round in range(6):
            if lp is None:
                break
            _bnd, rcs = _bound(inst, lp[0])
            new = [np.setdiff1d(np.flatnonzero(rc < 0), c) for rc, c in zip(rcs, cands, strict=True)]
            if not any(len(n) for n in new):
                break
            cands = [np.union1d(c, n) for c, n in zip(cands, new, strict=True)]
            fs, ins, cs = _pairs(inst, cands)
            lp = _lp_duals(inst, fs, ins, cs)
        first = None if lp is None else _solve_cpsat(inst, fs, ins, cs, hint=lp[1] >= 0.5, first_only=True)
        if first is None:
            if _complete(inst, cands):
                raise _solver_infeasible(inst)
            cands, per_firm, per_group = _widen(inst, cands, per_firm, per_group)
            continue
        upper = int(sum(int(c) for c in cs[first == 1].tolist()))
        bound, rcs = _bound(inst, lp[0])
        keep = [np.flatnonzero(bound + rc <= upper) for rc in rcs]
        used = set(zip(fs[first == 1].tolist(), ins[first == 1].tolist(), strict=True))
        fs2, ins2, cs2 = _pairs(inst, keep)
        hint = np.array([(f, i) in used for f, i in zip(fs2.tolist(), ins2.tolist(), strict=True)])
        x = _solve_cpsat(inst, fs2, ins2, cs2, hint=hint)
        if x is None:  # pragma: no cover - impossible: the first solution is in the model
            raise RuntimeError("CP-SAT lost the upper-bound solution")
        return fs2, ins2, x, int(sum(int(c) for c in cs2[x == 1].tolist()))
