"""Per-item results of a draw and the follow-ups they leave (整改 and on-site escalation).

* ``results items FILE --draw ID`` records, per drawn firm and item of the draw's task, whether
  the item was checked, whether a problem was found and the measures. All rows or none, one
  ledger entry (kind ``items``) whose ``items_sha256`` covers all item results of the draw.
* A row with a 整改期限 (deadline) opens a ``rectify`` follow-up: 责令改正 needs one, so a
  row whose measures say 责令改正 without a deadline is an error.
* A row with 转现场检查 = 是 on a firm checked off site (mode 非现场) opens an ``onsite``
  follow-up: the off-site finding becomes a recorded on-site task. Asking it of a firm that
  was already checked on site is an error (it needs no escalation).
* ``followups close ID --date D --evidence REF`` closes one, with a ledger entry (kind
  ``followup``) naming the firm, the item, the date and the evidence reference.
* ``followups list`` shows open ones and marks those past their deadline (China date).

Decisions: items are matched by name against the draw's own items (the policy's ``items``
frozen in its manifest), so a result can only be recorded against what the task said it
would check (清单之外无事项).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from inspect_sched.audit import ledger
from inspect_sched.audit.bundle import sha256_hex
from inspect_sched.errors import InputFileError, InspectSchedError, NotFoundError, RowProblem
from inspect_sched.schema.periods import today_china, utc_timestamp
from inspect_sched.services.vouched import refuse_if_edited
from inspect_sched.store.db import ensure_schema, session_scope
from inspect_sched.store.importers import parse_item_results_file
from inspect_sched.store.models import Draw, FollowUp, ItemResult, LedgerEntry, Result
from inspect_sched.store.queries import draw_items, firm_modes, item_summary  # noqa: F401  (re-exported)

ITEM_CSV_COLUMNS = ["uscc", "item", "checked", "problem", "measures"]
KIND_LABEL = {"rectify": "责令改正", "onsite": "转现场检查"}


def items_csv(rows: list[ItemResult]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(ITEM_CSV_COLUMNS)
    for r in sorted(rows, key=lambda r: (r.uscc, r.item)):
        w.writerow([r.uscc, r.item, "1" if r.checked else "0", "1" if r.problem else "0", r.measures])
    return buf.getvalue().encode("utf-8")


def items_sha256(session: Session, draw_id: int) -> str:
    return sha256_hex(items_csv(list(session.exec(select(ItemResult).where(ItemResult.draw_id == draw_id)))))


def followups_sha256(session: Session, draw_id: int) -> str:
    """The follow-ups of a draw as ``results items`` opened them (closing is vouched for by its
    own ledger entry): who, which item, what kind, why and by when."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["uscc", "item", "kind", "reason", "deadline"])
    rows = session.exec(select(FollowUp).where(FollowUp.draw_id == draw_id))
    for f in sorted(rows, key=lambda f: (f.uscc, f.item, f.kind)):
        w.writerow([f.uscc, f.item, f.kind, f.reason, f.deadline.isoformat() if f.deadline else ""])
    return sha256_hex(buf.getvalue().encode("utf-8"))


@dataclass(frozen=True)
class ItemsSummary:
    draw_id: int
    sequence: int
    rows: int
    opened: list[str]
    warnings: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"draw {self.draw_id}: {self.rows} item result(s) recorded; ledger entry #{self.sequence}"]
        lines += [f"  follow-up {o}" for o in self.opened]
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def import_item_results(engine: Engine, path: str | Path, draw_id: int) -> ItemsSummary:
    """Record per-item results for ``draw_id`` (all rows or none) and open their follow-ups."""
    ensure_schema(engine)
    with Session(engine) as session:
        if session.get(Draw, draw_id) is None:
            raise NotFoundError(f"draw {draw_id} does not exist; `inspect-sched ledger list` shows the draws")
    records = parse_item_results_file(path)
    if not records:
        raise InputFileError(str(path), message="has no item result rows; nothing was imported")
    with session_scope(engine) as session:
        at = ledger.head(session)
        refuse_if_edited(session, "items", draw_id, check_items_entry, "item results and follow-ups")
        items = draw_items(session, draw_id)
        modes = firm_modes(session, draw_id)
        problems: list[RowProblem] = []
        warnings: list[str] = []
        results = {x.uscc: x for x in session.exec(select(Result).where(Result.draw_id == draw_id))}
        for number, r in records:
            if r["uscc"] not in modes:
                problems.append(RowProblem(number, "统一社会信用代码", r["uscc"],
                                           f"not one of the {len(modes)} firms of draw {draw_id}"))
            if r["item"] not in items:
                problems.append(RowProblem(number, "抽查事项", r["item"],
                                           f"not an item of draw {draw_id}'s task; its items are: "
                                           + "、".join(items)))
            if "责令改正" in r["measures"] and r["deadline"] is None:
                problems.append(RowProblem(number, "整改期限", "",
                                           "责令改正 needs a 整改期限 (deadline), e.g. 2027-01-31"))
            if r["deadline"] is not None and not r["problem"]:
                problems.append(RowProblem(number, "是否发现问题", "否",
                                           "a 整改期限 is given, so a problem was found: write 是"))
            if r["problem"] and not r["checked"]:
                problems.append(RowProblem(number, "是否检查", "否",
                                           "an item that was not checked cannot have a finding: write 是, "
                                           "or 否 under 是否发现问题"))
            done = results.get(r["uscc"])
            if r["deadline"] is not None and done is not None and r["deadline"] < done.date:
                problems.append(RowProblem(number, "整改期限", r["deadline"].isoformat(),
                                           f"before the inspection ({done.date.isoformat()}); give the deadline "
                                           "the 责令改正 set"))
            if r["problem"] and done is not None and done.result == "未发现问题":
                warnings.append(f"row {number}: {r['uscc']} {r['item']} found a problem, but the firm's recorded "
                                "检查结果 is 未发现问题; the public sheet would show both: correct one of them")
            for kind in (["rectify"] if r["deadline"] is not None else []) + (["onsite"] if r["escalate"] else []):
                f = _followup(session, draw_id, r["uscc"], r["item"], kind)
                if f is not None and f.closed_on is not None and (f.deadline != r["deadline"] or (
                        kind == "rectify" and f.reason != r["measures"])):
                    problems.append(RowProblem(number, "整改期限", r["deadline"].isoformat() if r["deadline"] else "",
                                               f"follow-up {f.id} ({KIND_LABEL[kind]}) was closed on "
                                               f"{f.closed_on.isoformat()}; a closed follow-up is not changed. "
                                               "Leave this row as it was, or record a new finding"))
            if r["escalate"] and modes.get(r["uscc"], "现场") == "现场":
                problems.append(RowProblem(number, "转现场检查", "是",
                                           "this firm was checked on site; only an off-site (非现场) or "
                                           "documents (书面) check escalates to an on-site visit"))
        if problems:
            raise InputFileError(str(path), sorted(problems, key=lambda p: p.row))
        opened: list[str] = []
        for _number, r in records:
            existing = session.get(ItemResult, (draw_id, r["uscc"], r["item"]))
            row = existing or ItemResult(draw_id=draw_id, uscc=r["uscc"], item=r["item"])
            row.checked, row.problem, row.measures = r["checked"], r["problem"], r["measures"]
            session.add(row)
            if r["deadline"] is not None:
                opened.append(_open(session, draw_id, r["uscc"], r["item"], "rectify", r["measures"],
                                    r["deadline"]))
            if r["escalate"]:
                opened.append(_open(session, draw_id, r["uscc"], r["item"], "onsite",
                                    r["measures"] or "非现场检查发现问题，需现场核查", r["deadline"]))
        session.flush()
        body = {"kind": "items", "sequence": at.sequence, "draw_id": draw_id, "created_at": utc_timestamp(),
                "count": len(records), "items_sha256": items_sha256(session, draw_id),
                "followups_sha256": followups_sha256(session, draw_id)}
        ledger.append(session, at, body, draw_id)
        return ItemsSummary(draw_id, at.sequence, len(records), opened, warnings)


def _followup(session: Session, draw_id: int, uscc: str, item: str, kind: str) -> FollowUp | None:
    return session.exec(select(FollowUp).where(FollowUp.draw_id == draw_id, FollowUp.uscc == uscc,
                                               FollowUp.item == item, FollowUp.kind == kind)).first()


def _open(session: Session, draw_id: int, uscc: str, item: str, kind: str, reason: str,
          deadline: dt.date | None) -> str:
    f = _followup(session, draw_id, uscc, item, kind)
    what = f"{KIND_LABEL[kind]} {uscc} {item}"
    if f is not None and f.closed_on is not None:
        return f"unchanged: {what} (closed on {f.closed_on.isoformat()})"
    moved = f is not None and f.deadline != deadline
    before = f.deadline.isoformat() if f is not None and f.deadline else "none"
    if f is None:
        f = FollowUp(draw_id=draw_id, uscc=uscc, item=item, kind=kind, created_at=utc_timestamp())
    f.reason, f.deadline = reason, deadline
    session.add(f)
    if moved:
        return f"deadline moved: {what} from {before} to {deadline.isoformat() if deadline else 'none'}"
    return ("opened: " if f.id is None else "kept: ") + what + (f" by {deadline.isoformat()}" if deadline else "")


def close_followup(engine: Engine, followup_id: int, day: dt.date, evidence: str) -> FollowUp:
    """Close a follow-up with the date and the evidence reference; one ledger entry."""
    evidence = evidence.strip()
    if not evidence:
        raise InspectSchedError("give --evidence: the reference of the proof (整改报告, 复查记录 number ...)")
    if day > today_china():
        raise InspectSchedError(f"--date {day.isoformat()} is in the future; give the real closing date")
    ensure_schema(engine)
    with session_scope(engine) as session:
        at = ledger.head(session)
        f = session.get(FollowUp, followup_id)
        if f is None:
            raise NotFoundError(f"follow-up {followup_id} does not exist; `inspect-sched followups list` shows them")
        if f.closed_on is not None:
            raise InspectSchedError(f"follow-up {followup_id} was closed on {f.closed_on.isoformat()} already")
        f.closed_on, f.evidence = day, evidence
        session.add(f)
        body = {"kind": "followup", "sequence": at.sequence, "draw_id": f.draw_id, "created_at": utc_timestamp(),
                "action": "close", "followup_id": f.id, "uscc": f.uscc, "item": f.item,
                "followup_kind": f.kind, "closed_on": day.isoformat(), "evidence": evidence}
        ledger.append(session, at, body, f.draw_id)
        session.flush()
        session.expunge(f)
        return f


@dataclass(frozen=True)
class FollowUpView:
    id: int
    draw_id: int
    uscc: str
    item: str
    kind: str
    reason: str
    deadline: dt.date | None
    closed_on: dt.date | None
    evidence: str
    overdue: bool


def list_followups(engine: Engine, as_of: dt.date | None = None, draw_id: int | None = None,
                   include_closed: bool = False) -> list[FollowUpView]:
    """Follow-ups (open ones by default), each marked overdue when its deadline is before ``as_of``."""
    ensure_schema(engine)
    day = as_of or today_china()
    with Session(engine) as session:
        q = select(FollowUp).order_by(col(FollowUp.id))
        if draw_id is not None:
            q = q.where(FollowUp.draw_id == draw_id)
        out = []
        for f in session.exec(q):
            assert f.id is not None  # read back from the database
            if f.closed_on is not None and not include_closed:
                continue
            overdue = f.closed_on is None and f.deadline is not None and f.deadline < day
            out.append(FollowUpView(f.id, f.draw_id, f.uscc, f.item, f.kind, f.reason, f.deadline,
                                    f.closed_on, f.evidence, overdue))
        return out


def check_items_entry(session: Session, e: LedgerEntry, body: dict[str, Any]) -> list[str]:
    """The latest ``items`` entry of a draw vouches for all its item results."""
    draw_id = body.get("draw_id")
    if not isinstance(draw_id, int):
        return [f"ledger entry {e.sequence}: items entry without a draw id"]
    latest = max((o.sequence for o in session.exec(select(LedgerEntry).where(
        LedgerEntry.kind == "items", LedgerEntry.draw_id == draw_id))), default=0)
    if e.sequence != latest:
        return []
    out = []
    if items_sha256(session, draw_id) != body.get("items_sha256"):
        out.append(f"draw {draw_id}: item results changed since ledger entry {e.sequence} "
                   "(an item result was edited, added or deleted outside `results items`)")
    # Entries written before follow-ups were vouched for have no such hash.
    if "followups_sha256" in body and followups_sha256(session, draw_id) != body["followups_sha256"]:
        out.append(f"draw {draw_id}: follow-ups changed since ledger entry {e.sequence} (one was added, deleted, "
                   "or its reason or deadline edited outside `results items`)")
    return out


def check_unrecorded_closings(session: Session) -> list[str]:
    """A follow-up marked closed without the ``followup`` ledger entry that closes it."""
    closed = {b.get("followup_id") for b in (json.loads(e.body) for e in session.exec(
        select(LedgerEntry).where(LedgerEntry.kind == "followup"))) if isinstance(b, dict)}
    return [f"follow-up {f.id}: marked closed on {f.closed_on.isoformat()} with no ledger entry "
            "(closed outside `followups close`)"
            for f in session.exec(select(FollowUp).where(col(FollowUp.closed_on).is_not(None)).order_by(col(FollowUp.id)))
            if f.id not in closed and f.closed_on is not None]



def check_followup_entry(session: Session, e: LedgerEntry, body: dict[str, Any]) -> list[str]:
    """A closing recorded in the ledger must still be what the follow-up row says."""
    f = session.get(FollowUp, body.get("followup_id"))
    where = f"ledger entry {e.sequence}"
    if f is None:
        return [f"{where}: follow-up {body.get('followup_id')} it closed is missing from the database"]
    stored = (f.draw_id, f.uscc, f.item, f.kind, f.closed_on.isoformat() if f.closed_on else None, f.evidence)
    said = (body.get("draw_id"), body.get("uscc"), body.get("item"), body.get("followup_kind"),
            body.get("closed_on"), body.get("evidence"))
    if stored != said:
        return [f"{where}: follow-up {f.id} differs from its closing record (edited outside `followups close`)"]
    return []
