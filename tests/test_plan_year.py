"""plan-year: the annual inspection plan (年度抽查计划) from the current pools and the policy."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from click.testing import CliRunner
from helpers import small_pool
from openpyxl import load_workbook
from sqlalchemy import update
from sqlmodel import Session

from inspect_sched.cli import cli
from inspect_sched.store.db import get_engine
from inspect_sched.store.models import Enterprise, Inspector, PositiveListEntry


def run(url: str, *args: str, code: int = 0) -> str:
    res = CliRunner().invoke(cli, ["--db", url, *args])
    assert res.exit_code == code, f"exit {res.exit_code} != {code}\n{res.output}"
    assert "Traceback" not in res.output
    return res.output


def test_plan_year_sizes_staff_ratio_and_capacity(sqlite_url: str, tmp_path: Path) -> None:
    engine = get_engine(sqlite_url)
    # 60 firms: key 0, 6, ..., 54 (10); special 7, 22, 37, 52 (4); general 46. 9 inspectors, one per district.
    small_pool(engine, firms=60, inspectors_per_district=1)
    with Session(engine) as s:
        # One inspector's certificate ends mid-June: from June on, one fewer is available.
        s.execute(update(Inspector).where(Inspector.inspector_id == "ZZ4302000000")
                  .values(cert_valid_until=dt.date(2027, 6, 15)))
        s.execute(update(Enterprise).where(Enterprise.id == 2).values(status="closed"))  # a general firm
        s.add(PositiveListEntry(uscc="914302000000000005", start=dt.date(2027, 7, 1), end=dt.date(2030, 6, 30)))
        s.commit()
    policy = tmp_path / "p.toml"
    policy.write_text('max_per_inspector = 2\n[staff_ratio]\ngeneral = "2.5"\n', encoding="utf-8")
    out = run(sqlite_url, "plan-year", "--year", "2027", "--policy", str(policy), "--out", str(tmp_path / "plan"))
    wb = load_workbook(tmp_path / "plan" / "plan-2027.xlsx")
    rows = list(wb["年度计划"].iter_rows(min_row=4, values_only=True))
    cell = {(r[1], r[2]): (r[3], r[4]) for r in rows if r[1] != "全年"}
    # key 10 firms (one of them on the positive list from July: 9) at 25% per monthly draw: ceil(2.5) = 3, ceil(2.25) = 3.
    assert cell[("1月", "重点排污单位")] == (10, 3) and cell[("7月", "重点排污单位")] == (9, 3)
    # general: 45 active; staff ratio 1 : 2.5 with 9 inspectors in January → ceil(22.5) = 23 a year,
    # spread 2 a month with the remaining 11 in January–November.
    general = [cell[(f"{m}月", "一般排污单位")] for m in range(1, 13)]
    assert [g[0] for g in general] == [45] * 12
    assert [g[1] for g in general] == [2] * 11 + [1] and sum(g[1] for g in general) == 23
    # special: 4 firms, full coverage spread over the year: one in each of the first four months.
    assert [cell[(f"{m}月", "特殊监管对象")][1] for m in range(1, 13)] == [1, 1, 1, 1] + [0] * 8
    total = next(r for r in rows if r[1] == "全年")
    assert total[4] == 12 * 3 + 23 + 4

    cap = {r[0]: r[1:] for r in wb["人员能力"].iter_rows(min_row=4, values_only=True)}
    # January: (3 + 2 + 1) × team of 2 = 12 visits needed; 9 inspectors × 2 = 18 available.
    assert cap["1月"] == (12, 9, 18, "✓ 足够")
    # June: 8 inspectors certified through 30 June; (3 + 2 + 0) × 2 = 10 visits needed ≤ 8 × 2.
    assert cap["6月"] == (10, 8, 16, "✓ 足够")
    assert "capacity sufficient every month" in out

    # One inspection per inspector a month is not enough: the shortfall is named.
    policy.write_text('max_per_inspector = 1\n[staff_ratio]\ngeneral = "2.5"\n', encoding="utf-8")
    out = run(sqlite_url, "plan-year", "--year", "2027", "--policy", str(policy), "--out", str(tmp_path / "plan"))
    assert "SHORT in 1月, 2月, 3月, 4月, 5月, 6月, 7月, 8月, 9月, 10月, 11月" in out
    cap = {r[0]: r[1:] for r in load_workbook(tmp_path / "plan" / "plan-2027.xlsx")["人员能力"]
           .iter_rows(min_row=4, values_only=True)}
    assert cap["1月"] == (12, 9, 9, "✗ 不足") and cap["12月"] == (8, 8, 8, "✓ 足够")
    page = (tmp_path / "plan" / "plan-2027.html").read_text("utf-8")
    assert "2027年度“双随机、一公开”抽查计划" in page and "@page { size: A4 landscape" in page
    assert page.count("<td class=\"bad\">✗</td>") == 11


def test_plan_year_rejects_bad_input(sqlite_url: str, tmp_path: Path) -> None:
    out = run(sqlite_url, "plan-year", "--year", "12", "--out", str(tmp_path / "p"), code=1)
    assert "year 12 is out of range" in out
    bad = tmp_path / "bad.toml"
    bad.write_text('[staff_ratio]\ngeneral = "-1"\n', encoding="utf-8")
    out = run(sqlite_url, "plan-year", "--year", "2027", "--policy", str(bad), "--out", str(tmp_path / "p"), code=1)
    assert "staff_ratio.general" in out and "positive" in out
    assert not (tmp_path / "p").exists()
