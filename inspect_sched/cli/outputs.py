"""Commands: outputs (results import, the public sheet, the annual report)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from inspect_sched.outputs.formats import PublicFormat

from inspect_sched.cli.base import AppState, cli, handle_errors, pass_state  # noqa: F401


@cli.group("results")
def results_group() -> None:
    """Inspection outcomes of a draw."""


@results_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--draw", "draw_id", type=int, required=True, help="Draw id (see `ledger list`).")
@pass_state
@handle_errors
def results_import_cmd(state: AppState, file: str, draw_id: int) -> None:
    """Record inspection results (CSV or XLSX, SPEC §2) for a draw; all rows or none.

    Columns: 统一社会信用代码, 检查日期, 检查结果, 处理措施 (optional), 实际检查人员执法证号
    (optional; the assigned team when empty). Re-importing a firm replaces its result.

    \b
    Example:
      inspect-sched results import 2026-12-检查结果.xlsx --draw 3
    """
    from inspect_sched.cli.format import results_summary
    from inspect_sched.services.results import import_results

    click.echo(results_summary(import_results(state.engine(), file, draw_id)))


def _formats(ctx: click.Context, param: click.Parameter, value: str) -> tuple[PublicFormat, ...]:
    """A wrong format is wrong usage (exit 2), like any bad option value."""
    from inspect_sched.cli.parsing import parse_formats
    from inspect_sched.errors import InspectSchedError

    try:
        return parse_formats(value)
    except InspectSchedError as exc:
        raise click.BadParameter(str(exc)) from None


@cli.command("publish")
@click.option("--draw", "draw_id", type=int, required=True, help="Draw id (see `ledger list`).")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder for the public files.")
@click.option("--format", "formats", default="xlsx,csv,html", show_default=True, metavar="LIST",
              callback=_formats, help="Comma-separated: xlsx, csv, html (the JSON sidecar is always written).")
@click.option("--allow-partial", is_flag=True, hidden=True,
              help="Deprecated, no effect: publish always publishes the results recorded so far.")
@pass_state
@handle_errors
def publish_cmd(state: AppState, draw_id: int, out: str, formats: tuple[PublicFormat, ...],
                allow_partial: bool) -> None:
    """Publish the results recorded so far for a draw (一公开) as a new version of its sheet.

    Run it as often as results arrive: each run with new results writes version K as
    public-draw-<id>-vK.xlsx/.csv/.html/.json and the same files as public-draw-<id>.* (the
    latest), and records the files' SHA-256 in the ledger. Firms without a result are never
    named, only counted. `inspect-sched status` shows what is due.

    \b
    Example:
      inspect-sched publish --draw 3 --out 公示
      inspect-sched publish --draw 3 --out 公示 --format html
    """
    from inspect_sched.cli.format import publish_outcome
    from inspect_sched.outputs.publish import publish, superseded_note

    if allow_partial:
        click.echo("note: --allow-partial is deprecated and has no effect: publish always publishes every "
                   "result recorded so far and never names pending firms", err=True)
    click.echo(publish_outcome(publish(state.engine(), draw_id, out, formats)))
    note = superseded_note(state.engine(), draw_id)
    if note:
        click.echo(note, err=True)


@cli.command("status")
@click.option("--draw", "draw_id", type=int, default=None, help="Only this draw (default: every draw).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per draw and line (SPEC §8).")
@pass_state
@handle_errors
def status_cmd(state: AppState, draw_id: int | None, as_json: bool) -> None:
    """Per draw: drawn, inspected, results pending, published, unpublished with deadlines, overdue.

    The deadline of a result is the 20th working day after its inspection (企业信息公示暂行条例
    art. 7), by the State Council's holiday schedule with 调休 days (chinese-calendar).

    \b
    Example:
      inspect-sched status
      inspect-sched status --draw 3 --json
    """
    import json

    from inspect_sched.outputs.status import draw_status, status_text
    from inspect_sched.schema.periods import today_china

    today = today_china()
    statuses = draw_status(state.engine(), draw_id, today)
    if as_json:
        for s in statuses:
            click.echo(json.dumps(s.as_dict(), ensure_ascii=False, sort_keys=True))
    else:
        click.echo(status_text(statuses, today))
        # Issue 13: 整改 follow-ups past their deadline (details: `followups list --overdue`).
        from inspect_sched.services.followups import KIND_LABEL, list_followups

        late = [f for f in list_followups(state.engine(), today, draw_id) if f.overdue]
        if late:
            click.echo(f"overdue follow-ups: {len(late)}")
            for f in late:
                click.echo(f"  #{f.id} draw {f.draw_id} {f.uscc} {KIND_LABEL[f.kind]} {f.item} "
                           f"due {f.deadline.isoformat() if f.deadline else '-'}")


@cli.command("report")
@click.option("--year", type=int, required=True, help="Calendar year, e.g. 2026.")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder for the report files.")
@click.option("--policy", "policy_path", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Policy TOML whose [minimum] ratios the compliance sheet checks (default: built-in).")
@pass_state
@handle_errors
def report_cmd(state: AppState, year: int, out: str, policy_path: str | None) -> None:
    """Annual report: every inspection by kind, compliance per quarter and stratum (✓/✗),
    coverage by stratum and credit grade, inspector load, results (xlsx + PNG charts).

    \b
    Example:
      inspect-sched report --year 2026 --out 年报
      inspect-sched report --year 2026 --policy 方案.toml --out 年报
    """
    from inspect_sched.outputs.report import annual_report
    from inspect_sched.schema.policy import load_policy

    warnings: list[str] = []
    for path in annual_report(state.engine(), year, out, load_policy(policy_path), warnings):
        click.echo(f"wrote {path}")
    for w in warnings:
        click.echo(f"warning: {w}", err=True)


@cli.command("plan-year")
@click.option("--year", type=int, required=True, help="Calendar year of the plan, e.g. 2027.")
@click.option("--policy", "policy_paths", type=click.Path(exists=True, dir_okay=False), multiple=True,
              help="Policy TOML; repeat for several tasks (default: the built-in policy).")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder for plan-YYYY.xlsx/.html.")
@pass_state
@handle_errors
def plan_year_cmd(state: AppState, year: int, policy_paths: tuple[str, ...], out: str) -> None:
    """The annual inspection plan (年度抽查计划): tasks × months × strata with expected frame and
    sample sizes from the current pools, and inspector capacity needed against available.

    Sample sizes follow each policy's strata (ratio/count per monthly draw), its staff_ratio
    (firms per inspector a year), and spread full-coverage strata over the months.

    \b
    Example:
      inspect-sched plan-year --year 2027 --out 年度计划
      inspect-sched plan-year --year 2027 --policy 日常.toml --policy 专项.toml --out 年度计划
    """
    from inspect_sched.outputs.annual_plan import annual_plan
    from inspect_sched.schema.policy import load_policy

    policies = [load_policy(p) for p in policy_paths] or [load_policy()]
    plan, paths = annual_plan(state.engine(), year, policies, out)
    total = sum(c.sample for c in plan.cells)
    short = [f"{c.month}月" for c in plan.capacity if not c.ok]
    click.echo(f"plan {year}: {len(plan.tasks)} task(s), {total} planned inspections; capacity "
               + ("sufficient every month" if not short else f"SHORT in {', '.join(short)}"))
    for path in paths:
        click.echo(f"wrote {path}")
