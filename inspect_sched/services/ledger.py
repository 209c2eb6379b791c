"""``ledger verify`` with every entry kind's check, assembled here where the kinds are written.

The audit layer checks the chain and the draws; each service that writes another kind of
entry contributes its check to ``LEDGER_CHECKS`` below, explicitly. A new kind (amend,
publish ...) adds its line here; ``audit.ledger.verify`` reports any kind without one.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from inspect_sched.audit import ledger, publication
from inspect_sched.services import amend, followups, results
from inspect_sched.store.models import LedgerEntry

LEDGER_CHECKS = ledger.LedgerChecks(
    entries={"results": results.check_results_entry, "amend": amend.check_amend_entry,
             "publish": publication.check_publish_entry,
             "items": followups.check_items_entry, "followup": followups.check_followup_entry},
    final=(results.check_unrecorded, amend.check_amendments, publication.check_unrecorded_publications,
           followups.check_unrecorded_closings),
)


def verify_ledger(engine: Engine, head: str | None = None) -> tuple[list[str], int]:
    """Every problem of the ledger (empty: intact) and its number of entries; with ``head``,
    also whether that published hash is still in the chain (``ledger verify --head``)."""
    with Session(engine) as session:
        try:
            problems = ledger.verify(session, LEDGER_CHECKS)
        except Exception as exc:  # noqa: BLE001 — a last guard: a finding, never a traceback (SPEC §9)
            problems = [f"ledger: cannot be checked ({type(exc).__name__}: {str(exc)[:200]})"]
        entries = ledger.entries(session)
        if head is not None:
            problems += ledger.head_problems(entries, head)
        return problems, len(entries)


def head_position(engine: Engine, head: str) -> int | None:
    """The sequence of the entry whose hash is ``head`` (as `ledger head` prints it), or None."""
    with Session(engine) as session:
        return session.exec(select(LedgerEntry.sequence).where(LedgerEntry.hash == head)).first()
