"""A tiny township of hand-written sources in tmp_path: an area registry (SQLite), an event table
(SQLite) with one good or bad row per case, and a GBK CSV ledger of inspections."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest

from cockpit.config import Config, load_config
from cockpit.privacy import credit_check_char, id_check_char

SALT = "test-salt"


def id_number(body17: str) -> str:
    return body17 + id_check_char(body17)


def credit_code(body17: str) -> str:
    return body17 + credit_check_char(body17)


def square(lon: float, lat: float, d: float = 0.01) -> str:
    return json.dumps({"type": "Polygon", "coordinates": [[[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]]})


GOOD_ID = id_number("33099919800101123")
BAD_ID = GOOD_ID[:17] + ("0" if GOOD_ID[17] != "0" else "1")
GOOD_CREDIT = credit_code("91330999MA2ABCDE1")
BAD_CREDIT = GOOD_CREDIT[:17] + ("0" if GOOD_CREDIT[17] != "0" else "1")
T0 = 1795622700  # epoch seconds

AREAS = [  # code, name, level code, parent, seq, geometry
    ("330999", "青山县", "1", None, 1, None),
    ("330999001", "清溪镇", "2", "330999", 1, None),
    ("330999001001", "青石村", "3", "330999001", 1, None),
    ("330999001002", "柳溪村", "3", "330999001", 2, None),
    ("33099900100101", "青石村1组", "4", "330999001001", 1, square(120.00, 30.00)),
    ("33099900100102", "青石村2组", "4", "330999001001", 2, square(120.01, 30.00)),
    ("33099900100201", "柳溪村1组", "4", "330999001002", 1, square(120.00, 30.01)),
]

# bh, lb (category), dz (address), jd, wd, wg (grid), sfz (id), dh (phone), sj (epoch), zt (status), myd, upd
EVENT_COLUMNS = ("bh", "lb", "dz", "jd", "wd", "wg", "sfz", "dh", "sj", "zt", "myd", "upd")
GOOD_EVENTS = {
    "E1": ("E1", "A1", None, None, None, "33099900100102", None, None, T0, "0", "5", T0 + 1),
    "E2": ("E2", "B2", "清溪镇青石村1组5号", None, None, None, GOOD_ID, None, T0 + 3600, "1", None, T0 + 2),
    "E3": ("E3", "A1", None, 120.005, 30.015, None, None, "13812345678", T0 + 7200, "0", "3", T0 + 3),
}
BAD_EVENTS = {  # key -> (row, rule)
    "E4": (("E4", "A1", None, None, None, "33099900100101", BAD_ID, None, T0, "0", None, T0 + 4), "invalid_id_number"),
    "E5": (("E5", "A1", None, None, None, "33099900100101", None, None, "2026-11-03", "0", None, T0 + 5), "bad_date"),
    "E6": (("E6", "ZZ", None, None, None, "33099900100101", None, None, T0, "0", None, T0 + 6), "unknown_code"),
    "E7": (("E7", "A1", "清溪镇望月村1组3号", None, None, None, None, None, T0, "0", None, T0 + 7), "unknown_location"),
    "E8": (("E8", "A1", None, None, None, "33099900100101", None, None, T0, None, None, T0 + 8), "missing_value"),
    "E9": (("E9", "A1", None, None, None, "33099900100101", None, None, T0, "0", "很好", T0 + 9), "bad_number"),
    # a code the value map does not list (a map to a category outside the unified list is refused by the config)
    "E10": (("E10", "C3", None, None, None, "33099900100101", None, None, T0, "0", None, T0 + 10), "unknown_code"),
    "E11": (("E11", "A1", None, None, None, "33099900100101", None, "12345", T0, "0", None, T0 + 11), "invalid_phone"),
    "E12": (("E12", "A1", None, 121.5, 31.0, None, None, None, T0, "0", None, T0 + 12), "unknown_location"),
}
KEYLESS_EVENT = (None, "A1", None, None, None, "33099900100101", None, None, T0, "0", None, T0 + 13)
DUPLICATE_EVENT = GOOD_EVENTS["E1"]  # an exact second copy, as department exports have them

CSV_HEADER = ["编号", "信用代码", "类别", "地址", "发现日期", "结果", "更新"]
CSV_ROWS = [
    ["H1", GOOD_CREDIT, "消防", "清溪镇柳溪村1组8号", "2026年11月3日", "存在隐患", "2026-11-03 10:00:00"],
    ["H2", BAD_CREDIT, "消防", "清溪镇青石村2组1号", "2026年11月4日", "无隐患", "2026-11-04 10:00:00"],
    ["H3", "", "用电", "清溪镇青石村2组9号", "2026年2月30日", "无隐患", "2026-11-05 10:00:00"],
]

SOURCES_TOML = """
[sources.areas]
department = "township"
kind = "sql"
url = "sqlite:///{dir}/grid.db"
table = "qy"
target = "area"
primary_key = "dm"
replication_key = "gx"
[sources.areas.columns]
code = "dm"
name = "mc"
level = "jb"
parent_code = "sj"
seq = "xh"
geometry = "bj"
[sources.areas.values.level]
"1" = "county"
"2" = "township"
"3" = "village"
"4" = "grid"

[sources.events]
department = "police"
kind = "sql"
url = "sqlite:///{dir}/events.db"
table = "ev"
target = "event"
primary_key = ["bh"]
replication_key = "upd"
[sources.events.columns]
category_code = "lb"
address = "dz"
lon = "jd"
lat = "wd"
grid_code = "wg"
reporter_id = "sfz"
reporter_phone = "dh"
reported_at = "sj"
status = "zt"
satisfaction = "myd"
[sources.events.constants]
channel = "police_110"
[sources.events.formats]
reported_at = "epoch"
[sources.events.values.category_code]
"A1" = "SAF-ORDER"
"B2" = "SRV-ROAD"
[sources.events.values.status]
"0" = "reported"
"1" = "resolved"

[sources.hazards]
department = "emergency"
kind = "csv"
path = "{dir}/hazards.csv"
encoding = "gbk"
target = "inspection"
primary_key = "编号"
replication_key = "更新"
[sources.hazards.columns]
enterprise_code = "信用代码"
kind = "类别"
address = "地址"
inspected_at = "发现日期"
result = "结果"
[sources.hazards.formats]
inspected_at = "cn_date"
[sources.hazards.values.kind]
"消防" = "fire"
"用电" = "safety"
[sources.hazards.values.result]
"存在隐患" = "fail"
"无隐患" = "pass"
"""


@dataclass
class Township:
    dir: Path
    warehouse_url: str

    @property
    def events_db(self) -> Path:
        return self.dir / "events.db"

    @property
    def csv(self) -> Path:
        return self.dir / "hazards.csv"

    def config(self, extra_sources: str = "", *, etl: str = "", sources: str | None = None) -> Config:
        (self.dir / "sources.toml").write_text((sources if sources is not None else SOURCES_TOML).replace("{dir}", str(self.dir))
                                               + extra_sources.replace("{dir}", str(self.dir)), encoding="utf-8")
        main = self.dir / "cockpit.toml"
        main.write_text(
            'include = ["sources.toml"]\n'
            f"[warehouse]\nurl = {json.dumps(self.warehouse_url)}\n"
            f'[security]\nid_salt = "{SALT}"\n'
            "[etl]\nretry_attempts = 2\nretry_backoff_seconds = 0.01\n" + etl,
            encoding="utf-8",
        )
        return load_config(main, env={})

    def execute(self, sql: str, params: tuple = ()) -> None:
        with sqlite3.connect(self.events_db) as conn:
            conn.execute(sql, params)

    def write_csv(self, rows: list[list[str]]) -> None:
        lines = [",".join(CSV_HEADER)] + [",".join(r) for r in rows]
        self.csv.write_bytes(("\n".join(lines) + "\n").encode("gbk"))


@pytest.fixture
def township(tmp_path: Path, db_url: str) -> Township:
    d = tmp_path / "sources"
    d.mkdir()
    with sqlite3.connect(d / "grid.db") as conn:
        conn.execute("CREATE TABLE qy (dm TEXT, mc TEXT, jb TEXT, sj TEXT, xh INTEGER, bj TEXT, gx TEXT)")
        conn.executemany("INSERT INTO qy VALUES (?, ?, ?, ?, ?, ?, '2026-01-01 00:00:00')", AREAS)
    with sqlite3.connect(d / "events.db") as conn:
        conn.execute("CREATE TABLE ev (bh TEXT, lb TEXT, dz TEXT, jd REAL, wd REAL, wg TEXT, sfz TEXT, dh TEXT, "
                     "sj, zt TEXT, myd TEXT, upd INTEGER)")
        rows = list(GOOD_EVENTS.values()) + [r for r, _ in BAD_EVENTS.values()] + [KEYLESS_EVENT, DUPLICATE_EVENT]
        conn.executemany(f"INSERT INTO ev VALUES ({', '.join('?' for _ in EVENT_COLUMNS)})", rows)
    t = Township(d, db_url)
    t.write_csv(CSV_ROWS)
    return t
