"""Commands: pools."""

from __future__ import annotations

import click

from inspect_sched.cli.base import AppState, cli, handle_errors, pass_state  # noqa: F401


@cli.command("init")
@pass_state
@handle_errors
def init_cmd(state: AppState) -> None:
    """Create or upgrade the database schema (safe to run again).

    \b
    Example:
      inspect-sched --db postgresql+psycopg://me@localhost/inspect init
    """
    from inspect_sched.db import init_db

    click.echo(init_db(state.engine(create_schema=False)))
