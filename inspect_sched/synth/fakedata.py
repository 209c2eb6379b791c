"""Synthetic but realistic pools for 株洲市 (Zhuzhou, Hunan), deterministic for a seed.

``generate`` writes the five input tables of SPEC §2 as a city's platform would export
them: Chinese headers, Chinese enumeration words, UTF-8 CSV with BOM and ``\\r\\n`` line
ends (what Excel writes), the two pools also as ``.xlsx``, and a GBK copy of the
enterprise pool. Every random choice comes from one ``random.Random`` and one seeded
``Faker("zh_CN")``, called in a fixed order, so the same seed gives the same bytes in
any process (for a given Faker version). Nothing reads the clock.

The mixes follow public figures: category about 10% key / 85% general / 5% special,
environmental credit as in Guangdong 2017 (蓝 ~75%, 绿 ~12%, 黄 ~9%, 红 ~3%, 黑 ~1%),
risk ~65/27/8, 235 certified inspectors as in the city's 2021 report, joint-inspection
staff from other departments, a positive list of ~3% of active firms, declared conflicts
and twelve months of past inspections (2025-12 to 2026-11).
"""

from __future__ import annotations

import bisect
import calendar
import csv
import datetime as dt
import io
import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from faker import Faker

from inspect_sched.errors import InspectSchedError
from inspect_sched.io.fsutil import write_atomic
from inspect_sched.io.xlsx import Sheet, xlsx_bytes
from inspect_sched.schema import uscc as uscc_mod
from inspect_sched.schema.entities import CONFLICT, ENTERPRISE, HISTORY, INSPECTOR, POSITIVE_LIST, Entity
from inspect_sched.schema.entities import Field as EntityField
from inspect_sched.schema.vocab import DEFAULT_DEPARTMENT

# --------------------------------------------------------------------------- geography

# (district, GB/T 2260 code, relative number of regulated firms, name prefixes, parks)
DISTRICTS: tuple[tuple[str, str, int], ...] = (
    ("荷塘区", "430202", 13),
    ("芦淞区", "430203", 12),
    ("石峰区", "430204", 14),
    ("天元区", "430211", 16),
    ("渌口区", "430212", 8),
    ("攸县", "430223", 9),
    ("茶陵县", "430224", 7),
    ("炎陵县", "430225", 4),
    ("醴陵市", "430281", 17),
)
AREA_CODE = {name: code for name, code, _ in DISTRICTS}
URBAN = ("荷塘区", "芦淞区", "石峰区", "天元区", "渌口区")
CITY_SEAT = "天元区"  # 株洲市人民政府 and the city-level bureaus sit here

# How a firm's name starts, by district: (prefix, weight).
_NAME_PREFIX: dict[str, tuple[tuple[str, int], ...]] = {
    **{d: (("株洲", 70), ("株洲市", 20), ("湖南", 10)) for d in URBAN},
    "攸县": (("攸县", 85), ("湖南", 15)),
    "茶陵县": (("茶陵县", 60), ("茶陵", 25), ("湖南", 15)),
    "炎陵县": (("炎陵县", 60), ("炎陵", 25), ("湖南", 15)),
    "醴陵市": (("醴陵市", 65), ("醴陵", 25), ("湖南", 10)),
}
# Industrial parks and towns that appear in addresses instead of a plain street.
_PARKS: dict[str, tuple[str, ...]] = {
    "荷塘区": ("金山工业园", "仙庾镇", "明照街道"),
    "芦淞区": ("董家塅高科园", "白关镇", "枫溪街道"),
    "石峰区": ("清水塘", "田心街道", "龙头铺街道"),
    "天元区": ("株洲高新技术产业开发区", "栗雨工业园", "群丰镇", "雷打石镇"),
    "渌口区": ("渌口经济开发区", "南洲镇", "淦田镇"),
    "攸县": ("攸县工业集中区", "网岭镇", "皇图岭镇"),
    "茶陵县": ("茶陵经济开发区", "腰陂镇", "严塘镇"),
    "炎陵县": ("炎陵工业集中区", "霞阳镇", "沔渡镇"),
    "醴陵市": ("醴陵经济开发区", "陶瓷科技工业园", "浦口镇", "孙家湾镇", "王仙镇"),
}

# ------------------------------------------------------------------------- enterprises

CATEGORY_MIX = (("重点排污单位", 10), ("一般排污单位", 85), ("特殊监管对象", 5))
CREDIT_MIX = (("良好", 75), ("诚信", 12), ("警示", 9), ("不良", 3), ("严重失信", 1))
# Risk by category; overall about 65/27/8.
RISK_MIX: dict[str, tuple[tuple[str, int], ...]] = {
    "重点排污单位": (("低", 30), ("中", 45), ("高", 25)),
    "一般排污单位": (("低", 69), ("中", 25), ("高", 6)),
    "特殊监管对象": (("低", 55), ("中", 33), ("高", 12)),
}
STATUS_MIX = (("在产", 980), ("停产", 8), ("关闭", 5), ("搬迁", 4), ("破产", 3))

# Industry weights by category.
INDUSTRY_MIX: dict[str, tuple[tuple[str, int], ...]] = {
    "重点排污单位": (
        ("化工", 20), ("冶炼", 15), ("电镀", 10), ("污水处理", 15), ("陶瓷", 10), ("建材", 8),
        ("印染", 6), ("危废处置", 6), ("医疗机构", 4), ("食品加工", 3), ("电子", 3),
    ),
    "一般排污单位": (
        ("汽修", 16), ("机械制造", 14), ("陶瓷", 10), ("建材", 10), ("食品加工", 10), ("电子", 9),
        ("化工", 6), ("医疗机构", 6), ("建筑工地", 6), ("印染", 4), ("家具制造", 4),
        ("机动车检测", 3), ("电镀", 2), ("冶炼", 2), ("矿山", 2),
    ),
    "特殊监管对象": (
        ("医疗机构", 25), ("机动车检测", 25), ("生态环境监测机构", 20), ("建筑工地", 10),
        ("矿山", 10), ("危废处置", 10),
    ),
}
# Local specialisations: 醴陵 ceramics, 石峰 (清水塘) chemicals and smelting, 芦淞 garments.
_INDUSTRY_BOOST: dict[str, dict[str, int]] = {
    "醴陵市": {"陶瓷": 6},
    "石峰区": {"化工": 2, "冶炼": 3},
    "芦淞区": {"印染": 3},
    "天元区": {"电子": 2, "机械制造": 2},
    "攸县": {"矿山": 3},
    "茶陵县": {"矿山": 2},
    "炎陵县": {"矿山": 2},
}
# Name endings per industry; {p} is the place prefix, {z} the trade name (字号).
_NAME_FORMS: dict[str, tuple[str, ...]] = {
    "化工": ("{p}{z}化工有限公司", "{p}{z}化学有限公司", "{p}{z}新材料有限公司"),
    "陶瓷": ("{p}{z}陶瓷有限公司", "{p}{z}瓷业有限公司", "{p}{z}电瓷电器有限公司", "{p}{z}陶瓷釉料有限公司"),
    "冶炼": ("{p}{z}冶炼有限公司", "{p}{z}有色金属有限公司", "{p}{z}硬质合金有限公司"),
    "电镀": ("{p}{z}电镀有限公司", "{p}{z}表面处理有限公司"),
    "医疗机构": ("{p}{z}医院", "{p}{z}口腔门诊部", "{p}{z}中医医院", "{p}{z}妇产医院"),
    "机动车检测": ("{p}{z}机动车检测有限公司", "{p}{z}机动车安全技术检测有限公司"),
    "汽修": ("{p}{z}汽车维修有限公司", "{p}{z}汽车服务有限公司", "{p}{z}汽车修理厂"),
    "建材": ("{p}{z}建材有限公司", "{p}{z}水泥有限公司", "{p}{z}混凝土有限公司", "{p}{z}新型墙材有限公司"),
    "印染": ("{p}{z}印染有限公司", "{p}{z}纺织印染有限公司", "{p}{z}服饰水洗有限公司"),
    "食品加工": ("{p}{z}食品有限公司", "{p}{z}食品加工厂", "{p}{z}酒业有限公司"),
    "污水处理": ("{p}{z}污水处理有限公司", "{p}{z}水务有限公司"),
    "电子": ("{p}{z}电子科技有限公司", "{p}{z}电子有限公司", "{p}{z}电路板有限公司"),
    "机械制造": ("{p}{z}机械制造有限公司", "{p}{z}机械有限公司", "{p}{z}轨道交通装备有限公司", "{p}{z}动力机械有限公司"),
    "建筑工地": ("{p}{z}建设工程有限公司", "{p}{z}建筑工程有限公司"),
    "生态环境监测机构": ("{p}{z}环境检测有限公司", "{p}{z}检测技术有限公司"),
    "矿山": ("{p}{z}矿业有限公司", "{p}{z}采石场"),
    "危废处置": ("{p}{z}环保科技有限公司", "{p}{z}废物处置有限公司"),
    "家具制造": ("{p}{z}家具有限公司", "{p}{z}木业有限公司"),
}
# Pollution tags per industry: (tag, probability).
_TAGS: dict[str, tuple[tuple[str, float], ...]] = {
    "化工": (("涉危废", 0.7), ("涉VOCs", 0.6), ("辐射", 0.03), ("涉ODS", 0.03)),
    "陶瓷": (("涉VOCs", 0.2), ("涉重金属", 0.15)),
    "冶炼": (("涉重金属", 0.85), ("涉铊", 0.15), ("涉危废", 0.6), ("辐射", 0.05)),
    "电镀": (("涉重金属", 0.9), ("涉危废", 0.9)),
    "医疗机构": (("涉危废", 0.8), ("辐射", 0.28)),
    "机动车检测": (("涉危废", 0.1),),
    "汽修": (("涉危废", 0.5), ("涉VOCs", 0.4), ("涉ODS", 0.08)),
    "建材": (("辐射", 0.02),),
    "印染": (("涉VOCs", 0.2),),
    "食品加工": (("涉ODS", 0.05),),
    "污水处理": (("涉危废", 0.2),),
    "电子": (("涉VOCs", 0.4), ("涉重金属", 0.2), ("涉危废", 0.4), ("辐射", 0.02), ("涉ODS", 0.03)),
    "机械制造": (("涉VOCs", 0.5), ("涉危废", 0.4), ("辐射", 0.04)),
    "建筑工地": (),
    "生态环境监测机构": (("涉危废", 0.3), ("辐射", 0.1)),
    "矿山": (("涉重金属", 0.3), ("涉铊", 0.05)),
    "危废处置": (("涉危废", 1.0), ("涉重金属", 0.3)),
    "家具制造": (("涉VOCs", 0.8),),
}
TAG_ORDER = ("涉危废", "涉VOCs", "涉重金属", "涉铊", "涉ODS", "辐射")

# Two-character trade names when Faker's company words do not suit (they lean to IT).
_TRADE_CHARS = "鑫华兴宏泰盛达源恒昌隆丰瑞祥永金新广安顺福利佳康建中天长明正德和润通宇嘉凯旺远湘株醴渌"
_FAKER_TRADE_BAD = ("电子", "软件", "信息", "计算机", "公司", "科技", "数字", "国际", "网", "开发区", "电脑")

# -------------------------------------------------------------------------- inspectors

DETACHMENT = "株洲市生态环境保护综合行政执法支队"
# Ecology-environment staff per unit (relative); the detachment sits in the city seat.
_ENV_UNITS: tuple[tuple[str, str, int], ...] = (
    (DETACHMENT, CITY_SEAT, 40),
    (DETACHMENT + "荷塘大队", "荷塘区", 19),
    (DETACHMENT + "芦淞大队", "芦淞区", 19),
    (DETACHMENT + "石峰大队", "石峰区", 21),
    (DETACHMENT + "天元大队", "天元区", 20),
    ("株洲市生态环境局渌口分局（渌口区生态环境保护综合行政执法大队）", "渌口区", 15),
    ("株洲市生态环境局攸县分局（攸县生态环境保护综合行政执法大队）", "攸县", 16),
    ("株洲市生态环境局茶陵分局（茶陵县生态环境保护综合行政执法大队）", "茶陵县", 15),
    ("株洲市生态环境局炎陵分局（炎陵县生态环境保护综合行政执法大队）", "炎陵县", 12),
    ("株洲市生态环境局醴陵分局（醴陵市生态环境保护综合行政执法大队）", "醴陵市", 23),
)
# Joint-inspection departments: (department, unit, home district, relative share, specialties).
_OTHER_DEPTS: tuple[tuple[str, str, str, int, str], ...] = (
    ("市场监管", "株洲市市场监督管理局", CITY_SEAT, 8, "检验检测;计量"),
    ("交通运输", "株洲市交通运输综合行政执法支队", CITY_SEAT, 5, "机动车检验"),
    ("自然资源", "株洲市自然资源和规划局", CITY_SEAT, 5, "矿产资源;地质环境"),
    ("卫生健康", "株洲市卫生健康委员会", CITY_SEAT, 4, "医疗卫生;放射卫生"),
    ("住建", "株洲市住房和城乡建设局", CITY_SEAT, 3, "建筑施工;扬尘"),
)
OTHER_SHARE = (25, 235)  # about 25 of the city's 235 certified staff
# Partner staff: 市场监管 staff registered for joint checks in the city bureau and in each
# district's branch, as a city's market regulation is organised; enough of them (about 40 per
# 235 of the bureau's own) that a city-wide joint draw can be staffed under the cross-district
# rule. They come from a stream of their own, appended after every other table is made, so
# that adding them (or not) leaves every other row of the set as it is.
MARKET_SHARE = (40, 235)
# Inspector ids are ZZ + area code + 5 digits, drawn until unused: these bounds keep every
# area's 100,000 numbers far from full (a province has about 3,000 inspectors).
MAX_INSPECTORS = 200_000
MAX_PARTNER_STAFF = 100_000


def _market_units() -> list[tuple[str, str]]:
    """(unit, home district): the city bureau, its urban branches and the county bureaus."""
    units = [("株洲市市场监督管理局", CITY_SEAT)]
    for d, _code, _w in DISTRICTS:
        if d == CITY_SEAT:
            units.append(("株洲市市场监督管理局天元分局", d))
        elif d in URBAN:
            units.append((f"株洲市市场监督管理局{d[:-1]}分局", d))
        else:
            units.append((f"{d}市场监督管理局", d))
    return units
# Additional specialties of ecology-environment staff: (specialty, share).
_SPECIALTIES = (("危废", 0.25), ("监测", 0.15), ("大气", 0.2), ("水污染", 0.2), ("固废", 0.1), ("环评", 0.08))
RADIATION_SHARE = 0.08
EXPIRED_SHARE = 0.04
INACTIVE_SHARE = 0.02

# ----------------------------------------------------------------- lists and history

POSITIVE_SHARE = 0.03
CONFLICTS_PER_INSPECTOR = (40, 235)
_CONFLICT_REASONS = (
    ("近亲属在该单位任职", 30), ("曾在该单位工作", 25), ("近亲属持有该单位股份", 10),
    ("与该单位负责人有利害关系", 15), ("曾为该单位提供技术服务", 10), ("该单位申请回避", 10),
)
HISTORY_MONTHS = tuple((2025, 12) if i == 0 else (2026, i) for i in range(12))  # 2025-12 .. 2026-11
# Monthly random-inspection rate by category (overall about 5%).
_RANDOM_RATE = {"重点排污单位": 0.18, "一般排污单位": 0.05, "特殊监管对象": 0.12}
_CAP = {"诚信": 1, "良好": 2}  # the default annual caps, respected by the synthetic history
# Special campaigns (专项): month, tag of the targeted firms, share of them inspected.
_CAMPAIGNS = (((2026, 3), "涉危废", 0.15), ((2026, 6), "涉VOCs", 0.12), ((2026, 9), "涉重金属", 0.2))
COMPLAINT_RATE = 0.003
REFERENCE_DAY = dt.date(2026, 12, 1)  # the default set is made for the December 2026 draw

FILES = ("enterprises.csv", "inspectors.csv", "positive_list.csv", "conflicts.csv", "history.csv")


@dataclass
class GeneratedSummary:
    """What ``generate`` wrote: rows per table and the files (name -> data rows)."""

    out: Path
    seed: str
    enterprises: int
    inspectors: int
    positive_list: int
    conflicts: int
    history: int
    files: dict[str, int] = field(default_factory=dict)
    gbk_written: bool = False


# A firm and a person as the generator builds them: the registry's frozen fields, mutable,
# holding the Chinese words a platform exports (重点排污单位, 是 ...).
if TYPE_CHECKING:
    _Firm = Any
    _Inspector = Any
else:
    _Firm = ENTERPRISE.record_class("_Firm", frozen=False, module=__name__)
    _Inspector = INSPECTOR.record_class("_Inspector", frozen=False, module=__name__)


class _Mix:
    """A weighted choice prepared once: ``draw`` costs one ``random()`` and a bisection."""

    def __init__(self, mix: Sequence[tuple[str, int]]):
        self.keys = [k for k, _ in mix]
        self.cum = list(itertools.accumulate(w for _, w in mix))
        self.total = self.cum[-1]

    def draw(self, rng: random.Random) -> str:
        return self.keys[bisect.bisect(self.cum, rng.random() * self.total)]


def _pick(rng: random.Random, mix: Sequence[tuple[str, int]]) -> str:
    return _Mix(mix).draw(rng)


def _gb11714_check(body8: str) -> str:
    """Check character of a GB 11714 organisation code (weights 3 7 9 10 5 8 4 2, mod 11)."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum((int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(body8, weights, strict=True))
    c = 11 - total % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def _uscc(rng: random.Random, area: str, taken: set[str]) -> str:
    """'91' + area + a 9-character organisation code + check character; unique in ``taken``."""
    letters = uscc_mod.ALPHABET
    while True:
        if rng.random() < 0.7:  # registered since 2015: MA + 6 characters
            body = "MA" + "".join(rng.choice(letters) for _ in range(6))
        else:  # an older organisation code, digits only
            body = "".join(rng.choice("0123456789") for _ in range(8))
        code = uscc_mod.make("91" + area + body + _gb11714_check(body))
        if code not in taken:
            taken.add(code)
            return code


def _trade_names() -> tuple[str, ...]:
    """Faker's zh_CN company words that read as a trade name (no 软件, 电子, Latin letters...)."""
    from faker.providers.company.zh_CN import Provider

    words: list[str] = []
    for w in Provider.company_prefixes:
        if 2 <= len(w) <= 4 and all("\u4e00" <= ch <= "\u9fff" for ch in w):
            if not any(b in w for b in _FAKER_TRADE_BAD) and w not in words:
                words.append(w)
    return tuple(words)


def _firms(n: int, rng: random.Random, fake: Faker) -> list[_Firm]:
    faker_words = _trade_names()
    district_mix = _Mix([(d, w) for d, _, w in DISTRICTS])
    category_mix, credit_mix, status_mix = _Mix(CATEGORY_MIX), _Mix(CREDIT_MIX), _Mix(STATUS_MIX)
    risk_mix = {c: _Mix(m) for c, m in RISK_MIX.items()}
    prefix_mix = {d: _Mix(m) for d, m in _NAME_PREFIX.items()}
    industry_mix = {
        (d, c): _Mix([(ind, w * _INDUSTRY_BOOST.get(d, {}).get(ind, 1)) for ind, w in mix])
        for d, _, _ in DISTRICTS
        for c, mix in INDUSTRY_MIX.items()
    }
    taken_codes: set[str] = set()
    taken_names: set[str] = set()
    firms = []
    for _ in range(n):
        district = district_mix.draw(rng)
        category = category_mix.draw(rng)
        industry = industry_mix[(district, category)].draw(rng)
        credit = credit_mix.draw(rng)
        risk = risk_mix[category].draw(rng)
        status = status_mix.draw(rng)
        drawn = [tag for tag, p in _TAGS[industry] if rng.random() < p]
        tags = tuple(t for t in TAG_ORDER if t in drawn)
        code = _uscc(rng, AREA_CODE[district], taken_codes)
        prefix = prefix_mix[district].draw(rng)
        form = rng.choice(_NAME_FORMS[industry])
        name = ""
        for attempt in range(50):
            roll = rng.random()
            if roll < 0.35 and faker_words:
                trade = rng.choice(faker_words)
            elif roll < 0.55:
                trade = fake.last_name() + rng.choice(_TRADE_CHARS)
            else:
                trade = rng.choice(_TRADE_CHARS) + rng.choice(_TRADE_CHARS)
                if trade[0] == trade[1]:
                    continue
            if attempt >= 20:  # a crowded pool: add a branch marker
                trade += rng.choice(("新", "宏", "源", "达")) + str(attempt)
            name = form.format(p=prefix, z=trade)
            if name not in taken_names:
                break
        taken_names.add(name)
        if rng.random() < 0.3:
            place = rng.choice(_PARKS[district])
        else:
            place = fake.street_name()
        address = f"湖南省株洲市{district}{place}{rng.randint(1, 999)}号"
        firms.append(_Firm(uscc=code, name=name, district=district, category=category, credit=credit, risk=risk,
                           status=status, industry=industry, address=address, tags=tags))
    return firms


def _quota(n: int, shares: Sequence[tuple[str, int]]) -> list[str]:
    """``n`` items split by ``shares`` (largest remainder, ties by order), as a grouped list."""
    total = sum(w for _, w in shares)
    base = [n * w // total for _, w in shares]
    rest = sorted(range(len(shares)), key=lambda i: (-(n * shares[i][1] % total), i))[: n - sum(base)]
    for i in rest:
        base[i] += 1
    return [name for (name, _), k in zip(shares, base, strict=True) for _ in range(k)]


def _spread(n: int, total: tuple[int, int]) -> int:
    return round(n * total[0] / total[1])


def _inspectors(m: int, rng: random.Random, fake: Faker) -> list[_Inspector]:
    n_other = _spread(m, OTHER_SHARE) if m >= 10 else 0
    n_env = m - n_other
    people: list[_Inspector] = []
    taken_ids: set[str] = set()

    def new_id(district: str, city_level: bool) -> str:
        return _inspector_id(rng, "430200" if city_level else AREA_CODE[district], taken_ids)

    home = {u: d for u, d, _ in _ENV_UNITS}
    for unit in _quota(n_env, [(u, w) for u, _, w in _ENV_UNITS]):
        specs = ["执法"] if rng.random() < 0.85 else []
        specs += [s for s, p in _SPECIALTIES if rng.random() < p]
        people.append(_Inspector(
            inspector_id=new_id(home[unit], unit == DETACHMENT), name=fake.name(), unit=unit,
            district=home[unit], department=DEFAULT_DEPARTMENT, cert_valid_until=_valid_until(rng),
            active=True, specialties=tuple(specs),
        ))
    # Joint-task staff: one of each department first, then by share.
    depts = list(_OTHER_DEPTS)
    for k in range(n_other):
        dept = depts[k] if k < len(depts) else rng.choices(depts, weights=[d[3] for d in depts])[0]
        name, unit, district, _, dept_specs = dept
        people.append(_Inspector(
            inspector_id=new_id(district, True), name=fake.name(), unit=unit, district=district, department=name,
            cert_valid_until=_valid_until(rng), active=True, specialties=tuple(dept_specs.split(";")),
        ))
    # Exact shares, so that even a small pool has radiation staff and expired certificates.
    env_idx = list(range(n_env))
    for i in rng.sample(env_idx, min(n_env, max(1 if n_env >= 4 else 0, round(n_env * RADIATION_SHARE)))):
        p = people[i]
        p.specialties = (*p.specialties, "辐射")
    all_idx = list(range(len(people)))
    n_expired = max(1 if m >= 10 else 0, round(m * EXPIRED_SHARE))
    for i in rng.sample(all_idx, n_expired):
        # Lapsed between 2025-01 and the draw month; one in ten lapses during December 2026
        # itself (valid on the 1st, not on the last day).
        if rng.random() < 0.1:
            people[i].cert_valid_until = dt.date(2026, 12, rng.randint(1, 30))
        else:
            people[i].cert_valid_until = dt.date(2025, 1, 1) + dt.timedelta(days=rng.randint(0, 698))
    for i in rng.sample(all_idx, max(1 if m >= 20 else 0, round(m * INACTIVE_SHARE))):
        people[i].active = False
    for p in people:
        p.specialties = tuple(sorted(set(p.specialties)))
    return people


def _inspector_id(rng: random.Random, area: str, taken: set[str]) -> str:
    """A 执法证号 ZZ + area code + 5 digits not yet in ``taken`` (which it joins)."""
    while True:
        ident = f"ZZ{area}{rng.randint(0, 99999):05d}"
        if ident not in taken:
            taken.add(ident)
            return ident


def default_partner_staff(inspectors: int) -> int:
    """How many partner staff ``fixtures generate`` adds by default: about 40 per 235."""
    return _spread(inspectors, MARKET_SHARE) if inspectors >= 10 else 0


def _partner_staff(n: int, seed: str, taken: set[str], firms: list[_Firm]) -> tuple[
        list[_Inspector], list[tuple[str, str, str]]]:
    """``n`` 市场监管 joint-check staff, city bureau first then each district's branch, and
    their declared conflicts, from their own seeded stream."""
    rng = random.Random(f"inspect-sched/fixtures/{seed}/partner-staff")
    fake = Faker("zh_CN")
    fake.seed_instance(f"inspect-sched/faker/{seed}/partner-staff")
    units = _market_units()
    people: list[_Inspector] = []
    for k in range(n):
        unit, district = units[k % len(units)]
        area = "430200" if k % len(units) == 0 else AREA_CODE[district]
        people.append(_Inspector(
            inspector_id=_inspector_id(rng, area, taken), name=fake.name(), unit=unit, district=district, department="市场监管",
            cert_valid_until=_valid_until(rng), active=True, specialties=("检验检测", "计量"),
        ))
    # As in the bureau's own pool: a few lapsed certificates and one not 在岗.
    if n >= 10:
        for i in rng.sample(range(n), max(1, round(n * EXPIRED_SHARE))):
            people[i].cert_valid_until = dt.date(2025, 1, 1) + dt.timedelta(days=rng.randint(0, 698))
        for i in rng.sample(range(n), max(1, round(n * INACTIVE_SHARE))):
            people[i].active = False
    return people, _conflicts(firms, people, rng)


def _valid_until(rng: random.Random) -> dt.date:
    return dt.date(2027, 1, 1) + dt.timedelta(days=rng.randint(0, 5 * 365))


def _plus_years(d: dt.date, years: int) -> dt.date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def _positive_list(firms: list[_Firm], rng: random.Random) -> list[tuple[str, dt.date, dt.date]]:
    active = [f for f in firms if f.status == "在产"]
    target = round(len(active) * POSITIVE_SHARE)
    green = [f for f in active if f.credit == "诚信"]
    blue = [f for f in active if f.credit == "良好"]
    chosen = rng.sample(green, min(len(green), round(target * 0.75)))
    chosen += rng.sample(blue, min(len(blue), target - len(chosen)))
    start0 = dt.date(2024, 1, 1)
    rows = []
    for f in chosen:
        start = start0 + dt.timedelta(days=rng.randint(0, 1095))  # 2024-01-01 .. 2026-12-31
        rows.append((f.uscc, start, _plus_years(start, 3)))
    return sorted(rows)


def _conflicts(firms: list[_Firm], people: list[_Inspector], rng: random.Random) -> list[tuple[str, str, str]]:
    if not firms or not people:
        return []
    target = min(_spread(len(people), CONFLICTS_PER_INSPECTOR), len(firms) * len(people))
    by_district: dict[str, list[_Firm]] = {}
    for f in firms:
        by_district.setdefault(f.district, []).append(f)
    seen: set[tuple[str, str]] = set()
    rows: list[tuple[str, str, str]] = []
    for _ in range(target * 20):
        if len(rows) >= target:
            break
        person = rng.choice(people)
        local = by_district.get(person.district)
        firm = rng.choice(local) if local and rng.random() < 0.5 else rng.choice(firms)
        if (person.inspector_id, firm.uscc) in seen:
            continue
        seen.add((person.inspector_id, firm.uscc))
        rows.append((person.inspector_id, firm.uscc, _pick(rng, _CONFLICT_REASONS)))
    return sorted(rows)


def _workday(rng: random.Random, year: int, month: int) -> dt.date:
    last = calendar.monthrange(year, month)[1]
    while True:
        day = dt.date(year, month, rng.randint(1, last))
        if day.weekday() < 5:
            return day


def _history(
    firms: list[_Firm],
    people: list[_Inspector],
    positive: list[tuple[str, dt.date, dt.date]],
    rng: random.Random,
) -> list[tuple[str, dt.date, str, str]]:
    env = [p for p in people if p.department == DEFAULT_DEPARTMENT and p.active]
    listed = {u: (s, e) for u, s, e in positive}
    last_random: dict[str, dt.date] = {}
    per_year: dict[tuple[str, int], int] = {}
    rows: list[tuple[str, dt.date, str, str]] = []

    pools: dict[tuple[dt.date, str, bool, int], list[_Inspector]] = {}

    def team(day: dt.date, district: str, local: bool, size: int) -> str:
        """A team of ``size`` with valid certificates: from other districts, or local ones."""
        key = (day, district, local, size)
        pool = pools.get(key)
        if pool is None:
            pool = [p for p in env if p.cert_valid_until >= day and (p.district == district) == local]
            if len(pool) < size:
                pool = [p for p in env if p.cert_valid_until >= day]
            pools[key] = pool
        return ";".join(sorted(p.inspector_id for p in rng.sample(pool, min(size, len(pool)))))

    for year, month in HISTORY_MONTHS:
        first = dt.date(year, month, 1)
        eligible = []
        for f in firms:
            if f.status != "在产":
                continue
            span = listed.get(f.uscc)
            if span and span[0] <= first <= span[1]:
                continue
            last = last_random.get(f.uscc)
            if last is not None and (first - last).days <= 90:
                continue
            cap = _CAP.get(f.credit)
            if cap is not None and per_year.get((f.uscc, year), 0) >= cap:
                continue
            eligible.append(f)
        for f in eligible:
            if rng.random() < _RANDOM_RATE[f.category]:
                day = _workday(rng, year, month)
                rows.append((f.uscc, day, "双随机", team(day, f.district, False, 2)))
                last_random[f.uscc] = day
                per_year[(f.uscc, year)] = per_year.get((f.uscc, year), 0) + 1
        for when, tag, share in _CAMPAIGNS:
            if when == (year, month):
                for f in firms:
                    if f.status == "在产" and tag in f.tags and rng.random() < share:
                        day = _workday(rng, year, month)
                        rows.append((f.uscc, day, "专项", team(day, f.district, False, rng.choice((2, 3)))))
        for f in firms:
            if rng.random() < COMPLAINT_RATE:
                day = _workday(rng, year, month)
                kind = "投诉" if rng.random() < 0.6 else "信访"
                rows.append((f.uscc, day, kind, team(day, f.district, True, 2)))
    return sorted(rows, key=lambda r: (r[1], r[0], r[2], r[3]))


# ------------------------------------------------------------------------------ output


def _fixture_fields(entity: Entity) -> list[EntityField]:
    """The columns a platform export has: the frozen fields a user imports."""
    return [f for f in entity.frozen if f.imported]


def _header(entity: Entity) -> list[str]:
    return [f.headers[0] for f in _fixture_fields(entity)]


def _fixture_cell(value: object) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, tuple):
        return ";".join(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _rows(entity: Entity, records: Sequence[Any]) -> list[list[str]]:
    """Records (objects with the fields) or tuples in field order, as cells of an export."""
    names = [f.name for f in _fixture_fields(entity)]
    return [
        [_fixture_cell(v) for v in (r if isinstance(r, tuple) else (getattr(r, n) for n in names))]
        for r in records
    ]


def _csv_text(header: list[str], rows: list[list[str]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def _bom_utf8(text: str) -> bytes:
    return b"\xef\xbb\xbf" + text.encode("utf-8")


def build(enterprises: int, inspectors: int, seed: str,
          partner_staff: int | None = None) -> tuple[dict[str, bytes], dict[str, int]]:
    """All output files as ``{file name: bytes}`` and their data rows, writing nothing.

    ``partner_staff``: 市场监管 joint-check staff added after the ``inspectors`` of the
    bureau's own pool (default :func:`default_partner_staff`; 0 for none).
    """
    if partner_staff is None:
        partner_staff = default_partner_staff(inspectors)
    if not 0 <= partner_staff <= MAX_PARTNER_STAFF:
        raise InspectSchedError(f"partner staff must be between 0 and {MAX_PARTNER_STAFF:,}, got {partner_staff}",
                                hint="fake_partner_staff", value=partner_staff)
    if enterprises < 1:
        raise InspectSchedError(f"enterprises must be at least 1, got {enterprises}",
                                hint="fake_enterprises", value=enterprises)
    if not 2 <= inspectors <= MAX_INSPECTORS:
        raise InspectSchedError(f"inspectors must be between 2 (a team has two) and {MAX_INSPECTORS:,}, "
                                f"got {inspectors}", hint="fake_inspectors", value=inspectors)
    if not seed or "|" in seed:
        raise InspectSchedError("seed must be a non-empty string without '|'", hint="fake_seed")
    rng = random.Random(f"inspect-sched/fixtures/{seed}")
    fake = Faker("zh_CN")
    fake.seed_instance(f"inspect-sched/faker/{seed}")

    firms = _firms(enterprises, rng, fake)
    people = _inspectors(inspectors, rng, fake)
    positive = _positive_list(firms, rng)
    conflicts = _conflicts(firms, people, rng)
    history = _history(firms, people, positive, rng)
    partners, partner_conflicts = _partner_staff(partner_staff, seed, {p.inspector_id for p in people}, firms)
    people += partners
    conflicts = sorted(conflicts + partner_conflicts)

    firm_rows = _rows(ENTERPRISE, firms)
    person_rows = _rows(INSPECTOR, people)
    tables = {
        "enterprises.csv": (_header(ENTERPRISE), firm_rows),
        "inspectors.csv": (_header(INSPECTOR), person_rows),
        "positive_list.csv": (_header(POSITIVE_LIST), _rows(POSITIVE_LIST, positive)),
        "conflicts.csv": (_header(CONFLICT), _rows(CONFLICT, conflicts)),
        "history.csv": (_header(HISTORY), _rows(HISTORY, history)),
    }
    files: dict[str, bytes] = {}
    counts: dict[str, int] = {}
    for name, (header, rows) in tables.items():
        text = _csv_text(header, rows)
        files[name] = _bom_utf8(text)
        counts[name] = len(rows)
        if name == "enterprises.csv":
            try:
                gbk = text.encode("gbk")
            except UnicodeEncodeError:
                pass  # a value outside GBK: no GBK copy rather than a lossy one
            else:
                files["enterprises-gbk.csv"] = gbk
                counts["enterprises-gbk.csv"] = len(rows)
    files["enterprises.xlsx"] = xlsx_bytes([Sheet("检查对象名录库", *tables["enterprises.csv"])])
    counts["enterprises.xlsx"] = len(firm_rows)
    files["inspectors.xlsx"] = xlsx_bytes([Sheet("执法检查人员名录库", *tables["inspectors.csv"])])
    counts["inspectors.xlsx"] = len(person_rows)
    return files, counts


def generate(enterprises: int, inspectors: int, seed: str, out: Path,
             partner_staff: int | None = None) -> GeneratedSummary:
    """Write the synthetic pools for ``seed`` into folder ``out`` (created if needed).

    Files: enterprises.csv, inspectors.csv, positive_list.csv, conflicts.csv, history.csv
    (UTF-8 with BOM, Chinese headers, ``\\r\\n``), enterprises.xlsx, inspectors.xlsx and,
    when every value encodes in GBK, enterprises-gbk.csv. Each file is written atomically;
    files of these names already in ``out`` are replaced, nothing else is touched.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InspectSchedError(f"{out}: exists and is not a folder; give a folder", hint="out_not_folder", out=out)
    files, counts = build(enterprises, inspectors, seed, partner_staff)
    for name, data in files.items():
        write_atomic(out / name, data)
    return GeneratedSummary(
        out=out,
        seed=seed,
        enterprises=counts["enterprises.csv"],
        inspectors=counts["inspectors.csv"],
        positive_list=counts["positive_list.csv"],
        conflicts=counts["conflicts.csv"],
        history=counts["history.csv"],
        files=counts,
        gbk_written="enterprises-gbk.csv" in files,
    )
