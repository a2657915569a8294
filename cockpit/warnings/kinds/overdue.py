"""overdue: a row past its deadline and not done (a hazard past its rectification deadline).

Rows of ``fact`` with ``deadline`` before today (a date column) or before now (a time column), ``done``
empty, and matching ``where``. One match per row, subject = the row's ``src_source|src_key`` (a
re-inspection is another hazard with its own deadline); red once ``red_after_days`` days overdue.
``title``: a Chinese template with ``{days}``, the whole days overdue.
"""

from __future__ import annotations

from typing import Any, Mapping

from sqlalchemy import Connection, Date, DateTime, select

from cockpit.warehouse import schema as s
from cockpit.warnings.kinds import Param
from cockpit.warnings.kinds._common import (
    as_datetime,
    at_least_zero,
    check_columns,
    missing_column,
    where_terms,
)
from cockpit.warnings.model import EvalContext, Evidence, Match, Rule

FACTS = {"inspection": (s.inspection, "inspected_at"), "event": (s.event, "reported_at")}

PARAMS: dict[str, Param] = {
    "fact": Param("inspection", (str,), "the table: inspection or event",
                  lambda v: None if v in FACTS else "use inspection or event"),
    "deadline": Param("rectify_deadline", (str,), "the deadline column"),
    "done": Param("rectified_at", (str,), "the column set when done"),
    "where": Param({}, (dict,), "column -> value or list of values the rows must have"),
    "red_after_days": Param(0, (int,), "days overdue for red (0: never red)", at_least_zero),
    "title": Param("整改逾期 {days} 天", (str,), "the title: {days} the whole days overdue"),
}


def check(p: Mapping[str, Any]) -> tuple[str, str] | None:
    """The parameter naming a column the table lacks, and the problem (read with the configuration)."""
    return missing_column(FACTS[p["fact"]][0], {"deadline": [p["deadline"]], "done": [p["done"]], "where": list(p["where"])})


def evaluate(conn: Connection, rule: Rule, ctx: EvalContext) -> list[Match]:
    p = rule.params
    table, time_col = FACTS[p["fact"]]
    check_columns(table, [p["deadline"], p["done"], *p["where"]], f"rules.{rule.name}")
    deadline = table.c[p["deadline"]]
    is_date = isinstance(deadline.type, Date) and not isinstance(deadline.type, DateTime)
    limit = ctx.now.date() if is_date else ctx.now
    q = (select(table.c.id, table.c.src_source, table.c.src_key, table.c.grid_code, table.c[time_col].label("at"),
                deadline.label("deadline"))
         .where(deadline < limit, table.c[p["done"]].is_(None), *where_terms(table, p["where"]))
         .order_by(table.c.src_source, table.c.src_key))
    out = []
    for row in conn.execute(q):
        township = ctx.township_of(row.grid_code)
        if not township:
            continue
        due = as_datetime(row.deadline)
        days = (ctx.now.date() - due.date()).days if is_date else int((ctx.now - due).total_seconds() // 86400)
        red = p["red_after_days"] and days >= p["red_after_days"]
        place = {k: v for k, v in ctx.place(row.grid_code).items() if k != "township_code"}
        out.append(Match(subject=f"{row.src_source}|{row.src_key}", level="red" if red else rule.level,
                         township_code=township, title=p["title"].format(days=days),
                         evidence=[Evidence(table.name, row.src_source, row.src_key, as_datetime(row.at),
                                            row_id=row.id)],
                         measure=float(days), **place))
    return out
