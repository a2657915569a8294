"""People of concern (关爱对象) in a grid: residents tagged elderly-living-alone, hardship and the
like. Only for a scope that may see personal data (not even their counts otherwise: a count of
特困 in a grid points at people); ID and phone numbers exist here only masked (the warehouse never
holds them raw). A tag is its owner's data (``cockpit.reference.PERSON_TAG_OWNERS``: civil
affairs and the services board), so a scope narrowed to other boards or departments sees none."""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import exists, func, select

from cockpit.reference import PERSON_TAG_OWNERS
from cockpit.scope import Scope
from cockpit.warehouse import schema as s
from queries._base import DB, area_clause, cached, frame, owned_clause

CARE_TAGS = ("elderly_alone", "tekun", "dibao", "disabled")


def _active(pt, day: date, scope: Scope):  # noqa: ANN001, ANN202
    """Care tags held on ``day`` that the scope's boards and departments cover."""
    return [pt.c.tag.in_(CARE_TAGS), owned_clause(scope, pt.c.tag, PERSON_TAG_OWNERS),
            func.coalesce(pt.c.since, day) <= day, func.coalesce(pt.c.until, day) >= day]


@cached
def care_counts(db: DB, scope: Scope, area_code: str, day: date) -> pd.DataFrame:
    """People of concern under ``area_code`` by tag (tag, n), within the scope's areas. No names, and
    empty unless the scope may see personal data. The exact counts: a screen shows one under the
    configured minimum (``privacy.min_count``) as "<3" (``pages._people.count_text``)."""
    pt = s.person_tag
    if not scope.personal_data:
        return pd.DataFrame(columns=["tag", "n"])
    return frame(db, select(pt.c.tag, func.count(func.distinct(pt.c.person_key)).label("n"))
                 .where(*_active(pt, day, scope), func.coalesce(pt.c.grid_code, "").startswith(area_code, autoescape=True),
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
    tagged = (select(pt.c.person_key, pt.c.tag).where(*_active(pt, day, scope), pt.c.grid_code == grid_code).subquery())
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
    every opening is audited by the caller. A scope narrowed to boards or departments sees only
    people who hold a tag it covers."""
    if not scope.personal_data:
        return None
    p, pt = s.person, s.person_tag
    w = [p.c.person_key == person_key, area_clause(scope, func.coalesce(p.c.grid_code, ""))]
    if scope.boards is not None or scope.departments is not None:
        w.append(exists().where(pt.c.person_key == p.c.person_key, owned_clause(scope, pt.c.tag, PERSON_TAG_OWNERS)))
    df = frame(db, select(p.c.person_key, p.c.id_masked, p.c.name, p.c.gender, p.c.birth_date, p.c.grid_code,
                          p.c.address, p.c.phone_masked).where(*w))
    if df.empty:
        return None
    out = df.iloc[0].to_dict()
    tags = frame(db, select(pt.c.tag, pt.c.since).where(pt.c.person_key == person_key,
                                                         owned_clause(scope, pt.c.tag, PERSON_TAG_OWNERS))
                 .order_by(pt.c.tag))
    out["tags"] = tags.to_dict("records")
    return out
