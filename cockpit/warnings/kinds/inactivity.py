"""inactivity (独居老人异常): a tagged person whose home sensors show too little activity.

A person with an active ``tag`` (since ≤ today, until empty or ≥ today) matches when, for any metric
of ``conditions`` (metric -> minimum), the sum of their readings (``subject_key`` = person key) over
the ``window_hours`` before the window's end is below the minimum. Only a metric for which the person
has a reading in the ``lookback_hours`` before now counts (they have that device). The window ends
at the metric's latest reading in the person's township (by the reading's grid), at or before now:
a township feed that stopped loading does not make all its elderly look inactive.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, func, or_, select

from cockpit.reference import SENSOR_METRICS
from cockpit.warehouse import schema as s
from cockpit.warnings.kinds import Param
from cockpit.warnings.kinds._common import (
    as_datetime,
    chunks,
    number,
    positive,
    reading_evidence,
)
from cockpit.warnings.model import EvalContext, Match, Rule


def _conditions(v: dict) -> str | None:
    for k, x in v.items():
        if isinstance(x, bool) or not isinstance(x, (int, float)):
            return f"the minimum of {k} must be a number"
    return None if v else "give at least one metric"


PARAMS: dict[str, Param] = {
    "tag": Param("elderly_alone", (str,), "the person tag of the people watched"),
    "window_hours": Param(24, (int, float), "hours summed, up to the latest reading of the township", positive),
    "conditions": Param({"water_litres": 10.0, "door_opens": 1.0}, (dict,),
                        "metric -> minimum sum in the window; below it on any metric matches", _conditions),
    "lookback_hours": Param(72, (int, float), "a person has a device if it sent a reading within these hours",
                            positive),
}


def evaluate(conn: Connection, rule: Rule, ctx: EvalContext) -> list[Match]:
    p = rule.params
    r, t = s.sensor_reading, s.person_tag
    today = ctx.now.date()
    metrics = list(p["conditions"])
    since = ctx.now - timedelta(hours=p["lookback_hours"])
    # readings of grids the area table does not hold have no township and are never judged
    grids_of: dict[str, list[str]] = {}
    for grid in sorted(ctx.grids):
        if tw := ctx.township_of(grid):
            grids_of.setdefault(tw, []).append(grid)
    ends = _window_ends(conn, metrics, grids_of, since, ctx.now)
    if not ends:
        return []
    hours = timedelta(hours=p["window_hours"])
    bounds = {key: (end - hours, end) for key, end in ends.items()}
    tagged = (select(t.c.person_key, t.c.grid_code)
              .where(t.c.tag == p["tag"], or_(t.c.since.is_(None), t.c.since <= today),
                     or_(t.c.until.is_(None), t.c.until >= today)).subquery())
    # one statement per metric and window (townships whose feeds are as current share one): each an
    # index range over its townships' grids, summing the window within the lookback
    sharing: dict[tuple[str, datetime, datetime], list[str]] = {}
    for (metric, tw), (a, b) in bounds.items():
        sharing.setdefault((metric, a, b), []).extend(grids_of[tw])
    totals: dict[tuple[str, str], float] = {}
    for (metric, a, b), grids in sharing.items():
        in_window = and_(r.c.ts > a, r.c.ts <= b)
        for part in chunks(grids, 500):
            sums = (select(r.c.subject_key, func.sum(r.c.value).filter(in_window))
                    .where(r.c.subject_key.in_(select(tagged.c.person_key)), r.c.metric == metric,
                           r.c.grid_code.in_(part), r.c.ts > since, r.c.ts <= ctx.now)
                    .group_by(r.c.subject_key))
            for key, total in conn.execute(sums):
                totals[(key, metric)] = totals.get((key, metric), 0.0) + float(total or 0.0)
    low: dict[str, list[tuple[str, float]]] = {}
    for (key, metric), total in totals.items():
        if total < p["conditions"][metric]:
            low.setdefault(key, []).append((metric, total))
    if not low:
        return []
    grids = dict(conn.execute(select(tagged.c.person_key, tagged.c.grid_code)
                              .where(tagged.c.person_key.in_(list(low)))).all())
    evidence: dict[str, list] = {}
    first, last = min(v[0] for v in bounds.values()), max(v[1] for v in bounds.values())
    for keys in chunks(sorted(low)):
        # the index range of these persons' grids and the widest window, then each row's own window
        their_grids = sorted({grids[k] for k in keys if grids.get(k) in ctx.grids}) or sorted(ctx.grids)
        q = (select(r.c.sensor_id, r.c.metric, r.c.ts, r.c.src_source, r.c.src_key, r.c.subject_key, r.c.grid_code)
             .where(r.c.subject_key.in_(keys), r.c.metric.in_(metrics), r.c.grid_code.in_(their_grids),
                    r.c.ts > max(first, since), r.c.ts <= last).order_by(r.c.ts))
        for row in conn.execute(q):
            a, b = bounds.get((row.metric, ctx.township_of(row.grid_code)), (None, None))
            if a is None or not a < as_datetime(row.ts) <= b:
                continue
            grids.setdefault(row.subject_key, row.grid_code)
            evidence.setdefault(row.subject_key, []).append(reading_evidence(row))
    out = []
    hrs = number(p["window_hours"])
    for key, facts in sorted(low.items()):
        grid = grids.get(key)
        tw = ctx.township_of(grid)
        if not tw:
            continue
        parts = [f"{hrs} 小时{SENSOR_METRICS.get(m, (m,))[0]} {number(v)}{SENSOR_METRICS.get(m, ('', '', ''))[2]}"
                 for m, v in sorted(facts)]
        place = {k: v for k, v in ctx.place(grid).items() if k != "township_code"}
        out.append(Match(subject=key, level=rule.level, township_code=tw, title=" · ".join(parts),
                         evidence=evidence.get(key, []), measure=min(facts)[1], **place))
    return out


def _window_ends(conn: Connection, metrics: list[str], grids_of: dict[str, list[str]], since: datetime,
                 now: datetime) -> dict[tuple[str, str], datetime]:
    """(metric, township) -> the township's latest reading of the metric in (``since``, ``now``]: the
    latest of its grids', each one seek at the end of the grid's range of the readings' index."""
    r = s.sensor_reading
    grid = {g: tw for tw, grids in grids_of.items() for g in grids}
    out: dict[tuple[str, str], datetime] = {}
    for metric in metrics:
        for part in chunks(sorted(grid), 500):
            latest = (select(func.max(r.c.ts)).where(r.c.metric == metric, r.c.grid_code == s.area.c.code,
                                                    r.c.ts > since, r.c.ts <= now).scalar_subquery())
            for code, end in conn.execute(select(s.area.c.code, latest).where(s.area.c.code.in_(part))):
                if end is not None:
                    key, end = (metric, grid[code]), as_datetime(end)
                    out[key] = max(out.get(key, end), end)
    return out
