"""The hash-chained ledger of every draw (and every results import) ever made.

Entry ``k`` stores its body as canonical JSON and ``hash = SHA-256(prev_hash + "\\n" +
body)``, with ``prev_hash`` the hash of entry ``k-1`` (64 zeros for the first). Sequence
numbers are gap-free: they are assigned under a lock inside the transaction that
records the draw, so an entry exists exactly when its draw does.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, select

from inspect_sched.audit.bundle import (
    GENESIS_HASH,
    canonical_json,
    chain_hash,
    file_problems,
    ledger_body,
    sha256_hex,
)
from inspect_sched.store.db import lock_ledger
from inspect_sched.store.models import Draw, DrawFile, DrawFirm, LedgerEntry


@dataclass(frozen=True)
class Head:
    sequence: int  # the sequence the next entry gets
    prev_hash: str


def head(session: Session) -> Head:
    """Lock the ledger for this transaction and say where the next entry goes."""
    lock_ledger(session)
    last = session.exec(select(LedgerEntry).order_by(LedgerEntry.sequence.desc()).limit(1)).first()
    if last is None:
        return Head(1, GENESIS_HASH)
    return Head(last.sequence + 1, last.hash)


def append(session: Session, at: Head, body: dict[str, Any], draw_id: int | None) -> LedgerEntry:
    """Add the entry at ``at`` (from ``head`` in the same transaction)."""
    if body.get("sequence") != at.sequence:
        raise ValueError("ledger body sequence does not match the head")
    text = canonical_json(body)
    entry = LedgerEntry(
        sequence=at.sequence, kind=body["kind"], draw_id=draw_id, body=text,
        prev_hash=at.prev_hash, hash=chain_hash(at.prev_hash, body),
    )
    session.add(entry)
    return entry


def entries(session: Session) -> list[LedgerEntry]:
    return list(session.exec(select(LedgerEntry).order_by(LedgerEntry.sequence)))


EntryCheck = Callable[[Session, LedgerEntry, dict[str, Any]], list[str]]
"""Checks one entry of its kind against the records it vouches for; returns the problems."""
FinalCheck = Callable[[Session], list[str]]
"""A whole-database check run once after the chain (e.g. results written around the ledger)."""


@dataclass(frozen=True)
class LedgerChecks:
    """What ``verify`` checks beyond the chain and the draws, passed in by the layer that writes
    those entries (``services.ledger_checks``): this module never imports upward for them.

    Every kind found in the chain must have an entry check: a kind nobody checks is reported
    rather than passed silently, so a forgotten check cannot make ``verify`` lie.
    """

    entries: Mapping[str, EntryCheck] = field(default_factory=dict)
    final: tuple[FinalCheck, ...] = ()


def verify(session: Session, checks: LedgerChecks) -> list[str]:
    """Every problem in the chain and in the stored draws it vouches for; empty means intact."""
    problems: list[str] = []
    prev = GENESIS_HASH
    seen_draws: set[int] = set()
    for expected_seq, e in enumerate(entries(session), start=1):
        where = f"ledger entry {e.sequence}"
        if e.sequence != expected_seq:
            problems.append(f"{where}: expected sequence {expected_seq} (an entry is missing or renumbered)")
        if e.prev_hash != prev:
            problems.append(f"{where}: prev_hash {e.prev_hash[:12]}… does not match entry {expected_seq - 1}'s hash {prev[:12]}…")
        recomputed = sha256_hex((e.prev_hash + "\n" + e.body).encode("utf-8"))
        if recomputed != e.hash:
            problems.append(f"{where}: hash does not match its body (the entry was edited)")
        prev = e.hash
        try:
            body = json.loads(e.body)
        except ValueError:
            problems.append(f"{where}: body is not JSON")
            continue
        if body.get("sequence") != e.sequence:
            problems.append(f"{where}: body says sequence {body.get('sequence')}")
        if e.kind == "draw":
            seen_draws.add(body.get("draw_id"))
            problems += _check_draw(session, e, body)
        elif e.kind in checks.entries:
            problems += checks.entries[e.kind](session, e, body)
        else:
            problems.append(f"{where}: kind {e.kind!r} has no check (written by a newer inspect-sched?)")
    for d in session.exec(select(Draw).order_by(Draw.id)):
        if d.id not in seen_draws:
            problems.append(f"draw {d.id}: has no ledger entry (recorded outside the ledger)")
    for check in checks.final:
        problems += check(session)
    return problems


def _check_draw(session: Session, e: LedgerEntry, body: dict[str, Any]) -> list[str]:
    where = f"ledger entry {e.sequence} (draw {body.get('draw_id')})"
    draw = session.get(Draw, body.get("draw_id"))
    if draw is None:
        return [f"{where}: the draw is missing from the database (deleted?)"]
    out = []
    for name in ("period", "task", "seed", "redraw_of", "sequence"):
        if getattr(draw, name) != body.get(name):
            out.append(f"{where}: stored draw's {name} is {getattr(draw, name)!r}, ledger says {body.get(name)!r}")
    # superseded_by is not in the body, but follows from the redraw_of the ledger vouches for.
    successor = session.exec(select(Draw.id).where(Draw.redraw_of == draw.id).order_by(Draw.id)).first()
    if draw.superseded_by != successor:
        out.append(f"{where}: stored draw is marked superseded by {draw.superseded_by!r}, "
                   f"but the redraw of it is {successor!r}")
    files = {f.name: f.content for f in session.exec(select(DrawFile).where(DrawFile.draw_id == draw.id))}
    manifest_raw = files.pop("manifest.json", None)
    if manifest_raw is None:
        return [*out, f"{where}: stored bundle has no manifest.json"]
    if sha256_hex(manifest_raw) != draw.manifest_sha256:
        out.append(f"{where}: stored manifest.json was changed (hash differs from the draw record)")
    manifest = json.loads(manifest_raw)
    ledger_block = manifest.pop("ledger", {})
    if ledger_body(manifest) != body:
        out.append(f"{where}: stored manifest does not match the ledger entry")
    if ledger_block != {"prev_hash": e.prev_hash, "hash": e.hash}:
        out.append(f"{where}: manifest's ledger block does not match the entry")
    said = {"missing": "stored bundle lacks {}", "unlisted": "stored bundle has unlisted file {}",
            "changed": "stored {} was changed"}
    for name, problem in file_problems(manifest.get("files", {}), files):
        out.append(f"{where}: " + said[problem].format(name))
    firms = session.exec(select(DrawFirm).where(DrawFirm.draw_id == draw.id).order_by(DrawFirm.uscc)).all()
    if "assignments.csv" in files:
        rows = sorted(csv.DictReader(io.StringIO(files["assignments.csv"].decode("utf-8"))), key=lambda r: r["uscc"])
        stored = [(f.uscc, f.name, f.district, f.inspector_ids, f.inspector_names) for f in firms]
        expected = [(r["uscc"], r["name"], r["district"], r["inspector_ids"], r["inspector_names"]) for r in rows]
        if stored != expected:
            changed = sorted({a[0] for a in stored} ^ {b[0] for b in expected}) or [
                a[0] for a, b in zip(stored, expected, strict=False) if a != b
            ]
            out.append(f"{where}: stored assignments differ from the bundle for {', '.join(changed[:5])}")
    return out


__all__ = ["Head", "head", "append", "entries", "verify", "chain_hash", "LedgerChecks", "EntryCheck", "FinalCheck"]
