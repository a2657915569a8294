"""The default rules (SPEC §9), each exactly what a ``[rules.NAME]`` block of the configuration holds.

A configuration changes a default by naming it (``[rules.air_quality]`` ``levels = {yellow = 100}``),
switches it off with ``enabled = false``, and adds rules of any kind under new names
(docs/warnings.md lists every kind's parameters).
"""

from __future__ import annotations

from typing import Any

DEFAULT_RULES: dict[str, dict[str, Any]] = {
    "prominent_issue": {
        "kind": "cluster", "level": "orange", "board": "safety", "department": "township",
        "ack_sla_minutes": 240, "label_zh": "突出问题", "label_en": "Prominent issue",
        "window_days": 7, "min_reporters": 3, "min_channels": 2, "red_reporters": 6, "radius_m": 300.0,
    },
    "elderly_inactive": {
        "kind": "inactivity", "level": "red", "board": "services", "category": "SRV-ELDERLY",
        "department": "civil_affairs", "ack_sla_minutes": 30, "label_zh": "独居老人异常",
        "label_en": "Elderly living alone inactive",
        "tag": "elderly_alone", "window_hours": 24, "conditions": {"water_litres": 10.0, "door_opens": 1.0},
        "lookback_hours": 72,
    },
    "air_quality": {
        "kind": "threshold", "level": "yellow", "board": "economy", "category": "ECO-POLLUTION",
        "department": "ecology", "ack_sla_minutes": 240, "label_zh": "空气质量超标", "label_en": "Air quality",
        "metric": "pm25", "aggregate": "mean", "window_hours": 24,
        "levels": {"yellow": 75.0, "orange": 150.0, "red": 250.0},  # GB 3095-2012 grade II 24-h mean: 75 µg/m³
    },
    "water_quality": {
        "kind": "threshold", "level": "orange", "board": "economy", "category": "ECO-POLLUTION",
        "department": "ecology", "ack_sla_minutes": 240, "label_zh": "水质不达标", "label_en": "Water quality",
        "metric": "water_class", "aggregate": "latest", "against_metric": "water_target_class",
        "window_hours": 24 * 35,  # sections are sampled monthly at the least
    },
    "indicator_lag": {
        "kind": "lag", "level": "yellow", "board": "party",
        "ack_sla_minutes": 1440, "label_zh": "指标滞后", "label_en": "Indicator lag",
        "off_target_pct": 10.0, "sigma": 3.0, "periods": 12, "min_periods": 6, "area_levels": ["township", "village"],
    },
    "enterprise_safety": {
        "kind": "count", "level": "orange", "board": "safety", "category": "SAF-HAZARD", "department": "emergency",
        "ack_sla_minutes": 240, "label_zh": "企业安全隐患", "label_en": "Enterprise safety",
        "fact": "inspection", "subject": "enterprise_code", "where": {"kind": "safety", "result": "fail"},
        "at_least": 2, "window_days": 90, "title": "{days} 天 {n} 次安全检查不合格",
    },
    "hazard_overdue": {
        "kind": "overdue", "level": "orange", "board": "safety", "category": "SAF-HAZARD", "department": "emergency",
        "ack_sla_minutes": 240, "label_zh": "隐患整改逾期", "label_en": "Hazard past its deadline",
        "fact": "inspection", "deadline": "rectify_deadline", "done": "rectified_at", "where": {"result": "fail"},
        "title": "隐患整改逾期 {days} 天",
    },
    "petition_surge": {
        "kind": "surge", "level": "orange", "board": "safety", "category": "SAF-PETITION", "department": "petition",
        "ack_sla_minutes": 240, "label_zh": "信访激增", "label_en": "Petition surge",
        "window_days": 7, "baseline_weeks": 8, "factor": 2.0, "min_count": 5, "channels": ["petition"],
    },
    "power_oversight": {
        "kind": "join", "level": "orange", "board": "party", "category": "PTY-SUPERVISION",
        "department": "organization", "ack_sla_minutes": 1440, "label_zh": "公权力监督",
        "label_en": "Public-power oversight",
        "kinds": ["dibao", "tekun"], "relations": ["spouse", "parent", "child", "sibling", "in_law"],
        "window_days": 365,
    },
    "many_doors": {
        "kind": "count", "level": "yellow", "board": "safety", "department": "township",
        "ack_sla_minutes": 1440, "label_zh": "一人多访", "label_en": "Same person, many doors",
        "fact": "event", "subject": "reporter_key", "distinct": "department_code", "at_least": 3,
        "window_days": 30, "title": "{days} 天向 {n} 个部门反映",
    },
}
