"""lag (指标滞后, indicator lag): an area's latest value of an indicator off its target, or unusual.

For each indicator and area of ``area_levels``, the latest value (period start ≤ today) matches when
- the indicator has a target and the value is worse than it by more than ``off_target_pct`` percent
  in the bad direction (``higher_is_better``: below target × (1 − pct/100); else above × (1 + pct/100)),
- or, with at least ``min_periods`` of the ``periods`` values before it, the value lies outside
  mean ± ``sigma`` × standard deviation (sample) of those values.
Mean and deviation are aggregated in SQL (sum and sum of squares of the ranked history).
Board and department are the indicator's.
"""

from __future__ import annotations

import math
from datetime import date

from sqlalchemy import Connection, func, select, tuple_

from cockpit.reference import INDICATORS
from cockpit.warehouse import schema as s
from cockpit.warnings.kinds import Param
from cockpit.warnings.kinds._common import (
    as_datetime,
    at_least_zero,
    chunks,
    number,
    positive,
    str_list,
)
from cockpit.warnings.model import EvalContext, Evidence, Match, Rule

PARAMS: dict[str, Param] = {
    "off_target_pct": Param(10.0, (int, float), "percent off target in the bad direction (0: no target check)",
                            at_least_zero),
    "sigma": Param(3.0, (int, float), "standard deviations from the history's mean (0: no history check)",
                   at_least_zero),
    "periods": Param(12, (int,), "values before the latest that make the history", positive),
    "min_periods": Param(6, (int,), "fewest history values for the history check", positive),
    "area_levels": Param(["township"], (list,), "area levels judged: township, village, grid, county", str_list),
    "indicators": Param([], (list,), "only these indicators (empty: all)", str_list),
}


def evaluate(conn: Connection, rule: Rule, ctx: EvalContext) -> list[Match]:
    p = rule.params
    v, a, ind = s.indicator_value, s.area, s.indicator
    terms = [v.c.period_start <= ctx.now.date(), a.c.level.in_(p["area_levels"])]
    if p["indicators"]:
        terms.append(v.c.indicator_code.in_(p["indicators"]))
    ranked = (select(v.c.indicator_code, v.c.area_code, v.c.period_start, v.c.value, v.c.src_source, v.c.src_key,
                     func.row_number().over(partition_by=(v.c.indicator_code, v.c.area_code),
                                            order_by=v.c.period_start.desc()).label("rn"))
              .join(a, a.c.code == v.c.area_code).where(*terms).subquery("ranked"))
    hist = ranked.c.rn > 1
    x = ranked.c.value
    q = (select(ranked.c.indicator_code, ranked.c.area_code,
                func.max(ranked.c.value).filter(ranked.c.rn == 1).label("latest"),
                func.max(ranked.c.period_start).filter(ranked.c.rn == 1).label("period"),
                func.max(ranked.c.src_source).filter(ranked.c.rn == 1).label("src_source"),
                func.max(ranked.c.src_key).filter(ranked.c.rn == 1).label("src_key"),
                func.count().filter(hist).label("n"), func.sum(x).filter(hist).label("sx"),
                func.sum(x * x).filter(hist).label("sxx"))
         .where(ranked.c.rn <= p["periods"] + 1).group_by(ranked.c.indicator_code, ranked.c.area_code))
    meta = {row.code: row for row in conn.execute(select(ind.c.code, ind.c.board, ind.c.department_code,
                                                         ind.c.target, ind.c.higher_is_better, ind.c.unit))}
    names = {i.code: i.name_zh for i in INDICATORS}
    found = []
    for row in conn.execute(q):
        m = meta.get(row.indicator_code)
        if m is None or row.latest is None:
            continue
        value = float(row.latest)
        title = None
        pct = p["off_target_pct"]
        if m.target is not None and pct > 0:
            bad = value < m.target * (1 - pct / 100) if m.higher_is_better else value > m.target * (1 + pct / 100)
            if bad:
                title = f"{names.get(row.indicator_code, row.indicator_code)} {number(value)}{m.unit} · 目标 {number(m.target)}{m.unit}"
        uses_history = False
        if title is None and p["sigma"] > 0 and row.n >= max(p["min_periods"], 2):
            mean = row.sx / row.n
            sd = math.sqrt(max(0.0, (row.sxx - row.n * mean * mean) / (row.n - 1)))
            if abs(value - mean) > max(p["sigma"] * sd, 1e-9 * max(1.0, abs(mean))):
                uses_history = True
                title = (f"{names.get(row.indicator_code, row.indicator_code)} {number(value)}{m.unit} · "
                         f"近 {row.n} 期均值 {number(mean)}")
        if title:
            found.append((row, m, title, uses_history))
    history = _history(conn, [(r.indicator_code, r.area_code) for r, _, _, h in found if h], p["periods"] + 1,
                       ctx.now.date())
    out = []
    for row, m, title, uses_history in found:
        township = ctx.township_of(row.area_code)
        if not township:
            continue
        ev = [Evidence("indicator_value", row.src_source, row.src_key, as_datetime(row.period),
                       code=row.area_code, metric=row.indicator_code)]
        if uses_history:
            ev += history.get((row.indicator_code, row.area_code), [])[1:]
        area = row.area_code
        out.append(Match(subject=f"{row.indicator_code}|{area}", level=rule.level, township_code=township,
                         village_code=area if area in ctx.villages else ctx.village_of(area),
                         grid_code=area if area in ctx.grids else None, board=m.board,
                         department_code=m.department_code, title=title, evidence=ev, measure=float(row.latest)))
    return out


def _history(conn: Connection, pairs: list[tuple[str, str]], n: int, today: date) -> dict[tuple[str, str], list]:
    """The ``n`` latest values of each (indicator, area) as evidence, newest first."""
    v = s.indicator_value
    out: dict[tuple[str, str], list] = {}
    for part in chunks(pairs, 200):
        q = (select(v.c.indicator_code, v.c.area_code, v.c.period_start, v.c.src_source, v.c.src_key)
             .where(tuple_(v.c.indicator_code, v.c.area_code).in_(part), v.c.period_start <= today)
             .order_by(v.c.indicator_code, v.c.area_code, v.c.period_start.desc()))
        for row in conn.execute(q):
            lst = out.setdefault((row.indicator_code, row.area_code), [])
            if len(lst) < n:
                lst.append(Evidence("indicator_value", row.src_source, row.src_key, as_datetime(row.period_start),
                                    code=row.area_code, metric=row.indicator_code))
    return out
