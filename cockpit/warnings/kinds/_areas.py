"""The evaluation context of a rules pass, read from the warehouse's area table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select

from cockpit.warehouse import schema as s
from cockpit.warnings.model import EvalContext


def load_context(conn: Connection, now: datetime) -> EvalContext:
    """Every township, village and grid the warehouse holds, as of ``now`` (naive local time)."""
    a = s.area
    rows = conn.execute(select(a.c.code, a.c.name, a.c.level, a.c.parent_code, a.c.centroid_lon, a.c.centroid_lat)
                        .where(a.c.level.in_(("township", "village", "grid")))).all()
    ctx = EvalContext(now=now)
    for code, name, level, parent, lon, lat in rows:
        if level == "township":
            ctx.townships[code] = name
        elif level == "village":
            ctx.villages[code] = parent or code[:9]
        else:
            ctx.grids[code] = (parent or code[:12], lon, lat)
    return ctx
