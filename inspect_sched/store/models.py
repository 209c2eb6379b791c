"""Database tables (SQLModel). Pools, draws, their bundles, results and the ledger.

Lists (tags, specialties, inspector ids) are stored ``;``-joined and sorted, the same
form the canonical CSV files use, so a row and its CSV line never disagree.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class Enterprise(SQLModel, table=True):
    __tablename__ = "enterprise"
    id: int | None = Field(default=None, primary_key=True)
    uscc: str = Field(index=True, unique=True, max_length=18)
    name: str
    district: str = Field(index=True)
    category: str = "general"
    credit: str = "blue"
    risk: str = "low"
    status: str = "active"
    industry: str = ""
    address: str = ""
    tags: str = ""
    extra: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))


class Inspector(SQLModel, table=True):
    __tablename__ = "inspector"
    id: int | None = Field(default=None, primary_key=True)
    inspector_id: str = Field(index=True, unique=True)
    name: str
    unit: str = ""
    district: str = ""
    department: str = "生态环境"
    cert_valid_until: dt.date
    active: bool = True
    specialties: str = ""
    extra: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))


class PositiveListEntry(SQLModel, table=True):
    __tablename__ = "positive_list"
    __table_args__ = (UniqueConstraint("uscc", "start", name="uq_positive_list"),)
    id: int | None = Field(default=None, primary_key=True)
    uscc: str = Field(index=True)
    start: dt.date
    end: dt.date


class ConflictEntry(SQLModel, table=True):
    __tablename__ = "conflict"
    __table_args__ = (UniqueConstraint("inspector_id", "uscc", name="uq_conflict"),)
    id: int | None = Field(default=None, primary_key=True)
    inspector_id: str = Field(index=True)
    uscc: str = Field(index=True)
    reason: str = ""


class HistoryEntry(SQLModel, table=True):
    """A past inspection. Imported rows have ``draw_id`` None; results of a draw set it."""

    __tablename__ = "history"
    __table_args__ = (
        UniqueConstraint("uscc", "date", "kind", "inspector_ids", name="uq_history"),
    )
    id: int | None = Field(default=None, primary_key=True)
    uscc: str = Field(index=True)
    date: dt.date
    kind: str
    inspector_ids: str = ""
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


class PlanFile(SQLModel, table=True):
    """One frozen canonical input file of a plan (``inputs/enterprises.csv`` ...)."""

    __tablename__ = "plan_file"
    plan_id: int = Field(primary_key=True, foreign_key="plan.id")
    name: str = Field(primary_key=True)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


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


class DrawFile(SQLModel, table=True):
    """The bundle as written, so it can be checked and written out again from the DB."""

    __tablename__ = "draw_file"
    draw_id: int = Field(primary_key=True, foreign_key="draw.id")
    name: str = Field(primary_key=True)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


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


class Result(SQLModel, table=True):
    __tablename__ = "result"
    draw_id: int = Field(primary_key=True, foreign_key="draw.id")
    uscc: str = Field(primary_key=True)
    date: dt.date
    result: str
    measures: str = ""
    inspector_ids: str = ""
    deviates: bool = False


class LedgerEntry(SQLModel, table=True):
    """The hash chain. ``hash = SHA-256(prev_hash + "\\n" + body)``; body is canonical JSON."""

    __tablename__ = "ledger"
    sequence: int = Field(primary_key=True)
    kind: str
    draw_id: int | None = None
    body: str = Field(sa_column=Column(Text, nullable=False))
    prev_hash: str
    hash: str = Field(unique=True)


class InspectionItem(SQLModel, table=True):
    """One entry of the 随机抽查事项清单 ("清单之外无事项"): what may be checked, on what basis."""

    __tablename__ = "inspection_item"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True)  # 抽查事项
    code: str = ""  # 事项编号, as the catalogue numbers it (optional)
    legal_basis: str = ""  # 法律依据
    method: str = "现场"  # 检查方式: 现场 / 非现场 / 书面
    department: str = "生态环境"  # 责任部门
    extra: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))


class ItemResult(SQLModel, table=True):
    """The outcome of one item at one drawn firm (``results items``)."""

    __tablename__ = "item_result"
    draw_id: int = Field(primary_key=True, foreign_key="draw.id")
    uscc: str = Field(primary_key=True)
    item: str = Field(primary_key=True)
    checked: bool = True
    problem: bool = False
    measures: str = ""


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
