"""What every solver shares: candidate pairs, their widening, and the certified loop of the
two min-cost flows (solve on candidates, prove optimal over all pairs by LP duality, or add
the pairs the proof could not rule out and solve again)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from inspect_sched.core.assign.certificate import _certify, _lp_duals
from inspect_sched.core.assign.diagnose import _solver_infeasible
from inspect_sched.core.assign.model import _Instance

Solution = tuple[np.ndarray, np.ndarray, np.ndarray, int]
"""(firm index, inspector index, 0/1 chosen) per pair of the final model, and the objective."""
PairSolve = Callable[[_Instance, np.ndarray, np.ndarray, np.ndarray], "np.ndarray | None"]
"""One solve on fixed candidate pairs: a 0/1 array over them, or None if infeasible."""


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


def _complete(inst: _Instance, cands) -> bool:
    return all(len(p) == len(e) for p, e in zip(cands, inst.elig, strict=True))


def _widen(inst: _Instance, cands, per_firm: int, per_group: int):
    """Candidates infeasible on their own: double the cheapest pairs kept per firm and group."""
    per_firm, per_group = 2 * per_firm, 2 * per_group
    more = _initial_candidates(inst, per_firm, per_group)
    return [np.union1d(a, b) for a, b in zip(cands, more, strict=True)], per_firm, per_group


def _assign_flow(inst: _Instance, cands, per_firm: int, per_group: int, solve: PairSolve) -> Solution:
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
