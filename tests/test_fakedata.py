"""Synthetic pools: deterministic bytes, valid codes, realistic mixes, the CLI command."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from inspect_sched.cli import cli
from inspect_sched.schema import uscc
from inspect_sched.schema.entities import COLUMNS, ENTITIES
from inspect_sched.schema.vocab import CATEGORY, CREDIT, KIND, RISK, STATUS
from inspect_sched.synth import fakedata

REPO = Path(__file__).resolve().parents[1]
N_FIRMS, N_INSPECTORS, SEED = 2000, 235, "test-seed-1"
CSV_FILES = ("enterprises.csv", "inspectors.csv", "positive_list.csv", "conflicts.csv", "history.csv")
ALL_FILES = (*CSV_FILES, "enterprises-gbk.csv", "enterprises.xlsx", "inspectors.xlsx")


def _rows(data: bytes, encoding: str = "utf-8-sig") -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode(encoding), newline="")))


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pool")
    summary = fakedata.generate(N_FIRMS, N_INSPECTORS, SEED, out)
    assert summary.enterprises == N_FIRMS
    assert summary.inspectors == N_INSPECTORS + fakedata.default_partner_staff(N_INSPECTORS) == N_INSPECTORS + 40
    assert summary.gbk_written
    return out


@pytest.fixture(scope="module")
def tables(pool: Path) -> dict[str, list[dict[str, str]]]:
    return {name: _rows((pool / name).read_bytes()) for name in CSV_FILES}


def test_same_seed_same_bytes_different_seed_different(pool: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    fakedata.generate(N_FIRMS, N_INSPECTORS, SEED, again)
    for name in ALL_FILES:
        assert (pool / name).read_bytes() == (again / name).read_bytes(), name
    other = tmp_path / "other"
    fakedata.generate(N_FIRMS, N_INSPECTORS, "test-seed-2", other)
    for name in CSV_FILES:
        assert (pool / name).read_bytes() != (other / name).read_bytes(), name


def test_another_process_gives_the_same_bytes(tmp_path: Path) -> None:
    """A fresh interpreter with a different hash seed writes the very same files."""
    here = tmp_path / "here"
    summary = fakedata.generate(300, 40, "proc", here)
    there = tmp_path / "there"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run(
        [sys.executable, "-m", "inspect_sched", "fixtures", "generate", "--enterprises", "300",
         "--inspectors", "40", "--seed", "proc", "--out", str(there)],
        check=True, cwd=tmp_path, env=env, capture_output=True,
    )
    for name in summary.files:
        assert (here / name).read_bytes() == (there / name).read_bytes(), name


def test_file_format_bom_crlf_chinese_headers(pool: Path) -> None:
    for name in CSV_FILES:
        data = (pool / name).read_bytes()
        assert data.startswith(b"\xef\xbb\xbf"), name
        assert data.count(b"\n") == data.count(b"\r\n") > 0, name
        table = name.removesuffix(".csv")
        header = next(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        # The frozen columns a user imports, under their first Chinese header; a column added
        # later (frozen=False) is not generated, so the fixtures keep their bytes.
        assert header == [f.headers[0] for f in ENTITIES[table].frozen if f.imported], name
        assert set(header) <= {aliases[0] for aliases in COLUMNS[table].values()}, name
    gbk = (pool / "enterprises-gbk.csv").read_bytes()
    assert gbk.decode("gbk") == (pool / "enterprises.csv").read_bytes().decode("utf-8-sig")


def test_xlsx_matches_csv(pool: Path, tables: dict[str, list[dict[str, str]]]) -> None:
    for book, table in (("enterprises.xlsx", "enterprises.csv"), ("inspectors.xlsx", "inspectors.csv")):
        ws = openpyxl.load_workbook(pool / book, read_only=True).worksheets[0]
        rows = [[("" if v is None else str(v)) for v in r] for r in ws.iter_rows(values_only=True)]
        header = list(tables[table][0].keys())
        assert rows[0] == header
        assert rows[1:] == [[r[h] for h in header] for r in tables[table]]


def test_uscc_valid_unique_and_area_matches_district(tables: dict[str, list[dict[str, str]]]) -> None:
    firms = tables["enterprises.csv"]
    codes = [f["统一社会信用代码"] for f in firms]
    assert len(set(codes)) == len(codes)
    for f in firms:
        code = f["统一社会信用代码"]
        assert uscc.is_valid(code), code
        assert code.startswith("91")
        assert fakedata.AREA_CODE[f["所属区县"]] == code[2:8], (code, f["所属区县"])
        assert f["地址"].startswith("湖南省株洲市" + f["所属区县"])
    assert len({f["单位名称"] for f in firms}) == len(firms)


def test_districts_skewed_to_urban_and_liling(tables: dict[str, list[dict[str, str]]]) -> None:
    count = Counter(f["所属区县"] for f in tables["enterprises.csv"])
    assert set(count) == set(fakedata.AREA_CODE)
    assert count["醴陵市"] > count["炎陵县"] * 2
    assert sum(count[d] for d in fakedata.URBAN) > N_FIRMS / 2
    liling = [f for f in tables["enterprises.csv"] if f["所属区县"] == "醴陵市"]
    assert Counter(f["行业"] for f in liling).most_common(1)[0][0] == "陶瓷"


def _share(values: list[str], word: str) -> float:
    return sum(v == word for v in values) / len(values)


def test_enumerations_are_chinese_and_mixes_plausible(tables: dict[str, list[dict[str, str]]]) -> None:
    firms = tables["enterprises.csv"]
    cat = [f["监管类别"] for f in firms]
    cred = [f["环境信用等级"] for f in firms]
    risk = [f["环境风险等级"] for f in firms]
    status = [f["经营状态"] for f in firms]
    assert set(cat) == {"重点排污单位", "一般排污单位", "特殊监管对象"} and all(CATEGORY[v] for v in cat)
    assert set(cred) == {"诚信", "良好", "警示", "不良", "严重失信"} and all(CREDIT[v] for v in cred)
    assert set(risk) == {"低", "中", "高"} and all(RISK[v] for v in risk)
    assert all(STATUS[v] for v in status)
    assert 0.07 < _share(cat, "重点排污单位") < 0.13
    assert 0.80 < _share(cat, "一般排污单位") < 0.90
    assert 0.03 < _share(cat, "特殊监管对象") < 0.07
    assert 0.70 < _share(cred, "良好") < 0.80
    assert 0.09 < _share(cred, "诚信") < 0.15
    assert 0.06 < _share(cred, "警示") < 0.12
    assert 0.015 < _share(cred, "不良") < 0.05
    assert 0.002 < _share(cred, "严重失信") < 0.02
    assert 0.60 < _share(risk, "低") < 0.70 and 0.05 < _share(risk, "高") < 0.11
    assert 0.96 < _share(status, "在产") < 0.995
    tags = [t for f in firms for t in f["标签"].split(";") if t]
    radiation = sum("辐射" in f["标签"].split(";") for f in firms) / len(firms)
    assert 0.015 < radiation < 0.05
    assert {"涉危废", "涉VOCs", "涉重金属", "辐射"} <= set(tags)
    hospitals = [f for f in firms if f["行业"] == "医疗机构"]
    assert sum("辐射" in f["标签"] for f in hospitals) / len(hospitals) > 3 * radiation


def test_inspectors(tables: dict[str, list[dict[str, str]]]) -> None:
    everyone = tables["inspectors.csv"]
    ids = [p["执法证号"] for p in everyone]
    assert len(set(ids)) == len(ids) == N_INSPECTORS + 40
    people = everyone[:N_INSPECTORS]  # the bureau's own pool; the partner staff follow
    assert {p["部门"] for p in everyone[N_INSPECTORS:]} == {"市场监管"}
    assert all(i.startswith("ZZ4302") and len(i) == 13 for i in ids)
    depts = Counter(p["部门"] for p in people)
    assert {"生态环境", "市场监管", "交通运输", "自然资源", "卫生健康", "住建"} == set(depts)
    assert 15 <= N_INSPECTORS - depts["生态环境"] <= 35
    assert any(p["所属单位"] == fakedata.DETACHMENT for p in people)
    assert {p["所属区县"] for p in people} == set(fakedata.AREA_CODE)
    expired = [p for p in people if dt.date.fromisoformat(p["执法证有效期至"]) < dt.date(2026, 12, 1)]
    assert 3 <= len(expired) <= 15
    assert 1 <= sum(p["在岗"] == "否" for p in people) <= 10 and {p["在岗"] for p in people} == {"是", "否"}
    radiation = [p for p in people if "辐射" in p["专长"].split(";")]
    assert 10 <= len(radiation) <= 25
    assert all(p["部门"] == "生态环境" for p in radiation)


def test_positive_list_conflicts_history(tables: dict[str, list[dict[str, str]]]) -> None:
    firms = {f["统一社会信用代码"]: f for f in tables["enterprises.csv"]}
    people = {p["执法证号"]: p for p in tables["inspectors.csv"]}
    active = sum(f["经营状态"] == "在产" for f in firms.values())
    listed = tables["positive_list.csv"]
    assert 0.02 * active < len(listed) < 0.04 * active
    assert len({r["统一社会信用代码"] for r in listed}) == len(listed)
    credits = Counter(firms[r["统一社会信用代码"]]["环境信用等级"] for r in listed)
    assert credits["诚信"] > len(listed) / 2 and set(credits) <= {"诚信", "良好"}
    for r in listed:
        start = dt.date.fromisoformat(r["纳入日期"])
        assert dt.date(2024, 1, 1) <= start <= dt.date(2026, 12, 31)
        assert dt.date.fromisoformat(r["有效期至"]) > start

    conflicts = tables["conflicts.csv"]
    assert 30 <= len(conflicts) <= 60
    assert len({(c["执法证号"], c["统一社会信用代码"]) for c in conflicts}) == len(conflicts)
    assert all(c["执法证号"] in people and c["统一社会信用代码"] in firms and c["回避事由"] for c in conflicts)

    history = tables["history.csv"]
    kinds = Counter(h["检查类型"] for h in history)
    assert all(KIND[k] for k in kinds) and {"双随机", "专项"} <= set(kinds)
    assert kinds["投诉"] + kinds["信访"] > 0
    months = Counter(h["检查日期"][:7] for h in history if h["检查类型"] == "双随机")
    assert sorted(months) == ["2025-12"] + [f"2026-{m:02d}" for m in range(1, 12)]
    for month, n in months.items():
        assert 0.025 * N_FIRMS < n < 0.08 * N_FIRMS, month
    for h in history:
        team = h["检查人员执法证号"].split(";")
        assert h["统一社会信用代码"] in firms and all(i in people for i in team)
        day = dt.date.fromisoformat(h["检查日期"])
        assert day.weekday() < 5
        assert all(dt.date.fromisoformat(people[i]["执法证有效期至"]) >= day for i in team)
        if h["检查类型"] == "双随机":
            assert len(team) == 2
            assert all(people[i]["所属区县"] != firms[h["统一社会信用代码"]]["所属区县"] for i in team)


def test_cli_generate_small(tmp_path: Path) -> None:
    out = tmp_path / "fx"
    result = CliRunner().invoke(
        cli, ["fixtures", "generate", "--enterprises", "50", "--inspectors", "12", "--seed", "s", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "enterprises.csv: 50 rows" in result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(ALL_FILES)
    assert len(_rows((out / "inspectors.csv").read_bytes())) == 12 + 2  # 40 partner staff per 235
    result = CliRunner().invoke(cli, ["fixtures", "generate", "--enterprises", "50", "--inspectors", "12",
                                      "--seed", "s", "--partner-staff", "0", "--out", str(out)])
    assert result.exit_code == 0 and len(_rows((out / "inspectors.csv").read_bytes())) == 12
    for flag, value in (("--partner-staff", "-1"), ("--partner-staff", "100001"), ("--inspectors", "200001")):
        bad = CliRunner().invoke(cli, ["fixtures", "generate", flag, value, "--out", str(out)])
        assert bad.exit_code == 2 and flag in bad.output
    with pytest.raises(fakedata.InspectSchedError, match="between 0 and 100,000"):
        fakedata.build(10, 10, "s", partner_staff=100_001)
    bad = CliRunner().invoke(cli, ["fixtures", "generate", "--enterprises", "0", "--out", str(out)])
    assert bad.exit_code == 2
    bad = CliRunner().invoke(cli, ["fixtures", "generate", "--seed", "a|b", "--out", str(tmp_path / "x")])
    assert bad.exit_code == 1 and "seed" in bad.output and "Traceback" not in bad.output


def test_cli_help_has_example() -> None:
    result = CliRunner().invoke(cli, ["fixtures", "generate", "--help"])
    assert result.exit_code == 0 and "Example:" in result.output


def test_committed_fixtures_are_the_default_set(tmp_path: Path) -> None:
    """fixtures/ is exactly what the default command writes (README gives the command)."""
    committed = REPO / "fixtures"
    if not (committed / "enterprises.csv").exists():
        pytest.skip("no committed fixtures/")
    fakedata.generate(3000, 235, "20261201", tmp_path)
    for name in ALL_FILES:
        assert (committed / name).read_bytes() == (tmp_path / name).read_bytes(), name
    assert "fixtures generate --enterprises 3000 --inspectors 235 --seed 20261201" in (committed / "README.md").read_text()


def test_committed_fixtures_import(sqlite_url: str) -> None:
    """The importers read every committed file, GBK and xlsx copies included."""
    committed = REPO / "fixtures"
    if not (committed / "enterprises.csv").exists():
        pytest.skip("no committed fixtures/")
    runner = CliRunner()
    for kind, name in (
        ("enterprises", "enterprises.csv"), ("enterprises", "enterprises-gbk.csv"), ("enterprises", "enterprises.xlsx"),
        ("inspectors", "inspectors.csv"), ("inspectors", "inspectors.xlsx"), ("positive-list", "positive_list.csv"),
        ("conflicts", "conflicts.csv"), ("history", "history.csv"),
    ):
        result = runner.invoke(cli, ["--db", sqlite_url, "import", kind, str(committed / name)])
        assert result.exit_code == 0, (name, result.output)


def test_partner_staff_are_appended_and_change_no_other_row(tmp_path: Path) -> None:
    """市场监管 joint-check staff across the districts; without them every other row is the same."""
    fakedata.generate(400, 60, "partner-seed", tmp_path / "with", partner_staff=30)
    fakedata.generate(400, 60, "partner-seed", tmp_path / "without", partner_staff=0)
    for name in ("enterprises.csv", "positive_list.csv", "history.csv"):
        assert (tmp_path / "with" / name).read_bytes() == (tmp_path / "without" / name).read_bytes(), name
    people = _rows((tmp_path / "with" / "inspectors.csv").read_bytes())
    own = _rows((tmp_path / "without" / "inspectors.csv").read_bytes())
    assert people[:len(own)] == own and len(people) == 60 + 30
    partners = people[60:]
    assert {r["部门"] for r in partners} == {"市场监管"}
    assert len({r["所属区县"] for r in partners}) == 9 and len({r["所属单位"] for r in partners}) == 10
    assert len({r["执法证号"] for r in people}) == len(people)
    conflicts = {tuple(r.values()) for r in _rows((tmp_path / "with" / "conflicts.csv").read_bytes())}
    assert {tuple(r.values()) for r in _rows((tmp_path / "without" / "conflicts.csv").read_bytes())} < conflicts
    assert {c[0] for c in conflicts} & {p["执法证号"] for p in partners}


def test_committed_fixtures_staff_a_city_wide_joint_task(sqlite_url: str, tmp_path: Path) -> None:
    """Issue 13: on the bundled fixtures and the default policy, 生态环境 + 市场监管 can be staffed."""
    committed = REPO / "fixtures"
    market = [r for r in _rows((committed / "inspectors.csv").read_bytes()) if r["部门"] == "市场监管"]
    assert len({r["所属区县"] for r in market}) == 9
    runner = CliRunner()
    for kind, name in (("enterprises", "enterprises.csv"), ("inspectors", "inspectors.csv"),
                       ("positive-list", "positive_list.csv"), ("conflicts", "conflicts.csv"),
                       ("history", "history.csv")):
        assert runner.invoke(cli, ["--db", sqlite_url, "import", kind, str(committed / name)]).exit_code == 0
    result = runner.invoke(cli, ["--db", sqlite_url, "draw", "--period", "2026-12", "--seed", "26120107153348092215",
                                 "--departments", "生态环境,市场监管", "--task", "联合抽查",
                                 "--out", str(tmp_path / "joint")])
    assert result.exit_code == 0, result.output
    rows = _rows((tmp_path / "joint" / "assignments.csv").read_bytes())
    assert len(rows) > 150
    for r in rows:
        assert sorted(set(r["inspector_departments"].split(";"))) == ["市场监管", "生态环境"]
