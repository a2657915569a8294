"""Each board's key indicators for a view: value, last period's value, target and direction.

A KPI is one of: an event figure (from the aggregate, over the filters' period and the one before),
a service figure, a sensor mean, or a department-delivered indicator (its latest month and the month
before). ``board_kpis`` returns them in display order as a DataFrame.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from cockpit.scope import Scope
from queries._base import DB
from queries.events import event_totals
from queries.filters import Filters
from queries.indicators import indicator_series, latest_and_previous, of_board, sensor_mean, service_totals


@dataclass(frozen=True)
class Kpi:
    key: str  # catalogue key of the label (event/service/sensor KPIs) or indicator code
    kind: str  # event | service | sensor | indicator
    field: str  # which figure
    unit: str
    higher_is_better: bool | None  # None: neither (a volume)
    target: float | None = None


_EVENT_KPIS = (
    Kpi("kpi.events", "event", "n_reported", "件", None),
    Kpi("kpi.open", "event", "n_open", "件", False),
    Kpi("kpi.resolution_rate", "event", "resolution_rate", "%", True, 90.0),
    Kpi("kpi.response_hours", "event", "mean_response_hours", "h", False, 2.0),
    Kpi("kpi.satisfaction", "event", "mean_satisfaction", "分", True, 4.5),
)

BOARD_KPIS: dict[str, tuple[Kpi, ...]] = {
    "party": (
        Kpi("sanhui_yike_rate", "indicator", "value", "%", True),
        Kpi("cadre_eval_score", "indicator", "value", "分", True),
        Kpi("party_members", "indicator", "value", "人", True),
        Kpi("party_branches", "indicator", "value", "个", True),
        *_EVENT_KPIS[:3],
    ),
    "economy": (
        Kpi("industrial_output", "indicator", "value", "万元", True),
        Kpi("tax_revenue", "indicator", "value", "万元", True),
        Kpi("fixed_asset_investment", "indicator", "value", "万元", True),
        Kpi("kpi.pm25", "sensor", "pm25", "µg/m³", False, 35.0),
        Kpi("living_env_score", "indicator", "value", "分", True),
        *_EVENT_KPIS[:3],
    ),
    "safety": _EVENT_KPIS + (Kpi("kpi.late", "event", "n_late", "件", False),),
    "services": (
        Kpi("kpi.applications", "service", "n", "件", None),
        Kpi("kpi.one_visit_rate", "service", "one_visit_rate", "%", True, 90.0),
        Kpi("kpi.online_share", "service", "online_share", "%", True, 60.0),
        Kpi("family_doctor_rate", "indicator", "value", "%", True),
        Kpi("enrolment_rate", "indicator", "value", "%", True),
        *_EVENT_KPIS[:3],
    ),
}


def _event_value(totals: dict, field: str) -> float | None:
    if field == "mean_response_hours":
        m = totals.get("mean_response_min")
        return None if m is None or pd.isna(m) else m / 60.0
    v = totals.get(field)
    return None if v is None or pd.isna(v) else float(v)


def board_kpis(db: DB, scope: Scope, f: Filters, area_code: str, *, limit: int | None = None) -> pd.DataFrame:
    """The board's KPIs (``f.board``) for ``area_code`` (the township, or the filtered village / grid).

    Columns: key, kind, unit, higher_is_better, target, value, previous, basis ('period' or 'month'),
    name_zh / name_en (indicators only; others are labelled from the catalogue by key).
    """
    board = f.board or "safety"
    area = None if f.area else area_code or None  # the filters' village / grid, else area_code
    cur, prev = event_totals(db, scope, f, area=area), event_totals(db, scope, f.previous(), area=area)
    services = None
    indicators = None
    rows = []
    for k in BOARD_KPIS[board]:
        if limit is not None and len(rows) >= limit:
            break
        row = {"key": k.key, "kind": k.kind, "unit": k.unit, "higher_is_better": k.higher_is_better,
               "target": k.target, "basis": "period", "name_zh": None, "name_en": None}
        if k.kind == "event":
            row["value"], row["previous"] = _event_value(cur, k.field), _event_value(prev, k.field)
        elif k.kind == "service":
            if services is None:
                services = (service_totals(db, scope, f, area=area), service_totals(db, scope, f.previous(), area=area))
            row["value"], row["previous"] = services[0][k.field], services[1][k.field]
        elif k.kind == "sensor":
            row["value"], row["previous"] = (sensor_mean(db, scope, k.field, f, area=area),
                                             sensor_mean(db, scope, k.field, f.previous(), area=area))
        else:
            if indicators is None:
                latest = latest_and_previous(of_board(indicator_series(db, scope, area_code, until=f.end), board))
                indicators = {r["code"]: r for r in latest.to_dict("records")}
            m = indicators.get(k.key)
            if m is None:
                continue  # not delivered for this area: leave the card out rather than show a blank
            row.update(value=m["value"], previous=m["previous"], target=m["target"], basis="month",
                       name_zh=m["name_zh"], name_en=m["name_en"], unit=m["unit"],
                       higher_is_better=bool(m["higher_is_better"]), period_start=m["period_start"])
        rows.append(row)
    return pd.DataFrame(rows)
