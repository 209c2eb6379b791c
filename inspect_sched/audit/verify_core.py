"""Check a draw bundle from its own files alone: the one implementation behind ``verify`` and the kit.

Standard library only: ``inspect-sched-verify.pyz`` (the auditor's kit, SPEC §11) runs this
module as it is. It checks every file hash, the canonical inputs, the plan commitment and
the ledger hash, re-derives frame, π and sample, reads both task sheets, checks the written
teams against every assign-v1 rule, and checks the optimality certificate (draw-v2).

Optimality without a certificate (draw-v1), or where duality leaves a gap on a model whose
LP relaxation is not integral, needs a solver: the tool's ``verify`` passes ``resolve``
(which re-solves with OR-Tools); the kit has none and says what would check it.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inspect_sched.audit.amendments import AMENDMENT_FILES, FORMAT_V2, drawn_manifest, verify_amendments
from inspect_sched.audit.bundle import (
    ASSIGNMENT_COLUMNS,
    READERS,
    BundleFormat,
    chain_hash,
    file_problems,
    ledger_body,
    plan_commitment,
    read_bundle,
    rendered_files,
    sha256_hex,
)
from inspect_sched.core.assign.certify import (
    CERTIFICATE_FILE,
    Certificate,
    ReducedCosts,
    check_certificate,
    lp_is_integral,
)
from inspect_sched.core.assign.check import check_assignment
from inspect_sched.core.assign.rules import Assignment
from inspect_sched.core.derive import Sampled, derive_sample
from inspect_sched.core.frame import DrawSpec
from inspect_sched.core.inputs import Inputs
from inspect_sched.errors import InspectSchedError, VerificationError
from inspect_sched.io.text import seed_problem
from inspect_sched.io.xlsx_read import first_sheet_rows

# The re-solve of the tool's verify: (the sample, the bundle's files, the manifest) -> problems.
Resolver = Callable[[Sampled, dict[str, bytes], dict[str, Any]], list[str]]

FULL_TOOL = "the full tool's `inspect-sched verify BUNDLE`, which re-solves the assignment with OR-Tools"


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # shown after "verified": what was not proven
    # What was checked, printed so that an outsider can compare it with what was published (SPEC §9).
    commitment: str = ""
    manifest_sha256: str = ""  # of the manifest as drawn: the value on the public sheet
    ledger_hash: str = ""
    # An exported bundle with amendments: how many, and the last one's ledger hash (compare it
    # with a ledger head published after it: a self-consistent forged amendment chain verifies
    # on its own, only a published head pins it).
    amendments: int = 0
    amendment_ledger_hash: str = ""

    def published_values(self) -> list[str]:
        """The lines ``verify`` prints for an outsider to compare with what was published."""
        lines = [f"  plan commitment: {self.commitment}", f"  manifest sha256: {self.manifest_sha256}",
                 f"  ledger hash:     {self.ledger_hash}"]
        if self.amendments:
            lines.append(f"  amendments:      {self.amendments}, last ledger hash {self.amendment_ledger_hash} "
                         "(compare with a ledger head published after it)")
        return lines


def _rows_by_uscc(data: bytes, fmt: BundleFormat) -> dict[str, dict[str, str]]:
    return {r["uscc"]: r for r in fmt.read_rows(data)}


def diff_csv(name: str, found: bytes, expected: bytes, fmt: BundleFormat = READERS[FORMAT_V2]) -> list[str]:
    """Each difference between two CSVs keyed by ``uscc``, naming file, firm and column."""
    if found == expected:
        return []
    try:
        a, b = _rows_by_uscc(found, fmt), _rows_by_uscc(expected, fmt)
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


def xlsx_task_rows(data: bytes, width: int = len(ASSIGNMENT_COLUMNS)) -> list[list[str]]:
    """The data rows of a task-sheet workbook (the cells under the 序号 header, 序号 left out)."""
    rows = first_sheet_rows(data)
    start = next(i for i, r in enumerate(rows) if r and r[0] == "序号") + 1
    return [(r[1:] + [""] * width)[:width] for r in rows[start:]]


def task_sheet_columns(files: dict[str, bytes]) -> list[str] | None:
    """The base (release 0.1) task-sheet layout when the bundle's ``assignments.csv`` has it;
    None for the spec's own layout (mode, departments and units when the task needs them)."""
    header = files.get("assignments.csv", b"").split(b"\n", 1)[0].decode("utf-8", "replace")
    return list(ASSIGNMENT_COLUMNS) if header == ",".join(ASSIGNMENT_COLUMNS) else None


def _written_teams(files: dict[str, bytes], fmt: BundleFormat) -> dict[str, tuple[str, ...]]:
    return {
        r["uscc"]: tuple(x for x in r["inspector_ids"].split(";") if x)
        for r in fmt.read_rows(files.get("assignments.csv", b""))
    }


def check_bundle(folder: str | Path, resolve: Resolver | None = None,
                 reduced_costs: ReducedCosts | None = None) -> Report:
    """Every difference between the bundle and what its inputs, policy and seed give.

    ``resolve`` and ``reduced_costs``: the tool's solver side (a re-solve; a faster exact sum of
    the certificate's negative reduced costs); the kit passes neither.
    """
    try:
        files = read_bundle(folder)  # VerificationError (with a hint) when it is not a bundle
    except OSError as exc:
        return Report([f"{folder}: cannot be read ({exc.strerror or exc})"])
    return check_files(files, resolve, reduced_costs)


def check_files(files: dict[str, bytes], resolve: Resolver | None = None,
                reduced_costs: ReducedCosts | None = None) -> Report:
    """``check_bundle`` on files in memory. Whatever they hold — nested or mistyped JSON, files
    that are not CSV, oversized cells — the answer is a report, never a traceback (SPEC §9)."""
    try:
        report = _check_files(files, resolve, reduced_costs)
    except VerificationError as exc:
        report = Report(list(exc.differences))
    except RecursionError:
        report = Report(["manifest.json: nested too deeply to be a manifest"])
    except Exception as exc:  # noqa: BLE001 — any malformed bundle is a finding, never a crash
        report = Report([f"the bundle is malformed ({type(exc).__name__}: {str(exc)[:200]}); it does not verify"])
    if "manifest.json" in files:
        report.manifest_sha256 = sha256_hex(files["manifest.json"])
        try:
            manifest = json.loads(files["manifest.json"])
            block = manifest.get("ledger", {}) if isinstance(manifest, dict) else {}
            report.commitment = str(manifest.get("plan_commitment", ""))[:64] if isinstance(manifest, dict) else ""
            report.ledger_hash = str(block.get("hash", ""))[:64] if isinstance(block, dict) else ""
            amended = manifest.get("amendments") if isinstance(manifest, dict) else None
            entries = amended.get("ledger") if isinstance(amended, dict) else None
            if isinstance(entries, list) and entries and isinstance(entries[-1], dict):
                report.manifest_sha256 = sha256_hex(_drawn_manifest_bytes(manifest))
                report.amendments = len(entries)
                report.amendment_ledger_hash = str(entries[-1].get("hash", ""))[:64]
        except (ValueError, UnicodeDecodeError, RecursionError, TypeError, AttributeError):
            pass
    return report


def _drawn_manifest_bytes(manifest: dict[str, Any]) -> bytes:
    """An amended manifest back to the bytes of the manifest as drawn (whose SHA-256 the draw's
    ledger entry and the public sheet carry)."""
    return (json.dumps(drawn_manifest(manifest), ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode()


def _check_files(files: dict[str, bytes], resolve: Resolver | None, reduced_costs: ReducedCosts | None) -> Report:
    try:
        manifest: dict[str, Any] = json.loads(files["manifest.json"])
    except (KeyError, ValueError, UnicodeDecodeError):
        return Report(["manifest.json: not valid JSON"])
    if not isinstance(manifest, dict):
        return Report(["manifest.json: not a JSON object"])
    if manifest.get("format") == FORMAT_V2 and "amendments" in manifest:
        return _check_amended(files, manifest, resolve, reduced_costs)
    return _check_drawn(files, manifest, resolve, reduced_costs)


def _check_amended(files: dict[str, bytes], manifest: dict[str, Any], resolve: Resolver | None,
                   reduced_costs: ReducedCosts | None) -> Report:
    """An exported bundle with amendments (SPEC §7): the bundle as drawn, then every amendment."""
    try:
        drawn = drawn_manifest(manifest)
    except Exception:  # noqa: BLE001
        return Report(["manifest.json: malformed amendments block"])
    drawn_files = {k: v for k, v in files.items() if k not in AMENDMENT_FILES}
    drawn_files["manifest.json"] = _drawn_manifest_bytes(manifest)
    report = _check_drawn(drawn_files, drawn, resolve, reduced_costs)
    if report.problems:
        return report
    try:
        report.problems += verify_amendments(files, manifest)
    except Exception as exc:  # noqa: BLE001 — any malformed input is a finding, never a traceback
        report.problems.append(f"cannot re-derive the amendments: {type(exc).__name__}: {exc}")
    return report


def _check_drawn(files: dict[str, bytes], manifest: dict[str, Any], resolve: Resolver | None,
                 reduced_costs: ReducedCosts | None) -> Report:
    """A bundle as drawn (draw-v1 or draw-v2, no amendments)."""
    report = Report()
    problems = report.problems
    name = manifest.get("format")
    reader = READERS.get(name) if isinstance(name, str) else None
    if reader is None:
        return Report([f"manifest.json: format is {manifest.get('format')!r}; this version reads "
                       f"{', '.join(sorted(READERS))} (a newer bundle needs a newer release)"])
    said = {"missing": "listed in the manifest but missing",
            "unlisted": "not listed in the manifest (added afterwards?)",
            "changed": "SHA-256 differs from the manifest (the file was changed)"}
    listed = manifest.get("files", {})
    others = {k: v for k, v in files.items() if k != "manifest.json"}
    for name, problem in file_problems(listed if isinstance(listed, dict) else {}, others):
        problems.append(f"{name}: {said[problem]}")
    seed = manifest.get("seed")
    why = seed_problem(seed) if isinstance(seed, str) else "the seed is missing or not text"
    if why:
        return Report([*problems, f"manifest.json: {why} (SPEC §1 forbids such a seed)"])
    assert isinstance(seed, str)  # a seed that is not text has a `why` above
    try:
        spec = DrawSpec.from_dict(manifest)
        inputs = Inputs.from_csv_files(files, unescape=reader.escape_csv)
    except KeyError as exc:
        return Report([*problems, f"manifest.json: missing {exc.args[0]!r}"])
    except InspectSchedError as exc:
        return Report([*problems, f"cannot re-derive: {exc}"])
    except (TypeError, AttributeError, ValueError) as exc:
        return Report([*problems, f"manifest.json: malformed ({exc})"])
    canonical = inputs.to_csv_files(escape=reader.escape_csv)
    for name, data in canonical.items():
        if files.get(name) != data:
            problems.append(f"{name}: not in canonical form (edited by hand?)")
    if plan_commitment(spec, canonical) != manifest.get("plan_commitment"):
        problems.append("manifest.json: plan_commitment does not match the inputs, policy and filters")
    core = {k: v for k, v in manifest.items() if k != "ledger"}
    block = manifest.get("ledger", {})
    try:
        if chain_hash(block.get("prev_hash", ""), ledger_body(core)) != block.get("hash"):
            raise ValueError
    except (KeyError, ValueError, AttributeError, TypeError):
        problems.append("manifest.json: ledger hash does not match the manifest (it was edited after the draw)")
    try:
        s = derive_sample(inputs, spec, seed)
    except InspectSchedError as exc:
        return Report([*problems, f"re-deriving the draw fails: {exc}"])

    strata = {name: v.as_dict() for name, v in s.strata.items()}
    if manifest.get("strata") != strata:
        problems.append(f"manifest.json: strata {manifest.get('strata')} differ from re-derived {strata}")
    declared = manifest.get("assignment", {})
    objective = declared.get("objective", -1) if isinstance(declared, dict) else -1
    try:
        written = _written_teams(files, reader)
    except (UnicodeDecodeError, KeyError, csv.Error, AttributeError):
        problems.append("assignments.csv: cannot be read")
        written = {}
    claimed = Assignment(written, objective if type(objective) is int else -1, "", "")
    d = s.with_assignment(claimed)
    columns = task_sheet_columns(files)
    expected = rendered_files(d, reader, columns, canonical)
    names = ["frame.csv", "sample.csv"] + (["assignments.csv"] if written else [])
    for name in names:
        problems += diff_csv(name, files.get(name, b""), expected[name], reader)
    if "assignments.xlsx" in files:
        table = [[reader.cell_in(c) for c in r]
                 for r in csv.reader(io.StringIO(expected["assignments.csv"].decode("utf-8")))]
        want = table[1:]
        try:
            if xlsx_task_rows(files["assignments.xlsx"], len(table[0])) != want:
                problems.append("assignments.xlsx: rows differ from the task sheet assignments.csv")
        except Exception:  # noqa: BLE001 — any unreadable workbook is a finding, not a crash
            problems.append("assignments.xlsx: cannot be read as a workbook")
    selected = [r.framed.firm for r in s.sample]
    rules = s.rules
    rule_problems = [f"assignments.csv: {p}" for p in check_assignment(
        seed, selected, inputs.inspectors, s.exclusions, rules, claimed)]
    problems += rule_problems

    # Optimality: by the certificate (draw-v2), else by re-solving (the tool) or not at all (kit).
    need_resolve = False
    if not reader.certificate:
        need_resolve = True
        if resolve is None:
            report.notes.append(
                f"optimality: not certified by duality — this {reader.format} bundle carries no "
                f"certificate; the teams meet every rule. To check that they are the cheapest, run {FULL_TOOL}."
            )
    elif CERTIFICATE_FILE not in files:
        problems.append(f"{CERTIFICATE_FILE}: missing; a {reader.format} bundle must carry its certificate")
    elif not rule_problems:
        try:
            cert = Certificate.from_json(files[CERTIFICATE_FILE])
        except ValueError as exc:
            problems.append(f"{CERTIFICATE_FILE}: {exc}")
        else:
            c = check_certificate(seed, selected, inputs.inspectors, s.exclusions, rules, claimed, cert,
                                  reduced_costs)
            problems += c.problems
            if c.bound is not None and c.bound < claimed.objective:
                gap = (f"the certificate proves only that no assignment costs less than {c.bound}, "
                       f"and the teams cost {claimed.objective}")
                if lp_is_integral(selected, inputs.inspectors, s.exclusions, rules):
                    problems.append(
                        f"{CERTIFICATE_FILE}: optimality is not certified: {gap}. This draw's LP "
                        "relaxation is integral (a min-cost flow), so the optimal teams always have a "
                        "certificate with no gap: the teams are not the cheapest, or the certificate "
                        "was changed (`inspect-sched verify BUNDLE`, which re-solves with OR-Tools, tells which)"
                    )
                else:
                    need_resolve = True
                    if resolve is None:
                        report.notes.append(
                            f"optimality: not certified by duality — {gap}; this draw's LP relaxation "
                            "is not integral (an inspector meets two needs of one firm: the tool solved it "
                            f"with CP-SAT). To check that the teams are the cheapest, run {FULL_TOOL}."
                        )
    if need_resolve and resolve is not None and not rule_problems:
        problems += resolve(s, files, manifest)
    return report
