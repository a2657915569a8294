"""count: a subject (an enterprise, a reporter …) behind many rows of a fact within a window.

Rows of ``fact`` (event | inspection) whose time column lies in the ``window_days`` before now and
that match ``where`` (column -> value, or a list of values) are grouped by the ``subject`` column
(NULLs never match); a group with ≥ ``at_least`` rows (or distinct values of ``distinct``) matches at
the rule's level, red at ≥ ``red_at``. Enterprise safety: failed safety inspections per enterprise;
same person, many doors: distinct departments per reporter. The place is the subject's latest row's
grid. ``title`` is a Chinese template with ``{n}`` (the count) and ``{days}`` (the window).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Mapping

from sqlalchemy import Connection, func, select

from cockpit.warehouse import schema as s
from cockpit.warnings.kinds import REQUIRED, Param
from cockpit.warnings.kinds._common import (
    as_datetime,
    at_least_zero,
    check_columns,
    chunks,
    missing_column,
    number,
    positive,
    where_terms,
)
from cockpit.warnings.model import EvalContext, Evidence, Match, Rule

FACTS = {"event": (s.event, "reported_at"), "inspection": (s.inspection, "inspected_at")}

PARAMS: dict[str, Param] = {
    "fact": Param("event", (str,), "the table counted: event or inspection",
                  lambda v: None if v in FACTS else "use event or inspection"),
    "subject": Param(REQUIRED, (str,), "the column a match is about (enterprise_code, reporter_key …)"),
    "distinct": Param("", (str,), "count distinct values of this column (empty: count rows)"),
    "where": Param({}, (dict,), "column -> value or list of values the rows must have"),
    "time_column": Param("", (str,), "the rows' time (empty: reported_at / inspected_at)"),
    "at_least": Param(2, (int,), "count at least", positive),
    "red_at": Param(0, (int,), "count for red (0: never red)", at_least_zero),
    "window_days": Param(90, (int, float), "days before now counted", positive),
    "title": Param("{days} 天 {n} 条", (str,), "the title: {n} the count, {days} the window"),
}


def check(p: Mapping[str, Any]) -> tuple[str, str] | None:
    """The parameter naming a column the counted table lacks, and the problem (read with the configuration)."""
    table, default_time = FACTS[p["fact"]]
    return missing_column(table, {"subject": [p["subject"]], "time_column": [p["time_column"] or default_time],
                                  "where": list(p["where"]), "distinct": [p["distinct"]] if p["distinct"] else []})


def evaluate(conn: Connection, rule: Rule, ctx: EvalContext) -> list[Match]:
    p = rule.params
    table, default_time = FACTS[p["fact"]]
    time_col = p["time_column"] or default_time
    check_columns(table, [p["subject"], time_col, *p["where"], *([p["distinct"]] if p["distinct"] else [])],
                  f"rules.{rule.name}")
    subj, at = table.c[p["subject"]], table.c[time_col]
    terms = [at > ctx.now - timedelta(days=p["window_days"]), at <= ctx.now, subj.is_not(None),
             *where_terms(table, p["where"])]
    n = func.count(func.distinct(table.c[p["distinct"]])) if p["distinct"] else func.count()
    q = select(subj, n.label("n")).where(*terms).group_by(subj).having(n >= p["at_least"])
    found = {row[0]: row.n for row in conn.execute(q)}
    rows: dict[str, list] = {}
    for keys in chunks(sorted(found)):
        for row in conn.execute(select(table.c.id, table.c.src_source, table.c.src_key, table.c.grid_code,
                                       subj.label("subject"), at.label("at"))
                                .where(subj.in_(keys), *terms).order_by(at, table.c.id)):
            rows.setdefault(row.subject, []).append(row)
    out = []
    for subject, count in sorted(found.items()):
        evidence_rows = rows.get(subject, [])
        grid = next((r.grid_code for r in reversed(evidence_rows) if r.grid_code), None)
        township = ctx.township_of(grid)
        if not township:
            continue
        red = p["red_at"] and count >= p["red_at"]
        place = {k: v for k, v in ctx.place(grid).items() if k != "township_code"}
        out.append(Match(subject=str(subject), level="red" if red else rule.level, township_code=township,
                         title=p["title"].format(n=count, days=number(p["window_days"])),
                         evidence=[Evidence(table.name, r.src_source, r.src_key, as_datetime(r.at), row_id=r.id)
                                   for r in evidence_rows],
                         measure=float(count), **place))
    return out
