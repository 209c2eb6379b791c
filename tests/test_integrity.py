"""Issue 9: nothing around the draw can be gamed, leaked or broken (SPEC §7 plans and
redraws, §9 text, files and safety). Each test runs the real command line on SQLite and
PostgreSQL (``db_url``) unless it is about a file only SQLite has.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import threading
import zipfile
from pathlib import Path

import dbdump
import pytest
from click.testing import CliRunner
from helpers import cli_ok, draw, full_results, results_csv, small_pool
from sqlalchemy import text, update
from sqlmodel import Session, select

from inspect_sched.audit.bundle import FORMAT_V2, sha256_hex
from inspect_sched.cli import cli
from inspect_sched.core.inputs import Inputs
from inspect_sched.errors import DrawError
from inspect_sched.io.text import FORMULA_STARTS, csv_escape, csv_unescape
from inspect_sched.services import draws as draws_service
from inspect_sched.services.draws import build_spec, make_draw, make_plan
from inspect_sched.store.db import get_engine
from inspect_sched.store.models import Draw, DrawFile, DrawFirm, Enterprise, Inspector, LedgerEntry, PlanFile

SEED = "20261201093015482736"


def run(db: str, *args: str) -> tuple[int, str]:
    r = CliRunner().invoke(cli, ["--db", db, *args])
    assert r.exception is None or isinstance(r.exception, SystemExit), r.output
    assert "Traceback" not in r.output
    return r.exit_code, r.output


def frame_of(bundle: Path) -> dict[str, dict[str, str]]:
    return {r["uscc"]: r for r in csv.DictReader(io.StringIO((bundle / "frame.csv").read_text("utf-8")))}


def sample_of(bundle: Path) -> set[str]:
    return {u for u, r in frame_of(bundle).items() if r["selected"] == "1"}


# ---------------------------------------------------------------------------- plans (SPEC §7)


def test_a_plan_is_used_once(db_url: str, tmp_path: Path) -> None:
    small_pool(get_engine(db_url))
    out = cli_ok(db_url, "plan", "--period", "2026-12")
    plan_id = re.search(r"^plan (\d+):", out, re.M).group(1)  # type: ignore[union-attr]
    cli_ok(db_url, "draw", "--plan", plan_id, "--period", "2026-12", "--seed", SEED, "--out", str(tmp_path / "a"))
    before = dbdump.dump(db_url)
    code, text_ = run(db_url, "draw", "--plan", plan_id, "--period", "2026-12", "--seed", "555",
                      "--reason", "再抽一次", "--out", str(tmp_path / "b"))
    assert code == 1 and f"plan {plan_id} was already used by draw 1" in text_
    assert dbdump.dump(db_url) == before and not (tmp_path / "b").exists()


@pytest.mark.parametrize("edit", ["file", "settings"])
def test_a_plan_changed_after_it_was_made_is_refused_by_draw(db_url: str, tmp_path: Path, edit: str) -> None:
    """A plan's frozen inputs are what its published commitment pins: drawing from edited ones
    would publish a bundle whose commitment no longer matches. draw refuses, before anything."""
    small_pool(get_engine(db_url))
    out = cli_ok(db_url, "plan", "--period", "2026-12")
    commitment = re.search(r"[0-9a-f]{64}", out).group(0)  # type: ignore[union-attr]
    with Session(get_engine(db_url)) as s:
        if edit == "file":
            f = s.get(PlanFile, (1, "inputs/history.csv"))
            assert f is not None
            f.content = f.content + b"91430200MA4L00001X,2026-11-01,random,\n"
            s.add(f)
        else:
            s.execute(text("UPDATE plan SET filters_json = '{\"district\": [\"荷塘区\"]}'"))
        s.commit()
    before = dbdump.dump(db_url)
    code, out = run(db_url, "draw", "--plan", "1", "--period", "2026-12", "--seed", SEED, "--out", str(tmp_path / "a"))
    assert code == 1 and (f"plan 1: its stored frozen files or settings no longer give the commitment it published "
                          f"({commitment[:16]}…): they were changed after it was made") in " ".join(out.split())
    assert dbdump.dump(db_url) == before and not (tmp_path / "a").exists()


def test_a_stale_plan_is_refused_and_a_fresh_one_excludes_the_drawn_firms(db_url: str, tmp_path: Path) -> None:
    small_pool(get_engine(db_url))
    cli_ok(db_url, "plan", "--period", "2027-01")  # plan 1, frozen before December is drawn
    cli_ok(db_url, "draw", "--period", "2026-12", "--seed", SEED, "--out", str(tmp_path / "dec"))
    before = dbdump.dump(db_url)
    code, out = run(db_url, "draw", "--plan", "1", "--period", "2027-01", "--seed", SEED,
                    "--out", str(tmp_path / "jan"))
    assert code == 1 and "plan 1 is stale" in out and "Make a new plan" in out, out
    assert dbdump.dump(db_url) == before and not (tmp_path / "jan").exists()
    # A plan made now sees December's draw: none of its firms can be drawn in January.
    cli_ok(db_url, "plan", "--period", "2027-01")
    cli_ok(db_url, "draw", "--plan", "3", "--period", "2027-01", "--seed", SEED, "--out", str(tmp_path / "jan"))
    assert sample_of(tmp_path / "dec") and not sample_of(tmp_path / "dec") & sample_of(tmp_path / "jan")


def test_a_plan_stays_usable_when_later_draws_do_not_touch_its_frame_and_results_only_warn(
    db_url: str, tmp_path: Path
) -> None:
    engine = get_engine(db_url)
    small_pool(engine)
    dec = make_draw(engine, SEED, tmp_path / "dec", spec=build_spec("2026-12", filters={"district": ["天元区"]}))
    plan = make_plan(engine, build_spec("2027-01", filters={"district": ["荷塘区"]}))
    # After the plan: another district's draw (disjoint frame) and a results import.
    cli_ok(db_url, "draw", "--period", "2026-11", "--seed", SEED, "--filter", "district=芦淞区",
           "--out", str(tmp_path / "nov"))
    cli_ok(db_url, "results", "import", str(results_csv(tmp_path / "r.csv", full_results(engine, dec.draw_id)[:1])),
           "--draw", str(dec.draw_id))
    code, out = run(db_url, "draw", "--plan", str(plan.plan_id), "--period", "2027-01", "--seed", SEED,
                    "--out", str(tmp_path / "jan"))
    assert code == 0, out
    assert "warning: ledger entry 3: results were imported after the plan was made" in out


def test_a_history_import_after_a_plan_only_warns_and_the_plan_keeps_its_frozen_inputs(
    db_url: str, tmp_path: Path
) -> None:
    engine = get_engine(db_url)
    small_pool(engine)
    plan = make_plan(engine, build_spec("2026-12"))
    firm = sorted(f.uscc for f in plan_firms(engine, plan.plan_id))[0]
    history = tmp_path / "h.csv"
    history.write_text(f"统一社会信用代码,检查日期,检查类型\n{firm},2026-11-20,双随机\n", encoding="utf-8")
    code, out = run(db_url, "import", "history", str(history))
    assert code == 0, out
    assert f"warning: plan(s) {plan.plan_id} were made before this import" in out
    # The plan still draws, from its frozen inputs: the firm is not "recently_inspected" in it.
    cli_ok(db_url, "draw", "--plan", str(plan.plan_id), "--period", "2026-12", "--seed", SEED,
           "--out", str(tmp_path / "dec"))
    frame = (tmp_path / "dec" / "frame.csv").read_text("utf-8")
    row = next(line for line in frame.splitlines() if line.startswith(firm))
    assert not row.endswith(",recently_inspected")
    # A fresh plan sees the inspection; and with no unused plan left, an import gives no warning.
    code, out = run(db_url, "import", "history", str(history))
    assert code == 0 and "warning: plan" not in out


def plan_firms(engine, plan_id: int):  # type: ignore[no-untyped-def]
    from sqlmodel import Session

    from inspect_sched.services.draws import load_plan

    with Session(engine) as session:
        _plan, _spec, files = load_plan(session, plan_id)
    return Inputs.from_csv_files(files).firms


def test_two_draws_started_at_once_for_consecutive_periods_cannot_both_pass(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = get_engine(db_url)
    small_pool(engine)
    plan = make_plan(engine, build_spec("2027-01"))
    both_frozen = threading.Barrier(2, timeout=120)
    real_derive = draws_service.derive

    def derive_after_both_froze(*args, **kwargs):  # type: ignore[no-untyped-def]
        both_frozen.wait()  # each draw has read its inputs before either records
        return real_derive(*args, **kwargs)

    monkeypatch.setattr(draws_service, "derive", derive_after_both_froze)
    outcomes: dict[str, object] = {}

    def go(name: str, **kw: object) -> None:
        try:
            outcomes[name] = make_draw(get_engine(db_url), SEED, tmp_path / name, **kw)  # type: ignore[arg-type]
        except DrawError as exc:
            outcomes[name] = exc

    threads = [threading.Thread(target=go, args=("jan",), kwargs={"plan_id": plan.plan_id}),
               threading.Thread(target=go, args=("dec",), kwargs={"spec": build_spec("2026-12")})]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    refused = [k for k, v in outcomes.items() if isinstance(v, DrawError)]
    assert len(outcomes) == 2 and len(refused) == 1, outcomes
    message = str(outcomes[refused[0]])
    assert "stale" in message or "run the draw again" in message, message
    assert not (tmp_path / refused[0]).exists()
    with Session(engine) as s:
        assert len(s.exec(select(Draw)).all()) == 1
    assert "ledger verified" in cli_ok(db_url, "ledger", "verify")


def test_plan_list_and_show(db_url: str, tmp_path: Path) -> None:
    small_pool(get_engine(db_url))
    cli_ok(db_url, "plan", "--period", "2027-01", "--filter", "district=天元区")
    out = cli_ok(db_url, "plan", "--period", "2026-12")
    commitment = re.search(r"commitment: ([0-9a-f]{64})", out).group(1)  # type: ignore[union-attr]
    cli_ok(db_url, "draw", "--plan", "2", "--period", "2026-12", "--seed", SEED, "--out", str(tmp_path / "d"))
    listing = cli_ok(db_url, "plan", "list").splitlines()
    assert listing[0].startswith("plan 1 2027-01 日常双随机抽查 created ") and listing[0].endswith("unused")
    assert listing[1].startswith("plan 2 2026-12") and f"commitment {commitment} used by draw 1" in listing[1]
    shown = cli_ok(db_url, "plan", "show", "1")
    assert "filters:     district=天元区" in shown and "used by:     no draw yet" in shown
    with Session(get_engine(db_url)) as s:
        f = s.get(PlanFile, (1, "inputs/enterprises.csv"))
        assert f is not None
        assert f"inputs/enterprises.csv  sha256 {sha256_hex(f.content)}" in shown
    code, out = run(db_url, "plan", "show", "99")
    assert code == 1 and "plan 99 does not exist" in out


# ---------------------------------------------------------------------------- redraws and task names


def test_task_names_are_normalised_so_no_spelling_avoids_the_redraw_mark(db_url: str, tmp_path: Path) -> None:
    small_pool(get_engine(db_url))
    cli_ok(db_url, "draw", "--period", "2026-12", "--seed", SEED, "--out", str(tmp_path / "a"))
    before = dbdump.dump(db_url)
    # U+2F47 KANGXI RADICAL SUN looks like 日 and is 日 after NFKC: the same task.
    code, out = run(db_url, "draw", "--period", "2026-12", "--seed", "1", "--task", "\u2f47常双随机抽查",
                    "--out", str(tmp_path / "b"))
    assert code == 1 and "REDRAW" in out and "--reason" in out, out
    for sneaky in ("日常双随机抽查\u200b", "x\n#9 2026-12-01T00:00:00Z draw 9 FAKE", "日常\u202e双随机抽查"):
        code, out = run(db_url, "draw", "--period", "2026-12", "--seed", "1", "--task", sneaky,
                        "--out", str(tmp_path / "b"))
        assert code == 1 and "invisible control or format character" in out, (sneaky, out)
    assert dbdump.dump(db_url) == before
    out = cli_ok(db_url, "draw", "--period", "2026-12", "--seed", "1", "--task", "\u2f47常双随机抽查",
                 "--reason", "首次抽取的种子未按规定公开", "--out", str(tmp_path / "b"))
    assert "REDRAW of draw 1" in out
    with Session(get_engine(db_url)) as s:
        second = s.get(Draw, 2)
        assert second is not None and second.task == "日常双随机抽查" and second.redraw_reason == "首次抽取的种子未按规定公开"
    listing = cli_ok(db_url, "ledger", "list")
    assert "REDRAW of 1 (reason: 首次抽取的种子未按规定公开)" in listing and len(listing.splitlines()) == 2
    assert cli_ok(db_url, "verify", str(tmp_path / "b")).startswith("verified")


def test_a_near_task_name_is_a_separate_task_and_the_draw_says_so(db_url: str, tmp_path: Path) -> None:
    """A clerk's second try under a near name (a suffix, spaces, a numeral), another task or a
    quarter over a drawn month is not a redraw: it needs no reason, and the earlier draw stays
    live with its firms due. plan and draw say so, naming the way to draw that task again."""
    small_pool(get_engine(db_url))
    cli_ok(db_url, "draw", "--period", "2026-12", "--seed", SEED, "--out", str(tmp_path / "a"))
    redo = "To draw that task again, use --period 2026-12 --task '日常双随机抽查' with --reason TEXT"
    said = ("draw 1 for 2026-12 has the task '日常双随机抽查', close to {!r}: this is a separate task, not a "
            "redraw, so draw 1 stays live and its firms stay due. " + redo)
    out = " ".join(cli_ok(db_url, "plan", "--period", "2026-12", "--task", "日常双随机抽查（二）").split())
    assert said.format("日常双随机抽查(二)") in out  # NFKC: （二） is (二)
    out = " ".join(cli_ok(db_url, "plan", "--period", "2026-12").split())
    assert ("draw 1 is live for 2026-12 '日常双随机抽查': a draw from this plan is a REDRAW, shown publicly as such, "
            "and needs --reason TEXT") in out
    out = cli_ok(db_url, "draw", "--period", "2026-12", "--seed", "1", "--task", "日常 双随机抽查-2",
                 "--out", str(tmp_path / "b"))
    assert said.format("日常 双随机抽查-2") in " ".join(out.split()) and "REDRAW" not in out
    with Session(get_engine(db_url)) as s:
        assert [(d.id, d.superseded_by, d.redraw_of) for d in s.exec(select(Draw).order_by(Draw.id))] == [
            (1, None, None), (2, None, None)]
    # Traditional characters or a variant glyph are not folded, but the other live draw is named.
    out = " ".join(cli_ok(db_url, "plan", "--period", "2026-12", "--task", "日常雙隨機抽査").split())
    assert ("draw 1 for 2026-12 (task '日常双随机抽查') is also live in 2026-12: this draw is a separate task, "
            "not a redraw of it. " + redo) in out
    out = " ".join(cli_ok(db_url, "plan", "--period", "2026-Q4").split())
    assert ("draw 1 for 2026-12 has the same task and overlaps 2026-Q4: this draw is not a redraw of it, so "
            "draw 1 stays live and its firms stay due (they may be drawn again here). " + redo) in out
    out = cli_ok(db_url, "draw", "--period", "2027-01", "--seed", "3", "--task", "日常双随机抽查(2)",
                 "--out", str(tmp_path / "d"))
    assert "is also live" not in out and "close to" not in out  # no overlap: nothing to confuse it with


@pytest.mark.parametrize("invisible", ["\ufe00", "\u034f", "\u3164", "\U000e0101", "\u2800"])
def test_a_task_name_with_an_invisible_mark_is_refused(db_url: str, tmp_path: Path, invisible: str) -> None:
    small_pool(get_engine(db_url))
    code, out = run(db_url, "draw", "--period", "2026-12", "--seed", "1", "--task", f"日常双随机抽查{invisible}x",
                    "--out", str(tmp_path / "b"))
    assert code == 1 and "invisible control or format character" in out, out
    assert not (tmp_path / "b").exists()


def test_ledger_list_never_prints_control_characters_stored_in_the_database(db_url: str, tmp_path: Path) -> None:
    engine = get_engine(db_url)
    small_pool(engine)
    draw(engine, tmp_path / "a")
    with Session(engine) as s:  # as an older release could have stored it
        e = s.get(LedgerEntry, 1)
        assert e is not None
        body = json.loads(e.body)
        body["task"] = "x\n#9 FAKE\x1b[2J"
        e.body = json.dumps(body, ensure_ascii=False)
        s.add(e)
        s.commit()
    out = cli_ok(db_url, "ledger", "list")
    assert len(out.splitlines()) == 1 and "\x1b" not in out and "x\\u000a#9 FAKE\\u001b[2J" in out


def test_publish_of_a_superseded_draw_says_so_and_a_redraw_shows_its_reason(db_url: str, tmp_path: Path) -> None:
    engine = get_engine(db_url)
    small_pool(engine)
    first = draw(engine, tmp_path / "a")
    cli_ok(db_url, "results", "import", str(results_csv(tmp_path / "r.csv", full_results(engine, 1)[:1])),
           "--draw", "1")
    cli_ok(db_url, "draw", "--period", "2026-12", "--seed", "7", "--reason", "抽取现场断电", "--out", str(tmp_path / "b"))
    out = cli_ok(db_url, "publish", "--draw", str(first.draw_id), "--out", str(tmp_path / "pub"), "--allow-partial")
    assert "draw 1 was superseded by redraw 2" in out
    # The header facts are on the page (the CSV is rows only, SPEC §8; the JSON holds the values).
    assert "本次抽取已被第 2 号抽取取代" in (tmp_path / "pub" / "public-draw-1.html").read_text("utf-8")
    cli_ok(db_url, "results", "import", str(results_csv(tmp_path / "r2.csv", full_results(engine, 2))), "--draw", "2")
    cli_ok(db_url, "publish", "--draw", "2", "--out", str(tmp_path / "pub"), "--format", "csv,html")
    assert "是否重新抽取：是，取代第 1 号抽取；原因：抽取现场断电" in (tmp_path / "pub" / "public-draw-2.html").read_text("utf-8")
    assert json.loads((tmp_path / "pub" / "public-draw-2.json").read_text("utf-8"))["redraw_reason"] == "抽取现场断电"
    assert "原因：抽取现场断电" in (tmp_path / "pub" / "public-draw-2.html").read_text("utf-8")


def test_publish_never_names_a_firm_without_result(db_url: str, tmp_path: Path) -> None:
    engine = get_engine(db_url)
    small_pool(engine)
    d = draw(engine, tmp_path / "a")
    rows = full_results(engine, d.draw_id)
    cli_ok(db_url, "results", "import", str(results_csv(tmp_path / "r.csv", rows[:1])), "--draw", str(d.draw_id))
    code, out = run(db_url, "publish", "--draw", str(d.draw_id), "--out", str(tmp_path / "pub"))
    assert code == 0 and f"{len(rows) - 1} still pending (not named)" in out
    published = "".join(p.read_text("utf-8-sig") for p in (tmp_path / "pub").iterdir() if p.suffix != ".xlsx")
    assert rows[0]["uscc"] in published
    for r in rows[1:]:
        for said in (out, published):
            assert r["uscc"] not in said and r["uscc"].lower() not in said


# ---------------------------------------------------------------------------- formulas (SPEC §9)

FORMULA_NAMES = ['=HYPERLINK("http://x","click")', "=cmd|' /C calc'!A0", "+1+1", "-2", "@SUM(A1)",
                 "'=already quoted", "\tTAB"]


def _sheet_xml(data: bytes) -> bytes:
    z = zipfile.ZipFile(io.BytesIO(data))
    return b"".join(z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/"))


def _csv_cells(data: bytes) -> list[str]:
    return [c for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))) for c in row]


def test_no_formula_reaches_any_file_the_tool_writes(db_url: str, tmp_path: Path) -> None:
    engine = get_engine(db_url)
    small_pool(engine)
    with Session(engine) as s:
        firms = s.exec(select(Enterprise).order_by(Enterprise.uscc)).all()
        for i, e in enumerate(firms):
            e.name = FORMULA_NAMES[i % len(FORMULA_NAMES)] + f" {i}"
            e.address = "=cmd|' /C calc'!A0"
            s.add(e)
        names = {e.uscc: e.name for e in firms}
        s.commit()
    d = draw(engine, tmp_path / "b")
    bundle = tmp_path / "b"
    manifest = json.loads((bundle / "manifest.json").read_text("utf-8"))
    assert manifest["format"] == FORMAT_V2
    for p in [*bundle.glob("*.csv"), *bundle.glob("inputs/*.csv")]:
        for cell in _csv_cells(p.read_bytes()):
            assert not cell.startswith(FORMULA_STARTS), (p.name, cell)
    assert b"<f>" not in _sheet_xml((bundle / "assignments.xlsx").read_bytes())
    # The tool's own readers undo the escaping exactly.
    files = {p.relative_to(bundle).as_posix(): p.read_bytes() for p in bundle.rglob("*.csv")}
    assert {f.uscc: f.name for f in Inputs.from_csv_files(files).firms} == names
    assert cli_ok(db_url, "verify", str(bundle)).startswith("verified")
    assert "ledger verified" in cli_ok(db_url, "ledger", "verify")
    with Session(engine) as s:
        assert {f.uscc: f.name for f in s.exec(select(DrawFirm))} == {u: names[u] for u in sample_of(bundle)}
    # The public sheet and the annual report.
    cli_ok(db_url, "results", "import", str(results_csv(tmp_path / "r.csv", full_results(engine, d.draw_id))),
           "--draw", str(d.draw_id))
    cli_ok(db_url, "publish", "--draw", str(d.draw_id), "--out", str(tmp_path / "pub"))
    pub = tmp_path / "pub"
    assert b"<f>" not in _sheet_xml((pub / f"public-draw-{d.draw_id}.xlsx").read_bytes())
    cells = _csv_cells((pub / f"public-draw-{d.draw_id}.csv").read_bytes())
    assert not [c for c in cells if c.startswith(FORMULA_STARTS)]
    assert any(c == "'" + names[u] for u in sample_of(bundle) for c in cells if names[u].startswith("="))
    cli_ok(db_url, "report", "--year", "2026", "--out", str(tmp_path / "rep"))
    for x in (tmp_path / "rep").glob("*.xlsx"):
        assert b"<f>" not in _sheet_xml(x.read_bytes())


@pytest.mark.parametrize("cell", ["=1", "'=1", "''=1", "'", "''", "'a", "-", "a=1", "\r", "'\t", "@", ""])
def test_csv_escaping_round_trips_exactly(cell: str) -> None:
    escaped = csv_escape(cell)
    assert csv_unescape(escaped) == cell
    assert not escaped.startswith(FORMULA_STARTS)


def test_release_0_1_bundles_are_read_without_unescaping(tmp_path: Path) -> None:
    """A v1 bundle's CSV cell "'=x" is the text "'=x": the v1 reader keeps it as it is."""
    files = Inputs([], [], [], [], []).to_csv_files(escape=False)
    text_ = files["inputs/conflicts.csv"].decode() + "A1,91430200MA4L0000X,'=x\n"
    files["inputs/conflicts.csv"] = text_.encode()
    assert Inputs.from_csv_files(files, unescape=False).conflicts[0].reason == "'=x"
    assert Inputs.from_csv_files(files, unescape=True).conflicts[0].reason == "=x"


# ---------------------------------------------------------------------------- files (SPEC §9)


@pytest.mark.parametrize("name", ["/tmp/inspect-sched-evil/authorized_keys", "../evil.txt", "inputs/../../evil.txt"])
def test_export_writes_only_inside_out(db_url: str, tmp_path: Path, name: str) -> None:
    engine = get_engine(db_url)
    small_pool(engine)
    d = draw(engine, tmp_path / "b")
    with Session(engine) as s:
        s.add(DrawFile(draw_id=d.draw_id, name=name, content=b"ssh-rsa AAAA attacker"))
        s.commit()
    work = tmp_path / "work"
    work.mkdir()
    code, out = run(db_url, "export", "--draw", str(d.draw_id), "--out", str(work / "copy"))
    assert code == 1 and "must stay inside --out" in out
    assert not Path("/tmp/inspect-sched-evil").exists()
    assert not (tmp_path / "evil.txt").exists() and not (work / "evil.txt").exists()
    assert list(work.iterdir()) == []


def test_the_sqlite_database_is_created_owner_only(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    cli_ok(f"sqlite:///{db}", "init")
    assert db.stat().st_mode & 0o777 == 0o600


def test_out_dot_symlink_and_mount_point_are_refused_before_anything_is_recorded(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    small_pool(get_engine(db_url))
    before = dbdump.dump(db_url)
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.chdir(empty)
    code, out = run(db_url, "draw", "--period", "2026-12", "--seed", SEED, "--out", ".")
    assert code == 1 and "--out" in out
    target = tmp_path / "target"
    target.mkdir()
    (tmp_path / "link").symlink_to(target)
    code, out = run(db_url, "draw", "--period", "2026-12", "--seed", SEED, "--out", str(tmp_path / "link"))
    assert code == 1 and "symbolic link" in out
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    real_ismount = os.path.ismount
    monkeypatch.setattr(os.path, "ismount", lambda p: Path(p) == mnt or real_ismount(p))
    code, out = run(db_url, "draw", "--period", "2026-12", "--seed", SEED, "--out", str(mnt))
    assert code == 1 and "mount point" in out
    assert dbdump.dump(db_url) == before  # nothing recorded, so a retry is no REDRAW
    assert list(target.iterdir()) == [] and list(mnt.iterdir()) == [] and list(empty.iterdir()) == []


# ---------------------------------------------------------------------------- warnings for silent no-ops


def test_filters_and_districts_that_match_nothing_are_warned_about(db_url: str, tmp_path: Path) -> None:
    engine = get_engine(db_url)
    small_pool(engine)
    with Session(engine) as s:
        # Spelled without 县 in the enterprise pool: the cross-district rule cannot see them.
        s.execute(update(Enterprise).where(Enterprise.district == "攸县").values(district="攸"))
        s.commit()
    out = cli_ok(db_url, "plan", "--period", "2026-12", "--filter", "district=天元区,火星区")
    assert "warning: --filter district=火星区 matches no enterprise" in out
    assert "--filter district=天元区" not in out and "inspector's district" not in out
    out = cli_ok(db_url, "plan", "--period", "2026-12")
    assert "1 district(s) of the frame match no inspector's district (攸)" in out


def test_an_inspector_district_no_enterprise_has_is_warned_about(db_url: str, tmp_path: Path) -> None:
    """天元 for 天元区 in the inspector pool: the rule would let that inspector check 天元区 firms."""
    engine = get_engine(db_url)
    small_pool(engine)
    with Session(engine) as s:
        s.execute(update(Inspector).where(Inspector.district == "天元区").values(district="天元"))
        s.commit()
    for args in (["plan", "--period", "2026-12", "--filter", "district=荷塘区"],
                 ["draw", "--period", "2026-12", "--seed", "1234567890123456789012", "--out", str(tmp_path / "b")]):
        out = cli_ok(db_url, *args)
        assert "1 inspector district(s) match no enterprise's district (天元)" in out, out
    # An inspector with no district at all is named too.
    with Session(engine) as s:
        first = s.exec(select(Inspector.inspector_id).where(Inspector.active == True)  # noqa: E712
                       .order_by(Inspector.inspector_id)).first()
        s.execute(update(Inspector).where(Inspector.inspector_id == first).values(district=""))
        s.commit()
    out = cli_ok(db_url, "plan", "--period", "2026-12", "--filter", "district=荷塘区")
    assert f"1 inspector(s) of the task have no 所属区县 ({first})" in out
    # Without the cross-district rule the spelling changes nothing: no warning.
    pol = tmp_path / "p.toml"
    pol.write_text('cross_district = false\n', "utf-8")
    out = cli_ok(db_url, "plan", "--period", "2027-01", "--policy", str(pol))
    assert "inspector district" not in out and "no 所属区县" not in out


# ---------------------------------------------------------------------------- verification (SPEC §9)


def test_verify_prints_what_it_checked(db_url: str, tmp_path: Path) -> None:
    small_pool(get_engine(db_url))
    d = draw(db_url, tmp_path / "b")
    manifest_raw = (tmp_path / "b" / "manifest.json").read_bytes()
    m = json.loads(manifest_raw)
    out = cli_ok(db_url, "verify", str(tmp_path / "b"))
    assert f"plan commitment: {m['plan_commitment']}" in out
    assert f"manifest sha256: {sha256_hex(manifest_raw)}" in out and sha256_hex(manifest_raw) == d.manifest_sha256
    assert f"ledger hash:     {m['ledger']['hash']}" in out


def test_verify_rejects_a_seed_spec_forbids(sqlite_url: str, tmp_path: Path) -> None:
    small_pool(get_engine(sqlite_url))
    draw(sqlite_url, tmp_path / "b")
    for bad in ("2026|1201", "", "1" * 201, "12\x0734"):
        m = json.loads((tmp_path / "b" / "manifest.json").read_text("utf-8"))
        m["seed"] = bad
        (tmp_path / "b" / "manifest.json").write_text(json.dumps(m, ensure_ascii=False), "utf-8")
        code, out = run(sqlite_url, "verify", str(tmp_path / "b"))
        assert code == 1 and "SPEC §1 forbids such a seed" in out, (bad, out)


def test_ledger_head_and_verify_head_catch_a_removed_last_draw(db_url: str, tmp_path: Path) -> None:
    engine = get_engine(db_url)
    small_pool(engine)
    draw(engine, tmp_path / "a")
    cli_ok(db_url, "draw", "--period", "2027-01", "--seed", SEED, "--out", str(tmp_path / "b"))
    head = cli_ok(db_url, "ledger", "head").split()[0]
    with Session(engine) as s:
        assert head == s.get(LedgerEntry, 2).hash  # type: ignore[union-attr]
    assert "is in the chain" in cli_ok(db_url, "ledger", "verify", "--head", head)
    # The whole line `ledger head` printed, pasted, is read; a shortened hash is a usage error.
    pasted = cli_ok(db_url, "ledger", "head").strip()
    assert f"published head {head} is in the chain (entry #2)\n" in cli_ok(db_url, "ledger", "verify", "--head",
                                                                           pasted.upper())
    with Session(engine) as s:
        first = s.get(LedgerEntry, 1).hash  # type: ignore[union-attr]
    assert (f"published head {first} is in the chain (entry #1); entry 2 was added after it, and only a head "
            "published later pins them") in cli_ok(db_url, "ledger", "verify", "--head", first)
    code, out = run(db_url, "ledger", "verify", "--head", head[:12])
    assert code == 2 and "give the full 64-character hash that `ledger head` printed (got 12 characters)" in out
    with Session(engine) as s:  # remove the last draw cleanly, everywhere
        for table in ("ledger", "draw_firm", "draw_file"):
            col = "sequence" if table == "ledger" else "draw_id"
            s.execute(text(f"DELETE FROM {table} WHERE {col} = 2"))
        s.execute(text("DELETE FROM draw WHERE id = 2"))
        s.commit()
    assert "ledger verified" in cli_ok(db_url, "ledger", "verify")  # the chain alone cannot tell
    code, out = run(db_url, "ledger", "verify", "--head", head)
    assert code == 1 and f"published head {head[:16]}… is not in the ledger" in out


TAMPERS = {
    "created_at": (lambda s: s.execute(update(Draw).values(created_at="2020-01-01T00:00:00Z")), "created_at"),
    "sample_size": (lambda s: s.execute(update(Draw).values(sample_size=3)), "sample size"),
    "plan_id": (lambda s: s.execute(update(Draw).values(plan_id=2)), "plan 2 has commitment"),
    "stratum": (lambda s: s.execute(update(DrawFirm).values(stratum="special")), "stored stratum"),
    "entry_draw_id": (lambda s: s.execute(update(LedgerEntry).values(draw_id=7)), "body says draw 1"),
    "plan_file": (lambda s: s.execute(update(PlanFile).where(PlanFile.plan_id == 2).values(content=b"uscc\n")),
                  "plan 2: stored frozen files"),
}


@pytest.mark.parametrize("what", sorted(TAMPERS))
def test_ledger_verify_checks_every_stored_field_a_draw_depends_on(db_url: str, tmp_path: Path, what: str) -> None:
    engine = get_engine(db_url)
    small_pool(engine)
    draw(engine, tmp_path / "a")
    make_plan(engine, build_spec("2027-01"))  # plan 2, another commitment
    assert "ledger verified" in cli_ok(db_url, "ledger", "verify")
    change, said = TAMPERS[what]
    with Session(engine) as s:
        change(s)
        s.commit()
    code, out = run(db_url, "ledger", "verify")
    assert code == 1 and said in out, out


MALFORMED_BODIES = ["[]", '"x"', "{", '{"kind": "draw", "sequence": 1, "draw_id": [1]}',
                    '{"kind": "draw", "sequence": 1, "draw_id": {"a": 1}}', "[" * 5000 + "]" * 5000,
                    '{"kind": "draw", "sequence": "1", "draw_id": 1, "period": null}']
MALFORMED_MANIFESTS = [b"[]", b"\xff\xfe", b'{"ledger": [], "files": 3}', b'{"strata": {"key": 5}}', b"null"]


@pytest.mark.parametrize("k", range(len(MALFORMED_BODIES) + len(MALFORMED_MANIFESTS)))
def test_ledger_verify_answers_a_malformed_database_without_traceback(db_url: str, tmp_path: Path, k: int) -> None:
    engine = get_engine(db_url)
    small_pool(engine)
    draw(engine, tmp_path / "a")
    with Session(engine) as s:
        if k < len(MALFORMED_BODIES):
            s.execute(update(LedgerEntry).values(body=MALFORMED_BODIES[k]))
        else:
            s.execute(update(DrawFile).where(DrawFile.name == "manifest.json")
                      .values(content=MALFORMED_MANIFESTS[k - len(MALFORMED_BODIES)]))
        s.commit()
    code, out = run(db_url, "ledger", "verify")
    assert code == 1 and "problem(s)" in out
    run(db_url, "ledger", "list")  # must not crash either


def test_a_blank_looking_or_overlong_redraw_reason_is_refused(db_url: str, tmp_path: Path) -> None:
    small_pool(get_engine(db_url))
    cli_ok(db_url, "draw", "--period", "2026-12", "--seed", SEED, "--out", str(tmp_path / "a"))
    before = dbdump.dump(db_url)
    code, out = run(db_url, "draw", "--period", "2026-12", "--seed", "1", "--reason", "\u2800",
                    "--out", str(tmp_path / "b"))
    assert code == 1 and "invisible control or format character" in out
    code, out = run(db_url, "draw", "--period", "2026-12", "--seed", "1", "--reason", "因" * 501,
                    "--out", str(tmp_path / "b"))
    assert code == 1 and "--reason is 501 characters; keep it under 500" in out
    assert dbdump.dump(db_url) == before and not (tmp_path / "b").exists()
