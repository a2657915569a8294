"""cluster (突出问题, prominent issue): many people reporting one category at one place.

Events of one category within ``window_days`` before now (``reporter_key`` set) form, for each grid G,
the cluster "category | G": the events in G and the events (of any grid) within ``radius_m`` of an
event of G that has coordinates. A cluster with ≥ ``min_reporters`` distinct reporters through
≥ ``min_channels`` distinct channels matches at the rule's level, red at ≥ ``red_reporters``.
Repeat reports (``duplicate_of`` set) stay in: distinct reporters count each person once.

Distance is equirectangular (metres = degrees × 111 195 × cos(latitude) for longitude), with
cos(latitude) of the warehouse's grids computed in Python: SQLite has no trigonometry. Candidate pairs
are found by an equality join on cells of side ≥ radius (the event's cell and its 8 neighbours), then
the exact distance, so the pairing stays near-linear in the events of the window.

Adjacent grids: complaints near a grid border can make clusters of both grids. Clusters are taken
biggest first (reporters, then events, then grid code) and one is dropped when all its events are in
clusters already kept, so the same complaints never raise two warnings.
"""

from __future__ import annotations

import math
from datetime import timedelta

from sqlalchemy import (
    Connection,
    Integer,
    and_,
    func,
    literal,
    select,
    true,
    union,
    union_all,
)

from cockpit.reference import CATEGORIES
from cockpit.warehouse import schema as s
from cockpit.warehouse.sql import portable_function
from cockpit.warnings.kinds import Param
from cockpit.warnings.kinds._common import event_evidence, in_filter, positive, str_list
from cockpit.warnings.model import EvalContext, Match, Rule

PARAMS: dict[str, Param] = {
    "window_days": Param(7, (int, float), "days before now in which events count", positive),
    "min_reporters": Param(3, (int,), "distinct reporters at least", positive),
    "min_channels": Param(2, (int,), "distinct channels at least", positive),
    "red_reporters": Param(6, (int,), "distinct reporters for red (0: never red)", lambda v: None if v >= 0 else "must be 0 or more"),
    "radius_m": Param(300.0, (int, float), "metres around an event of the grid that still count as the place",
                      lambda v: None if v >= 0 else "must be 0 or more"),
    "categories": Param([], (list,), "only these categories (empty: all)", str_list),
    "exclude_categories": Param([], (list,), "never these categories", str_list),
    "channels": Param([], (list,), "only these channels (empty: all)", str_list),
    "exclude_channels": Param([], (list,), "never these channels", str_list),
}

M_PER_DEG = 111_195.0  # metres per degree of a great circle (R = 6371 km)

floor_int = portable_function(
    "floor_int", Integer(), doc="The greatest integer ≤ x.",
    postgresql="CAST(FLOOR({0}) AS BIGINT)",
    sqlite="(CAST({0} AS INTEGER) - (CAST({0} AS INTEGER) > {0}))")


def _cos_lat(ctx: EvalContext) -> float:
    lats = [lat for _, _, lat in ctx.grids.values() if lat is not None]
    return math.cos(math.radians(sum(lats) / len(lats))) if lats else 1.0


def evaluate(conn: Connection, rule: Rule, ctx: EvalContext) -> list[Match]:
    p = rule.params
    e = s.event
    start = ctx.now - timedelta(days=p["window_days"])
    kx = M_PER_DEG * _cos_lat(ctx)  # metres per degree of longitude
    ky = M_PER_DEG
    r = float(p["radius_m"])
    cell = max(r, 1.0)
    terms = [e.c.reported_at > start, e.c.reported_at <= ctx.now, e.c.reporter_key.is_not(None),
             *in_filter(e.c.category_code, p["categories"], p["exclude_categories"]),
             *in_filter(e.c.channel, p["channels"], p["exclude_channels"])]
    w = select(e.c.id, e.c.category_code, e.c.grid_code, e.c.lon, e.c.lat, e.c.reporter_key, e.c.channel,
               floor_int(e.c.lon * kx / cell).label("cx"), floor_int(e.c.lat * ky / cell).label("cy")) \
        .where(*terms).cte("w")
    members_parts = [select(w.c.category_code, w.c.grid_code.label("g"), w.c.id)]
    if r > 0:
        a = w.alias("a")
        o = w.alias("o")
        offs = union_all(*(select(literal(d, Integer).label("d")) for d in (-1, 0, 1))).subquery("dx")
        offs_y = union_all(*(select(literal(d, Integer).label("d")) for d in (-1, 0, 1))).subquery("dy")
        dxm = (o.c.lon - a.c.lon) * kx
        dym = (o.c.lat - a.c.lat) * ky
        members_parts.append(
            select(a.c.category_code, a.c.grid_code.label("g"), o.c.id)
            .select_from(a.join(offs, true()).join(offs_y, true())
                         .join(o, and_(o.c.category_code == a.c.category_code, o.c.cx == a.c.cx + offs.c.d,
                                       o.c.cy == a.c.cy + offs_y.c.d, o.c.grid_code != a.c.grid_code)))
            .where(a.c.lon.is_not(None), a.c.lat.is_not(None), dxm * dxm + dym * dym <= r * r))
    members = union(*members_parts).cte("m")  # UNION: an event near several anchors counts once
    agg = (select(members.c.category_code, members.c.g,
                  func.count(func.distinct(w.c.reporter_key)).label("n_rep"),
                  func.count(func.distinct(w.c.channel)).label("n_ch"))
           .select_from(members.join(w, w.c.id == members.c.id))
           .group_by(members.c.category_code, members.c.g)
           .having(and_(func.count(func.distinct(w.c.reporter_key)) >= p["min_reporters"],
                        func.count(func.distinct(w.c.channel)) >= p["min_channels"]))).subquery("agg")
    q = (select(agg.c.category_code, agg.c.g, agg.c.n_rep, agg.c.n_ch, e.c.id, e.c.src_source, e.c.src_key,
                e.c.reported_at)
         .select_from(agg.join(members, and_(members.c.category_code == agg.c.category_code, members.c.g == agg.c.g))
                      .join(e, e.c.id == members.c.id))
         .order_by(agg.c.category_code, agg.c.g, e.c.reported_at, e.c.id))
    clusters: dict[tuple[str, str], dict] = {}
    for row in conn.execute(q):
        c = clusters.setdefault((row.category_code, row.g), {"n_rep": row.n_rep, "n_ch": row.n_ch, "rows": []})
        c["rows"].append(row)
    categories = {c.code: c for c in CATEGORIES}
    kept: set[int] = set()
    out: list[Match] = []
    for (cat, grid), c in sorted(clusters.items(), key=lambda kv: (-kv[1]["n_rep"], -len(kv[1]["rows"]), kv[0])):
        ids = {row.id for row in c["rows"]}
        if ids <= kept:
            continue
        place = ctx.place(grid)
        township = place.get("township_code") or ctx.township_of(grid)
        if not township:
            continue  # a grid the area table does not hold
        kept |= ids
        red = p["red_reporters"] and c["n_rep"] >= p["red_reporters"]
        ref = categories.get(cat)
        out.append(Match(
            subject=f"{cat}|{grid}", level="red" if red else rule.level, township_code=township,
            title=f"{c['n_rep']} 位群众 · {c['n_ch']} 个渠道", evidence=[event_evidence(row) for row in c["rows"]],
            category_code=cat, board=ref.board if ref else None, department_code=ref.department if ref else None,
            measure=float(c["n_rep"]), **{k: v for k, v in place.items() if k != "township_code"},
            **({} if place else {"grid_code": grid})))
    return out
