"""Placing rows on a grid: by grid code, by address text, or by coordinates (point in polygon).

``AreaIndex`` is built once per ETL pass from the warehouse ``area`` table. Every lookup takes and
returns pandas Series aligned with its input, so a batch is resolved in a few vectorised passes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd


@dataclass
class Polygon:
    grid_code: str
    rings: list[np.ndarray]  # each (n, 2) lon/lat, closed or not
    bbox: tuple[float, float, float, float]  # min lon, min lat, max lon, max lat


@dataclass
class AreaIndex:
    """Codes, names and grid polygons of the area hierarchy."""

    codes: set[str] = field(default_factory=set)
    grids: set[str] = field(default_factory=set)
    parent: dict[str, str | None] = field(default_factory=dict)
    grid_by_village_seq: dict[tuple[str, int], str] = field(default_factory=dict)
    village_by_township_name: dict[tuple[str, str], str] = field(default_factory=dict)
    villages_by_name: dict[str, list[str]] = field(default_factory=dict)
    townships: dict[str, str] = field(default_factory=dict)  # township code -> name
    polygons: list[Polygon] = field(default_factory=list)

    @classmethod
    def from_frame(cls, areas: pd.DataFrame) -> AreaIndex:
        """``areas``: columns code, name, level, parent_code, seq, geometry (GeoJSON text)."""
        idx = cls()
        for row in areas.itertuples(index=False):
            idx.codes.add(row.code)
            idx.parent[row.code] = row.parent_code
            if row.level == "township":
                idx.townships[row.code] = row.name
        for row in areas.itertuples(index=False):
            if row.level == "village":
                idx.village_by_township_name[(row.parent_code, row.name)] = row.code
                idx.villages_by_name.setdefault(row.name, []).append(row.code)
            elif row.level == "grid":
                idx.grids.add(row.code)
                if row.parent_code and row.seq is not None and not pd.isna(row.seq):
                    idx.grid_by_village_seq[(row.parent_code, int(row.seq))] = row.code
                rings = _rings(row.geometry)
                if rings:
                    allpts = np.vstack(rings)
                    idx.polygons.append(Polygon(row.code, rings, (*allpts.min(axis=0), *allpts.max(axis=0))))
        return idx

    # ------------------------------------------------------------ lookups
    def known_grids(self, codes: pd.Series) -> pd.Series:
        """True where the code is a grid of the area registry."""
        return codes.isin(self.grids)

    def village_of(self, grid_codes: pd.Series) -> pd.Series:
        codes, grids = pd.factorize(grid_codes.to_numpy(dtype=object))
        table = np.array([self.parent.get(g) for g in grids] + [None], dtype=object)
        return pd.Series(table[codes], index=grid_codes.index, dtype=object)

    def grids_from_address(self, text: pd.Series) -> pd.Series:
        """Grid code for ``…<township>…<village name><N>组…`` addresses; None where unresolvable.
        Each distinct address is resolved once."""
        codes, distinct = pd.factorize(text.to_numpy(dtype=object))
        grids = self._grids_from_distinct_addresses(pd.Series(np.asarray(distinct, dtype=object), dtype=object))
        table = np.array(grids.tolist() + [None], dtype=object)
        return pd.Series(table[codes], index=text.index, dtype=object)

    @cached_property
    def _village_group(self) -> re.Pattern | None:
        """``<village name><N>组`` (longest name first), or None without villages."""
        if not self.villages_by_name:
            return None
        names = sorted(self.villages_by_name, key=len, reverse=True)
        return re.compile("(" + "|".join(re.escape(n) for n in names) + r")\s*(\d{1,3})\s*组")

    def _grids_from_distinct_addresses(self, text: pd.Series) -> pd.Series:
        """One pass over the addresses: the cost per address does not grow with the townships held
        (a county warehouse holds twenty)."""
        pattern = self._village_group
        if pattern is None or text.empty:
            return pd.Series(None, index=text.index, dtype=object)
        unique = {n: c[0] for n, c in self.villages_by_name.items() if len(c) == 1}
        townships = list(self.townships.items())
        grids = []
        for value in text.tolist():
            if value is None or (not isinstance(value, str) and pd.isna(value)):
                grids.append(None)
                continue
            address = value if isinstance(value, str) else str(value)
            m = pattern.search(address)
            if m is None:
                grids.append(None)
                continue
            name, seq = m.group(1), int(m.group(2))
            # a village name repeats across townships: the township named in the text decides
            village = next((self.village_by_township_name[(tcode, name)] for tcode, tname in townships
                            if tname in address and (tcode, name) in self.village_by_township_name), None)
            if village is None:
                village = unique.get(name)
            grids.append(self.grid_by_village_seq.get((village, seq)) if village is not None else None)
        return pd.Series(grids, index=text.index, dtype=object)

    def grids_from_points(self, lon: pd.Series, lat: pd.Series) -> pd.Series:
        """Grid code whose polygon contains (lon, lat); None outside every grid."""
        out = np.full(len(lon), None, dtype=object)
        x = pd.to_numeric(lon, errors="coerce").to_numpy(dtype=float)
        y = pd.to_numeric(lat, errors="coerce").to_numpy(dtype=float)
        todo = ~(np.isnan(x) | np.isnan(y))
        for poly in self.polygons:
            x0, y0, x1, y1 = poly.bbox
            cand = todo & (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)
            if not cand.any():
                continue
            where = np.flatnonzero(cand)
            inside = points_in_rings(x[where], y[where], poly.rings)
            hit = where[inside]
            out[hit] = poly.grid_code
            todo[hit] = False
        return pd.Series(out, index=lon.index, dtype=object)


def points_in_rings(x: np.ndarray, y: np.ndarray, rings: list[np.ndarray]) -> np.ndarray:
    """Even-odd ray casting over all points at once: the first ring is the outline, the others holes
    (or further parts of a multipolygon, which even-odd treats correctly when they do not overlap)."""
    inside = np.zeros(len(x), dtype=bool)
    for ring in rings:
        xs, ys = ring[:, 0], ring[:, 1]
        xe, ye = np.roll(xs, -1), np.roll(ys, -1)
        for xa, ya, xb, yb in zip(xs, ys, xe, ye):
            if ya == yb:
                continue
            crosses = (ya > y) != (yb > y)
            xcross = xa + (y - ya) * (xb - xa) / (yb - ya)
            inside ^= crosses & (x < xcross)
    return inside


def _rings(geometry: object) -> list[np.ndarray]:
    if geometry is None or (isinstance(geometry, float) and np.isnan(geometry)) or not str(geometry).strip():
        return []
    try:
        geo = json.loads(geometry) if isinstance(geometry, str) else geometry
    except ValueError:
        return []
    if geo.get("type") == "Feature":
        geo = geo.get("geometry") or {}
    coords = geo.get("coordinates") or []
    if geo.get("type") == "Polygon":
        polys = [coords]
    elif geo.get("type") == "MultiPolygon":
        polys = coords
    else:
        return []
    return [np.asarray(ring, dtype=float)[:, :2] for poly in polys for ring in poly if len(ring) >= 3]
