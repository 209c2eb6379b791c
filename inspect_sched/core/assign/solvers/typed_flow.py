"""Firms whose needs (departments of a joint task, one specialty) are disjoint: a min-cost flow
with a slot per need, exact because a team is then "one member per need + free places"."""

from __future__ import annotations

import numpy as np

from inspect_sched.core.assign.model import _Instance
from inspect_sched.core.assign.solvers._common import Solution, _assign_flow, _initial_candidates, _run_flow


class TypedFlowSolver:
    name = "typed_flow"
    label = "SimpleMinCostFlow (typed slots)"

    def applies(self, inst: _Instance) -> bool:
        return not inst.plain and _disjoint_needs(inst)

    def solve(self, inst: _Instance, per_firm: int | None = None, per_group: int | None = None) -> Solution:
        per_firm = per_firm if per_firm is not None else 3 * inst.k + 6
        per_group = per_group if per_group is not None else 4
        cands = _initial_candidates(inst, per_firm, per_group)
        return _assign_flow(inst, cands, per_firm, per_group, _solve_typed_flow)


def _disjoint_needs(inst: _Instance) -> bool:
    """True when no eligible inspector of any firm meets two of that firm's needs at once.

    Then a team is "one member per need + free places", and typed slots in a min-cost flow
    describe exactly the feasible teams (departments are always disjoint; a single
    specialty need is trivially so).
    """
    for idx, need in zip(inst.elig, inst.needs, strict=True):
        if len(need) > inst.k:
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
        caps.append(inst.k - len(need))
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
    return _run_flow(mcf, 0, sink, inst.k * n_f, pair_arcs)
