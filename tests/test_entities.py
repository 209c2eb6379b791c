"""The entity registry is the one source of every input table's columns: the models, the
frozen records, the import headers and the fake data all follow it."""

from __future__ import annotations

import dataclasses

from inspect_sched.core.inputs import TABLES, Inputs
from inspect_sched.schema.entities import COLUMNS, ENTITIES, REQUIRED
from inspect_sched.store import importers
from inspect_sched.store.models import (
    ConflictEntry,
    Enterprise,
    HistoryEntry,
    InspectionItem,
    Inspector,
    ItemResult,
    PositiveListEntry,
    Result,
)
from inspect_sched.synth import fakedata

MODELS = {"enterprises": Enterprise, "inspectors": Inspector, "positive_list": PositiveListEntry,
          "conflicts": ConflictEntry, "history": HistoryEntry, "results": Result,
          "items": InspectionItem, "item_results": ItemResult}
# Columns a table has beyond its entity's fields: keys, the extras, provenance.
TABLE_ONLY = {"enterprises": {"id", "extra"}, "inspectors": {"id", "extra"}, "positive_list": {"id"},
              "conflicts": {"id"}, "history": {"id", "draw_id"}, "results": {"draw_id", "deviates", "recorded_sequence"},
              "items": {"id", "extra"}, "item_results": {"draw_id"}}


def test_models_have_exactly_the_stored_fields() -> None:
    for table, entity in ENTITIES.items():
        columns = [c.name for c in MODELS[table].__table__.columns]
        stored = [f.name for f in entity.stored]
        assert [c for c in columns if c not in TABLE_ONLY[table]] == stored, table
        assert set(columns) - set(stored) == TABLE_ONLY[table], table


def test_records_and_canonical_csv_follow_the_frozen_fields_in_order() -> None:
    empty = Inputs([], [], [], [], []).to_csv_files()
    for table, record in TABLES.items():
        names = [f.name for f in ENTITIES[table].frozen]
        assert [f.name for f in dataclasses.fields(record)] == names, table
        assert empty[f"inputs/{table}.csv"].decode() == ",".join(names) + "\n", table
    # The draw-v1 columns, spelled out: changing them breaks every old bundle.
    assert [f.name for f in dataclasses.fields(TABLES["enterprises"])] == [
        "uscc", "name", "district", "category", "credit", "risk", "status", "industry", "address", "tags"]
    assert [f.name for f in dataclasses.fields(TABLES["history"])] == [
        "uscc", "date", "kind", "inspector_ids", "source"]


def test_import_headers_and_required_columns_come_from_the_registry() -> None:
    for table, entity in ENTITIES.items():
        assert COLUMNS[table] == {f.name: f.headers for f in entity.fields if f.imported}
        assert REQUIRED[table] == tuple(f.name for f in entity.fields if f.imported and f.required)
        assert importers.KINDS[table].entity is entity
    assert "source" not in COLUMNS["history"]  # provenance is never read from a user's file


def test_fake_data_writes_the_frozen_imported_fields() -> None:
    files, _ = fakedata.build(20, 10, "entities")
    for table in ("enterprises", "inspectors", "positive_list", "conflicts", "history"):
        header = files[f"{table}.csv"].decode("utf-8-sig").splitlines()[0].split(",")
        assert header == [f.headers[0] for f in ENTITIES[table].frozen if f.imported], table
