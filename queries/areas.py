"""Areas: the township's hierarchy and map shapes (GeoJSON polygons held in the warehouse)."""

from __future__ import annotations

import json

import pandas as pd
from sqlalchemy import func, literal_column, select

from cockpit.scope import Scope
from cockpit.warehouse import schema as s
from queries._base import DB, area_clause, board_clause, cached, code_prefix, department_clause, frame, navigable_clause


@cached
def home_township(db: DB, scope: Scope) -> dict | None:
    """The township the cockpit shows: the first township the scope reaches (by code: within its areas,
    or above them, as a grid worker's township), or None if it reaches none.

    Not scoped by boards, departments: a township's name and code are no board's or department's data.
    """
    a = s.area
    # a scope narrower than a township (e.g. one village) still has the township above it
    stmt = (select(a.c.code, a.c.name, a.c.parent_code).where(a.c.level == "township", navigable_clause(scope, a.c.code))
            .order_by(a.c.code).limit(1))
    df = frame(db, stmt)
    return None if df.empty else df.iloc[0].to_dict()


@cached
def area_info(db: DB, scope: Scope, code: str) -> dict | None:
    """One area (code, name, level, parent_code) if it exists and the scope reaches it (in scope or above).

    Not scoped by boards, departments: an area's name, population and grid worker are no board's or department's data.
    """
    a = s.area
    df = frame(db, select(a.c.code, a.c.name, a.c.level, a.c.parent_code, a.c.population, a.c.households,
                          a.c.grid_worker).where(a.c.code == code, navigable_clause(scope, a.c.code)))
    return None if df.empty else df.iloc[0].to_dict()


@cached
def breadcrumb(db: DB, scope: Scope, code: str) -> list[dict]:
    """The chain from the township down to ``code`` (inclusive): [{code, name, level}, ...]; the areas
    below the township only as far as the scope reaches.

    Not scoped by boards, departments: area names are no board's or department's data.
    """
    a = s.area
    chain: list[dict] = []
    current: str | None = code
    for _ in range(6):  # township > village > grid; bounded in case of a cycle in bad data
        if current is None:
            break
        df = frame(db, select(a.c.code, a.c.name, a.c.level, a.c.parent_code).where(a.c.code == current))
        if df.empty:
            break
        row = df.iloc[0]
        chain.append({"code": row["code"], "name": row["name"], "level": row["level"]})
        if row["level"] == "township":
            break
        current = row["parent_code"]
    return [c for c in reversed(chain) if c["level"] == "township" or scope.allows_navigating(c["code"])]


@cached
def children(db: DB, scope: Scope, parent_code: str) -> pd.DataFrame:
    """Child areas of ``parent_code`` the scope reaches: code, name, level, seq.

    Not scoped by boards, departments: area names are no board's or department's data.
    """
    a = s.area
    return frame(db, select(a.c.code, a.c.name, a.c.level, a.c.seq)
                 .where(a.c.parent_code == parent_code, navigable_clause(scope, a.c.code)).order_by(a.c.code))


@cached
def map_shapes(db: DB, scope: Scope, parent_code: str, *, board: str | None = None) -> pd.DataFrame:
    """Child areas of ``parent_code`` with their polygon rings and open events (all time, optional board).

    Columns: code, name, level, ring (list of [lon, lat]), lon, lat (centroid), open_events. The
    shapes are those of the areas the scope reaches; the open events are the scope's (its areas,
    boards and departments).
    Open events come from ``agg_event_day`` rows with ``n_open > 0`` (a partial index holds just those),
    so the cost does not grow with the history or with the other townships in the warehouse.
    """
    a, g = s.area, s.agg_event_day
    code_col = g.c.village_code if _child_level(db, parent_code) == "village" else g.c.grid_code
    opened = (select(code_col.label("code"), func.sum(g.c.n_open).label("open_events"))
              .where(g.c.n_open > literal_column("0"),  # literal, so the partial index ix_agg_event_day_open applies
                     code_prefix(code_col, parent_code),
                     area_clause(scope, g.c.grid_code), board_clause(scope, g.c.board),
                     department_clause(scope, g.c.department_code),
                     *([g.c.board == board] if board else []))
              .group_by(code_col).subquery())
    stmt = (select(a.c.code, a.c.name, a.c.level, a.c.geometry, a.c.centroid_lon.label("lon"),
                   a.c.centroid_lat.label("lat"), func.coalesce(opened.c.open_events, 0).label("open_events"))
            .select_from(a.outerjoin(opened, opened.c.code == a.c.code))
            .where(a.c.parent_code == parent_code, navigable_clause(scope, a.c.code)).order_by(a.c.code))
    df = frame(db, stmt)
    df["ring"] = [outer_ring(g) for g in df.pop("geometry")]
    return df


@cached
def codes_under(db: DB, code: str, level: str) -> tuple[str, ...]:
    """The codes of the areas of ``level`` ("village" or "grid") in area ``code``, as a literal list for
    an index that leads with the area column: both engines' planners then seek area by area (with a
    subquery PostgreSQL scanned every township's rows of the period and joined)."""
    a = s.area
    df = frame(db, select(a.c.code).where(a.c.level == level, code_prefix(a.c.code, code)).order_by(a.c.code))
    return tuple(df["code"])


def _child_level(db: DB, parent_code: str) -> str | None:
    a = s.area
    df = frame(db, select(a.c.level).where(a.c.parent_code == parent_code).limit(1))
    return None if df.empty else df.iloc[0]["level"]


def outer_ring(geometry: str | None) -> list[list[float]]:
    """The outer ring of a GeoJSON Polygon (or the largest polygon of a MultiPolygon); [] if unreadable."""
    if not geometry:
        return []
    try:
        g = json.loads(geometry)
    except ValueError:
        return []
    if g.get("type") == "Feature":
        g = g.get("geometry") or {}
    if g.get("type") == "Polygon":
        return g["coordinates"][0]
    if g.get("type") == "MultiPolygon":
        return max((p[0] for p in g["coordinates"]), key=len, default=[])
    return []
