"""Commands: outputs."""

from __future__ import annotations

from inspect_sched.cli.base import AppState, cli, handle_errors, pass_state  # noqa: F401
