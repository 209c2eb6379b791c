"""The auditor's kit (SPEC §11): a zipapp of verify's own stdlib-only modules, run as an auditor would.

Every kit run is a separate ``python3 -I -S`` process in a fresh folder that holds only the
``.pyz`` and one bundle, so nothing installed (OR-Tools, openpyxl, the project) can help it.
"""

from __future__ import annotations

import ast
import csv
import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import DISTRICTS, draw, small_pool
from sqlmodel import Session, select

from inspect_sched.audit import verify as tool_verify
from inspect_sched.audit import verify_core
from inspect_sched.audit.bundle import (
    chain_hash,
    ledger_body,
    manifest_bytes,
    read_bundle,
    rendered_files,
    sha256_hex,
)
from inspect_sched.audit.bundle_write import assignments_xlsx
from inspect_sched.audit.kit import KIT_NAME, build_kit, imports_of, kit_bytes, kit_modules
from inspect_sched.cli import cli
from inspect_sched.core.assign.certify import Certificate
from inspect_sched.core.assign.optimum import assign
from inspect_sched.core.derive import derive_sample
from inspect_sched.core.frame import DrawSpec
from inspect_sched.core.inputs import Inputs
from inspect_sched.services.draws import build_spec, make_draw
from inspect_sched.store.db import get_engine, init_db
from inspect_sched.store.models import Enterprise, Inspector

REPO = Path(__file__).resolve().parents[1]
REL01 = REPO / "tests" / "data" / "release-0.1" / "draw-2026-12"
SEED = "20261201093015482736"


# ---------------------------------------------------------------------------- stdlib only


def test_kit_modules_import_the_standard_library_only() -> None:
    mods = kit_modules()  # raises if any module of the closure imports a third-party package
    for needed in ("audit.verify_core", "audit.bundle", "core.derive", "core.sampling", "core.frame",
                   "core.tickets", "core.inputs", "core.assign.check", "core.assign.certify",
                   "core.assign.eligibility", "core.assign.rules", "io.xlsx_read", "schema.policy"):
        assert f"inspect_sched.{needed}" in mods
    for solver_side in ("core.assign.optimum", "core.assign.model", "core.assign.duals", "core.solve",
                        "audit.verify", "audit.bundle_write", "io.xlsx", "io.tabular"):
        assert f"inspect_sched.{solver_side}" not in mods
    stdlib = set(sys.stdlib_module_names) | {"__future__"}
    for name, path in mods.items():
        for imported, own in imports_of(path):
            assert own and imported in mods or imported.split(".")[0] in stdlib, (name, imported)


def test_the_import_check_catches_a_third_party_import(tmp_path: Path) -> None:
    p = tmp_path / "m.py"
    p.write_text("def f():\n    import numpy\n    from ortools.sat import cp_model\n"
                 "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pandas\n"
                 "def __getattr__(name):\n    import scipy\n", encoding="utf-8")
    stdlib = set(sys.stdlib_module_names)
    # Imports in functions count; a TYPE_CHECKING block and a PEP 562 __getattr__ never run in the kit.
    assert sorted(n for n, own in imports_of(p) if n.split(".")[0] not in stdlib) == ["numpy", "ortools.sat"]


def test_the_tool_verify_runs_the_kit_modules() -> None:
    # One implementation: the tool's verify is the kit's check plus a re-solve hook.
    assert tool_verify.check_bundle is verify_core.check_bundle
    tree = ast.parse((REPO / "inspect_sched" / "audit" / "verify.py").read_text(encoding="utf-8"))
    defs = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    assert defs == {"resolve", "verify_report", "verify_bundle"}


def test_kit_is_reproducible(tmp_path: Path) -> None:
    path, digest = build_kit(tmp_path / "k")
    assert path.name == KIT_NAME and path.read_bytes() == kit_bytes()
    assert sha256_hex(path.read_bytes()) == digest
    assert path.read_bytes().startswith(b"#!/usr/bin/env python3\n")
    assert os.stat(path).st_mode & 0o777 == 0o755


# ---------------------------------------------------------------------------- bundles


def _tag_and_specialise(engine, joint: bool) -> None:  # type: ignore[no-untyped-def]
    """辐射 firms and specialists; with ``joint``, 市场监管 inspectors too (needs then overlap)."""
    with Session(engine) as s:
        for n, e in enumerate(s.exec(select(Enterprise).order_by(Enterprise.uscc)).all()):
            if n % 4 == 1:
                e.tags = "辐射"
                s.add(e)
        for n, i in enumerate(s.exec(select(Inspector).order_by(Inspector.inspector_id)).all()):
            if n % 3 == 0:
                i.specialties = "辐射"
                s.add(i)
        if joint:
            for n, d in enumerate(DISTRICTS * 2):
                s.add(Inspector(inspector_id=f"SJ43020{n:05d}", name=f"市场{n:02d}", unit="市场监管局",
                                district=d, department="市场监管", cert_valid_until=dt.date(2030, 12, 31)))
        s.commit()


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("kit_bundles")
    out = {"release-0.1": REL01}
    for kind in ("plain", "typed", "cpsat"):
        engine = get_engine(f"sqlite:///{tmp / kind}.db")
        init_db(engine)
        small_pool(engine, firms=90, inspectors_per_district=4)
        if kind != "plain":
            _tag_and_specialise(engine, joint=kind == "cpsat")
        if kind == "cpsat":
            make_draw(engine, SEED, tmp / kind, spec=build_spec("2026-12", departments=("生态环境", "市场监管")))
        else:
            draw(engine, tmp / kind)
        out[kind] = tmp / kind
    # An exported bundle with amendments (SPEC §7): a replaced firm and a substituted inspector.
    url = f"sqlite:///{tmp / 'plain'}.db"
    with open(tmp / "plain" / "sample.csv", encoding="utf-8") as fh:
        sample = list(csv.DictReader(fh))
    victim = next(r["uscc"] for r in sample if r["stratum"] != "special")
    with open(tmp / "plain" / "assignments.csv", encoding="utf-8") as fh:
        inspector = next(r for r in csv.DictReader(fh) if r["uscc"] != victim)["inspector_ids"].split(";")[0]
    for args in (["amend", "replace-firm", "--draw", "1", "--uscc", victim, "--reason", "企业已注销"],
                 ["amend", "substitute", "--draw", "1", "--inspector", inspector, "--reason", "调离"],
                 ["export", "--draw", "1", "--out", str(tmp / "amended")]):
        r = CliRunner().invoke(cli, ["--db", url, *args])
        assert r.exit_code == 0, r.output
    out["amended"] = tmp / "amended"
    return out


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("kit") / "kit"
    r = CliRunner().invoke(cli, ["auditor-kit", "--out", str(out)])
    assert r.exit_code == 0, r.output
    path = out / KIT_NAME
    assert f"sha256: {sha256_hex(path.read_bytes())}" in r.output.splitlines()
    return path


def run_kit(kit: Path, bundle: Path, tmp: Path) -> subprocess.CompletedProcess[str]:
    box = tmp / "box"
    box.mkdir(parents=True)
    shutil.copy(kit, box / KIT_NAME)
    shutil.copytree(bundle, box / "bundle")
    r = subprocess.run(
        [sys.executable, "-I", "-S", KIT_NAME, "bundle"], cwd=box, capture_output=True, text=True,
        env={"PATH": os.environ.get("PATH", "")}, timeout=300,
    )
    assert "Traceback" not in r.stdout + r.stderr, r.stderr
    assert r.returncode in (0, 1), r.stderr
    return r


def tool_verify_output(bundle: Path) -> tuple[int, str]:
    r = CliRunner().invoke(cli, ["verify", str(bundle)])
    assert r.exception is None or isinstance(r.exception, SystemExit), r.output
    return r.exit_code, r.output


def test_the_bundles_take_each_solver_path(bundles: dict[str, Path]) -> None:
    solvers = {k: json.loads((b / "manifest.json").read_text(encoding="utf-8"))["assignment"]["solver"]
               for k, b in bundles.items()}
    assert solvers["plain"].endswith("SimpleMinCostFlow")
    assert solvers["typed"].endswith("SimpleMinCostFlow (typed slots)")
    assert solvers["cpsat"].endswith("CP-SAT")


@pytest.mark.parametrize("kind", ["plain", "typed"])
def test_flow_certificates_close_the_gap(bundles: dict[str, Path], kind: str) -> None:
    manifest = json.loads((bundles[kind] / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format"] == "inspect-sched/draw-v2"
    cert = Certificate.from_json((bundles[kind] / "certificate.json").read_bytes())
    assert cert.bound == cert.objective == manifest["assignment"]["objective"]
    assert all(y <= 0 for y in cert.cap.values()) and any(y > 0 for y in cert.team.values())


@pytest.mark.parametrize("kind", ["plain", "typed", "cpsat", "release-0.1", "amended"])
def test_kit_verifies_genuine_bundles(bundles: dict[str, Path], kit: Path, tmp_path: Path, kind: str) -> None:
    r = run_kit(kit, bundles[kind], tmp_path)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "verified"
    # Then what was checked, to compare with what was published (SPEC §9), then what is unproven.
    manifest = json.loads((bundles[kind] / "manifest.json").read_text("utf-8"))
    # An amended bundle shows the manifest AS DRAWN (the plain draw it was exported from: the
    # value on the public sheet), then its amendments and the last one's ledger hash.
    drawn = bundles["plain" if kind == "amended" else kind] / "manifest.json"
    assert lines[1:4] == [f"  plan commitment: {manifest['plan_commitment']}",
                          f"  manifest sha256: {hashlib.sha256(drawn.read_bytes()).hexdigest()}",
                          f"  ledger hash:     {manifest['ledger']['hash']}"]
    notes = lines[4:]
    if kind == "amended":
        last = manifest["amendments"]["ledger"][-1]["hash"]
        assert notes[0] == f"  amendments:      2, last ledger hash {last} (compare with a ledger head published after it)"
        notes = notes[1:]
    if kind in ("plain", "typed", "amended"):
        assert notes == []  # certified: nothing left unproven
    elif kind == "release-0.1":
        assert "not certified by duality" in notes[0] and "inspect-sched verify" in notes[0]
    else:
        cert = Certificate.from_json((bundles[kind] / "certificate.json").read_bytes())
        if cert.bound < cert.objective:
            assert "not certified by duality" in notes[0] and "CP-SAT" in notes[0]
        else:
            assert notes == []
    code, out = tool_verify_output(bundles[kind])
    assert (code, out.splitlines()[0]) == (0, "verified")
    assert "not certified" not in out  # the tool re-solves what the certificate cannot prove


# ---------------------------------------------------------------------------- tampering


def _files(bundle: Path) -> list[str]:
    return sorted(p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file())


def _kit_and_tool_agree(kit: Path, bundle: Path, tmp: Path) -> list[str]:
    r = run_kit(kit, bundle, tmp)
    assert r.returncode == 1 and "verified" not in r.stdout
    kit_lines = r.stderr.splitlines()[1:]
    code, out = tool_verify_output(bundle)
    assert code == 1
    assert out.splitlines()[1:] == kit_lines  # the same findings, from the same code
    return kit_lines


@pytest.mark.parametrize("flip", [0x01, 0x80], ids=["low_bit", "high_bit"])
def test_any_changed_byte_is_named(bundles: dict[str, Path], kit: Path, tmp_path: Path, flip: int) -> None:
    for n, name in enumerate(_files(bundles["plain"])):
        copy = tmp_path / f"copy{n}"
        shutil.copytree(bundles["plain"], copy)
        data = bytearray((copy / name).read_bytes())
        data[len(data) // 2] ^= flip
        (copy / name).write_bytes(bytes(data))
        lines = _kit_and_tool_agree(kit, copy, tmp_path / f"run{n}")
        assert any(line.startswith(f"  {name}:") for line in lines), (name, lines)


@pytest.mark.parametrize("flip", [0x01, 0x80], ids=["low_bit", "high_bit"])
def test_any_changed_byte_of_an_amended_bundle_is_named(
    bundles: dict[str, Path], kit: Path, tmp_path: Path, flip: int
) -> None:
    for n, name in enumerate(("amendments.csv", "assignments-current.csv", "manifest.json")):
        copy = tmp_path / f"copy{n}"
        shutil.copytree(bundles["amended"], copy)
        data = bytearray((copy / name).read_bytes())
        data[len(data) // 2] ^= flip
        (copy / name).write_bytes(bytes(data))
        lines = _kit_and_tool_agree(kit, copy, tmp_path / f"run{n}")
        assert any(line.startswith(f"  {name}:") or name == "manifest.json" for line in lines), (name, lines)


@pytest.mark.parametrize("change", ["add_file", "delete_file", "rename_file", "delete_certificate"])
def test_added_deleted_or_renamed_file_is_named(
    bundles: dict[str, Path], kit: Path, tmp_path: Path, change: str
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(bundles["typed"], copy)
    if change == "add_file":
        (copy / "notes.txt").write_text("extra", encoding="utf-8")
        want = "notes.txt"
    elif change == "delete_file":
        (copy / "sample.csv").unlink()
        want = "sample.csv"
    elif change == "rename_file":
        (copy / "frame.csv").rename(copy / "frame2.csv")
        want = "frame.csv"
    else:
        (copy / "certificate.json").unlink()
        want = "certificate.json"
    lines = _kit_and_tool_agree(kit, copy, tmp_path)
    assert any(want in line for line in lines), lines


def _reseal(bundle: Path, changed: dict[str, bytes], objective: int | None = None) -> None:
    """A forger with the folder: replace files, then recompute every hash to match."""
    manifest = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
    for name, data in changed.items():
        (bundle / name).write_bytes(data)
    core = {k: v for k, v in manifest.items() if k != "ledger"}
    core["files"] = {n: sha256_hex((bundle / n).read_bytes()) for n in _files(bundle) if n != "manifest.json"}
    if objective is not None:
        core["assignment"] = {**core["assignment"], "objective": objective}
    prev = manifest["ledger"]["prev_hash"]
    (bundle / "manifest.json").write_bytes(manifest_bytes(core, prev, chain_hash(prev, ledger_body(core))))


def _sampled(bundle: Path):  # type: ignore[no-untyped-def]
    files = read_bundle(bundle)
    m = json.loads(files["manifest.json"])
    spec = DrawSpec.from_dict(m)
    return derive_sample(Inputs.from_csv_files(files), spec, m["seed"])


@pytest.mark.parametrize("forged", ["own_duals", "edited_bound", "objective_only"])
@pytest.mark.parametrize("kind", ["plain", "typed"])
def test_dearer_feasible_teams_are_rejected_by_the_certificate_alone(
    bundles: dict[str, Path], kit: Path, tmp_path: Path, kind: str, forged: str
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(bundles[kind], copy)
    s = _sampled(copy)
    selected = [r.framed.firm for r in s.sample]
    best = assign(s.seed, selected, s.inputs.inspectors, s.exclusions, s.rules)
    # Forbid one pair of the optimum: the optimum of what is left is feasible and dearer.
    f0 = selected[0].uscc
    worse = assign(s.seed, selected, s.inputs.inspectors,
                   {**s.exclusions, (f0, best.teams[f0][0]): "conflict"}, s.rules)
    assert worse.objective > best.objective
    files = rendered_files(s.with_assignment(worse))
    original = Certificate.from_json((copy / "certificate.json").read_bytes())
    if forged == "edited_bound":
        cert = Certificate(original.team, original.cover, original.cap, worse.objective, worse.objective, "")
        files["certificate.json"] = cert.to_json()
    elif forged == "objective_only":
        cert = Certificate(original.team, original.cover, original.cap, original.bound, worse.objective, "")
        files["certificate.json"] = cert.to_json()
    rows = [r.split(",") for r in files["assignments.csv"].decode("utf-8").splitlines()[1:]]
    _reseal(copy, {
        "assignments.csv": files["assignments.csv"],
        "assignments.xlsx": assignments_xlsx(rows, s.spec, s.seed),
        "certificate.json": files["certificate.json"],
    }, objective=worse.objective)
    lines = _kit_and_tool_agree(kit, copy, tmp_path / "run")
    assert lines and all(line.startswith("  certificate.json:") for line in lines), lines
    assert any("optimality is not certified" in line for line in lines), lines


@pytest.mark.parametrize("manifest", [
    "[]", "{}", '{"format": "inspect-sched/draw-v2"}', '{"format": "inspect-sched/draw-v9"}',
    "not json", "EDIT:files=3", 'EDIT:policy="x"', "EDIT:assignment=[]", "EDIT:filters=1", "EDIT:seed=7",
    "EDIT:ledger=0", 'EDIT:period="2026-13"', 'EDIT:departments={"a": 1}', "EDIT:strata=null",
])
def test_malformed_manifests_are_findings_not_tracebacks(
    bundles: dict[str, Path], kit: Path, tmp_path: Path, manifest: str
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(bundles["plain"], copy)
    if manifest.startswith("EDIT:"):
        key, value = manifest[5:].split("=")
        m = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
        m[key] = json.loads(value)
        text = json.dumps(m, ensure_ascii=False)
    else:
        text = manifest
    (copy / "manifest.json").write_text(text, encoding="utf-8")
    lines = _kit_and_tool_agree(kit, copy, tmp_path / "run")
    assert lines


# ---------------------------------------------------------------------------- library level


def test_stdlib_xlsx_reader_reads_what_openpyxl_reads(bundles: dict[str, Path]) -> None:
    import io

    from openpyxl import load_workbook

    from inspect_sched.io.xlsx_read import first_sheet_rows

    for kind in ("plain", "release-0.1"):
        data = (bundles[kind] / "assignments.xlsx").read_bytes()
        ws = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
        want = [["" if v is None else str(v) for v in r] for r in ws.iter_rows(values_only=True)]
        got = first_sheet_rows(data)
        assert [r + [""] * (len(w) - len(r)) for r, w in zip(got, want, strict=True)] == want
        assert len(got) > 3


@pytest.mark.parametrize("edit", ["positive_cap", "negative_cover", "missing_firm", "extra_inspector",
                                  "team_plus_one", "bound_field", "float"])
def test_certificate_check_names_each_defect(bundles: dict[str, Path], edit: str) -> None:
    from inspect_sched.core.assign.certify import check_certificate

    s = _sampled(bundles["typed"])
    selected = [r.framed.firm for r in s.sample]
    a = assign(s.seed, selected, s.inputs.inspectors, s.exclusions, s.rules)
    c = a.certificate
    assert c is not None
    ok = check_certificate(s.seed, selected, s.inputs.inspectors, s.exclusions, s.rules, a, c)
    assert ok.problems == [] and ok.certified and ok.bound == a.objective
    team, cover, cap = dict(c.team), {u: dict(v) for u, v in c.cover.items()}, dict(c.cap)
    u0, i0 = sorted(team)[0], sorted(cap)[0]
    bound = c.bound
    if edit == "positive_cap":
        cap[i0] = 5
        want = f"y_cap[{i0}] = 5 must be ≤ 0"
    elif edit == "negative_cover":
        u1 = sorted(cover)[0]
        g = sorted(cover[u1])[0]
        cover[u1][g] = -1
        want = f"y_cover[{u1}][{g}] = -1 must be ≥ 0"
    elif edit == "missing_firm":
        del team[u0]
        want = "y_team must name exactly the drawn firms"
    elif edit == "extra_inspector":
        cap["ZZ-NOBODY"] = 0
        want = "y_cap must name exactly the inspectors"
    elif edit == "team_plus_one":
        team[u0] += 10**13  # valid signs, but every pair of the firm now has rc < 0: the bound falls
        want = "the duals give"
    elif edit == "bound_field":
        bound -= 1
        want = f"bound says {bound}"
    else:
        text = Certificate(team, cover, cap, bound, c.objective, "").to_json().decode("utf-8")
        text = text.replace(f'"{u0}": {team[u0]}', f'"{u0}": {team[u0]}.0')
        with pytest.raises(ValueError, match="not an integer"):
            Certificate.from_json(text.encode("utf-8"))
        return
    forged = Certificate(team, cover, cap, bound, c.objective, "")
    assert Certificate.from_json(forged.to_json()) == forged
    r = check_certificate(s.seed, selected, s.inputs.inspectors, s.exclusions, s.rules, a, forged)
    assert any(want in p for p in r.problems), r.problems


@pytest.mark.parametrize("edit", ["none", "team", "cover", "cap", "bound", "huge"])
@pytest.mark.parametrize("kind", ["typed", "cpsat"])
def test_tool_and_kit_give_the_same_verdict_on_the_certificate(
    bundles: dict[str, Path], tmp_path: Path, kind: str, edit: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The tool sums the certificate's reduced costs with numpy over worker processes, the kit
    in plain Python: the same problems on a genuine bundle and on forged certificates."""
    from inspect_sched.core.assign import model

    monkeypatch.setattr(model, "PARALLEL_MIN_PAIRS", 0)
    monkeypatch.setenv("INSPECT_SCHED_WORKERS", "2")
    copy = tmp_path / "b"
    shutil.copytree(bundles[kind], copy)
    c = Certificate.from_json((copy / "certificate.json").read_bytes())
    team, cover, cap, bound = dict(c.team), {u: dict(v) for u, v in c.cover.items()}, dict(c.cap), c.bound
    u0, i0 = sorted(team)[0], sorted(cap)[0]
    if edit == "team":
        team[u0] += 10**13
    elif edit == "cover":
        u1 = next(u for u in sorted(cover) if cover[u])
        cover[u1] = {g: y + 10**12 for g, y in cover[u1].items()}
    elif edit == "cap":
        cap[i0] -= 10**12
    elif edit == "bound":
        bound += 1
    elif edit == "huge":  # beyond int64: the tool falls back to the kit's loop
        cap[i0] = -(1 << 70)
    if edit != "none":
        (copy / "certificate.json").write_bytes(Certificate(team, cover, cap, bound, c.objective, "").to_json())
    tool = tool_verify.verify_report(copy)
    kit_side = verify_core.check_bundle(copy)
    assert tool.problems == kit_side.problems
    found = [p for p in tool.problems if "SHA-256 differs" not in p]
    if edit == "none":
        assert tool.problems == []
    elif edit != "cover":  # these change the bound the duals prove or the one declared
        assert any(p.startswith("certificate.json: ") for p in found), found
