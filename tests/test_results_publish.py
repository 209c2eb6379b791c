"""results import, the public sheet (一公开) and their place in the ledger, end to end via the CLI."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import (
    ADDRESS_MARK,
    DISTRICTS,
    drawn_firms,
    firm_uscc,
    full_results,
    results_csv,
    small_pool,
    today_cn,
)
from openpyxl import load_workbook
from sqlalchemy import delete, func, update
from sqlmodel import Session, select

from inspect_sched.cli import cli
from inspect_sched.outputs.publish import PUBLIC_COLUMNS
from inspect_sched.store.db import get_engine
from inspect_sched.store.models import Draw, DrawFirm, HistoryEntry, LedgerEntry, Result

SEED = "20261201093015482736"


def run(url: str, *args: str, code: int = 0) -> str:
    res = CliRunner().invoke(cli, ["--db", url, *args])
    assert res.exit_code == code, f"exit {res.exit_code} != {code}\n{res.output}"
    assert "Traceback" not in res.output
    return res.output


@pytest.fixture
def drawn(db_url: str, tmp_path: Path) -> tuple[str, int]:
    """A database with a small pool and one recorded draw for 2026-12; returns (url, draw id)."""
    small_pool(get_engine(db_url))
    out = run(db_url, "draw", "--period", "2026-12", "--seed", SEED, "--out", str(tmp_path / "bundle"))
    assert out.startswith("draw 1 ")
    return db_url, 1


def _counts(url: str) -> tuple[int, int, int]:
    with Session(get_engine(url)) as s:
        return (s.exec(select(func.count()).select_from(Result)).one(),
                s.exec(select(func.count()).select_from(HistoryEntry)).one(),
                s.exec(select(func.count()).select_from(LedgerEntry)).one())


def _public_csv(path: Path) -> tuple[dict[str, object], list[str], list[dict[str, str]]]:
    """(the JSON sidecar's header facts, the CSV header, the CSV rows)."""
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read UTF-8"
    lines = list(csv.reader(io.StringIO(raw[3:].decode("utf-8"))))
    header = lines[0]  # for machines: one header row, then the rows
    facts = json.loads(path.with_suffix(".json").read_text("utf-8"))
    return facts, header, [dict(zip(header, r, strict=True)) for r in lines[1:]]


def _xlsx_text(path: Path) -> str:
    """Every string and cell value of a workbook (not its style XML, whose 0.75 margins are no leak)."""
    with zipfile.ZipFile(path) as z:
        strings = z.read("xl/sharedStrings.xml").decode("utf-8") if "xl/sharedStrings.xml" in z.namelist() else ""
    cells = [str(v) for ws in load_workbook(path) for row in ws.iter_rows(values_only=True) for v in row
             if v is not None]
    return strings + "\n" + "\n".join(cells)


class _Rows(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.body_rows = 0
        self.head_cells: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.title = ""
        self.text: list[str] = []  # all character data and attribute values, style sheet excluded

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self.text += [v for _, v in attrs if v]
        if tag == "tr" and "tbody" in self.stack:
            self.body_rows += 1
        if tag not in ("meta", "br"):
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.stack:
            while self.stack.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if "style" not in self.stack:
            self.text.append(data)
        if self.stack and self.stack[-1] == "th":
            self.head_cells.append(data)
        if self.stack and self.stack[-1] == "title":
            self.title += data


# ---------------------------------------------------------------------------- the happy path


def test_cycle_import_publish_verify(drawn: tuple[str, int], tmp_path: Path) -> None:
    url, draw_id = drawn
    engine = get_engine(url)
    firms = drawn_firms(engine, draw_id)
    rows = full_results(engine, draw_id)
    other = ["ZZ4302000001", "ZZ4302000002"]
    rows[1]["inspector_ids"] = ";".join(other)  # a team that differs from the assignment
    out = run(url, "results", "import", str(results_csv(tmp_path / "r.csv", rows)), "--draw", str(draw_id))
    assert f"{len(firms)} of {len(firms)} drawn firms now have results" in out
    assert "deviates from the assignment: row 3" in out

    with Session(engine) as s:
        res = {r.uscc: r for r in s.exec(select(Result))}
        hist = list(s.exec(select(HistoryEntry)))
        entries = list(s.exec(select(LedgerEntry).order_by(LedgerEntry.sequence)))
    assert res[firms[1].uscc].deviates and res[firms[1].uscc].inspector_ids == ";".join(other)
    assert not res[firms[0].uscc].deviates and res[firms[0].uscc].inspector_ids == firms[0].inspector_ids
    assert sorted(h.uscc for h in hist) == [f.uscc for f in firms]
    assert all(h.kind == "random" and h.draw_id == draw_id and h.date.isoformat() == today_cn() for h in hist)
    assert [e.kind for e in entries] == ["draw", "results"]

    pub = tmp_path / "pub"
    out = run(url, "publish", "--draw", str(draw_id), "--out", str(pub))
    names = sorted(p.name for p in pub.iterdir())
    assert names == sorted([f"public-draw-{draw_id}{v}.{x}" for x in ("csv", "html", "json", "xlsx")
                            for v in ("", "-v1")])
    for p in pub.iterdir():
        assert stat.S_IMODE(os.stat(p).st_mode) == 0o644, "the public sheet is world-readable"
    facts, header, table = _public_csv(pub / f"public-draw-{draw_id}.csv")
    assert [r["统一社会信用代码"] for r in table] == [f.uscc for f in firms]  # sorted by code
    assert [r["序号"] for r in table] == [str(i) for i in range(1, len(firms) + 1)]
    assert table[1]["检查人员（姓名、执法证号）"] == "检查员01（ZZ4302000001）、检查员02（ZZ4302000002）"
    assert table[0]["检查结果"] == "责令改正" and table[0]["处理措施"] == "下达责令改正违法行为决定书"
    assert table[0]["抽查事项"] == "污染物排放情况、污染防治设施运行情况、排污许可证执行情况"
    run(url, "ledger", "verify")

    # Re-publishing the same results makes no new version and gives the same bytes.
    again = tmp_path / "pub2"
    out = run(url, "publish", "--draw", str(draw_id), "--out", str(again))
    assert "nothing new since version 1" in out
    for p in pub.iterdir():
        assert (again / p.name).read_bytes() == p.read_bytes(), p.name


def test_a_result_edited_by_hand_is_not_laundered_by_the_next_import(drawn: tuple[str, int], tmp_path: Path) -> None:
    """A new results import hashes the draw's results as they stand: on top of a hand edit it
    would make the edit look vouched for. It refuses instead, naming the change, and records
    nothing."""
    url, draw_id = drawn
    engine = get_engine(url)
    rows = full_results(engine, draw_id)
    run(url, "results", "import", str(results_csv(tmp_path / "r.csv", rows)), "--draw", "1")
    edited = rows[0]["uscc"]
    with Session(engine) as s:
        s.execute(update(Result).where(Result.uscc == edited).values(result="未发现问题", measures=""))
        s.commit()
    entries = len(run(url, "ledger", "list").splitlines())
    one = [{**rows[1], "result": "责令改正", "measures": "下达责令改正违法行为决定书"}]
    out = run(url, "results", "import", str(results_csv(tmp_path / "one.csv", one)), "--draw", "1", code=1)
    assert ("draw 1: results changed since ledger entry 2 (a result row was edited, added or deleted outside "
            "`results import`); nothing was imported: a new import would vouch for that change") in " ".join(out.split())
    assert len(run(url, "ledger", "list").splitlines()) == entries
    assert "results changed since ledger entry 2" in run(url, "ledger", "verify", code=1)


def test_reimport_replaces_result_and_history(drawn: tuple[str, int], tmp_path: Path) -> None:
    url, draw_id = drawn
    engine = get_engine(url)
    rows = full_results(engine, draw_id)
    run(url, "results", "import", str(results_csv(tmp_path / "a.csv", rows)), "--draw", str(draw_id))
    rows[0]["result"], rows[0]["measures"] = "立案查处", "立案调查"
    out = run(url, "results", "import", str(results_csv(tmp_path / "b.csv", rows[:1])), "--draw", str(draw_id))
    assert "0 new, 1 replaced" in out
    with Session(engine) as s:
        r = s.get(Result, (draw_id, rows[0]["uscc"]))
        assert (r.result, r.measures) == ("立案查处", "立案调查")
        n_hist = s.exec(select(func.count()).select_from(HistoryEntry)
                        .where(HistoryEntry.uscc == rows[0]["uscc"])).one()
        assert n_hist == 1, "a re-import replaces the firm's history row, it does not add one"
    run(url, "ledger", "verify")


# ---------------------------------------------------------------------------- validation


def _bad_rows(engine, draw_id: int, case: str) -> tuple[list[dict[str, str]], str]:  # type: ignore[no-untyped-def]
    rows = full_results(engine, draw_id)
    drawn = {r["uscc"] for r in rows}
    if case == "unknown_uscc":
        rows[2]["uscc"] = next(firm_uscc(i) for i in range(100) if firm_uscc(i) not in drawn)
        return rows, "not one of the"
    if case == "bad_date":
        rows[2]["date"] = "2026-13-45"
        return rows, "date"
    if case == "missing_result":
        rows[2]["result"] = ""
        return rows, "required"
    if case == "unknown_inspector":
        rows[2]["inspector_ids"] = "ZZ4302000001;NOBODY9"
        return rows, "NOBODY9"
    if case == "future_date":
        rows[2]["date"] = "2999-01-01"
        return rows, "future"
    raise AssertionError(case)


@pytest.mark.parametrize("case", ["unknown_uscc", "bad_date", "missing_result", "unknown_inspector", "future_date"])
def test_bad_results_file_changes_nothing(drawn: tuple[str, int], tmp_path: Path, case: str) -> None:
    url, draw_id = drawn
    rows, words = _bad_rows(get_engine(url), draw_id, case)
    before = _counts(url)
    out = run(url, "results", "import", str(results_csv(tmp_path / "r.csv", rows)), "--draw", str(draw_id), code=1)
    assert "row 4" in out, out  # header is row 1, so the third data row is row 4
    assert words in out
    assert "nothing was imported" in out
    assert _counts(url) == before


def test_results_for_missing_draw(drawn: tuple[str, int], tmp_path: Path) -> None:
    url, draw_id = drawn
    rows = full_results(get_engine(url), draw_id)
    out = run(url, "results", "import", str(results_csv(tmp_path / "r.csv", rows)), "--draw", "99", code=1)
    assert "draw 99 does not exist" in out
    out = run(url, "publish", "--draw", "99", "--out", str(tmp_path / "p"), code=1)
    assert "draw 99 does not exist" in out


# ---------------------------------------------------------------------------- publish rules


def test_publish_refuses_before_any_result_then_publishes_partial(drawn: tuple[str, int], tmp_path: Path) -> None:
    url, draw_id = drawn
    engine = get_engine(url)
    pub = tmp_path / "pub"
    out = run(url, "publish", "--draw", str(draw_id), "--out", str(pub), code=1)
    assert "no results recorded yet" in out and "results import" in out
    assert not pub.exists() or not any(pub.iterdir())

    rows = full_results(engine, draw_id)
    done, pending = rows[:3], rows[3:]
    run(url, "results", "import", str(results_csv(tmp_path / "r.csv", done)), "--draw", str(draw_id))
    run(url, "publish", "--draw", str(draw_id), "--out", str(pub))
    res = CliRunner().invoke(cli, ["--db", url, "publish", "--draw", str(draw_id), "--out", str(pub),
                                   "--allow-partial"])
    assert res.exit_code == 0 and "deprecated" in res.output  # accepted, a no-op
    facts, header, table = _public_csv(pub / f"public-draw-{draw_id}.csv")
    assert [r["统一社会信用代码"] for r in table] == sorted(r["uscc"] for r in done)
    assert facts["pending"] == len(pending) and facts["published"] == len(done)
    html_text = (pub / f"public-draw-{draw_id}.html").read_text("utf-8")
    assert f"其余 {len(pending)} 家检查完成后另行公示" in html_text
    # A firm not yet inspected is still secret: it must appear in no public file.
    for p in pub.iterdir():
        text = _xlsx_text(p) if p.suffix == ".xlsx" else p.read_bytes().decode("utf-8-sig")
        for r in pending:
            assert r["uscc"] not in text, (p.name, r["uscc"])


def test_public_sheet_columns_facts_and_nothing_internal(drawn: tuple[str, int], tmp_path: Path) -> None:
    url, draw_id = drawn
    engine = get_engine(url)
    run(url, "results", "import", str(results_csv(tmp_path / "r.csv", full_results(engine, draw_id))),
        "--draw", str(draw_id))
    pub = tmp_path / "pub"
    run(url, "publish", "--draw", str(draw_id), "--out", str(pub), "--format", "csv,xlsx,html")
    with Session(engine) as s:
        draw = s.get(Draw, draw_id)
    n = len(drawn_firms(engine, draw_id))

    facts, header, table = _public_csv(pub / f"public-draw-{draw_id}.csv")
    assert header == PUBLIC_COLUMNS == [
        "序号", "抽查任务", "检查实施机关", "抽查事项", "抽查对象名称", "统一社会信用代码", "检查日期",
        "检查人员（姓名、执法证号）", "检查结果", "处理措施",
    ]
    assert len(table) == n
    assert (facts["period"], facts["seed"], facts["manifest_sha256"]) == ("2026-12", SEED, draw.manifest_sha256)
    assert facts["redraw_of"] is None and facts["version"] == 1 and facts["published_on"] == today_cn()
    ws_facts = [r[0] for r in load_workbook(pub / f"public-draw-{draw_id}.xlsx").active.iter_rows(values_only=True)]
    joined = "\n".join(str(f) for f in ws_facts[:10])
    assert "2026年12月" in joined and SEED in joined and draw.manifest_sha256 in joined
    assert "是否重新抽取：否" in joined and f"公示日期：{today_cn()}" in joined

    ws = load_workbook(pub / f"public-draw-{draw_id}.xlsx").active
    values = [[c for c in row] for row in ws.iter_rows(values_only=True)]
    at = next(i for i, row in enumerate(values) if row[0] == "序号")
    assert list(values[at]) == PUBLIC_COLUMNS
    assert len(values) - at - 1 == n
    assert any(SEED in str(row[0]) for row in values[:at])

    parser = _Rows()
    page = (pub / f"public-draw-{draw_id}.html").read_text("utf-8")
    parser.feed(page)
    assert parser.body_rows == n
    assert parser.head_cells == PUBLIC_COLUMNS
    assert parser.title == "2026年12月 生态环境“双随机、一公开”抽查结果公示"
    assert ("meta", {"charset": "utf-8"}) in parser.tags
    assert not [t for t, a in parser.tags if t in ("script", "link", "img", "iframe")]
    assert "@media print" in page

    # Nothing internal, in any format: the draw's own frame.csv says what must not leak.
    frame = list(csv.DictReader(io.StringIO((tmp_path / "bundle" / "frame.csv").read_text("utf-8"))))
    forbidden = {ADDRESS_MARK, *DISTRICTS, "诚信", "良好", "警示", "不良", "严重失信", "green", "yellow",
                 "black", "credit", "risk", "weight", "stratum", "内部资料"}
    for row in frame:
        forbidden |= {row["order_ticket"], row["pi_decimal"]}
        if "/" in row["pi"]:
            forbidden.add(row["pi"])
        if "." in row["weight"]:
            forbidden.add(row["weight"])
    forbidden.discard("0.000000")
    texts = {
        "csv": (pub / f"public-draw-{draw_id}.csv").read_bytes().decode("utf-8-sig"),
        "xlsx": _xlsx_text(pub / f"public-draw-{draw_id}.xlsx"),
        "html": "\n".join(parser.text),
    }
    for fmt, text in texts.items():
        leaked = sorted(w for w in forbidden if w in text)
        assert not leaked, (fmt, leaked)


def test_redraw_is_stated_and_superseded_draw_still_takes_results(
    drawn: tuple[str, int], tmp_path: Path
) -> None:
    url, first = drawn
    engine = get_engine(url)
    out = run(url, "draw", "--period", "2026-12", "--seed", "99999999999999999999",
              "--reason", "计划调整", "--out", str(tmp_path / "b2"))
    assert "REDRAW of draw 1" in out
    # A firm of the superseded draw that was visited before the redraw: accepted, with a warning.
    rows = full_results(engine, first)[:1]
    out = run(url, "results", "import", str(results_csv(tmp_path / "old.csv", rows)), "--draw", str(first))
    assert "superseded by draw 2" in out
    run(url, "results", "import", str(results_csv(tmp_path / "new.csv", full_results(engine, 2))), "--draw", "2")
    pub = tmp_path / "pub"
    run(url, "publish", "--draw", "2", "--out", str(pub), "--format", "csv")
    facts, _, _ = _public_csv(pub / "public-draw-2.csv")
    assert facts["redraw_of"] == 1 and facts["redraw_reason"] == "计划调整"
    run(url, "publish", "--draw", "1", "--out", str(pub), "--format", "csv,html")
    facts, _, table = _public_csv(pub / "public-draw-1.csv")
    assert facts["superseded_by"] == 2 and len(table) == 1
    page = (pub / "public-draw-1.html").read_text("utf-8")
    assert "是否重新抽取：否" in page and "已被第 2 号抽取取代" in page
    run(url, "ledger", "verify")


def test_bad_format_is_refused(drawn: tuple[str, int], tmp_path: Path) -> None:
    url, draw_id = drawn
    out = run(url, "publish", "--draw", str(draw_id), "--out", str(tmp_path / "p"), "--format", "pdf", code=2)
    assert "unknown format 'pdf'" in out


# ---------------------------------------------------------------------------- tampering


def _imported(drawn: tuple[str, int], tmp_path: Path) -> tuple[str, int, str]:
    url, draw_id = drawn
    rows = full_results(get_engine(url), draw_id)
    run(url, "results", "import", str(results_csv(tmp_path / "r.csv", rows)), "--draw", str(draw_id))
    run(url, "ledger", "verify")
    return url, draw_id, rows[0]["uscc"]


@pytest.mark.parametrize("tamper", ["edit_result", "delete_result", "delete_draw_firm", "delete_ledger_row"])
def test_tampering_is_detected(drawn: tuple[str, int], tmp_path: Path, tamper: str) -> None:
    url, draw_id, uscc = _imported(drawn, tmp_path)
    with Session(get_engine(url)) as s:
        if tamper == "edit_result":
            s.execute(update(Result).where(Result.uscc == uscc).values(result="未发现问题", measures=""))
        elif tamper == "delete_result":
            s.execute(delete(Result).where(Result.uscc == uscc))
        elif tamper == "delete_draw_firm":
            s.execute(delete(DrawFirm).where(DrawFirm.uscc == uscc))
        else:
            s.execute(delete(LedgerEntry).where(LedgerEntry.sequence == 1))
        s.commit()
    out = run(url, "ledger", "verify", code=1)
    expected = {
        "edit_result": f"draw {draw_id}: results changed since ledger entry 2",
        "delete_result": f"draw {draw_id}: results changed since ledger entry 2",
        "delete_draw_firm": uscc,
        "delete_ledger_row": "ledger entry 2",
    }[tamper]
    assert expected in out, out


def test_results_written_around_the_ledger_are_detected(drawn: tuple[str, int]) -> None:
    url, draw_id = drawn
    firm = drawn_firms(get_engine(url), draw_id)[0]
    with Session(get_engine(url)) as s:
        s.add(Result(draw_id=draw_id, uscc=firm.uscc, date=__import__("datetime").date(2026, 12, 3),
                     result="未发现问题", inspector_ids=firm.inspector_ids))
        s.commit()
    out = run(url, "ledger", "verify", code=1)
    assert f"draw {draw_id}: has results but no results ledger entry" in out
