"""threshold: a sensor's readings of one metric, aggregated over a window, above a threshold per level
(air quality: PM2.5 24-hour mean > 75 / 150 / 250), or its latest reading worse than the latest
reading of another metric of the same sensor (water quality: ``water_class`` > ``water_target_class``).

The window ends at the metric's latest reading at or before now, across the warehouse, not at now:
when a feed stops loading, its sensors are judged on the last data received (their warnings neither
all clear because the window emptied, nor all fire), and a sensor without readings in that window is
not judged. Per sensor_id; the sensor's grid gives the place (a sensor without a known grid is skipped).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Mapping

from sqlalchemy import Connection, and_, func, select

from cockpit.reference import SENSOR_METRICS
from cockpit.warehouse import schema as s
from cockpit.warnings.kinds import REQUIRED, Param
from cockpit.warnings.kinds._common import (
    as_datetime,
    chunks,
    level_for,
    level_table,
    number,
    positive,
    reading_evidence,
)
from cockpit.warnings.model import EvalContext, Evidence, Match, Rule

AGGREGATES = ("mean", "max", "latest", "sum")
AGG_ZH = {"mean": "均值", "max": "最大值", "sum": "累计", "latest": "最新值"}

PARAMS: dict[str, Param] = {
    "metric": Param(REQUIRED, (str,), "the sensor metric judged (pm25, water_class …)"),
    "aggregate": Param("mean", (str,), "mean, max, latest or sum over the window",
                       lambda v: None if v in AGGREGATES else "use mean, max, latest or sum"),
    "window_hours": Param(24, (int, float), "hours of readings up to the metric's latest reading", positive),
    "levels": Param({}, (dict,), "level -> threshold the aggregate must exceed, e.g. {yellow = 75, red = 250}",
                    level_table),
    "against_metric": Param("", (str,), "compare the latest reading with the latest reading of this metric of the "
                                        "same sensor instead of levels (matches at the rule's level when greater)"),
}


def _title(metric: str, aggregate: str, hours: float, value: float) -> str:
    label, _, unit = SENSOR_METRICS.get(metric, (metric, metric, ""))
    span = f"{number(hours)} 小时" if hours < 72 else f"{number(hours / 24)} 天"
    what = "最新值" if aggregate == "latest" else f"{span}{AGG_ZH[aggregate]}"
    return f"{label} {what} {number(value)} {unit}".strip()


def check(p: Mapping[str, Any]) -> tuple[str, str] | None:
    """A threshold rule needs its levels or a metric to compare with (read with the configuration)."""
    if not p["against_metric"] and not p["levels"]:
        return "levels", "a threshold rule needs levels (level = threshold) or against_metric"
    return None


def evaluate(conn: Connection, rule: Rule, ctx: EvalContext) -> list[Match]:
    p = rule.params
    r = s.sensor_reading
    metric, against = p["metric"], p["against_metric"]
    if not against and not p["levels"]:
        raise ValueError(f"rules.{rule.name}: a threshold rule needs levels or against_metric")
    # metric = … AND grid_code IN …: index range scans of ix_sensor_reading_metric_grid_ts (readings of
    # grids the area table does not hold have no township and are never judged)
    known = r.c.grid_code.in_(sorted(ctx.grids))
    end = conn.execute(select(func.max(r.c.ts)).where(r.c.metric == metric, known, r.c.ts <= ctx.now)).scalar()
    if end is None:
        return []
    end = as_datetime(end)
    start = end - timedelta(hours=p["window_hours"])
    in_window = and_(r.c.metric == metric, known, r.c.ts > start, r.c.ts <= end)
    aggregate = "latest" if against else p["aggregate"]
    # each sensor's latest reading in the window (its grid is the sensor's place)
    last = select(r.c.sensor_id, func.max(r.c.ts).label("ts")).where(in_window).group_by(r.c.sensor_id).subquery()
    latest = (select(r.c.sensor_id, r.c.metric, r.c.value, r.c.grid_code, r.c.ts, r.c.src_source, r.c.src_key)
              .join(last, and_(r.c.sensor_id == last.c.sensor_id, r.c.ts == last.c.ts)).where(r.c.metric == metric))
    sensors = {row.sensor_id: row for row in conn.execute(latest)}
    if aggregate == "latest":
        values = {sid: row.value for sid, row in sensors.items()}
    else:
        fn = {"mean": func.avg, "max": func.max, "sum": func.sum}[aggregate]
        values = dict(conn.execute(select(r.c.sensor_id, fn(r.c.value)).where(in_window).group_by(r.c.sensor_id)).all())
    judged: dict[str, tuple[str, list[Evidence], str]] = {}
    if against:
        targets = _latest_of(conn, against, list(sensors), start, end)
        for sid, row in sensors.items():
            t = targets.get(sid)
            if t is not None and row.value > t.value:
                label, _, unit = SENSOR_METRICS.get(metric, (metric, metric, ""))
                title = f"{label} {number(row.value)}{unit} · 目标 {number(t.value)}{unit}"
                judged[sid] = (rule.level, [reading_evidence(row), reading_evidence(t)], title)
    else:
        hits = {sid: lv for sid, v in values.items() if v is not None and (lv := level_for(float(v), p["levels"]))}
        for sid, ev in _window_rows(conn, metric, list(hits), start, end, aggregate == "latest", sensors).items():
            judged[sid] = (hits[sid], ev, _title(metric, aggregate, p["window_hours"], float(values[sid])))
    out = []
    for sid, (level, evidence, title) in sorted(judged.items()):
        grid = sensors[sid].grid_code
        place = ctx.place(grid)
        township = ctx.township_of(grid)
        if not township:
            continue
        out.append(Match(subject=sid, level=level, township_code=township, title=title, evidence=evidence,
                         measure=float(values[sid]), **{k: v for k, v in place.items() if k != "township_code"}))
    return out


def _latest_of(conn: Connection, metric: str, sensor_ids: list[str], start, end) -> dict:
    """The latest reading of ``metric`` in the window for each sensor (with lineage)."""
    r = s.sensor_reading
    out = {}
    for ids in chunks(sensor_ids):
        last = (select(r.c.sensor_id, func.max(r.c.ts).label("ts"))
                .where(r.c.metric == metric, r.c.sensor_id.in_(ids), r.c.ts > start, r.c.ts <= end)
                .group_by(r.c.sensor_id).subquery())
        q = (select(r.c.sensor_id, r.c.metric, r.c.ts, r.c.value, r.c.src_source, r.c.src_key)
             .join(last, and_(r.c.sensor_id == last.c.sensor_id, r.c.ts == last.c.ts)).where(r.c.metric == metric))
        out.update({row.sensor_id: row for row in conn.execute(q)})
    return out


def _window_rows(conn: Connection, metric: str, sensor_ids: list[str], start, end, latest_only: bool,
                 sensors: dict) -> dict[str, list[Evidence]]:
    """The readings judged for each matched sensor: the window's (or only the latest)."""
    r = s.sensor_reading
    out: dict[str, list[Evidence]] = {}
    for ids in chunks(sensor_ids):
        q = (select(r.c.sensor_id, r.c.metric, r.c.ts, r.c.src_source, r.c.src_key)
             .where(r.c.metric == metric, r.c.sensor_id.in_(ids), r.c.ts > start, r.c.ts <= end)
             .order_by(r.c.sensor_id, r.c.ts))
        for row in conn.execute(q):
            if latest_only and as_datetime(row.ts) != as_datetime(sensors[row.sensor_id].ts):
                continue
            out.setdefault(row.sensor_id, []).append(reading_evidence(row))
    return out
