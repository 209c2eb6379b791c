"""Publication on time (SPEC §8): working-day deadlines, publishing as results trickle in, status."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import drawn_firms, full_results, results_csv, small_pool
from openpyxl import load_workbook
from sqlalchemy import update
from sqlmodel import Session, select

from inspect_sched.cli import cli
from inspect_sched.errors import InspectSchedError
from inspect_sched.outputs import status as status_mod
from inspect_sched.outputs.status import draw_status
from inspect_sched.schema.workdays import (
    CalendarError,
    add_working_days,
    is_working_day,
    publication_deadline,
)
from inspect_sched.store.db import get_engine
from inspect_sched.store.models import LedgerEntry, Publication, Result

D = dt.date.fromisoformat

# ---------------------------------------------------------------------------- the calendar
#
# Expected dates are counted by hand from the State Council's notices, not by the function:
# - 国务院办公厅关于2025年部分节假日安排的通知 (国办发明电〔2024〕12号): 春节 1月28日至2月4日放假
#   调休，1月26日（周日）、2月8日（周六）上班；国庆节、中秋节 10月1日至8日放假调休，
#   9月28日（周日）、10月11日（周六）上班。
# - 国务院办公厅关于2026年部分节假日安排的通知 (国办发明电〔2025〕7号): 春节 2月15日至23日放假
#   调休，2月14日（周六）、2月28日（周六）上班；中秋节 9月25日（周五）至27日放假；国庆节 10月1日至7日放假调休，
#   9月20日（周日）、10月10日（周六）上班。


@pytest.mark.parametrize(("day", "working"), [
    ("2025-09-28", True),   # Sunday, 调休 working day
    ("2025-10-08", False),  # holiday (国庆+中秋, 8 days)
    ("2025-10-11", True),   # Saturday, 调休 working day
    ("2026-02-14", True),   # Saturday, 调休 working day before 春节
    ("2026-02-23", False),  # last day of 春节
    ("2026-02-28", True),   # Saturday, 调休 working day after 春节
    ("2026-03-07", False),  # an ordinary Saturday
    ("2026-09-20", True),   # Sunday, 调休 before 国庆
    ("2026-10-10", True),   # Saturday, 调休 after 国庆
])
def test_working_days_follow_the_state_council_schedule(day: str, working: bool) -> None:
    assert is_working_day(D(day)) is working


def test_deadline_across_guoqing_2025_counts_both_tiaoxiu_days() -> None:
    # Inspected Friday 2025-09-26. Working days after it: 9/28 (Sun, 调休) 1, 9/29 2, 9/30 3,
    # [10/1–10/8 holiday], 10/9 4, 10/10 5, 10/11 (Sat, 调休) 6, 10/13–17 7–11, 10/20–24 12–16,
    # 10/27 17, 10/28 18, 10/29 19, 10/30 20.
    assert publication_deadline(D("2025-09-26")) == D("2025-10-30")
    # A plain Monday-to-Friday count would give 2025-10-24: the calendar matters.
    assert publication_deadline(D("2025-09-26")) != D("2025-10-24")


def test_deadline_across_chunjie_2026_counts_both_saturdays() -> None:
    # Inspected Friday 2026-02-13. 2/14 (Sat, 调休) 1, [2/15–2/23 holiday], 2/24 2, 2/25 3, 2/26 4,
    # 2/27 5, 2/28 (Sat, 调休) 6, 3/2–6 7–11, 3/9–13 12–16, 3/16 17, 3/17 18, 3/18 19, 3/19 20.
    assert publication_deadline(D("2026-02-13")) == D("2026-03-19")


def test_deadline_from_inside_a_holiday_and_across_guoqing_2026() -> None:
    # Inspected on a holiday (2026-10-03): 10/8 1, 10/9 2, 10/10 (Sat, 调休) 3, 10/12–16 4–8,
    # 10/19–23 9–13, 10/26–30 14–18, 11/2 19, 11/3 20.
    assert publication_deadline(D("2026-10-03")) == D("2026-11-03")
    # Inspected Friday 2026-09-18: 9/20 (Sun, 调休) 1, 9/21–24 2–5, [9/25 中秋], 9/28 6, 9/29 7,
    # 9/30 8, [10/1–10/7], 10/8 9, 10/9 10, 10/10 (Sat) 11, 10/12–16 12–16, 10/19 17, 10/20 18,
    # 10/21 19, 10/22 20.
    assert publication_deadline(D("2026-09-18")) == D("2026-10-22")
    assert add_working_days(D("2026-09-18"), 1) == D("2026-09-20")


def _calendar_ends_2026(monkeypatch: pytest.MonkeyPatch) -> None:
    """The package as it was in late 2026 (1.11: years up to 2026), whatever is installed."""
    import chinese_calendar

    real = chinese_calendar.is_workday

    def is_workday(day: dt.date) -> bool:
        if day.year > 2026:
            raise NotImplementedError(f"no data for {day.year}")
        return bool(real(day))

    monkeypatch.setattr(chinese_calendar, "is_workday", is_workday)


def test_a_year_the_package_does_not_know_is_an_error_not_a_guess(monkeypatch: pytest.MonkeyPatch) -> None:
    _calendar_ends_2026(monkeypatch)
    with pytest.raises(CalendarError, match=r"does not know the year 2027 yet.*upgrade"):
        publication_deadline(D("2026-12-20"))
    assert publication_deadline(D("2026-11-02")) == D("2026-11-30")  # a known year still counts
    assert issubclass(CalendarError, InspectSchedError)  # the CLI turns it into exit 1


# ---------------------------------------------------------------------------- publishing as results arrive


def run(url: str, *args: str, code: int = 0) -> str:
    res = CliRunner().invoke(cli, ["--db", url, *args])
    assert res.exit_code == code, f"exit {res.exit_code} != {code}\n{res.output}"
    assert "Traceback" not in res.output
    return res.output


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def _csv_codes(p: Path) -> list[str]:
    rows = list(csv.reader(io.StringIO(p.read_bytes().decode("utf-8-sig"))))
    assert rows[0][0] == "序号"
    return [r[5] for r in rows[1:]]


def test_publication_as_results_trickle_in(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The results are dated today (the import refuses other dates before the draw was made), so
    # their real deadline may fall in a year the calendar does not know yet; the arithmetic is
    # tested above with hand-checked dates, here a fixed stand-in keeps the bookkeeping testable.
    monkeypatch.setattr(status_mod, "publication_deadline", lambda d: d + dt.timedelta(days=28))
    engine = get_engine(db_url)
    small_pool(engine)
    run(db_url, "draw", "--period", "2026-12", "--seed", "20261201093015482736", "--out", str(tmp_path / "b"))
    firms = drawn_firms(engine, 1)
    rows = full_results(engine, 1)
    pub = tmp_path / "pub"
    batches = [rows[:2], rows[2:5], rows[5:]]
    seen: list[str] = []
    for k, batch in enumerate(batches, start=1):
        run(db_url, "results", "import", str(results_csv(tmp_path / f"r{k}.csv", batch)), "--draw", "1")
        seen += [r["uscc"] for r in batch]
        before = json.loads(run(db_url, "status", "--draw", "1", "--json"))
        assert before["with_result"] == len(seen) and before["unpublished"] == len(batch)
        out = run(db_url, "publish", "--draw", "1", "--out", str(pub))
        assert f"published version {k}" in out
        st = json.loads(run(db_url, "status", "--draw", "1", "--json"))
        assert set(st) == {"draw_id", "period", "task", "drawn", "with_result", "published", "unpublished",
                           "overdue", "deadlines"}
        assert (st["drawn"], st["with_result"], st["published"], st["unpublished"], st["overdue"]) == (
            len(firms), len(seen), len(seen), 0, 0)
        assert sorted(d["uscc"] for d in st["deadlines"]) == sorted(seen)
        assert all(d["published"] and D(d["deadline"]) == D(d["date"]) + dt.timedelta(days=28)
                   for d in st["deadlines"])
        # Version k names exactly the firms with results, never a pending one.
        assert sorted(_csv_codes(pub / f"public-draw-1-v{k}.csv")) == sorted(seen)
        assert (pub / "public-draw-1.csv").read_bytes() == (pub / f"public-draw-1-v{k}.csv").read_bytes()
        pending = {f.uscc for f in firms} - set(seen)
        for p in pub.glob(f"public-draw-1-v{k}.*"):
            text = p.read_bytes().decode("utf-8-sig") if p.suffix != ".xlsx" else "\n".join(
                str(v) for r in load_workbook(p).active.iter_rows(values_only=True) for v in r if v is not None)
            assert not [u for u in pending if u in text], p.name
        sidecar = json.loads((pub / f"public-draw-1-v{k}.json").read_text("utf-8"))
        assert (sidecar["version"], sidecar["published"], sidecar["pending"]) == (k, len(seen), len(pending))

    # Each version is one ledger entry holding the SHA-256 of every file it wrote.
    with Session(engine) as s:
        entries = [json.loads(e.body) for e in s.exec(select(LedgerEntry).where(LedgerEntry.kind == "publish")
                                                      .order_by(LedgerEntry.sequence))]
    assert [e["version"] for e in entries] == [1, 2, 3]
    last = entries[-1]
    assert last["count"] == len(firms)
    for name, digest in last["files"].items():
        assert _sha(pub / name) == digest, name
    assert set(last["files"]) == {f"public-draw-1{v}.{x}" for v in ("", "-v3") for x in ("csv", "html", "json", "xlsx")}
    assert "chain intact" in run(db_url, "ledger", "verify")
    # Nothing new: no new version, no ledger entry.
    assert "nothing new since version 3" in run(db_url, "publish", "--draw", "1", "--out", str(pub))
    with Session(engine) as s:
        assert len(s.exec(select(Publication)).all()) == 3

    # A publication record edited behind the ledger's back is named.
    with Session(engine) as s:
        s.execute(update(Publication).where(Publication.version == 2).values(firms=firms[0].uscc))
        s.commit()
    out = run(db_url, "ledger", "verify", code=1)
    assert "publication of draw 1, version 2" in out


def test_status_deadlines_and_overdue_on_real_calendar(db_url: str, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    engine = get_engine(db_url)
    small_pool(engine)
    run(db_url, "draw", "--period", "2026-12", "--seed", "20261201093015482736", "--out", str(tmp_path / "b"))
    rows = full_results(engine, 1)[:3]
    run(db_url, "results", "import", str(results_csv(tmp_path / "r.csv", rows)), "--draw", "1")
    run(db_url, "publish", "--draw", "1", "--out", str(tmp_path / "pub"))
    # Move the recorded dates to hand-checked days (status reads only the database): the first
    # firm stays published; the other two are re-recorded as unpublished ones by a new result
    # row for firms the publication did not name.
    a, b, c = (r["uscc"] for r in rows)
    with Session(engine) as s:
        s.execute(update(Publication).values(firms=a))
        s.execute(update(Result).where(Result.uscc == a).values(date=D("2025-09-26")))
        s.execute(update(Result).where(Result.uscc == b).values(date=D("2025-09-26")))
        s.execute(update(Result).where(Result.uscc == c).values(date=D("2026-02-13")))
        s.commit()
    on_time, = draw_status(engine, 1, today=D("2025-10-30"))  # the 20th working day: still on time
    assert [(d.uscc, d.deadline, d.published) for d in on_time.deadlines] == [
        *sorted([(a, D("2025-10-30"), True), (b, D("2025-10-30"), False)]), (c, D("2026-03-19"), False)]
    assert len(on_time.overdue) == 0 and len(on_time.unpublished) == 2
    soon, = draw_status(engine, 1, today=D("2025-10-24"))
    text = status_mod.status_text([soon], D("2025-10-24"))
    assert "due within 7 days: 1" in text and b in text and "OVERDUE" not in text
    late, = draw_status(engine, 1, today=D("2025-10-31"))
    assert [d.uscc for d in late.overdue] == [b]
    assert late.as_dict()["overdue"] == 1 and late.as_dict()["published"] == 1
    text = status_mod.status_text([late], D("2025-10-31"))
    assert "OVERDUE" in text and b in text and "2025-10-30" in text

    # A result whose deadline needs a year the calendar does not know: that deadline is
    # unknown (never guessed), never counted overdue, and the rest of the status still shows.
    _calendar_ends_2026(monkeypatch)
    with Session(engine) as s:
        s.execute(update(Result).where(Result.uscc == c).values(date=D("2026-12-21")))
        s.commit()
    late, = draw_status(engine, 1, today=D("2027-03-01"))
    assert [d.uscc for d in late.overdue] == [b] and [d.uscc for d in late.unknown] == [c]
    assert late.as_dict()["overdue"] == 1
    assert {d["uscc"]: d["deadline"] for d in late.as_dict()["deadlines"]}[c] is None
    out = run(db_url, "status")
    assert "deadline not yet known: 1 (inspected 2026-12-21 or later" in out
    assert "does not know the year 2027" in out and "upgrade" in out
    assert json.loads(run(db_url, "status", "--json").splitlines()[0])["deadlines"][-1] == {
        "uscc": c, "date": "2026-12-21", "deadline": None, "published": False}


def test_public_xlsx_typed_cells_and_authority(db_url: str, tmp_path: Path) -> None:
    engine = get_engine(db_url)
    small_pool(engine)
    policy = tmp_path / "p.toml"
    policy.write_text('authority = "株洲市生态环境局"\n', encoding="utf-8")
    run(db_url, "draw", "--period", "2026-12", "--seed", "20261201093015482736", "--policy", str(policy),
        "--out", str(tmp_path / "b"))
    rows = full_results(engine, 1)
    run(db_url, "results", "import", str(results_csv(tmp_path / "r.csv", rows)), "--draw", "1")
    pub = tmp_path / "pub"
    run(db_url, "publish", "--draw", "1", "--out", str(pub))
    ws = load_workbook(pub / "public-draw-1.xlsx").active
    values = list(ws.iter_rows(values_only=True))
    at = next(i for i, r in enumerate(values) if r[0] == "序号")
    assert values[at][2] == "检查实施机关"
    first = values[at + 1]
    assert first[0] == 1 and isinstance(first[0], int)
    assert isinstance(first[6], dt.datetime) and first[6].date() == D(rows[0]["date"])
    assert ws.cell(row=at + 2, column=7).number_format == "yyyy-mm-dd"
    assert all(r[2] == "株洲市生态环境局" for r in values[at + 1:])
    assert any("检查实施机关：株洲市生态环境局" in str(r[0]) for r in values[:at])
    assert json.loads((pub / "public-draw-1.json").read_text("utf-8"))["authority"] == ["株洲市生态环境局"]


def test_joint_task_names_each_departments_body() -> None:
    from inspect_sched.outputs.publish import _authorities
    from inspect_sched.schema.policy import load_policy

    policy = load_policy().as_dict()
    policy["authority"] = {"生态环境": "株洲市生态环境局", "市场监管": "株洲市市场监督管理局", "交通运输": "株洲市交通运输局"}
    manifest = {"policy": policy, "departments": ["市场监管", "生态环境"]}
    assert _authorities(manifest) == ["株洲市市场监督管理局", "株洲市生态环境局"]
    assert _authorities({"policy": load_policy().as_dict(), "departments": ["生态环境"]}) == []


def test_a_correction_after_publishing_is_unpublished_again_and_a_repeat_changes_nothing(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A result re-imported with a new 检查结果 after it was published is due again (status says
    so until a publication shows it); the same file imported twice records nothing new."""
    monkeypatch.setattr(status_mod, "publication_deadline", lambda d: d + dt.timedelta(days=28))
    engine = get_engine(db_url)
    small_pool(engine)
    run(db_url, "draw", "--period", "2026-12", "--seed", "20261201093015482736", "--out", str(tmp_path / "b"))
    rows = full_results(engine, 1)[:3]
    first = results_csv(tmp_path / "r1.csv", rows)
    run(db_url, "results", "import", str(first), "--draw", "1")
    with Session(engine) as s:
        entries = s.exec(select(LedgerEntry)).all()
    out = run(db_url, "results", "import", str(first), "--draw", "1")
    assert "nothing new: all 3 row(s) equal the results already recorded (no ledger entry)" in out
    with Session(engine) as s:
        assert len(s.exec(select(LedgerEntry)).all()) == len(entries)
    run(db_url, "publish", "--draw", "1", "--out", str(tmp_path / "pub"))
    status = json.loads(run(db_url, "status", "--draw", "1", "--json"))
    assert status["published"] == 3 and status["unpublished"] == 0
    # The same rows again after publishing: still published.
    run(db_url, "results", "import", str(first), "--draw", "1")
    assert json.loads(run(db_url, "status", "--draw", "1", "--json"))["unpublished"] == 0
    # A correction of one firm: that firm is unpublished until the next version shows it.
    fixed = [dict(rows[0], result="责令改正", measures="罚款十万元"), *rows[1:]]
    out = run(db_url, "results", "import", str(results_csv(tmp_path / "r2.csv", fixed)), "--draw", "1")
    assert "(0 new, 1 replaced, 2 unchanged)" in out
    status = json.loads(run(db_url, "status", "--draw", "1", "--json"))
    assert status["published"] == 2 and status["unpublished"] == 1
    assert [d["uscc"] for d in status["deadlines"] if not d["published"]] == [rows[0]["uscc"]]
    out = run(db_url, "publish", "--draw", "1", "--out", str(tmp_path / "pub"))
    assert "version 2" in out
    assert "罚款十万元" in (tmp_path / "pub" / "public-draw-1.csv").read_text("utf-8-sig")
    status = json.loads(run(db_url, "status", "--draw", "1", "--json"))
    assert status["published"] == 3 and status["unpublished"] == 0
    # Changed and then put back as published: the latest version shows it, so publish (with
    # nothing new to make) settles it and status stops counting it.
    wrong = [dict(fixed[0], result="未发现问题", measures=""), *fixed[1:]]
    run(db_url, "results", "import", str(results_csv(tmp_path / "r3.csv", wrong)), "--draw", "1")
    run(db_url, "results", "import", str(results_csv(tmp_path / "r4.csv", fixed)), "--draw", "1")
    assert json.loads(run(db_url, "status", "--draw", "1", "--json"))["unpublished"] == 1
    assert "nothing new since version 2" in run(db_url, "publish", "--draw", "1", "--out", str(tmp_path / "pub"))
    assert json.loads(run(db_url, "status", "--draw", "1", "--json"))["unpublished"] == 0
    # A correction file without the 处理措施 column keeps the recorded measures.
    short = tmp_path / "r5.csv"
    short.write_text("统一社会信用代码,检查日期,检查结果\n" + f"{rows[0]['uscc']},{rows[0]['date']},责令改正\n",
                     encoding="utf-8-sig")
    out = run(db_url, "results", "import", str(short), "--draw", "1")
    assert "nothing new" in out
    with Session(engine) as s:
        assert s.get(Result, (1, rows[0]["uscc"])).measures == "罚款十万元"


def test_without_an_authority_each_row_names_the_units_that_checked(db_url: str, tmp_path: Path) -> None:
    """No 检查实施机关 column left empty: with no `authority` in the policy, a row names the units
    of its own team, and the header says where the names come from."""
    engine = get_engine(db_url)
    small_pool(engine)
    run(db_url, "draw", "--period", "2026-12", "--seed", "20261201093015482736", "--out", str(tmp_path / "b"))
    rows = full_results(engine, 1)[:4]
    run(db_url, "results", "import", str(results_csv(tmp_path / "r.csv", rows)), "--draw", "1")
    run(db_url, "publish", "--draw", "1", "--out", str(tmp_path / "pub"))
    frozen = {r["inspector_id"]: r for r in csv.DictReader(io.StringIO(
        (tmp_path / "b" / "inputs" / "inspectors.csv").read_text("utf-8")))}
    teams = {r["uscc"]: r["inspector_ids"].split(";") for r in csv.DictReader(io.StringIO(
        (tmp_path / "b" / "assignments.csv").read_text("utf-8")))}
    public = list(csv.DictReader(io.StringIO((tmp_path / "pub" / "public-draw-1.csv").read_text("utf-8-sig"))))
    assert len(public) == 4
    for row in public:
        units = list(dict.fromkeys(frozen[i]["unit"] for i in teams[row["统一社会信用代码"]]))
        assert row["检查实施机关"] == "、".join(units) != ""
    side = json.loads((tmp_path / "pub" / "public-draw-1.json").read_text("utf-8"))
    assert side["authority"] and "departments" not in side
    from openpyxl import load_workbook

    ws = load_workbook(tmp_path / "pub" / "public-draw-1.xlsx").active
    assert any("按检查人员所属单位列示" in str(c.value) for r in ws.iter_rows() for c in r)
