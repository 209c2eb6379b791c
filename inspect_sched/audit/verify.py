"""Re-derive a draw bundle from its own files alone (no database) and list every difference."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from inspect_sched.audit.amendments import FORMAT_V2
from inspect_sched.audit.bundle import (
    ASSIGNMENT_COLUMNS,
    FORMAT,
    chain_hash,
    derived_files,
    file_problems,
    ledger_body,
    plan_commitment,
)
from inspect_sched.core.assign import Assignment, Rules, check_assignment
from inspect_sched.core.derive import derive
from inspect_sched.core.frame import DrawSpec
from inspect_sched.core.inputs import Inputs
from inspect_sched.errors import InspectSchedError, VerificationError


def read_bundle(folder: str | Path) -> dict[str, bytes]:
    root = Path(folder)
    if not (root / "manifest.json").is_file():
        err = VerificationError([f"{root}: no manifest.json here; give the folder a draw wrote its bundle to"])
        err.hint, err.hint_args = "not_a_bundle", {"root": root}
        raise err
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*")) if p.is_file()
    }


def _rows_by_uscc(data: bytes) -> dict[str, dict[str, str]]:
    return {r["uscc"]: r for r in csv.DictReader(io.StringIO(data.decode("utf-8")))}


def _diff_csv(name: str, found: bytes, expected: bytes) -> list[str]:
    if found == expected:
        return []
    try:
        a, b = _rows_by_uscc(found), _rows_by_uscc(expected)
    except (UnicodeDecodeError, KeyError, csv.Error):
        return [f"{name}: not the expected CSV (cannot be read)"]
    out = []
    for uscc in sorted(set(a) | set(b)):
        if uscc not in a:
            out.append(f"{name}: firm {uscc} is missing (expected {dict(b[uscc])})")
        elif uscc not in b:
            out.append(f"{name}: firm {uscc} should not be there")
        else:
            for col, want in b[uscc].items():
                if a[uscc].get(col) != want:
                    out.append(f"{name}: firm {uscc} column {col}: found {a[uscc].get(col)!r}, expected {want!r}")
    if not out:
        out.append(f"{name}: rows are in the wrong order or formatted differently from the re-derived file")
    return out


def _xlsx_rows(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    rows = [["" if v is None else str(v) for v in r] for r in ws.iter_rows(values_only=True)]
    start = next(i for i, r in enumerate(rows) if r and r[0] == "序号") + 1
    return [r[1:1 + len(ASSIGNMENT_COLUMNS)] for r in rows[start:]]


def verify_bundle(folder: str | Path) -> list[str]:
    """Every difference between the bundle and what its inputs, policy and seed give."""
    files = read_bundle(folder)
    try:
        manifest: dict[str, Any] = json.loads(files["manifest.json"])
    except ValueError:
        return ["manifest.json: not valid JSON"]
    if not isinstance(manifest, dict):
        return ["manifest.json: not a JSON object"]
    if manifest.get("format") == FORMAT_V2 and "amendments" in manifest:
        return _verify_amended(files, manifest)
    return _verify_drawn(files, manifest)


def _verify_amended(files: dict[str, bytes], manifest: dict[str, Any]) -> list[str]:
    """An exported bundle with amendments (SPEC §7): the bundle as drawn, then every amendment."""
    from inspect_sched.audit.amendments import AMENDMENT_FILES, drawn_manifest, verify_amendments

    try:
        drawn = drawn_manifest(manifest)
    except Exception:  # noqa: BLE001
        return ["manifest.json: malformed amendments block"]
    drawn_files = {k: v for k, v in files.items() if k not in AMENDMENT_FILES}
    drawn_files["manifest.json"] = (json.dumps(drawn, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode()
    problems = _verify_drawn(drawn_files, drawn)
    if problems:
        return problems
    try:
        return verify_amendments(files, manifest)
    except Exception as exc:  # noqa: BLE001 — any malformed input is a finding, never a traceback
        return [f"cannot re-derive the amendments: {type(exc).__name__}: {exc}"]


def _verify_drawn(files: dict[str, bytes], manifest: dict[str, Any]) -> list[str]:
    if manifest.get("format") != FORMAT:
        return [f"manifest.json: format is {manifest.get('format')!r}, this tool verifies {FORMAT!r}"]
    problems: list[str] = []
    said = {"missing": "listed in the manifest but missing",
            "unlisted": "not listed in the manifest (added afterwards?)",
            "changed": "SHA-256 differs from the manifest (the file was changed)"}
    others = {k: v for k, v in files.items() if k != "manifest.json"}
    for name, problem in file_problems(manifest.get("files", {}), others):
        problems.append(f"{name}: {said[problem]}")
    try:
        spec = DrawSpec.from_dict(manifest)
        inputs = Inputs.from_csv_files(files)
        seed = manifest["seed"]
    except KeyError as exc:
        return [*problems, f"manifest.json: missing {exc.args[0]!r}"]
    except InspectSchedError as exc:
        return [*problems, f"cannot re-derive: {exc}"]
    canonical = inputs.to_csv_files()
    for name, data in canonical.items():
        if files.get(name) != data:
            problems.append(f"{name}: not in canonical form (edited by hand?)")
    if plan_commitment(spec, canonical) != manifest.get("plan_commitment"):
        problems.append("manifest.json: plan_commitment does not match the inputs, policy and filters")
    core = {k: v for k, v in manifest.items() if k != "ledger"}
    block = manifest.get("ledger", {})
    if chain_hash(block.get("prev_hash", ""), ledger_body(core)) != block.get("hash"):
        problems.append("manifest.json: ledger hash does not match the manifest (it was edited after the draw)")
    try:
        d = derive(inputs, spec, seed, canonical)
    except InspectSchedError as exc:
        return [*problems, f"re-deriving the draw fails: {exc}"]
    expected = derived_files(d, xlsx=False)
    for name in ("frame.csv", "sample.csv", "assignments.csv"):
        problems += _diff_csv(name, files.get(name, b""), expected[name])
    if "assignments.xlsx" in files:
        want = [r for r in csv.reader(io.StringIO(expected["assignments.csv"].decode("utf-8")))][1:]
        try:
            if _xlsx_rows(files["assignments.xlsx"]) != want:
                problems.append("assignments.xlsx: rows differ from the re-derived task sheet")
        except Exception:  # noqa: BLE001 — any unreadable workbook is a finding, not a crash
            problems.append("assignments.xlsx: cannot be read as a workbook")
    strata = {s: v.as_dict() for s, v in d.strata.items()}
    if manifest.get("strata") != strata:
        problems.append(f"manifest.json: strata {manifest.get('strata')} differ from re-derived {strata}")
    a = d.assignment
    if manifest.get("assignment", {}).get("objective") != a.objective:
        problems.append(
            f"manifest.json: assignment objective {manifest.get('assignment', {}).get('objective')} "
            f"differs from the re-solved optimum {a.objective}"
        )
    # Check the teams as written against the rules, independently of the solver.
    try:
        written = {
            r["uscc"]: tuple(x for x in r["inspector_ids"].split(";") if x)
            for r in csv.DictReader(io.StringIO(files.get("assignments.csv", b"").decode("utf-8")))
        }
        selected = [r.framed.firm for r in d.sample]
        claimed = Assignment(written, manifest.get("assignment", {}).get("objective", -1), a.solver, a.status)
        problems += [
            f"assignments.csv: {p}" for p in check_assignment(
                seed, selected, inputs.inspectors, d.exclusions,
                Rules.from_policy(spec.policy, spec.departments), claimed,
            )
        ]
    except (UnicodeDecodeError, KeyError, csv.Error):
        problems.append("assignments.csv: cannot be read")
    return problems
