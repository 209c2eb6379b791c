"""Commands: outputs (results import, the public sheet, the annual report)."""

from __future__ import annotations

from typing import Any

import click  # noqa: F401

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


def _formats(ctx: click.Context, param: click.Parameter, value: str) -> Any:
    """A wrong --format is wrong usage (exit 2), like any other bad option value."""
    from inspect_sched.cli.parsing import parse_formats
    from inspect_sched.errors import InspectSchedError

    try:
        return parse_formats(value)
    except InspectSchedError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None


@cli.command("publish")
@click.option("--draw", "draw_id", type=int, required=True, help="Draw id (see `ledger list`).")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder for the public files.")
@click.option("--format", "formats", default="xlsx,csv,html", show_default=True, metavar="LIST",
              callback=_formats, help="Comma-separated: xlsx, csv, html.")
@click.option("--allow-partial", is_flag=True,
              help="Publish the firms that have results even if others are still pending (they are not named).")
@pass_state
@handle_errors
def publish_cmd(state: AppState, draw_id: int, out: str, formats: Any, allow_partial: bool) -> None:
    """Write the public result sheet (一公开) of a draw: public-draw-<id>.xlsx/.csv/.html.

    \b
    Example:
      inspect-sched publish --draw 3 --out 公示
      inspect-sched publish --draw 3 --out 公示 --format html --allow-partial
    """
    from inspect_sched.outputs.publish import publish

    for path in publish(state.engine(), draw_id, out, formats, allow_partial):
        click.echo(f"wrote {path}")


@cli.command("report")
@click.option("--year", type=int, required=True, help="Calendar year, e.g. 2026.")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder for the report files.")
@pass_state
@handle_errors
def report_cmd(state: AppState, year: int, out: str) -> None:
    """Annual report: coverage by stratum and credit grade, inspector load, results (xlsx + PNG charts).

    \b
    Example:
      inspect-sched report --year 2026 --out 年报
    """
    from inspect_sched.outputs.report import annual_report

    for path in annual_report(state.engine(), year, out):
        click.echo(f"wrote {path}")
