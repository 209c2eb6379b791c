"""Commands: draws."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

from inspect_sched.cli.base import AppState, cli, handle_errors, pass_state  # noqa: F401
from inspect_sched.errors import VerificationError
from inspect_sched.io.text import printable

if TYPE_CHECKING:
    from inspect_sched.core.derive import StratumSummary

_F = TypeVar("_F", bound=Callable[..., object])

_PLAN_OPTIONS = [
    click.option("--policy", "policy_path", type=click.Path(dir_okay=False), default=None,
                 help="Policy TOML (SPEC §3); the built-in default when omitted."),
    click.option("--task", default=None, help="Task name (抽查任务); the policy's task by default."),
    click.option("--filter", "filters", multiple=True, metavar="K=V",
                 help="Only firms with K in V (district, category, tag, industry, credit, risk); repeatable."),
    click.option("--departments", default=None, metavar="D1,D2",
                 help="Departments of a joint task (部门联合抽查); default 生态环境."),
]


def _plan_options(fn: _F) -> _F:
    for opt in reversed(_PLAN_OPTIONS):
        fn = opt(fn)
    return fn


def _echo_strata(strata: Mapping[str, StratumSummary]) -> None:
    click.echo(f"  {'stratum':<8} {'eligible':>8} {'excluded':>8} {'drawn':>6}  excluded by reason")
    for name, s in strata.items():
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(s.excluded.items())) or "-"
        click.echo(f"  {name:<8} {s.eligible:>8} {sum(s.excluded.values()):>8} {s.sample_size:>6}  {reasons}")


@cli.group("plan", invoke_without_command=True)
@click.option("--period", default=None, help="YYYY-MM or YYYY-Qn.")
@_plan_options
@click.pass_context
@handle_errors
def plan_cmd(ctx: click.Context, period: str | None, policy_path: str | None, task: str | None,
             filters: tuple[str, ...], departments: str | None) -> None:
    """Freeze the frame and probabilities; print the commitment hash to publish before the seed.

    `plan list` and `plan show ID` show the stored plans. A plan is used by one draw only,
    and becomes stale (refused) when a later draw touches a firm of its frame.

    \b
    Example:
      inspect-sched plan --period 2026-12
      inspect-sched plan --period 2026-Q4 --filter category=key --task 重点排污单位季度抽查
      inspect-sched plan list
    """
    if ctx.invoked_subcommand is not None:
        if period or policy_path or task or filters or departments:
            raise click.UsageError(f"`plan {ctx.invoked_subcommand}` takes no --period/--policy/--task/--filter")
        return
    if period is None:
        raise click.UsageError("give --period P to make a plan (or `plan list`, `plan show ID`)")
    from inspect_sched.cli.parsing import parse_departments, parse_filters
    from inspect_sched.services.draws import build_spec, make_plan

    state = ctx.find_object(AppState)
    assert state is not None  # set by the root group
    spec = build_spec(period, policy_path, task, parse_filters(filters), parse_departments(departments))
    result = make_plan(state.engine(), spec)
    click.echo(f"plan {result.plan_id}: {spec.task}, period {spec.period.label}")
    _echo_strata(result.strata)
    for w in result.warnings:
        click.echo(f"warning: {w}", err=True)
    click.echo(f"commitment: {result.commitment}")
    click.echo(f"Publish the commitment now; then draw with: inspect-sched draw --plan {result.plan_id} "
               "--period " + spec.period.label + " --seed <public seed> --out DIR")


@plan_cmd.command("list")
@pass_state
@handle_errors
def plan_list_cmd(state: AppState) -> None:
    """Every stored plan: id, period, task, commitment, created, used by which draw.

    \b
    Example:
      inspect-sched plan list
    """
    from inspect_sched.services.draws import list_plans

    rows = list_plans(state.engine())
    if not rows:
        click.echo("no plans yet: `inspect-sched plan --period P` makes one")
    for p in rows:
        used = f"used by draw {p.used_by}" if p.used_by else "unused"
        click.echo(f"plan {p.plan_id} {p.period} {printable(p.task)} created {p.created_at} "
                   f"commitment {p.commitment} {used}")


@plan_cmd.command("show")
@click.argument("plan_id", type=int)
@pass_state
@handle_errors
def plan_show_cmd(state: AppState, plan_id: int) -> None:
    """One plan in full: period, task, filters, departments, commitment, frozen files, use.

    \b
    Example:
      inspect-sched plan show 3
    """
    from inspect_sched.services.draws import show_plan

    p = show_plan(state.engine(), plan_id)
    click.echo(f"plan {p.plan_id}")
    click.echo(f"  period:      {p.period}")
    click.echo(f"  task:        {printable(p.task)}")
    click.echo(f"  filters:     {printable(p.filters) or '-'}")
    click.echo(f"  departments: {printable(p.departments)}")
    click.echo(f"  created:     {p.created_at}")
    click.echo(f"  commitment:  {p.commitment}")
    click.echo(f"  used by:     {'draw ' + str(p.used_by) if p.used_by else 'no draw yet'}")
    for name, digest in p.files:
        click.echo(f"  {name}  sha256 {digest}")


@cli.command("draw")
@click.option("--period", required=True, help="YYYY-MM or YYYY-Qn.")
@click.option("--seed", required=True,
              help="1–200 printable characters, no '|'. Use ≥ 20 digits from a public source; 'auto' draws one.")
@click.option("--plan", "plan_id", type=int, default=None, help="Use a frozen plan (from `plan`).")
@_plan_options
@click.option("--reason", default=None, metavar="TEXT",
              help="Why the period and task are drawn again (required for a redraw; shown publicly).")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="New folder for the bundle.")
@pass_state
@handle_errors
def draw_cmd(state: AppState, period: str, seed: str, plan_id: int | None, policy_path: str | None,
             task: str | None, filters: tuple[str, ...], departments: str | None, reason: str | None,
             out: str) -> None:
    """Draw firms, assign inspectors, record the draw in the ledger and write its bundle.

    \b
    Example:
      inspect-sched draw --period 2026-12 --seed 20261201093015482736 --out draws/2026-12
      inspect-sched draw --plan 3 --period 2026-12 --seed 0417263541987263 --out draws/2026-12
      inspect-sched draw --period 2026-12 --seed 5513 --reason "计划被撤销后重新抽取" --out draws/2026-12b
    """
    from inspect_sched.cli.parsing import parse_departments, parse_filters
    from inspect_sched.services.draws import auto_seed, build_spec, make_draw

    if plan_id is not None and (policy_path or task or filters or departments):
        raise click.UsageError("--plan fixes the policy, task, filters and departments; do not give them again")
    if seed == "auto":
        seed = auto_seed()
        click.echo(f"seed {seed} drawn with `secrets`: NOT publicly verifiable; prefer a public seed.", err=True)
    engine = state.engine()
    if plan_id is not None:
        result = make_draw(engine, seed, out, plan_id=plan_id, period=period, reason=reason)
    else:
        spec = build_spec(period, policy_path, task, parse_filters(filters), parse_departments(departments))
        result = make_draw(engine, seed, out, spec=spec, reason=reason)
    for w in result.warnings:
        click.echo(f"warning: {w}", err=True)
    d = result.derivation
    redraw = f" — REDRAW of draw {result.redraw_of} (reason: {reason})" if result.redraw_of else ""
    click.echo(f"draw {result.draw_id} (ledger #{result.sequence}){redraw}: {d.spec.task}, {d.spec.period.label}")
    _echo_strata(d.strata)
    a = d.assignment
    click.echo(f"  {len(d.sample)} firms drawn; teams assigned ({a.solver}, {a.status}, objective {a.objective})")
    click.echo(f"  bundle: {Path(result.out)}  (内部资料，检查前保密)")
    click.echo(f"  manifest sha256: {result.manifest_sha256}")


@cli.command("verify")
@click.argument("bundle", type=click.Path(exists=True, file_okay=False))
@handle_errors
def verify_cmd(bundle: str) -> None:
    """Re-derive a bundle from its own files; print `verified` or list every difference.

    \b
    Example:
      inspect-sched verify draws/2026-12
    """
    from inspect_sched.audit.verify import verify_report

    report = verify_report(bundle)
    if report.problems:
        raise VerificationError([f"{bundle}: {len(report.problems)} difference(s):",
                                 *(f"  {printable(p)}" for p in report.problems)])
    click.echo("verified")
    # What an outsider compares with what was published (SPEC §9).
    for line in report.published_values():
        click.echo(line)
    for note in report.notes:
        click.echo(note)


@cli.command("auditor-kit")
@click.option("--out", required=True, type=click.Path(file_okay=False),
              help="Folder to write inspect-sched-verify.pyz into (created if missing).")
@handle_errors
def auditor_kit_cmd(out: str) -> None:
    """Write inspect-sched-verify.pyz: `verify` for auditors, standard library only (SPEC §11).

    The zipapp holds the very modules `verify` runs; it checks hashes, frame, π, sample,
    every assignment rule and the optimality certificate without OR-Tools or any install.
    The file is reproducible: compare its SHA-256 with the one published with the release.

    \b
    Example:
      inspect-sched auditor-kit --out kit
      python3 -I -S kit/inspect-sched-verify.pyz draws/2026-12
    """
    from inspect_sched.audit.kit import build_kit

    path, digest = build_kit(out)
    click.echo(f"auditor's kit: {path}")
    click.echo(f"sha256: {digest}")
    click.echo(f"run: python3 -I -S {path} BUNDLE")


@cli.command("export")
@click.option("--draw", "draw_id", type=int, required=True, help="Draw id (see `ledger list`).")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="New folder for the bundle.")
@pass_state
@handle_errors
def export_cmd(state: AppState, draw_id: int, out: str) -> None:
    """Write a recorded draw's bundle again, byte for byte, from the database.

    \b
    Example:
      inspect-sched export --draw 3 --out copy-of-draw-3
    """
    from inspect_sched.services.draws import export_bundle

    click.echo(f"bundle of draw {draw_id} written to {export_bundle(state.engine(), draw_id, out)}")


@cli.group("ledger")
def ledger_group() -> None:
    """The hash-chained ledger of every draw ever made."""


@ledger_group.command("list")
@pass_state
@handle_errors
def ledger_list_cmd(state: AppState) -> None:
    """Every ledger entry in order: draws (with redraw marker) and results imports.

    \b
    Example:
      inspect-sched ledger list
    """
    from inspect_sched.audit.ledger_view import ledger_rows

    rows = ledger_rows(state.engine())
    if not rows:
        click.echo("the ledger is empty: no draw has been made")
        return
    from inspect_sched.cli.format import ledger_row

    for r in rows:
        click.echo(ledger_row(r))


def _head_hash(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from inspect_sched.cli.parsing import parse_head_hash  # lazily: --help stays fast

    return parse_head_hash(ctx, param, value)


@ledger_group.command("verify")
@click.option("--head", "head", default=None, metavar="HASH", callback=_head_hash,
              help="A head hash published earlier (`ledger head`): fail if it is no longer in the chain.")
@pass_state
@handle_errors
def ledger_verify_cmd(state: AppState, head: str | None) -> None:
    """Recompute the hash chain and check every stored draw and plan against it.

    \b
    Example:
      inspect-sched ledger verify
      inspect-sched ledger verify --head 3f9c0d…  (the hash published after the last draw)
    """
    from inspect_sched.services.ledger import verify_ledger

    problems, count = verify_ledger(state.engine(), head)
    if problems:
        raise VerificationError([f"ledger: {len(problems)} problem(s):", *(f"  {printable(p)}" for p in problems)])
    click.echo(f"ledger verified: {count} entries, chain intact")
    if head:
        from inspect_sched.services.ledger import head_position

        at = head_position(state.engine(), head)
        later = ""
        if at is not None and at < count:
            added = f"entry {count} was" if at + 1 == count else f"entries {at + 1}–{count} were"
            later = f"; {added} added after it, and only a head published later pins them"
        click.echo(f"published head {head} is in the chain (entry #{at}){later}")


@ledger_group.command("head")
@pass_state
@handle_errors
def ledger_head_cmd(state: AppState) -> None:
    """Print the latest entry's hash: publish it, so that removing later entries shows.

    \b
    Example:
      inspect-sched ledger head
      inspect-sched ledger verify --head <the printed hash>
    """
    from inspect_sched.audit.ledger_view import ledger_head

    sequence, digest = ledger_head(state.engine())
    click.echo(f"{digest}  (entry #{sequence})")


@cli.command("demo")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="New folder for the demo's database, bundle and public sheet [default: a new folder here].")
@click.option("--fixtures", type=click.Path(exists=True, file_okay=False), default=None,
              help="Folder of pool files [default: the bundled fixtures/].")
@handle_errors
def demo_cmd(out: str | None, fixtures: str | None) -> None:
    """The main job on a fresh embedded database and the bundled synthetic city.

    Imports the pools, freezes a plan for 2026-12, draws with a fixed public-style seed,
    assigns inspectors, verifies the bundle and the ledger, and writes a sample public sheet.

    \b
    Example:
      inspect-sched demo
      inspect-sched demo --out /tmp/demo
    """
    from inspect_sched.services.demo import DEMO_SEED, run_demo

    r = run_demo(out, fixtures)
    click.echo(f"demo folder: {r.out}  (database {r.db_url})")
    for label, s in r.imported:
        click.echo(f"  imported {label}: {s.total:,} rows")
    assert r.plan is not None and r.draw is not None
    click.echo(f"plan {r.plan.plan_id} committed: {r.plan.commitment}")
    d = r.draw.derivation
    click.echo(f"draw {r.draw.draw_id}, period {d.spec.period.label}, seed {DEMO_SEED}:")
    _echo_strata(d.strata)
    a = d.assignment
    click.echo(f"  {len(d.sample)} firms drawn, teams of {d.spec.policy.team_size} assigned "
               f"({a.solver}, {a.status}, objective {a.objective})")
    click.echo(f"bundle: {r.draw.out}  — verify: {'verified' if not r.bundle_problems else r.bundle_problems}")
    if r.results is not None:
        click.echo("simulated results (dated today, so outside the period: the demo runs ahead of time):")
        from inspect_sched.cli.format import results_summary

        click.echo("  " + results_summary(r.results).splitlines()[0])
    click.echo(f"ledger: {'verified' if not r.ledger_problems else r.ledger_problems}")
    for p in r.public_files:
        if "-v" not in p.stem:  # the latest copies; version 1 has the same bytes
            click.echo(f"public sheet (一公开): {p}")
    if r.bundle_problems or r.ledger_problems:
        raise click.ClickException("the demo's own checks failed; this is a bug, please report it")
