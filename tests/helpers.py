"""Small pools built straight into the database, for tests that need a real draw.

``small_pool`` inserts enterprises in 9 districts (key, general and special firms with
every credit grade, addresses included so tests can check they never leak) and enough
inspectors from every district that cross-district teams of 2 always exist. Everything is
deterministic: the same arguments give the same rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from inspect_sched.schema import uscc
from inspect_sched.services.draws import DrawResult, build_spec, make_draw
from inspect_sched.store.db import get_engine
from inspect_sched.store.models import DrawFirm, Enterprise, Inspector

DISTRICTS = ("天元区", "荷塘区", "芦淞区", "石峰区", "渌口区", "醴陵市", "攸县", "茶陵县", "炎陵县")
CREDITS = ("green", "blue", "yellow", "red", "black")
RISKS = ("low", "medium", "high")
# Recognisable markers: a public sheet must contain none of them.
ADDRESS_MARK = "测试地址"


def firm_uscc(i: int) -> str:
    """A valid 统一社会信用代码 for firm number ``i``."""
    return uscc.make("9143020" + f"{i:010d}")


@dataclass(frozen=True)
class Pool:
    firms: int
    inspectors: int


def small_pool(engine: Engine, firms: int = 60, inspectors_per_district: int = 3) -> Pool:
    """Insert ``firms`` enterprises and ``9 × inspectors_per_district`` inspectors."""
    with Session(engine) as session:
        for i in range(firms):
            # Every 6th firm key, every 15th special, the rest general: all three strata drawn.
            category = "special" if i % 15 == 7 else ("key" if i % 6 == 0 else "general")
            session.add(Enterprise(
                uscc=firm_uscc(i), name=f"测试企业{i:03d}有限公司", district=DISTRICTS[i % len(DISTRICTS)],
                category=category, credit=CREDITS[i % len(CREDITS)], risk=RISKS[i % len(RISKS)],
                industry="化工", address=f"{ADDRESS_MARK}{i:03d}号", tags="",
            ))
        n = 0
        for d in DISTRICTS:
            for _ in range(inspectors_per_district):
                session.add(Inspector(
                    inspector_id=f"ZZ43020{n:05d}", name=f"检查员{n:02d}", unit="市生态环境保护综合行政执法支队",
                    district=d, cert_valid_until=dt.date(2030, 12, 31),
                ))
                n += 1
        session.commit()
    return Pool(firms, n)


def draw(url_or_engine: str | Engine, out: Path, seed: str = "20261201093015482736",
         period: str = "2026-12", reason: str | None = None) -> DrawResult:
    """Make a draw for ``period`` with the default policy and write its bundle to ``out``
    (a redraw needs ``reason``)."""
    engine = get_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
    return make_draw(engine, seed, out, spec=build_spec(period), reason=reason)


def drawn_firms(engine: Engine, draw_id: int) -> list[DrawFirm]:
    with Session(engine) as session:
        return list(session.exec(select(DrawFirm).where(DrawFirm.draw_id == draw_id).order_by(DrawFirm.uscc)))


def results_csv(path: Path, rows: list[dict[str, str]], bom: bool = True) -> Path:
    """Write a results file with Chinese headers (as a detachment would)."""
    header = ["统一社会信用代码", "检查日期", "检查结果", "处理措施", "实际检查人员执法证号"]
    keys = ["uscc", "date", "result", "measures", "inspector_ids"]
    lines = [",".join(header)]
    for r in rows:
        lines.append(",".join(r.get(k, "") for k in keys))
    path.write_bytes(("\ufeff" if bom else "").encode("utf-8") + ("\n".join(lines) + "\n").encode("utf-8"))
    return path


def full_results(engine: Engine, draw_id: int, day: str | None = None) -> list[dict[str, str]]:
    """One result per drawn firm, by the assigned team; the first one finds a problem."""
    rows = []
    for k, f in enumerate(drawn_firms(engine, draw_id)):
        rows.append({
            "uscc": f.uscc, "date": day or today_cn(), "result": "责令改正" if k == 0 else "未发现问题",
            "measures": "下达责令改正违法行为决定书" if k == 0 else "", "inspector_ids": "",
        })
    return rows


def today_cn() -> str:
    """Today in China (UTC+8): result dates may be neither in the future nor before the draw."""
    return dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date().isoformat()


# Pool files as `fixtures generate` writes them, in the order a user imports them.
LOADS = [
    ("enterprises", "enterprises.csv"),
    ("inspectors", "inspectors.csv"),
    ("positive-list", "positive_list.csv"),
    ("conflicts", "conflicts.csv"),
    ("history", "history.csv"),
]


def cli_ok(db: str, *args: str) -> str:
    """Run a command that must succeed; its output."""
    from click.testing import CliRunner

    from inspect_sched.cli import cli

    r = CliRunner().invoke(cli, ["--db", db, *args])
    assert r.exception is None or isinstance(r.exception, SystemExit), r.output
    assert r.exit_code == 0, r.output
    return r.output


def load_pool(db: str, folder: Path) -> None:
    """Import a generated pool folder through the CLI."""
    for kind, name in LOADS:
        cli_ok(db, "import", kind, str(folder / name))
