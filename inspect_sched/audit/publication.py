"""Ledger entries of kind ``publish`` (SPEC §8): each version of a public sheet, with its files.

Body: ``{"kind": "publish", "sequence", "draw_id", "version", "created_at", "published_on",
"count", "firms_sha256", "files"}`` where ``firms_sha256`` is the SHA-256 of the ``;``-joined
sorted codes of the firms the sheet names and ``files`` maps every file written to its
SHA-256. Anyone holding a published file can hash it and find it in the chain.

The checks here are handed to ``ledger verify`` by ``services.ledger.LEDGER_CHECKS``.
"""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session, col, select

from inspect_sched.audit.bundle import canonical_json, sha256_hex
from inspect_sched.store.models import LedgerEntry, Publication


def publish_body(sequence: int, p: Publication) -> dict[str, Any]:
    firms = [f for f in p.firms.split(";") if f]
    return {
        "kind": "publish", "sequence": sequence, "draw_id": p.draw_id, "version": p.version,
        "created_at": p.created_at, "published_on": p.published_on.isoformat(), "count": len(firms),
        "firms_sha256": sha256_hex(p.firms.encode("utf-8")), "files": json.loads(p.files_json),
    }


def files_json(files: dict[str, str]) -> str:
    return canonical_json(dict(sorted(files.items())))


def check_publish_entry(session: Session, e: LedgerEntry, body: dict[str, Any]) -> list[str]:
    where = f"ledger entry {e.sequence} (publication of draw {body.get('draw_id')}, version {body.get('version')})"
    p = session.exec(select(Publication).where(Publication.draw_id == body.get("draw_id"),
                                               Publication.version == body.get("version"))).first()
    if p is None:
        return [f"{where}: the publication record is missing from the database (deleted?)"]
    if p.sequence != e.sequence:
        return [f"{where}: the publication record points at ledger entry {p.sequence}"]
    if publish_body(e.sequence, p) != body:
        return [f"{where}: the stored publication (firms, files or date) differs from the ledger entry"]
    return []


def check_unrecorded_publications(session: Session) -> list[str]:
    vouched = {e.sequence for e in session.exec(select(LedgerEntry).where(LedgerEntry.kind == "publish"))}
    return [f"draw {p.draw_id}: publication version {p.version} has no ledger entry (recorded outside the ledger)"
            for p in session.exec(select(Publication).order_by(col(Publication.id))) if p.sequence not in vouched]
