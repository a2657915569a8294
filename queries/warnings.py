"""Warnings (预警): the warning center's list and counts, one warning with its evidence and history,
the open warnings' highest level per area for the maps, and the big screen's live list.

A viewer sees the warnings of their scope: a board head those of their board (``warning.board``), a
grid worker those placed in their grids (the warning's grid, else its village, else its township),
a department liaison those of their department (``warning.department_code``); leader and operator
everything. A warning's evidence and history are shown only with the warning, so they follow its
scope. Names of people only with ``scope.personal_data``; ID numbers only masked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Mapping

import pandas as pd
from sqlalchemy import and_, case, func, null, select
from sqlalchemy.sql.expression import ColumnElement

from cockpit.clock import midnight
from cockpit.scope import Scope
from cockpit.warehouse import schema as s
from cockpit.warnings.levels import LEVELS as ENGINE_LEVELS, rank
from cockpit.warnings.records import STATUS_CHOICES
from cockpit.warnings.states import ENDED_STATUSES
from queries.filters import optional_span, url_choice
from queries._base import DB, area_clause, board_clause, cached, code_prefix, department_clause, frame, records

W = s.warning
LEVELS = tuple(reversed(ENGINE_LEVELS))  # most severe first
SEVERITY = {lv: rank(lv) for lv in LEVELS}
MUTED_CHOICES = ("yes", "no")
_RULE_RE = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
_AREA_RE = re.compile(r"^\d{6,20}$")


# ---------------------------------------------------------------- filters of the warning center
@dataclass(frozen=True)
class WarningFilters:
    """A view of the warning center. ``status``: "open" (not ended), "all" or one status; ``period``:
    None (any time) or a period of ``cockpit.periods`` on ``opened_at`` (``start``..``end`` its days,
    ``until`` its end instant); ``muted``: None (either), "yes" or "no"."""

    status: str = "open"
    level: str | None = None
    rule: str | None = None
    board: str | None = None
    village: str | None = None
    muted: str | None = None
    period: str | None = None
    start: date | None = None
    end: date | None = None  # exclusive
    until: datetime | None = None

    def to_query(self) -> dict[str, str]:
        """The URL parameters that reproduce this view."""
        q = {k: getattr(self, k) for k in ("level", "rule", "board", "village", "muted", "period")}
        q["status"] = None if self.status == "open" else self.status
        if self.period == "custom" and self.start and self.end:
            q.update(start=self.start.isoformat(), end=(self.end - timedelta(days=1)).isoformat())
        return {k: v for k, v in q.items() if v}


def parse_warning_filters(query: Mapping[str, str | None], now: datetime, *,
                          rules: tuple[str, ...] | None = None) -> tuple[WarningFilters, list[str]]:
    """Filters from URL parameters; returns (filters, names of the parameters that were invalid and
    ignored). ``rules``: the rule names that exist (None: any well-formed name)."""
    from cockpit.reference import BOARDS

    bad: list[str] = []

    def choice(name: str, allowed) -> str | None:  # noqa: ANN001
        return url_choice(query, name, allowed, bad)

    status = choice("status", STATUS_CHOICES) or "open"
    level = choice("level", LEVELS)
    board = choice("board", BOARDS)
    muted = choice("muted", MUTED_CHOICES)
    rule = query.get("rule") or None
    if rule and not (_RULE_RE.match(rule) and (rules is None or rule in rules)):
        bad.append("rule")
        rule = None
    village = query.get("village") or None
    if village and not _AREA_RE.match(village):
        bad.append("village")
        village = None
    period, start, end, until = optional_span(query, now, bad)
    return WarningFilters(status, level, rule, board, village, muted, period, start, end, until), bad


# ---------------------------------------------------------------- scope and conditions
def place_code(w=W) -> ColumnElement:  # noqa: ANN001
    """A warning's narrowest place: its grid, else its village, else its township."""
    return func.coalesce(w.c.grid_code, w.c.village_code, w.c.township_code)


def _scope_clauses(scope: Scope, w=W) -> list[ColumnElement]:  # noqa: ANN001
    """The viewer's scope on the warning table: areas on its place, its board, its department."""
    return [area_clause(scope, place_code(w)), board_clause(scope, w.c.board),
            department_clause(scope, w.c.department_code)]


def is_open(w=W) -> ColumnElement:  # noqa: ANN001
    """The warning has not ended (new, acknowledged, dispatched …)."""
    return and_(w.c.ended_at.is_(None), w.c.status.not_in(ENDED_STATUSES))


def _area_of(code: str) -> ColumnElement:
    """Warnings in area ``code`` (a township, village or grid) by their place."""
    return code_prefix(place_code(), code)


def filter_clauses(f: WarningFilters, *, with_level: bool = True) -> list[ColumnElement]:
    w: list[ColumnElement] = []
    if f.status == "open":
        w.append(is_open())
    elif f.status != "all":
        w.append(W.c.status == f.status)
    if with_level and f.level:
        w.append(W.c.level == f.level)
    if f.rule:
        w.append(W.c.rule == f.rule)
    if f.board:
        w.append(W.c.board == f.board)
    if f.village:
        w.append(_area_of(f.village))
    if f.muted == "yes":
        w.append(W.c.silence_id.is_not(None))
    elif f.muted == "no":
        w.append(W.c.silence_id.is_(None))
    if f.start is not None and f.end is not None:
        w += [W.c.opened_at >= midnight(f.start), W.c.opened_at < (f.until or midnight(f.end))]
    return w


_SEVERITY_ORDER = case(*((W.c.level == lv, n) for lv, n in SEVERITY.items()), else_=-1)


def _list_columns() -> tuple[list, object]:
    g, v, c = s.area.alias("g"), s.area.alias("v"), s.category
    cols = [W.c.id, W.c.rule, W.c.level, W.c.status, W.c.active, W.c.silence_id, W.c.title, W.c.measure,
            W.c.board, W.c.township_code, W.c.village_code, W.c.grid_code, W.c.category_code, W.c.department_code,
            c.c.name_zh.label("category_zh"), c.c.name_en.label("category_en"), v.c.name.label("village_name"),
            g.c.name.label("grid_name"), W.c.evidence_count, W.c.opened_at, W.c.last_matched_at, W.c.ack_due_at,
            W.c.acknowledged_at, W.c.ended_at, W.c.lon, W.c.lat]
    src = (W.outerjoin(c, c.c.code == W.c.category_code).outerjoin(v, v.c.code == W.c.village_code)
           .outerjoin(g, g.c.code == W.c.grid_code))
    return cols, src


# ---------------------------------------------------------------- the warning center
@cached
def warning_list(db: DB, scope: Scope, f: WarningFilters, *, limit: int = 200, offset: int = 0) -> pd.DataFrame:
    """The warnings of the view, most severe first, then the newest opened: id, rule, level, status,
    active, silence_id (muted when set), title, measure, place (village / grid codes and names),
    category (code and names), evidence_count, opened_at, last_matched_at, ack_due_at, acknowledged_at,
    ended_at, lon, lat."""
    if limit < 0 or offset < 0:
        raise ValueError("limit and offset must not be negative")
    cols, src = _list_columns()
    return frame(db, select(*cols).select_from(src).where(*_scope_clauses(scope), *filter_clauses(f))
                 .order_by(_SEVERITY_ORDER.desc(), W.c.opened_at.desc(), W.c.id.desc()).offset(offset).limit(limit))


@cached
def count_warnings(db: DB, scope: Scope, f: WarningFilters) -> int:
    """How many warnings ``warning_list`` pages through (the same conditions)."""
    return int(records(db, select(func.count().label("n")).select_from(W)
                       .where(*_scope_clauses(scope), *filter_clauses(f)))[0]["n"])


@cached
def level_counts(db: DB, scope: Scope, f: WarningFilters) -> dict[str, int]:
    """Warnings of the view per level, whatever level the view selects (the chips that filter by
    level show every level): {"red": n, "orange": n, "yellow": n, "blue": n}."""
    got = {r["level"]: int(r["n"]) for r in records(db, select(W.c.level, func.count().label("n"))
                                                     .where(*_scope_clauses(scope), *filter_clauses(f, with_level=False))
                                                     .group_by(W.c.level))}
    return {lv: got.get(lv, 0) for lv in LEVELS}


@cached
def rule_names(db: DB, scope: Scope) -> tuple[str, ...]:
    """The rules that have raised a warning the scope sees (for the rule filter), by name."""
    return tuple(r["rule"] for r in records(db, select(W.c.rule).where(*_scope_clauses(scope)).distinct()
                                             .order_by(W.c.rule)))


# ---------------------------------------------------------------- one warning
@cached
def warning_detail(db: DB, scope: Scope, warning_id: int) -> dict | None:
    """One warning (the columns of ``warning_list``) with the outer ring of its grid's or village's
    shape (``ring``, [] if none), and its silence (``silence_ends_at``, ``silence_reason``,
    ``silence_author``) while muted; None if it does not exist or is outside the scope."""
    from queries.areas import outer_ring

    cols, src = _list_columns()
    sl, shape = s.silence, s.area.alias("shape")
    stmt = (select(*cols, W.c.subject, W.c.fingerprint, W.c.updated_at, shape.c.geometry,
                   sl.c.ends_at.label("silence_ends_at"), sl.c.reason.label("silence_reason"),
                   sl.c.author.label("silence_author"))
            .select_from(src.outerjoin(sl, sl.c.id == W.c.silence_id)
                         .outerjoin(shape, shape.c.code == func.coalesce(W.c.grid_code, W.c.village_code)))
            .where(W.c.id == int(warning_id), *_scope_clauses(scope)))
    rows = records(db, stmt)
    if not rows:
        return None
    row = rows[0]
    row["ring"] = outer_ring(row.pop("geometry"))
    return row


def _visible(scope: Scope, warning_id: int) -> ColumnElement:
    """``warning_id`` names a warning the scope sees."""
    return select(W.c.id).where(W.c.id == int(warning_id), *_scope_clauses(scope)).exists()


@cached
def warning_history(db: DB, scope: Scope, warning_id: int) -> pd.DataFrame:
    """The warning's append-only history, oldest first: at, actor ("rules" = the rule engine),
    action, from_status, to_status, from_level, to_level, active, silence_id, evidence_added, note."""
    h = s.warning_history
    return frame(db, select(h.c.id, h.c.at, h.c.actor, h.c.action, h.c.from_status, h.c.to_status, h.c.from_level,
                            h.c.to_level, h.c.active, h.c.silence_id, h.c.evidence_added, h.c.note)
                 .where(h.c.warning_id == int(warning_id), _visible(scope, warning_id)).order_by(h.c.at, h.c.id))


EVIDENCE_FACTS = ("event", "sensor_reading", "inspection", "subsidy_payment", "cadre_relative", "indicator_value",
                  "person_tag")


def _evidence_stmt(fact: str, scope: Scope, warning_id: int):  # noqa: ANN202
    """The select of the evidence rows of one fact type, joined to their rows (None: unknown fact)."""
    ev = s.warning_evidence
    base = [ev.c.warning_id == int(warning_id), ev.c.fact == fact, _visible(scope, warning_id)]
    names = scope.personal_data
    if fact == "event":
        e, c, ch, g = s.event, s.category, s.channel, s.area
        headline = func.coalesce(func.nullif(e.c.title, ""), func.substr(e.c.content, 1, 40))
        cols = [e.c.id, e.c.reported_at.label("at"), e.c.channel, ch.c.name_zh.label("channel_zh"),
                ch.c.name_en.label("channel_en"), e.c.category_code, c.c.name_zh.label("category_zh"),
                c.c.name_en.label("category_en"), e.c.reporter_masked, headline.label("title"), e.c.grid_code,
                g.c.name.label("grid_name"), e.c.status]
        src = (ev.join(e, and_(e.c.src_source == ev.c.src_source, e.c.src_key == ev.c.src_key))
               .outerjoin(c, c.c.code == e.c.category_code).outerjoin(ch, ch.c.code == e.c.channel)
               .outerjoin(g, g.c.code == e.c.grid_code))
        return select(*cols).select_from(src).where(*base).order_by(e.c.reported_at, e.c.id)
    if fact == "sensor_reading":
        r = s.sensor_reading
        src = ev.join(r, and_(r.c.sensor_id == ev.c.code, r.c.metric == ev.c.metric, r.c.ts == ev.c.at))
        return (select(r.c.sensor_id, r.c.metric, r.c.ts.label("at"), r.c.value, r.c.grid_code).select_from(src)
                .where(*base).order_by(r.c.ts, r.c.sensor_id))
    if fact == "inspection":
        i, en = s.inspection, s.enterprise
        src = (ev.join(i, and_(i.c.src_source == ev.c.src_source, i.c.src_key == ev.c.src_key))
               .outerjoin(en, en.c.credit_code == i.c.enterprise_code))
        return (select(i.c.id, i.c.inspected_at.label("at"), i.c.kind, i.c.result, i.c.hazard_count,
                       i.c.rectify_deadline, i.c.rectified_at, i.c.enterprise_code, en.c.name.label("enterprise_name"),
                       i.c.grid_code).select_from(src).where(*base).order_by(i.c.inspected_at, i.c.id))
    if fact == "subsidy_payment":
        p, pe = s.subsidy_payment, s.person
        src = (ev.join(p, and_(p.c.src_source == ev.c.src_source, p.c.src_key == ev.c.src_key))
               .outerjoin(pe, pe.c.person_key == p.c.person_key))
        return (select(p.c.id, p.c.paid_on.label("at"), p.c.kind, p.c.amount, p.c.grid_code,
                       pe.c.id_masked.label("person_masked"),
                       (pe.c.name if names else null()).label("person_name")).select_from(src)
                .where(*base).order_by(p.c.paid_on, p.c.id))
    if fact == "cadre_relative":
        cr = s.cadre_relative
        src = ev.join(cr, and_(cr.c.src_source == ev.c.src_source, cr.c.src_key == ev.c.src_key))
        return (select(cr.c.id, cr.c.declared_on.label("at"), cr.c.relation, cr.c.position, cr.c.township_code,
                       (cr.c.cadre_name if names else null()).label("cadre_name")).select_from(src)
                .where(*base).order_by(cr.c.id))
    if fact == "indicator_value":
        iv, ind, a = s.indicator_value, s.indicator, s.area
        src = (ev.join(iv, and_(iv.c.src_source == ev.c.src_source, iv.c.src_key == ev.c.src_key))
               .outerjoin(ind, ind.c.code == iv.c.indicator_code).outerjoin(a, a.c.code == iv.c.area_code))
        return (select(iv.c.indicator_code, ind.c.name_zh.label("indicator_zh"), ind.c.name_en.label("indicator_en"),
                       ind.c.unit, iv.c.area_code, a.c.name.label("area_name"), iv.c.period_start.label("at"),
                       iv.c.value, ind.c.target).select_from(src).where(*base).order_by(iv.c.period_start))
    if fact == "person_tag":
        t, pe = s.person_tag, s.person
        src = (ev.join(t, and_(t.c.src_source == ev.c.src_source, t.c.src_key == ev.c.src_key))
               .outerjoin(pe, pe.c.person_key == t.c.person_key))
        return (select(t.c.tag, t.c.grid_code, ev.c.at, pe.c.id_masked.label("person_masked"),
                       (pe.c.name if names else null()).label("person_name")).select_from(src)
                .where(*base).order_by(ev.c.at))
    return None


@cached
def warning_evidence(db: DB, scope: Scope, warning_id: int) -> dict[str, pd.DataFrame]:
    """The rows that make the warning, per fact type ({fact: rows}, only types it has), each joined to
    its loaded row: events (time, channel, category, masked reporter, headline, grid), sensor readings
    (sensor, metric, time, value), inspections, subsidy payments (the person masked; the name only with
    personal data), cadre relatives (relation, position; the cadre's name only with personal data),
    indicator values, person tags. Evidence of a fact type this screen does not know is counted
    under ``other`` (fact, at, src_source, src_key)."""
    ev = s.warning_evidence
    facts = [r["fact"] for r in records(db, select(ev.c.fact).where(ev.c.warning_id == int(warning_id),
                                                                     _visible(scope, warning_id)).distinct())]
    out: dict[str, pd.DataFrame] = {}
    for fact in sorted(facts, key=lambda f: EVIDENCE_FACTS.index(f) if f in EVIDENCE_FACTS else 99):
        stmt = _evidence_stmt(fact, scope, warning_id)
        if stmt is None:
            df = frame(db, select(ev.c.fact, ev.c.at, ev.c.src_source, ev.c.src_key)
                       .where(ev.c.warning_id == int(warning_id), ev.c.fact == fact, _visible(scope, warning_id)))
            out["other"] = pd.concat([out["other"], df]) if "other" in out else df
        else:
            out[fact] = frame(db, stmt)
    return out


# ---------------------------------------------------------------- maps and the big screen
@cached
def open_levels(db: DB, scope: Scope, parent_code: str) -> pd.DataFrame:
    """The open warnings under each child area of ``parent_code`` (villages of a township, grids of a
    village): code, level (the highest open level), n_open and n_red, n_orange, n_yellow, n_blue.
    A warning placed only at the township (no village) counts under no village."""
    a = s.area
    child_level = records(db, select(a.c.level).where(a.c.parent_code == parent_code).limit(1))
    col = W.c.grid_code if child_level and child_level[0]["level"] == "grid" else W.c.village_code
    sev = func.max(_SEVERITY_ORDER)
    df = frame(db, select(col.label("code"), sev.label("severity"), func.count().label("n_open"),
                          *(func.sum(case((W.c.level == lv, 1), else_=0)).label(f"n_{lv}") for lv in LEVELS))
               .where(col.is_not(None), code_prefix(col, parent_code), is_open(), *_scope_clauses(scope))
               .group_by(col).order_by(col))
    by_rank = {n: lv for lv, n in SEVERITY.items()}
    df["level"] = [by_rank.get(int(x)) for x in df.pop("severity")] if not df.empty else []
    return df


@cached
def live_warnings(db: DB, scope: Scope, *, area: str | None = None, limit: int = 10) -> pd.DataFrame:
    """The big screen's live list: open warnings not muted (in ``area``, if given), most severe first,
    then the newest opened; the columns of ``warning_list``."""
    cols, src = _list_columns()
    w = [is_open(), W.c.silence_id.is_(None), *_scope_clauses(scope)]
    if area:
        w.append(_area_of(area))
    return frame(db, select(*cols).select_from(src).where(*w)
                 .order_by(_SEVERITY_ORDER.desc(), W.c.opened_at.desc(), W.c.id.desc()).limit(limit))


@cached
def open_level_totals(db: DB, scope: Scope, *, area: str | None = None) -> dict[str, int]:
    """Open warnings per level (in ``area``, if given), muted ones included: {level: n}."""
    w = [is_open(), *_scope_clauses(scope)]
    if area:
        w.append(_area_of(area))
    got = {r["level"]: int(r["n"]) for r in records(db, select(W.c.level, func.count().label("n")).where(*w)
                                                     .group_by(W.c.level))}
    return {lv: got.get(lv, 0) for lv in LEVELS}

