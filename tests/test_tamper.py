"""Tamper evidence: any changed byte of a bundle is found by ``verify`` (naming the file);
any edit of the stored records is found by ``ledger verify`` (naming what changed).

Also the confidentiality of what is written: bundles (and exported copies) owner-only.
"""

from __future__ import annotations

import json
import shutil
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from dbdump import dump
from helpers import draw, drawn_firms, full_results, results_csv, small_pool
from sqlalchemy import delete, text, update
from sqlmodel import Session, select

from inspect_sched.cli import cli
from inspect_sched.store.db import get_engine
from inspect_sched.store.models import Draw, DrawFile, DrawFirm, LedgerEntry, Result

BUNDLE_FILES = [
    "assignments.csv",
    "assignments.xlsx",
    "certificate.json",
    "frame.csv",
    "inputs/conflicts.csv",
    "inputs/enterprises.csv",
    "inputs/history.csv",
    "inputs/inspectors.csv",
    "inputs/positive_list.csv",
    "manifest.json",
    "sample.csv",
]


def run(db: str | None, *args: str, code: int = 0) -> str:
    r = CliRunner().invoke(cli, [*(["--db", db] if db else []), *args])
    assert r.exception is None or isinstance(r.exception, SystemExit), (
        f"{type(r.exception).__name__}: {r.exception}\n{r.output}"
    )
    assert "Traceback" not in r.output
    assert r.exit_code == code, r.output
    return r.output


# ---------------------------------------------------------------------------- bundle files


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("tamper_bundle")
    url = f"sqlite:///{tmp / 'b.db'}"
    engine = get_engine(url)
    from inspect_sched.store.db import init_db

    init_db(engine)
    small_pool(engine)
    draw(engine, tmp / "bundle")
    return tmp / "bundle"


def test_bundle_lists_exactly_these_files(bundle: Path) -> None:
    assert sorted(p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file()) == BUNDLE_FILES
    assert run(None, "verify", str(bundle)).splitlines()[0] == "verified"


@pytest.mark.parametrize("flip", [0x01, 0x80], ids=["low_bit", "high_bit"])
@pytest.mark.parametrize("name", BUNDLE_FILES)
def test_any_changed_byte_is_found_and_the_file_named(
    bundle: Path, tmp_path: Path, name: str, flip: int
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(bundle, copy)
    target = copy / name
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= flip
    target.write_bytes(bytes(data))
    out = run(None, "verify", str(copy), code=1)
    assert f"  {name}:" in out, out
    assert "verified" not in out.splitlines()[-1]


@pytest.mark.parametrize("change", ["add_file", "delete_file", "rename_file"])
def test_added_deleted_or_renamed_file_is_found(bundle: Path, tmp_path: Path, change: str) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(bundle, copy)
    if change == "add_file":
        (copy / "notes.txt").write_text("extra", encoding="utf-8")
        want = "notes.txt"
    elif change == "delete_file":
        (copy / "sample.csv").unlink()
        want = "sample.csv"
    else:
        (copy / "frame.csv").rename(copy / "frame2.csv")
        want = "frame.csv"
    out = run(None, "verify", str(copy), code=1)
    assert want in out, out


# ---------------------------------------------------------------------------- stored records


def _sql(url: str, stmt, params: dict | None = None) -> None:  # type: ignore[no-untyped-def]
    with Session(get_engine(url)) as s:
        s.execute(stmt if not isinstance(stmt, str) else text(stmt), params or {})
        s.commit()


def _ledger(url: str, seq: int) -> LedgerEntry:
    with Session(get_engine(url)) as s:
        e = s.get(LedgerEntry, seq)
        assert e is not None
        s.expunge(e)
        return e


def t_draw_seed(url: str, d: int, uscc: str) -> str:
    _sql(url, update(Draw).where(Draw.id == d).values(seed="11111111111111111111"))
    return "stored draw's seed"


def t_draw_period(url: str, d: int, uscc: str) -> str:
    _sql(url, update(Draw).where(Draw.id == d).values(period="2026-11"))
    return "stored draw's period"


def t_draw_manifest_hash(url: str, d: int, uscc: str) -> str:
    _sql(url, update(Draw).where(Draw.id == d).values(manifest_sha256="0" * 64))
    return "manifest.json was changed"


def t_draw_superseded(url: str, d: int, uscc: str) -> str:
    # Marking the only draw as superseded would silently take its firms out of the counts.
    _sql(url, update(Draw).where(Draw.id == d).values(superseded_by=d + 100))
    return "superseded"


def t_drawfirm_team(url: str, d: int, uscc: str) -> str:
    _sql(
        url,
        update(DrawFirm)
        .where(DrawFirm.draw_id == d, DrawFirm.uscc == uscc)
        .values(inspector_ids="ZZ4302000000;ZZ4302000001"),
    )
    return uscc


def t_drawfirm_name(url: str, d: int, uscc: str) -> str:
    # The public sheet prints this name.
    _sql(url, update(DrawFirm).where(DrawFirm.draw_id == d, DrawFirm.uscc == uscc).values(name="另一家公司"))
    return uscc


def t_drawfirm_added(url: str, d: int, uscc: str) -> str:
    with Session(get_engine(url)) as s:
        s.add(DrawFirm(draw_id=d, uscc="91430200MA4L00001X", name="x", district="x", stratum="key"))
        s.commit()
    return "91430200MA4L00001X"


def t_result_row(url: str, d: int, uscc: str) -> str:
    _sql(
        url,
        update(Result)
        .where(Result.draw_id == d, Result.uscc == uscc)
        .values(result="立案查处", measures="罚款"),
    )
    return "results changed since ledger entry 2"


def t_result_deleted(url: str, d: int, uscc: str) -> str:
    _sql(url, delete(Result).where(Result.draw_id == d, Result.uscc == uscc))
    return "results changed since ledger entry 2"


def t_drawfile_content(url: str, d: int, uscc: str) -> str:
    with Session(get_engine(url)) as s:
        f = s.get(DrawFile, (d, "frame.csv"))
        assert f is not None
        f.content = f.content.replace(b"\n", b"\r\n", 1)
        s.add(f)
        s.commit()
    return "stored frame.csv was changed"


def t_drawfile_deleted(url: str, d: int, uscc: str) -> str:
    _sql(url, delete(DrawFile).where(DrawFile.draw_id == d, DrawFile.name == "sample.csv"))
    return "sample.csv"


def t_drawfile_manifest(url: str, d: int, uscc: str) -> str:
    with Session(get_engine(url)) as s:
        f = s.get(DrawFile, (d, "manifest.json"))
        assert f is not None
        f.content = f.content.replace(b'"seed"', b'"seed" ', 1)
        s.add(f)
        s.commit()
    return "manifest.json was changed"


def t_ledger_body(url: str, d: int, uscc: str) -> str:
    e = _ledger(url, 1)
    body = json.loads(e.body)
    body["seed"] = "11111111111111111111"
    _sql(
        url,
        update(LedgerEntry)
        .where(LedgerEntry.sequence == 1)
        .values(body=json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))),
    )
    return "ledger entry 1: hash does not match its body"


def t_ledger_hash(url: str, d: int, uscc: str) -> str:
    _sql(url, update(LedgerEntry).where(LedgerEntry.sequence == 1).values(hash="f" * 64))
    return "ledger entry 1: hash does not match its body"


def t_ledger_rewritten(url: str, d: int, uscc: str) -> str:
    """A forger who recomputes entry 1's hash after editing it still breaks entry 2's link."""
    from inspect_sched.audit.bundle import sha256_hex

    e = _ledger(url, 1)
    body = e.body.replace('"seed":"', '"seed":"9', 1)
    assert body != e.body
    new_hash = sha256_hex((e.prev_hash + "\n" + body).encode("utf-8"))
    _sql(url, update(LedgerEntry).where(LedgerEntry.sequence == 1).values(body=body, hash=new_hash))
    return "ledger entry 2: prev_hash"


def t_ledger_deleted(url: str, d: int, uscc: str) -> str:
    _sql(url, delete(LedgerEntry).where(LedgerEntry.sequence == 1))
    return "expected sequence 1"


def t_ledger_last_deleted(url: str, d: int, uscc: str) -> str:
    _sql(url, delete(LedgerEntry).where(LedgerEntry.sequence == 2))
    return "has results but no results ledger entry"


def t_ledger_swapped(url: str, d: int, uscc: str) -> str:
    with Session(get_engine(url)) as s:
        s.execute(update(LedgerEntry).where(LedgerEntry.sequence == 1).values(sequence=-1))
        s.execute(update(LedgerEntry).where(LedgerEntry.sequence == 2).values(sequence=1))
        s.execute(update(LedgerEntry).where(LedgerEntry.sequence == -1).values(sequence=2))
        s.commit()
    return "ledger entry 1: prev_hash"


TAMPERS: dict[str, Callable[[str, int, str], str]] = {
    name[2:]: fn for name, fn in globals().items() if name.startswith("t_") and callable(fn)
}


def test_every_kind_of_stored_record_is_tampered() -> None:
    assert len(TAMPERS) >= 15


@pytest.mark.parametrize("tamper", sorted(TAMPERS))
def test_edited_records_are_found_by_ledger_verify(db_url: str, tmp_path: Path, tamper: str) -> None:
    engine = get_engine(db_url)
    small_pool(engine)
    d = draw(engine, tmp_path / "bundle")
    rows = full_results(engine, d.draw_id)
    run(db_url, "results", "import", str(results_csv(tmp_path / "r.csv", rows)), "--draw", str(d.draw_id))
    assert "ledger verified: 2 entries" in run(db_url, "ledger", "verify")
    uscc = drawn_firms(engine, d.draw_id)[1].uscc
    before = dump(db_url)
    expected = TAMPERS[tamper](db_url, d.draw_id, uscc)
    assert dump(db_url) != before, "the tamper did not change anything"
    out = run(db_url, "ledger", "verify", code=1)
    assert expected in out, out


# ---------------------------------------------------------------------------- confidentiality


def _owner_only(folder: Path) -> None:
    for p in [folder, *folder.rglob("*")]:
        mode = stat.S_IMODE(p.stat().st_mode)
        assert mode & 0o077 == 0, f"{p} is {oct(mode)}"
        assert mode == (0o700 if p.is_dir() else 0o600), f"{p} is {oct(mode)}"


def test_bundle_and_its_export_are_owner_only(sqlite_url: str, tmp_path: Path) -> None:
    engine = get_engine(sqlite_url)
    small_pool(engine)
    d = draw(engine, tmp_path / "bundle")
    _owner_only(tmp_path / "bundle")
    run(sqlite_url, "export", "--draw", str(d.draw_id), "--out", str(tmp_path / "again"))
    _owner_only(tmp_path / "again")
    with Session(engine) as s:
        stored = {f.name: f.content for f in s.exec(select(DrawFile).where(DrawFile.draw_id == d.draw_id))}
    assert {n: (tmp_path / "again" / n).read_bytes() for n in stored} == stored
    assert run(None, "verify", str(tmp_path / "again")).splitlines()[0] == "verified"
