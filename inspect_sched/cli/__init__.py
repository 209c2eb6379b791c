"""The ``inspect-sched`` command line: parse, open the database, call the library, echo.

Commands live in small modules by area; each registers itself on ``cli``.
"""

from __future__ import annotations

from inspect_sched.cli import (  # noqa: F401,E402  (register commands)
    amend_cmd,
    draws,
    fixtures_cmd,  # noqa: F401
    outputs,
    pools,
)
from inspect_sched.cli.base import cli


def main() -> None:
    cli(prog_name="inspect-sched")


__all__ = ["cli", "main"]
