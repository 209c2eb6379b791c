"""Database tables (SQLModel). Pools, draws, their bundles, results and the ledger.

The columns of the input tables come from ``schema/entities.py`` (one ``Field`` each); a
new column there needs only its Alembic migration (README "Developer notes").

Lists (tags, specialties, inspector ids) are stored ``;``-joined and sorted, the same
form the canonical CSV files use, so a row and its CSV line never disagree.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
from typing import Any

from sqlalchemy import Column, LargeBinary, Text, UniqueConstraint
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from inspect_sched.schema.entities import (
    CONFLICT,
    ENTERPRISE,
    HISTORY,
    INSPECTOR,
    ITEM,
    ITEM_RESULT,
    POSITIVE_LIST,
    RESULT,
    Entity,
)


def _base(entity: Entity, name: str, **leading: tuple[Any, Any]) -> Any:
    """A non-table SQLModel with the ``leading`` columns (name=(type, Field)), then the entity's
    stored fields in registry order. Column order is primary-key order: ``session.get`` takes
    a composite key in that order."""
    annotations: dict[str, Any] = {k: t for k, (t, _) in leading.items()}
    namespace: dict[str, Any] = {"__module__": __name__, "__qualname__": name, "__annotations__": annotations,
                                 **{k: f for k, (_, f) in leading.items()}}
    for f in entity.stored:
        annotations[f.name] = f.column_type
        has_default = not f.required and f.default is not None and f.default is not dataclasses.MISSING
        namespace[f.name] = Field(default=f.default, **f.db) if has_default else Field(**f.db)
    return types.new_class(name, (SQLModel,), {}, lambda ns: ns.update(namespace))


# The bases carry the columns declared in schema/entities.py; the tables add their keys.
EnterpriseBase = _base(ENTERPRISE, "EnterpriseBase")
InspectorBase = _base(INSPECTOR, "InspectorBase")
PositiveListEntryBase = _base(POSITIVE_LIST, "PositiveListEntryBase")
ConflictEntryBase = _base(CONFLICT, "ConflictEntryBase")
HistoryEntryBase = _base(HISTORY, "HistoryEntryBase")
ResultBase = _base(RESULT, "ResultBase", draw_id=(int, Field(primary_key=True, foreign_key="draw.id")))
InspectionItemBase = _base(ITEM, "InspectionItemBase")
ItemResultBase = _base(ITEM_RESULT, "ItemResultBase", draw_id=(int, Field(primary_key=True, foreign_key="draw.id")))



class Bytes(TypeDecorator[bytes]):
    """A stored file's bytes. A value a hand edit left as text (SQL ``replace()`` on a BLOB
    returns TEXT in SQLite) is read back as its UTF-8 bytes, so the hash checks name the changed
    file instead of failing on its type."""

    impl = LargeBinary
    cache_ok = True

    def process_result_value(self, value: object, dialect: object) -> bytes | None:
        if isinstance(value, str):
            return value.encode("utf-8", "surrogatepass")
        if isinstance(value, int | float):  # SQLite keeps what a hand edit wrote, a number too
            return str(value).encode("ascii")
        return value  # type: ignore[return-value]

class Enterprise(EnterpriseBase, table=True):  # type: ignore[misc,valid-type,call-arg]
    __tablename__ = "enterprise"
    id: int | None = Field(default=None, primary_key=True)
    extra: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))


class Inspector(InspectorBase, table=True):  # type: ignore[misc,valid-type,call-arg]
    __tablename__ = "inspector"
    id: int | None = Field(default=None, primary_key=True)
    extra: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))


class PositiveListEntry(PositiveListEntryBase, table=True):  # type: ignore[misc,valid-type,call-arg]
    __tablename__ = "positive_list"
    __table_args__ = (UniqueConstraint("uscc", "start", name="uq_positive_list"),)
    id: int | None = Field(default=None, primary_key=True)


class ConflictEntry(ConflictEntryBase, table=True):  # type: ignore[misc,valid-type,call-arg]
    __tablename__ = "conflict"
    __table_args__ = (UniqueConstraint("inspector_id", "uscc", name="uq_conflict"),)
    id: int | None = Field(default=None, primary_key=True)


class HistoryEntry(HistoryEntryBase, table=True):  # type: ignore[misc,valid-type,call-arg]
    """A past inspection. Imported rows have ``draw_id`` None; results of a draw set it."""

    __tablename__ = "history"
    __table_args__ = (
        UniqueConstraint("uscc", "date", "kind", "inspector_ids", name="uq_history"),
    )
    id: int | None = Field(default=None, primary_key=True)
    draw_id: int | None = Field(default=None, index=True)


class Plan(SQLModel, table=True):
    """A frozen sampling frame: inputs, policy and probabilities fixed before the seed."""

    __tablename__ = "plan"
    id: int | None = Field(default=None, primary_key=True)
    created_at: str
    period: str
    task: str
    policy_json: str = Field(sa_column=Column(Text, nullable=False))
    filters_json: str = Field(sa_column=Column(Text, nullable=False))
    departments_json: str = Field(sa_column=Column(Text, nullable=False))
    commitment: str = Field(index=True)
    # The ledger sequence the next entry had when the plan was frozen: any later entry that
    # touches a firm of the frame makes the plan stale (SPEC §7). None for release-0.1 plans.
    ledger_sequence: int | None = Field(default=None, nullable=True)


class PlanFile(SQLModel, table=True):
    """One frozen canonical input file of a plan (``inputs/enterprises.csv`` ...)."""

    __tablename__ = "plan_file"
    plan_id: int = Field(primary_key=True, foreign_key="plan.id")
    name: str = Field(primary_key=True)
    content: bytes = Field(sa_column=Column(Bytes, nullable=False))


class Draw(SQLModel, table=True):
    __tablename__ = "draw"
    id: int | None = Field(default=None, primary_key=True)
    sequence: int = Field(index=True)
    plan_id: int = Field(foreign_key="plan.id")
    period: str = Field(index=True)
    task: str = Field(index=True)
    seed: str
    redraw_of: int | None = None
    superseded_by: int | None = None
    created_at: str
    manifest_sha256: str
    sample_size: int = 0
    redraw_reason: str | None = Field(default=None, nullable=True)


class DrawFile(SQLModel, table=True):
    """The bundle as written, so it can be checked and written out again from the DB."""

    __tablename__ = "draw_file"
    draw_id: int = Field(primary_key=True, foreign_key="draw.id")
    name: str = Field(primary_key=True)
    content: bytes = Field(sa_column=Column(Bytes, nullable=False))


class DrawFirm(SQLModel, table=True):
    """A selected firm of a draw and its assigned team (ids and names ``;``-joined)."""

    __tablename__ = "draw_firm"
    draw_id: int = Field(primary_key=True, foreign_key="draw.id")
    uscc: str = Field(primary_key=True)
    name: str
    district: str
    stratum: str
    inspector_ids: str = ""
    inspector_names: str = ""


class Result(ResultBase, table=True):  # type: ignore[misc,valid-type,call-arg]
    """A recorded result of a drawn firm; ``deviates``: the team differs from the one drawn."""

    __tablename__ = "result"
    # draw_id (first of the primary key) comes from ResultBase
    deviates: bool = False
    # The ledger entry of the import that last changed it: a publication made before it did not
    # show this version of the result (a correction after publishing is unpublished again).
    # None for results recorded before release 0.2.
    recorded_sequence: int | None = Field(default=None, nullable=True)


class LedgerEntry(SQLModel, table=True):
    """The hash chain. ``hash = SHA-256(prev_hash + "\\n" + body)``; body is canonical JSON."""

    __tablename__ = "ledger"
    sequence: int = Field(primary_key=True)
    kind: str
    draw_id: int | None = None
    body: str = Field(sa_column=Column(Text, nullable=False))
    prev_hash: str
    hash: str = Field(unique=True)


class InspectionItem(InspectionItemBase, table=True):  # type: ignore[misc,valid-type,call-arg]
    """One entry of the 随机抽查事项清单 ("清单之外无事项"): what may be checked, on what basis."""

    __tablename__ = "inspection_item"
    id: int | None = Field(default=None, primary_key=True)
    extra: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))


class ItemResult(ItemResultBase, table=True):  # type: ignore[misc,valid-type,call-arg]
    """The outcome of one item at one drawn firm (``results items``)."""

    __tablename__ = "item_result"


class FollowUp(SQLModel, table=True):
    """Work that a finding leaves behind: 责令改正 with its 整改期限 (kind ``rectify``), or an
    off-site finding that needs a visit (kind ``onsite``). Open until ``closed_on`` is set."""

    __tablename__ = "followup"
    __table_args__ = (UniqueConstraint("draw_id", "uscc", "item", "kind", name="uq_followup"),)
    id: int | None = Field(default=None, primary_key=True)
    draw_id: int = Field(index=True, foreign_key="draw.id")
    uscc: str = Field(index=True)
    item: str = ""
    kind: str
    reason: str = ""
    deadline: dt.date | None = None
    created_at: str
    closed_on: dt.date | None = None
    evidence: str = ""


class Amendment(SQLModel, table=True):
    """One line of a draw's amendment log (SPEC §7, ``amendments.csv``).

    An amendment is one or more rows sharing ``(draw_id, sequence)`` and one ledger entry
    (``ledger_sequence``). The current teams are derived from ``draw_firm`` (the teams as
    drawn, which verify compares with the bundle) plus these rows, never stored twice.
    """

    __tablename__ = "amendment"
    __table_args__ = (UniqueConstraint("draw_id", "sequence", "uscc", name="uq_amendment"),)
    id: int | None = Field(default=None, primary_key=True)
    draw_id: int = Field(foreign_key="draw.id", index=True)
    sequence: int  # 1, 2, ... within the draw
    action: str
    uscc: str = Field(index=True)
    inspector_id: str = ""
    replacement: str = ""
    team: str = ""
    reason: str = Field(sa_column=Column(Text, nullable=False))
    created_at: str
    ledger_sequence: int = Field(index=True)


class Publication(SQLModel, table=True):
    """One version of a draw's public sheet (SPEC §8): which firms it named and the files written.

    ``firms`` is ``;``-joined and sorted; ``files_json`` maps each file name to its SHA-256
    (canonical JSON); ``content_sha256`` fingerprints the sheet's rows and facts apart from
    version and date, so a run with nothing new makes no new version.
    """

    __tablename__ = "publication"
    __table_args__ = (UniqueConstraint("draw_id", "version", name="uq_publication"),)
    id: int | None = Field(default=None, primary_key=True)
    draw_id: int = Field(index=True, foreign_key="draw.id")
    version: int
    sequence: int  # its ledger entry
    created_at: str
    published_on: dt.date
    firms: str = Field(sa_column=Column(Text, nullable=False))
    content_sha256: str
    files_json: str = Field(sa_column=Column(Text, nullable=False))
