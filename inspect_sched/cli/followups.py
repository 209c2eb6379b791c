"""Commands: per-item results and follow-ups (整改, on-site escalation)."""

from __future__ import annotations

import datetime as dt

import click

from inspect_sched.cli.base import AppState, cli, handle_errors, pass_state
from inspect_sched.cli.outputs import results_group


def _date(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    from inspect_sched.store.importers import parse_date

    day = parse_date(value)
    if isinstance(day, str):
        raise click.BadParameter(f"{value!r}: {day}", ctx=ctx, param=param)
    return day


@results_group.command("items")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--draw", "draw_id", type=int, required=True, help="Draw id (see `ledger list`).")
@pass_state
@handle_errors
def results_items_cmd(state: AppState, file: str, draw_id: int) -> None:
    """Record results per firm and item; all rows or none; opens follow-ups.

    Columns: 统一社会信用代码, 抽查事项 (one of the draw's items), 是否检查 (default 是),
    是否发现问题 (default 否), 处理措施, 整改期限 (required with 责令改正; opens a follow-up),
    转现场检查 (是 on an off-site firm: opens an on-site follow-up task).

    \b
    Example:
      inspect-sched results items 2026-12-事项结果.xlsx --draw 3
    """
    from inspect_sched.services.followups import import_item_results

    click.echo(str(import_item_results(state.engine(), file, draw_id)))


@cli.group("followups")
def followups_group() -> None:
    """Follow-ups of findings: 责令改正 with 整改期限, and off-site findings escalated to a visit."""


@followups_group.command("list")
@click.option("--draw", "draw_id", type=int, default=None, help="Only this draw's follow-ups.")
@click.option("--overdue", is_flag=True, help="Only open follow-ups past their 整改期限.")
@click.option("--all", "include_closed", is_flag=True, help="Closed ones too.")
@click.option("--as-of", default=None, callback=_date, metavar="DATE",
              help="Judge overdue as of this date [default: today, China time].")
@pass_state
@handle_errors
def followups_list_cmd(state: AppState, draw_id: int | None, overdue: bool, include_closed: bool,
                       as_of: dt.date | None) -> None:
    """Open follow-ups, overdue ones marked OVERDUE.

    \b
    Example:
      inspect-sched followups list --overdue
      inspect-sched followups list --draw 3 --all
    """
    from inspect_sched.services.followups import KIND_LABEL, list_followups

    rows = [f for f in list_followups(state.engine(), as_of, draw_id, include_closed)
            if f.overdue or not overdue]
    if not rows:
        click.echo("no overdue follow-ups" if overdue else "no open follow-ups")
        return
    for f in rows:
        state_ = (f"closed {f.closed_on.isoformat()} ({f.evidence})" if f.closed_on
                  else "OVERDUE" if f.overdue else "open")
        due = f.deadline.isoformat() if f.deadline else "-"
        click.echo(f"#{f.id} draw {f.draw_id} {f.uscc} {KIND_LABEL[f.kind]} {f.item} due {due} {state_}"
                   + (f" — {f.reason}" if f.reason else ""))


@followups_group.command("close")
@click.argument("followup_id", type=int)
@click.option("--date", "day", required=True, callback=_date, help="Date the follow-up was closed.")
@click.option("--evidence", required=True, help="Reference of the proof (整改报告, 复查记录 number ...).")
@pass_state
@handle_errors
def followups_close_cmd(state: AppState, followup_id: int, day: dt.date, evidence: str) -> None:
    """Close a follow-up with its date and evidence reference (recorded in the ledger).

    \b
    Example:
      inspect-sched followups close 4 --date 2027-01-20 --evidence 株环整改〔2027〕12号
    """
    from inspect_sched.services.followups import close_followup

    f = close_followup(state.engine(), followup_id, day, evidence)
    click.echo(f"follow-up {f.id} ({f.uscc} {f.item}) closed on {day.isoformat()}, evidence {evidence}")
