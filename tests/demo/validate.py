"""An independent check of generated source rows against the source declarations: which rows are bad,
and why. Written from the config and the target field types alone (not from the generator)."""

from __future__ import annotations

import csv
import json
import re
import sqlite3
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

from cockpit.config import SourceConfig, load_config
from cockpit.privacy import is_valid_credit_code, is_valid_id_number, is_valid_phone
from cockpit.warehouse.targets import TARGETS

_CN = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$")
_ADDR = re.compile(r"^(?:.+?(?:镇|街道))?(.+?(?:村|社区))(\d+)组")


def config_for(sources_dir: Path):
    return load_config(env={"COCKPIT_DEMO_SOURCES_DIR": str(sources_dir)})


def read_rows(src: SourceConfig) -> list[dict]:
    if src.kind == "csv":
        with open(src.path, encoding=src.encoding, newline="") as fh:
            return list(csv.DictReader(fh))
    con = sqlite3.connect(src.url.removeprefix("sqlite:///"))
    con.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in con.execute(f'SELECT * FROM "{src.table}" ORDER BY rowid')]
    finally:
        con.close()


def parse_time(fmt: str, v) -> datetime:
    if fmt == "epoch":
        if isinstance(v, str) and not v.isdigit():
            raise ValueError(v)
        return datetime(1970, 1, 1) + timedelta(seconds=int(v), hours=8)  # UTC epoch of a Shanghai local time
    if fmt == "iso":
        return datetime.fromisoformat(str(v))
    if fmt == "cn_date":
        m = _CN.match(str(v))
        if not m:
            raise ValueError(v)
        return datetime(int(m[1]), int(m[2]), int(m[3]))
    return datetime.strptime(str(v), fmt)


def _number(v) -> bool:
    if isinstance(v, (int, float)):
        return True
    try:
        float(v)
        return True
    except (TypeError, ValueError):
        return False


class Geography:
    def __init__(self, area_rows: list[dict]) -> None:
        self.codes = {r["qydm"] for r in area_rows if r["qydm"]}
        self.grids = {}
        names = {r["qydm"]: r["qymc"] for r in area_rows if r["cj"] == "3"}
        self.addr = {}
        for r in area_rows:
            if r["cj"] == "4" and r["qydm"]:
                ring = json.loads(r["bj_geojson"])["coordinates"][0]
                self.grids[r["qydm"]] = ring
                self.addr[(names[r["sjdm"]], int(r["xh"]))] = r["qydm"]

    def by_address(self, text: str) -> str | None:
        m = _ADDR.match(text)
        return self.addr.get((m[1], int(m[2]))) if m else None

    def by_point(self, lon: float, lat: float) -> str | None:
        for code, ring in self.grids.items():
            xs = [p[0] for p in ring]
            ys = [p[1] for p in ring]
            if not (min(xs) <= lon <= max(xs) and min(ys) <= lat <= max(ys)):
                continue
            inside = False
            for (x0, y0), (x1, y1) in zip(ring, ring[1:]):
                if (y0 > lat) != (y1 > lat) and lon < x0 + (lat - y0) * (x1 - x0) / (y1 - y0):
                    inside = not inside
            if inside:
                return code
        return None


def defects(src: SourceConfig, row: dict, geo: Geography) -> list[tuple[str, str | None]]:
    """Every defect of one raw row: (rule, field)."""
    target = TARGETS[src.target]
    found = []
    inv = {c: f for f, c in src.columns.items()}
    for c in src.primary_key:
        if row[c] is None or row[c] == "":
            found.append(("missing_key", inv.get(c)))
    for fld, col in src.columns.items():
        spec = target.fields[fld]
        v = row[col]
        if v is None or v == "":
            if spec.required and col not in src.primary_key:
                found.append(("missing_value", fld))
            continue
        if fld in src.values:
            if str(v) not in src.values[fld]:
                found.append(("unknown_code", fld))
        elif spec.type == "id_number" and not is_valid_id_number(str(v)):
            found.append(("invalid_id_number", fld))
        elif spec.type == "credit_code" and not is_valid_credit_code(str(v)):
            found.append(("invalid_credit_code", fld))
        elif spec.type == "phone" and not is_valid_phone(str(v)):
            found.append(("invalid_phone", fld))
        elif spec.type in ("date", "datetime"):
            try:
                parse_time(src.formats.get(fld, "iso"), v)
            except (ValueError, TypeError):
                found.append(("bad_date", fld))
        elif spec.type in ("int", "float") and not _number(v):
            found.append(("bad_number", fld))
        elif spec.ref == "area" and v not in geo.codes:
            found.append(("unknown_reference", fld))
    if target.located:
        cols = src.columns
        if "grid_code" in cols and row[cols["grid_code"]]:
            if row[cols["grid_code"]] not in geo.grids:
                found.append(("unknown_location", "grid_code"))
        elif "address" in cols and row[cols["address"]]:
            if geo.by_address(row[cols["address"]]) is None:
                found.append(("unknown_location", "address"))
        elif "lon" in cols:
            lon, lat = row[cols["lon"]], row[cols["lat"]]
            if not (_number(lon) and _number(lat)) or geo.by_point(float(lon), float(lat)) is None:
                found.append(("unknown_location", "lon"))
        else:
            found.append(("no_location", None))
    return found


def scan(sources_dir: Path) -> tuple[Counter, dict[str, int], dict[str, list]]:
    """(Counter of (source, key, rule, field) for every bad row, row counts, defects per row with >1 defect)."""
    cfg = config_for(sources_dir)
    area_src = next(s for s in cfg.sources.values() if s.target == "area")
    geo = Geography(read_rows(area_src))
    bad: Counter = Counter()
    counts: dict[str, int] = {}
    multi: dict[str, list] = {}
    for src in cfg.sources.values():
        rows = read_rows(src)
        counts[src.name] = len(rows)
        seen: set[tuple] = set()
        for row in rows:
            vals = [row[c] for c in src.primary_key]
            key = None if any(v is None or v == "" for v in vals) else "|".join(str(v) for v in vals)
            found = defects(src, row, geo)
            if key is not None:
                if key in seen:
                    found = [("duplicate", None)] + found
                seen.add(key)
            if len(found) > 1:
                multi.setdefault(src.name, []).append((key, found))
            for rule, fld in found:
                bad[(src.name, key, rule, fld)] += 1
    return bad, counts, multi
