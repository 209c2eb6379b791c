"""The solvers behind one small protocol, one algorithm a module (networkx style):

* ``flow`` — the plain case as a min-cost flow (``flow.py``);
* ``typed_flow`` — disjoint needs as a min-cost flow with a slot per need (``typed_flow.py``);
* ``cpsat`` — any instance, CP-SAT (``cpsat.py``).

Each works on candidate pairs and proves its optimum over all eligible pairs (``_common``,
``certificate``). ``choose`` picks the fastest exact one; ``assign(solver=...)`` can name one.
Each is exact where it applies, so the choice changes the time taken, not the optimum
(tests/test_assignment.py checks that flow, typed flow and CP-SAT agree, teams included).
"""

from __future__ import annotations

from typing import Protocol

from inspect_sched.core.assign.model import _Instance
from inspect_sched.core.assign.solvers._common import Solution
from inspect_sched.core.assign.solvers.cpsat import CpSatSolver
from inspect_sched.core.assign.solvers.flow import FlowSolver
from inspect_sched.core.assign.solvers.typed_flow import TypedFlowSolver


class Solver(Protocol):
    name: str  # the parameter value: "flow", "typed_flow", "cpsat"
    label: str  # as recorded in Assignment.solver (after the OR-Tools version)

    def applies(self, inst: _Instance) -> bool:
        """Whether this solver is exact for ``inst``."""
        ...

    def solve(self, inst: _Instance, per_firm: int | None = None, per_group: int | None = None) -> Solution:
        """The optimum; ``per_firm``/``per_group`` size the first candidate set (tests only)."""
        ...


SOLVERS: dict[str, Solver] = {s.name: s for s in (FlowSolver(), TypedFlowSolver(), CpSatSolver())}
"""In order of preference: the first that applies is chosen."""


def choose(inst: _Instance, name: str | None = None) -> Solver:
    """The solver ``name``, or the first of ``SOLVERS`` that applies; ValueError if ``name`` does not."""
    if name is None:
        return next(s for s in SOLVERS.values() if s.applies(inst))
    solver = SOLVERS.get(name)
    if solver is None:
        raise ValueError(f"unknown solver {name!r}; use one of {', '.join(SOLVERS)}")
    if not solver.applies(inst):
        raise ValueError(f"solver {name!r} is not exact for this instance; use {choose(inst).name!r} or 'cpsat'")
    return solver


__all__ = ["Solver", "SOLVERS", "choose", "Solution"]
