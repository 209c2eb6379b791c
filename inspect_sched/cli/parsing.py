"""Command-line strings into the library's typed arguments; errors name the flag."""

from __future__ import annotations

from collections.abc import Iterable

import click

from inspect_sched.core.frame import normalize_filters
from inspect_sched.errors import DrawError, InspectSchedError
from inspect_sched.outputs.formats import PublicFormat, check_formats


def _split(text: str) -> list[str]:
    return [p.strip() for p in text.replace("，", ",").split(",") if p.strip()]


def parse_filters(items: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """``--filter district=荷塘区,芦淞区 --filter tag=涉危废`` -> canonical ``{field: sorted values}``."""
    out: dict[str, list[str]] = {}
    for item in items:
        field, sep, values = item.partition("=")
        if not sep or not values.strip():
            raise DrawError(f"--filter {item!r}: write FIELD=VALUE[,VALUE...], e.g. --filter district=荷塘区")
        try:
            one = normalize_filters({field: _split(values)})
        except DrawError as exc:
            raise DrawError(f"--filter {item!r}: {exc}") from None
        for k, v in one.items():
            out.setdefault(k, []).extend(v)
    return normalize_filters(out)


def parse_departments(text: str | None) -> tuple[str, ...]:
    """``--departments 生态环境,市场监管`` -> the departments (none: the library's default)."""
    if not text:
        return ()
    deps = _split(text)
    if not deps:
        raise click.UsageError("--departments is empty; give e.g. --departments 生态环境,市场监管")
    for d in deps:
        sep = next((c for c in ";；、/ " if c in d), None)
        if sep is not None:
            raise click.UsageError(f"--departments {text!r}: separate departments with a comma, not {sep!r}: "
                                   f"--departments {','.join(p for x in deps for p in x.replace(sep, ',').split(',') if p)}")
    return tuple(deps)


def parse_formats(text: str) -> tuple[PublicFormat, ...]:
    """``--format xlsx,csv`` -> the formats, in the order given, each once."""
    try:
        return check_formats(p.strip().lower() for p in text.split(",") if p.strip())
    except InspectSchedError as exc:
        raise InspectSchedError(f"{exc} (comma-separated)") from None


def parse_head_hash(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """``--head``: the full hash `ledger head` prints (its ``(entry #N)`` note may be pasted too).
    A prefix, as `ledger list` shows, is refused: it would read as a rewritten chain."""
    if value is None:
        return None
    words = value.split()
    digest = words[0].lower() if words else ""
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise click.BadParameter(
            f"give the full 64-character hash that `ledger head` printed (got {len(digest)} characters); "
            "a shortened hash, as `ledger list` shows, cannot prove that the chain still holds it")
    return digest
