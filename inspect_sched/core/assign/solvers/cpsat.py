"""Overlapping needs: CP-SAT (one worker, fixed seed, no time limit) must report OPTIMAL, on the
pairs that LP reduced costs cannot rule out."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from inspect_sched.core.assign.certificate import _bound, _lp_duals
from inspect_sched.core.assign.diagnose import _solver_infeasible
from inspect_sched.core.assign.model import _Instance
from inspect_sched.core.assign.solvers._common import Solution, _complete, _initial_candidates, _pairs, _widen


class CpSatSolver:
    name = "cpsat"
    label = "CP-SAT"

    def applies(self, inst: _Instance) -> bool:
        return True  # exact for every instance, only slower than the flows

    def solve(self, inst: _Instance, per_firm: int | None = None, per_group: int | None = None) -> Solution:
        per_firm = per_firm if per_firm is not None else inst.k + 2
        per_group = per_group if per_group is not None else 2
        cands = _initial_candidates(inst, per_firm, per_group)
        return _assign_cpsat(inst, cands, per_firm, per_group)


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
        model.add(sum(x[j] for j in js) == inst.k)
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


def _assign_cpsat(inst: _Instance, cands, per_firm: int, per_group: int) -> Solution:
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
