"""Commands: amendments after the draw (SPEC §7)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from inspect_sched.cli.base import AppState, cli, handle_errors, pass_state

if TYPE_CHECKING:
    from inspect_sched.services.amend import AmendResult

_REASON = click.option("--reason", default=None,
                       help="Why (required, recorded in the ledger), e.g. 企业已注销 or 检查员病假.")
_DRAW = click.option("--draw", "draw_id", type=int, required=True, help="Draw id (see `ledger list`).")


def _reason(reason: str | None) -> str:
    # A missing reason is refused by the library (exit 1, nothing recorded), like a redraw's.
    return reason or ""


@cli.group("amend")
def amend_group() -> None:
    """After the draw: replacement firms and substitute inspectors, by rule and on the record."""


def _echo_rows(result: AmendResult) -> None:
    from inspect_sched.core.amend import REPLACE

    n = result.names
    click.echo(f"draw {result.draw_id}: amendment {result.amendment} recorded (ledger #{result.ledger_sequence}); "
               f"reason: {result.reason}")
    for r in result.rows:
        team = ", ".join(f"{n.get(i, '')}（{i}）" for i in r.team)
        if r.action == REPLACE:
            click.echo(f"  removed    {r.uscc} {n.get(r.uscc, '')}")
            click.echo(f"  replacement {r.replacement} {n.get(r.replacement, '')}")
            click.echo(f"  team       {team}")
        else:
            click.echo(f"  {r.uscc} {n.get(r.uscc, '')}: {r.inspector_id} -> {r.replacement}; team {team}")
    click.echo("  (内部资料，检查前保密) `inspect-sched export --draw "
               f"{result.draw_id} --out DIR` writes assignments-current.csv")


@amend_group.command("replace-firm")
@_DRAW
@click.option("--uscc", required=True, help="The drawn firm that cannot be inspected at all.")
@_REASON
@pass_state
@handle_errors
def replace_firm_cmd(state: AppState, draw_id: int, uscc: str, reason: str | None) -> None:
    """Remove a drawn firm (deregistered, moved away) and draw and staff its replacement.

    The k-th replacement of a stratum is drawn by draw-v1 with n = 1 over the stratum's
    eligible, unselected, not-yet-used firms (stratum name replace/<s>/<k>), and gets the
    least-cost team that keeps every assign-v1 rule given the draw's current teams.

    \b
    Example:
      inspect-sched amend replace-firm --draw 1 --uscc 91430200MA4L0002XG --reason 企业已注销
    """
    from inspect_sched.core.amend import REPLACE
    from inspect_sched.services.amend import amend

    _echo_rows(amend(state.engine(), draw_id, REPLACE, _reason(reason), uscc=uscc.strip()))


@amend_group.command("substitute")
@_DRAW
@click.option("--inspector", "inspector_id", required=True, help="The inspector who cannot serve.")
@click.option("--uscc", "usccs", multiple=True,
              help="Only on these firms (a conflict found at the gate); repeatable. Omit for the whole draw.")
@_REASON
@pass_state
@handle_errors
def substitute_cmd(state: AppState, draw_id: int, inspector_id: str, usccs: tuple[str, ...],
                   reason: str | None) -> None:
    """Replace an inspector on the named firms, or on the whole draw (illness, transfer).

    Firms are handled in the order of assignments-current.csv; each gets the least-cost
    eligible inspector that keeps the department and specialty rules and the load cap.
    Without --uscc the inspector is unavailable for the rest of the draw.

    \b
    Example:
      inspect-sched amend substitute --draw 1 --inspector ZZ4302000001 --reason 病假
      inspect-sched amend substitute --draw 1 --inspector ZZ4302000001 --uscc 91430200MA4L0002XG --reason 近亲属任职
    """
    from inspect_sched.core.amend import SUBSTITUTE, WITHDRAW
    from inspect_sched.services.amend import amend

    reason = _reason(reason)
    if usccs:
        result = amend(state.engine(), draw_id, SUBSTITUTE, reason, inspector_id=inspector_id.strip(),
                       usccs=list(dict.fromkeys(u.strip() for u in usccs)))
    else:
        result = amend(state.engine(), draw_id, WITHDRAW, reason, inspector_id=inspector_id.strip())
    _echo_rows(result)


@amend_group.command("list")
@_DRAW
@pass_state
@handle_errors
def amend_list_cmd(state: AppState, draw_id: int) -> None:
    """The amendment log of a draw, in order (the rows of amendments.csv).

    \b
    Example:
      inspect-sched amend list --draw 1
    """
    from inspect_sched.services.amend import list_amendments

    recorded = list_amendments(state.engine(), draw_id)
    if not recorded:
        click.echo(f"draw {draw_id} has no amendments")
        return
    for a in recorded:
        click.echo(f"#{a.sequence} {a.created_at} {a.action} — {a.reason}")
        for r in a.rows:
            if r.replacement and r.action == "replace-firm":
                click.echo(f"    {r.uscc} -> {r.replacement}  team {';'.join(r.team)}")
            else:
                click.echo(f"    {r.uscc}: {r.inspector_id} -> {r.replacement}  team {';'.join(r.team)}")
