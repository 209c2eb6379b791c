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
    from inspect_sched.store.db import init_db

    click.echo(init_db(state.engine(create_schema=False)))


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


def _run(state: AppState, fn: Callable[..., Any], label: str, file: str, **kwargs: Any) -> None:
    with _progress_bar(label) as progress:
        summary = fn(state.engine(), file, progress=progress, **kwargs)
    click.echo(str(summary))


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


@import_group.command("enterprises")
@click.argument("file", type=_FILE)
@click.option("--replace", is_flag=True, help="Make the pool exactly the file: delete firms not in it.")
@pass_state
@handle_errors
def import_enterprises_cmd(state: AppState, file: str, replace: bool) -> None:
    """Import the enterprise pool (检查对象名录库), keyed by 统一社会信用代码.

    Firms already stored are updated; with --replace, firms not in FILE are removed.

    \b
    Example:
      inspect-sched import enterprises 名录库.xlsx
      inspect-sched import enterprises enterprises.csv --replace
    """
    from inspect_sched.store.importers import import_enterprises

    _run(state, import_enterprises, "enterprises", file, replace=replace)


@import_group.command("inspectors")
@click.argument("file", type=_FILE)
@click.option("--replace", is_flag=True, help="Make the pool exactly the file: delete inspectors not in it.")
@pass_state
@handle_errors
def import_inspectors_cmd(state: AppState, file: str, replace: bool) -> None:
    """Import the inspector pool (执法检查人员名录库), keyed by 执法证号.

    \b
    Example:
      inspect-sched import inspectors 执法人员.xlsx
      inspect-sched import inspectors inspectors.csv --replace
    """
    from inspect_sched.store.importers import import_inspectors

    _run(state, import_inspectors, "inspectors", file, replace=replace)


@import_group.command("positive-list")
@click.argument("file", type=_FILE)
@pass_state
@handle_errors
def import_positive_list_cmd(state: AppState, file: str) -> None:
    """Import 监督执法正面清单 entries (uscc, 纳入日期, 有效期至 = start + 3 years if empty).

    \b
    Example:
      inspect-sched import positive-list 正面清单.csv
    """
    from inspect_sched.store.importers import import_positive_list

    _run(state, import_positive_list, "positive-list", file)


@import_group.command("conflicts")
@click.argument("file", type=_FILE)
@pass_state
@handle_errors
def import_conflicts_cmd(state: AppState, file: str) -> None:
    """Import declared conflicts of interest (回避): 执法证号, 统一社会信用代码, 回避事由.

    \b
    Example:
      inspect-sched import conflicts 回避.csv
    """
    from inspect_sched.store.importers import import_conflicts

    _run(state, import_conflicts, "conflicts", file)


@import_group.command("history")
@click.argument("file", type=_FILE)
@pass_state
@handle_errors
def import_history_cmd(state: AppState, file: str) -> None:
    """Append past inspections (uscc, 检查日期, 检查类型, 检查人员执法证号); exact repeats are ignored.

    \b
    Example:
      inspect-sched import history 检查记录.xlsx
    """
    from inspect_sched.store.importers import import_history

    _run(state, import_history, "history", file)


@import_group.command("items")
@click.argument("file", type=_FILE)
@pass_state
@handle_errors
def import_items_cmd(state: AppState, file: str) -> None:
    """Import the 随机抽查事项清单: 抽查事项, 事项编号, 法律依据, 检查方式 (现场/非现场/书面), 责任部门.

    Keyed by item name (抽查事项); once a catalogue exists, a task's items (the policy's
    `items`) must all be in it (清单之外无事项).

    \b
    Example:
      inspect-sched import items 抽查事项清单.xlsx
    """
    from inspect_sched.store.importers import import_items

    _run(state, import_items, "items", file)
