"""Inspector assignment (SPEC §4 "Assignment (assign-v1)"): eligibility, exact optimum, checks.

The package is split so that the auditor's kit can use the checks without the solver:
``rules``, ``eligibility``, ``check`` and ``certify`` use the standard library only;
``solve`` (``assign``), ``model``, ``solvers``, ``certificate``, ``duals`` and ``diagnose``
need OR-Tools and numpy. See ``solve`` for the solver strategy.

``assign`` is loaded on first use (PEP 562), so importing this package, as the kit does,
never imports OR-Tools.
"""

from __future__ import annotations

import importlib
from typing import Any

from inspect_sched.core.assign.check import check_assignment
from inspect_sched.core.assign.eligibility import eligible_pairs, pair_exclusions
from inspect_sched.core.assign.rules import REASONS, Assignment, Rules

__all__ = [
    "REASONS",
    "Assignment",
    "Rules",
    "assign",
    "check_assignment",
    "eligible_pairs",
    "pair_exclusions",
]


def __getattr__(name: str) -> Any:
    if name == "assign":
        return importlib.import_module("inspect_sched.core.assign.solve").assign
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
