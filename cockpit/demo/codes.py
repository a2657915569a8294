"""Each department's own code lists, as the demo departments write them, with the unified code
(``cockpit.reference``) each one stands for and a relative frequency.

``config/sources/demo.toml`` holds the same mappings as value maps; the demo tests check that
every code written here is mapped there.
"""

from __future__ import annotations

# 110 接警单 警情类别 -> (unified category, weight)
POLICE_INCIDENT = {
    "020100": ("SAF-ORDER", 30), "030100": ("SAF-TRAFFIC", 25), "040100": ("SAF-DISPUTE", 25),
    "050100": ("SAF-FRAUD", 10), "060100": ("SAF-FIRE", 4), "070100": ("ECO-NOISE", 6),
}
POLICE_STATUS = ("01", "02", "03", "04", "05")  # 已接警 已派警 已到场 已处理 已结案

# 雪亮工程 告警类型
CAMERA_ALARM = {
    "RQJJ": ("SAF-CAMERA", 30), "ZDJY": ("SAF-STALL", 25), "YWHZ": ("SAF-FIRE", 5),
    "LJDF": ("ECO-SANITATION", 25), "JDCWT": ("SAF-TRAFFIC", 15),
}
CAMERA_STATUS = ("0", "1", "2")  # 未处理 处理中 已处置

# 12345 热线 诉求分类
HOTLINE_CATEGORY = {
    "A0101": ("ECO-NOISE", 12), "A0102": ("ECO-POLLUTION", 8), "A0201": ("ECO-SANITATION", 12),
    "B0101": ("SRV-ROAD", 12), "B0102": ("SRV-UTILITY", 12), "B0201": ("SAF-STALL", 8),
    "B0301": ("SAF-BUILD", 5), "C0101": ("SRV-CONSUMER", 8), "C0201": ("SAF-FOOD", 4),
    "D0101": ("ECO-WAGE", 5), "D0201": ("SRV-EMPLOY", 4), "D0301": ("SRV-EDU", 3),
    "D0401": ("SRV-HEALTH", 3), "D0501": ("SRV-ELDERLY", 2), "D0601": ("SRV-RELIEF", 2),
}
HOTLINE_SOURCE = ("PHONE", "WEB", "APP", "WECHAT")
HOTLINE_STATUS = ("NEW", "ACCEPTED", "DISPATCHED", "SIGNED", "ONSITE", "DONE", "CLOSED")

# 信访 内容分类 (Chinese status words are the petition system's own)
PETITION_CATEGORY = {
    "01": ("ECO-WAGE", 20), "02": ("SAF-BUILD", 20), "03": ("SAF-DISPUTE", 25),
    "04": ("ECO-POLLUTION", 10), "05": ("SRV-RELIEF", 10), "06": ("SAF-PETITION", 15),
}
PETITION_FORM = ("来信", "来访", "网上信访")
PETITION_STATUS = ("登记", "受理", "交办", "办理中", "办结")

# 数字城管 事件类别 (GB/T 30428 style 大类+小类)
URBAN_EVENT = {
    "0101": ("SAF-BUILD", 10), "0102": ("ECO-SANITATION", 25), "0103": ("ECO-SANITATION", 10),
    "0501": ("SAF-STALL", 20), "0502": ("SAF-STALL", 10), "0301": ("ECO-NOISE", 8),
    "0201": ("SRV-ROAD", 12), "0105": ("ECO-POLLUTION", 5),
}
URBAN_STATUS = ("上报", "立案", "派遣", "处置", "核查", "结案")

# 网格员 App 上报类型
GRID_REPORT = {
    "MDJF": ("SAF-DISPUTE", 20), "AQYH": ("SAF-HAZARD", 15), "HJWS": ("ECO-SANITATION", 20),
    "ZAGL": ("SAF-ORDER", 8), "YLFW": ("SRV-ELDERLY", 10), "DLSS": ("SRV-ROAD", 12),
    "ZDJY": ("SAF-STALL", 8), "ZSZY": ("ECO-NOISE", 4), "SLFH": ("ECO-FOREST", 3),
}
GRID_STATUS = ("0", "1", "2", "3")  # 待处理 处理中 已办结 已归档

# 民政对象 类别
CIVIL_TAG = {"01": "dibao", "02": "tekun", "03": "elderly_alone", "04": "disabled"}

# 市场监管
INDUSTRY = {"A": ("agriculture", 8), "C": ("manufacturing", 30), "E": ("construction", 8),
            "F": ("wholesale_retail", 28), "H": ("hospitality", 16), "I": ("it_services", 4),
            "K": ("real_estate", 2), "O": ("resident_services", 4)}
ENTERPRISE_SCALE = {"1": "large", "2": "medium", "3": "small", "4": "micro"}
ENTERPRISE_STATUS = {"存续": "active", "在业": "active", "注销": "closed", "吊销": "closed"}
INSPECTION_KIND = {"01": "food", "02": "safety", "03": "safety", "04": "fire"}
INSPECTION_RESULT = {"合格": "pass", "不合格": "fail", "责令整改": "fail"}

# 应急管理 隐患台账
HAZARD_KIND = {"消防安全": "fire", "危化品": "safety", "用电安全": "safety", "建筑施工": "safety", "森林防火": "fire"}
HAZARD_RESULT = {"存在隐患": "fail", "无隐患": "pass"}

# 指标: each department's own indicator codes
STATS_INDICATOR = {
    "GYZCZ": "industrial_output", "GDZCTZ": "fixed_asset_investment", "SSSR": "tax_revenue",
    "NCJMSR": "rural_income", "ZDXMJH": "project_plan_investment", "ZDXMWC": "project_actual_investment",
    "RJHJDF": "living_env_score",
}
ORG_INDICATOR = {"DY01": "party_members", "DZZ01": "party_branches", "SHYK": "sanhui_yike_rate", "GBKP": "cadre_eval_score"}
SERVICES_INDICATOR = {"emp_new": "employment_new", "edu_enrol": "enrolment_rate",
                      "hlth_check": "health_checkups", "fam_doc": "family_doctor_rate"}

# 政务服务
SERVICE_ITEM = {  # 事项编码 -> (unified service code, 事项名称, 办理机构, weight, joint 一件事?)
    "MZ0101": ("dibao_apply", "最低生活保障申请", "MZJ", 6, False),
    "MZ0201": ("elderly_allowance", "高龄津贴申领", "MZJ", 6, False),
    "RS0101": ("unemployment_reg", "失业登记", "RSJ", 8, False),
    "RS0201": ("social_insurance", "城乡居民养老保险参保登记", "RSJ", 12, False),
    "JY0101": ("school_enrol", "义务教育入学登记", "JYJ", 6, False),
    "WJ0101": ("birth_cert", "出生医学证明办理", "WJW", 6, False),
    "SC0101": ("business_license", "个体工商户登记", "SCJ", 10, False),
    "GA0101": ("household_move", "户口迁移", "GAJ", 10, False),
    "YJS001": ("hardship_relief", "困难群众救助一件事", "ZWFW", 5, True),
    "YJS002": ("newborn", "新生儿出生一件事", "ZWFW", 5, True),
    "YJS003": ("retirement", "退休一件事", "ZWFW", 4, True),
}
SERVICE_DEPT = {"MZJ": "civil_affairs", "RSJ": "hrss", "JYJ": "education", "WJW": "health", "SCJ": "market",
                "GAJ": "police", "ZWFW": "gov_service", "YBJ": "hrss", "CLJ": "civil_affairs"}
JOINT_STEPS = {  # 一件事 -> departments that each do a step
    "YJS001": ("MZJ", "RSJ", "JYJ", "YBJ", "CLJ"),
    "YJS002": ("WJW", "GAJ", "YBJ", "RSJ"),
    "YJS003": ("RSJ", "YBJ", "GAJ"),
}
SERVICE_CHANNEL = {"1": "online", "2": "walk_in"}
SERVICE_STATUS = {"受理": "accepted", "办理中": "processing", "办结": "completed", "退回": "rejected"}
AREA_LEVEL = {"1": "county", "2": "township", "3": "village", "4": "grid"}
GENDER = {"1": "M", "2": "F"}

# 组织部 干部家庭成员申报: 称谓 -> unified relation
CADRE_RELATION = {"01": "spouse", "02": "parent", "03": "parent", "04": "child", "05": "child", "06": "sibling",
                  "07": "sibling", "08": "in_law"}  # 配偶 父亲 母亲 儿子 女儿 兄弟 姐妹 配偶父母
RELATION_ZH = {"01": "配偶", "02": "父亲", "03": "母亲", "04": "儿子", "05": "女儿", "06": "兄弟", "07": "姐妹", "08": "配偶父母"}

# 民政 社会救助资金发放: 救助类别 -> person tag
SUBSIDY_KIND = {"DB": "dibao", "TK": "tekun"}
