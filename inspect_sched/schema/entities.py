"""The entity registry: every input table of SPEC §2 declared once.

Each ``Entity`` lists its fields with the canonical English name, the Chinese headers a
user may write, the kind of cell (which says how it is parsed, stored and written), the
enumeration, the default and whether the cell is required. Everything else derives from
here:

* ``store/importers.py`` parses a file's rows field by field (``Field.kind``);
* ``store/models.py`` builds each table's columns (``EnterpriseBase`` → ``Enterprise``);
* ``core/inputs.py`` builds the frozen records of a draw (``Firm`` ...) from the fields
  with ``frozen=True`` — they are the columns of the bundle's ``inputs/*.csv``;
* ``store/snapshot.py`` selects those same columns;
* ``synth/fakedata.py`` writes the frozen, imported fields under their first Chinese header.

One family of names per entity across the layers:

=============  ================  =================  ===================  ==============
entity         file (``table``)  database model     frozen record        fake data
=============  ================  =================  ===================  ==============
ENTERPRISE     enterprises       Enterprise         Firm                 _Firm
INSPECTOR      inspectors        Inspector          InspectorRec         _Inspector
POSITIVE_LIST  positive_list     PositiveListEntry  PositiveEntry        tuples
CONFLICT       conflicts         ConflictEntry      Conflict             tuples
HISTORY        history           HistoryEntry       Inspection           tuples
RESULT         results           Result             ResultRow (parsed)   —
=============  ================  =================  ===================  ==============

A new input column is a new ``Field`` (with ``frozen=False``: the frozen fields are the
bundle format ``draw-v1`` and the plan commitment hashes them) plus an Alembic migration;
see README "Developer notes". Standard library only: ``core`` builds on this module.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from inspect_sched.schema import vocab

Kind = Literal["text", "key", "uscc", "enum", "date", "bool", "list"]
"""How a cell is read: ``key`` is an NFKC-normalised required identifier, ``uscc`` a checked
统一社会信用代码, ``list`` a ``;``-separated set stored sorted and ``;``-joined."""

_NO_DEFAULT: Any = dataclasses.MISSING


@dataclass(frozen=True)
class Field:
    name: str
    headers: tuple[str, ...]  # accepted Chinese headers; the first is the one fake data writes
    kind: Kind = "text"
    enum: Mapping[str, str] | None = None  # accepted word -> canonical word (kind "enum")
    default: Any = ""  # used for an empty cell of an optional field
    required: bool = False
    frozen: bool = True  # part of the draw's frozen inputs (record and inputs/*.csv)
    imported: bool = True  # read from the user's file
    stored: bool = True  # a column of the entity's database table
    db: Mapping[str, Any] = dataclasses.field(default_factory=dict)  # extra sqlmodel.Field arguments

    @property
    def record_type(self) -> Any:
        """The Python type of the field in a frozen record."""
        return {"date": dt.date, "bool": bool, "list": tuple[str, ...]}.get(self.kind, str)

    @property
    def column_type(self) -> Any:
        """The Python type of the database column (lists are stored ``;``-joined)."""
        return {"date": dt.date, "bool": bool}.get(self.kind, str)


@dataclass(frozen=True)
class Entity:
    name: str  # registry name
    table: str  # the file kind, the key of ``COLUMNS`` and ``inputs/<table>.csv``
    fields: tuple[Field, ...]
    extra: bool = False  # unknown columns are kept as JSON in the ``extra`` column

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def imported(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.imported)

    @property
    def stored(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.stored)

    @property
    def frozen(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.frozen)

    @property
    def columns(self) -> dict[str, tuple[str, ...]]:
        """Canonical name -> accepted Chinese headers, for the importer's header matching."""
        return {f.name: f.headers for f in self.imported}

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.imported if f.required)

    def record_class(self, name: str, *, frozen: bool = True, module: str | None = None) -> type:
        """A dataclass with the entity's frozen fields in registry order (positional order matters:
        it is the column order of ``inputs/<table>.csv``)."""
        cls = dataclasses.make_dataclass(
            name, [(f.name, f.record_type) for f in self.frozen], frozen=frozen,
        )
        if module is not None:
            cls.__module__ = module
        return cls


ENTERPRISE = Entity("enterprise", "enterprises", extra=True, fields=(
    Field("uscc", ("统一社会信用代码", "信用代码", "社会信用代码"), "uscc", required=True,
          db={"index": True, "unique": True, "max_length": 18}),
    Field("name", ("单位名称", "企业名称"), required=True),
    Field("district", ("所属区县", "行政区划"), required=True, db={"index": True}),
    Field("category", ("监管类别",), "enum", vocab.CATEGORY, default="general"),
    Field("credit", ("环境信用等级", "信用等级"), "enum", vocab.CREDIT, default="blue"),
    Field("risk", ("环境风险等级", "风险等级"), "enum", vocab.RISK, default="low"),
    Field("status", ("经营状态",), "enum", vocab.STATUS, default="active"),
    Field("industry", ("行业",)),
    Field("address", ("地址",)),
    Field("tags", ("标签",), "list"),
))

INSPECTOR = Entity("inspector", "inspectors", extra=True, fields=(
    Field("inspector_id", ("执法证号",), "key", required=True, db={"index": True, "unique": True}),
    Field("name", ("姓名",), required=True),
    Field("unit", ("所属单位",)),
    Field("district", ("所属区县",)),
    Field("department", ("部门",), default=vocab.DEFAULT_DEPARTMENT),
    Field("cert_valid_until", ("执法证有效期至",), "date", default=_NO_DEFAULT, required=True),
    Field("active", ("在岗",), "bool", default=True),
    Field("specialties", ("专长",), "list"),
))

POSITIVE_LIST = Entity("positive_list_entry", "positive_list", fields=(
    Field("uscc", ("统一社会信用代码",), "uscc", required=True, db={"index": True}),
    Field("start", ("纳入日期",), "date", default=_NO_DEFAULT, required=True),
    # Empty: start + 3 years (importers checks the order of the two dates).
    Field("end", ("有效期至",), "date", default=None),
))

CONFLICT = Entity("conflict", "conflicts", fields=(
    Field("inspector_id", ("执法证号",), "key", required=True, db={"index": True}),
    Field("uscc", ("统一社会信用代码",), "uscc", required=True, db={"index": True}),
    Field("reason", ("回避事由",)),
))

HISTORY = Entity("inspection", "history", fields=(
    Field("uscc", ("统一社会信用代码",), "uscc", required=True, db={"index": True}),
    Field("date", ("检查日期",), "date", default=_NO_DEFAULT, required=True),
    Field("kind", ("检查类型",), "enum", vocab.KIND, default=_NO_DEFAULT, required=True),
    Field("inspector_ids", ("检查人员执法证号",), "list"),
    # Where a past inspection comes from: ``import``, ``result:<draw>`` or ``draw:<draw>``.
    Field("source", (), imported=False, stored=False),
))

RESULT = Entity("result", "results", fields=(
    Field("uscc", ("统一社会信用代码",), "uscc", required=True, frozen=False, db={"primary_key": True}),
    Field("date", ("检查日期",), "date", default=_NO_DEFAULT, required=True, frozen=False),
    Field("result", ("检查结果",), required=True, frozen=False),
    Field("measures", ("处理措施",), frozen=False),
    Field("inspector_ids", ("实际检查人员执法证号", "检查人员执法证号"), "list", frozen=False),
))

ENTITIES: dict[str, Entity] = {e.table: e for e in (ENTERPRISE, INSPECTOR, POSITIVE_LIST, CONFLICT, HISTORY, RESULT)}
"""By file kind (``enterprises``, ``inspectors``, ``positive_list``, ``conflicts``, ``history``, ``results``)."""

COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {k: e.columns for k, e in ENTITIES.items()}
REQUIRED: dict[str, tuple[str, ...]] = {k: e.required for k, e in ENTITIES.items()}
