"""The fictional county's map: townships, villages and grids on one jittered lattice.

Every grid is one lattice cell (a convex quadrilateral); a village is a block of cells and a township
a block of villages, all sharing the same jittered vertices, so the areas tile without gaps.
Codes: county 6 digits, township 9, village 12, grid 14 (village code + two-digit 组 number).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field

import numpy as np

COUNTY_CODE = "330999"
COUNTY_NAME = "青山县"
TOWNSHIP_NAMES = (
    "清溪镇", "白沙镇", "云岭镇", "石门镇", "东湖街道", "南屏镇", "枫桥镇", "龙泉镇", "安澜镇", "桃源镇",
    "西塘镇", "双溪镇", "临江街道", "金竹镇", "梅岭镇", "新丰镇", "长乐镇", "凤鸣镇", "太平镇", "永宁镇",
)
VILLAGE_NAMES = ("青石村", "柳溪村", "桃花村", "清溪社区", "梅林村", "竹坞村", "石桥村", "荷塘村", "枫岭村",
                 "溪口社区", "龙井村", "沙田村")
_V1 = "青柳桃梅竹石荷枫溪龙沙松杨李茶杏橘桂兰菊"
_V2 = "山湾坞岭塘田源桥坑口岙垟埠畈坪洋港头圩渡"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉兰文斌辉鹏宇浩然晨阳欣怡梓涵子轩佳琪雨桐建平海燕春梅小红德明金花"

VILLAGE_COLS, VILLAGE_ROWS = 4, 3  # villages per township
CELL_COLS, CELL_ROWS = 2, 5  # grids per village
TOWNSHIP_COLS = 5  # townships per row of the county
CELL_DLON, CELL_DLAT = 0.0125, 0.0062
ORIGIN = (120.05, 29.80)
JITTER = 0.18  # of a cell; keeps every cell convex


@dataclass
class Area:
    code: str
    name: str
    level: str  # county | township | village | grid
    parent: str | None
    seq: int
    ring: list[tuple[float, float]]
    centroid: tuple[float, float]
    township: str = ""  # township name (for addresses)
    village: str = ""  # village name
    population: int = 0
    households: int = 0
    worker: str | None = None
    corners: tuple = field(default=(), repr=False)  # grid: 4 corners (ll, lr, ur, ul) for sampling


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def _centroid(ring: list[tuple[float, float]]) -> tuple[float, float]:
    a = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(ring, ring[1:]):
        c = x0 * y1 - x1 * y0
        a += c
        cx += (x0 + x1) * c
        cy += (y0 + y1) * c
    a *= 0.5
    return round(cx / (6 * a), 6), round(cy / (6 * a), 6)


def geojson(ring: list[tuple[float, float]]) -> str:
    return json.dumps({"type": "Polygon", "coordinates": [[[x, y] for x, y in ring]]}, separators=(",", ":"))


class Map:
    """All areas of the generated county, and helpers to place things in them."""

    def __init__(self, townships: int, seed: int) -> None:
        rng = np.random.default_rng([seed, 1])
        pyrng = random.Random(seed * 7 + 1)
        t_rows = -(-townships // TOWNSHIP_COLS)
        t_cols = min(townships, TOWNSHIP_COLS)
        nx = t_cols * VILLAGE_COLS * CELL_COLS
        ny = t_rows * VILLAGE_ROWS * CELL_ROWS
        jit = rng.uniform(-JITTER, JITTER, size=(nx + 1, ny + 1, 2))
        xs = np.arange(nx + 1)[:, None] + jit[:, :, 0]
        ys = np.arange(ny + 1)[None, :] + jit[:, :, 1]
        self.lon = np.round(ORIGIN[0] + xs * CELL_DLON, 6)
        self.lat = np.round(ORIGIN[1] + ys * CELL_DLAT, 6)
        self.bbox = (float(self.lon.min()), float(self.lat.min()), float(self.lon.max()), float(self.lat.max()))
        if townships == 1:
            vnames = list(VILLAGE_NAMES)
        else:
            pool = [a + b + "村" for a in _V1 for b in _V2]
            pyrng.shuffle(pool)
            vnames = list(VILLAGE_NAMES) + [n for n in pool if n not in VILLAGE_NAMES]
        county_ring = self._ring(0, 0, nx, ny)
        self.county = Area(COUNTY_CODE, COUNTY_NAME, "county", None, 1, county_ring, _centroid(county_ring))
        self.townships: list[Area] = []
        self.villages: list[Area] = []
        self.grids: list[Area] = []
        vi = 0
        for t in range(townships):
            tx0 = (t % TOWNSHIP_COLS) * VILLAGE_COLS * CELL_COLS
            ty0 = (t // TOWNSHIP_COLS) * VILLAGE_ROWS * CELL_ROWS
            tcode = f"{COUNTY_CODE}{101 + t:03d}"
            ring = self._ring(tx0, ty0, tx0 + VILLAGE_COLS * CELL_COLS, ty0 + VILLAGE_ROWS * CELL_ROWS)
            tname = TOWNSHIP_NAMES[t % len(TOWNSHIP_NAMES)] + ("" if t < len(TOWNSHIP_NAMES) else str(t))
            town = Area(tcode, tname, "township", COUNTY_CODE, t + 1, ring, _centroid(ring), township=tname)
            self.townships.append(town)
            for v in range(VILLAGE_COLS * VILLAGE_ROWS):
                vx0 = tx0 + (v % VILLAGE_COLS) * CELL_COLS
                vy0 = ty0 + (VILLAGE_ROWS - 1 - v // VILLAGE_COLS) * CELL_ROWS  # village 1 at the north-west
                vname = vnames[vi]
                vi += 1
                vcode = f"{tcode}{201 + v:03d}"
                ring = self._ring(vx0, vy0, vx0 + CELL_COLS, vy0 + CELL_ROWS)
                village = Area(vcode, vname, "village", tcode, v + 1, ring, _centroid(ring), township=tname, village=vname)
                self.villages.append(village)
                for g in range(CELL_COLS * CELL_ROWS):
                    gx = vx0 + g % CELL_COLS
                    gy = vy0 + CELL_ROWS - 1 - g // CELL_COLS
                    ring = self._ring(gx, gy, gx + 1, gy + 1)
                    corners = tuple((float(self.lon[i, j]), float(self.lat[i, j]))
                                    for i, j in ((gx, gy), (gx + 1, gy), (gx + 1, gy + 1), (gx, gy + 1)))
                    self.grids.append(Area(f"{vcode}{g + 1:02d}", f"{vname}第{g + 1}网格", "grid", vcode, g + 1, ring,
                                           _centroid(ring), township=tname, village=vname,
                                           worker=person_name(pyrng), corners=corners))
        self.grid_by_code = {g.code: g for g in self.grids}

    def _ring(self, x0: int, y0: int, x1: int, y1: int) -> list[tuple[float, float]]:
        """Counter-clockwise boundary through every lattice vertex of the block [x0,x1]×[y0,y1]."""
        pts = [(i, y0) for i in range(x0, x1)] + [(x1, j) for j in range(y0, y1)]
        pts += [(i, y1) for i in range(x1, x0, -1)] + [(x0, j) for j in range(y1, y0, -1)]
        pts.append(pts[0])
        return [(float(self.lon[i, j]), float(self.lat[i, j])) for i, j in pts]

    def areas(self) -> list[Area]:
        return [self.county, *self.townships, *self.villages, *self.grids]

    def grids_of(self, township_index: int) -> list[Area]:
        n = VILLAGE_COLS * VILLAGE_ROWS * CELL_COLS * CELL_ROWS
        return self.grids[township_index * n:(township_index + 1) * n]

    @staticmethod
    def point_in(grid: Area, u: float, v: float) -> tuple[float, float]:
        """A point strictly inside the grid: bilinear position (u, v) in [0.1, 0.9]² of its convex quad."""
        u = 0.1 + 0.8 * u
        v = 0.1 + 0.8 * v
        (x0, y0), (x1, y1), (x2, y2), (x3, y3) = grid.corners
        lon = (1 - u) * (1 - v) * x0 + u * (1 - v) * x1 + u * v * x2 + (1 - u) * v * x3
        lat = (1 - u) * (1 - v) * y0 + u * (1 - v) * y1 + u * v * y2 + (1 - u) * v * y3
        return round(lon, 6), round(lat, 6)

    def outside_point(self, rng: random.Random) -> tuple[float, float]:
        """Coordinates well outside the county."""
        return round(self.bbox[2] + 0.3 + rng.random(), 6), round(self.bbox[1] - 0.2 - rng.random(), 6)


def address(grid: Area, house_no: int) -> str:
    """``清溪镇青石村3组18号``: the 组 number is the grid's seq within its village."""
    return f"{grid.township}{grid.village}{grid.seq}组{house_no}号"


def point_in_ring(lon: float, lat: float, ring: list[tuple[float, float]]) -> bool:
    """Even-odd ray casting (used by the tests and the simulator's sanity checks)."""
    inside = False
    for (x0, y0), (x1, y1) in zip(ring, ring[1:]):
        if (y0 > lat) != (y1 > lat):
            if lon < x0 + (lat - y0) * (x1 - x0) / (y1 - y0):
                inside = not inside
    return inside
