"""surge (信访激增, petition surge): a village's events in the last ``window_days`` exceed ``factor``
× its mean per ``window_days`` over the ``baseline_weeks`` weeks before the window, and are at least
``min_count``. Events are filtered by channel and category (default: the petition channel).
A village without events in the baseline has a mean of 0: ``min_count`` alone decides.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Connection, case, func, select

from cockpit.warehouse import schema as s
from cockpit.warnings.kinds import Param
from cockpit.warnings.kinds._common import (
    chunks,
    event_evidence,
    in_filter,
    number,
    positive,
    str_list,
)
from cockpit.warnings.model import EvalContext, Match, Rule

PARAMS: dict[str, Param] = {
    "window_days": Param(7, (int, float), "days before now counted", positive),
    "baseline_weeks": Param(8, (int,), "weeks before the window whose mean is the baseline", positive),
    "factor": Param(2.0, (int, float), "the window's count must exceed factor × the baseline mean", positive),
    "min_count": Param(5, (int,), "and be at least this many", positive),
    "channels": Param(["petition"], (list,), "only these channels (empty: all)", str_list),
    "exclude_channels": Param([], (list,), "never these channels", str_list),
    "categories": Param([], (list,), "only these categories (empty: all)", str_list),
    "exclude_categories": Param([], (list,), "never these categories", str_list),
}


def evaluate(conn: Connection, rule: Rule, ctx: EvalContext) -> list[Match]:
    p = rule.params
    e = s.event
    start = ctx.now - timedelta(days=p["window_days"])
    base_start = start - timedelta(weeks=p["baseline_weeks"])
    filters = [*in_filter(e.c.channel, p["channels"], p["exclude_channels"]),
               *in_filter(e.c.category_code, p["categories"], p["exclude_categories"])]
    recent = func.sum(case((e.c.reported_at > start, 1), else_=0))
    base = func.sum(case((e.c.reported_at <= start, 1), else_=0))
    # the baseline mean per window: base / (baseline_weeks × 7 / window_days), compared without division
    periods = p["baseline_weeks"] * 7 / p["window_days"]
    q = (select(e.c.village_code, recent.label("n"), base.label("b"))
         .where(e.c.reported_at > base_start, e.c.reported_at <= ctx.now, *filters)
         .group_by(e.c.village_code)
         .having(recent >= p["min_count"], recent * periods > base * p["factor"]))
    found = {row.village_code: row for row in conn.execute(q)}
    evidence: dict[str, list] = {}
    for villages in chunks(sorted(found)):
        rows = conn.execute(select(e.c.id, e.c.village_code, e.c.src_source, e.c.src_key, e.c.reported_at)
                            .where(e.c.village_code.in_(villages), e.c.reported_at > start,
                                   e.c.reported_at <= ctx.now, *filters).order_by(e.c.reported_at, e.c.id))
        for row in rows:
            evidence.setdefault(row.village_code, []).append(event_evidence(row))
    out = []
    for village, row in sorted(found.items()):
        township = ctx.township_of(village)
        if not township:
            continue
        mean = (row.b or 0) / periods
        out.append(Match(subject=village, level=rule.level, township_code=township, village_code=village,
                         title=f"{number(p['window_days'])} 天 {row.n} 件 · 此前均值 {mean:.1f} 件",
                         evidence=evidence.get(village, []), measure=float(row.n)))
    return out
