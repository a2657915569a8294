"""A small department source for CLI and scheduler tests: hourly PM2.5 readings in a SQLite table."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path


def source_block(name: str, db: Path, *, interval: int = 15, enabled: bool = True) -> str:
    """The ``[sources.NAME]`` declaration of a sensor_reading source over the table ``readings`` in ``db``."""
    return f"""
[sources.{name}]
department = "ecology"
kind = "sql"
url = {json.dumps(f"sqlite:///{db}")}
table = "readings"
target = "sensor_reading"
primary_key = ["station", "ts"]
replication_key = "updated"
interval_minutes = {interval}
enabled = {str(enabled).lower()}
[sources.{name}.columns]
sensor_id = "station"
ts = "ts"
value = "pm25"
[sources.{name}.constants]
metric = "pm25"
[sources.{name}.formats]
ts = "iso"
"""


def make_source(db: Path, rows: int) -> None:
    """``rows`` hourly PM2.5 readings of 10 stations, all valid."""
    start = datetime(2026, 1, 1)
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE readings (station TEXT, ts TEXT, pm25 REAL, updated TEXT, PRIMARY KEY (station, ts))")
        conn.executemany(
            "INSERT INTO readings VALUES (?, ?, ?, ?)",
            ((f"S{i % 10:02d}", (start + timedelta(hours=i // 10)).isoformat(), 20 + i % 90,
              (start + timedelta(hours=i // 10, minutes=5)).isoformat()) for i in range(rows)),
        )
    conn.close()
