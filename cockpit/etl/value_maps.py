"""Value maps: a department's codes onto the unified ones, on any mapped field (codes, statuses,
grid and area codes, addresses, dates …), with an optional ``"*"`` fallback entry.

``[sources.NAME.values.FIELD]`` lists ``"source code" = "unified code"``; ``"*" = "other_xxx"``
takes every code the map does not list, and ``"*" = "*"`` lets them pass unchanged (a map of a few
exceptions, such as landmarks among addresses or "待定" among dates; not counted as fallbacks). The map is applied once, before any step reads the field
(``steps.map_values``), so locating, date parsing and the reference checks all see the mapped
value, never the raw column. The rows a fallback took are counted per run and field, with their
most frequent source codes, and stored with the run (``etl_run.value_map_fallbacks``).

Unified code lists are checked when the configuration is read (``cockpit/config.py``); area codes
live in the warehouse, so ``unknown_location_targets`` checks those against it.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any, Mapping

import numpy as np
from sqlalchemy import Connection, select

from cockpit.config import FALLBACK, SourceConfig
from cockpit.privacy import mask_text
from cockpit.unified_codes import LOCATION_FIELDS

TOP_CODES = 10  # source codes kept per field in a run's fallback record


def map_distinct(mapping: Mapping[str, str], values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mapped value per distinct source value — None where the map has no entry and no fallback —,
    whether the fallback gave it)."""
    fallback = mapping.get(FALLBACK)
    keep = fallback == FALLBACK  # "*" = "*": unlisted values pass unchanged (a map of exceptions)
    mapped = np.empty(len(values), dtype=object)
    took = np.zeros(len(values), dtype=bool)
    for i, v in enumerate(values.tolist()):
        got = mapping.get(v) if v != FALLBACK else None
        if got is None and fallback is not None:
            if keep:
                got = v
            else:
                got, took[i] = fallback, True
        mapped[i] = got
    return mapped, took


# ---------------------------------------------------------------- per-run counts
Fallbacks = dict[str, dict[str, int]]  # input field -> source code -> rows the fallback took


def merge(into: Fallbacks, more: Fallbacks) -> Fallbacks:
    for fld, codes in more.items():
        counter = into.setdefault(fld, {})
        for code, n in codes.items():
            counter[code] = counter.get(code, 0) + n
    return into


def record(source: SourceConfig, counts: Fallbacks) -> str | None:
    """The run's ``value_map_fallbacks`` JSON: per field the fallback's code, the rows it took and the
    ``TOP_CODES`` most frequent source codes (personal numbers masked); None when no fallback was taken."""
    out: dict[str, Any] = {}
    for fld in sorted(counts):
        codes = counts[fld]
        total = sum(codes.values())
        if not total:
            continue
        top = Counter(codes).most_common(TOP_CODES)
        out[fld] = {"target": source.values.get(fld, {}).get(FALLBACK), "rows": total,
                    "codes": [[mask_text(str(c)), n] for c, n in top], "distinct": len(codes)}
    return json.dumps(out, ensure_ascii=False, sort_keys=True) if out else None


def parse_record(text: Any) -> dict[str, dict[str, Any]]:
    """A stored ``value_map_fallbacks`` value back as a dict ({} for none — None or NaN — or unreadable text)."""
    if not isinstance(text, str) or not text:
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


# ---------------------------------------------------------------- area codes
def location_targets(source: SourceConfig) -> dict[str, dict[str, str]]:
    """Per location field with a value map (grid, area or township code): source code -> area code."""
    return {fld: dict(m) for fld, m in source.values.items() if fld in LOCATION_FIELDS}


def unknown_location_targets(conn: Connection, source: SourceConfig) -> list[str]:
    """The area codes a source's value maps on grid_code / area_code / township_code (their ``"*"``
    fallback included) send rows to that the warehouse's area registry does not hold: a grid code must
    be a grid, a township code a township, an area code any area. Each as
    ``"sources.NAME.values.FIELD.\\"source code\\" = code"``, empty when all are known (or the source has
    no such map). Call it once the area registry is loaded."""
    from cockpit.warehouse.schema import area

    maps = location_targets(source)
    if not maps:
        return []
    levels = {c: lv for c, lv in conn.execute(select(area.c.code, area.c.level)).all()}
    need = {"grid_code": "grid", "township_code": "township", "area_code": None}
    bad = []
    for fld, mapping in maps.items():
        for src, code in mapping.items():
            level = levels.get(code)
            if level is None or (need[fld] is not None and level != need[fld]):
                bad.append(f'{source.key("values", fld)}."{src}" = {code}')
    return bad
