"""Issue 13: off-site stratum, [modes], cross_district_exempt, items with per-item results and
follow-ups, --filter in Chinese, results errors in one pass, publish --format usage errors."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import cli_ok, drawn_firms, firm_uscc, results_csv, small_pool, today_cn
from sqlalchemy import text
from sqlmodel import Session, select

from inspect_sched.cli import cli
from inspect_sched.core.assign import Rules, assign, check_assignment, pair_exclusions
from inspect_sched.core.assign.rules import Assignment
from inspect_sched.core.inputs import Firm, InspectorRec
from inspect_sched.errors import AssignmentInfeasible, PolicyError
from inspect_sched.schema.policy import load_policy, parse_policy, policy_from_dict
from inspect_sched.store.db import get_engine
from inspect_sched.store.models import DrawFirm, FollowUp, Inspector, ItemResult

OFFSITE_POLICY = """\
positive_list = "offsite"
[strata.key]
ratio = "0.25"
[strata.general]
ratio = "0.05"
[strata.special]
full_coverage = true
[strata.offsite]
full_coverage = true
"""
LISTED = [firm_uscc(i) for i in (1, 2, 3, 4, 5)]  # general firms, put on the positive list


def run(db: str, *args: str) -> tuple[int, str]:
    r = CliRunner().invoke(cli, ["--db", db, *args])
    return r.exit_code, r.output


def _write(path: Path, text_: str) -> Path:
    path.write_text(text_, encoding="utf-8")
    return path


def _positive_list(tmp: Path) -> Path:
    lines = ["统一社会信用代码,纳入日期"] + [f"{u},2026-01-01" for u in LISTED]
    return _write(tmp / "pl.csv", "\n".join(lines) + "\n")


# ----------------------------------------------------------------------------- policy


def test_new_keys_stay_out_of_the_resolved_policy_at_their_defaults() -> None:
    d = load_policy().as_dict()
    assert not {"positive_list", "modes", "cross_district_exempt"} & set(d)
    assert set(d["strata"]) == {"key", "general", "special"}
    # Spelling a default explicitly changes nothing either (same meaning, same bytes).
    same = parse_policy({"positive_list": "exclude", "modes": {"key": "现场"}, "cross_district_exempt": []})
    assert same.as_dict() == d


def test_offsite_policy_round_trips_through_the_manifest_form(tmp_path: Path) -> None:
    toml = 'cross_district_exempt = ["市场监管", "市场监管"]\n' + OFFSITE_POLICY + '[modes]\nspecial = "书面"\n'
    p = load_policy(_write(tmp_path / "p.toml", toml))
    d = p.as_dict()
    assert d["cross_district_exempt"] == ["市场监管"]
    assert d["positive_list"] == "offsite" and d["strata"]["offsite"] == {"full_coverage": True}
    assert d["modes"] == {"special": "书面"}
    assert p.mode("offsite") == "非现场" and p.mode("special") == "书面" and p.mode("key") == "现场"
    assert policy_from_dict(d).as_dict() == d


@pytest.mark.parametrize(("toml", "needle"), [
    ('positive_list = "skip"', "positive_list"),
    ('[strata.offsite]\nratio = "0.1"', 'needs positive_list = "offsite"'),
    ('positive_list = "offsite"', "missing offsite"),
    ('[modes]\nkey = "电话"', "modes.key"),
    ('[modes]\nnowhere = "现场"', "unknown key"),
    ("cross_district_exempt = \"市场监管\"", "cross_district_exempt"),
])
def test_bad_new_keys_are_clear_errors(tmp_path: Path, toml: str, needle: str) -> None:
    with pytest.raises(PolicyError, match=needle):
        load_policy(_write(tmp_path / "bad.toml", toml + "\n"))


# ------------------------------------------------------------------ cross_district_exempt


def _firm(uscc: str, district: str) -> Firm:
    return Firm(uscc, "厂", district, "general", "blue", "low", "active", "", "", ())


def _insp(iid: str, district: str, dept: str, unit: str = "单位") -> InspectorRec:
    return InspectorRec(iid, iid, unit, district, dept, dt.date(2030, 1, 1), True, ())


def test_exempt_department_is_not_bound_by_cross_district_and_check_agrees() -> None:
    firms = [_firm(firm_uscc(1), "天元区")]
    people = [_insp("E1", "荷塘区", "生态环境"), _insp("M1", "天元区", "市场监管", "株洲市市场监督管理局"),
              _insp("E2", "天元区", "生态环境")]
    rules = Rules(2, 6, True, 365, {}, ("生态环境", "市场监管"))
    first, last = dt.date(2026, 12, 1), dt.date(2026, 12, 31)
    assert pair_exclusions(firms, people, [], [], rules, first, last)[(firm_uscc(1), "M1")] == "same_district"
    with pytest.raises(AssignmentInfeasible):
        assign("s", firms, people, pair_exclusions(firms, people, [], [], rules, first, last), rules)
    for exempt in (("市场监管",), ("株洲市市场监督管理局",)):  # a department or a unit
        ex_rules = Rules(2, 6, True, 365, {}, ("生态环境", "市场监管"), exempt)
        excl = pair_exclusions(firms, people, [], [], ex_rules, first, last)
        assert (firm_uscc(1), "M1") not in excl and excl[(firm_uscc(1), "E2")] == "same_district"
        a = assign("s", firms, people, excl, ex_rules)
        assert a.teams[firm_uscc(1)] == ("E1", "M1")
        assert check_assignment("s", firms, people, excl, ex_rules, a) == []
    # The independent check catches a same-district member even if exclusions were lost.
    bad = Assignment({firm_uscc(1): ("E2", "M1")}, 0, "x", "OPTIMAL")
    problems = check_assignment("s", firms, people, {}, ex_rules, bad)
    assert any("E2 is from the firm's district" in p for p in problems)


def test_infeasibility_counts_only_the_missing_departments_inspectors() -> None:
    firms = [_firm(firm_uscc(1), "天元区")]
    people = ([_insp(f"E{i}", "荷塘区", "生态环境") for i in range(5)]
              + [_insp(f"X{i}", "天元区", "交通运输") for i in range(7)]
              + [_insp("M1", "天元区", "市场监管"), _insp("M2", "天元区", "市场监管")])
    rules = Rules(2, 6, True, 365, {}, ("生态环境", "市场监管"))
    excl = pair_exclusions(firms, people, [], [], rules, dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    with pytest.raises(AssignmentInfeasible) as info:
        assign("s", firms, people, excl, rules)
    msg = str(info.value)
    assert "no eligible inspector of department 市场监管 (2 in the pool): same_district removes 2" in msg
    assert "department removes" not in msg  # the 7 交通运输 staff do not matter here
    assert "2 of 市场监管, 5 of 生态环境" in msg and "cross_district_exempt" in msg


# ------------------------------------------------------------------- off-site end to end


def _offsite_draw(db: str, tmp: Path, extra_policy: str = "") -> tuple[Path, int]:
    small_pool(get_engine(db), firms=60)
    cli_ok(db, "import", "positive-list", str(_positive_list(tmp)))
    pol = _write(tmp / "off.toml", OFFSITE_POLICY + extra_policy)
    out = tmp / "bundle"
    cli_ok(db, "draw", "--period", "2026-12", "--seed", "20261201093015482736", "--policy", str(pol),
           "--out", str(out))
    return out, 1


def test_offsite_stream_is_drawn_assigned_verified_and_published(db_url: str, tmp_path: Path) -> None:
    out, draw_id = _offsite_draw(db_url, tmp_path)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["strata"]["offsite"]["eligible"] == len(LISTED)
    frame = list(csv.DictReader(io.StringIO((out / "frame.csv").read_text())))
    assert {r["uscc"] for r in frame if r["stratum"] == "offsite"} == set(LISTED)
    rows = list(csv.DictReader(io.StringIO((out / "assignments.csv").read_text())))
    modes = {r["uscc"]: r["mode"] for r in rows}
    assert {u for u, m in modes.items() if m == "非现场"} == set(LISTED)
    assert all(m == "现场" for u, m in modes.items() if u not in LISTED)
    engine = get_engine(db_url)
    stored = {f.uscc: f.stratum for f in drawn_firms(engine, draw_id)}
    assert all(stored[u] == "offsite" for u in LISTED)
    assert cli_ok(db_url, "verify", str(out)).splitlines()[0] == "verified"
    # verify re-derives the mode: an edited mode cell is named.
    text_ = (out / "assignments.csv").read_text().replace(",非现场\n", ",现场\n", 1)
    (out / "assignments.csv").write_text(text_)
    code, output = run(db_url, "verify", str(out))
    assert code == 1 and "column mode: found '现场', expected '非现场'" in output

    # Results, per-item results with an escalation and a 整改, publish, ledger.
    firms = drawn_firms(engine, draw_id)
    results_csv(tmp_path / "r.csv", [{"uscc": f.uscc, "date": today_cn(), "result": "未发现问题"} for f in firms])
    cli_ok(db_url, "results", "import", str(tmp_path / "r.csv"), "--draw", "1")
    onsite = next(f.uscc for f in firms if f.uscc not in LISTED)
    items = _write(tmp_path / "items.csv", "\n".join([
        "统一社会信用代码,抽查事项,是否发现问题,处理措施,整改期限,转现场检查",
        f"{LISTED[0]},污染物排放情况,是,在线监测数据超标,,是",
        f"{onsite},污染物排放情况,是,责令改正,2026-12-20,",
        f"{onsite},排污许可证执行情况,否,,,",
    ]) + "\n")
    output = cli_ok(db_url, "results", "items", str(items), "--draw", "1")
    assert "follow-up opened: 转现场检查" in output and "follow-up opened: 责令改正" in output
    with Session(engine) as s:
        ups = {(f.uscc, f.kind): f for f in s.exec(select(FollowUp))}
        assert set(ups) == {(LISTED[0], "onsite"), (onsite, "rectify")}
        assert ups[(onsite, "rectify")].deadline == dt.date(2026, 12, 20)
        assert len(list(s.exec(select(ItemResult)))) == 3
    pub = tmp_path / "pub"
    cli_ok(db_url, "publish", "--draw", "1", "--out", str(pub), "--format", "csv")
    body = list(csv.DictReader(io.StringIO((pub / "public-draw-1.csv").read_text(encoding="utf-8-sig"))))
    assert len(body) == len(firms)  # one row per firm
    by_code = {r["统一社会信用代码"]: r["抽查事项"] for r in body}
    assert by_code[LISTED[0]] == "污染物排放情况（发现问题：在线监测数据超标）（检查方式：非现场）"
    assert by_code[onsite] == ("排污许可证执行情况（未发现问题）；"
                               "污染物排放情况（发现问题：责令改正，整改期限 2026-12-20）")
    assert "ledger verified" in cli_ok(db_url, "ledger", "verify")
    # The annual report counts the off-site checks and the follow-ups.
    import openpyxl

    cli_ok(db_url, "report", "--year", "2026", "--out", str(tmp_path / "rep"))
    sheet = openpyxl.load_workbook(tmp_path / "rep" / "report-2026.xlsx").worksheets[0]
    facts = {r[0]: r[1] for r in sheet.iter_rows(values_only=True) if r[0]}
    n_off = len(LISTED)
    assert facts["非现场检查（抽中/已检查） off-site checks drawn / done"] == f"{n_off} / {n_off}"
    assert facts["非现场检查占比 off-site share of inspections done"] == f"{100 * n_off / len(firms):.1f}%"
    assert facts["整改跟踪（开立/已完成/年末逾期） follow-ups opened / closed / overdue at year end"] == "2 / 0 / 1"


def test_item_results_errors_and_follow_up_closing(db_url: str, tmp_path: Path) -> None:
    _out, _ = _offsite_draw(db_url, tmp_path)
    engine = get_engine(db_url)
    firms = drawn_firms(engine, 1)
    onsite = next(f.uscc for f in firms if f.uscc not in LISTED)
    bad = _write(tmp_path / "bad.csv", "\n".join([
        "统一社会信用代码,抽查事项,是否发现问题,处理措施,整改期限,转现场检查",
        f"{onsite},噪声,是,责令改正,,",
        f"{onsite},污染物排放情况,否,,,是",
        f"{firm_uscc(999)},污染物排放情况,否,,,",
    ]) + "\n")
    code, output = run(db_url, "results", "items", str(bad), "--draw", "1")
    assert code == 1
    for needle in ("'噪声' — not an item of draw 1", "责令改正 needs a 整改期限", "checked on site",
                   "not one of the"):
        assert needle in output
    with Session(engine) as s:
        assert not list(s.exec(select(ItemResult))) and not list(s.exec(select(FollowUp)))
    good = _write(tmp_path / "good.csv", "统一社会信用代码,抽查事项,是否发现问题,处理措施,整改期限\n"
                  f"{onsite},污染物排放情况,是,责令改正,2026-11-01\n")
    cli_ok(db_url, "results", "items", str(good), "--draw", "1")
    out = cli_ok(db_url, "followups", "list", "--overdue", "--as-of", "2026-11-02")
    assert "OVERDUE" in out and onsite in out
    assert "no overdue" in cli_ok(db_url, "followups", "list", "--overdue", "--as-of", "2026-10-31")
    status = cli_ok(db_url, "status")  # the deadline 2026-11-01 is past today
    assert "overdue follow-ups: 1" in status and onsite in status
    code, output = run(db_url, "followups", "close", "1", "--date", "2026-11-05", "--evidence", " ")
    assert code == 1 and "--evidence" in output
    cli_ok(db_url, "followups", "close", "1", "--date", "2026-11-05", "--evidence", "株环整改〔2026〕12号")
    assert "no open follow-ups" in cli_ok(db_url, "followups", "list")
    assert "closed 2026-11-05 (株环整改〔2026〕12号)" in cli_ok(db_url, "followups", "list", "--all")
    assert "ledger verified" in cli_ok(db_url, "ledger", "verify")
    # An item result edited outside the tool is caught by the ledger.
    with engine.begin() as conn:
        conn.execute(text("UPDATE item_result SET problem = :f"), {"f": False})
    code, output = run(db_url, "ledger", "verify")
    assert code == 1 and "item results changed" in output


@pytest.mark.parametrize("tamper", ["close", "deadline", "reason", "delete", "add"])
def test_follow_ups_edited_outside_the_tool_are_found_by_ledger_verify(db_url: str, tmp_path: Path,
                                                                       tamper: str) -> None:
    """Closing a follow-up, moving its deadline, changing why it was opened, deleting one or
    adding one by hand: each is a finding of `ledger verify`, not a silent change."""
    _offsite_draw(db_url, tmp_path)
    engine = get_engine(db_url)
    onsite = next(f.uscc for f in drawn_firms(engine, 1) if f.uscc not in LISTED)
    good = _write(tmp_path / "good.csv", "统一社会信用代码,抽查事项,是否发现问题,处理措施,整改期限\n"
                  f"{onsite},污染物排放情况,是,责令改正,2026-11-01\n")
    cli_ok(db_url, "results", "items", str(good), "--draw", "1")
    assert "ledger verified" in cli_ok(db_url, "ledger", "verify")
    statement = {
        "close": "UPDATE followup SET closed_on = '2026-11-20', evidence = 'x'",
        "deadline": "UPDATE followup SET deadline = '2027-06-30'",
        "reason": "UPDATE followup SET reason = '无'",
        "delete": "DELETE FROM followup",
        "add": f"INSERT INTO followup (draw_id, uscc, item, kind, reason, created_at, evidence) "
               f"VALUES (1, '{onsite}', '噪声', 'onsite', 'x', '2026-11-20T00:00:00Z', '')",
    }[tamper]
    with engine.begin() as conn:
        conn.execute(text(statement))
    code, output = run(db_url, "ledger", "verify")
    said = ("follow-up 1: marked closed on 2026-11-20 with no ledger entry (closed outside `followups close`)"
            if tamper == "close" else
            "draw 1: follow-ups changed since ledger entry 2 (one was added, deleted, or its reason or deadline "
            "edited outside `results items`)")
    assert code == 1 and said in output, output


def test_item_results_that_contradict_themselves_or_the_result_are_refused_or_warned(db_url: str,
                                                                                     tmp_path: Path) -> None:
    _offsite_draw(db_url, tmp_path)
    engine = get_engine(db_url)
    onsite = next(f.uscc for f in drawn_firms(engine, 1) if f.uscc not in LISTED)
    results_csv(tmp_path / "r.csv", [{"uscc": onsite, "date": today_cn(), "result": "未发现问题"}])
    cli_ok(db_url, "results", "import", str(tmp_path / "r.csv"), "--draw", "1")
    before = (dt.date.fromisoformat(today_cn()) - dt.timedelta(days=1)).isoformat()
    bad = _write(tmp_path / "bad.csv", "统一社会信用代码,抽查事项,是否检查,是否发现问题,处理措施,整改期限\n"
                 f"{onsite},污染物排放情况,否,是,,\n"
                 f"{onsite},排污许可证执行情况,是,是,责令改正,{before}\n")
    code, output = run(db_url, "results", "items", str(bad), "--draw", "1")
    assert code == 1
    assert ("row 2, column '是否检查': '否' — an item that was not checked cannot have a finding: write 是, "
            "or 否 under 是否发现问题") in output
    assert (f"row 3, column '整改期限': '{before}' — before the inspection ({today_cn()}); give the deadline "
            "the 责令改正 set") in output
    with Session(engine) as s:
        assert not list(s.exec(select(ItemResult))) and not list(s.exec(select(FollowUp)))
    good = _write(tmp_path / "good.csv", "统一社会信用代码,抽查事项,是否发现问题,处理措施,整改期限\n"
                  f"{onsite},污染物排放情况,是,责令改正,2027-01-31\n")
    out = cli_ok(db_url, "results", "items", str(good), "--draw", "1")
    assert (f"warning: row 2: {onsite} 污染物排放情况 found a problem, but the firm's recorded 检查结果 is "
            "未发现问题; the public sheet would show both: correct one of them") in out


def test_follow_ups_edited_by_hand_are_not_laundered_by_the_next_items_import(db_url: str, tmp_path: Path) -> None:
    _offsite_draw(db_url, tmp_path)
    engine = get_engine(db_url)
    firms = [f.uscc for f in drawn_firms(engine, 1) if f.uscc not in LISTED]
    good = _write(tmp_path / "good.csv", "统一社会信用代码,抽查事项,是否发现问题,处理措施,整改期限\n"
                  f"{firms[0]},污染物排放情况,是,责令改正,2026-11-01\n")
    cli_ok(db_url, "results", "items", str(good), "--draw", "1")
    with engine.begin() as conn:
        conn.execute(text("UPDATE followup SET deadline = '2027-06-30'"))
    other = _write(tmp_path / "other.csv", "统一社会信用代码,抽查事项,是否发现问题\n"
                   f"{firms[1]},污染物排放情况,否\n")
    code, output = run(db_url, "results", "items", str(other), "--draw", "1")
    assert code == 1 and ("draw 1: follow-ups changed since ledger entry 2 (one was added, deleted, or its reason or "
                          "deadline edited outside `results items`); nothing was imported") in " ".join(output.split())
    with Session(engine) as s:
        assert len(list(s.exec(select(ItemResult)))) == 1
    code, output = run(db_url, "ledger", "verify")
    assert code == 1 and "follow-ups changed since ledger entry 2" in output


def test_a_reimport_says_when_it_moves_a_deadline_and_never_changes_a_closed_follow_up(db_url: str,
                                                                                       tmp_path: Path) -> None:
    _offsite_draw(db_url, tmp_path)
    engine = get_engine(db_url)
    a, b = [f.uscc for f in drawn_firms(engine, 1) if f.uscc not in LISTED][:2]
    head = "统一社会信用代码,抽查事项,是否发现问题,处理措施,整改期限\n"
    first = _write(tmp_path / "1.csv", head + f"{a},污染物排放情况,是,责令改正,2026-12-20\n"
                   f"{b},污染物排放情况,是,责令改正,2026-12-21\n")
    out = cli_ok(db_url, "results", "items", str(first), "--draw", "1")
    assert f"follow-up opened: 责令改正 {a} 污染物排放情况 by 2026-12-20" in out
    cli_ok(db_url, "followups", "close", "2", "--date", today_cn(), "--evidence", "复查记录1号")
    moved = _write(tmp_path / "2.csv", head + f"{a},污染物排放情况,是,责令改正,2027-01-31\n")
    out = cli_ok(db_url, "results", "items", str(moved), "--draw", "1")
    assert f"follow-up deadline moved: 责令改正 {a} 污染物排放情况 from 2026-12-20 to 2027-01-31" in out
    closed = _write(tmp_path / "3.csv", head + f"{b},污染物排放情况,是,责令改正,2027-06-30\n")
    code, out = run(db_url, "results", "items", str(closed), "--draw", "1")
    assert code == 1 and ("row 2, column '整改期限': '2027-06-30' — follow-up 2 (责令改正) was closed on "
                          f"{today_cn()}; a closed follow-up is not changed") in " ".join(out.split())
    with Session(engine) as s:
        assert {f.id: f.deadline for f in s.exec(select(FollowUp))} == {1: dt.date(2027, 1, 31),
                                                                        2: dt.date(2026, 12, 21)}
    assert "ledger verified" in cli_ok(db_url, "ledger", "verify")


def test_item_catalogue_import_and_clear_of_items_outside_it(db_url: str, tmp_path: Path) -> None:
    small_pool(get_engine(db_url), firms=30)
    cat = _write(tmp_path / "items.csv", "\n".join([
        "事项编号,抽查事项,法律依据,检查方式,责任部门",
        "1,污染物排放情况,《中华人民共和国大气污染防治法》第十八条,现场,生态环境",
        "2,污染防治设施运行情况,《中华人民共和国水污染防治法》第三十九条,非现场检查,生态环境",
    ]) + "\n")
    assert "2 inserted" in cli_ok(db_url, "import", "items", str(cat))
    code, output = run(db_url, "plan", "--period", "2026-12")
    assert code == 1 and "排污许可证执行情况" in output and "随机抽查事项清单" in output
    pol = _write(tmp_path / "p.toml", 'items = ["污染物排放情况", "污染防治设施运行情况"]\n')
    cli_ok(db_url, "plan", "--period", "2026-12", "--policy", str(pol))
    bad = _write(tmp_path / "bad.csv", "抽查事项,检查方式\n噪声,电话\n")
    code, output = run(db_url, "import", "items", str(bad))
    assert code == 1 and "'电话'" in output


# ------------------------------------------------------------------ smaller usability fixes


def test_filter_takes_chinese_field_names_and_lists_existing_values(db_url: str, tmp_path: Path) -> None:
    small_pool(get_engine(db_url), firms=30)
    out = cli_ok(db_url, "plan", "--period", "2026-12", "--filter", "行政区划=荷塘区")
    assert "commitment" in out
    code, output = run(db_url, "plan", "--period", "2026-12", "--filter", "行政区划=荷塘")
    assert code == 1 and "district=荷塘 matches no firm" in output and "荷塘区" in output
    assert "Import enterprises first" not in output
    code, output = run(db_url, "plan", "--period", "2026-12", "--filter", "颜色=红")
    assert code == 1 and "行政区划" in output


def test_results_file_errors_come_in_one_pass_with_the_users_labels(db_url: str, tmp_path: Path) -> None:
    from helpers import draw

    small_pool(get_engine(db_url), firms=30)
    draw(db_url, tmp_path / "b")
    firms = drawn_firms(get_engine(db_url), 1)
    path = results_csv(tmp_path / "r.csv", [
        {"uscc": firms[0].uscc, "date": today_cn(), "result": ""},  # empty result
        {"uscc": firm_uscc(999), "date": today_cn(), "result": "未发现问题"},  # not in the draw
        {"uscc": firms[1].uscc, "date": today_cn(), "result": "未发现问题", "inspector_ids": "NOBODY"},
    ])
    code, output = run(db_url, "results", "import", str(path), "--draw", "1")
    assert code == 1
    assert "row 2, column '检查结果'" in output
    assert "row 3, column '统一社会信用代码'" in output and "not one of the" in output
    assert "row 4, column '实际检查人员执法证号'" in output and "NOBODY" in output
    assert "(uscc)" not in output and "(date)" not in output


@pytest.mark.parametrize("fmt", ["pdf", "xlsx,doc", ","])
def test_publish_unknown_format_is_a_usage_error(sqlite_url: str, tmp_path: Path, fmt: str) -> None:
    code, output = run(sqlite_url, "publish", "--draw", "1", "--out", str(tmp_path / "p"), "--format", fmt)
    assert code == 2 and "--format" in output
    assert not (tmp_path / "p").exists()


def test_joint_task_sheet_shows_departments_and_units_and_the_public_sheet_the_bodies(
    db_url: str, tmp_path: Path
) -> None:
    engine = get_engine(db_url)
    small_pool(engine, firms=30)
    with Session(engine) as s:  # city-level partner staff, all in the city seat
        for n in range(6):
            s.add(Inspector(inspector_id=f"SJ{n:03d}", name=f"市监{n}", unit="株洲市市场监督管理局",
                            district="天元区", department="市场监管", cert_valid_until=dt.date(2030, 1, 1)))
        for i in s.exec(select(Inspector).where(Inspector.department == "生态环境")):
            i.unit = f"{i.district}生态环境执法大队"  # rows' bodies differ from the whole sheet's
            s.add(i)
        s.commit()
    full = "".join(f"[strata.{s}]\nfull_coverage = true\n" for s in ("key", "general", "special"))
    args = ["draw", "--period", "2026-12", "--seed", "1234567890123456789012", "--departments", "生态环境,市场监管",
            "--filter", "district=天元区,荷塘区"]
    code, output = run(db_url, *args, "--policy", str(_write(tmp_path / "f.toml", full)),
                       "--out", str(tmp_path / "no"))
    assert code == 1 and "in 天元区 have no eligible inspector of department 市场监管 (6 in the pool)" in output
    pol = _write(tmp_path / "p.toml", 'cross_district_exempt = ["市场监管"]\n' + full)
    cli_ok(db_url, *args, "--policy", str(pol), "--out", str(tmp_path / "b"))
    rows = list(csv.DictReader(io.StringIO((tmp_path / "b" / "assignments.csv").read_text())))
    assert rows and all(sorted(r["inspector_departments"].split(";")) == ["市场监管", "生态环境"] for r in rows)
    assert all("株洲市市场监督管理局" in r["inspector_units"].split(";") for r in rows)
    assert "mode" not in rows[0]  # everything on site: no mode column
    assert cli_ok(db_url, "verify", str(tmp_path / "b")).splitlines()[0] == "verified"
    # After a substitution the current sheet keeps the joint columns, the newcomer's included.
    gone = next(i for i in rows[0]["inspector_ids"].split(";") if i.startswith("SJ"))
    cli_ok(db_url, "amend", "substitute", "--draw", "1", "--inspector", gone, "--uscc", rows[0]["uscc"],
           "--reason", "回避")
    cli_ok(db_url, "export", "--draw", "1", "--out", str(tmp_path / "x"))
    current = list(csv.DictReader(io.StringIO((tmp_path / "x" / "assignments-current.csv").read_text())))
    assert list(current[0]) == list(rows[0])
    assert gone not in current[0]["inspector_ids"]
    assert sorted(current[0]["inspector_departments"].split(";")) == ["市场监管", "生态环境"]
    assert current[0]["inspector_units"].split(";")[current[0]["inspector_departments"].split(";").index("市场监管")] \
        == "株洲市市场监督管理局"
    assert cli_ok(db_url, "verify", str(tmp_path / "x")).splitlines()[0] == "verified"
    with Session(engine) as s:
        stored = list(s.exec(select(DrawFirm)))
    results_csv(tmp_path / "r.csv", [{"uscc": f.uscc, "date": today_cn(), "result": "未发现问题"} for f in stored])
    cli_ok(db_url, "results", "import", str(tmp_path / "r.csv"), "--draw", "1")
    cli_ok(db_url, "publish", "--draw", "1", "--out", str(tmp_path / "pub"), "--format", "csv,xlsx")
    # No [authority] in the policy: each department's body is the units of its staff who checked,
    # per row those of the row's team, in the manifest's department order (sorted).
    assert json.loads((tmp_path / "b" / "manifest.json").read_text())["departments"] == ["市场监管", "生态环境"]
    frozen = {r["inspector_id"]: r for r in csv.DictReader(io.StringIO((tmp_path / "b" / "inputs" / "inspectors.csv")
                                                                           .read_text()))}

    def units(ids: list[str], dept: str) -> list[str]:
        return list(dict.fromkeys(frozen[i]["unit"] for i in ids if frozen[i]["department"] == dept))

    public = list(csv.DictReader(io.StringIO((tmp_path / "pub" / "public-draw-1.csv").read_text("utf-8-sig"))))
    everyone: list[str] = []
    for row in public:
        ids = re.findall(r"（([^（）]+)）", row["检查人员（姓名、执法证号）"])
        assert len(ids) == 2
        everyone += ids
        assert row["检查实施机关"] == "、".join(units(ids, "市场监管") + units(ids, "生态环境"))
    side = json.loads((tmp_path / "pub" / "public-draw-1.json").read_text("utf-8"))
    assert side["departments"] == [{"department": d, "authority": "、".join(units(everyone, d))}
                                   for d in ("市场监管", "生态环境")]
    assert side["title"].endswith("市场监管、生态环境部门联合“双随机、一公开”抽查结果公示")
    assert len({row["检查实施机关"] for row in public}) > 1  # a row names its own team's units
    bodies = ["、".join(units(everyone, d)) for d in ("市场监管", "生态环境")]  # one per department
    assert side["authority"] == bodies
    facts = _preamble_facts(tmp_path / "pub" / "public-draw-1.xlsx")
    assert facts["检查实施机关"] == "、".join(bodies) + "（抽查方案未列明检查实施机关，按检查人员所属单位列示）"
    assert facts["联合抽查部门"] == "；".join(f"{d}（{'、'.join(units(everyone, d))}）" for d in ("市场监管", "生态环境"))
    # Corrected results where no 市场监管 staff checked: that department's body is 未设置 in the
    # sidecar and the fact line, and nowhere else (not among the bodies, not in a row).
    mine = [i for i in frozen if frozen[i]["department"] == "生态环境"]
    fixed = [{"uscc": f.uscc, "date": today_cn(), "result": "未发现问题", "inspector_ids": ";".join(mine[:2])}
             for f in stored]
    cli_ok(db_url, "results", "import", str(results_csv(tmp_path / "r2.csv", fixed)), "--draw", "1")
    cli_ok(db_url, "publish", "--draw", "1", "--out", str(tmp_path / "pub2"), "--format", "csv,xlsx")
    side = json.loads((tmp_path / "pub2" / "public-draw-1.json").read_text("utf-8"))
    only = units(mine[:2], "生态环境")
    assert side["departments"] == [{"department": "市场监管", "authority": "未设置"},
                                   {"department": "生态环境", "authority": "、".join(only)}]
    assert side["authority"] == ["、".join(only)]
    public = list(csv.DictReader(io.StringIO((tmp_path / "pub2" / "public-draw-1.csv").read_text("utf-8-sig"))))
    assert {row["检查实施机关"] for row in public} == {"、".join(only)}
    facts = _preamble_facts(tmp_path / "pub2" / "public-draw-1.xlsx")
    assert facts["检查实施机关"] == "、".join(only) + "（抽查方案未列明检查实施机关，按检查人员所属单位列示）"
    assert facts["联合抽查部门"] == f"市场监管（未设置）；生态环境（{'、'.join(only)}）"
    # One body named for the whole joint task: every row names it, whoever checked.
    one = _write(tmp_path / "one.toml", 'authority = "株洲市人民政府"\ncross_district_exempt = ["市场监管"]\n' + full)
    later = [a if a != "2026-12" else "2027-04" for a in args]  # after the 90 days of the results above
    out = " ".join(cli_ok(db_url, *later, "--policy", str(one), "--out", str(tmp_path / "b3")).split())
    assert ("the policy's authority names one 检查实施机关 (株洲市人民政府) for every department of this joint task "
            "(市场监管、生态环境), and the public sheet will say so for each; if each department acts in its own name, "
            'write [authority] with 市场监管 = "…"、生态环境 = "…" instead') in out
    redrawn = [f for f in drawn_firms(engine, 2)]
    results_csv(tmp_path / "r3.csv", [{"uscc": f.uscc, "date": today_cn(), "result": "未发现问题"} for f in redrawn])
    cli_ok(db_url, "results", "import", str(tmp_path / "r3.csv"), "--draw", "2")
    cli_ok(db_url, "publish", "--draw", "2", "--out", str(tmp_path / "pub3"), "--format", "csv")
    public = list(csv.DictReader(io.StringIO((tmp_path / "pub3" / "public-draw-2.csv").read_text("utf-8-sig"))))
    assert len(public) == len(redrawn) and {row["检查实施机关"] for row in public} == {"株洲市人民政府"}
    side = json.loads((tmp_path / "pub3" / "public-draw-2.json").read_text("utf-8"))
    assert side["authority"] == ["株洲市人民政府"]
    # ... and it is still a joint task: its title, its departments (each with that body).
    assert side["title"].endswith("市场监管、生态环境部门联合“双随机、一公开”抽查结果公示")
    assert side["departments"] == [{"department": d, "authority": "株洲市人民政府"} for d in ("市场监管", "生态环境")]
    cli_ok(db_url, "publish", "--draw", "2", "--out", str(tmp_path / "pub4"), "--format", "xlsx")
    facts = _preamble_facts(tmp_path / "pub4" / "public-draw-2.xlsx")
    assert facts["检查实施机关"] == "株洲市人民政府"
    assert facts["联合抽查部门"] == "市场监管（株洲市人民政府）；生态环境（株洲市人民政府）"
    # Named in the policy's [authority]: that body, whoever checked; a department it omits
    # falls back to its staff's units; a department with no staff on the teams says so.
    from inspect_sched.outputs.publish import department_bodies

    manifest = {"departments": ["交通运输", "市场监管", "生态环境"],
                "policy": {"authority": {"生态环境": "株洲市生态环境局"}}}
    frozen = {"A": {"department": "生态环境", "unit": "支队"}, "B": {"department": "市场监管", "unit": "市局"},
              "C": {"department": "市场监管", "unit": "分局"}}
    assert department_bodies(manifest, ["A", "B", "C", "X"], frozen) == [
        ("交通运输", "未设置"), ("市场监管", "市局、分局"), ("生态环境", "株洲市生态环境局")]


def _preamble_facts(path: Path) -> dict[str, str]:
    """The xlsx sheet's fact lines above the table, ``名称：内容`` by name."""
    from openpyxl import load_workbook

    lines = [str(row[0]) for row in load_workbook(path).active.iter_rows(values_only=True) if row[0] is not None]
    lines = lines[:lines.index("序号")]
    return dict(line.split("：", 1) for line in lines if "：" in line)


# ---------------------------------------------------------------- team size per stratum


def test_stratum_team_size_gives_offsite_firms_one_inspector(db_url: str, tmp_path: Path) -> None:
    out, _ = _offsite_draw(db_url, tmp_path, "team_size = 1\n")  # appended to [strata.offsite]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["policy"]["strata"]["offsite"] == {"full_coverage": True, "team_size": 1}
    assert "team_size" not in manifest["policy"]["strata"]["key"]
    rows = list(csv.DictReader(io.StringIO((out / "assignments.csv").read_text())))
    sizes = {r["uscc"]: len(r["inspector_ids"].split(";")) for r in rows}
    assert {sizes[u] for u in LISTED} == {1}
    assert {n for u, n in sizes.items() if u not in LISTED} == {2}
    assert cli_ok(db_url, "verify", str(out)).splitlines()[0] == "verified"


def test_an_on_site_stratum_cannot_have_a_team_of_one(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="art. 42"):
        load_policy(_write(tmp_path / "p.toml", '[strata.key]\nratio = "0.25"\nteam_size = 1\n'
                           '[strata.general]\nratio = "0.05"\n[strata.special]\nfull_coverage = true\n'))
    # The same stratum checked by documents may.
    p = load_policy(_write(tmp_path / "q.toml", '[strata.key]\nratio = "0.25"\nteam_size = 1\n'
                           '[strata.general]\nratio = "0.05"\n[strata.special]\nfull_coverage = true\n'
                           '[modes]\nkey = "书面"\n'))
    assert p.strata["key"].team_size == 1


@pytest.mark.parametrize("specialty", [False, True])
def test_per_firm_team_sizes_on_every_solver_path(specialty: bool) -> None:
    """Typed flow (two departments) and CP-SAT (departments + a specialty that overlaps)."""
    firms = [Firm(firm_uscc(i), "厂", "天元区", "general", "blue", "low", "active", "",
                  "", ("辐射",) if specialty and i % 2 else ()) for i in range(12)]
    people = [InspectorRec(f"E{i:02d}", "e", "u", "荷塘区", "生态环境", dt.date(2030, 1, 1), True,
                           ("辐射",) if i % 3 == 0 else ()) for i in range(12)]
    people += [InspectorRec(f"M{i:02d}", "m", "u", "荷塘区", "市场监管", dt.date(2030, 1, 1), True,
                            ("辐射",) if specialty and i == 0 else ()) for i in range(6)]
    sizes = {firm_uscc(i): 3 for i in range(0, 12, 4)}  # every 4th firm needs a team of three
    rules = Rules(2, 6, True, 365, {"辐射": "辐射"}, ("生态环境", "市场监管"), (), sizes)
    excl = pair_exclusions(firms, people, [], [], rules, dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    a = assign("seed-x", firms, people, excl, rules)
    assert {u: len(t) for u, t in a.teams.items()} == {f.uscc: sizes.get(f.uscc, 2) for f in firms}
    assert check_assignment("seed-x", firms, people, excl, rules, a) == []
    # A team of two where three are asked is named by the independent check.
    u = firm_uscc(0)
    short = Assignment({**a.teams, u: a.teams[u][:2]}, a.objective, a.solver, a.status)
    assert any("rules ask for 3" in p for p in check_assignment("seed-x", firms, people, excl, rules, short))
    if specialty:
        assert "CP-SAT" in a.solver


@pytest.mark.parametrize("departments", [("生态环境",), ("生态环境", "市场监管")])
def test_per_firm_team_sizes_are_optimal_by_brute_force(departments: tuple[str, ...]) -> None:
    from itertools import combinations, product

    from inspect_sched.core.tickets import assign_cost

    firms = [_firm(firm_uscc(i), "天元区") for i in range(3)]
    people = [_insp(f"E{i}", "荷塘区", "生态环境") for i in range(4)] + [_insp("M0", "荷塘区", "市场监管"),
                                                                        _insp("M1", "荷塘区", "市场监管")]
    sizes = {firm_uscc(1): 3}
    rules = Rules(2, 2, True, 365, {}, departments, (), sizes)
    excl = pair_exclusions(firms, people, [], [], rules, dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    ids = [p.inspector_id for p in people if p.department in departments]
    dept = {p.inspector_id: p.department for p in people}
    best = None
    options = [list(combinations(ids, rules.k_for(f.uscc))) for f in firms]
    for teams in product(*options):
        load = [i for t in teams for i in t]
        if any(load.count(i) > rules.max_per_inspector for i in set(load)):
            continue
        if any(not all(any(dept[i] == d for i in t) for d in departments) for t in teams):
            continue
        cost = sum(assign_cost("bf", f.uscc, i) for f, t in zip(firms, teams, strict=True) for i in t)
        best = cost if best is None else min(best, cost)
    a = assign("bf", firms, people, excl, rules)
    assert a.objective == best


def test_a_replacement_in_a_sized_stratum_gets_that_team_size(db_url: str, tmp_path: Path) -> None:
    small_pool(get_engine(db_url), firms=60)
    cli_ok(db_url, "import", "positive-list", str(_positive_list(tmp_path)))
    pol = _write(tmp_path / "p.toml", OFFSITE_POLICY.replace(
        "[strata.offsite]\nfull_coverage = true\n", '[strata.offsite]\nratio = "0.4"\nteam_size = 1\n'))
    cli_ok(db_url, "draw", "--period", "2026-12", "--seed", "20261201093015482736", "--policy", str(pol),
           "--out", str(tmp_path / "b"))
    drawn_off = [f.uscc for f in drawn_firms(get_engine(db_url), 1) if f.stratum == "offsite"]
    assert len(drawn_off) == 2
    cli_ok(db_url, "amend", "replace-firm", "--draw", "1", "--uscc", drawn_off[0], "--reason", "已注销")
    cli_ok(db_url, "export", "--draw", "1", "--out", str(tmp_path / "x"))
    rows = list(csv.DictReader(io.StringIO((tmp_path / "x" / "assignments-current.csv").read_text())))
    new = [r for r in rows if r["uscc"] in LISTED and r["uscc"] not in drawn_off]
    assert len(new) == 1 and len(new[0]["inspector_ids"].split(";")) == 1
    # The columns of assignments.csv (SPEC §7), the mode included: the replacement is off site.
    drawn_header = (tmp_path / "x" / "assignments.csv").read_text().splitlines()[0]
    assert (tmp_path / "x" / "assignments-current.csv").read_text().splitlines()[0] == drawn_header
    assert "mode" in drawn_header and new[0]["mode"] == "非现场"
    assert {r["mode"] for r in rows if r["uscc"] not in LISTED} == {"现场"}
    assert cli_ok(db_url, "verify", str(tmp_path / "x")).splitlines()[0] == "verified"


@pytest.mark.parametrize("command", ["plan", "draw"])
def test_a_department_nobody_belongs_to_is_refused_before_anything_is_recorded(
    db_url: str, tmp_path: Path, command: str
) -> None:
    """A hurried clerk types 市监 for 市场监管: the plan (or draw) names the pool's departments
    and the close match, instead of freezing a plan no draw could ever staff."""
    engine = get_engine(db_url)
    small_pool(engine, firms=20)
    with Session(engine) as s:
        s.add(Inspector(inspector_id="SJ001", name="市监", unit="株洲市市场监督管理局", district="天元区",
                        department="市场监管", cert_valid_until=dt.date(2030, 1, 1)))
        s.commit()
    args = [command, "--period", "2026-12", "--departments", "生态环境,市监"]
    if command == "draw":
        args += ["--seed", "1234567890123456789012", "--out", str(tmp_path / "b")]
    code, output = run(db_url, *args)
    assert code == 1, output
    assert "no inspector in the pool belongs to department 市监" in output
    assert "did you mean 市场监管" in output and "市场监管 1" in output and "Traceback" not in output
    with Session(engine) as s:
        assert s.execute(text("select count(*) from plan")).scalar() == 0
        assert s.execute(text("select count(*) from ledger")).scalar() == 0
    assert not (tmp_path / "b").exists()
    # Spelled right, the same task is planned.
    assert run(db_url, "plan", "--period", "2026-12", "--departments", "生态环境,市场监管")[0] == 0


def test_an_authority_table_without_a_task_department_is_refused(db_url: str, tmp_path: Path) -> None:
    """[authority] "市场监督" for 市场监管: said at plan time, not silently left off the public sheet."""
    engine = get_engine(db_url)
    small_pool(engine, firms=20)
    with Session(engine) as s:
        s.add(Inspector(inspector_id="SJ001", name="市监", unit="株洲市市场监督管理局", district="天元区",
                        department="市场监管", cert_valid_until=dt.date(2030, 1, 1)))
        s.commit()
    pol = _write(tmp_path / "a.toml", '[authority]\n"生态环境" = "株洲市生态环境局"\n"市场监督" = "株洲市市场监督管理局"\n')
    code, output = run(db_url, "plan", "--period", "2026-12", "--departments", "生态环境,市场监管", "--policy", str(pol))
    assert code == 1 and "names no 检查实施机关 for department 市场监管" in output
    assert '"市场监督" looks like a misspelling of 市场监管' in output
    with Session(engine) as s:
        assert s.execute(text("select count(*) from plan")).scalar() == 0
    # A one-department task needs only its own body.
    assert run(db_url, "plan", "--period", "2026-12", "--policy", str(pol))[0] == 0


@pytest.mark.parametrize("sep", [";", "；", "、"])
def test_departments_separated_by_anything_but_a_comma_is_a_usage_error(sqlite_url: str, sep: str) -> None:
    code, output = run(sqlite_url, "plan", "--period", "2026-12", "--departments", f"生态环境{sep}市场监管")
    assert code == 2 and "separate departments with a comma" in output
    assert "--departments 生态环境,市场监管" in output
    code, output = run(sqlite_url, "plan", "--period", "2026-12", "--departments", ",")
    assert code == 2 and "--departments is empty" in output


def test_a_joint_result_without_a_partner_or_with_a_local_inspector_is_warned(db_url: str, tmp_path: Path) -> None:
    """The result is recorded as it happened; the import says which team rule it broke."""
    engine = get_engine(db_url)
    small_pool(engine, firms=30)
    with Session(engine) as s:
        for n in range(6):
            s.add(Inspector(inspector_id=f"SJ{n:03d}", name=f"市监{n}", unit="株洲市市场监督管理局",
                            district="天元区", department="市场监管", cert_valid_until=dt.date(2030, 1, 1)))
        s.commit()
    pol = _write(tmp_path / "p.toml", 'cross_district_exempt = ["市场监管"]\n')
    cli_ok(db_url, "draw", "--period", "2026-12", "--seed", "1234567890123456789012", "--departments",
           "生态环境,市场监管", "--policy", str(pol), "--out", str(tmp_path / "b"))
    people = list(csv.DictReader(io.StringIO((tmp_path / "b" / "inputs" / "inspectors.csv").read_text())))
    rows = list(csv.DictReader(io.StringIO((tmp_path / "b" / "assignments.csv").read_text())))
    eco = [p for p in people if p["department"] == "生态环境"]
    firm = next(r for r in rows if any(p["district"] == r["district"] for p in eco))
    local = next(p["inspector_id"] for p in eco if p["district"] == firm["district"])
    other = next(p["inspector_id"] for p in eco if p["district"] != firm["district"])
    results_csv(tmp_path / "r.csv", [{"uscc": firm["uscc"], "date": today_cn(), "result": "未发现问题",
                                      "inspector_ids": f"{local};{other}"}])
    out = cli_ok(db_url, "results", "import", str(tmp_path / "r.csv"), "--draw", "1")
    assert "deviates from the assignment" in out
    assert "no inspector of department 市场监管 took part" in out
    assert f"{local} from the firm's own district {firm['district']} (cross_district)" in out
    with Session(engine) as s:
        assert s.execute(text("select count(*) from result")).scalar() == 1  # recorded as it happened
    # The assigned team itself: no warning.
    results_csv(tmp_path / "r2.csv", [{"uscc": firm["uscc"], "date": today_cn(), "result": "未发现问题",
                                       "inspector_ids": firm["inspector_ids"]}])
    out = cli_ok(db_url, "results", "import", str(tmp_path / "r2.csv"), "--draw", "1")
    assert "took part" not in out and "own district" not in out
