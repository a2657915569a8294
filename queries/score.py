"""The department score (部门报到考核) for the ranking ``/ranking``, a department's page
``/departments/<code>`` and the big screen's ranking slot: thin adapters over
``cockpit.whistles.score`` (the formula lives there, once), shaped as small DataFrames and dicts,
and the period and township read from URL parameters.

The score is the township's published 红黑榜: every department's score is shown to everyone with
``browse``; which cases behind a score a person may read is the department page's rule (a liaison
reads only their own department's). So these functions take no scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

import pandas as pd
from sqlalchemy import select

from cockpit.warehouse import schema as s
from cockpit.whistles import score as core
from cockpit.whistles.score import TERMS, DepartmentScore, Period
from cockpit.whistles.settings import ScoreSettings, score_settings
from queries._base import DB, connection

KINDS = ("week", "month", "quarter")
TREND_PERIODS = 8
_CODE_OK = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


def settings(config: Any) -> ScoreSettings:
    """The ``[score]`` settings of the app's configuration (weights, grades, minimum sample)."""
    return score_settings(config)


# ---------------------------------------------------------------- the period from the URL
@dataclass(frozen=True)
class ScorePeriod:
    """A scored period as a screen shows it: the period, whether it is still running at ``as_of``,
    and its neighbours' names (``following`` None: it would start after today)."""

    period: Period
    as_of: datetime
    running: bool
    previous: str
    following: str | None

    @property
    def name(self) -> str:
        return self.period.name

    @property
    def kind(self) -> str:
        return self.period.kind


def score_period(period: Period, as_of: datetime) -> ScorePeriod:
    today = as_of.date()
    after = period.before(-1)
    return ScorePeriod(period, as_of, period.start <= today < period.end, period.before(1).name,
                       after.name if after.start <= today else None)


def parse_period(query: Mapping[str, Any], as_of: datetime) -> tuple[ScorePeriod, list[str]]:
    """The period of URL parameters: ``period`` by name (2026-W47, 2026-11, 2026-Q4) or ``kind``
    (week, month, quarter: the one running now); the current month without either. Returns the
    period and the names of the parameters that were invalid and ignored (a malformed name, a
    period that starts after today, an unknown kind)."""
    bad: list[str] = []
    today = as_of.date()
    kind = query.get("kind") or None
    if kind is not None and kind not in KINDS:
        bad.append("kind")
        kind = None
    found: Period | None = None
    name = query.get("period") or None
    if name is not None:
        try:
            found = Period.named(str(name)[:16])
        except ValueError:
            found = None
        if found is None or found.start > today:
            bad.append("period")
            found = None
    if found is None:
        found = Period.containing(kind or "month", today)
    return score_period(found, as_of), bad


# ---------------------------------------------------------------- places and departments
def townships(db: DB) -> list[dict]:
    """Every township of the warehouse (code, name), by code; the page offers those the viewer reaches."""
    a = s.area.c
    with connection(db) as conn:
        return [dict(r) for r in conn.execute(select(a.code, a.name).where(a.level == "township")
                                              .order_by(a.code)).mappings()]


def department_info(db: DB, code: str) -> dict | None:
    """One department (code, name_zh, name_en), None if there is none with this code."""
    if not code or len(code) > 32 or not set(code) <= _CODE_OK:
        return None
    d = s.department.c
    with connection(db) as conn:
        row = conn.execute(select(d.code, d.name_zh, d.name_en).where(d.code == code)).mappings().first()
    return dict(row) if row else None


# ---------------------------------------------------------------- scores
TERM_COLUMNS = tuple(f"{term}_{part}" for term in TERMS for part in ("share", "points", "done", "due"))
COLUMNS = ("rank", "department", "name_zh", "name_en", "cases", "excused", "cancelled", "open", "score", "grade",
           "insufficient", *TERM_COLUMNS)


def _row(r: DepartmentScore) -> dict[str, Any]:
    row: dict[str, Any] = {"rank": r.rank, "department": r.department_code, "name_zh": r.name_zh, "name_en": r.name_en,
                           "cases": r.cases, "excused": r.excused, "cancelled": r.cancelled, "open": r.open_cases,
                           "score": r.score, "grade": r.grade, "insufficient": r.insufficient}
    for term in TERMS:
        x = r.terms[term]
        row.update({f"{term}_share": x.share, f"{term}_points": x.points, f"{term}_done": x.done, f"{term}_due": x.due})
    return row


def ranking(db: DB, period: Period, as_of: datetime, config_settings: ScoreSettings, *,
            township: str | None = None) -> pd.DataFrame:
    """Every department summoned in the period, best first, those with too few cases (样本不足)
    after the ranked ones: ``COLUMNS`` (score and grade None for those; a term's share and points
    None when no case was due for it)."""
    with connection(db) as conn:
        rows = core.ranking(conn, period, as_of, config_settings, township=township)
    return pd.DataFrame([_row(r) for r in rows], columns=list(COLUMNS), dtype=object)


def trend(db: DB, code: str, period: Period, as_of: datetime, config_settings: ScoreSettings, *,
          township: str | None = None, periods: int = TREND_PERIODS) -> pd.DataFrame:
    """The department's score in ``period`` and the ``periods − 1`` before it, oldest first: period
    (name), start, cases, score (None: 样本不足 or not summoned — a gap, not zero), grade, insufficient."""
    with connection(db) as conn:
        found = core.trend(conn, code, period, as_of, config_settings, township=township, periods=periods)
    return pd.DataFrame([{"period": p.name, "start": p.start, "cases": r.cases if r else 0,
                          "score": r.score if r else None, "grade": r.grade if r else None,
                          "insufficient": bool(r.insufficient) if r else False, "summoned": r is not None}
                         for p, r in found],
                        columns=["period", "start", "cases", "score", "grade", "insufficient", "summoned"], dtype=object)


def cases(db: DB, code: str, period: Period, as_of: datetime, *, township: str | None = None) -> list[dict]:
    """Every case of the department summoned in the period, newest first (``cockpit.whistles.score.cases``:
    the summons, its whistle, the score's judgement of each step), each with its timeline ``log``
    (oldest first), read in one more query."""
    with connection(db) as conn:
        rows = core.cases(conn, code, period, as_of, township=township)
        ids = [r["id"] for r in rows]
        logs: dict[int, list[dict]] = {i: [] for i in ids}
        if ids:
            g = s.summons_log.c
            for r in conn.execute(select(s.summons_log).where(g.summons_id.in_(ids)).order_by(g.at, g.id)).mappings():
                logs[r["summons_id"]].append(dict(r))
    for r in rows:
        r["log"] = logs[r["id"]]
    return rows
