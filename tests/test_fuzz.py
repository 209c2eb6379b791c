"""Fuzzing the file importers with hypothesis: random bytes, and CSV built from the real
header aliases plus junk, with cells of Chinese text, quotes, newlines, NUL bytes, codes
and dates, in every encoding the reader accepts.

Whatever the input: only ``InspectSchedError`` (exit 1 on the command line), never another
exception or a traceback, and an import that fails writes nothing (the full database dump
is unchanged). SQLite only; a bounded number of examples.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner
from dbdump import diff, dump
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inspect_sched.cli import cli
from inspect_sched.errors import InspectSchedError
from inspect_sched.schema import entities, uscc, vocab
from inspect_sched.store import importers
from inspect_sched.store.db import get_engine, init_db

# Long runs (kills, fuzzing, concurrent processes): `-m 'not slow'` skips them locally; CI runs all.
pytestmark = pytest.mark.slow

IMPORTERS = {
    "enterprises": importers.import_enterprises,
    "inspectors": importers.import_inspectors,
    "positive_list": importers.import_positive_list,
    "conflicts": importers.import_conflicts,
    "history": importers.import_history,
}
CLI_KIND = {
    "enterprises": "enterprises",
    "inspectors": "inspectors",
    "positive_list": "positive-list",
    "conflicts": "conflicts",
    "history": "history",
}

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

VALID_CODES = [uscc.make(f"9143020{i:010d}") for i in range(5)]
ENUM_WORDS = sorted(
    {
        w
        for m in (vocab.CATEGORY, vocab.CREDIT, vocab.RISK, vocab.STATUS, vocab.KIND, vocab.BOOLEAN)
        for w in m
    }
)
junk_text = st.text(
    alphabet=st.sampled_from(
        list("甲乙丙丁天元区荷塘有限公司,\"'\n\r\t;；|=\x00 　ＡＢ１２abcXYZ0123456789-/年月日")
    ),
    max_size=30,
)
cells = st.one_of(
    junk_text,
    st.sampled_from(VALID_CODES),
    st.sampled_from(VALID_CODES).map(str.lower),
    st.sampled_from(VALID_CODES).map(lambda c: c[:-1] + "0"),
    st.sampled_from(
        ["2026-12-01", "2026/2/30", "2026年13月1日", "2026-02-29", "0000-01-01", "9999-12-31", "", " "]
    ),
    st.sampled_from(ENUM_WORDS),
    st.text(max_size=20),
    st.integers(-(10**6), 10**6).map(str),
)


def headers_for(kind: str) -> st.SearchStrategy[list[str]]:
    names = sorted({n for c, aliases in entities.COLUMNS[kind].items() for n in (c, *aliases)})
    return st.lists(st.one_of(st.sampled_from(names), junk_text, st.just("")), min_size=0, max_size=8)


@st.composite
def csv_files(draw: st.DrawFn) -> tuple[str, bytes, str]:
    kind = draw(st.sampled_from(sorted(IMPORTERS)))
    header = draw(headers_for(kind))
    width = max(1, len(header))
    rows = draw(st.lists(st.lists(cells, min_size=0, max_size=width + 2), max_size=6))
    buf = io.StringIO()
    if draw(st.booleans()):
        w = csv.writer(buf, lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
        w.writerow(header)
        w.writerows(rows)
    else:  # naive joining: stray quotes and delimiters break the CSV on purpose
        buf.write("\n".join(",".join(r) for r in [header, *rows]))
    text = buf.getvalue()
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]))
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode("utf-8")
    suffix = draw(st.sampled_from([".csv", ".csv", ".txt", ""]))
    return kind, data, suffix


GOOD = {
    "enterprises": [
        st.sampled_from([uscc.make(f"9143020{i:010d}") for i in range(40)]),
        st.text(alphabet="甲乙丙丁有限公司", min_size=1, max_size=6),
        st.sampled_from(["天元区", "荷塘区"]),
    ],
    "inspectors": [
        st.integers(1, 40).map(lambda i: f"ZZ{i:04d}"),
        st.sampled_from(["张三", "李四"]),
        st.sampled_from(["2030-01-01", "2030/1/1", "2030年1月1日"]),
    ],
    "positive_list": [st.sampled_from(VALID_CODES), st.sampled_from(["2026-01-01", "2025-06-30"])],
    "conflicts": [st.integers(1, 40).map(lambda i: f"ZZ{i:04d}"), st.sampled_from(VALID_CODES)],
    "history": [
        st.sampled_from(VALID_CODES),
        st.sampled_from(["2025-01-01", "2025/12/31"]),
        st.sampled_from(["random", "双随机", "专项"]),
    ],
}


@st.composite
def near_valid_files(draw: st.DrawFn) -> tuple[str, bytes, str]:
    """A valid file of a kind, with the odd cell replaced by junk: half of them import."""
    kind = draw(st.sampled_from(sorted(IMPORTERS)))
    required = entities.REQUIRED[kind]
    header = [draw(st.sampled_from([c, *entities.COLUMNS[kind][c]])) for c in required]
    extra = draw(st.lists(junk_text.filter(lambda h: h.strip() and "\x00" not in h), max_size=2))
    header += extra
    rows = []
    for _ in range(draw(st.integers(1, 5))):
        row = [draw(g) for g in GOOD[kind]] + [draw(cells) for _ in extra]
        if draw(st.integers(0, 3)) == 0:
            row[draw(st.integers(0, len(row) - 1))] = draw(cells)
        rows.append(row)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([header, *rows])
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
    try:
        data = buf.getvalue().encode(encoding)
    except UnicodeEncodeError:
        data = buf.getvalue().encode("utf-8")
    return kind, data, ".csv"


@st.composite
def byte_files(draw: st.DrawFn) -> tuple[str, bytes, str]:
    kind = draw(st.sampled_from(sorted(IMPORTERS)))
    prefix = draw(
        st.sampled_from(
            [
                b"",
                b"uscc,name,district\n",
                "统一社会信用代码,单位名称,所属区县\n".encode(),
                b"\xef\xbb\xbf",
                b"PK\x03\x04",
            ]
        )
    )
    data = prefix + draw(st.binary(max_size=300))
    suffix = draw(st.sampled_from([".csv", ".xlsx", ".txt"]))
    return kind, data, suffix


@pytest.fixture(scope="module")
def fuzz_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    tmp = tmp_path_factory.mktemp("fuzz")
    url = f"sqlite:///{tmp / 'fuzz.db'}"
    init_db(get_engine(url))
    # A few rows already there, so a failed import has something to leave alone.
    seed = tmp / "seed.csv"
    seed.write_text(
        "uscc,name,district\n" + "".join(f"{c},企业{i},天元区\n" for i, c in enumerate(VALID_CODES[:3])),
        encoding="utf-8",
    )
    importers.import_enterprises(get_engine(url), seed)
    return url, tmp


COUNTS = {"examples": 0, "imported": 0, "refused": 0}


def _library(url: str, tmp: Path, kind: str, data: bytes, suffix: str) -> None:
    path = tmp / f"in{suffix or ''}"
    if not suffix:
        path = tmp / "in"
    path.write_bytes(data)
    engine = get_engine(url)
    before = dump(engine)
    COUNTS["examples"] += 1
    try:
        IMPORTERS[kind](engine, path)
        COUNTS["imported"] += 1
    except InspectSchedError as exc:
        COUNTS["refused"] += 1
        assert str(exc).startswith(str(path)) or str(path) in str(exc), str(exc)
        after = dump(engine)
        assert before == after, f"a refused import wrote: {diff(before, after)}"
    # The results parser shares the reader; it must fail the same clean way.
    try:
        importers.parse_results_file(path)
    except InspectSchedError:
        pass
    engine.dispose()


@SETTINGS
@given(case=st.one_of(csv_files(), near_valid_files()))
def test_fuzzed_csv_through_the_library(fuzz_db: tuple[str, Path], case: tuple[str, bytes, str]) -> None:
    url, tmp = fuzz_db
    _library(url, tmp, *case)


@settings(SETTINGS, max_examples=100)
@given(case=byte_files())
def test_fuzzed_bytes_through_the_library(fuzz_db: tuple[str, Path], case: tuple[str, bytes, str]) -> None:
    url, tmp = fuzz_db
    _library(url, tmp, *case)


@settings(SETTINGS, max_examples=60)
@given(case=st.one_of(csv_files(), near_valid_files(), byte_files()))
def test_fuzzed_files_through_the_command_line(
    fuzz_db: tuple[str, Path], case: tuple[str, bytes, str]
) -> None:
    url, tmp = fuzz_db
    kind, data, suffix = case
    path = tmp / f"cli{suffix}"
    path.write_bytes(data)
    before = dump(url)
    r = CliRunner().invoke(cli, ["--db", url, "import", CLI_KIND[kind], str(path)])
    assert r.exception is None or isinstance(r.exception, SystemExit), (
        f"{type(r.exception).__name__}: {r.exception}\n{r.output}"
    )
    assert "Traceback" not in r.output
    assert r.exit_code in (0, 1), r.output
    if r.exit_code == 1:
        assert str(path) in r.output, r.output
        assert dump(url) == before


def test_report_fuzz_counts() -> None:
    print(
        f"\n[fuzz] library examples: {COUNTS['examples']} "
        f"({COUNTS['imported']} imported, {COUNTS['refused']} refused cleanly)"
    )
