"""The ``inspect-sched`` command line: parse, open the database, call the library, echo.

Commands live in small modules by area; each registers itself on ``cli``.
"""

from __future__ import annotations

import gc

from inspect_sched.cli import (  # noqa: F401,E402  (register commands)
    amend_cmd,
    draws,
    fixtures_cmd,  # noqa: F401
    followups,
    outputs,
    pools,
)
from inspect_sched.cli.base import cli


def main() -> None:
    # A province's inputs are ~2 million live records; with the default thresholds the cycle
    # collector rescans them over and over while a draw allocates (≈ 13% of its CPU). They
    # hold no cycles worth collecting early, so collect less often.
    gc.set_threshold(100_000, 50, 1000)
    cli(prog_name="inspect-sched")


__all__ = ["cli", "main"]
