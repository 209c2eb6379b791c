"""The draw end to end through the CLI: record, bundle, verify, redraw, plan, reproducibility."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import dbdump
import pytest
from click.testing import CliRunner
from helpers import LOADS, load_pool
from sqlmodel import Session, select

from inspect_sched.cli import cli
from inspect_sched.store.db import get_engine
from inspect_sched.store.models import Draw, DrawFirm, Enterprise, LedgerEntry, Plan
from inspect_sched.synth.fakedata import generate

SEED = "31415926535897932384"


@pytest.fixture(scope="session")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small synthetic city: 600 firms, 80 inspectors (deterministic)."""
    out = tmp_path_factory.mktemp("pool")
    generate(600, 80, "test-pool", out)
    return out


def run(db: str, *args: str) -> tuple[int, str]:
    r = CliRunner().invoke(cli, ["--db", db, *args])
    if r.exception and not isinstance(r.exception, SystemExit):
        raise r.exception
    return r.exit_code, r.output


def draws(db: str) -> list[Draw]:
    with Session(get_engine(db)) as s:
        return list(s.exec(select(Draw).order_by(Draw.id)))


def test_draw_records_everything_and_verifies(db_url: str, pool: Path, tmp_path: Path) -> None:
    load_pool(db_url, pool)
    out = tmp_path / "d1"
    code, text = run(db_url, "draw", "--period", "2026-12", "--seed", SEED, "--out", str(out))
    assert code == 0, text
    [d] = draws(db_url)
    assert d.sequence == 1 and d.redraw_of is None and d.seed == SEED
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert manifest["draw_id"] == d.id and manifest["sequence"] == 1
    assert set(manifest["files"]) == {
        "inputs/enterprises.csv", "inputs/inspectors.csv", "inputs/positive_list.csv",
        "inputs/conflicts.csv", "inputs/history.csv", "frame.csv", "sample.csv",
        "assignments.csv", "assignments.xlsx", "certificate.json",
    }
    assert manifest["format"] == "inspect-sched/draw-v2"
    sample_rows = (out / "sample.csv").read_text("utf-8").splitlines()[1:]
    assert sum(s["sample_size"] for s in manifest["strata"].values()) == len(sample_rows) == d.sample_size
    with Session(get_engine(db_url)) as s:
        firms = s.exec(select(DrawFirm).where(DrawFirm.draw_id == d.id)).all()
        assert len(firms) == len(sample_rows)
        assert all(len(f.inspector_ids.split(";")) == 2 for f in firms)
        assert s.exec(select(LedgerEntry)).one().draw_id == d.id
    # The internal sheet and the whole bundle are owner-only.
    for p in [out, *out.rglob("*")]:
        assert stat.S_IMODE(p.stat().st_mode) & 0o077 == 0, p
    code, text = run(db_url, "verify", str(out))
    assert code == 0 and text.splitlines()[0] == "verified"
    code, text = run(db_url, "ledger", "verify")
    assert code == 0, text


@pytest.mark.parametrize("victim", ["sample.csv", "inputs/history.csv", "assignments.csv"])
def test_verify_names_a_changed_file(sqlite_url: str, pool: Path, tmp_path: Path, victim: str) -> None:
    load_pool(sqlite_url, pool)
    out = tmp_path / "d"
    assert run(sqlite_url, "draw", "--period", "2026-12", "--seed", SEED, "--out", str(out))[0] == 0
    target = out / victim
    lines = target.read_text("utf-8").splitlines(keepends=True)
    lines[1] = lines[1].replace(",1,", ",0,", 1) if victim == "sample.csv" else lines[1][:-2] + "X\n"
    target.write_text("".join(lines), "utf-8")
    code, text = run(sqlite_url, "verify", str(out))
    assert code == 1
    assert victim in text and "changed" in text


def test_rehashed_tampering_is_still_caught(sqlite_url: str, pool: Path, tmp_path: Path) -> None:
    """Whoever edits sample.csv and fixes the manifest hash still fails re-derivation and the ledger."""
    import hashlib

    load_pool(sqlite_url, pool)
    out = tmp_path / "d"
    assert run(sqlite_url, "draw", "--period", "2026-12", "--seed", SEED, "--out", str(out))[0] == 0
    frame = (out / "frame.csv").read_text("utf-8").splitlines(keepends=True)
    swapped = next(i for i, line in enumerate(frame[1:], 1) if line.rstrip("\n").endswith(",0,"))
    row = frame[swapped].rstrip("\n").split(",")
    row[-2] = "1"
    frame[swapped] = ",".join(row) + "\n"
    (out / "frame.csv").write_text("".join(frame), "utf-8")
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    manifest["files"]["frame.csv"] = hashlib.sha256((out / "frame.csv").read_bytes()).hexdigest()
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), "utf-8")
    code, text = run(sqlite_url, "verify", str(out))
    assert code == 1
    assert f"firm {row[0]} column selected" in text
    assert "ledger hash does not match" in text


def test_redraw_is_recorded_as_such(db_url: str, pool: Path, tmp_path: Path) -> None:
    load_pool(db_url, pool)
    assert run(db_url, "draw", "--period", "2026-12", "--seed", SEED, "--out", str(tmp_path / "a"))[0] == 0
    before = dbdump.dump(db_url)
    code, text = run(db_url, "draw", "--period", "2026-12", "--seed", "99999", "--out", str(tmp_path / "b"))
    assert code == 1 and "--reason" in text and not (tmp_path / "b").exists()
    assert dbdump.dump(db_url) == before  # a redraw without a reason records nothing
    code, text = run(db_url, "draw", "--period", "2026-12", "--seed", "99999", "--reason", "种子公布有误",
                     "--out", str(tmp_path / "b"))
    assert code == 0 and "REDRAW of draw" in text and "种子公布有误" in text
    first, second = draws(db_url)
    assert second.redraw_of == first.id and first.superseded_by == second.id
    assert json.loads((tmp_path / "b" / "manifest.json").read_text("utf-8"))["redraw_of"] == first.id
    assert json.loads((tmp_path / "b" / "manifest.json").read_text("utf-8"))["redraw_reason"] == "种子公布有误"
    code, listing = run(db_url, "ledger", "list")
    assert code == 0 and f"REDRAW of {first.id}" in listing and listing.count("\n") == 2
    assert "reason: 种子公布有误" in listing
    # The redraw's frame is built as if the first draw had not been made.
    h = (tmp_path / "b" / "inputs" / "history.csv").read_text("utf-8")
    assert f"draw:{first.id}" not in h


def test_earlier_draw_counts_as_history_for_the_next_period(sqlite_url: str, pool: Path, tmp_path: Path) -> None:
    load_pool(sqlite_url, pool)
    assert run(sqlite_url, "draw", "--period", "2026-12", "--seed", SEED, "--out", str(tmp_path / "dec"))[0] == 0
    assert run(sqlite_url, "draw", "--period", "2027-01", "--seed", SEED, "--out", str(tmp_path / "jan"))[0] == 0
    dec = {line.split(",")[0] for line in (tmp_path / "dec" / "sample.csv").read_text("utf-8").splitlines()[1:]}
    jan_frame = {}
    for line in (tmp_path / "jan" / "frame.csv").read_text("utf-8").splitlines()[1:]:
        cells = line.split(",")
        jan_frame[cells[0]] = cells[-1]
    # December's firms were inspected 31 days before January's first day: excluded as recent.
    assert {jan_frame[u] for u in dec if u in jan_frame} <= {"recently_inspected", "annual_cap", "positive_list", "inactive"}
    assert any(jan_frame.get(u) == "recently_inspected" for u in dec)


def test_plan_freezes_the_frame_before_the_seed(db_url: str, pool: Path, tmp_path: Path) -> None:
    load_pool(db_url, pool)
    code, text = run(db_url, "plan", "--period", "2026-12")
    assert code == 0, text
    commitment = text.split("commitment: ")[1].split()[0]
    with Session(get_engine(db_url)) as s:
        plan = s.exec(select(Plan)).one()
        plan_id, plan_commitment = plan.id, plan.commitment
        # A change to the pools after the plan must not change the draw made from it.
        s.delete(s.exec(select(Enterprise)).first())
        s.commit()
    out = tmp_path / "p"
    code, text = run(db_url, "draw", "--plan", str(plan_id), "--period", "2026-12", "--seed", SEED, "--out", str(out))
    assert code == 0, text
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert manifest["plan_commitment"] == commitment == plan_commitment
    assert len((out / "inputs" / "enterprises.csv").read_text("utf-8").splitlines()) == 601
    assert run(db_url, "verify", str(out))[0] == 0
    code, text = run(db_url, "draw", "--plan", str(plan_id), "--period", "2027-01", "--seed", SEED,
                     "--out", str(tmp_path / "wrong"))
    assert code == 1 and "is for period 2026-12" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--seed", "12|34"], "'|'"),
        (["--seed", "12\x0734"], "control character"),
        (["--seed", "x" * 201], "1–200"),
        (["--period", "2026-13"], "month must be 01-12"),
        (["--filter", "colour=red"], "unknown field"),
        (["--filter", "district=nowhere"], "frame is empty"),
    ],
)
def test_bad_draw_requests_change_nothing(sqlite_url: str, pool: Path, tmp_path: Path, args: list[str],
                                          message: str) -> None:
    load_pool(sqlite_url, pool)
    options = {"--period": "2026-12", "--seed": SEED, **dict(zip(args[::2], args[1::2], strict=True))}
    flat = [x for kv in options.items() for x in kv]
    code, text = run(sqlite_url, "draw", *flat, "--out", str(tmp_path / "o"))
    assert code == 1, text
    assert message in text
    assert not (tmp_path / "o").exists()
    assert draws(sqlite_url) == []


def test_infeasible_assignment_records_nothing(sqlite_url: str, pool: Path, tmp_path: Path) -> None:
    load_pool(sqlite_url, pool)
    policy = tmp_path / "p.toml"
    policy.write_text('team_size = 2\nmax_per_inspector = 1\n[strata.key]\nratio = "1"\n'
                      '[strata.general]\nratio = "1"\n[strata.special]\nfull_coverage = true\n', "utf-8")
    code, text = run(sqlite_url, "draw", "--period", "2026-12", "--seed", SEED, "--policy", str(policy),
                     "--out", str(tmp_path / "o"))
    assert code == 1
    assert "max_per_inspector" in text
    assert not (tmp_path / "o").exists() and draws(sqlite_url) == []
    with Session(get_engine(sqlite_url)) as s:
        assert s.exec(select(LedgerEntry)).all() == [] and s.exec(select(Plan)).all() == []


def test_existing_out_folder_is_never_overwritten(sqlite_url: str, pool: Path, tmp_path: Path) -> None:
    load_pool(sqlite_url, pool)
    (tmp_path / "o").mkdir()
    (tmp_path / "o" / "keep.txt").write_text("mine")
    code, text = run(sqlite_url, "draw", "--period", "2026-12", "--seed", SEED, "--out", str(tmp_path / "o"))
    assert code == 1 and "not empty" in text
    assert (tmp_path / "o" / "keep.txt").read_text() == "mine" and draws(sqlite_url) == []


def test_export_rewrites_the_bundle_byte_for_byte(sqlite_url: str, pool: Path, tmp_path: Path) -> None:
    load_pool(sqlite_url, pool)
    assert run(sqlite_url, "draw", "--period", "2026-12", "--seed", SEED, "--out", str(tmp_path / "a"))[0] == 0
    assert run(sqlite_url, "export", "--draw", "1", "--out", str(tmp_path / "b"))[0] == 0
    files_a = {p.relative_to(tmp_path / "a"): p.read_bytes() for p in (tmp_path / "a").rglob("*") if p.is_file()}
    files_b = {p.relative_to(tmp_path / "b"): p.read_bytes() for p in (tmp_path / "b").rglob("*") if p.is_file()}
    assert files_a == files_b


def test_same_inputs_and_seed_give_identical_bundles_across_processes(pool: Path, tmp_path: Path) -> None:
    """Two processes, two databases: byte-identical files; manifests equal but for the ledger fields."""
    outs = []
    for name in ("one", "two"):
        db = f"sqlite:///{tmp_path / name}.db"
        env = {**os.environ, "INSPECT_SCHED_DB": db, "PYTHONHASHSEED": "random"}
        for kind, fname in LOADS:
            subprocess.run([sys.executable, "-m", "inspect_sched", "import", kind, str(pool / fname)],
                           env=env, check=True, capture_output=True)
        if name == "two":  # another district's draw first: a different ledger position, same frame
            subprocess.run([sys.executable, "-m", "inspect_sched", "draw", "--period", "2026-12", "--seed", "1",
                            "--filter", "district=醴陵市", "--task", "其他", "--out", str(tmp_path / "other")],
                           env=env, check=True, capture_output=True)
        out = tmp_path / f"bundle-{name}"
        subprocess.run([sys.executable, "-m", "inspect_sched", "draw", "--period", "2026-12", "--seed", SEED,
                        "--filter", "district=荷塘区,芦淞区,石峰区,天元区", "--out", str(out)],
                       env=env, check=True, capture_output=True)
        outs.append(out)
    a, b = outs
    for rel in ["inputs/enterprises.csv", "inputs/inspectors.csv", "inputs/positive_list.csv",
                "inputs/conflicts.csv", "inputs/history.csv", "frame.csv", "sample.csv", "assignments.csv", "assignments.xlsx"]:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel
    ma, mb = (json.loads((x / "manifest.json").read_text("utf-8")) for x in (a, b))
    volatile = {"created_at", "draw_id", "sequence", "redraw_of", "ledger"}
    assert {k: v for k, v in ma.items() if k not in volatile} == {k: v for k, v in mb.items() if k not in volatile}
    assert ma["sequence"] != mb["sequence"]
