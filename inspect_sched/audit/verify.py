"""Re-derive a draw bundle from its own files alone (no database) and list every difference.

The reader is chosen by the manifest's ``format`` (``bundle.FORMATS``): draw-v1 bundles of
release 0.1 are read exactly as they were written, draw-v2 ones with formula-escaped CSV
cells. Whatever a bundle holds — nested or mistyped JSON, files that are not CSV, oversized
cells — the answer is a list of problems, never a traceback (SPEC §9).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inspect_sched.audit.bundle import (
    ASSIGNMENT_COLUMNS,
    FORMAT_V2,
    FORMATS,
    BundleFormat,
    chain_hash,
    derived_files,
    file_problems,
    ledger_body,
    plan_commitment,
    sha256_hex,
)
from inspect_sched.core.assign import Assignment, Rules, check_assignment
from inspect_sched.core.derive import derive
from inspect_sched.core.frame import DrawSpec
from inspect_sched.core.inputs import Inputs
from inspect_sched.errors import InspectSchedError, VerificationError
from inspect_sched.io.text import seed_problem
from inspect_sched.schema.periods import parse_period
from inspect_sched.schema.policy import policy_from_dict

# A bundle file bigger than this is not one the tool wrote for any real pool; refuse to parse it.
MAX_BUNDLE_FILE = 2 << 30


@dataclass
class VerifyReport:
    problems: list[str] = field(default_factory=list)
    commitment: str = ""
    manifest_sha256: str = ""
    ledger_hash: str = ""


def read_bundle(folder: str | Path) -> dict[str, bytes]:
    root = Path(folder)
    if not (root / "manifest.json").is_file():
        raise VerificationError([f"{root}: no manifest.json here; give the folder a draw wrote with --out"])
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_symlink():
            raise VerificationError([f"{p}: is a symbolic link; a bundle holds plain files only"])
        if p.is_file():
            if p.stat().st_size > MAX_BUNDLE_FILE:
                raise VerificationError([f"{p}: {p.stat().st_size:,} bytes, too big for a bundle file"])
            out[p.relative_to(root).as_posix()] = p.read_bytes()
    return out


def _rows_by_uscc(fmt: BundleFormat, data: bytes) -> dict[str, dict[str, str]]:
    return {r["uscc"]: r for r in fmt.read_rows(data)}


def _diff_csv(fmt: BundleFormat, name: str, found: bytes, expected: bytes) -> list[str]:
    if found == expected:
        return []
    try:
        a, b = _rows_by_uscc(fmt, found), _rows_by_uscc(fmt, expected)
    except (UnicodeDecodeError, KeyError, csv.Error):
        return [f"{name}: not the expected CSV (cannot be read)"]
    out = []
    for uscc in sorted(set(a) | set(b), key=str):
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
    ws.reset_dimensions()  # a declared dimension is not trusted (SPEC §9)
    rows = [["" if v is None else str(v) for v in r] for r in ws.iter_rows(values_only=True)]
    start = next(i for i, r in enumerate(rows) if r and r[0] == "序号") + 1
    return [r[1:1 + len(ASSIGNMENT_COLUMNS)] for r in rows[start:]]


def verify_bundle(folder: str | Path) -> list[str]:
    """Every difference between the bundle and what its inputs, policy and seed give."""
    return verify_bundle_report(folder).problems


def verify_bundle_report(folder: str | Path) -> VerifyReport:
    """``verify_bundle`` plus the commitment, manifest hash and ledger hash that were checked."""
    files = read_bundle(folder)
    report = VerifyReport(manifest_sha256=sha256_hex(files["manifest.json"]))
    try:
        report.problems = _verify(files, report)
    except VerificationError as exc:
        report.problems = [*report.problems, *exc.differences]
    except RecursionError:
        report.problems = [*report.problems, "manifest.json: nested too deeply to be a manifest"]
    except Exception as exc:  # noqa: BLE001 — any malformed bundle is a finding, never a crash
        report.problems = [*report.problems,
                           f"the bundle is malformed ({type(exc).__name__}: {str(exc)[:200]}); it does not verify"]
    return report


def _field(manifest: dict[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    if key not in manifest:
        raise VerificationError([f"manifest.json: missing {key!r}"])
    value = manifest[key]
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise VerificationError([f"manifest.json: {key!r} has the wrong type ({type(value).__name__})"])
    return value


def _verify(files: dict[str, bytes], report: VerifyReport) -> list[str]:
    try:
        manifest: Any = json.loads(files["manifest.json"])
    except (ValueError, UnicodeDecodeError):
        return ["manifest.json: not valid JSON"]
    if not isinstance(manifest, dict):
        return ["manifest.json: not a JSON object"]
    report.commitment = str(manifest.get("plan_commitment", ""))[:64]
    block = manifest.get("ledger", {})
    report.ledger_hash = str(block.get("hash", ""))[:64] if isinstance(block, dict) else ""
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
    """A bundle as drawn, read by the reader of its ``format`` (bundle.FORMATS)."""
    name = manifest.get("format")
    fmt = FORMATS.get(name) if isinstance(name, str) else None
    if fmt is None:
        return [f"manifest.json: format is {manifest.get('format')!r}, this tool verifies "
                f"{', '.join(repr(f) for f in FORMATS)}"]
    block = manifest.get("ledger", {})
    if not isinstance(block, dict):
        return ["manifest.json: 'ledger' is not an object"]
    problems: list[str] = []
    said = {"missing": "listed in the manifest but missing",
            "unlisted": "not listed in the manifest (added afterwards?)",
            "changed": "SHA-256 differs from the manifest (the file was changed)"}
    others = {k: v for k, v in files.items() if k != "manifest.json"}
    listed = _field(manifest, "files", dict)
    for name, problem in file_problems(listed, others):
        problems.append(f"{name}: {said[problem]}")
    seed = _field(manifest, "seed", str)
    why = seed_problem(seed)
    if why:
        return [*problems, f"manifest.json: {why} (SPEC §1 forbids such a seed)"]
    filters = _field(manifest, "filters", dict)
    departments = _field(manifest, "departments", list)
    if not all(isinstance(v, list) and all(isinstance(x, str) for x in v) for v in filters.values()) or \
            not all(isinstance(d, str) for d in departments):
        return [*problems, "manifest.json: 'filters' or 'departments' hold something other than text lists"]
    try:
        spec = DrawSpec(
            period=parse_period(_field(manifest, "period", str)), task=_field(manifest, "task", str),
            policy=policy_from_dict(_field(manifest, "policy", dict)),
            filters={k: tuple(v) for k, v in filters.items()},
            departments=tuple(departments),
        )
        inputs = Inputs.from_csv_files(files, unescape=fmt.escape_csv)
    except InspectSchedError as exc:
        return [*problems, f"cannot re-derive: {exc}"]
    canonical = inputs.to_csv_files(escape=fmt.escape_csv)
    for name, data in canonical.items():
        if files.get(name) != data:
            problems.append(f"{name}: not in canonical form (edited by hand?)")
    if plan_commitment(spec, canonical) != manifest.get("plan_commitment"):
        problems.append("manifest.json: plan_commitment does not match the inputs, policy and filters")
    core = {k: v for k, v in manifest.items() if k != "ledger"}
    try:
        body = ledger_body(core)
    except KeyError as exc:
        return [*problems, f"manifest.json: missing {exc.args[0]!r}"]
    if chain_hash(str(block.get("prev_hash", "")), body) != block.get("hash"):
        problems.append("manifest.json: ledger hash does not match the manifest (it was edited after the draw)")
    try:
        d = derive(inputs, spec, seed)
    except InspectSchedError as exc:
        return [*problems, f"re-deriving the draw fails: {exc}"]
    expected = derived_files(d, fmt)
    for name in ("frame.csv", "sample.csv", "assignments.csv"):
        problems += _diff_csv(fmt, name, files.get(name, b""), expected[name])
    if "assignments.xlsx" in files:
        want = [[fmt.cell_in(c) for c in r]
                for r in csv.reader(io.StringIO(expected["assignments.csv"].decode("utf-8")))][1:]
        try:
            if _xlsx_rows(files["assignments.xlsx"]) != want:
                problems.append("assignments.xlsx: rows differ from the re-derived task sheet")
        except Exception:  # noqa: BLE001 — any unreadable workbook is a finding, not a crash
            problems.append("assignments.xlsx: cannot be read as a workbook")
    strata = {s: v.as_dict() for s, v in d.strata.items()}
    if manifest.get("strata") != strata:
        problems.append(f"manifest.json: strata {str(manifest.get('strata'))[:300]} differ from re-derived {strata}")
    a = d.assignment
    claimed_block = manifest.get("assignment", {})
    claimed_objective = claimed_block.get("objective") if isinstance(claimed_block, dict) else None
    if claimed_objective != a.objective:
        problems.append(
            f"manifest.json: assignment objective {str(claimed_objective)[:40]} "
            f"differs from the re-solved optimum {a.objective}"
        )
    # Check the teams as written against the rules, independently of the solver.
    try:
        written = {
            r["uscc"]: tuple(x for x in r["inspector_ids"].split(";") if x)
            for r in fmt.read_rows(files.get("assignments.csv", b""))
        }
        selected = [r.framed.firm for r in d.sample]
        objective = claimed_objective if isinstance(claimed_objective, int) else -1
        claimed = Assignment(written, objective, a.solver, a.status)
        problems += [
            f"assignments.csv: {p}" for p in check_assignment(
                seed, selected, inputs.inspectors, d.exclusions,
                Rules.from_policy(spec.policy, spec.departments), claimed,
            )
        ]
    except (UnicodeDecodeError, KeyError, AttributeError, TypeError, csv.Error):
        problems.append("assignments.csv: cannot be read")
    return problems
