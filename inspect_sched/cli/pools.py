"""Commands: pools."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

from inspect_sched.cli.base import AppState, cli, handle_errors, pass_state  # noqa: F401

_BAR_FROM = 5000  # rows; smaller files finish before a bar would be worth drawing


@cli.command("init")
@pass_state
@handle_errors
def init_cmd(state: AppState) -> None:
    """Create or upgrade the database schema (safe to run again).

    \b
    Example:
      inspect-sched init
      inspect-sched --db postgresql+psycopg://me@localhost/inspect init
    """
    from inspect_sched.cli.format import schema_change
    from inspect_sched.store.db import init_db

    click.echo(schema_change(init_db(state.engine(create_schema=False))))


@contextmanager
def _progress_bar(label: str) -> Iterator[Callable[[int, int | None], None]]:
    """A rich progress bar on stderr, shown only once a file turns out to be large."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    bar: Progress | None = None
    task = None

    def update(done: int, total: int | None) -> None:
        nonlocal bar, task
        if bar is None:
            if max(done, total or 0) < _BAR_FROM or not console.is_terminal:
                return
            bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                           TimeElapsedColumn(), console=console, transient=True)
            bar.start()
            task = bar.add_task(label, total=total)
        assert task is not None
        bar.update(task, completed=done, total=total,
                   description=f"{label}: {'checking' if total is None else 'writing'}")

    try:
        yield update
    finally:
        if bar is not None:
            bar.stop()


_FILE = click.Path(exists=True, dir_okay=False, readable=True)


@cli.group("import")
def import_group() -> None:
    """Load pools and records from CSV (UTF-8 or GBK) or .xlsx files; all-or-nothing.

    Headers may be in English or Chinese (SPEC §2); unknown extra columns are kept.

    \b
    Example:
      inspect-sched import enterprises 检查对象名录库.xlsx
      inspect-sched import inspectors 执法人员.csv
    """


# One command per kind of pool file: (command, importer, what --replace deletes or None, help).
_IMPORTS: tuple[tuple[str, str, str | None, str], ...] = (
    ("enterprises", "import_enterprises", "firms", """Import the enterprise pool (检查对象名录库), keyed by 统一社会信用代码.

    Firms already stored are updated; with --replace, firms not in FILE are removed.

    \b
    Example:
      inspect-sched import enterprises 名录库.xlsx
      inspect-sched import enterprises enterprises.csv --replace
    """),
    ("inspectors", "import_inspectors", "inspectors", """Import the inspector pool (执法检查人员名录库), keyed by 执法证号.

    \b
    Example:
      inspect-sched import inspectors 执法人员.xlsx
      inspect-sched import inspectors inspectors.csv --replace
    """),
    ("positive-list", "import_positive_list", None,
     """Import 监督执法正面清单 entries (uscc, 纳入日期, 有效期至 = start + 3 years if empty).

    \b
    Example:
      inspect-sched import positive-list 正面清单.csv
    """),
    ("conflicts", "import_conflicts", None, """Import declared conflicts of interest (回避): 执法证号, 统一社会信用代码, 回避事由.

    \b
    Example:
      inspect-sched import conflicts 回避.csv
    """),
    ("history", "import_history", "history rows",
     """Append past inspections (uscc, 检查日期, 检查类型, 检查人员执法证号); exact repeats are ignored.

    A row that differs from a stored one (other inspectors the same day) is a second
    inspection and is warned about; to correct a wrong row, fix the file and import it with
    --replace, which makes the stored history exactly the file.

    \b
    Example:
      inspect-sched import history 检查记录.xlsx
      inspect-sched import history 检查记录.xlsx --replace
    """),
    ("items", "import_items", None,
     """Import the 随机抽查事项清单: 抽查事项, 事项编号, 法律依据, 检查方式 (现场/非现场/书面), 责任部门.

    Keyed by item name (抽查事项); once a catalogue exists, a task's items (the policy's
    `items`) must all be in it (清单之外无事项).

    \b
    Example:
      inspect-sched import items 抽查事项清单.xlsx
    """),
)


# Imports that change what a plan would freeze (SPEC §7: a plan stays usable, with a warning).
_FROZEN_BY_PLANS = {"history"}


def _warn_unused_plans(state: AppState) -> None:
    from inspect_sched.services.draws import list_plans

    plans = [p.plan_id for p in list_plans(state.engine()) if p.used_by is None]
    if plans:
        click.echo(f"warning: plan(s) {', '.join(map(str, plans))} were made before this import and keep "
                   "their frozen inputs: a draw from them does not see this import's changes; make a new plan "
                   "if they should count", err=True)


def _import_command(name: str, importer: str, replaces: str | None, doc: str) -> None:
    def command(state: AppState, file: str, replace: bool = False) -> None:
        from inspect_sched.cli.format import import_summary
        from inspect_sched.store import importers

        kwargs = {"replace": replace} if replaces else {}
        with _progress_bar(name) as progress:
            summary = getattr(importers, importer)(state.engine(), file, progress=progress, **kwargs)
        click.echo(import_summary(summary))
        for w in summary.warnings:
            click.echo(f"warning: {w}", err=True)
        if name in _FROZEN_BY_PLANS:
            _warn_unused_plans(state)

    command.__doc__ = doc
    command.__name__ = f"import_{name.replace('-', '_')}_cmd"
    fn: Any = handle_errors(command)
    fn = pass_state(fn)
    if replaces:
        fn = click.option("--replace", is_flag=True,
                          help=f"Make the pool exactly the file: delete {replaces} not in it.")(fn)
    fn = click.argument("file", type=_FILE)(fn)
    import_group.command(name)(fn)


for _spec in _IMPORTS:
    _import_command(*_spec)
