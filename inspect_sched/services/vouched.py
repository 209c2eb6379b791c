"""Refuse to build on records edited around the ledger.

Results and item results are vouched for by the latest ledger entry of their kind for a draw
(its SHA-256 of the draw's whole set). A new import hashes the set as it then stands, so
importing on top of a hand edit would make the edit look vouched for. Each import therefore
first checks the set against the latest entry and refuses, naming what changed, as amendments
refuse a log that does not re-derive.
"""

from __future__ import annotations

import json

from sqlmodel import Session, col, select

from inspect_sched.audit.ledger import EntryCheck
from inspect_sched.errors import InspectSchedError
from inspect_sched.store.models import LedgerEntry


def refuse_if_edited(session: Session, kind: str, draw_id: int, check: EntryCheck, what: str) -> None:
    """Raise when the draw's ``what`` differ from what the latest ``kind`` entry vouches for."""
    latest = session.exec(select(LedgerEntry).where(LedgerEntry.kind == kind, LedgerEntry.draw_id == draw_id)
                          .order_by(col(LedgerEntry.sequence).desc()).limit(1)).first()
    if latest is None:
        return
    try:
        body = json.loads(latest.body)
    except ValueError:
        body = None
    problems = check(session, latest, body) if isinstance(body, dict) else [
        f"ledger entry {latest.sequence}: body is not JSON"]
    if problems:
        raise InspectSchedError(
            f"{problems[0]}; nothing was imported: a new import would vouch for that change. Run "
            f"`inspect-sched ledger verify`, and restore the {what} (or have the change investigated) first")
