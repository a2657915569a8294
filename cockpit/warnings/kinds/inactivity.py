"""inactivity (独居老人异常): a tagged person whose home sensors show too little activity.

A person with an active ``tag`` (since ≤ today, until empty or ≥ today) matches when, for any metric
of ``conditions`` (metric -> minimum), the sum of their readings (``subject_key`` = person key) over
the ``window_hours`` before the window's end is below the minimum. Only a metric for which the person
has a reading in the ``lookback_hours`` before now counts (they have that device). The window ends
at the metric's latest reading in the person's township (by the reading's grid), at or before now:
a township feed that stopped loading does not make all its elderly look inactive.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Connection, DateTime, and_, case, func, literal, or_, select

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
    township = func.substr(r.c.grid_code, 1, 9)  # area codes are hierarchical: a grid's first 9 digits
    # metric IN … AND grid_code IN … AND ts range: index range scans of ix_sensor_reading_metric_grid_ts
    # (readings of grids the area table does not hold have no township and are never judged)
    known = r.c.grid_code.in_(sorted(ctx.grids))
    ends = conn.execute(select(r.c.metric, township, func.max(r.c.ts))
                        .where(r.c.metric.in_(metrics), known, r.c.ts > since, r.c.ts <= ctx.now)
                        .group_by(r.c.metric, township)).all()
    if not ends:
        return []
    hours = timedelta(hours=p["window_hours"])
    bounds = {f"{tw}|{m}": (as_datetime(e) - hours, as_datetime(e)) for m, tw, e in ends}
    if len(set(bounds.values())) == 1:  # every township's feed is as current: one window
        a, b = next(iter(bounds.values()))
    else:  # each reading's window by its township and metric (the key computed once per row)
        key = township + "|" + r.c.metric
        a = case({k: literal(v[0], DateTime) for k, v in bounds.items()}, value=key)
        b = case({k: literal(v[1], DateTime) for k, v in bounds.items()}, value=key)
    in_window = and_(r.c.ts > a, r.c.ts <= b)
    tagged = (select(t.c.person_key, t.c.grid_code)
              .where(t.c.tag == p["tag"], or_(t.c.since.is_(None), t.c.since <= today),
                     or_(t.c.until.is_(None), t.c.until >= today)).subquery())
    sums = (select(r.c.subject_key, r.c.metric, func.sum(r.c.value).filter(in_window).label("total"))
            .where(r.c.subject_key.in_(select(tagged.c.person_key)), r.c.metric.in_(metrics), known, r.c.ts > since, r.c.ts <= ctx.now)
            .group_by(r.c.subject_key, r.c.metric))
    low: dict[str, list[tuple[str, float]]] = {}
    for key, metric, total in conn.execute(sums):
        total = float(total or 0.0)
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
                    r.c.ts > first, r.c.ts <= last, in_window).order_by(r.c.ts))
        for row in conn.execute(q):
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
