"""Write the unified code lists (``cockpit.reference``) into the warehouse; idempotent."""

from __future__ import annotations

from sqlalchemy import Connection, delete, insert, inspect, select

from cockpit import reference
from cockpit.warehouse import schema as s


def seed_reference(conn: Connection) -> None:
    """Replace the reference tables' rows with the code lists in ``cockpit.reference``.

    The responsibility list is data the admin edits (``cockpit.orders.routing``): a category's
    rows are kept as they are, and only a category without any gets the defaults."""
    kept = [dict(r) for r in conn.execute(select(s.responsibility)).mappings()]
    for table in (s.responsibility, s.category, s.indicator, s.channel, s.department, s.board):
        conn.execute(delete(table))
    conn.execute(insert(s.board), [{"code": c, "name_zh": zh, "name_en": en} for c, (zh, en) in reference.BOARDS.items()])
    conn.execute(insert(s.department), [{"code": d.code, "name_zh": d.name_zh, "name_en": d.name_en} for d in reference.DEPARTMENTS])
    conn.execute(insert(s.channel), [{"code": c, "name_zh": zh, "name_en": en} for c, (zh, en) in reference.CHANNELS.items()])
    conn.execute(insert(s.category), [
        {"code": c.code, "name_zh": c.name_zh, "name_en": c.name_en, "board": c.board,
         "department_code": c.department, "sla_hours": c.sla_hours} for c in reference.CATEGORIES])
    departments = {d.code for d in reference.DEPARTMENTS}
    categories = {c.code for c in reference.CATEGORIES}
    rows = [r for r in kept if r["department_code"] in departments and r["category_code"] in categories]
    edited = {r["category_code"] for r in rows}
    for c in reference.CATEGORIES:
        if c.code in edited:
            continue
        rows.append({"category_code": c.code, "department_code": c.department, "role": "lead"})
        rows += [{"category_code": c.code, "department_code": d, "role": "cooperate"} for d in c.cooperating]
    conn.execute(insert(s.responsibility), rows)
    # a warehouse brought to an older revision (a step-by-step upgrade) may not have every column yet
    present = {c["name"] for c in inspect(conn).get_columns("indicator")}
    conn.execute(insert(s.indicator), [{k: v for k, v in {
        "code": i.code, "name_zh": i.name_zh, "name_en": i.name_en, "board": i.board, "unit": i.unit,
        "higher_is_better": i.higher_is_better, "target": i.target, "period": i.period,
        "department_code": i.department}.items() if k in present} for i in reference.INDICATORS])
