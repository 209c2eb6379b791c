"""amend replace-firm / substitute end to end (SPEC §7): record, ledger, export, verify,
results, public sheet, and refusals that change nothing — on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from dbdump import diff, dump
from helpers import drawn_firms, results_csv, small_pool, today_cn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update
from sqlmodel import Session, select

from inspect_sched.cli import cli
from inspect_sched.core import amend as core
from inspect_sched.core.assign import Assignment, check_assignment
from inspect_sched.services.amend import _load
from inspect_sched.store.db import get_engine
from inspect_sched.store.models import Amendment, Draw, DrawFirm

SEED = "20261201093015482736"


def run(url: str, *args: str, code: int = 0) -> str:
    res = CliRunner().invoke(cli, ["--db", url, *args])
    assert res.exit_code == code, f"exit {res.exit_code} != {code}\n{res.output}"
    assert "Traceback" not in res.output
    return res.output


@pytest.fixture
def drawn(db_url: str, tmp_path: Path) -> str:
    small_pool(get_engine(db_url), firms=200)
    run(db_url, "draw", "--period", "2026-12", "--seed", SEED, "--out", str(tmp_path / "bundle"))
    return db_url


def _current(tmp_path: Path, url: str, name: str = "x") -> tuple[Path, list[dict[str, str]]]:
    out = tmp_path / name
    run(url, "export", "--draw", "1", "--out", str(out))
    with open(out / "assignments-current.csv", encoding="utf-8") as fh:
        return out, list(csv.DictReader(fh))


def _sample_order(tmp_path: Path) -> list[str]:
    with open(tmp_path / "bundle" / "sample.csv", encoding="utf-8") as fh:
        return [r["uscc"] for r in csv.DictReader(fh)]


def _stratum(tmp_path: Path, uscc: str) -> str:
    with open(tmp_path / "bundle" / "frame.csv", encoding="utf-8") as fh:
        return next(r["stratum"] for r in csv.DictReader(fh) if r["uscc"] == uscc)


def test_replace_export_verify_round_trip(drawn: str, tmp_path: Path) -> None:
    url = drawn
    order = _sample_order(tmp_path)
    victim = next(u for u in order if _stratum(tmp_path, u) == "general")
    out = run(url, "amend", "replace-firm", "--draw", "1", "--uscc", victim, "--reason", "企业已注销")
    assert "amendment 1 recorded" in out and victim in out
    with Session(get_engine(url)) as s:
        (a,) = s.exec(select(Amendment)).all()
        # The teams as drawn are kept: verify and ledger verify compare them with the bundle.
        assert s.get(DrawFirm, (1, victim)) is not None
    assert a.action == "replace-firm" and a.uscc == victim and a.replacement and a.reason == "企业已注销"
    assert _stratum(tmp_path, a.replacement) == "general"
    folder, current = _current(tmp_path, url)
    assert [r["uscc"] for r in current] == [u for u in order if u != victim] + [a.replacement]
    assert current[-1]["inspector_ids"] == a.team
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    # Draws are written as draw-v2 since issue 9 (formula-safe CSV cells); the drawn format is kept.
    assert manifest["format"] == "inspect-sched/draw-v2" and manifest["drawn_format"] == "inspect-sched/draw-v2"
    checked = run(url, "verify", str(folder))
    assert checked.startswith("verified")
    # The values an outsider compares: the manifest as DRAWN (the one on the public sheet and in
    # the draw's ledger entry), and the amendment's ledger hash, which a later head pins.
    with Session(get_engine(url)) as s:
        draw = s.get(Draw, 1)
    assert f"manifest sha256: {draw.manifest_sha256}" in checked
    head = run(url, "ledger", "head").split()[0]
    assert f"amendments:      1, last ledger hash {head}" in checked
    plain = run(url, "verify", str(tmp_path / "bundle"))
    assert f"manifest sha256: {draw.manifest_sha256}" in plain and "amendments:" not in plain
    assert plain.splitlines()[1:4] == checked.splitlines()[1:4]  # commitment, manifest, draw's ledger hash
    assert "chain intact" in run(url, "ledger", "verify")
    assert "#1 " in run(url, "amend", "list", "--draw", "1")
    assert "amend draw 1 #1 replace-firm" in run(url, "ledger", "list")
    # The unamended files stay byte for byte as drawn.
    for name in ("frame.csv", "sample.csv", "assignments.csv", "inputs/enterprises.csv"):
        assert (folder / name).read_bytes() == (tmp_path / "bundle" / name).read_bytes()


@settings(max_examples=4, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=st.lists(st.tuples(st.sampled_from(core.ACTIONS), st.integers(0, 10**6)), min_size=1, max_size=4))
def test_any_sequence_round_trips_and_keeps_every_rule(drawn: str, tmp_path: Path, ops) -> None:
    url = drawn
    engine = get_engine(url)
    for action, pick in ops:
        with Session(engine) as s:
            _draw, ctx, _rec, state = _load(s, 1)
        u = state.order[pick % len(state.order)]
        iid = state.teams[u][pick % len(state.teams[u])]
        args = (["replace-firm", "--uscc", u] if action == core.REPLACE
                else ["substitute", "--inspector", iid] + (["--uscc", u] if action == core.SUBSTITUTE else []))
        res = CliRunner().invoke(cli, ["--db", url, "amend", *args, "--draw", "1", "--reason", "事由"])
        assert res.exit_code in (0, 1) and "Traceback" not in res.output, res.output
    with Session(engine) as s:
        _draw, ctx, recorded, state = _load(s, 1)
    current = [ctx.firm(u) for u in state.order]
    from inspect_sched.core.assign import pair_exclusions

    ex = pair_exclusions(current, ctx.inspectors, ctx.inputs.conflicts, ctx.inputs.history, ctx.rules,
                         ctx.first_day, ctx.last_day)
    ex.update({(u, i): "conflict" for u, i in state.barred})
    ex.update({(u, i): "unavailable" for u in state.order for i in state.unavailable})
    teams = {u: state.teams[u] for u in state.order}
    from inspect_sched.core.tickets import assign_cost

    objective = sum(assign_cost(ctx.seed, u, i) for u, t in teams.items() for i in t)
    assert check_assignment(ctx.seed, current, ctx.inspectors, ex, ctx.rules,
                            Assignment(teams, objective, "", "")) == []
    drawn_set = {u for u, _ in ctx.drawn}
    excluded = {e.uscc for e in ctx.frame if not e.eligible}
    for a in recorded:
        for r in a.rows:
            if r.action == core.REPLACE:
                assert r.replacement not in drawn_set and r.replacement not in excluded
    assert len(state.taken) == sum(1 for a in recorded for r in a.rows if r.action == core.REPLACE)
    out = tmp_path / f"x{len(recorded)}-{abs(hash(tuple(ops)))}"
    if out.exists():
        shutil.rmtree(out)
    run(url, "export", "--draw", "1", "--out", str(out))
    assert run(url, "verify", str(out)).startswith("verified")
    assert "chain intact" in run(url, "ledger", "verify")


def test_substitute_whole_draw_and_one_firm(drawn: str, tmp_path: Path) -> None:
    url = drawn
    order = _sample_order(tmp_path)
    firms = {f.uscc: f for f in drawn_firms(get_engine(url), 1)}
    iid = firms[order[0]].inspector_ids.split(";")[0]
    touched = [u for u in order if iid in firms[u].inspector_ids.split(";")]
    run(url, "amend", "substitute", "--draw", "1", "--inspector", iid, "--reason", "病假")
    _, current = _current(tmp_path, url)
    assert all(iid not in r["inspector_ids"].split(";") for r in current)
    with Session(get_engine(url)) as s:
        rows = s.exec(select(Amendment).order_by(Amendment.id)).all()
    assert [r.uscc for r in rows] == touched  # in sample order
    assert {r.action for r in rows} == {"substitute-all"}
    # Per-firm: the named inspector is barred from that firm only.
    u = order[1]
    other = next(r for r in current if r["uscc"] == u)["inspector_ids"].split(";")[0]
    run(url, "amend", "substitute", "--draw", "1", "--inspector", other, "--uscc", u, "--reason", "近亲属任职")
    folder, current2 = _current(tmp_path, url, "y")
    assert other not in next(r for r in current2 if r["uscc"] == u)["inspector_ids"]
    assert run(url, "verify", str(folder)).startswith("verified")


def test_verify_names_tampered_amendments(sqlite_url: str, tmp_path: Path) -> None:
    url = sqlite_url
    small_pool(get_engine(url), firms=200)
    run(url, "draw", "--period", "2026-12", "--seed", SEED, "--out", str(tmp_path / "bundle"))
    order = _sample_order(tmp_path)
    victim = next(u for u in order if _stratum(tmp_path, u) == "general")
    run(url, "amend", "replace-firm", "--draw", "1", "--uscc", victim, "--reason", "企业已注销")
    folder, _ = _current(tmp_path, url)
    # 1) Another team written into amendments.csv, with the manifest hash fixed up.
    text = (folder / "amendments.csv").read_text("utf-8")
    row = text.splitlines()[1].split(",")
    team = row[5].split(";")
    forged = [i for i in (f"ZZ43020{n:05d}" for n in range(27)) if i not in team][0]
    row[5] = ";".join(sorted([team[0], forged]))
    bad = text.replace(text.splitlines()[1], ",".join(row))
    (folder / "amendments.csv").write_text(bad, "utf-8")
    m = json.loads((folder / "manifest.json").read_text("utf-8"))
    import hashlib

    m["amendments"]["files"]["amendments.csv"] = hashlib.sha256(bad.encode()).hexdigest()
    (folder / "manifest.json").write_text(json.dumps(m, ensure_ascii=False, sort_keys=True, indent=2) + "\n", "utf-8")
    out = run(url, "verify", str(folder), code=1)
    assert f"firm {victim}: team" in out and "re-derived" in out
    assert "ledger hash does not match amendments.csv" in out
    # 2) A changed assignments-current.csv without fixing the hash.
    folder2, _ = _current(tmp_path, url, "z")
    with open(folder2 / "assignments-current.csv", "a", encoding="utf-8") as fh:
        fh.write("x\n")
    assert "assignments-current.csv: SHA-256 differs" in run(url, "verify", str(folder2), code=1)
    # 3) An amendment row edited in the database: ledger verify names it.
    with Session(get_engine(url)) as s:
        s.exec(update(Amendment).values(team=";".join(sorted([team[0], forged]))))
        s.commit()
    out = run(url, "ledger", "verify", code=1)
    assert "differ from the ledger entry" in out and "re-derived" in out
    # ... and no new amendment builds on the edited log.
    before = dump(url)
    out = run(url, "amend", "replace-firm", "--draw", "1", "--uscc", order[-1], "--reason", "x", code=1)
    assert "do not re-derive" in out and dump(url) == before


def test_a_removed_firm_without_a_result_is_never_named(db_url: str, tmp_path: Path) -> None:
    """The replacement is marked 补充抽取, but a removed firm with no result of its own stays
    unnamed on every public file (it was drawn, and drawn firms are named only with a result)."""
    small_pool(get_engine(db_url), firms=200)
    run(db_url, "draw", "--period", "2026-12", "--seed", SEED, "--out", str(tmp_path / "bundle"))
    victim = next(u for u in _sample_order(tmp_path) if _stratum(tmp_path, u) == "general")
    run(db_url, "amend", "replace-firm", "--draw", "1", "--uscc", victim, "--reason", "企业已搬迁")
    _, current = _current(tmp_path, db_url)
    replacement = current[-1]
    with Session(get_engine(db_url)) as s:
        victim_name = s.get(DrawFirm, (1, victim)).name
    rows = [{"uscc": replacement["uscc"], "date": today_cn(), "result": "未发现问题"}]
    run(db_url, "results", "import", str(results_csv(tmp_path / "r.csv", rows)), "--draw", "1")
    run(db_url, "publish", "--draw", "1", "--out", str(tmp_path / "pub"))
    for f in (tmp_path / "pub").iterdir():
        data = f.read_bytes()
        if f.suffix == ".xlsx":
            import zipfile

            with zipfile.ZipFile(f) as z:
                data = b"".join(z.read(n) for n in z.namelist())
        text = data.decode("utf-8", "replace")
        assert victim not in text and victim_name not in text, f.name
    line = next(x for x in (tmp_path / "pub" / "public-draw-1.csv").read_text("utf-8-sig").splitlines()
                if replacement["uscc"] in x)
    assert f"{replacement['name']}（补充抽取）" in line
    # The removed firm's own result (已搬迁) is published too, but it is not an inspected current
    # firm: import, status and publish count alike.
    other = next(r["uscc"] for r in current if r["uscc"] != replacement["uscc"])
    rows += [{"uscc": victim, "date": today_cn(), "result": "已关闭或停产"},
             {"uscc": other, "date": today_cn(), "result": "未发现问题"}]
    out = run(db_url, "results", "import", str(results_csv(tmp_path / "r2.csv", rows)), "--draw", "1")
    assert f"2 of {len(current)} drawn firms now have results" in out
    status = json.loads(run(db_url, "status", "--draw", "1", "--json"))
    assert (status["drawn"], status["with_result"]) == (len(current), 2)
    text = run(db_url, "status", "--draw", "1")
    assert f"{len(current):>6} {2:>9} {len(current) - 2:>7}" in text
    assert "besides its current firms, 1 result(s) of removed firm(s)" in text
    out = run(db_url, "publish", "--draw", "1", "--out", str(tmp_path / "pub"))
    assert (f"3 firm(s) with results (1 of them a removed firm's own result, besides the current firms); "
            f"{len(current) - 2} still pending") in out


def test_results_publish_and_report_follow_the_amendments(sqlite_url: str, tmp_path: Path) -> None:
    url = sqlite_url
    small_pool(get_engine(url), firms=200)
    run(url, "draw", "--period", "2026-12", "--seed", SEED, "--out", str(tmp_path / "bundle"))
    order = _sample_order(tmp_path)
    victim = next(u for u in order if _stratum(tmp_path, u) == "general")
    run(url, "amend", "replace-firm", "--draw", "1", "--uscc", victim, "--reason", "企业已注销")
    _, current = _current(tmp_path, url)
    day = today_cn()
    rows = [{"uscc": r["uscc"], "date": day, "result": "未发现问题"} for r in current]
    rows.append({"uscc": victim, "date": day, "result": "已关闭或停产"})
    out = run(url, "results", "import", str(results_csv(tmp_path / "r.csv", rows)), "--draw", "1")
    assert f"{len(current)} of {len(current)} drawn firms now have results" in out
    assert "deviates" not in out  # the replacement's current team is the assigned one
    run(url, "publish", "--draw", "1", "--out", str(tmp_path / "pub"), "--format", "csv")
    text = (tmp_path / "pub" / "public-draw-1.csv").read_text("utf-8-sig")
    replacement = current[-1]
    with Session(get_engine(url)) as s:
        victim_name = s.get(DrawFirm, (1, victim)).name
    line = next(x for x in text.splitlines() if replacement["uscc"] in x)
    assert f"补充抽取，替代 {victim_name}" in line
    assert "已关闭或停产" in next(x for x in text.splitlines() if victim in x)
    run(url, "report", "--year", "2026", "--out", str(tmp_path / "rep"))
    from openpyxl import load_workbook

    wb = load_workbook(next((tmp_path / "rep").glob("*.xlsx")))
    values = [[c.value for c in r] for r in wb["概况"].iter_rows()]
    assert any(r[0] and "replacement firms" in str(r[0]) and r[1] == 1 for r in values)


# --------------------------------------------------------------------------- refusals


def _refused(url: str, *args: str, match: str) -> None:
    before = dump(url)
    out = run(url, "amend", *args, code=1)
    assert match in out, out
    after = dump(url)
    assert before == after, diff(before, after)


def test_refusals_change_nothing(drawn: str, tmp_path: Path) -> None:
    url = drawn
    order = _sample_order(tmp_path)
    special = next(u for u in order if _stratum(tmp_path, u) == "special")
    general = next(u for u in order if _stratum(tmp_path, u) == "general")
    firms = {f.uscc: f for f in drawn_firms(get_engine(url), 1)}
    _refused(url, "replace-firm", "--draw", "1", "--uscc", "91430200MA4L0001XF", "--reason", "x",
             match="is not in the draw")
    _refused(url, "replace-firm", "--draw", "1", "--uscc", special, "--reason", "x", match="full_coverage")
    _refused(url, "replace-firm", "--draw", "1", "--uscc", general, match="--reason is required")
    _refused(url, "replace-firm", "--draw", "1", "--uscc", general, "--reason", "  ", match="--reason is required")
    _refused(url, "substitute", "--draw", "1", "--inspector", "ZZ-NOBODY", "--reason", "x", match="on no team")
    _refused(url, "replace-firm", "--draw", "9", "--uscc", general, "--reason", "x", match="does not exist")
    # A firm with a result already.
    run(url, "results", "import", str(results_csv(tmp_path / "r.csv", [
        {"uscc": general, "date": today_cn(), "result": "未发现问题"}])), "--draw", "1")
    _refused(url, "replace-firm", "--draw", "1", "--uscc", general, "--reason", "x", match="already has a result")
    iid = firms[general].inspector_ids.split(";")[0]
    _refused(url, "substitute", "--draw", "1", "--inspector", iid, "--uscc", general, "--reason", "x",
             match="already has a result")
    # A superseded draw.
    with Session(get_engine(url)) as s:
        s.exec(update(Draw).where(Draw.id == 1).values(superseded_by=1))
        s.commit()
    _refused(url, "replace-firm", "--draw", "1", "--uscc", order[-1], "--reason", "x", match="superseded")


def test_no_feasible_substitute_names_the_rule(sqlite_url: str, tmp_path: Path) -> None:
    url = sqlite_url
    small_pool(get_engine(url), firms=100, inspectors_per_district=1)  # 9 inspectors, 8 eligible per firm
    run(url, "draw", "--period", "2026-12", "--seed", SEED, "--out", str(tmp_path / "bundle"))
    u = _sample_order(tmp_path)[0]
    for _ in range(8):
        with Session(get_engine(url)) as s:
            iid = _load(s, 1)[3].teams[u][0]
        res = CliRunner().invoke(cli, ["--db", url, "amend", "substitute", "--draw", "1", "--inspector", iid,
                                       "--uscc", u, "--reason", "回避"])
        if res.exit_code == 1:
            break
        assert res.exit_code == 0, res.output
    before = dump(url)
    out = run(url, "amend", "substitute", "--draw", "1", "--inspector", iid, "--uscc", u, "--reason", "回避", code=1)
    assert f"no substitute for {iid} on firm {u}" in out
    assert "same district (cross_district) removes 1" in out
    assert "conflict found at an earlier amendment removes" in out or "max_per_inspector" in out
    assert dump(url) == before


def test_later_draws_count_the_replacement_not_the_removed_firm(sqlite_url: str, tmp_path: Path) -> None:
    """SPEC §2: a recorded draw's firms count as random inspections; after a replacement the
    current firms count (the replacement, with its team), the removed firm no longer does."""
    from inspect_sched.store.snapshot import snapshot

    url = sqlite_url
    small_pool(get_engine(url), firms=200)
    run(url, "draw", "--period", "2026-12", "--seed", SEED, "--out", str(tmp_path / "bundle"))
    victim = next(u for u in _sample_order(tmp_path) if _stratum(tmp_path, u) == "general")
    run(url, "amend", "replace-firm", "--draw", "1", "--uscc", victim, "--reason", "企业已注销")
    with Session(get_engine(url)) as s:
        (a,) = s.exec(select(Amendment)).all()
        history = snapshot(s, "2027-01", "日常双随机抽查", {}).history
    implied = {h.uscc: h.inspector_ids for h in history if h.source == "draw:1"}
    assert victim not in implied
    assert implied[a.replacement] == tuple(a.team.split(";"))


def test_verify_survives_a_malformed_amendments_block(sqlite_url: str, tmp_path: Path) -> None:
    url = sqlite_url
    small_pool(get_engine(url), firms=200)
    run(url, "draw", "--period", "2026-12", "--seed", SEED, "--out", str(tmp_path / "bundle"))
    victim = next(u for u in _sample_order(tmp_path) if _stratum(tmp_path, u) == "general")
    run(url, "amend", "replace-firm", "--draw", "1", "--uscc", victim, "--reason", "企业已注销")
    for n, bad in enumerate([1, "x", {"files": 3, "ledger": 5}, {"files": {}, "ledger": [1, {"amendment": []}]}]):
        folder, _ = _current(tmp_path, url, f"m{n}")
        m = json.loads((folder / "manifest.json").read_text("utf-8"))
        m["amendments"] = bad
        (folder / "manifest.json").write_text(json.dumps(m), "utf-8")
        out = run(url, "verify", str(folder), code=1)
        assert "difference" in out


@pytest.mark.slow
def test_simultaneous_amendments_are_serialised(drawn: str, tmp_path: Path) -> None:
    """Three amendments of one draw started at once as separate processes: all recorded,
    amendment numbers 1-3 and ledger entries gap-free, the export verifies."""
    import os
    import subprocess
    import sys
    import time

    url = drawn
    order = [u for u in _sample_order(tmp_path) if _stratum(tmp_path, u) == "general"][:3]
    repo = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(repo)}
    env.pop("INSPECT_SCHED_DB", None)
    go = time.time() + 3.0
    code = ("import sys, time; from inspect_sched.cli import main; import inspect_sched.services.amend; "
            f"time.sleep(max(0, {go} - time.time())); sys.argv[0] = 'inspect-sched'; main()")
    procs = [subprocess.Popen([sys.executable, "-c", code, "--db", url, "amend", "replace-firm", "--draw", "1",
                               "--uscc", u, "--reason", "企业已注销"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) for u in order]
    outs = [p.communicate(timeout=300)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    with Session(get_engine(url)) as s:
        rows = s.exec(select(Amendment).order_by(Amendment.sequence)).all()
    assert sorted(r.sequence for r in rows) == [1, 2, 3]
    assert sorted(r.ledger_sequence for r in rows) == [2, 3, 4]
    assert sorted(r.uscc for r in rows) == sorted(order)
    assert len({r.replacement for r in rows}) == 3
    folder, _ = _current(tmp_path, url)
    assert run(url, "verify", str(folder)).startswith("verified")
    assert "chain intact" in run(url, "ledger", "verify")


@pytest.fixture(scope="module")
def amended_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An exported bundle with a replacement and a whole-draw substitution (SQLite)."""
    from inspect_sched.store.db import init_db

    tmp = tmp_path_factory.mktemp("amended")
    url = f"sqlite:///{tmp / 't.db'}"
    init_db(get_engine(url))
    small_pool(get_engine(url), firms=200)
    run(url, "draw", "--period", "2026-12", "--seed", SEED, "--out", str(tmp / "bundle"))
    victim = next(u for u in _sample_order(tmp) if _stratum(tmp, u) == "general")
    run(url, "amend", "replace-firm", "--draw", "1", "--uscc", victim, "--reason", "企业已注销")
    iid = drawn_firms(get_engine(url), 1)[0].inspector_ids.split(";")[0]
    run(url, "amend", "substitute", "--draw", "1", "--inspector", iid, "--reason", "病假")
    run(url, "export", "--draw", "1", "--out", str(tmp / "x"))
    return tmp / "x"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(["amendments.csv", "assignments-current.csv"]), pos=st.integers(0, 10**6),
       junk=st.binary(min_size=0, max_size=4), cut=st.booleans())
def test_verify_answers_any_edit_of_the_amendment_files(amended_bundle: Path, tmp_path_factory, name, pos, junk,
                                                        cut) -> None:
    """Any edit (bytes replaced or cut), even with the manifest hash fixed up, gives a list of
    differences and never a traceback; an unchanged re-read verifies."""
    import hashlib

    from inspect_sched.audit.verify import verify_bundle

    folder = tmp_path_factory.mktemp("fz") / "b"
    shutil.copytree(amended_bundle, folder)
    data = (folder / name).read_bytes()
    at = pos % (len(data) + 1)
    edited = data[:at] + junk if cut else data[:at] + junk + data[at + len(junk):]
    (folder / name).write_bytes(edited)
    m = json.loads((folder / "manifest.json").read_text("utf-8"))
    m["amendments"]["files"][name] = hashlib.sha256(edited).hexdigest()
    (folder / "manifest.json").write_text(json.dumps(m, ensure_ascii=False, sort_keys=True, indent=2) + "\n", "utf-8")
    problems = verify_bundle(folder)
    assert isinstance(problems, list)
    if edited != data:
        assert problems, "an edited amendment file verified"
    else:
        assert problems == []


def test_a_formula_like_reason_stays_text_in_the_amendment_files() -> None:
    """SPEC §9: amendments.csv is a draw-v2 file; a reason typed as a formula gets a leading '."""
    from inspect_sched.core import amend as core_amend

    rows = [["1", "replace-firm", "914302000000000005", "", "914302000000000013", "A;B", "=cmd|' /C calc'!A0",
             "2026-12-03T01:00:00Z"]]
    data = core_amend.csv_bytes(core_amend.AMENDMENT_COLUMNS, rows)
    assert b"\n1,replace-firm,914302000000000005,,914302000000000013,A;B,'=cmd" in data
    back = core_amend.read_amendments(data)
    assert back[0].reason == "=cmd|' /C calc'!A0"
