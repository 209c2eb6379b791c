"""The words of SPEC §2: enumerations and their accepted spellings.

Each enumeration maps every accepted spelling (English or Chinese) to the canonical word.
The columns of each input table (and their Chinese headers) are in ``schema/entities.py``.
"""

from __future__ import annotations

CATEGORY = {
    "key": "key", "重点排污单位": "key", "重点": "key",
    "general": "general", "一般排污单位": "general", "一般": "general",
    "special": "special", "特殊监管对象": "special", "特殊": "special",
}
CREDIT = {
    "green": "green", "诚信": "green", "绿": "green", "绿牌": "green",
    "blue": "blue", "良好": "blue", "蓝": "blue", "蓝牌": "blue",
    "yellow": "yellow", "警示": "yellow", "黄": "yellow", "黄牌": "yellow",
    "red": "red", "不良": "red", "红": "red", "红牌": "red",
    "black": "black", "严重失信": "black", "黑": "black", "黑牌": "black",
}
RISK = {
    "low": "low", "低": "low", "一般": "low",
    "medium": "medium", "中": "medium", "较大": "medium",
    "high": "high", "高": "high", "重大": "high",
}
STATUS = {
    "active": "active", "正常": "active", "在产": "active",
    "suspended": "suspended", "停产": "suspended",
    "closed": "closed", "关闭": "closed", "注销": "closed",
    "relocated": "relocated", "搬迁": "relocated",
    "bankrupt": "bankrupt", "破产": "bankrupt",
}
KIND = {
    "random": "random", "双随机": "random",
    "special": "special", "专项": "special",
    "complaint": "complaint", "信访": "complaint", "投诉": "complaint", "信访/投诉": "complaint",
}
BOOLEAN = {
    "是": True, "yes": True, "true": True, "1": True, "y": True,
    "否": False, "no": False, "false": False, "0": False, "n": False,
}

# Order matters: it is the order of SPEC and of every canonical file.
CATEGORIES = ("key", "general", "special")
CREDITS = ("green", "blue", "yellow", "red", "black")
RISKS = ("low", "medium", "high")
STATUSES = ("active", "suspended", "closed", "relocated", "bankrupt")
KINDS = ("random", "special", "complaint")

DEFAULT_DEPARTMENT = "生态环境"
RESULT_WORDS = ("未发现问题", "责令改正", "立案查处", "查无下落", "已关闭或停产", "拒绝检查")


def _chinese(mapping: dict[str, str]) -> dict[str, str]:
    """Canonical word -> its first Chinese spelling above (the formal name: 重点排污单位, 诚信 ...)."""
    out: dict[str, str] = {}
    for word, canonical in mapping.items():
        if not word.isascii():
            out.setdefault(canonical, word)
    return out


CATEGORY_ZH = _chinese(CATEGORY)
CREDIT_ZH = _chinese(CREDIT)
