"""Amendments after the draw (SPEC §7) against the database: one transaction, one ledger entry.

The rules themselves are ``core.amend`` (pure, shared with ``verify`` and the auditor's
kit). This module loads a draw's bundle as drawn, replays the recorded amendments, asks
the core for the next one, and records it — rows in ``amendment`` and a ledger entry of
kind ``amend`` — all or nothing, under the ledger lock (serialised like draws).

Decisions:

* The current teams are never stored twice: ``draw_firm`` keeps the teams as drawn (which
  ``verify`` and ``ledger verify`` compare with the bundle) and the current state is the
  drawn state plus the amendment rows, in order.
* A firm that already has a result cannot be replaced (it was inspected), and an
  inspector cannot be substituted on a firm that has one. A superseded draw is not amended:
  the redraw is the live one.
* A whole-draw substitution (no ``--uscc``) touches every firm whose current team has the
  inspector, as SPEC §7 says, so that an auditor re-derives it from the bundle alone.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from inspect_sched.audit import ledger
from inspect_sched.audit.amendments import (  # noqa: F401  (re-exported for the CLI and tests)
    AMENDMENT_FILES,
    FORMAT_V2,
    amended_bundle,
    context_from_bundle,
    drawn_manifest,
    ledger_body,
    verify_amendments,
)
from inspect_sched.audit.bundle import canonical_json
from inspect_sched.core import amend as core
from inspect_sched.errors import AmendmentRefused
from inspect_sched.io.text import bad_char
from inspect_sched.schema.periods import utc_timestamp
from inspect_sched.store.db import session_scope
from inspect_sched.store.models import Amendment, Draw, DrawFile, LedgerEntry, Result
from inspect_sched.store.queries import (  # noqa: F401  (re-exported)
    CurrentFirm,
    current_firms,
    recorded_amendments,
    replacement_count,
    require_draw,
)

MAX_REASON = 500




def check_reason(reason: str | None) -> str:
    """A reason is required, NFKC-normalised, one line of printable text."""
    text = unicodedata.normalize("NFKC", reason or "").strip()
    if not text:
        raise AmendmentRefused("a reason is required and may not be empty: say why (e.g. 企业已注销, 检查员病假)",
                               hint="amend_reason_empty")
    bad = bad_char(text)  # the one text rule of SPEC §9 (io/text), as for task names
    if bad is not None:
        raise AmendmentRefused(f"the reason contains a control or format character {bad!r}; give plain text",
                               hint="amend_reason_control", char=repr(bad))
    if len(text) > MAX_REASON:
        raise AmendmentRefused(f"the reason is {len(text)} characters; keep it under {MAX_REASON}",
                               hint="amend_reason_long", length=len(text), limit=MAX_REASON)
    return text


# --------------------------------------------------------------------------- loading


def _draw_files(session: Session, draw_id: int) -> dict[str, bytes]:
    return {f.name: f.content for f in session.exec(select(DrawFile).where(DrawFile.draw_id == draw_id))}


def _load(session: Session, draw_id: int) -> tuple[Draw, core.Context, list[core.Recorded], core.State]:
    draw = require_draw(session, draw_id)
    files = _draw_files(session, draw_id)
    ctx = context_from_bundle(files, json.loads(files["manifest.json"]))
    recorded = recorded_amendments(session, draw_id)
    # Re-derived, not just applied: a new amendment never builds on a log edited by hand.
    state, problems = core.replay(ctx, recorded)
    if problems:
        shown = "\n  ".join(problems)
        raise AmendmentRefused(f"draw {draw_id}: the recorded amendments do not re-derive, so no new one is "
                               f"made; verify the ledger:\n  {shown}", hint="amend_log_broken", draw_id=draw_id,
                               shown=shown)
    return draw, ctx, recorded, state


# --------------------------------------------------------------------------- amending


@dataclass(frozen=True)
class AmendResult:
    draw_id: int
    amendment: int  # sequence within the draw
    ledger_sequence: int
    rows: list[core.Row]
    names: dict[str, str]  # firm and inspector names, for the clerk's output
    reason: str


def amend(engine: Engine, draw_id: int, action: str, reason: str, uscc: str = "",
          inspector_id: str = "", usccs: list[str] | None = None) -> AmendResult:
    """Make one amendment (``core.amend.ACTIONS``); all or nothing, one ledger entry."""
    reason = check_reason(reason)
    with session_scope(engine) as session:
        at = ledger.head(session)  # the ledger lock: amendments of one draw queue like draws
        draw, ctx, recorded, state = _load(session, draw_id)
        if draw.superseded_by is not None:
            raise AmendmentRefused(f"draw {draw_id} was superseded by draw {draw.superseded_by} (a redraw); "
                                   f"amend the live draw {draw.superseded_by} instead")
        named = [uscc] if action == core.REPLACE else (usccs or [])
        with_results = [u for u in named if session.get(Result, (draw_id, u)) is not None]
        if with_results:
            raise AmendmentRefused(
                f"firm {', '.join(with_results)} of draw {draw_id} already has a result (it was inspected); "
                "an inspected firm is neither replaced nor re-staffed. Correct the result with `results import` "
                "if it is wrong")
        rows = core.derive(ctx, state, action, uscc=uscc, inspector_id=inspector_id, usccs=usccs)
        record = core.Recorded(len(recorded) + 1, tuple(rows), reason, utc_timestamp())
        for r in rows:
            session.add(Amendment(draw_id=draw_id, sequence=record.sequence, action=r.action, uscc=r.uscc,
                                  inspector_id=r.inspector_id, replacement=r.replacement,
                                  team=";".join(sorted(r.team)), reason=reason, created_at=record.created_at,
                                  ledger_sequence=at.sequence))
        ledger.append(session, at, ledger_body(draw_id, at.sequence, record), draw_id)
        session.flush()
        names = {f.uscc: f.name for f in ctx.inputs.firms if f.uscc in {x for r in rows for x in (r.uscc, r.replacement)}}
        names.update({i.inspector_id: i.name for i in ctx.inspectors})
        return AmendResult(draw_id, record.sequence, at.sequence, rows, names, reason)


def list_amendments(engine: Engine, draw_id: int) -> list[core.Recorded]:
    with Session(engine) as session:
        require_draw(session, draw_id)
        return recorded_amendments(session, draw_id)


def export_files(session: Session, draw_id: int) -> dict[str, bytes]:
    """The files ``export`` writes: the bundle as drawn, amended if the draw has amendments."""
    files = _draw_files(session, draw_id)
    recorded = recorded_amendments(session, draw_id)
    if not recorded:
        return files
    seqs = {a.sequence: a.ledger_sequence
            for a in session.exec(select(Amendment).where(Amendment.draw_id == draw_id))}
    entries = {e.sequence: e for e in session.exec(select(LedgerEntry).where(LedgerEntry.kind == "amend",
                                                                             LedgerEntry.draw_id == draw_id))}
    missing = sorted(s for s in seqs.values() if s not in entries)
    if missing:
        raise AmendmentRefused(f"draw {draw_id}: amendment ledger entries {missing} are missing; verify the ledger",
                               hint="amend_entries_missing", draw_id=draw_id, missing=missing)
    return amended_bundle(files, recorded, entries, seqs)


# --------------------------------------------------------------------------- ledger checks


def check_amend_entry(session: Session, e: LedgerEntry, body: dict[str, Any]) -> list[str]:
    where = f"ledger entry {e.sequence} (amendment {body.get('amendment')} of draw {body.get('draw_id')})"
    if e.draw_id != body.get("draw_id"):
        return [f"{where}: draw_id column {e.draw_id} differs from its body's {body.get('draw_id')}"]
    if session.get(Draw, e.draw_id) is None:
        return [f"{where}: the draw is missing from the database (deleted?)"]
    rows = session.exec(select(Amendment).where(Amendment.ledger_sequence == e.sequence)
                        .order_by(col(Amendment.id))).all()
    if not rows:
        return [f"{where}: its amendment rows are missing from the database (deleted?)"]
    rec = core.Recorded(rows[0].sequence, tuple(core.Row(a.action, a.uscc, a.inspector_id, a.replacement,
                                                         tuple(x for x in a.team.split(";") if x)) for a in rows),
                        rows[0].reason, rows[0].created_at)
    if any(a.draw_id != e.draw_id or a.sequence != rec.sequence for a in rows):
        return [f"{where}: stored amendment rows belong to another draw or amendment"]
    if canonical_json(ledger_body(e.draw_id, e.sequence, rec)) != e.body:
        return [f"{where}: stored amendment rows differ from the ledger entry (edited outside `amend`)"]
    return []


def check_amendments(session: Session) -> list[str]:
    """Rows written around the ledger, and every draw's amendments re-derived from its bundle."""
    problems = []
    vouched = {e.sequence for e in session.exec(select(LedgerEntry).where(LedgerEntry.kind == "amend"))}
    stray = sorted({(a.draw_id, a.sequence) for a in session.exec(select(Amendment))
                    if a.ledger_sequence not in vouched})
    problems += [f"draw {d}: amendment {s} has no ledger entry (recorded outside the ledger)" for d, s in stray]
    for draw_id in sorted(set(session.exec(select(Amendment.draw_id).distinct()))):
        try:
            files = _draw_files(session, draw_id)
            ctx = context_from_bundle(files, json.loads(files["manifest.json"]))
        except Exception as exc:  # noqa: BLE001 — a broken stored bundle is reported by the draw check
            problems.append(f"draw {draw_id}: cannot re-derive its amendments ({type(exc).__name__}: {str(exc)[:200]}); "
                            "its stored bundle is malformed")
            continue
        _, found = core.replay(ctx, recorded_amendments(session, draw_id))
        problems += [f"draw {draw_id}: {p}" for p in found]
    return problems
