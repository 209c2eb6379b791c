"""Commands: outputs."""

from __future__ import annotations

import click  # noqa: F401

from inspect_sched.cli.base import AppState, cli, handle_errors, pass_state  # noqa: F401
