"""Unified code lists: boards, departments, channels, event categories, indicators.

These are the cockpit's own vocabulary. Each department source maps its own codes onto
these in configuration (``[sources.NAME.values.FIELD]``); nothing else hard-codes them.
"""

from __future__ import annotations

from dataclasses import dataclass

BOARDS: dict[str, tuple[str, str]] = {
    # code: (中文, English)
    "party": ("党建统领", "Party building"),
    "economy": ("经济生态", "Economy & ecology"),
    "safety": ("平安法治", "Safety & law"),
    "services": ("公共服务", "Public services"),
}


@dataclass(frozen=True)
class Department:
    code: str
    name_zh: str
    name_en: str


DEPARTMENTS: tuple[Department, ...] = (
    Department("police", "县公安局", "Public Security Bureau"),
    Department("civil_affairs", "县民政局", "Civil Affairs Bureau"),
    Department("petition", "县信访局", "Petitions Bureau"),
    Department("hotline", "12345政务服务热线", "12345 Hotline Centre"),
    Department("urban", "县综合行政执法局", "Urban Management & Enforcement"),
    Department("market", "县市场监督管理局", "Market Regulation Bureau"),
    Department("emergency", "县应急管理局", "Emergency Management Bureau"),
    Department("ecology", "市生态环境局分局", "Ecology & Environment Bureau"),
    Department("statistics", "县统计局", "Statistics Bureau"),
    Department("development", "县发展和改革局", "Development & Reform Bureau"),
    Department("organization", "县委组织部", "Party Organisation Department"),
    Department("hrss", "县人力资源和社会保障局", "Human Resources & Social Security"),
    Department("education", "县教育局", "Education Bureau"),
    Department("health", "县卫生健康局", "Health Commission"),
    Department("gov_service", "县政务服务中心", "Government Service Centre"),
    Department("justice", "县司法局", "Justice Bureau"),
    Department("township", "镇综合信息指挥室", "Township Command Centre"),
)

CHANNELS: dict[str, tuple[str, str]] = {
    "hotline_12345": ("12345热线", "12345 hotline"),
    "grid_app": ("网格上报", "Grid worker app"),
    "petition": ("信访", "Petition"),
    "police_110": ("110接警", "110 police call"),
    "camera": ("雪亮工程", "Camera alarm"),
    "sensor": ("物联感知", "Sensor"),
    "online": ("网上办", "Online service"),
    "walk_in": ("来访", "Walk-in"),
    "inspection": ("执法巡查", "Inspection"),
}


@dataclass(frozen=True)
class Category:
    code: str
    name_zh: str
    name_en: str
    board: str
    department: str  # 主体责任 responsible department
    cooperating: tuple[str, ...]  # 配合责任
    sla_hours: int  # time to resolve


CATEGORIES: tuple[Category, ...] = (
    Category("SAF-DISPUTE", "矛盾纠纷", "Dispute", "safety", "justice", ("police",), 72),
    Category("SAF-ORDER", "社会治安", "Public order", "safety", "police", (), 24),
    Category("SAF-TRAFFIC", "交通安全", "Traffic safety", "safety", "police", ("urban",), 48),
    Category("SAF-FRAUD", "电信诈骗", "Telecom fraud", "safety", "police", (), 24),
    Category("SAF-FIRE", "消防安全", "Fire safety", "safety", "emergency", ("police",), 24),
    Category("SAF-HAZARD", "安全生产隐患", "Work-safety hazard", "safety", "emergency", ("market",), 168),
    Category("SAF-CAMERA", "视频告警", "Camera alarm", "safety", "police", (), 4),
    Category("SAF-PETITION", "信访诉求", "Petition", "safety", "petition", ("justice",), 360),
    Category("SAF-STALL", "占道经营", "Street vending", "safety", "urban", (), 48),
    Category("SAF-BUILD", "违法建设", "Illegal construction", "safety", "urban", ("development",), 240),
    Category("SAF-FOOD", "食品安全", "Food safety", "safety", "market", ("health",), 72),
    Category("ECO-SANITATION", "环境卫生", "Sanitation", "economy", "urban", ("township",), 48),
    Category("ECO-POLLUTION", "环境污染", "Pollution", "economy", "ecology", ("urban",), 72),
    Category("ECO-NOISE", "噪声扰民", "Noise", "economy", "ecology", ("police",), 48),
    Category("ECO-FOREST", "森林防火", "Forest fire risk", "economy", "emergency", ("township",), 12),
    Category("ECO-WAGE", "欠薪讨薪", "Unpaid wages", "economy", "hrss", ("market",), 168),
    Category("SRV-ROAD", "道路设施", "Roads & facilities", "services", "urban", (), 120),
    Category("SRV-UTILITY", "水电气供应", "Water, power & gas", "services", "development", (), 48),
    Category("SRV-CONSUMER", "消费维权", "Consumer rights", "services", "market", (), 168),
    Category("SRV-ELDERLY", "养老服务", "Elderly care", "services", "civil_affairs", ("health",), 24),
    Category("SRV-RELIEF", "社会救助", "Social relief", "services", "civil_affairs", ("hrss", "education"), 168),
    Category("SRV-EMPLOY", "就业社保", "Employment & insurance", "services", "hrss", (), 168),
    Category("SRV-EDU", "教育入学", "Education", "services", "education", (), 168),
    Category("SRV-HEALTH", "医疗卫生", "Health care", "services", "health", (), 72),
    Category("PTY-ISSUE", "党建问题清单", "Party issue list", "party", "organization", ("township",), 720),
    Category("PTY-SUPERVISION", "公权力监督", "Oversight of public power", "party", "organization", ("civil_affairs",), 360),
)


@dataclass(frozen=True)
class Indicator:
    code: str
    name_zh: str
    name_en: str
    board: str
    unit: str
    higher_is_better: bool
    target: float | None
    period: str  # 'month' | 'day' | 'hour'
    department: str  # the department that delivers it: its data, seen by its liaison


# Indicators delivered as values by department sources (target ``indicator_value``).
# Indicators derived from events and other facts are defined in the read side.
INDICATORS: tuple[Indicator, ...] = (
    Indicator("party_members", "党员人数", "Party members", "party", "人", True, None, "month",
              "organization"),
    Indicator("party_branches", "党组织数", "Party organisations", "party", "个", True, None, "month",
              "organization"),
    Indicator("sanhui_yike_rate", "三会一课完成率", "Three meetings & one lesson done", "party", "%", True, 95.0, "month",
              "organization"),
    Indicator("cadre_eval_score", "干部考评平均分", "Cadre evaluation score", "party", "分", True, 85.0, "month",
              "organization"),
    Indicator("industrial_output", "规上工业产值", "Industrial output", "economy", "万元", True, None, "month",
              "statistics"),
    Indicator("fixed_asset_investment", "固定资产投资", "Fixed-asset investment", "economy", "万元", True, None, "month",
              "development"),
    Indicator("tax_revenue", "税收收入", "Tax revenue", "economy", "万元", True, None, "month",
              "statistics"),
    Indicator("rural_income", "农村居民人均可支配收入", "Rural disposable income", "economy", "元", True, None, "month",
              "statistics"),
    Indicator("project_plan_investment", "重大项目计划投资", "Major projects: planned investment", "economy", "万元", True, None, "month",
              "development"),
    Indicator("project_actual_investment", "重大项目完成投资", "Major projects: actual investment", "economy", "万元", True, None, "month",
              "development"),
    Indicator("living_env_score", "人居环境检查得分", "Living-environment inspection score", "economy", "分", True, 90.0, "month",
              "urban"),
    Indicator("employment_new", "城镇新增就业", "New urban jobs", "services", "人", True, None, "month",
              "hrss"),
    Indicator("enrolment_rate", "义务教育入学率", "Compulsory-education enrolment", "services", "%", True, 99.5, "month",
              "education"),
    Indicator("health_checkups", "老年人健康体检人次", "Elderly health check-ups", "services", "人次", True, None, "month",
              "health"),
    Indicator("family_doctor_rate", "家庭医生签约率", "Family-doctor coverage", "services", "%", True, 75.0, "month",
              "health"),
)

# Sensor metrics (target ``sensor_reading``): code -> (中文, English, unit)
SENSOR_METRICS: dict[str, tuple[str, str, str]] = {
    "pm25": ("PM2.5", "PM2.5", "µg/m³"),
    "pm10": ("PM10", "PM10", "µg/m³"),
    "aqi": ("空气质量指数", "AQI", ""),
    "water_class": ("水质类别", "Water quality class", "类"),
    "water_target_class": ("水质目标类别", "Water quality target class", "类"),
    "water_litres": ("用水量", "Water use", "L"),
    "door_opens": ("门磁开合次数", "Door openings", "次"),
    "fire_risk": ("森林火险等级", "Forest-fire risk level", "级"),
}
# Whose data each sensor metric is: metric -> (board, department). A viewer sees a metric's readings
# only if their scope covers both.
SENSOR_OWNERS: dict[str, tuple[str, str]] = {
    "pm25": ("economy", "ecology"),
    "pm10": ("economy", "ecology"),
    "aqi": ("economy", "ecology"),
    "water_class": ("economy", "ecology"),
    "water_target_class": ("economy", "ecology"),
    "fire_risk": ("economy", "emergency"),
    "water_litres": ("services", "civil_affairs"),  # home sensors of the elderly living alone
    "door_opens": ("services", "civil_affairs"),
}

PERSON_TAGS: dict[str, tuple[str, str]] = {
    "elderly_alone": ("独居老人", "Elderly living alone"),
    "dibao": ("低保", "Minimum living allowance"),
    "tekun": ("特困", "Extreme hardship"),
    "disabled": ("残疾人", "Disabled"),
    "party_member": ("党员", "Party member"),
}
# Whose data each person tag is: tag -> (board, department), as for ``SENSOR_OWNERS``.
PERSON_TAG_OWNERS: dict[str, tuple[str, str]] = {
    "elderly_alone": ("services", "civil_affairs"),
    "dibao": ("services", "civil_affairs"),
    "tekun": ("services", "civil_affairs"),
    "disabled": ("services", "civil_affairs"),
    "party_member": ("party", "organization"),
}

# Service applications (target ``service_application``) are the services board's data; a department's
# are those it handles and the joint (一件事) applications in which it does a step.
SERVICE_BOARD = "services"

EVENT_STATUSES: tuple[str, ...] = ("reported", "accepted", "dispatched", "acknowledged", "onsite", "resolved", "closed")


def department(code: str) -> Department:
    for d in DEPARTMENTS:
        if d.code == code:
            return d
    raise KeyError(code)


def category(code: str) -> Category:
    for c in CATEGORIES:
        if c.code == code:
            return c
    raise KeyError(code)
