"""How recorded draws feed the history that later draws are framed from (SPEC §2, §4).

Each test pins one rule that a refactor could silently break (issue 16's survivors):
a superseded draw stops counting, a drawn firm with a result counts once (on its result's
date), and a draw's firms count on the first day of its period. Every test runs on both
backends and goes through the library's public draw function and the CLI only.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from helpers import cli_ok, draw, drawn_firms, results_csv, small_pool
from sqlmodel import Session, select

from inspect_sched.store.db import get_engine
from inspect_sched.store.models import Draw, Enterprise


def frame_reasons(bundle: Path) -> dict[str, str]:
    """uscc -> excluded_reason ("" when eligible) from a bundle's frame.csv."""
    with (bundle / "frame.csv").open(encoding="utf-8", newline="") as f:
        return {row["uscc"]: row["excluded_reason"] for row in csv.DictReader(f)}


def credits(url: str) -> dict[str, str]:
    with Session(get_engine(url)) as s:
        return {e.uscc: e.credit for e in s.exec(select(Enterprise))}


def test_superseded_draw_stops_counting_as_inspections(db_url: str, tmp_path: Path) -> None:
    """Draw 2026-11, draw 2026-10, redraw 2026-11, draw 2026-12: the first November draw
    never counts, neither for its own redraw nor for December; October's draw always does."""
    engine = get_engine(db_url)
    small_pool(engine)
    first = draw(engine, tmp_path / "nov-a", seed="11111111111111111111", period="2026-11")
    october = draw(engine, tmp_path / "oct", seed="99999999999999999999", period="2026-10")
    second = draw(engine, tmp_path / "nov-b", seed="22222222222222222222", period="2026-11")
    with Session(engine) as s:
        assert s.get(Draw, first.draw_id).superseded_by == second.draw_id
    firms_a = {f.uscc for f in drawn_firms(engine, first.draw_id)}
    firms_oct = {f.uscc for f in drawn_firms(engine, october.draw_id)}
    kept = {f.uscc for f in drawn_firms(engine, second.draw_id)}
    grade = credits(db_url)
    counted = {u: "annual_cap" if grade[u] == "green" else "recently_inspected" for u in firms_oct}
    # The redraw is framed as if the first November draw had not been made; October (31 days
    # before) still counts, whatever order the draws are read in.
    redraw = frame_reasons(tmp_path / "nov-b")
    assert {u: redraw[u] for u in firms_a - firms_oct} == {u: "" for u in firms_a - firms_oct}
    assert {u: redraw[u] for u in firms_oct} == counted
    dropped = firms_a - kept - firms_oct
    assert dropped, "the two November draws must differ for this test to mean anything"
    draw(engine, tmp_path / "dec", seed="33333333333333333333", period="2026-12")
    december = frame_reasons(tmp_path / "dec")
    # Superseded and never visited: not an inspection, so nothing excludes these firms.
    assert {u: december[u] for u in dropped} == {u: "" for u in dropped}
    # The redraw's firms were inspected on 2026-11-01 (30 days before), October's on 2026-10-01
    # (61 days): capped (green, cap 1) or recent.
    assert {u: december[u] for u in kept | firms_oct} == {
        u: "annual_cap" if grade[u] == "green" else "recently_inspected" for u in kept | firms_oct
    }
    # The bundle's frozen history says where each implied inspection comes from.
    with (tmp_path / "dec" / "inputs" / "history.csv").open(encoding="utf-8", newline="") as f:
        sources = {(r["uscc"], r["source"]) for r in csv.DictReader(f)}
    assert sources == {(u, f"draw:{second.draw_id}") for u in kept} | {(u, f"draw:{october.draw_id}") for u in firms_oct}


def test_drawn_firm_with_a_result_counts_once(db_url: str, tmp_path: Path) -> None:
    """A blue firm (annual cap 2) drawn in 2026-03 with a result is still eligible in 2026-09."""
    engine = get_engine(db_url)
    small_pool(engine)
    march = draw(engine, tmp_path / "mar", seed="44444444444444444444", period="2026-03")
    # The draw was made in March (the results import refuses dates before the draw was made).
    with Session(engine) as s:
        d = s.get(Draw, march.draw_id)
        d.created_at = "2026-03-02T01:00:00Z"
        s.add(d)
        s.commit()
    firms = drawn_firms(engine, march.draw_id)
    rows = [{"uscc": f.uscc, "date": "2026-03-10", "result": "未发现问题", "measures": "", "inspector_ids": ""}
            for f in firms]
    cli_ok(db_url, "results", "import", str(results_csv(tmp_path / "r.csv", rows)), "--draw", str(march.draw_id))
    draw(engine, tmp_path / "sep", seed="55555555555555555555", period="2026-09")
    september = frame_reasons(tmp_path / "sep")
    grade = credits(db_url)
    drawn = {f.uscc for f in firms}
    assert any(grade[u] == "blue" for u in drawn), "the March draw must hold a blue firm"
    # One random inspection in 2026 (on 2026-03-10, 175 days before): only green (cap 1) is capped.
    assert {u: september[u] for u in drawn} == {u: "annual_cap" if grade[u] == "green" else "" for u in drawn}


def test_drawn_firms_count_on_the_first_day_of_the_period(db_url: str, tmp_path: Path) -> None:
    """A draw for 2026-08 counts on 2026-08-01: 92 days before 2026-11-01, beyond the 90-day window."""
    engine = get_engine(db_url)
    small_pool(engine)
    august = draw(engine, tmp_path / "aug", seed="66666666666666666666", period="2026-08")
    draw(engine, tmp_path / "nov", seed="77777777777777777777", period="2026-11")
    november = frame_reasons(tmp_path / "nov")
    grade = credits(db_url)
    drawn = {f.uscc for f in drawn_firms(engine, august.draw_id)}
    assert (dt.date(2026, 11, 1) - dt.date(2026, 8, 1)).days == 92
    assert {u: november[u] for u in drawn} == {u: "annual_cap" if grade[u] == "green" else "" for u in drawn}
    # The November draw's firms, 30 days before December, are recent (or capped): the rule is live.
    draw(engine, tmp_path / "dec", seed="88888888888888888888", period="2026-12")
    december = frame_reasons(tmp_path / "dec")
    november_drawn = {f.uscc for f in drawn_firms(engine, august.draw_id + 1)}
    assert {december[u] for u in november_drawn} <= {"recently_inspected", "annual_cap"}
