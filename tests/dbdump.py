"""Dump every table of a database into one comparable, ordered structure.

``dump(url)`` returns ``{table: [row tuple, ...]}`` for every table the database has
(the schema's tables and anything else, e.g. ``schema_meta``), rows sorted by all their
columns, so two dumps compare equal exactly when the stored data is the same. Bytes
stay bytes, dates stay dates: the comparison is byte-for-byte on every value.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import MetaData, create_engine, select
from sqlalchemy.engine import Engine


def _key(value: Any) -> tuple[int, str, Any]:
    # None sorts first; values of different types never compare directly.
    if value is None:
        return (0, "", "")
    return (1, type(value).__name__, value)


def dump(url_or_engine: str | Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, ordered; compare two dumps with ``==``."""
    engine = create_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
    meta = MetaData()
    meta.reflect(bind=engine)
    out: dict[str, list[tuple[Any, ...]]] = {}
    try:
        with engine.connect() as conn:
            for name in sorted(meta.tables):
                table = meta.tables[name]
                rows = [
                    tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)
                    for row in conn.execute(select(table))
                ]
                out[name] = sorted(rows, key=lambda r: tuple(_key(v) for v in r))
    finally:
        if isinstance(url_or_engine, str):
            engine.dispose()
    return out


def diff(before: dict[str, list[tuple[Any, ...]]], after: dict[str, list[tuple[Any, ...]]]) -> list[str]:
    """A short human list of what changed, for assertion messages."""
    out = []
    for name in sorted(set(before) | set(after)):
        a, b = before.get(name), after.get(name)
        if a != b:
            out.append(f"{name}: {len(a or [])} -> {len(b or [])} rows")
    return out
