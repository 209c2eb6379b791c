"""The words of SPEC §2: canonical column names, their Chinese aliases, and enumerations.

Each table maps a canonical English column to the header names users write. Each
enumeration maps every accepted spelling (English or Chinese) to the canonical word.
"""

from __future__ import annotations

COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "enterprises": {
        "uscc": ("统一社会信用代码", "信用代码", "社会信用代码"),
        "name": ("单位名称", "企业名称"),
        "district": ("所属区县", "行政区划"),
        "category": ("监管类别",),
        "credit": ("环境信用等级", "信用等级"),
        "risk": ("环境风险等级", "风险等级"),
        "status": ("经营状态",),
        "industry": ("行业",),
        "address": ("地址",),
        "tags": ("标签",),
    },
    "inspectors": {
        "inspector_id": ("执法证号",),
        "name": ("姓名",),
        "unit": ("所属单位",),
        "district": ("所属区县",),
        "department": ("部门",),
        "cert_valid_until": ("执法证有效期至",),
        "active": ("在岗",),
        "specialties": ("专长",),
    },
    "positive_list": {
        "uscc": ("统一社会信用代码",),
        "start": ("纳入日期",),
        "end": ("有效期至",),
    },
    "conflicts": {
        "inspector_id": ("执法证号",),
        "uscc": ("统一社会信用代码",),
        "reason": ("回避事由",),
    },
    "history": {
        "uscc": ("统一社会信用代码",),
        "date": ("检查日期",),
        "kind": ("检查类型",),
        "inspector_ids": ("检查人员执法证号",),
    },
    "results": {
        "uscc": ("统一社会信用代码",),
        "date": ("检查日期",),
        "result": ("检查结果",),
        "measures": ("处理措施",),
        "inspector_ids": ("实际检查人员执法证号", "检查人员执法证号"),
    },
    # 随机抽查事项清单 (issue 13)
    "items": {
        "name": ("抽查事项", "事项名称", "检查事项"),
        "code": ("事项编号", "编号"),
        "legal_basis": ("法律依据", "检查依据", "依据"),
        "method": ("检查方式", "方式"),
        "department": ("责任部门", "实施部门", "部门"),
    },
    # per firm and item (``results items``)
    "item_results": {
        "uscc": ("统一社会信用代码",),
        "item": ("抽查事项", "检查事项"),
        "checked": ("是否检查", "已检查"),
        "problem": ("是否发现问题", "发现问题"),
        "measures": ("处理措施",),
        "deadline": ("整改期限",),
        "escalate": ("转现场检查",),
    },
}

REQUIRED: dict[str, tuple[str, ...]] = {
    "enterprises": ("uscc", "name", "district"),
    "inspectors": ("inspector_id", "name", "cert_valid_until"),
    "positive_list": ("uscc", "start"),
    "conflicts": ("inspector_id", "uscc"),
    "history": ("uscc", "date", "kind"),
    "results": ("uscc", "date", "result"),
    "items": ("name",),
    "item_results": ("uscc", "item"),
}

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

# 检查方式 of an item or a stratum (SPEC §3 [modes]).
METHOD = {
    "现场": "现场", "现场检查": "现场", "onsite": "现场", "on-site": "现场",
    "非现场": "非现场", "非现场检查": "非现场", "offsite": "非现场", "off-site": "非现场",
    "书面": "书面", "书面检查": "书面", "documents": "书面",
}
