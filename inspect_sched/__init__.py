"""inspect-sched: 双随机、一公开 random inspection scheduler.

The front door is ``inspect_sched.api`` (``Database``, ``verify_bundle``, ``generate_fixtures``),
re-exported here on first use so that ``import inspect_sched`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# name -> module it lives in; loaded on first access (PEP 562).
_LAZY = {
    "Database": "inspect_sched.api",
    "verify_bundle": "inspect_sched.api",
    "generate_fixtures": "inspect_sched.api",
    "PublicFormat": "inspect_sched.outputs.formats",
    "InspectSchedError": "inspect_sched.errors",
}

if TYPE_CHECKING:
    from inspect_sched.api import Database, generate_fixtures, verify_bundle
    from inspect_sched.errors import InspectSchedError
    from inspect_sched.outputs.formats import PublicFormat


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'inspect_sched' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = ["__version__", "Database", "verify_bundle", "generate_fixtures", "PublicFormat", "InspectSchedError"]
