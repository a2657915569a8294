"""The one string catalogue of the user interface: key -> {"zh", "en"}. Chinese is the default.

Names of boards, categories, channels, departments and indicators come from the reference code
lists (``name_zh`` / ``name_en``); ``name`` picks the right one.
"""

from __future__ import annotations

from typing import Any

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"

CATALOGUE: dict[str, dict[str, str]] = {
    "app.title": {"zh": "基层智治驾驶舱", "en": "Township Governance Cockpit"},
    "app.subtitle": {"zh": "一中心四板块一网格", "en": "One centre · four boards · one grid"},
    "nav.bigscreen": {"zh": "大屏", "en": "Big screen"},
    "nav.boards": {"zh": "四板块", "en": "Boards"},
    "nav.drill": {"zh": "逐级下钻", "en": "Drill-down"},
    "nav.governance": {"zh": "数据治理", "en": "Data governance"},
    "nav.language": {"zh": "English", "en": "中文"},
    "board.party": {"zh": "党建统领", "en": "Party building"},
    "board.economy": {"zh": "经济生态", "en": "Economy & ecology"},
    "board.safety": {"zh": "平安法治", "en": "Safety & law"},
    "board.services": {"zh": "公共服务", "en": "Public services"},
    # KPIs
    "kpi.events": {"zh": "事件数", "en": "Events"},
    "kpi.open": {"zh": "未办结", "en": "Open"},
    "kpi.resolution_rate": {"zh": "办结率", "en": "Resolution rate"},
    "kpi.response_hours": {"zh": "平均响应时长", "en": "Mean response time"},
    "kpi.satisfaction": {"zh": "满意度", "en": "Satisfaction"},
    "kpi.late": {"zh": "超期办结", "en": "Resolved late"},
    "kpi.pm25": {"zh": "PM2.5 均值", "en": "PM2.5 mean"},
    "kpi.applications": {"zh": "办件量", "en": "Applications"},
    "kpi.one_visit_rate": {"zh": "一次办成率", "en": "One-visit rate"},
    "kpi.online_share": {"zh": "网办占比", "en": "Online share"},
    "kpi.target": {"zh": "目标", "en": "Target"},
    "kpi.previous": {"zh": "上期", "en": "Last period"},
    "kpi.latest_month": {"zh": "最新月", "en": "Latest month"},
    "kpi.no_data": {"zh": "暂无数据", "en": "No data"},
    "kpi.on_target": {"zh": "达标", "en": "On target"},
    "kpi.off_target": {"zh": "未达标", "en": "Off target"},
    # filters
    "filter.period": {"zh": "周期", "en": "Period"},
    "period.week": {"zh": "本周", "en": "This week"},
    "period.month": {"zh": "本月", "en": "This month"},
    "period.quarter": {"zh": "本季度", "en": "This quarter"},
    "period.year": {"zh": "本年", "en": "This year"},
    "period.custom": {"zh": "自定义", "en": "Custom range"},
    "filter.village": {"zh": "村/社区", "en": "Village"},
    "filter.grid": {"zh": "网格", "en": "Grid"},
    "filter.category": {"zh": "事项分类", "en": "Category"},
    "filter.indicator": {"zh": "指标", "en": "Indicator"},
    "filter.all": {"zh": "全部", "en": "All"},
    "filter.apply": {"zh": "应用", "en": "Apply"},
    "filter.reset": {"zh": "重置", "en": "Reset"},
    "filter.bad_param": {"zh": "链接参数 {name} 无效，已使用默认值。", "en": "URL parameter {name} is invalid; the default is used."},
    "filter.range": {"zh": "统计区间", "en": "Range"},
    "filter.copy_hint": {"zh": "筛选条件已写入地址栏，复制链接即可分享当前视图。", "en": "Filters are in the address bar: copy the link to share this view."},
    # sections
    "section.trend": {"zh": "趋势", "en": "Trend"},
    "section.by_area": {"zh": "按区域", "en": "By area"},
    "section.by_category": {"zh": "按事项分类", "en": "By category"},
    "section.by_channel": {"zh": "按渠道", "en": "By channel"},
    "section.records": {"zh": "明细记录", "en": "Records"},
    "section.indicator_trend": {"zh": "指标走势", "en": "Indicator trend"},
    "section.map": {"zh": "网格态势", "en": "Grid situation"},
    "section.latest": {"zh": "最新事件", "en": "Latest events"},
    "section.today_orders": {"zh": "今日派单", "en": "Today's dispatches"},
    "section.ranking": {"zh": "部门响应排名", "en": "Department response ranking"},
    "section.ranking_note": {"zh": "按派单至签收用时中位数", "en": "Median time from dispatch to acknowledgement"},
    "section.records_note": {"zh": "最多显示 {n} 条，个人号码已脱敏。", "en": "Up to {n} rows; personal numbers are masked."},
    # series / columns
    "series.reported": {"zh": "受理", "en": "Reported"},
    "series.resolved": {"zh": "办结", "en": "Resolved"},
    "series.open": {"zh": "未办结", "en": "Open"},
    "series.target": {"zh": "目标", "en": "Target"},
    "col.reported_at": {"zh": "上报时间", "en": "Reported"},
    "col.title": {"zh": "事项", "en": "Subject"},
    "col.category": {"zh": "分类", "en": "Category"},
    "col.channel": {"zh": "渠道", "en": "Channel"},
    "col.grid": {"zh": "网格", "en": "Grid"},
    "col.status": {"zh": "状态", "en": "Status"},
    "col.reporter": {"zh": "反映人", "en": "Reporter"},
    "col.department": {"zh": "部门", "en": "Department"},
    "col.cases": {"zh": "件数", "en": "Cases"},
    "col.median": {"zh": "中位用时", "en": "Median"},
    "col.source": {"zh": "数据源", "en": "Source"},
    "col.target": {"zh": "目标表", "en": "Target table"},
    "col.last_success": {"zh": "最近成功", "en": "Last success"},
    "col.last_status": {"zh": "最近状态", "en": "Last status"},
    "col.freshness": {"zh": "新鲜度", "en": "Freshness"},
    "col.open_issues": {"zh": "待处理隔离行", "en": "Open quarantined rows"},
    "col.run": {"zh": "批次", "en": "Run"},
    "col.started": {"zh": "开始", "en": "Started"},
    "col.ended": {"zh": "结束", "en": "Ended"},
    "col.read": {"zh": "读取", "en": "Read"},
    "col.loaded": {"zh": "入库", "en": "Loaded"},
    "col.rejected": {"zh": "隔离", "en": "Rejected"},
    "col.error": {"zh": "错误", "en": "Error"},
    "col.rule": {"zh": "规则", "en": "Rule"},
    "col.field": {"zh": "字段", "en": "Field"},
    "col.reason": {"zh": "原因", "en": "Reason"},
    "col.raw": {"zh": "原始行（已脱敏）", "en": "Raw row (masked)"},
    "col.seen": {"zh": "最近出现", "en": "Last seen"},
    "col.key": {"zh": "源主键", "en": "Source key"},
    "col.area": {"zh": "区域", "en": "Area"},
    "col.value": {"zh": "数值", "en": "Value"},
    "status.reported": {"zh": "已上报", "en": "Reported"},
    "status.accepted": {"zh": "已受理", "en": "Accepted"},
    "status.dispatched": {"zh": "已派单", "en": "Dispatched"},
    "status.acknowledged": {"zh": "已签收", "en": "Acknowledged"},
    "status.onsite": {"zh": "已到场", "en": "On site"},
    "status.resolved": {"zh": "已办结", "en": "Resolved"},
    "status.closed": {"zh": "已结案", "en": "Closed"},
    "status.success": {"zh": "成功", "en": "Success"},
    "status.failed": {"zh": "失败", "en": "Failed"},
    "status.running": {"zh": "运行中", "en": "Running"},
    "status.interrupted": {"zh": "中断", "en": "Interrupted"},
    "status.abandoned": {"zh": "放弃", "en": "Abandoned"},
    "fresh.ok": {"zh": "正常", "en": "Fresh"},
    "fresh.stale": {"zh": "过期", "en": "Stale"},
    "fresh.never": {"zh": "从未成功", "en": "Never loaded"},
    # big screen
    "big.open_events": {"zh": "未办结事件", "en": "Open events"},
    "big.updated": {"zh": "数据更新于", "en": "Data as of"},
    "big.dispatched_today": {"zh": "今日派单 {n} 件，已办结 {r} 件", "en": "{n} dispatched today, {r} resolved"},
    "big.none_today": {"zh": "今日暂无派单", "en": "Nothing dispatched today"},
    "big.minutes": {"zh": "分钟", "en": "min"},
    "big.hours": {"zh": "小时", "en": "h"},
    "big.vs_last": {"zh": "较上期", "en": "vs last"},
    # drill-down
    "drill.title": {"zh": "逐级下钻", "en": "Drill-down"},
    "drill.township": {"zh": "全镇", "en": "Township"},
    "drill.up": {"zh": "返回上一级", "en": "Up one level"},
    "drill.hint": {"zh": "点击图中的村、网格或柱条进入下一级。", "en": "Click a village, grid or bar to go one level down."},
    "drill.records_of": {"zh": "{name} 的事件明细", "en": "Events of {name}"},
    "drill.unknown_area": {"zh": "区域 {code} 不存在或无权查看，已返回全镇。", "en": "Area {code} does not exist or is out of your scope; showing the township."},
    # governance
    "gov.title": {"zh": "数据治理", "en": "Data governance"},
    "gov.sources": {"zh": "数据源与新鲜度", "en": "Sources and freshness"},
    "gov.runs": {"zh": "最近抽取批次", "en": "Recent ETL runs"},
    "gov.quarantine": {"zh": "隔离数据", "en": "Quarantined rows"},
    "gov.lineage": {"zh": "数据血缘查询", "en": "Record lineage"},
    "gov.lineage_table": {"zh": "数据表", "en": "Table"},
    "gov.lineage_key": {"zh": "记录主键（复合键用 | 分隔）", "en": "Record key (join composite keys with |)"},
    "gov.lineage_find": {"zh": "查询", "en": "Look up"},
    "gov.lineage_none": {"zh": "未找到该记录。", "en": "No such record."},
    "gov.stale_note": {"zh": "超过 {m} 分钟未成功抽取或最近一次失败即标记为过期。", "en": "Stale: no successful run within {m} minutes, or the last run failed."},
    "gov.lineage.src_source": {"zh": "来源", "en": "Source"},
    "gov.lineage.src_key": {"zh": "源主键", "en": "Source key"},
    "gov.lineage.src_run_id": {"zh": "装载批次", "en": "Load run"},
    "gov.lineage.loaded_at": {"zh": "装载时间", "en": "Loaded at"},
    "gov.lineage.run_status": {"zh": "批次状态", "en": "Run status"},
    "gov.lineage.run_started": {"zh": "批次开始", "en": "Run started"},
    "gov.lineage.business_key": {"zh": "业务主键", "en": "Business key"},
    "gov.open_only": {"zh": "仅未处理", "en": "Open only"},
    # general
    "empty": {"zh": "暂无数据", "en": "No data"},
    "table.filter": {"zh": "筛选…", "en": "filter…"},
    "error.no_warehouse": {"zh": "数据仓库尚无数据：请先运行 python -m cockpit etl。", "en": "The warehouse holds no data yet: run python -m cockpit etl first."},
    "page.not_found": {"zh": "页面不存在", "en": "Page not found"},
    "page.back_home": {"zh": "返回大屏", "en": "Back to the big screen"},
}


def t(key: str, lang: str = DEFAULT_LANGUAGE, **params: Any) -> str:
    """The string for ``key`` in ``lang`` (falling back to Chinese), with ``{name}`` parameters filled in."""
    entry = CATALOGUE.get(key)
    if entry is None:
        return key  # visible, so a missing key is noticed; never raises on screen
    text = entry.get(lang) or entry[DEFAULT_LANGUAGE]
    return text.format(**params) if params else text


def name(row: Any, lang: str, field: str = "name") -> str:
    """``row['name_zh']`` or ``row['name_en']`` (a dict or a pandas row)."""
    value = row.get(f"{field}_{lang}") or row.get(f"{field}_{DEFAULT_LANGUAGE}")
    return str(value) if value is not None else ""


def normalise(lang: str | None) -> str:
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE
