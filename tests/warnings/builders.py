"""Hand-built warehouse rows for warning tests: an area tree and facts with lineage, inserted into a
migrated warehouse through a connection (``engine_for(db_url).begin()``).

The area tree (``area_tree``): two townships.

    330999001 清溪镇 (A)            330999002 柳岸镇 (B)
      330999001001 青石村             330999002001 东湾村
        33099900100101 lon 120.000–120.010   33099900200101 lon 120.100–120.110
        33099900100102 lon 120.010–120.020
      330999001002 柳溪村
        33099900100201 lon 120.020–120.030
        33099900100202 lon 120.030–120.040
    every grid lat 29.800–29.810 (a grid is ~965 m wide and ~1.1 km tall); centroids in the middle.

Grids 01/02 of 青石村 share the edge lon 120.010: points a few metres either side are adjacent.
Every builder takes keyword overrides of any column and fills lineage (``src_source``, ``src_key``)
with unique values unless given.
"""

from __future__ import annotations

import itertools
import json
import zlib
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert

from cockpit.warehouse import schema as s

TOWNSHIP_A, TOWNSHIP_B = "330999001", "330999002"
VILLAGE_A1, VILLAGE_A2, VILLAGE_B1 = "330999001001", "330999001002", "330999002001"
GRID_A11, GRID_A12 = "33099900100101", "33099900100102"
GRID_A21, GRID_A22 = "33099900100201", "33099900100202"
GRID_B11 = "33099900200101"
# grid -> (west lon, south lat); every grid is GRID_W x GRID_H degrees
GRID_ORIGINS: dict[str, tuple[float, float]] = {
    GRID_A11: (120.00, 29.80), GRID_A12: (120.01, 29.80), GRID_A21: (120.02, 29.80), GRID_A22: (120.03, 29.80),
    GRID_B11: (120.10, 29.80),
}
GRID_W = GRID_H = 0.01
LOADED_AT = datetime(2026, 1, 1)

_seq = itertools.count(1)


def lineage(source: str, key: str | None = None, run: int = 1) -> dict[str, Any]:
    """Lineage columns of a loaded row (a unique ``src_key`` unless given)."""
    return {"src_source": source, "src_key": key if key is not None else f"K{next(_seq)}", "src_run_id": run,
            "row_hash": "x" * 32, "loaded_at": LOADED_AT}


def person_key(name: str) -> str:
    """A stand-in for a salted person key (64 characters), readable in test failures."""
    return f"pk-{name}".ljust(64, "0")


def centroid(grid: str) -> tuple[float, float]:
    x, y = GRID_ORIGINS[grid]
    return x + GRID_W / 2, y + GRID_H / 2


def _square(x: float, y: float, w: float, h: float) -> str:
    return json.dumps({"type": "Polygon", "coordinates": [[[x, y], [x + w, y], [x + w, y + h], [x, y + h], [x, y]]]})


def area_rows() -> list[dict[str, Any]]:
    """The two townships, their villages and grids (polygons and centroids)."""
    rows: list[dict[str, Any]] = []
    names = {TOWNSHIP_A: "清溪镇", TOWNSHIP_B: "柳岸镇", VILLAGE_A1: "青石村", VILLAGE_A2: "柳溪村", VILLAGE_B1: "东湾村"}

    def bbox(codes: list[str]) -> tuple[float, float, float, float]:
        xs = [GRID_ORIGINS[g][0] for g in codes]
        ys = [GRID_ORIGINS[g][1] for g in codes]
        return min(xs), min(ys), max(xs) + GRID_W - min(xs), max(ys) + GRID_H - min(ys)

    for seq, code in enumerate([TOWNSHIP_A, TOWNSHIP_B, VILLAGE_A1, VILLAGE_A2, VILLAGE_B1], start=1):
        level = "township" if len(code) == 9 else "village"
        x, y, w, h = bbox([g for g in GRID_ORIGINS if g.startswith(code)])
        rows.append({"code": code, "name": names[code], "level": level,
                     "parent_code": code[:6] if level == "township" else code[:9], "seq": seq,
                     "geometry": _square(x, y, w, h), "centroid_lon": x + w / 2, "centroid_lat": y + h / 2,
                     **lineage("grid_area", code)})
    for g, (x, y) in GRID_ORIGINS.items():
        rows.append({"code": g, "name": f"{names[g[:12]]}第{int(g[-2:])}网格", "level": "grid", "parent_code": g[:12],
                     "seq": int(g[-2:]), "geometry": _square(x, y, GRID_W, GRID_H), "centroid_lon": x + GRID_W / 2,
                     "centroid_lat": y + GRID_H / 2, "grid_worker": "网格员" + g[-2:], **lineage("grid_area", g)})
    return rows


def area_tree(conn: Connection) -> None:
    """Insert the area tree (the county itself is not loaded, as in the ETL's grid source)."""
    conn.execute(insert(s.area), area_rows())


def _insert(conn: Connection, table, row: dict[str, Any]) -> int | None:
    result = conn.execute(insert(table).values(**row))
    pk = result.inserted_primary_key
    return pk[0] if pk and "id" in table.c else None


def event(conn: Connection, *, reported_at: datetime, grid_code: str = GRID_A11, category_code: str = "ECO-SANITATION",
          channel: str = "hotline_12345", reporter: str | None = None, **kw: Any) -> int:
    """One event; ``reporter`` names a person (its key and a masked form); returns the event id."""
    from cockpit.reference import category

    cat = category(category_code)
    row: dict[str, Any] = {
        "channel": channel, "category_code": category_code, "board": cat.board, "department_code": cat.department,
        "grid_code": grid_code, "village_code": grid_code[:12], "title": f"{cat.name_zh}事件", "status": "reported",
        "reported_at": reported_at,
        "reporter_key": person_key(reporter) if reporter else None,
        "reporter_masked": f"138****{zlib.crc32(reporter.encode()) % 10000:04d}" if reporter else None,
        **lineage("hotline"),
    }
    row.update(kw)
    return _insert(conn, s.event, row)  # type: ignore[return-value]


def reading(conn: Connection, *, sensor_id: str, metric: str, ts: datetime, value: float,
            grid_code: str | None = GRID_A11, subject_key: str | None = None, **kw: Any) -> None:
    """One sensor reading."""
    row = {"sensor_id": sensor_id, "metric": metric, "ts": ts, "value": value, "grid_code": grid_code,
           "subject_key": subject_key, **lineage("ecology" if subject_key is None else "civil_home",
                                                 f"{sensor_id}|{metric}|{ts.isoformat()}")}
    row.update(kw)
    conn.execute(insert(s.sensor_reading).values(**row))


def readings(conn: Connection, *, sensor_id: str, metric: str, end: datetime, values: list[float],
             step: timedelta = timedelta(hours=1), **kw: Any) -> None:
    """Readings at ``end``, ``end - step`` … (``values[0]`` at ``end``, going back in time)."""
    for i, v in enumerate(values):
        reading(conn, sensor_id=sensor_id, metric=metric, ts=end - i * step, value=v, **kw)


def tag(conn: Connection, *, person: str, tag: str = "elderly_alone", grid_code: str = GRID_A11,
        since: date | None = date(2024, 1, 1), until: date | None = None, **kw: Any) -> str:
    """One person tag; returns the person key."""
    key = person_key(person)
    row = {"person_key": key, "tag": tag, "since": since, "until": until, "grid_code": grid_code,
           **lineage("civil_tags", f"{person}|{tag}")}
    row.update(kw)
    conn.execute(insert(s.person_tag).values(**row))
    return key


def inspection(conn: Connection, *, inspected_at: datetime, enterprise_code: str = "91330999MA0000001X",
               kind: str = "safety", result: str = "fail", grid_code: str = GRID_A11, **kw: Any) -> int:
    """One inspection; returns its id."""
    row = {"enterprise_code": enterprise_code, "kind": kind, "grid_code": grid_code, "inspected_at": inspected_at,
           "result": result, "hazard_count": 1 if result == "fail" else 0, **lineage("emergency_insp")}
    row.update(kw)
    return _insert(conn, s.inspection, row)  # type: ignore[return-value]


def indicator_value(conn: Connection, *, indicator_code: str, area_code: str, period_start: date, value: float,
                    **kw: Any) -> None:
    row = {"indicator_code": indicator_code, "area_code": area_code, "period_start": period_start, "value": value,
           **lineage("stats", f"{indicator_code}|{area_code}|{period_start.isoformat()}")}
    row.update(kw)
    conn.execute(insert(s.indicator_value).values(**row))


def months_back(first: date, n: int) -> list[date]:
    """``first`` (a month's first day) and the ``n - 1`` months before it, newest first."""
    out = [first]
    for _ in range(n - 1):
        out.append((out[-1] - timedelta(days=1)).replace(day=1))
    return out


def subsidy(conn: Connection, *, person: str, paid_on: date, kind: str = "dibao", grid_code: str = GRID_A11,
            amount: float = 800.0, **kw: Any) -> int:
    """One subsidy payment to ``person`` (by person key); returns its id."""
    row = {"person_key": person_key(person), "kind": kind, "amount": amount, "paid_on": paid_on,
           "grid_code": grid_code, **lineage("civil_subsidy")}
    row.update(kw)
    return _insert(conn, s.subsidy_payment, row)  # type: ignore[return-value]


def relative(conn: Connection, *, cadre: str, relative: str, township_code: str = TOWNSHIP_A,
             relation: str = "spouse", declared_on: date | None = date(2025, 1, 1), **kw: Any) -> int:
    """One declared relative of a cadre (both by person key); returns its id."""
    row = {"cadre_key": person_key(cadre), "cadre_name": "干部" + cadre[:1], "position": "副镇长",
           "township_code": township_code, "relative_key": person_key(relative), "relation": relation,
           "declared_on": declared_on, **lineage("org_declare")}
    row.update(kw)
    return _insert(conn, s.cadre_relative, row)  # type: ignore[return-value]


def run(conn: Connection, name: str, now: datetime, block: dict[str, Any] | None = None) -> list:
    """Evaluate rule ``name`` (a default, changed by ``block``, or a new rule given by ``block``) at ``now``."""
    from cockpit.warnings.kinds import kind_module
    from cockpit.warnings.kinds._areas import load_context
    from cockpit.warnings.rules import rules_from

    rule = rules_from({name: block} if block else {}).rules[name]
    return kind_module(rule.kind).evaluate(conn, rule, load_context(conn, now))
