"""``ledger verify`` says exactly what is wrong, and nothing else.

test_tamper.py shows that each kind of edit is found; these tests pin the whole list of
findings for one precise edit each, so a check that fires for the wrong record, names the
wrong value or stops after the first malformed entry fails here. They also pin the helpers
that later draws rely on: where the next entry goes, which entries since a plan touch its
frame, and whether a published head is still in the chain.

One SQLite database is built once (draw 1, a replacement, results, a filtered redraw: four
ledger entries); each test edits its own copy.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import cli_ok, draw, drawn_firms, results_csv, small_pool, today_cn
from sqlalchemy import delete, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from inspect_sched.audit import ledger
from inspect_sched.audit.bundle import GENESIS_HASH, sha256_hex
from inspect_sched.services.ledger import LEDGER_CHECKS
from inspect_sched.store.db import get_engine, init_db
from inspect_sched.store.models import Draw, DrawFile, DrawFirm, LedgerEntry, Plan


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    t = tmp_path_factory.mktemp("ledger_exact")
    url = f"sqlite:///{t / 'l.db'}"
    engine = get_engine(url)
    init_db(engine)
    small_pool(engine)
    draw(engine, t / "b1")  # entry 1
    firms = drawn_firms(engine, 1)
    cli_ok(url, "amend", "replace-firm", "--draw", "1", "--uscc", firms[0].uscc, "--reason", "企业已注销")  # 2
    rows = [{"uscc": f.uscc, "date": today_cn(), "result": "未发现问题", "measures": "", "inspector_ids": ""}
            for f in firms[1:3]]
    cli_ok(url, "results", "import", str(results_csv(t / "r.csv", rows)), "--draw", "1")  # 3
    cli_ok(url, "draw", "--period", "2026-12", "--seed", "22222222222222222222", "--filter", "district=荷塘区,芦淞区",
           "--reason", "名录库更新", "--out", str(t / "b2"))  # 4: a redraw, from a plan with filters
    engine.dispose()
    return t / "l.db"


@pytest.fixture
def engine(template: Path, tmp_path: Path) -> Iterator[Engine]:
    shutil.copy(template, tmp_path / "l.db")
    e = get_engine(f"sqlite:///{tmp_path / 'l.db'}")
    yield e
    e.dispose()


def _problems(engine: Engine, checks: ledger.LedgerChecks = LEDGER_CHECKS) -> list[str]:
    with Session(engine) as s:
        return ledger.verify(s, checks)


def _run(engine: Engine, *statements: Any) -> None:
    with Session(engine) as s:
        for st in statements:
            s.execute(st)
        s.commit()


def _entry(engine: Engine, seq: int) -> LedgerEntry:
    with Session(engine) as s:
        e = s.get(LedgerEntry, seq)
        assert e is not None
        s.expunge(e)
        return e


def _draw(engine: Engine, draw_id: int) -> Draw:
    with Session(engine) as s:
        d = s.get(Draw, draw_id)
        assert d is not None
        s.expunge(d)
        return d


def _manifest(engine: Engine, draw_id: int) -> dict[str, Any]:
    with Session(engine) as s:
        f = s.get(DrawFile, (draw_id, "manifest.json"))
        assert f is not None
        return json.loads(f.content)


def _set_manifest(engine: Engine, draw_id: int, edit: Callable[[dict[str, Any]], Any] | bytes) -> None:
    """Store a changed manifest.json and its hash in the draw record, as a careful forger would,
    so that only the checks behind the hash can find it."""
    if isinstance(edit, bytes):
        raw = edit
    else:
        m = _manifest(engine, draw_id)
        edit(m)
        raw = json.dumps(m, ensure_ascii=False).encode("utf-8")
    _run(engine, update(DrawFile).where(DrawFile.draw_id == draw_id, DrawFile.name == "manifest.json")
         .values(content=raw), update(Draw).where(Draw.id == draw_id).values(manifest_sha256=sha256_hex(raw)))


def _set_body(engine: Engine, seq: int, body: str) -> str:
    """Store ``body`` in entry ``seq`` with a hash recomputed for it; the new hash."""
    e = _entry(engine, seq)
    new = sha256_hex((e.prev_hash + "\n" + body).encode("utf-8"))
    _run(engine, update(LedgerEntry).where(LedgerEntry.sequence == seq).values(body=body, hash=new))
    return new


W1 = "ledger entry 1 (draw 1)"


def test_the_untouched_database_with_a_redraw_and_filters_is_intact(engine: Engine) -> None:
    # The redraw's reason and superseded_by, and the filtered plan's settings, all check out.
    assert _draw(engine, 1).superseded_by == 2 and _draw(engine, 2).redraw_reason == "名录库更新"
    with Session(engine) as s:
        assert json.loads(s.get(Plan, 2).filters_json) == {"district": ["芦淞区", "荷塘区"]}  # type: ignore[union-attr]
    assert _problems(engine) == []


def test_a_changed_redraw_reason_is_named_with_both_values(engine: Engine) -> None:
    _run(engine, update(Draw).where(Draw.id == 2).values(redraw_reason="结果不理想"))
    assert _problems(engine) == [
        "ledger entry 4 (draw 2): stored draw's redraw reason is '结果不理想', ledger says '名录库更新'"]


def test_a_reason_added_to_a_first_draw_is_found(engine: Engine) -> None:
    _run(engine, update(Draw).where(Draw.id == 1).values(redraw_reason="x"))
    assert _problems(engine) == [f"{W1}: stored draw's redraw reason is 'x', ledger says None"]


def test_a_changed_creation_time_is_named_with_both_values(engine: Engine) -> None:
    created = _draw(engine, 1).created_at
    _run(engine, update(Draw).where(Draw.id == 1).values(created_at="2026-12-01T00:00:00Z"))
    assert _problems(engine) == [
        f"{W1}: stored draw's created_at is '2026-12-01T00:00:00Z', ledger says {created!r}"]


def test_a_wrong_superseded_mark_is_found(engine: Engine) -> None:
    _run(engine, update(Draw).where(Draw.id == 1).values(superseded_by=None))
    assert _problems(engine) == [f"{W1}: stored draw is marked superseded by None, but the redraw of it is 2"]


def test_a_changed_sample_size_is_named(engine: Engine) -> None:
    n = _draw(engine, 1).sample_size
    _run(engine, update(Draw).where(Draw.id == 1).values(sample_size=n + 1))
    assert _problems(engine) == [f"{W1}: stored draw's sample size is {n + 1}, the manifest's strata say {n}"]


def test_manifest_strata_missing_or_malformed_count_as_zero_or_unknown(engine: Engine) -> None:
    n = _draw(engine, 1).sample_size
    strata = _manifest(engine, 1)["strata"]
    _set_manifest(engine, 1, lambda m: m.pop("strata"))
    assert f"{W1}: stored draw's sample size is {n}, the manifest's strata say 0" in _problems(engine)
    _set_manifest(engine, 1, lambda m: m.update(strata=[]))
    assert f"{W1}: stored draw's sample size is {n}, the manifest's strata say None" in _problems(engine)
    first = sorted(strata)[0]
    without = {k: ({kk: vv for kk, vv in v.items() if kk != "sample_size"} if k == first else v)
               for k, v in strata.items()}
    _set_manifest(engine, 1, lambda m: m.update(strata=without))
    assert (f"{W1}: stored draw's sample size is {n}, the manifest's strata say {n - strata[first]['sample_size']}"
            in _problems(engine))


def test_a_manifest_edited_behind_its_hash_no_longer_matches_the_ledger(engine: Engine) -> None:
    _set_manifest(engine, 1, lambda m: m.update(tool_version="9.9"))
    assert _problems(engine) == [f"{W1}: stored manifest does not match the ledger entry"]


def test_a_manifest_ledger_block_changed_or_removed_is_found(engine: Engine) -> None:
    _set_manifest(engine, 1, lambda m: m["ledger"].update(hash="0" * 64))
    assert _problems(engine) == [f"{W1}: manifest's ledger block does not match the entry"]
    _set_manifest(engine, 1, lambda m: m.pop("ledger"))
    assert _problems(engine) == [f"{W1}: manifest's ledger block does not match the entry"]


def test_a_manifest_that_is_missing_not_an_object_or_not_json(engine: Engine) -> None:
    _set_manifest(engine, 1, b"[]")
    assert _problems(engine) == [f"{W1}: stored manifest.json is not a JSON object",  # and the amendment check:
                                 "draw 1: cannot re-derive its amendments (TypeError: list indices must be integers "
                                 "or slices, not str); its stored bundle is malformed"]
    _set_manifest(engine, 1, b"{")
    json_error = "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"
    assert _problems(engine) == [
        f"ledger entry 1: cannot be checked (JSONDecodeError: {json_error}); the stored record is malformed",
        f"draw 1: cannot re-derive its amendments (JSONDecodeError: {json_error}); its stored bundle is malformed"]
    _run(engine, delete(DrawFile).where(DrawFile.draw_id == 1, DrawFile.name == "manifest.json"))
    assert _problems(engine) == [f"{W1}: stored bundle has no manifest.json",
                                 "draw 1: cannot re-derive its amendments (KeyError: 'manifest.json'); "
                                 "its stored bundle is malformed"]


@pytest.mark.parametrize("fmt", ["inspect-sched/draw-v0", []])
def test_an_unknown_manifest_format_is_named(engine: Engine, fmt: object) -> None:
    _set_manifest(engine, 1, lambda m: m.update(format=fmt))
    assert _problems(engine) == [f"{W1}: stored manifest does not match the ledger entry",
                                 f"{W1}: stored manifest has unknown format {fmt!r}"]


def test_bundle_files_missing_unlisted_or_changed_are_each_named(engine: Engine) -> None:
    with Session(engine) as s:
        frame = s.get(DrawFile, (1, "frame.csv"))
        assert frame is not None
        s.add(DrawFile(draw_id=1, name="notes.txt", content=b"x"))
        frame.content += b"\n"
        s.add(frame)
        s.delete(s.get(DrawFile, (1, "certificate.json")))
        s.commit()
    assert sorted(_problems(engine)) == sorted([
        f"{W1}: stored bundle lacks certificate.json", f"{W1}: stored bundle has unlisted file notes.txt",
        f"{W1}: stored frame.csv was changed"])


def test_a_manifest_without_its_file_list_lists_every_stored_file_as_unlisted(engine: Engine) -> None:
    with Session(engine) as s:
        names = sorted(f.name for f in s.exec(select(DrawFile).where(DrawFile.draw_id == 1)) if f.name != "manifest.json")
    _set_manifest(engine, 1, lambda m: m.pop("files"))
    assert sorted(_problems(engine)) == sorted([f"{W1}: stored manifest does not match the ledger entry"]
                                               + [f"{W1}: stored bundle has unlisted file {n}" for n in names])


def test_the_plan_missing_or_its_commitment_changed(engine: Engine) -> None:
    plan_id = _draw(engine, 1).plan_id
    with Session(engine) as s:
        plan = s.get(Plan, plan_id)
        assert plan is not None
        commitment = plan.commitment
    _run(engine, update(Plan).where(Plan.id == plan_id).values(commitment="a" * 64))
    assert _problems(engine) == [
        f"{W1}: stored draw's plan {plan_id} has commitment {'a' * 16}…, the manifest {commitment[:16]}…",
        f"plan {plan_id}: stored frozen files or settings do not give its commitment {'a' * 16}… "
        "(changed after it was published)"]
    con = sqlite3.connect(str(engine.url.database))  # a forger's sqlite3 shell enforces no foreign keys
    con.execute("UPDATE draw SET plan_id = 99 WHERE id = 1")
    con.commit()
    con.close()
    assert _problems(engine)[0] == f"{W1}: the draw's plan 99 is missing from the database"


def test_malformed_plan_settings_are_named_and_later_plans_still_checked(engine: Engine) -> None:
    with Session(engine) as s:
        c2 = s.get(Plan, 2).commitment  # type: ignore[union-attr]
    _run(engine, update(Plan).where(Plan.id == 1).values(policy_json="{"),
         update(Plan).where(Plan.id == 2).values(filters_json='{"district": ["荷塘区"]}'))
    assert _problems(engine) == [
        "plan 1: stored settings are malformed (JSONDecodeError: Expecting property name enclosed in double quotes: "
        "line 1 column 2 (char 1))",
        f"plan 2: stored frozen files or settings do not give its commitment {c2[:16]}… (changed after it was published)"]


def test_stored_assignments_that_differ_name_the_first_five_changed_firms(engine: Engine) -> None:
    firms = sorted(f.uscc for f in drawn_firms(engine, 1))
    assert len(firms) >= 7
    changed = firms[1:7]  # not the first: the message names the changed firms, not just any
    _run(engine, update(DrawFirm).where(DrawFirm.draw_id == 1, DrawFirm.uscc.in_(changed)).values(name="另一家公司"))
    assert _problems(engine) == [f"{W1}: stored assignments differ from the bundle for {', '.join(changed[:5])}"]


def test_a_firm_added_to_a_draw_is_named(engine: Engine) -> None:
    with Session(engine) as s:
        s.add(DrawFirm(draw_id=1, uscc="91430200MA4L00001X", name="x", district="x", stratum="key"))
        s.commit()
    assert _problems(engine) == [f"{W1}: stored assignments differ from the bundle for 91430200MA4L00001X",
                                 f"{W1}: stored stratum of drawn firm(s) 91430200MA4L00001X differs from sample.csv"]


def test_changed_strata_name_the_first_five_firms(engine: Engine) -> None:
    firms = sorted(f.uscc for f in drawn_firms(engine, 1))
    _run(engine, update(DrawFirm).where(DrawFirm.draw_id == 1).values(stratum="special2"))
    assert _problems(engine) == [f"{W1}: stored stratum of drawn firm(s) {', '.join(firms[:5])} differs from sample.csv"]


@pytest.mark.parametrize(("body", "says"), [
    ('{"draw_id": true}', "draw True): draw_id is not a number"),
    ('{"draw_id": "1"}', "draw 1): draw_id is not a number"),
    ('{"draw_id": 99}', "draw 99): the draw is missing from the database (deleted?)"),
])
def test_a_draw_entry_body_without_a_usable_draw_id(engine: Engine, body: str, says: str) -> None:
    with Session(engine) as s:
        e = s.get(LedgerEntry, 1)
        assert e is not None
        assert ledger._check_draw(s, e, json.loads(body)) == [f"ledger entry 1 ({says}"]


def test_entry_bodies_that_disagree_with_their_entry(engine: Engine) -> None:
    body = json.loads(_entry(engine, 3).body)
    for change, says in (({"sequence": 7}, "body says sequence 7"),
                         ({"draw_id": 5}, "body says draw 5, the entry draw 1")):
        new = _set_body(engine, 3, json.dumps({**body, **change}))
        problems = _problems(engine)
        assert problems[0] == f"ledger entry 3: {says}"
        assert (f"ledger entry 4: prev_hash {_entry(engine, 4).prev_hash[:12]}… does not match entry 3's hash "
                f"{new[:12]}…") in problems
    _set_body(engine, 3, json.dumps({**body, "kind": "import"}))
    assert _problems(engine)[0] == "ledger entry 3: body says kind 'import', the entry 'results'"


@pytest.mark.parametrize(("body", "says"), [("x", "body is not JSON"), ("[]", "body is not a JSON object")])
def test_a_malformed_entry_is_named_and_the_entries_after_it_still_checked(engine: Engine, body: str,
                                                                           says: str) -> None:
    new = _set_body(engine, 1, body)
    problems = _problems(engine)
    assert problems[:2] == [f"ledger entry 1: {says}",
                            f"ledger entry 2: prev_hash {_entry(engine, 2).prev_hash[:12]}… does not match "
                            f"entry 1's hash {new[:12]}…"]
    assert "draw 1: has no ledger entry (recorded outside the ledger)" in problems


def test_a_deleted_first_entry(engine: Engine) -> None:
    _run(engine, delete(LedgerEntry).where(LedgerEntry.sequence == 1))
    problems = _problems(engine)
    assert problems[:2] == [
        "ledger entry 2: expected sequence 1 (an entry is missing or renumbered)",
        f"ledger entry 2: prev_hash {_entry(engine, 2).prev_hash[:12]}… does not match entry 0's hash "
        f"{GENESIS_HASH[:12]}…"]
    assert "draw 1: has no ledger entry (recorded outside the ledger)" in problems


def test_a_check_that_fails_is_a_finding_named_by_where_it_ran(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_: object) -> list[str]:
        raise RuntimeError("boom")

    checks = ledger.LedgerChecks(entries={**LEDGER_CHECKS.entries, "results": boom}, final=(boom,))
    assert _problems(engine, checks) == [
        "ledger entry 3: cannot be checked (RuntimeError: boom); the stored record is malformed",
        "ledger: cannot be checked (RuntimeError: boom); the stored record is malformed"]
    monkeypatch.setattr(ledger, "_check_plans", boom)
    assert _problems(engine) == ["plans: cannot be checked (RuntimeError: boom); the stored record is malformed"]
    long = "x" * 300
    monkeypatch.setattr(ledger, "_check_plans", lambda _s: (_ for _ in ()).throw(ValueError(long)))
    assert _problems(engine) == [f"plans: cannot be checked (ValueError: {'x' * 200}); the stored record is malformed"]


# ----------------------------------------------------------------- where the next entry goes


def test_head_and_next_sequence_follow_the_last_entry(engine: Engine, tmp_path: Path) -> None:
    with Session(engine) as s:
        last = s.get(LedgerEntry, 4)
        assert last is not None
        assert ledger.head(s) == ledger.Head(5, last.hash)
        assert ledger.next_sequence(s) == 5
        assert [e.sequence for e in ledger.entries(s)] == [1, 2, 3, 4]
    empty = get_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    init_db(empty)
    with Session(empty) as s:
        assert ledger.head(s) == ledger.Head(1, GENESIS_HASH)
        assert ledger.next_sequence(s) == 1
    empty.dispose()


def test_append_refuses_a_body_for_another_place(engine: Engine) -> None:
    with Session(engine) as s:
        with pytest.raises(ValueError, match="^ledger body sequence does not match the head$"):
            ledger.append(s, ledger.head(s), {"sequence": 4, "kind": "x"}, None)


# -------------------------------------------------------------- entries since a plan was made


def test_entries_since_name_what_touches_the_frame_and_warn_of_the_rest(engine: Engine) -> None:
    d1 = {f.uscc for f in drawn_firms(engine, 1)}
    d2 = {f.uscc for f in drawn_firms(engine, 2)}
    with Session(engine) as s:
        assert ledger.ENTRY_FIRMS["draw"](s, s.get(LedgerEntry, 1), {}) == d1  # type: ignore[arg-type]
        assert ledger.ENTRY_FIRMS["draw"](s, s.get(LedgerEntry, 4), {}) == d2  # type: ignore[arg-type]
        amend = json.loads(s.get(LedgerEntry, 2).body)  # type: ignore[union-attr]
        (row,) = amend["rows"]
        touched = {row[0], row[2]}
        assert ledger.ENTRY_FIRMS["amend"](s, s.get(LedgerEntry, 2), amend) == touched  # type: ignore[arg-type]
        frame = d1 | touched
        later = ledger.entries_since(s, 1, frame)
        assert later.touching == [(1, "draw", len(d1)), (2, "amend", 2), (4, "draw", len(d2 & frame))]
        assert later.warnings == ["ledger entry 3: results were imported after the plan was made "
                                  "(the plan's frozen inputs do not include them)"]
        # A redraw's plan ignores the draw it replaces, and that draw's own entries.
        assert ledger.entries_since(s, 2, frame, frozenset({1})) == ledger.Later([(4, "draw", len(d2 & frame))], [])
        assert ledger.entries_since(s, 2, frame, frozenset({2})) == ledger.Later(
            [(2, "amend", 2)], [later.warnings[0]])
        assert ledger.entries_since(s, 5, frame) == ledger.Later([], [])


@pytest.mark.parametrize(("body", "firms"), [
    ({"rows": [["A", "ZZ1", "B", "ZZ2;ZZ3"], ["C", "", "", "ZZ4"]]}, {"A", "B", "C"}),
    ({"rows": [["A", "ZZ1", "", ""], "x", ["", "ZZ1", 7, ""]]}, {"A"}),
    ({"rows": "A"}, set()),
    ({}, set()),
])
def test_an_amendment_touches_its_removed_or_restaffed_firm_and_its_replacement(body: dict[str, Any],
                                                                               firms: set[str]) -> None:
    assert ledger.ENTRY_FIRMS["amend"](None, None, body) == firms  # type: ignore[arg-type]


# ------------------------------------------------------------------------- a published head


def test_a_published_head_is_found_in_the_chain_or_said_missing(engine: Engine) -> None:
    with Session(engine) as s:
        chain = ledger.entries(s)
    assert ledger.head_problems(chain, f"  {chain[1].hash.upper()}\n") == []
    gone = "ab" * 32
    assert ledger.head_problems(chain, gone) == [
        f"published head {gone[:16]}… is not in the ledger (it has 4 entries): entries were removed or the chain "
        "was rewritten since it was published"]
    assert ledger.head_problems(chain[:2], gone)[0].startswith(f"published head {gone[:16]}… is not in the ledger "
                                                               "(it has 2 entries)")
    assert ledger.head_problems([], gone)[0].startswith(f"published head {gone[:16]}… is not in the ledger "
                                                        "(it has 0 entries)")


def test_a_long_settings_error_is_cut_at_200_characters(engine: Engine) -> None:
    from inspect_sched.schema.policy import policy_from_dict

    raw = json.loads(_entry_plan_policy(engine))
    raw["strata"] = {"x" * 300: {"ratio": "0.1"}}
    with pytest.raises(Exception) as info:
        policy_from_dict(raw)
    assert len(str(info.value)) > 200
    _run(engine, update(Plan).where(Plan.id == 1).values(policy_json=json.dumps(raw)))
    assert _problems(engine)[-1] == (f"plan 1: stored settings are malformed ({type(info.value).__name__}: "
                                     f"{str(info.value)[:200]})")


def _entry_plan_policy(engine: Engine) -> str:
    with Session(engine) as s:
        plan = s.get(Plan, 1)
        assert plan is not None
        return plan.policy_json


def test_a_file_edited_with_sql_replace_is_named_like_any_other_change(engine: Engine, tmp_path: Path) -> None:
    """SQL replace() on a stored file leaves TEXT, not bytes, in SQLite: the finding still names
    the file, the other changes of the draw are still found, and export does not crash."""
    seed = _draw(engine, 1).seed
    con = sqlite3.connect(str(engine.url.database))
    con.execute("UPDATE draw_file SET content = replace(content, '9143', '9143') WHERE draw_id = 1 AND name = 'frame.csv'")
    con.execute("UPDATE plan_file SET content = replace(content, '9143', '9143') WHERE plan_id = 1")
    con.execute("UPDATE draw SET seed = '11111111111111111111' WHERE id = 1")
    con.commit()
    assert con.execute("SELECT typeof(content) FROM draw_file WHERE draw_id = 1 AND name = 'frame.csv'").fetchone() \
        == ("text",)
    con.close()
    problems = _problems(engine)
    assert f"{W1}: stored draw's seed is '11111111111111111111', ledger says {seed!r}" in problems
    # The same characters as text: the bytes, and so the hashes, are unchanged; nothing else is said.
    assert [p for p in problems if "frame.csv" in p or "plan" in p] == []
    url = str(engine.url)
    cli_ok(url, "export", "--draw", "1", "--out", str(tmp_path / "x"))
    assert (tmp_path / "x" / "frame.csv").read_bytes().startswith(b"uscc,")


def test_a_file_replaced_by_a_number_is_named(engine: Engine) -> None:
    con = sqlite3.connect(str(engine.url.database))
    con.execute("UPDATE draw_file SET content = 5 WHERE draw_id = 1 AND name = 'frame.csv'")
    con.commit()
    con.close()
    problems = _problems(engine)
    assert problems[0] == f"{W1}: stored frame.csv was changed"
    assert all(p.startswith("draw 1: amendment 1") for p in problems[1:])  # re-derived from the broken frame
