"""The draw bundle (SPEC §6): file contents, the manifest, and the hashes that bind them.

Hash rules (also in the README, so an outsider can check them):

* ``files[name]`` is the SHA-256 (hex) of each file's bytes.
* The *manifest core* is the manifest without its ``ledger`` block, as canonical JSON
  (UTF-8, keys sorted, no spaces). Its SHA-256 is what the ledger entry records.
* ``ledger.hash = SHA-256(prev_hash + "\\n" + canonical JSON of the ledger body)``.
* ``plan_commitment = SHA-256(canonical JSON of {format, period, task, policy, filters,
  departments, files: SHA-256 of each inputs/*.csv})``, printed by ``plan`` before the seed.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from fractions import Fraction
from typing import Any

from inspect_sched import __version__
from inspect_sched.core.derive import Derivation, FrameRow
from inspect_sched.core.frame import DrawSpec
from inspect_sched.io.xlsx import Sheet, xlsx_bytes
from inspect_sched.schema.policy import decimal_string

FORMAT = "inspect-sched/draw-v1"
PLAN_FORMAT = "inspect-sched/plan-v1"
GENESIS_HASH = "0" * 64
CONFIDENTIAL = "内部资料，检查前保密"

FRAME_COLUMNS = [
    "uscc", "name", "district", "stratum", "credit", "risk", "weight", "pi", "pi_decimal",
    "order_ticket", "selected", "excluded_reason",
]
ASSIGNMENT_COLUMNS = ["uscc", "name", "district", "address", "inspector_ids", "inspector_names"]
ASSIGNMENT_HEADERS_ZH = ["统一社会信用代码", "单位名称", "所属区县", "地址", "检查人员执法证号", "检查人员姓名"]


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


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
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


def assignment_rows(d: Derivation) -> list[list[str]]:
    names = {i.inspector_id: i.name for i in d.inputs.inspectors}
    rows = []
    for r in d.sample:
        f = r.framed.firm
        team = sorted(d.assignment.teams.get(f.uscc, ()))
        rows.append([f.uscc, f.name, f.district, f.address, ";".join(team), ";".join(names[i] for i in team)])
    return rows


def assignments_xlsx(rows: list[list[str]], spec: DrawSpec, seed: str) -> bytes:
    sheet = Sheet(
        title="检查任务",
        header=["序号", *ASSIGNMENT_HEADERS_ZH],
        rows=[[i, *r] for i, r in enumerate(rows, start=1)],
        preamble=[
            CONFIDENTIAL,
            f"{spec.task}  抽查期间 {spec.period.label}  随机种子 {seed}",
        ],
        column_widths=[6, 22, 36, 10, 40, 30, 24],
    )
    return xlsx_bytes([sheet])


def derived_files(d: Derivation, *, xlsx: bool = True) -> dict[str, bytes]:
    """Every bundle file except the manifest, from a derivation (``verify`` needs no xlsx)."""
    rows = [frame_row(r) for r in d.rows]
    sample = [frame_row(r) for r in d.sample]
    arows = assignment_rows(d)
    files = dict(d.input_files if d.input_files is not None else d.inputs.to_csv_files())
    files["frame.csv"] = _csv(FRAME_COLUMNS, rows)
    files["sample.csv"] = _csv(FRAME_COLUMNS, sample)
    files["assignments.csv"] = _csv(ASSIGNMENT_COLUMNS, arows)
    if xlsx:
        files["assignments.xlsx"] = assignments_xlsx(arows, d.spec, d.seed)
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
    created_at: str, commitment: str,
) -> dict[str, Any]:
    a = d.assignment
    return {
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
        "manifest_core_sha256": sha256_hex(canonical_json(core).encode("utf-8")),
    }


def chain_hash(prev_hash: str, body: dict[str, Any]) -> str:
    return sha256_hex((prev_hash + "\n" + canonical_json(body)).encode("utf-8"))


def manifest_bytes(core: dict[str, Any], prev_hash: str, entry_hash: str) -> bytes:
    full = {**core, "ledger": {"prev_hash": prev_hash, "hash": entry_hash}}
    return (json.dumps(full, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode("utf-8")
