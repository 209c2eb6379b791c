"""The draw bundle (SPEC §6): file contents, the manifest, and the hashes that bind them.

Hash rules (also in the README, so an outsider can check them):

* ``files[name]`` is the SHA-256 (hex) of each file's bytes.
* The *manifest core* is the manifest without its ``ledger`` block, as canonical JSON
  (UTF-8, keys sorted, no spaces). Its SHA-256 is what the ledger entry records.
* ``ledger.hash = SHA-256(prev_hash + "\\n" + canonical JSON of the ledger body)``.
* ``plan_commitment = SHA-256(canonical JSON of {format, period, task, policy, filters,
  departments, files: SHA-256 of each inputs/*.csv})``, printed by ``plan`` before the seed.

Standard library only: the auditor's kit reads bundles with it. Writing ``assignments.xlsx``
needs openpyxl and lives in ``bundle_write``.

Formats: ``inspect-sched/draw-v1`` (release 0.1) and ``inspect-sched/draw-v2``, which adds
``certificate.json`` (the optimality certificate, ``core/assign/certify.py``). ``READERS``
says what each format holds; ``verify`` picks the reader by the manifest's ``format``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from inspect_sched import __version__
from inspect_sched.core.assign.certify import CERTIFICATE_FILE
from inspect_sched.core.derive import Derivation, FrameRow
from inspect_sched.core.frame import DrawSpec
from inspect_sched.errors import VerificationError
from inspect_sched.io.text import ESCAPE_FIRST, csv_escape, csv_unescape
from inspect_sched.schema.policy import decimal_string

FORMAT_V1 = "inspect-sched/draw-v1"
FORMAT_V2 = "inspect-sched/draw-v2"
FORMAT = FORMAT_V2  # what new draws write
PLAN_FORMAT = "inspect-sched/plan-v1"
GENESIS_HASH = "0" * 64
CONFIDENTIAL = "内部资料，检查前保密"
# A bundle file bigger than this is not one the tool wrote for any real pool; refuse to parse it.
MAX_BUNDLE_FILE = 2 << 30


def read_bundle(folder: str | Path) -> dict[str, bytes]:
    """Every file under ``folder`` by its relative path (``/``-separated)."""
    root = Path(folder)
    if not (root / "manifest.json").is_file():
        err = VerificationError([f"{root}: no manifest.json here; give the folder a draw wrote its bundle to"])
        err.hint, err.hint_args = "not_a_bundle", {"root": root}
        raise err
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_symlink():
            raise VerificationError([f"{p}: is a symbolic link; a bundle holds plain files only"])
        if p.is_file():
            if p.stat().st_size > MAX_BUNDLE_FILE:
                raise VerificationError([f"{p}: {p.stat().st_size:,} bytes, too big for a bundle file"])
            out[p.relative_to(root).as_posix()] = p.read_bytes()
    return out

FRAME_COLUMNS = [
    "uscc", "name", "district", "stratum", "credit", "risk", "weight", "pi", "pi_decimal",
    "order_ticket", "selected", "excluded_reason",
]
ASSIGNMENT_COLUMNS = ["uscc", "name", "district", "address", "inspector_ids", "inspector_names"]
ASSIGNMENT_HEADERS_ZH = ["统一社会信用代码", "单位名称", "所属区县", "地址", "检查人员执法证号", "检查人员姓名"]
# Task-sheet columns that only appear when the task needs them, so that a plain task's
# bundle keeps the 0.1 bytes: the mode when any stratum is not checked on site, each
# member's department and unit when the task is joint (ids' order, ";"-joined).
MODE_COLUMN = ("mode", "检查方式")
JOINT_COLUMNS = (("inspector_departments", "检查人员部门"), ("inspector_units", "检查人员单位"))


def assignment_columns(spec: DrawSpec) -> list[tuple[str, str]]:
    """(English, Chinese) task-sheet columns for this spec."""
    cols = list(zip(ASSIGNMENT_COLUMNS, ASSIGNMENT_HEADERS_ZH, strict=True))
    if any(spec.policy.mode(s) != "现场" for s in spec.policy.stratum_names):
        cols.append(MODE_COLUMN)
    if len(set(spec.departments)) > 1:
        cols += JOINT_COLUMNS
    return cols


@dataclass(frozen=True)
class BundleFormat:
    """How one bundle format writes and reads its files; verify picks it by ``manifest.format``.

    draw-v1 (release 0.1): CSV cells as they are, no certificate (verify re-solves).
    draw-v2: formula-like CSV cells get a leading ``'`` (SPEC §9), a redraw's manifest
    carries ``redraw_reason``, and ``certificate.json`` proves the teams optimal.
    """

    name: str
    escape_csv: bool
    certificate: bool

    @property
    def format(self) -> str:
        return self.name

    def cell_out(self, cell: str) -> str:
        return csv_escape(cell) if self.escape_csv else cell

    def cell_in(self, cell: str) -> str:
        return csv_unescape(cell) if self.escape_csv else cell

    def read_rows(self, data: bytes) -> list[dict[str, str]]:
        """A bundle CSV as dicts, cells unescaped; raises UnicodeDecodeError or csv.Error."""
        return [{k: self.cell_in(v) if isinstance(v, str) else v for k, v in r.items()}
                for r in csv.DictReader(io.StringIO(data.decode("utf-8")))]


FORMATS: dict[str, BundleFormat] = {
    FORMAT_V1: BundleFormat(FORMAT_V1, escape_csv=False, certificate=False),
    FORMAT_V2: BundleFormat(FORMAT_V2, escape_csv=True, certificate=True),
}
READERS = FORMATS  # verify picks the reader by the manifest's ``format``
CURRENT = FORMATS[FORMAT]


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_problems(listed: dict[str, str], files: dict[str, bytes]) -> list[tuple[str, str]]:
    """Compare files with the manifest's ``files`` hashes: (name, "missing" | "unlisted" | "changed")."""
    out = []
    for name in sorted(set(listed) | set(files)):
        if name not in files:
            out.append((name, "missing"))
        elif name not in listed:
            out.append((name, "unlisted"))
        elif sha256_hex(files[name]) != listed[name]:
            out.append((name, "changed"))
    return out


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _csv(header: list[str], rows: list[list[str]], fmt: BundleFormat = CURRENT) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    if fmt.escape_csv:  # only a cell starting with one of ESCAPE_FIRST can change
        w.writerows([csv_escape(c) if c[:1] in ESCAPE_FIRST else c for c in r] for r in rows)
    else:
        w.writerows(rows)
    return buf.getvalue().encode("utf-8")


def _pi_decimal(pi: Fraction) -> str:
    # round(pi * 10**6) exactly (half to even), in integers: Fraction arithmetic was ~half
    # of writing a 100k-row frame.
    scaled, rest = divmod(pi.numerator * 1_000_000, pi.denominator)
    if 2 * rest > pi.denominator or (2 * rest == pi.denominator and scaled % 2):
        scaled += 1
    return f"{scaled // 1_000_000}.{scaled % 1_000_000:06d}"


def frame_row(r: FrameRow) -> list[str]:
    f = r.framed.firm
    if r.pi is None:
        pi, pi_dec = "0", "0.000000"
    else:
        pi, pi_dec = f"{r.pi.numerator}/{r.pi.denominator}", _pi_decimal(r.pi)
    return [
        f.uscc, f.name, f.district, r.framed.stratum, f.credit, f.risk,
        decimal_string(r.framed.weight), pi, pi_dec, f"{r.order_ticket:064x}",
        "1" if r.selected else "0", r.framed.excluded_reason,
    ]


def assignment_rows(d: Derivation, columns: list[str] | None = None) -> list[list[str]]:
    """Task-sheet rows in ``columns`` (default: ``assignment_columns(d.spec)``), sample order."""
    cols = columns or [c for c, _ in assignment_columns(d.spec)]
    by_id = {i.inspector_id: i for i in d.inputs.inspectors}
    rows = []
    for r in d.sample:
        f = r.framed.firm
        team = sorted(d.assignment.teams.get(f.uscc, ()))
        cell = {
            "uscc": f.uscc, "name": f.name, "district": f.district, "address": f.address,
            "inspector_ids": ";".join(team), "inspector_names": ";".join(by_id[i].name for i in team),
            "mode": d.spec.policy.mode(r.framed.stratum),
            "inspector_departments": ";".join(by_id[i].department for i in team),
            "inspector_units": ";".join(by_id[i].unit for i in team),
        }
        rows.append([cell[c] for c in cols])
    return rows


def task_sheet_preamble(spec: DrawSpec, seed: str) -> list[str]:
    return [CONFIDENTIAL, f"{spec.task}  抽查期间 {spec.period.label}  随机种子 {seed}"]


def task_columns(spec: DrawSpec, columns: list[str] | None = None) -> list[str]:
    """The task sheet's columns: ``columns`` when given (verify passes the 0.1 layout for a
    bundle written before the optional columns existed), else the spec's own."""
    return list(columns) if columns else [c for c, _ in assignment_columns(spec)]


def column_headers(spec: DrawSpec, columns: list[str]) -> list[str]:
    """Chinese headers of the task-sheet ``columns``."""
    names = dict(assignment_columns(spec)) | dict([MODE_COLUMN, *JOINT_COLUMNS])
    return [names[c] for c in columns]


def rendered_files(
    d: Derivation, fmt: BundleFormat = CURRENT, columns: list[str] | None = None,
    input_files: dict[str, bytes] | None = None,
) -> dict[str, bytes]:
    """Every bundle file except the manifest and ``assignments.xlsx``, as ``fmt`` writes them.

    ``input_files``: ``d.inputs.to_csv_files(escape=fmt.escape_csv)`` when the caller has it
    already (the draw froze them, verify compared them): 1.8M records at province scale.
    """
    rows = [frame_row(r) for r in d.rows]
    sample = [frame_row(r) for r in d.sample]
    cols = task_columns(d.spec, columns)
    files = dict(input_files if input_files is not None else d.inputs.to_csv_files(escape=fmt.escape_csv))
    files["frame.csv"] = _csv(FRAME_COLUMNS, rows, fmt)
    files["sample.csv"] = _csv(FRAME_COLUMNS, sample, fmt)
    files["assignments.csv"] = _csv(cols, assignment_rows(d, cols), fmt)
    if d.assignment.certificate is not None:
        files[CERTIFICATE_FILE] = d.assignment.certificate.to_json()
    return files


def plan_commitment(spec: DrawSpec, input_files: dict[str, bytes]) -> str:
    body = {
        "format": PLAN_FORMAT,
        **spec.as_dict(),
        "files": {k: sha256_hex(v) for k, v in sorted(input_files.items()) if k.startswith("inputs/")},
    }
    return sha256_hex(canonical_json(body).encode("utf-8"))


def manifest_core(
    d: Derivation, files: dict[str, bytes], *, draw_id: int, sequence: int, redraw_of: int | None,
    created_at: str, commitment: str, redraw_reason: str | None = None,
) -> dict[str, Any]:
    a = d.assignment
    core = {
        "format": FORMAT,
        "tool_version": __version__,
        "draw_id": draw_id,
        "sequence": sequence,
        "redraw_of": redraw_of,
        **d.spec.as_dict(),
        "seed": d.seed,
        "created_at": created_at,
        "strata": {s: v.as_dict() for s, v in d.strata.items()},
        "assignment": {"solver": a.solver, "status": a.status, "objective": a.objective},
        "files": {k: sha256_hex(v) for k, v in sorted(files.items())},
        "plan_commitment": commitment,
    }
    if redraw_reason is not None:
        core["redraw_reason"] = redraw_reason
    return core


def ledger_body(core: dict[str, Any]) -> dict[str, Any]:
    """What the ledger entry of a draw says, derivable from the manifest alone."""
    return {
        "kind": "draw",
        "sequence": core["sequence"],
        "draw_id": core["draw_id"],
        "period": core["period"],
        "task": core["task"],
        "seed": core["seed"],
        "redraw_of": core["redraw_of"],
        "created_at": core["created_at"],
        # draw-v2: a redraw's reason is in the ledger too (v1 manifests have none).
        **({"redraw_reason": core["redraw_reason"]} if "redraw_reason" in core else {}),
        "manifest_core_sha256": sha256_hex(canonical_json(core).encode("utf-8")),
    }


def chain_hash(prev_hash: str, body: dict[str, Any]) -> str:
    return sha256_hex((prev_hash + "\n" + canonical_json(body)).encode("utf-8"))


def manifest_bytes(core: dict[str, Any], prev_hash: str, entry_hash: str) -> bytes:
    full = {**core, "ledger": {"prev_hash": prev_hash, "hash": entry_hash}}
    return (json.dumps(full, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode("utf-8")
