"""Each board's key figures for a view: value, what it is compared with, target, sample and notes.

The metrics, their order and targets are ``cockpit.metrics`` definitions (configurable under
``[kpis]``). A figure comes from the events as of the view's end (``events.event_figures``), the
service applications, a sensor mean, or a department-delivered indicator (its latest month and the
month before). ``board_kpis`` returns them in display order as a DataFrame.

A figure whose data the viewer's scope does not cover (tax revenue for the police liaison, PM2.5 for
a board head of safety) is returned as unavailable, never as a township figure (``_available``).
"""

from __future__ import annotations

import math

import pandas as pd

from cockpit.metrics import DEFAULT_SETTINGS, KpiSettings, Metric
from cockpit.reference import INDICATORS, SENSOR_OWNERS, SERVICE_BOARD
from cockpit.scope import Scope
from queries._base import DB
from queries.areas import codes_under
from queries.events import event_figures
from queries.filters import Filters
from queries.indicators import indicator_series, latest_and_previous, of_board, sensor_stats, service_totals

COLUMNS = ["key", "kind", "type", "unit", "higher_is_better", "target", "value", "previous", "sample", "min_sample",
           "insufficient", "previous_insufficient", "compare_key", "basis", "period_start", "delivered", "expected",
           "previous_delivered", "n_waiting", "max_wait_hours", "name_zh", "name_en", "definition_key", "as_of", "unavailable"]
_INDICATORS = {i.code: i for i in INDICATORS}

# figure of event_figures / service_totals behind each metric
_EVENT_FIELDS = {"events": "n_reported", "open": "n_open", "overdue_open": "n_overdue_open",
                 "resolution_rate": "resolution_rate", "response_hours": "mean_response_min",
                 "satisfaction": "mean_satisfaction", "late": "n_late"}
_SERVICE_FIELDS = {"applications": "n", "one_visit_rate": "one_visit_rate", "online_share": "online_share"}


def _num(v: object) -> float | None:
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return None
    return float(v)  # type: ignore[arg-type]


def _event_value(m: Metric, figures: dict) -> float | None:
    v = _num(figures.get(_EVENT_FIELDS[m.key]))
    return v / 60.0 if v is not None and m.key == "response_hours" else v


def _available(scope: Scope, m: Metric, board: str | None) -> bool:
    """Whether ``scope`` covers the data behind metric ``m`` on ``board`` (None: every board): an
    indicator's board and delivering department, a sensor metric's owner, the services board for
    applications; events of any department (each sees its own)."""
    def covers(owner_board: str, department: str | None) -> bool:
        return scope.allows_board(owner_board) and (scope.departments is None or department in scope.departments)

    if m.kind == "indicator":
        i = _INDICATORS.get(m.key)
        return i is not None and covers(i.board, i.department)
    if m.kind == "sensor":
        return m.key in SENSOR_OWNERS and covers(*SENSOR_OWNERS[m.key])
    if m.kind == "service":
        return scope.allows_board(SERVICE_BOARD)
    return board is None or scope.allows_board(board)


def board_kpis(db: DB, scope: Scope, f: Filters, area_code: str, *, limit: int | None = None,
               settings: KpiSettings = DEFAULT_SETTINGS) -> pd.DataFrame:
    """The board's KPIs (``f.board``) for ``area_code`` (the township, or the filtered village / grid).

    Columns (``COLUMNS``): the metric (key, kind, type, unit key, direction, target), value and
    previous (None where a sample is too small or nothing was delivered), sample and min_sample,
    insufficient / previous_insufficient, compare_key (catalogue key of what it is compared with),
    basis ('period' or 'month'), for indicators the month and how many villages delivered of how
    many, for response times how many still wait and the longest wait, as_of (the instant), and
    unavailable (the scope does not cover the metric's data: no value, nothing read).
    """
    board = f.board or "safety"
    area = None if f.area else area_code or None  # the filters' village / grid, else area_code
    prev_f = f.previous()
    cache: dict[str, tuple] = {}

    def figures(kind: str, metric: Metric | None = None) -> tuple:
        key = kind if kind != "sensor" else f"sensor:{metric.key}"  # type: ignore[union-attr]
        if key not in cache:
            if kind == "event":
                cache[key] = (event_figures(db, scope, f, area=area), event_figures(db, scope, prev_f, area=area))
            elif kind == "service":
                cache[key] = (service_totals(db, scope, f, area=area), service_totals(db, scope, prev_f, area=area))
            elif kind == "sensor":
                cache[key] = (sensor_stats(db, scope, metric.key, f, area=area),  # type: ignore[union-attr]
                              sensor_stats(db, scope, metric.key, prev_f, area=area))  # type: ignore[union-attr]
            else:
                latest = latest_and_previous(of_board(indicator_series(db, scope, area_code, until=f.end), board))
                expected = len(codes_under(db, area_code, "village")) if area_code and len(area_code) < 12 else None
                cache[key] = ({r["code"]: r for r in latest.to_dict("records")}, expected)
        return cache[key]

    rows = []
    metrics = settings.of(board)
    if limit is not None:  # a panel of ``limit`` cards shows what the viewer may see before "无权查看" tiles
        metrics = sorted(metrics, key=lambda m: not _available(scope, m, f.board))
    for m in metrics:
        if limit is not None and len(rows) >= limit:
            break
        minimum = settings.minimum(m)
        row = dict.fromkeys(COLUMNS)
        row.update(key=m.key, kind=m.kind, type=m.type, unit=m.unit, higher_is_better=m.higher_is_better,
                   target=m.target, basis="period", compare_key=f.compare_key, min_sample=minimum or None,
                   definition_key=m.definition_key if m.kind != "indicator" else "def.indicator", as_of=f.as_of,
                   insufficient=False, previous_insufficient=False, unavailable=False)
        if not _available(scope, m, f.board):
            i = _INDICATORS.get(m.key)
            row.update(unavailable=True, min_sample=None, name_zh=i.name_zh if i else None,
                       name_en=i.name_en if i else None)
        elif m.kind in ("event", "service", "sensor"):
            cur, prev = figures(m.kind, m)
            if m.kind == "event":
                value, previous = _event_value(m, cur), _event_value(m, prev)
                sample, prev_sample = cur.get(m.sample or "", None), prev.get(m.sample or "", None)
                if m.key == "response_hours":
                    wait = cur.get("max_wait_min")
                    row.update(n_waiting=int(cur["n_waiting"]), max_wait_hours=None if wait is None else wait / 60.0)
            elif m.kind == "service":
                value, previous = _num(cur[_SERVICE_FIELDS[m.key]]), _num(prev[_SERVICE_FIELDS[m.key]])
                sample, prev_sample = cur.get(m.sample or ""), prev.get(m.sample or "")
            else:
                value, previous, sample, prev_sample = cur["mean"], prev["mean"], cur["n"], prev["n"]
            if m.sample:
                row["sample"] = int(sample or 0)
                row["insufficient"] = row["sample"] < minimum
                row["previous_insufficient"] = int(prev_sample or 0) < minimum
                value = None if row["insufficient"] else value
                previous = None if row["previous_insufficient"] else previous
            row.update(value=value, previous=previous)
        else:
            delivered, expected = figures("indicator")
            d = delivered.get(m.key)
            if d is None:
                continue  # not delivered for this area: leave the card out rather than show a blank
            n_now, n_before = _num(d.get("n_delivered")), _num(d.get("previous_delivered"))
            complete = expected is None or n_now is None or (n_now >= expected and (n_before is None or n_before >= expected))
            row.update(value=d["value"], previous=d["previous"] if complete else None, basis="month",
                       compare_key="compare.month_delivered", name_zh=d["name_zh"], name_en=d["name_en"],
                       period_start=d["period_start"], delivered=None if n_now is None else int(n_now),
                       expected=expected if n_now is not None else None,
                       previous_delivered=None if n_before is None else int(n_before))
            row["previous_insufficient"] = not complete
        rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS)
