"""The amendment part of a bundle (SPEC §7): what export adds and how verify re-derives it.

An exported bundle with amendments has format ``inspect-sched/draw-v2``: the files as
drawn, plus ``amendments.csv`` and ``assignments-current.csv``, and a manifest that is the
drawn manifest with ``format`` raised, the drawn format kept in ``drawn_format`` and an
``amendments`` block (``algorithm``, ``files``: SHA-256 of the two new files, ``ledger``:
per amendment its ledger ``sequence``, ``prev_hash`` and ``hash``). Dropping the block and
``drawn_format`` and restoring ``format`` gives back the manifest as drawn, which the
draw's own ledger entry vouches for; each amendment's ledger hash is recomputed from its
rows in ``amendments.csv``. The re-derivation itself is ``core.amend`` (shared with the
auditor's kit).

Standard library only: the kit's ``verify_core`` runs ``verify_amendments`` (``entries`` of
``amended_bundle`` are the draw's ledger rows, read by attribute, so no database import here).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from typing import Any

from inspect_sched.audit.bundle import chain_hash, sha256_hex
from inspect_sched.core import amend as core
from inspect_sched.core.assign.rules import Rules
from inspect_sched.errors import AmendmentRefused
from inspect_sched.schema.periods import parse_period
from inspect_sched.schema.policy import policy_from_dict

FORMAT_V2 = "inspect-sched/draw-v2"
AMENDMENT_FILES = ("amendments.csv", "assignments-current.csv")


def context_from_bundle(files: dict[str, bytes], manifest: dict[str, Any]) -> core.Context:
    """The amendment context of a draw from its bundle files and (drawn) manifest."""
    policy = policy_from_dict(manifest["policy"])
    period = parse_period(manifest["period"])
    rules = Rules.from_policy(policy, manifest.get("departments", ()))
    # A stratum with its own team_size (issue 13) binds its replacements too: every framed
    # firm of such a stratum gets that size.
    sized = {s: r.team_size for s, r in policy.strata.items() if r.team_size is not None}
    if sized and "frame.csv" in files:
        frame = csv.DictReader(io.StringIO(files["frame.csv"].decode("utf-8")))
        rules = dataclasses.replace(rules, team_size_of={
            r["uscc"]: sized[r["stratum"]] for r in frame if r.get("stratum") in sized})
    full = sorted(s for s, r in policy.strata.items() if r.full_coverage)
    return core.context_from_files(files, manifest["seed"], rules, period.first_day, period.last_day, full)


def current_sheet(files: dict[str, bytes], manifest: dict[str, Any], ctx: core.Context,
                  state: core.State) -> bytes:
    """``assignments-current.csv``: the columns of the drawn ``assignments.csv`` (SPEC §7)."""
    columns = core.current_columns(files.get("assignments.csv", b""))
    modes: dict[str, str] = {}
    if "mode" in columns:
        policy = policy_from_dict(manifest["policy"])
        modes = {s: policy.mode(s) for s in policy.stratum_names}
    return core.csv_bytes(columns, core.current_assignments(ctx, state, columns, modes))


def ledger_body(draw_id: Any, ledger_sequence: Any, a: core.Recorded) -> dict[str, Any]:
    """The ledger entry of an amendment: derivable from ``amendments.csv`` and the draw id."""
    return {
        "kind": "amend",
        "sequence": ledger_sequence,
        "draw_id": draw_id,
        "amendment": a.sequence,
        "action": a.action,
        "rows": [[r.uscc, r.inspector_id, r.replacement, ";".join(sorted(r.team))] for r in a.rows],
        "reason": a.reason,
        "created_at": a.created_at,
    }


def amended_bundle(files: dict[str, bytes], recorded: list[core.Recorded],
                   entries: dict[int, Any], ledger_sequences: dict[int, int]) -> dict[str, bytes]:
    """The bundle as drawn plus ``amendments.csv`` and ``assignments-current.csv``, with the
    manifest's format raised to draw-v2 and an ``amendments`` block binding the new files
    and each amendment's ledger entry (the drawn manifest core stays recoverable: see
    ``drawn_manifest``)."""
    manifest = json.loads(files["manifest.json"])
    ctx = context_from_bundle(files, manifest)
    state, problems = core.replay(ctx, recorded)
    if problems:  # the database was edited around the ledger: refuse to vouch for it
        shown = "\n  ".join(problems)
        raise AmendmentRefused(f"the recorded amendments do not re-derive; verify the ledger:\n  {shown}",
                               hint="amend_no_rederive", shown=shown)
    extra = {
        "amendments.csv": core.csv_bytes(core.AMENDMENT_COLUMNS, core.amendment_rows(recorded)),
        "assignments-current.csv": current_sheet(files, manifest, ctx, state),
    }
    block = {
        "algorithm": "amend-v1",
        "files": {k: sha256_hex(v) for k, v in sorted(extra.items())},
        "ledger": [
            {"amendment": a.sequence, "sequence": ledger_sequences[a.sequence],
             "prev_hash": entries[ledger_sequences[a.sequence]].prev_hash,
             "hash": entries[ledger_sequences[a.sequence]].hash}
            for a in recorded
        ],
    }
    full = {**manifest, "format": FORMAT_V2, "drawn_format": manifest["format"], "amendments": block}
    out = dict(files)
    out.update(extra)
    out["manifest.json"] = (json.dumps(full, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode("utf-8")
    return out


def drawn_manifest(manifest: dict[str, Any]) -> dict[str, Any]:
    """An amended manifest back to the manifest as drawn (what the draw's ledger entry vouches for)."""
    out = {k: v for k, v in manifest.items() if k not in ("amendments", "drawn_format")}
    out["format"] = manifest.get("drawn_format", manifest.get("format"))
    return out


def verify_amendments(files: dict[str, bytes], manifest: dict[str, Any]) -> list[str]:
    """Every difference between an amended bundle's amendment files and amend-v1 re-derived
    from the bundle alone (files hashes, each amendment, the current teams, ledger hashes)."""
    problems: list[str] = []
    block = manifest.get("amendments")
    if not isinstance(block, dict):
        return ["manifest.json: amendments block is not an object"]
    listed = block.get("files", {})
    for name in AMENDMENT_FILES:
        if name not in files:
            problems.append(f"{name}: listed in the manifest's amendments block but missing")
        elif sha256_hex(files[name]) != listed.get(name):
            problems.append(f"{name}: SHA-256 differs from the manifest (the file was changed)")
    if problems:
        return problems
    drawn = drawn_manifest(manifest)
    try:
        ctx = context_from_bundle(files, drawn)
        recorded = core.read_amendments(files["amendments.csv"])
    except (ValueError, KeyError, UnicodeDecodeError, csv.Error) as exc:
        return [f"cannot re-derive the amendments: {exc}"]
    except Exception as exc:  # noqa: BLE001 — malformed input is a finding, never a crash
        return [f"cannot re-derive the amendments: {exc}"]
    if core.csv_bytes(core.AMENDMENT_COLUMNS, core.amendment_rows(recorded)) != files["amendments.csv"]:
        problems.append("amendments.csv: not in canonical form (rows reordered or re-quoted by hand?)")
    state, found = core.replay(ctx, recorded)
    problems += [f"amendments.csv: {p}" for p in found]
    expected = current_sheet(files, drawn, ctx, state)
    if not found and files["assignments-current.csv"] != expected:
        problems.append("assignments-current.csv: differs from the teams the amendments re-derive")
    entries = {e.get("amendment"): e for e in block.get("ledger", []) if isinstance(e, dict)}
    for a in recorded:
        e = entries.get(a.sequence)
        if e is None:
            problems.append(f"manifest.json: amendment {a.sequence} has no ledger entry in the amendments block")
            continue
        body = ledger_body(drawn.get("draw_id"), e.get("sequence"), a)
        if chain_hash(str(e.get("prev_hash", "")), body) != e.get("hash"):
            problems.append(f"amendment {a.sequence}: ledger hash does not match amendments.csv "
                            f"(ledger entry {e.get('sequence')}; a row, reason or time was edited)")
    if set(entries) - {a.sequence for a in recorded}:
        problems.append("manifest.json: the amendments block lists amendments that amendments.csv lacks")
    return problems
