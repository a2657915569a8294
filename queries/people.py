"""People of concern (关爱对象) in a grid: residents tagged elderly-living-alone, hardship and the
like. Names only for a scope that may see personal data; ID and phone numbers exist here only
masked (the warehouse never holds them raw)."""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import func, select

from cockpit.scope import Scope
from cockpit.warehouse import schema as s
from queries._base import DB, area_clause, cached, frame

CARE_TAGS = ("elderly_alone", "tekun", "dibao", "disabled")


def _active(pt, day: date):  # noqa: ANN001, ANN202
    return [pt.c.tag.in_(CARE_TAGS), func.coalesce(pt.c.since, day) <= day, func.coalesce(pt.c.until, day) >= day]


@cached
def care_counts(db: DB, scope: Scope, area_code: str, day: date) -> pd.DataFrame:
    """People of concern under ``area_code`` by tag (tag, n), within the scope's areas. No names."""
    pt = s.person_tag
    return frame(db, select(pt.c.tag, func.count(func.distinct(pt.c.person_key)).label("n"))
                 .where(*_active(pt, day), func.coalesce(pt.c.grid_code, "").startswith(area_code, autoescape=True),
                        area_clause(scope, func.coalesce(pt.c.grid_code, "")))
                 .group_by(pt.c.tag).order_by(pt.c.tag))


@cached
def care_list(db: DB, scope: Scope, grid_code: str, day: date, *, limit: int = 300) -> pd.DataFrame:
    """People of concern in one grid: person_key, name, gender, birth_date, phone_masked, tags (comma-joined).

    Empty unless the scope may see personal data and reaches the grid (a grid worker: their own grids).
    """
    if not scope.personal_data or not scope.allows_area(grid_code):
        return pd.DataFrame(columns=["person_key", "name", "gender", "birth_date", "phone_masked", "tags"])
    p, pt = s.person, s.person_tag
    tagged = (select(pt.c.person_key, pt.c.tag).where(*_active(pt, day), pt.c.grid_code == grid_code).subquery())
    df = frame(db, select(p.c.person_key, p.c.name, p.c.gender, p.c.birth_date, p.c.phone_masked, tagged.c.tag)
               .select_from(tagged.join(p, p.c.person_key == tagged.c.person_key))
               .where(area_clause(scope, func.coalesce(p.c.grid_code, "")))
               .order_by(p.c.name, p.c.person_key).limit(limit * len(CARE_TAGS)))
    if df.empty:
        return pd.DataFrame(columns=["person_key", "name", "gender", "birth_date", "phone_masked", "tags"])
    keep = ["person_key", "name", "gender", "birth_date", "phone_masked"]
    out = df.groupby(keep, dropna=False, sort=False)["tag"].agg(lambda x: ",".join(sorted(set(x)))).reset_index()
    return out.rename(columns={"tag": "tags"}).head(limit)


def person_card(db: DB, scope: Scope, person_key: str) -> dict | None:
    """One person (masked numbers, name, address, tags) if the scope may see them; else None. Not cached:
    every opening is audited by the caller."""
    if not scope.personal_data:
        return None
    p, pt = s.person, s.person_tag
    df = frame(db, select(p.c.person_key, p.c.id_masked, p.c.name, p.c.gender, p.c.birth_date, p.c.grid_code,
                          p.c.address, p.c.phone_masked)
               .where(p.c.person_key == person_key, area_clause(scope, func.coalesce(p.c.grid_code, ""))))
    if df.empty:
        return None
    out = df.iloc[0].to_dict()
    tags = frame(db, select(pt.c.tag, pt.c.since).where(pt.c.person_key == person_key).order_by(pt.c.tag))
    out["tags"] = tags.to_dict("records")
    return out
