"""The root group, the ``--db`` option and the translation of library errors."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from inspect_sched import __version__
from inspect_sched.cli.hints import cli_message
from inspect_sched.errors import InspectSchedError
from inspect_sched.store import DEFAULT_URL, ENV_VAR

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

F = TypeVar("F", bound=Callable[..., Any])

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class AppState:
    """Lazily opened engine, so ``--help`` and usage errors never touch the database."""

    def __init__(self, url: str | None):
        self.url = url
        self._engine: Engine | None = None

    def engine(self, create_schema: bool = True) -> Engine:
        if self._engine is None:
            from inspect_sched.store.db import ensure_schema, get_engine

            self._engine = get_engine(self.url)
            if create_schema:
                ensure_schema(self._engine)
        return self._engine


def handle_errors(fn: F) -> F:
    """Turn the library's own exceptions into a clean message and exit code 1."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except InspectSchedError as exc:
            raise click.ClickException(cli_message(exc)) from None

    return wrapper  # type: ignore[return-value]


@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, prog_name="inspect-sched")
@click.option(
    "--db",
    "db_url",
    envvar=ENV_VAR,
    default=None,
    metavar="URL",
    help=f"SQLAlchemy database URL [env {ENV_VAR}; default {DEFAULT_URL}].",
)
@click.pass_context
def cli(ctx: click.Context, db_url: str | None) -> None:
    """双随机、一公开 random inspections: draw firms, assign inspectors, publish results.

    \b
    Example:
      inspect-sched demo
      inspect-sched --db sqlite:///city.db import enterprises 名录库.xlsx
    """
    ctx.obj = AppState(db_url)


pass_state = click.make_pass_decorator(AppState)
