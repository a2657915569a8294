"""Change a share of every demo source's rows the way departments do: new rows and late updates,
each moving the replication key forward. Generic over the source declarations, so it works for any
SQL source whose replication column is an epoch integer or ISO / ``YYYY/MM/DD HH:MM`` text."""

from __future__ import annotations

import re
import sqlite3
from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy.engine import make_url

from cockpit import clock
from cockpit.config import Config, SourceConfig
from cockpit.warehouse.targets import TARGETS

# input fields whose value a late correction may change (first one mapped wins)
_EDITABLE = ("content", "title", "name", "service_name", "value", "visits", "hazard_count", "population", "employees")


def _later(sample: object, now: datetime) -> object:
    """A replication value past every row's: ``now`` in the representation of ``sample`` (the
    column's largest value), or just after ``sample`` when the source already holds later values
    (a sensor's readings stamped ahead of the clock): a change the watermark would pass over is
    never read, and the benchmark would time less than it changed."""
    if isinstance(sample, (int, float)):
        return max(int((now - timedelta(hours=8) - datetime(1970, 1, 1)).total_seconds()), int(sample) + 1)
    s = str(sample)
    if re.match(r"^\d{4}/\d\d/\d\d \d\d:\d\d$", s):
        fmt, step = "%Y/%m/%d %H:%M", timedelta(minutes=1)
    else:
        fmt, step = f"%Y-%m-%d{'T' if 'T' in s else ' '}%H:%M:%S", timedelta(seconds=1)
    try:
        now = max(now, datetime.strptime(s[:19], fmt) + step)
    except ValueError:  # not a time of this shape (nothing stored yet): the clock's
        pass
    return now.strftime(fmt)


def _tables(config: Config) -> dict[tuple[str, str], list[SourceConfig]]:
    by_table: dict[tuple[str, str], list[SourceConfig]] = defaultdict(list)
    for src in config.sources.values():
        if src.kind == "sql" and src.replication_key and src.target != "area":
            by_table[(make_url(src.url).database, src.table)].append(src)
    return by_table


def change_share(config: Config, share: float, *, now: datetime | None = None) -> dict[str, int]:
    """Update ``share/2`` and insert ``share/2`` of the rows of every SQL source table.

    Returns rows changed per table (``db:table``). Inserted rows copy existing ones under a new
    integer or text primary key, for fact tables keyed by source row; other tables get updates only.
    """
    now = now or clock.now()
    done: dict[str, int] = {}
    for (db, table), sources in _tables(config).items():
        src = sources[0]
        repl = src.replication_key
        with sqlite3.connect(db) as conn:
            total = conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
            n = max(1, int(total * share / 2))
            step = max(1, total // (n * 2))  # evenly spread, reproducible
            rowids = [r[0] for r in conn.execute(f'SELECT rowid FROM "{table}" WHERE rowid % {step} = 0 LIMIT {n * 2}')]
            sample = conn.execute(f'SELECT MAX("{repl}") FROM "{table}"').fetchone()[0]
            new_repl = _later(sample, now)
            fields = TARGETS[src.target].fields
            editable = next((src.columns[f] for f in _EDITABLE if f in src.columns), None)
            edit_type = fields[next(f for f in _EDITABLE if src.columns.get(f) == editable)].type if editable else None
            updates = rowids[:n]
            if editable and edit_type in ("str", "text"):
                sql = f'UPDATE "{table}" SET "{repl}" = ?, "{editable}" = COALESCE("{editable}", \'\') || \'（更正）\' WHERE rowid = ?'
            elif editable:
                sql = (f'UPDATE "{table}" SET "{repl}" = ?, "{editable}" = CASE WHEN typeof("{editable}") '
                       f'IN (\'integer\', \'real\') THEN "{editable}" + 1 ELSE "{editable}" END WHERE rowid = ?')
            else:
                sql = f'UPDATE "{table}" SET "{repl}" = ? WHERE rowid = ?'
            changed = conn.executemany(sql, [(new_repl, r) for r in updates]).rowcount
            if len(src.primary_key) == 1 and TARGETS[src.target].business_key == ("src_source", "src_key"):
                pk = src.primary_key[0]
                cols = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]
                max_pk = conn.execute(f'SELECT MAX("{pk}") FROM "{table}"').fetchone()[0]
                inserts = []
                for i, rowid in enumerate(rowids[n:], start=1):
                    row = dict(zip(cols, conn.execute(f'SELECT * FROM "{table}" WHERE rowid = ?', (rowid,)).fetchone()))
                    if row[pk] is None:
                        continue
                    # text keys: marked with the time of the change, so a later change adds new keys again
                    row[pk] = (max_pk + i) if isinstance(max_pk, int) else f"{row[pk]}B{now:%y%m%d%H%M%S}-{i}"
                    row[repl] = new_repl
                    inserts.append(tuple(row[c] for c in cols))
                marks = ", ".join("?" for _ in cols)
                conn.executemany(f'INSERT INTO "{table}" VALUES ({marks})', inserts)
                changed += len(inserts)
            done[f"{db.rsplit('/', 1)[-1]}:{table}"] = changed
    return done
