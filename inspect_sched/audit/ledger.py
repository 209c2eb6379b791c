"""The hash-chained ledger of every draw (and every results import) ever made.

Entry ``k`` stores its body as canonical JSON and ``hash = SHA-256(prev_hash + "\\n" +
body)``, with ``prev_hash`` the hash of entry ``k-1`` (64 zeros for the first). Sequence
numbers are gap-free: they are assigned under a lock inside the transaction that
records the draw, so an entry exists exactly when its draw does.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from inspect_sched.audit.bundle import (
    FORMATS,
    GENESIS_HASH,
    canonical_json,
    chain_hash,
    file_problems,
    ledger_body,
    plan_commitment,
    sha256_hex,
)
from inspect_sched.core.frame import DrawSpec
from inspect_sched.schema.periods import parse_period
from inspect_sched.schema.policy import policy_from_dict
from inspect_sched.store.db import lock_ledger
from inspect_sched.store.models import Draw, DrawFile, DrawFirm, LedgerEntry, Plan, PlanFile


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


def next_sequence(session: Session) -> int:
    """The sequence the next entry would get (no lock: a plan remembers where it was frozen)."""
    last = session.exec(select(LedgerEntry.sequence).order_by(col(LedgerEntry.sequence).desc()).limit(1)).first()
    return 1 if last is None else last + 1


# The firms a ledger entry changes the standing of (drawn, replaced, re-staffed ...), by kind.
# A plan frozen before such an entry has stale exclusions if they share a firm (SPEC §7).
# A new kind that touches firms adds its function here.
EntryFirms = Callable[[Session, LedgerEntry, dict[str, Any]], set[str]]


def _draw_firms(session: Session, e: LedgerEntry, _body: dict[str, Any]) -> set[str]:
    return set(session.exec(select(DrawFirm.uscc).where(DrawFirm.draw_id == e.draw_id)))


def _amend_firms(_session: Session, _e: LedgerEntry, body: dict[str, Any]) -> set[str]:
    # An amendment's rows are [uscc, inspector_id, replacement, team]: the removed or
    # re-staffed firm and the replacement both change standing (SPEC §7).
    rows = body.get("rows")
    out: set[str] = set()
    for r in rows if isinstance(rows, list) else []:
        if isinstance(r, list):
            out.update(x for x in (r[:1] + r[2:3]) if isinstance(x, str) and x)
    return out


ENTRY_FIRMS: dict[str, EntryFirms] = {"draw": _draw_firms, "amend": _amend_firms}
# Kinds that change nothing a plan froze but that its maker should hear about.
WARN_KINDS: dict[str, str] = {"results": "results were imported"}


@dataclass(frozen=True)
class Later:
    """Ledger entries recorded since a plan was frozen: which touch its frame, which only warn."""

    touching: list[tuple[int, str, int]]  # (sequence, kind, how many frame firms)
    warnings: list[str]


def entries_since(session: Session, since: int, frame: set[str], ignore_draws: frozenset[int] = frozenset()) -> Later:
    """Entries with sequence >= ``since``; each kind's firms (``ENTRY_FIRMS``) against ``frame``.

    Entries of ``ignore_draws`` (the draws a redraw replaces, which its frame ignores anyway) do not count.
    """
    touching: list[tuple[int, str, int]] = []
    warnings: list[str] = []
    rows = session.exec(select(LedgerEntry).where(col(LedgerEntry.sequence) >= since).order_by(col(LedgerEntry.sequence)))
    for e in rows:
        if e.draw_id is not None and e.draw_id in ignore_draws:
            continue
        firms_of = ENTRY_FIRMS.get(e.kind)
        if firms_of is not None:
            try:
                body = json.loads(e.body)
            except (ValueError, RecursionError):
                body = {}
            shared = len(firms_of(session, e, body if isinstance(body, dict) else {}) & frame)
            if shared:
                touching.append((e.sequence, e.kind, shared))
        elif e.kind in WARN_KINDS:
            warnings.append(f"ledger entry {e.sequence}: {WARN_KINDS[e.kind]} after the plan was made "
                            "(the plan's frozen inputs do not include them)")
    return Later(touching, warnings)


EntryCheck = Callable[[Session, LedgerEntry, dict[str, Any]], list[str]]
"""Checks one entry of its kind against the records it vouches for; returns the problems."""
FinalCheck = Callable[[Session], list[str]]
"""A whole-database check run once after the chain (e.g. results written around the ledger)."""


def _guarded(where: str, check: Callable[..., list[str]], *args: Any) -> list[str]:
    # Whatever a tampered database holds (wrong types, nested JSON ...), verification answers
    # with a finding, never a traceback (SPEC §9).
    try:
        return check(*args)
    except Exception as exc:  # noqa: BLE001
        return [f"{where}: cannot be checked ({type(exc).__name__}: {str(exc)[:200]}); the stored record is malformed"]


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
    seen_draws: set[object] = set()
    for expected_seq, e in enumerate(entries(session), start=1):
        where = f"ledger entry {e.sequence}"
        if e.sequence != expected_seq:
            problems.append(f"{where}: expected sequence {expected_seq} (an entry is missing or renumbered)")
        if e.prev_hash != prev:
            problems.append(f"{where}: prev_hash {str(e.prev_hash)[:12]}… does not match entry {expected_seq - 1}'s "
                            f"hash {prev[:12]}…")
        recomputed = sha256_hex((str(e.prev_hash) + "\n" + str(e.body)).encode("utf-8", "surrogatepass"))
        if recomputed != e.hash:
            problems.append(f"{where}: hash does not match its body (the entry was edited)")
        prev = e.hash
        try:
            body = json.loads(e.body)
        except (ValueError, RecursionError):
            problems.append(f"{where}: body is not JSON")
            continue
        if not isinstance(body, dict):
            problems.append(f"{where}: body is not a JSON object")
            continue
        if body.get("sequence") != e.sequence:
            problems.append(f"{where}: body says sequence {body.get('sequence')!r}")
        if body.get("kind") != e.kind:
            problems.append(f"{where}: body says kind {body.get('kind')!r}, the entry {e.kind!r}")
        if "draw_id" in body and body.get("draw_id") != e.draw_id:
            problems.append(f"{where}: body says draw {body.get('draw_id')!r}, the entry draw {e.draw_id!r}")
        if e.kind == "draw":
            if isinstance(body.get("draw_id"), int):
                seen_draws.add(body["draw_id"])
            problems += _guarded(where, _check_draw, session, e, body)
        elif e.kind in checks.entries:
            problems += _guarded(where, checks.entries[e.kind], session, e, body)
        else:
            problems.append(f"{where}: kind {e.kind!r} has no check (written by a newer inspect-sched?)")
    for d in session.exec(select(Draw).order_by(Draw.id)):
        if d.id not in seen_draws:
            problems.append(f"draw {d.id}: has no ledger entry (recorded outside the ledger)")
    problems += _guarded("plans", _check_plans, session)
    for check in checks.final:
        problems += _guarded("ledger", check, session)
    return problems


def head_problems(chain: list[LedgerEntry], published: str) -> list[str]:
    """``ledger verify --head HASH``: the published head must still be in the chain."""
    published = published.strip().lower()
    for e in chain:
        if e.hash == published:
            return []
    last = chain[-1].sequence if chain else 0
    return [f"published head {published[:16]}… is not in the ledger (it has {last} entries): "
            "entries were removed or the chain was rewritten since it was published"]


def _check_plans(session: Session) -> list[str]:
    """Each stored plan's frozen files and settings still give the commitment it published."""
    out = []
    for plan in session.exec(select(Plan).order_by(col(Plan.id))):
        where = f"plan {plan.id}"
        try:
            spec = DrawSpec(
                period=parse_period(plan.period), task=plan.task,
                policy=policy_from_dict(json.loads(plan.policy_json)),
                filters={k: tuple(v) for k, v in json.loads(plan.filters_json).items()},
                departments=tuple(json.loads(plan.departments_json)),
            )
        except Exception as exc:  # noqa: BLE001
            out.append(f"{where}: stored settings are malformed ({type(exc).__name__}: {str(exc)[:200]})")
            continue
        files = {f.name: f.content for f in session.exec(select(PlanFile).where(PlanFile.plan_id == plan.id))}
        if plan_commitment(spec, files) != plan.commitment:
            out.append(f"{where}: stored frozen files or settings do not give its commitment "
                       f"{plan.commitment[:16]}… (changed after it was published)")
    return out


def _check_draw(session: Session, e: LedgerEntry, body: dict[str, Any]) -> list[str]:
    where = f"ledger entry {e.sequence} (draw {body.get('draw_id')})"
    draw_id = body.get("draw_id")
    if not isinstance(draw_id, int) or isinstance(draw_id, bool):
        return [f"{where}: draw_id is not a number"]
    draw = session.get(Draw, draw_id)
    if draw is None:
        return [f"{where}: the draw is missing from the database (deleted?)"]
    out = []
    for attr in ("period", "task", "seed", "redraw_of", "sequence", "created_at"):
        if getattr(draw, attr) != body.get(attr):
            out.append(f"{where}: stored draw's {attr} is {getattr(draw, attr)!r}, ledger says {body.get(attr)!r}")
    if (draw.redraw_reason or None) != body.get("redraw_reason"):
        out.append(f"{where}: stored draw's redraw reason is {draw.redraw_reason!r}, "
                   f"ledger says {body.get('redraw_reason')!r}")
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
    if not isinstance(manifest, dict):
        return [*out, f"{where}: stored manifest.json is not a JSON object"]
    ledger_block = manifest.pop("ledger", {})
    if ledger_body(manifest) != body:
        out.append(f"{where}: stored manifest does not match the ledger entry")
    if ledger_block != {"prev_hash": e.prev_hash, "hash": e.hash}:
        out.append(f"{where}: manifest's ledger block does not match the entry")
    said = {"missing": "stored bundle lacks {}", "unlisted": "stored bundle has unlisted file {}",
            "changed": "stored {} was changed"}
    for name, problem in file_problems(manifest.get("files", {}), files):
        out.append(f"{where}: " + said[problem].format(name))
    fmt_name = manifest.get("format")
    fmt = FORMATS.get(fmt_name) if isinstance(fmt_name, str) else None
    if fmt is None:
        return [*out, f"{where}: stored manifest has unknown format {manifest.get('format')!r}"]
    plan = session.get(Plan, draw.plan_id)
    if plan is None:
        out.append(f"{where}: the draw's plan {draw.plan_id!r} is missing from the database")
    elif plan.commitment != manifest.get("plan_commitment"):
        out.append(f"{where}: stored draw's plan {draw.plan_id} has commitment {plan.commitment[:16]}…, "
                   f"the manifest {str(manifest.get('plan_commitment'))[:16]}…")
    strata = manifest.get("strata", {})
    drawn = sum(v.get("sample_size", 0) for v in strata.values()) if isinstance(strata, dict) else None
    if draw.sample_size != drawn:
        out.append(f"{where}: stored draw's sample size is {draw.sample_size}, the manifest's strata say {drawn}")
    firms = session.exec(select(DrawFirm).where(DrawFirm.draw_id == draw.id).order_by(DrawFirm.uscc)).all()
    if "assignments.csv" in files:
        rows = sorted(fmt.read_rows(files["assignments.csv"]), key=lambda r: r["uscc"])
        stored = [(f.uscc, f.name, f.district, f.inspector_ids, f.inspector_names) for f in firms]
        expected = [(r["uscc"], r["name"], r["district"], r["inspector_ids"], r["inspector_names"]) for r in rows]
        if stored != expected:
            changed = sorted({a[0] for a in stored} ^ {b[0] for b in expected}) or [
                a[0] for a, b in zip(stored, expected, strict=False) if a != b
            ]
            out.append(f"{where}: stored assignments differ from the bundle for {', '.join(changed[:5])}")
    if "sample.csv" in files:
        bundle_strata = {r["uscc"]: r["stratum"] for r in fmt.read_rows(files["sample.csv"])}
        wrong = [f.uscc for f in firms if bundle_strata.get(f.uscc) != f.stratum]
        if wrong:
            out.append(f"{where}: stored stratum of drawn firm(s) {', '.join(wrong[:5])} differs from sample.csv")
    return out


__all__ = ["Head", "head", "append", "entries", "verify", "chain_hash", "LedgerChecks", "EntryCheck", "FinalCheck",
           "ENTRY_FIRMS", "WARN_KINDS", "entries_since", "next_sequence", "head_problems"]
