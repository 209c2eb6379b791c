"""Commands: fixtures (synthetic pools for trying the tool out)."""

from __future__ import annotations

from pathlib import Path

import click

from inspect_sched.cli.base import cli, handle_errors


@cli.group("fixtures")
def fixtures_group() -> None:
    """Synthetic pools (株洲市) for demos and tests."""


@fixtures_group.command("generate")
@click.option("--enterprises", "n_firms", type=click.IntRange(min=1), default=3000, show_default=True,
              help="Number of firms in the enterprise pool (检查对象名录库).")
@click.option("--inspectors", "n_inspectors", type=click.IntRange(min=2, max=200_000), default=235, show_default=True,
              help="Number of inspectors in the inspector pool (执法检查人员名录库).")
@click.option("--seed", default="20261201", show_default=True,
              help="Any string; the same seed gives byte-identical files.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("fixtures"),
              show_default=True, help="Folder to write (created if needed; files of the same names are replaced).")
@click.option("--partner-staff", type=click.IntRange(min=0, max=100_000), default=None,
              help="市场监管 joint-check staff added to the inspector pool, in the city bureau and every "
                   "district's branch (default: 40 per 235 inspectors; 0 for none). They come from a "
                   "stream of their own: the other rows do not change with this number.")
@handle_errors
def generate_cmd(n_firms: int, n_inspectors: int, seed: str, out: Path, partner_staff: int | None) -> None:
    """Write deterministic synthetic pools with Faker (zh_CN) for 株洲市.

    Writes enterprises.csv, inspectors.csv, positive_list.csv, conflicts.csv and
    history.csv (UTF-8 with BOM, Chinese headers), enterprises.xlsx, inspectors.xlsx and a
    GBK copy enterprises-gbk.csv. The defaults reproduce the bundled fixtures/ folder.

    \b
    Example:
      inspect-sched fixtures generate --enterprises 3000 --inspectors 235 --seed 20261201 --out fixtures
      inspect-sched import enterprises fixtures/enterprises.csv
      inspect-sched fixtures generate --enterprises 100000 --inspectors 3000 --partner-staff 0 --out province
    """
    from inspect_sched.synth.fakedata import generate

    summary = generate(n_firms, n_inspectors, seed, out, partner_staff)
    click.echo(f"wrote {len(summary.files)} files to {summary.out} (seed {summary.seed!r}):")
    for name, rows in summary.files.items():
        click.echo(f"  {name}: {rows} rows")
    if not summary.gbk_written:
        click.echo("  (no enterprises-gbk.csv: some value is not encodable in GBK)")
