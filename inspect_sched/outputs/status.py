"""Where each draw stands (``status``, SPEC §8): drawn, inspected, pending, unpublished, overdue.

A result is *published* once a publication of its draw named the firm. Its deadline is the
20th working day after the inspection date (``schema.workdays``); an unpublished result
whose deadline is before today is overdue. Today is China's date (UTC+8): the deadline is a
Chinese legal date.

A deadline in a year the holiday calendar does not know yet (every December, until the
package ships the State Council's next 放假安排) is shown as unknown, with what to do, and is
never guessed; the rest of the status is still shown, because a clerk needs it most then.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from inspect_sched.schema.workdays import CalendarError, publication_deadline
from inspect_sched.store.models import Draw, Publication, Result
from inspect_sched.store.queries import require_draw

DUE_SOON_DAYS = 7


@dataclass(frozen=True)
class Deadline:
    uscc: str
    date: dt.date
    deadline: dt.date | None  # None: the holiday calendar does not know the deadline's year yet
    published: bool

    def as_dict(self) -> dict[str, Any]:
        return {"uscc": self.uscc, "date": self.date.isoformat(),
                "deadline": self.deadline.isoformat() if self.deadline else None, "published": self.published}


@dataclass
class DrawStatus:
    draw_id: int
    period: str
    task: str
    superseded_by: int | None
    drawn: int
    with_result: int
    published: int
    deadlines: list[Deadline] = field(default_factory=list)
    today: dt.date = dt.date.min
    calendar_problem: str | None = None  # why some deadlines are unknown (CalendarError text)

    @property
    def unpublished(self) -> list[Deadline]:
        return [d for d in self.deadlines if not d.published]

    @property
    def overdue(self) -> list[Deadline]:
        return [d for d in self.unpublished if d.deadline is not None and d.deadline < self.today]

    @property
    def unknown(self) -> list[Deadline]:
        """Unpublished results whose deadline the holiday calendar cannot count yet."""
        return [d for d in self.unpublished if d.deadline is None]

    def as_dict(self) -> dict[str, Any]:
        """Exactly the keys SPEC §8 fixes for ``status --json``."""
        return {"draw_id": self.draw_id, "period": self.period, "task": self.task, "drawn": self.drawn,
                "with_result": self.with_result, "published": self.published,
                "unpublished": len(self.unpublished), "overdue": len(self.overdue),
                "deadlines": [d.as_dict() for d in self.deadlines]}


def draw_status(engine: Engine, draw_id: int | None = None, today: dt.date | None = None) -> list[DrawStatus]:
    """Status of one draw, or of every draw in id order."""
    from inspect_sched.schema.periods import today_china

    day = today or today_china()
    with Session(engine) as session:
        if draw_id is not None:
            draws = [require_draw(session, draw_id)]
        else:
            draws = list(session.exec(select(Draw).order_by(col(Draw.id))))
        return [_one(session, d, day) for d in draws]


def _one(session: Session, d: Draw, today: dt.date) -> DrawStatus:
    from inspect_sched.store.queries import current_firms

    assert d.id is not None
    # Current firms (SPEC §7): a firm replaced after the draw no longer counts as drawn.
    live = {f.uscc for f in current_firms(session, d.id) if f.status != "removed"}
    drawn = len(live)
    results = list(session.exec(select(Result).where(Result.draw_id == d.id).order_by(Result.uscc)))
    # When each firm was last named: a result changed after that (a correction) is unpublished.
    named: dict[str, int] = {}
    for p in session.exec(select(Publication).where(Publication.draw_id == d.id)):
        for u in p.firms.split(";"):
            if u:
                named[u] = max(named.get(u, 0), p.sequence)
    deadlines = []
    problem = None
    for r in results:
        due: dt.date | None
        try:
            due = publication_deadline(r.date)
        except CalendarError as exc:
            due, problem = None, str(exc)
        shown = r.uscc in named and (r.recorded_sequence is None or named[r.uscc] > r.recorded_sequence)
        deadlines.append(Deadline(r.uscc, r.date, due, shown))
    deadlines.sort(key=lambda x: (x.deadline or dt.date.max, x.uscc))
    # Inspected counts the current firms (a removed firm's own result is still due for publication).
    return DrawStatus(d.id, d.period, d.task, d.superseded_by, drawn, sum(1 for r in results if r.uscc in live),
                      sum(1 for x in deadlines if x.published), deadlines, today, problem)


def status_text(statuses: list[DrawStatus], today: dt.date) -> str:
    """One screen: a line per draw, then what is overdue and what falls due within a week."""
    if not statuses:
        return "no draws yet"
    lines = [f"status on {today.isoformat()} (deadline: 20 working days after the inspection, 企业信息公示暂行条例 art. 7)",
             f"{'draw':>5} {'period':<8} {'drawn':>6} {'inspected':>9} {'pending':>7} {'published':>9} "
             f"{'unpublished':>11} {'overdue':>7}  task"]
    for s in statuses:
        mark = f" (superseded by draw {s.superseded_by})" if s.superseded_by else ""
        lines.append(f"{s.draw_id:>5} {s.period:<8} {s.drawn:>6} {s.with_result:>9} {s.drawn - s.with_result:>7} "
                     f"{s.published:>9} {len(s.unpublished):>11} {len(s.overdue):>7}  {s.task}{mark}")
    for s in statuses:
        extra = len(s.deadlines) - s.with_result
        if extra > 0:  # published/unpublished count every result; inspected/pending the current firms
            lines.append(f"  draw {s.draw_id}: besides its current firms, {extra} result(s) of removed firm(s) "
                         "(e.g. 已关闭), counted under published/unpublished")
    soon = today + dt.timedelta(days=DUE_SOON_DAYS)
    overdue = [(s.draw_id, d) for s in statuses for d in s.overdue]
    due = [(s.draw_id, d) for s in statuses for d in s.unpublished
           if d.deadline is not None and today <= d.deadline <= soon]
    unknown = [(s.draw_id, d) for s in statuses for d in s.unknown]
    def listed(items: list[tuple[int, Deadline]]) -> list[str]:
        ordered = sorted(items, key=lambda x: (x[1].deadline or dt.date.max, x[0], x[1].uscc))
        return [f"  draw {i}: {d.uscc} inspected {d.date.isoformat()}, "
                f"deadline {d.deadline.isoformat() if d.deadline else 'unknown'}" for i, d in ordered]

    if overdue:
        lines.append(f"OVERDUE — publish now (inspect-sched publish --draw ID --out DIR): {len(overdue)}")
        lines += listed(overdue)
    if due:
        lines.append(f"due within {DUE_SOON_DAYS} days: {len(due)}")
        lines += listed(due)
    if unknown:
        problem = next(s.calendar_problem for s in statuses if s.calendar_problem)
        lines.append(f"deadline not yet known: {len(unknown)} (inspected "
                     f"{min(d.date for _, d in unknown).isoformat()} or later; {problem})")
    if not overdue and not due:
        lines.append("nothing overdue, nothing due within a week"
                     + (" among the deadlines known" if unknown else ""))
    return "\n".join(lines)
