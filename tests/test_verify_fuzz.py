"""`verify` and `ledger verify` answer any bundle or database, however malformed, with `verified` or a list of problems
(exit 1), never a traceback (SPEC §9). Hypothesis mutates a genuine bundle: manifest
fields replaced by arbitrary JSON (nested, wrong types, unknown enumerations, 0000-01,
huge strings), the manifest replaced by non-JSON bytes, and bundle files replaced by junk.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import draw, small_pool
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inspect_sched.audit.verify import verify_report as verify_bundle_report
from inspect_sched.cli import cli
from inspect_sched.store.db import get_engine, init_db

SETTINGS = settings(max_examples=120, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("fuzz_bundle")
    url = f"sqlite:///{tmp / 'db.sqlite'}"
    engine = get_engine(url)
    init_db(engine)
    small_pool(engine, firms=30)
    draw(engine, tmp / "b")
    return tmp / "b"


SCALARS = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
           | st.text(max_size=30) | st.sampled_from(["0000-01", "2026-13", "9999-Q9", "key", "nope", "x" * 20_000])
           | st.floats(allow_nan=True, allow_infinity=True))
JSON = st.recursive(SCALARS, lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c, max_size=4),
                    max_leaves=15)
FILES = ["inputs/enterprises.csv", "inputs/inspectors.csv", "inputs/history.csv", "frame.csv", "sample.csv",
         "assignments.csv", "assignments.xlsx"]


def _nested(depth: int) -> bytes:
    return ("[" * depth + "]" * depth).encode()


MUTATION = st.one_of(
    st.tuples(st.just("field"), st.sampled_from(
        ["format", "seed", "period", "task", "policy", "filters", "departments", "strata", "assignment", "files",
         "ledger", "plan_commitment", "sequence", "draw_id", "redraw_of", "created_at"]), JSON),
    st.tuples(st.just("policy_key"), st.sampled_from(["team_size", "strata", "credit_weight", "max_per_inspector",
                                                       "cross_district", "items"]), JSON),
    st.tuples(st.just("drop"), st.sampled_from(["seed", "policy", "files", "ledger", "strata", "format"]), st.none()),
    st.tuples(st.just("manifest"), st.just(""), st.one_of(st.binary(max_size=200), st.just(_nested(100_000)),
                                                          JSON.map(lambda v: json.dumps(v).encode()))),
    st.tuples(st.just("file"), st.sampled_from(FILES), st.one_of(
        st.binary(max_size=300), st.just(b"uscc\n" + b"x" * 300_000 + b"\n"),
        st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")))),
)


def _apply(folder: Path, mutation: tuple[str, str, object]) -> None:
    kind, key, value = mutation
    path = folder / "manifest.json"
    if kind == "file":
        (folder / key).write_bytes(value)  # type: ignore[arg-type]
        return
    if kind == "manifest":
        path.write_bytes(value)  # type: ignore[arg-type]
        return
    m = json.loads(path.read_text("utf-8"))
    if kind == "field":
        m[key] = value
    elif kind == "policy_key":
        m["policy"][key] = value
    else:
        m.pop(key, None)
    path.write_text(json.dumps(m, ensure_ascii=False, allow_nan=True), "utf-8")


@SETTINGS
@given(mutation=MUTATION)
def test_verify_never_tracebacks(bundle: Path, tmp_path_factory: pytest.TempPathFactory,
                                 mutation: tuple[str, str, object]) -> None:
    folder = tmp_path_factory.mktemp("m") / "b"
    shutil.copytree(bundle, folder)
    _apply(folder, mutation)
    report = verify_bundle_report(folder)  # never raises
    assert all(isinstance(p, str) for p in report.problems)
    r = CliRunner().invoke(cli, ["verify", str(folder)])
    assert r.exception is None or isinstance(r.exception, SystemExit), (mutation, r.exception)
    assert "Traceback" not in r.output
    assert r.exit_code in (0, 1)
    if r.exit_code == 0:  # only a change that alters nothing checked can still verify
        assert report.problems == []


def test_the_unmutated_bundle_verifies(bundle: Path) -> None:
    assert verify_bundle_report(bundle).problems == []


# ---------------------------------------------------------------------------- ledger verify


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database holding one draw, copied for each example."""
    tmp = tmp_path_factory.mktemp("fuzz_ledger")
    engine = get_engine(f"sqlite:///{tmp / 'db.sqlite'}")
    init_db(engine)
    small_pool(engine, firms=30)
    draw(engine, tmp / "b")
    engine.dispose()
    return tmp / "db.sqlite"


STORED = st.one_of(
    st.tuples(st.just("body"), JSON.map(lambda v: json.dumps(v, allow_nan=True))),
    st.tuples(st.just("body"), st.text(max_size=100)),
    st.tuples(st.just("body"), st.fixed_dictionaries({"kind": st.sampled_from(["draw", "results", "amend", "x"]),
                                                      "sequence": JSON, "draw_id": JSON, "period": JSON,
                                                      "created_at": JSON}).map(json.dumps)),
    st.tuples(st.just("manifest"), JSON.map(lambda v: json.dumps(v, allow_nan=True))),
    st.tuples(st.just("assignments"), st.text(max_size=200)),
    st.tuples(st.just("policy"), JSON.map(lambda v: json.dumps(v, allow_nan=True))),
)


@settings(SETTINGS, max_examples=60)
@given(change=STORED)
def test_ledger_verify_and_list_never_traceback(recorded: Path, tmp_path_factory: pytest.TempPathFactory,
                                                change: tuple[str, str]) -> None:
    import sqlite3

    db = tmp_path_factory.mktemp("l") / "db.sqlite"
    shutil.copy(recorded, db)
    kind, value = change
    with sqlite3.connect(db) as con:
        if kind == "body":
            con.execute("UPDATE ledger SET body = ?", (value,))
        elif kind == "manifest":
            con.execute("UPDATE draw_file SET content = ? WHERE name = 'manifest.json'", (value.encode(),))
        elif kind == "assignments":
            con.execute("UPDATE draw_file SET content = ? WHERE name = 'assignments.csv'", (value.encode(),))
        else:
            con.execute("UPDATE plan SET policy_json = ?", (value,))
    for args in (["ledger", "verify"], ["ledger", "list"], ["plan", "list"]):
        r = CliRunner().invoke(cli, ["--db", f"sqlite:///{db}", *args])
        assert r.exception is None or isinstance(r.exception, SystemExit), (change, args, r.exception)
        assert "Traceback" not in r.output and r.exit_code in (0, 1)
    if kind != "policy":  # a stored policy that resolves to the same one changes nothing
        r = CliRunner().invoke(cli, ["--db", f"sqlite:///{db}", "ledger", "verify"])
        assert r.exit_code == 1  # every other change is a finding
