"""The annual report, and the whole cycle it closes: plan → draw → results → publish → report → verify."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner
from helpers import drawn_firms, full_results, results_csv, small_pool
from openpyxl import load_workbook

from inspect_sched.cli import cli
from inspect_sched.store.db import get_engine


def run(url: str, *args: str, code: int = 0) -> str:
    res = CliRunner().invoke(cli, ["--db", url, *args])
    assert res.exit_code == code, f"exit {res.exit_code} != {code}\n{res.output}"
    return res.output


def _summary(path: Path) -> dict[str, object]:
    ws = load_workbook(path)["概况"]
    return {str(k).split(" ")[0]: v for k, v in ws.iter_rows(min_row=3, values_only=True)}


def test_full_cycle_with_redraw(db_url: str, tmp_path: Path) -> None:
    engine = get_engine(db_url)
    pool = small_pool(engine)
    out = run(db_url, "plan", "--period", "2026-12")
    plan_id = re.search(r"^plan (\d+):", out, re.M).group(1)  # type: ignore[union-attr]
    run(db_url, "draw", "--plan", plan_id, "--period", "2026-12", "--seed", "31415926535897932384",
        "--out", str(tmp_path / "d1"))
    out = run(db_url, "draw", "--period", "2026-12", "--seed", "27182818284590452353",
              "--reason", "首次抽取的种子公布有误", "--out", str(tmp_path / "d2"))
    assert "REDRAW of draw 1" in out
    first, second = drawn_firms(engine, 1), drawn_firms(engine, 2)

    # One firm of the superseded draw was visited before the redraw; all of the redraw's are done but one.
    run(db_url, "results", "import", str(results_csv(tmp_path / "r1.csv", full_results(engine, 1)[:1])), "--draw", "1")
    rows2 = full_results(engine, 2)
    run(db_url, "results", "import", str(results_csv(tmp_path / "r2.csv", rows2[:-1])), "--draw", "2")
    run(db_url, "publish", "--draw", "2", "--out", str(tmp_path / "pub"))
    run(db_url, "results", "import", str(results_csv(tmp_path / "r3.csv", rows2[-1:])), "--draw", "2")
    run(db_url, "publish", "--draw", "2", "--out", str(tmp_path / "pub"))

    rep = tmp_path / "rep"
    out = run(db_url, "report", "--year", "2026", "--out", str(rep))
    names = sorted(p.name for p in rep.iterdir())
    assert names == ["report-2026-compliance.png", "report-2026-coverage.png", "report-2026-credit.png",
                     "report-2026-inspectors.png", "report-2026-results.png", "report-2026.xlsx"]
    for p in rep.glob("*.png"):
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 5000

    s = _summary(rep / "report-2026.xlsx")
    assert s["抽取次数（全部）"] == 2
    assert s["抽取次数（有效，未被取代）"] == 1
    assert s["重新抽取次数"] == 1
    # The superseded draw counts only for the firm that has a result (SPEC §2).
    assert s["应检查（抽中）"] == len(second) + 1
    assert s["已检查（已录入结果）"] == len(second) + 1
    assert s["在产企业数"] == pool.firms
    inspected = {f.uscc for f in second} | {first[0].uscc}
    assert s["被检查企业数"] == len(inspected)

    wb = load_workbook(rep / "report-2026.xlsx")
    assert wb.sheetnames == ["概况", "分类统计", "抽取记录", "检查人员", "检查结果", "检查次数", "达标情况"]
    counts = {r[0]: r[1:] for r in wb["检查次数"].iter_rows(min_row=3, values_only=True)}
    # The redraw's firms and the one visited firm of the superseded draw have results; none pending.
    assert counts["双随机"] == (0, len(second) + 1, 0, len(second) + 1)
    table = list(wb["分类统计"].iter_rows(min_row=3, values_only=True))
    cells = [r for r in table if r[1] not in ("合计", None)]
    assert sum(r[2] for r in cells) == pool.firms  # every pool firm in exactly one stratum × credit cell
    assert sum(r[5] for r in cells) == len(second) + 1
    assert table[-1][0] == "合计" and table[-1][6] == len(inspected)
    key_total = next(r for r in table if r[0] == "重点排污单位" and r[1] == "合计")
    assert s["重点排污单位覆盖率"] == key_total[7]
    results = {r[0]: r[1] for r in wb["检查结果"].iter_rows(min_row=3, values_only=True)}
    assert results["责令改正"] == 2 and results["未发现问题"] == len(second) - 1
    load = [r[3] for r in wb["检查人员"].iter_rows(min_row=3, values_only=True)]
    assert len(load) == pool.inspectors and sum(load) == 2 * (len(second) + 1)  # teams of two
    assert s["人均完成检查（最少/中位/最多）"].startswith(f"{min(load)} / ")  # type: ignore[union-attr]

    run(db_url, "ledger", "verify")
    # The same data gives the same files: a report can be re-made and compared.
    again = tmp_path / "rep2"
    run(db_url, "report", "--year", "2026", "--out", str(again))
    for p in rep.iterdir():
        assert (again / p.name).read_bytes() == p.read_bytes(), p.name


def test_year_without_draws(sqlite_url: str, tmp_path: Path) -> None:
    small_pool(get_engine(sqlite_url), firms=12)
    run(sqlite_url, "draw", "--period", "2026-12", "--seed", "1234567890123456789012", "--out", str(tmp_path / "d"))
    run(sqlite_url, "report", "--year", "2025", "--out", str(tmp_path / "rep"))
    s = _summary(tmp_path / "rep" / "report-2025.xlsx")
    assert s["抽取次数（全部）"] == 0 and s["应检查（抽中）"] == 0 and s["在产企业数"] == 12
    out = run(sqlite_url, "report", "--year", "12", "--out", str(tmp_path / "x"), code=1)
    assert "year 12 is out of range" in out


def test_compliance_sheet_names_the_missed_quarter(sqlite_url: str, tmp_path: Path) -> None:
    from helpers import firm_uscc

    small_pool(get_engine(sqlite_url), firms=60)  # key firms: numbers 0, 6, ..., 54 (10); special 7, 22, 37, 52
    key = [firm_uscc(6 * k) for k in range(10)]
    visits = {"03-10": key[0:3], "05-12": key[3:5], "08-20": key[5:8], "11-05": [key[8], key[9], key[0]]}
    lines = ["uscc,date,kind,inspector_ids"]
    for day, firms in visits.items():
        lines += [f"{u},2025-{day},random," for u in firms]
    lines += [f"{firm_uscc(7)},2025-06-01,special,", f"{firm_uscc(1)},2025-06-02,complaint,"]
    hist = tmp_path / "history.csv"
    hist.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run(sqlite_url, "import", "history", str(hist))
    policy = tmp_path / "policy.toml"
    policy.write_text('[minimum]\nkey = "0.25"\n', encoding="utf-8")
    rep = tmp_path / "rep"
    run(sqlite_url, "report", "--year", "2025", "--policy", str(policy), "--out", str(rep))
    wb = load_workbook(rep / "report-2025.xlsx")
    rows = {(r[0], r[1]): r[2:] for r in wb["达标情况"].iter_rows(min_row=4, values_only=True)}
    # Q1 3/10, Q2 2/10 (missed: below 25%), Q3 3/10, Q4 3/10; every key firm once in the year.
    assert rows[("第1季度", "重点排污单位")] == (10, 3, "30.0%", "≥ 25%", "✓ 达标")
    assert rows[("第2季度", "重点排污单位")] == (10, 2, "20.0%", "≥ 25%", "✗ 未达标")
    assert rows[("第3季度", "重点排污单位")][-1] == "✓ 达标"
    assert rows[("第4季度", "重点排污单位")][-1] == "✓ 达标"
    assert rows[("全年", "重点排污单位")] == (10, 10, "100.0%", "全部 100%", "✓ 达标")
    # No minimum for general firms: the ratio is shown, nothing is judged.
    assert rows[("第1季度", "一般排污单位")][-2:] == ("—", "—")
    # Special objects must all be checked in the year (full_coverage); a special check is no random one.
    assert rows[("全年", "特殊监管对象")] == (4, 0, "0.0%", "全部 100%", "✗ 未达标")
    counts = {r[0]: r[1:] for r in wb["检查次数"].iter_rows(min_row=3, values_only=True)}
    assert counts["双随机"] == (11, 0, 0, 11) and counts["专项"] == (1, 0, 0, 1)
    assert counts["信访/投诉"] == (1, 0, 0, 1) and counts["合计"] == (13, 0, 0, 13)

    # Without the missed quarter's shortfall the line turns green: the check can fail and pass.
    lines.append(f"{key[9]},2025-04-01,random,")
    hist.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run(sqlite_url, "import", "history", str(hist))
    run(sqlite_url, "report", "--year", "2025", "--policy", str(policy), "--out", str(rep))
    wb = load_workbook(rep / "report-2025.xlsx")
    rows = {(r[0], r[1]): r[2:] for r in wb["达标情况"].iter_rows(min_row=4, values_only=True)}
    assert rows[("第2季度", "重点排污单位")] == (10, 3, "30.0%", "≥ 25%", "✓ 达标")


def test_charts_in_chinese_when_a_cjk_font_exists_else_a_warning(sqlite_url: str, tmp_path: Path,
                                                                 monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import os

    from inspect_sched.outputs import report

    small_pool(get_engine(sqlite_url), firms=12)
    if os.environ.get("CI") == "true":
        assert report._cjk_font() is not None, "CI installs fonts-noto-cjk: the charts must be in Chinese"
    out = run(sqlite_url, "report", "--year", "2026", "--out", str(tmp_path / "a"))
    assert ("warning: no CJK font" in out) == (report._cjk_font() is None)
    monkeypatch.setattr(report, "_cjk_font", lambda: None)
    out = run(sqlite_url, "report", "--year", "2026", "--out", str(tmp_path / "b"))
    assert "warning: no CJK font installed: the charts use English labels" in out
    assert (tmp_path / "b" / "report-2026-compliance.png").stat().st_size > 5000
