"""Every cell of the public sheet (一公开) comes from the one source SPEC §6 allows for it.

The leak test in test_results_publish.py looks for words that must not appear; this one
looks at each cell and says what it must be, so that anything added to a cell (the stratum
in 抽查任务, a grade in 抽查对象名称, an internal id in 检查人员) fails. CSV, XLSX and HTML
are all checked, on both backends, through the CLI.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from helpers import cli_ok, drawn_firms, results_csv, small_pool, today_cn
from openpyxl import load_workbook
from sqlmodel import Session, select

from inspect_sched.outputs.publish import PUBLIC_COLUMNS
from inspect_sched.store.db import get_engine
from inspect_sched.store.models import Enterprise, Inspector

TASK = "日常双随机抽查"


class _Table(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("tr",):
            self.rows.append([])
        if tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append("".join(self.cell))
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def _table(rows: list[list[str]]) -> list[dict[str, str]]:
    """The rows under the header row (the one that starts with 序号), as dicts."""
    at = next(i for i, r in enumerate(rows) if r and r[0] == "序号")
    header = rows[at]
    assert header == PUBLIC_COLUMNS
    return [dict(zip(header, r, strict=True)) for r in rows[at + 1:] if r]


def test_every_public_cell_matches_its_allowed_source(db_url: str, tmp_path: Path) -> None:
    engine = get_engine(db_url)
    small_pool(engine)
    policy = tmp_path / "policy.toml"
    policy.write_text('authority = "株洲市生态环境局"\n', "utf-8")
    out = cli_ok(db_url, "draw", "--period", "2026-12", "--seed", "20261201093015482736",
                 "--policy", str(policy), "--out", str(tmp_path / "bundle"))
    assert out.startswith("draw 1 ")
    firms = drawn_firms(engine, 1)
    # Varied results: another team for one firm, measures for some, a free-text result.
    rows = []
    for k, f in enumerate(firms):
        rows.append({"uscc": f.uscc, "date": today_cn(), "result": ["未发现问题", "责令改正", "其他：整改中"][k % 3],
                     "measures": "下达责令改正违法行为决定书" if k % 3 == 1 else "",
                     "inspector_ids": "ZZ4302000004;ZZ4302000003" if k == 0 else ""})
    cli_ok(db_url, "results", "import", str(results_csv(tmp_path / "r.csv", rows)), "--draw", "1")
    pub = tmp_path / "pub"
    cli_ok(db_url, "publish", "--draw", "1", "--out", str(pub), "--format", "csv,xlsx,html")

    manifest = json.loads((tmp_path / "bundle" / "manifest.json").read_text("utf-8"))
    with Session(engine) as s:
        names = {e.uscc: e.name for e in s.exec(select(Enterprise))}
        people = {i.inspector_id: i.name for i in s.exec(select(Inspector))}
    by_uscc = {r["uscc"]: r for r in rows}
    team = {f.uscc: (by_uscc[f.uscc]["inspector_ids"] or f.inspector_ids) for f in firms}

    def expected(n: int, uscc: str) -> dict[str, str]:
        r = by_uscc[uscc]
        ids = sorted(team[uscc].split(";"))
        return {
            "序号": str(n),
            "抽查任务": TASK,  # exactly the task name: no stratum, no mode
            "检查实施机关": "株洲市生态环境局",  # the draw's own policy, nothing added
            "抽查事项": "、".join(manifest["policy"]["items"]),
            "抽查对象名称": names[uscc],
            "统一社会信用代码": uscc,
            "检查日期": r["date"],
            "检查人员（姓名、执法证号）": "、".join(f"{people[i]}（{i}）" for i in ids),
            "检查结果": r["result"],
            "处理措施": r["measures"],
        }

    want = [expected(n, u) for n, u in enumerate(sorted(by_uscc), start=1)]
    assert manifest["task"] == TASK and len(want) == len(firms) > 3

    raw = (pub / "public-draw-1.csv").read_bytes().decode("utf-8-sig")
    from_csv = _table(list(csv.reader(io.StringIO(raw))))
    ws = load_workbook(pub / "public-draw-1.xlsx").active
    preamble = [str(row[0]) for row in ws.iter_rows(values_only=True) if row[0] is not None]
    preamble = preamble[:preamble.index("序号")]
    # Header facts, each a whole line from its source (the draw record), nothing appended.
    assert "是否重新抽取：否" in preamble and f"抽查任务：{TASK}" in preamble
    assert "随机种子：20261201093015482736" in preamble
    # The policy's body, as written: nothing about staff units, no joint-departments line.
    assert [line for line in preamble if line.startswith(("检查实施机关", "联合抽查部门"))] == ["检查实施机关：株洲市生态环境局"]
    def text(v: object) -> str:  # a typed date cell reads as the date it holds
        return "" if v is None else v.date().isoformat() if isinstance(v, dt.datetime) else str(v)

    from_xlsx = _table([[text(v) for v in row] for row in ws.iter_rows(values_only=True)])
    parser = _Table()
    parser.feed((pub / "public-draw-1.html").read_text("utf-8"))
    from_html = _table(parser.rows)
    for fmt, got in (("csv", from_csv), ("xlsx", from_xlsx), ("html", from_html)):
        for w, g in zip(want, got, strict=True):
            assert set(g) == set(w), (fmt, "a column without a rule here: add its allowed source")
            assert g == w, (fmt, w["统一社会信用代码"])
    # The machine-readable header (public-draw-1.json): each fact from the draw record, no more.
    header = json.loads((pub / "public-draw-1.json").read_text("utf-8"))
    manifest_sha = hashlib.sha256((tmp_path / "bundle" / "manifest.json").read_bytes()).hexdigest()
    assert header == {
        "format": "inspect-sched/public-sheet-v1", "title": "2026年12月 生态环境“双随机、一公开”抽查结果公示",
        "draw_id": 1, "ledger_sequence": manifest["sequence"], "period": "2026-12", "period_first_day": "2026-12-01",
        "period_last_day": "2026-12-31", "task": TASK, "authority": ["株洲市生态环境局"],
        "seed": "20261201093015482736", "manifest_sha256": manifest_sha, "redraw_of": None, "redraw_reason": None,
        "superseded_by": None, "version": 1, "published_on": header["published_on"], "published": len(firms),
        "pending": 0, "columns": PUBLIC_COLUMNS}
    assert dt.date.fromisoformat(header["published_on"]) >= dt.date(2026, 1, 1)


def _drawn(db_url: str, tmp_path: Path) -> list:
    engine = get_engine(db_url)
    small_pool(engine)
    cli_ok(db_url, "draw", "--period", "2026-12", "--seed", "20261201093015482736", "--out", str(tmp_path / "b"))
    return drawn_firms(engine, 1)


def test_publish_names_no_firm_before_its_result(db_url: str, tmp_path: Path) -> None:
    """No results: publish refuses and names no drawn firm. Some results: only those firms
    are on the sheet, and the rest are counted, never named."""
    from click.testing import CliRunner

    from inspect_sched.cli import cli

    firms = _drawn(db_url, tmp_path)
    codes = [f.uscc for f in firms]
    assert len(codes) > 3
    r = CliRunner().invoke(cli, ["--db", db_url, "publish", "--draw", "1", "--out", str(tmp_path / "p")])
    assert r.exit_code == 1 and " ".join(r.output.split()) == (
        f"Error: draw 1: no results recorded yet ({len(codes)} firms drawn), so there is nothing to publish; import "
        "results with `inspect-sched results import FILE --draw 1` and publish again (firms are never named before "
        "their inspection)")
    # A library caller (no CLI) reads the plain message; the CLI words it from the hint.
    from inspect_sched.errors import InspectSchedError
    from inspect_sched.outputs.publish import build_sheet

    with Session(get_engine(db_url)) as s, pytest.raises(InspectSchedError) as exc:
        build_sheet(s, 1, 1, dt.date(2027, 1, 5))
    assert str(exc.value) == (
        f"draw 1: no results recorded yet ({len(codes)} firms drawn), so there is nothing to publish; "
        "import results and publish again (firms are never named before their inspection)")
    assert exc.value.hint == "nothing_to_publish" and exc.value.hint_args == {"draw_id": 1, "drawn": len(codes)}
    assert not [u for u in codes if u in r.output]
    done = [{"uscc": u, "date": today_cn(), "result": "未发现问题", "measures": "", "inspector_ids": ""}
            for u in codes[:2]]
    cli_ok(db_url, "results", "import", str(results_csv(tmp_path / "r.csv", done)), "--draw", "1")
    out = cli_ok(db_url, "publish", "--draw", "1", "--out", str(tmp_path / "p"), "--format", "csv,xlsx,html")
    assert f"; {len(codes) - 2} still pending (not named)" in out
    for p in (tmp_path / "p").iterdir():
        text = p.read_bytes().decode("utf-8", "replace") if p.suffix != ".xlsx" else str(
            [c for row in load_workbook(p).active.iter_rows(values_only=True) for c in row])
        assert [u for u in codes if u in text] in (codes[:2], []), p.name  # [] : a sidecar without rows
    raw = (tmp_path / "p" / "public-draw-1.csv").read_bytes().decode("utf-8-sig")
    assert [row["统一社会信用代码"] for row in _table(list(csv.reader(io.StringIO(raw))))] == codes[:2]


def test_an_inspector_in_no_pool_is_shown_by_id(db_url: str, tmp_path: Path) -> None:
    """A result's inspector who is neither in the draw's frozen pool nor in today's pool (added
    after the draw, then removed) still appears on the sheet, by the id alone; one who left
    today's pool is named from the draw's frozen pool."""
    from sqlalchemy import delete

    firms = _drawn(db_url, tmp_path)
    engine = get_engine(db_url)
    with Session(engine) as s:
        s.add(Inspector(inspector_id="ZZ43029999", name="新调入人员", unit="支队", district="攸县",
                        cert_valid_until=dt.date(2030, 12, 31)))
        s.commit()
    first = firms[0]
    other = sorted(first.inspector_ids.split(";"))[0]
    rows = [{"uscc": f.uscc, "date": today_cn(), "result": "未发现问题", "measures": "",
             "inspector_ids": f"ZZ43029999;{other}" if f is first else ""} for f in firms]
    cli_ok(db_url, "results", "import", str(results_csv(tmp_path / "r.csv", rows)), "--draw", "1")
    with Session(engine) as s:
        names = {i.inspector_id: i.name for i in s.exec(select(Inspector))}
        # Both leave today's pool: `other` is still named from the draw's frozen pool.
        s.exec(delete(Inspector).where(Inspector.inspector_id.in_(["ZZ43029999", other])))
        s.commit()
    cli_ok(db_url, "publish", "--draw", "1", "--out", str(tmp_path / "p"), "--format", "csv")
    raw = (tmp_path / "p" / "public-draw-1.csv").read_bytes().decode("utf-8-sig")
    table = _table(list(csv.reader(io.StringIO(raw))))
    cell = next(r for r in table if r["统一社会信用代码"] == first.uscc)["检查人员（姓名、执法证号）"]
    assert cell in (f"{names[other]}（{other}）、ZZ43029999", f"ZZ43029999、{names[other]}（{other}）")


def _preamble(path: Path) -> list[str]:
    lines = [str(row[0]) for row in load_workbook(path).active.iter_rows(values_only=True) if row[0] is not None]
    return lines[:lines.index("序号")]


def test_replacement_removed_firm_and_superseded_draw_on_the_sheet(db_url: str, tmp_path: Path) -> None:
    """SPEC §7 on the public sheet: a replacement is marked 补充抽取; the removed firm (no result
    of its own) is neither listed, named nor pending; with no authority in the policy the fact says
    so (naming the checking staff's units); a draw superseded by a redraw says so above its table."""
    from helpers import draw

    engine = get_engine(db_url)
    small_pool(engine)
    draw(engine, tmp_path / "a")
    firms = drawn_firms(engine, 1)
    victim, other = firms[0], firms[1]
    cli_ok(db_url, "amend", "replace-firm", "--draw", "1", "--uscc", victim.uscc, "--reason", "企业已注销")
    from inspect_sched.store.queries import current_firms

    with Session(engine) as s:
        (repl,) = [f for f in current_firms(s, 1) if f.replaces == victim.uscc]
    with Session(engine) as s:
        names = {e.uscc: e.name for e in s.exec(select(Enterprise))}
    done = [{"uscc": u, "date": today_cn(), "result": "未发现问题", "measures": "", "inspector_ids": ""}
            for u in (repl.uscc, other.uscc)]
    cli_ok(db_url, "results", "import", str(results_csv(tmp_path / "r.csv", done)), "--draw", "1")
    out = cli_ok(db_url, "publish", "--draw", "1", "--out", str(tmp_path / "p"), "--format", "csv,xlsx")
    assert f"; {len(firms) - 2} still pending (not named)" in out  # the removed firm is not pending
    raw = (tmp_path / "p" / "public-draw-1.csv").read_bytes().decode("utf-8-sig")
    cells = {r["统一社会信用代码"]: r["抽查对象名称"] for r in _table(list(csv.reader(io.StringIO(raw))))}
    # The removed firm has no result of its own, so it is not named, not even in its replacement's row.
    assert cells == {other.uscc: names[other.uscc], repl.uscc: f"{names[repl.uscc]}（补充抽取）"}
    preamble = _preamble(tmp_path / "p" / "public-draw-1.xlsx")
    # No authority in the policy: the units of the staff who checked (small_pool's one unit), said so.
    assert "检查实施机关：市生态环境保护综合行政执法支队（抽查方案未列明检查实施机关，按检查人员所属单位列示）" in preamble
    assert not [line for line in preamble if line.startswith("说明：本次抽取已被")]

    draw(engine, tmp_path / "b", seed="22222222222222222222", reason="抽取时名录库未更新")
    cli_ok(db_url, "publish", "--draw", "1", "--out", str(tmp_path / "p2"), "--format", "xlsx")
    assert "说明：本次抽取已被第 2 号抽取取代，本表仅列已完成检查的对象。" in _preamble(tmp_path / "p2" / "public-draw-1.xlsx")


def test_a_replacement_with_a_formula_like_name_is_named_as_imported(db_url: str, tmp_path: Path) -> None:
    """The bundle escapes formula-like cells (`'=…`); a replacement's name, read back from the
    frozen pool, is the name as imported, not the escaped cell (its `'` is not part of the name)."""
    from helpers import draw

    from inspect_sched.store.queries import current_firms

    engine = get_engine(db_url)
    small_pool(engine)
    with Session(engine) as s:
        for e in s.exec(select(Enterprise)):
            e.name = "=" + e.name
            s.add(e)
        s.commit()
    draw(engine, tmp_path / "a")
    victim = drawn_firms(engine, 1)[0]
    cli_ok(db_url, "amend", "replace-firm", "--draw", "1", "--uscc", victim.uscc, "--reason", "企业已注销")
    with Session(engine) as s:
        (repl,) = [f for f in current_firms(s, 1) if f.replaces == victim.uscc]
        name = s.exec(select(Enterprise.name).where(Enterprise.uscc == repl.uscc)).one()
    assert name.startswith("=") and repl.name == name
    results_csv(tmp_path / "r.csv", [{"uscc": repl.uscc, "date": today_cn(), "result": "未发现问题",
                                      "measures": "", "inspector_ids": ""}])
    cli_ok(db_url, "results", "import", str(tmp_path / "r.csv"), "--draw", "1")
    cli_ok(db_url, "publish", "--draw", "1", "--out", str(tmp_path / "p"), "--format", "csv")
    raw = (tmp_path / "p" / "public-draw-1.csv").read_bytes().decode("utf-8-sig")
    cells = {r["统一社会信用代码"]: r["抽查对象名称"] for r in _table(list(csv.reader(io.StringIO(raw))))}
    assert cells[repl.uscc] == f"'{name}（补充抽取）"  # escaped once on the way out, not twice


def test_no_authority_and_no_units_says_the_policy_names_none(db_url: str, tmp_path: Path) -> None:
    """No authority in the policy and no unit for the staff who checked: the fact line says the
    policy sets none, and a row's 检查实施机关 stays empty rather than inventing a body."""
    from helpers import draw

    engine = get_engine(db_url)
    small_pool(engine)
    with Session(engine) as s:
        for i in s.exec(select(Inspector)):
            i.unit = ""
            s.add(i)
        s.commit()
    draw(engine, tmp_path / "a")
    firm = drawn_firms(engine, 1)[0]
    results_csv(tmp_path / "r.csv", [{"uscc": firm.uscc, "date": today_cn(), "result": "未发现问题",
                                      "measures": "", "inspector_ids": ""}])
    cli_ok(db_url, "results", "import", str(tmp_path / "r.csv"), "--draw", "1")
    cli_ok(db_url, "publish", "--draw", "1", "--out", str(tmp_path / "p"), "--format", "csv,xlsx")
    preamble = _preamble(tmp_path / "p" / "public-draw-1.xlsx")
    assert [line for line in preamble if line.startswith("检查实施机关")] == ["检查实施机关：（抽查方案未列明检查实施机关）"]
    raw = (tmp_path / "p" / "public-draw-1.csv").read_bytes().decode("utf-8-sig")
    assert [r["检查实施机关"] for r in _table(list(csv.reader(io.StringIO(raw))))] == [""]
    assert json.loads((tmp_path / "p" / "public-draw-1.json").read_text("utf-8"))["authority"] == []
