"""The plain case — one department, no specialty needed — as a min-cost flow:
source → firm (k) → inspector (1, cost) → sink (max_per_inspector), OR-Tools SimpleMinCostFlow."""

from __future__ import annotations

import numpy as np

from inspect_sched.core.assign.model import _Instance
from inspect_sched.core.assign.solvers._common import Solution, _assign_flow, _initial_candidates, _run_flow


class FlowSolver:
    name = "flow"
    label = "SimpleMinCostFlow"

    def applies(self, inst: _Instance) -> bool:
        return inst.plain

    def solve(self, inst: _Instance, per_firm: int | None = None, per_group: int | None = None) -> Solution:
        per_firm = per_firm if per_firm is not None else 3 * inst.k + 6
        per_group = per_group if per_group is not None else 4
        cands = _initial_candidates(inst, per_firm, per_group)
        return _assign_flow(inst, cands, per_firm, per_group, _solve_flow)


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
        np.full(n_f, inst.k, dtype=np.int64),
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
    return _run_flow(mcf, src, sink, inst.k * n_f, pair_arcs)
