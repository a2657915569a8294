"""Load: upsert standardised rows on the target's business key, writing only rows whose
``row_hash`` differs, inside the caller's transaction.

- SQLite: the stored hashes of the batch's keys are looked up; new rows go in with one
  ``executemany`` of ``INSERT … ON CONFLICT DO UPDATE``, stored rows whose hash changed are
  updated in the columns whose value changed only (``_update_changed_columns``).
- PostgreSQL: ``COPY`` (psycopg 3, one text-format block) into a temporary staging table, then
  ``INSERT … SELECT … ON CONFLICT DO UPDATE … WHERE row_hash IS DISTINCT FROM … RETURNING``.

``fresh=True`` (the source has never loaded a batch: its first load) tries the plain path first:
no stored-hash lookup, a plain ``INSERT`` (SQLite) or a ``COPY`` straight into the table
(PostgreSQL), inside a savepoint. Any row whose business key already exists makes that fail as a
whole; the savepoint is rolled back and the batch goes the upsert way. So the outcome is the same
either way: every row new, or only the changed rows written.

Columns whose value is the same on every row of the batch (source name, run id, load time, a
constant channel or metric) are written as SQL literals on SQLite instead of one bound parameter
per row.

Rows arrive as ``Rows`` (one list of plain values per column, from ``steps.output_rows``);
``finish_rows`` puts them in table order, cuts text to fit, sets ``loaded_at`` and ``row_hash`` and,
for PostgreSQL, builds their COPY text in the same pass (the hash reads that same text).

Both return the changed rows (source key, the days of the main time field and, for a table with a
read-side aggregate, the groups of its rows before and after the change: ``LoadOutcome``), so the
run counts real changes and the aggregates recompute only what changed. A stored row that changed
only in columns no after-load hook reads (a corrected complaint text) counts as loaded but adds no
group or day: neither its aggregate row nor its duplicate links can have changed (``watched_columns``).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Connection, String

from cockpit.aggregates import GROUP_COLUMNS, INPUT_COLUMNS
from cockpit.etl.duplicates import LINK_COLUMNS
from cockpit.etl.parse import plain_values
from cockpit.warehouse import schema
from cockpit.warehouse.targets import Target

# the time field whose days a load touches (aggregates are refreshed for those days)
MAIN_TIME_FIELD = {
    "event": "reported_at",
    "service_application": "submitted_at",
    "sensor_reading": "ts",
    "inspection": "inspected_at",
    "indicator_value": "period_start",
}


@dataclass
class LoadOutcome:
    changed_keys: list[str] = field(default_factory=list)  # src_key of every inserted or changed row
    # days of the main time field of the changed rows (where the table has aggregate groups, before the change too)
    days: set[date] = field(default_factory=set)
    # aggregate groups (``GROUP_COLUMNS``, the time as its day) of the changed rows, before and after the
    # change; None after a plain first load (not tracked: every group of its days is new)
    groups: set[tuple] | None = field(default_factory=set)
    fresh_failed: bool = False  # a fresh (plain) load met existing keys and went the upsert way


def table_columns(target: Target) -> list[str]:
    return [c.name for c in schema.metadata.tables[target.table].columns]


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass
class Rows:
    """A batch as the database driver wants it: column names and one list of plain Python values per
    column (None for missing); in table order and cut to fit once through ``table_rows``."""

    names: list[str]
    columns: list[list]
    version: list | None = None  # the source's replication value of each row: hashed, not stored

    def __len__(self) -> int:
        return len(self.columns[0]) if self.columns else 0

    def column(self, name: str) -> list:
        return self.columns[self.names.index(name)]

    def take(self, positions: list[int]) -> Rows:
        version = [self.version[i] for i in positions] if self.version is not None else None
        return Rows(self.names, [[col[i] for i in positions] for col in self.columns], version)

    def set_constant(self, name: str, value: Any) -> None:
        """Give every row ``value`` in column ``name`` (added when missing)."""
        self.set_column(name, [value] * len(self))

    def set_column(self, name: str, values: list) -> None:
        if name in self.names:
            self.columns[self.names.index(name)] = values
        else:
            self.names.append(name)
            self.columns.append(values)


def _cut(values: list, length: int) -> list:
    """Text longer than ``length`` cut to fit (the list itself when nothing is too long)."""
    try:
        longest = max(map(len, filter(None, values)), default=0)
    except TypeError:  # not all text
        return [v[:length] if isinstance(v, str) and len(v) > length else v for v in values]
    if longest <= length:
        return values
    return [v[:length] if v is not None and len(v) > length else v for v in values]


def prepare_rows(frame: pd.DataFrame, target: Target, loaded_at: datetime) -> Rows:
    """Columns in table order, text cut to the column's length, ``loaded_at`` set."""
    return table_rows(Rows(list(frame.columns), [plain_values(frame[c]) for c in frame.columns]), target, loaded_at)


def table_rows(rows: Rows, target: Target, loaded_at: datetime) -> Rows:
    """The table's columns among ``rows``, in table order, text cut to the column's length,
    ``loaded_at`` set."""
    table = schema.metadata.tables[target.table]
    stamp = loaded_at.strftime("%Y-%m-%d %H:%M:%S.%f")
    have = dict(zip(rows.names, rows.columns))
    n = len(rows)
    names, columns = [], []
    for c in table.columns:
        if c.name == "loaded_at":
            values = [stamp] * n
        elif c.name in have:
            values = have[c.name]
            if isinstance(c.type, String) and c.type.length:
                values = _cut(values, c.type.length)
        else:
            continue
        names.append(c.name)
        columns.append(values)
    return Rows(names, columns, rows.version)


def upsert(conn: Connection, target: Target, frame: pd.DataFrame, loaded_at: datetime, *, fresh: bool = False) -> LoadOutcome:
    """Write ``frame`` (standardised rows with lineage and row_hash) into the target table."""
    if frame.empty:
        return LoadOutcome()
    return write(conn, target, prepare_rows(frame, target, loaded_at), fresh=fresh)


def write(conn: Connection, target: Target, rows: Rows, *, fresh: bool = False, block: CopyBlock | None = None) -> LoadOutcome:
    """Write prepared rows; ``block`` is their COPY text when already built (PostgreSQL)."""
    if not len(rows):
        return LoadOutcome()
    if conn.dialect.name == "postgresql":
        return _upsert_postgresql(conn, target, rows, fresh, block)
    return _upsert_sqlite(conn, target, rows, fresh)


def _update_clause(cols: list[str], key: tuple[str, ...]) -> str:
    return ", ".join(f"{_q(c)} = excluded.{_q(c)}" for c in cols if c not in key)


def _days(target: Target, times: list) -> set[date]:
    days: set[date] = set()
    if target.table in MAIN_TIME_FIELD:
        texts = set()
        for t in set(times):
            if t is None:
                continue
            if isinstance(t, datetime):
                days.add(t.date())
            elif isinstance(t, date):
                days.add(t)
            else:
                texts.add(str(t)[:10])
        days.update(date.fromisoformat(t) for t in texts)
    return days


def _day(t: Any) -> date | None:
    """The day of a time value as the drivers return it (datetime, date or ISO text)."""
    if isinstance(t, datetime):
        return t.date()
    if t is None or isinstance(t, date):
        return t
    return date.fromisoformat(str(t)[:10])


def _group_columns(target: Target, names: list[str]) -> tuple[str, ...]:
    cols = GROUP_COLUMNS.get(target.table, ())
    return cols if all(c in names for c in cols) else ()


def watched_columns(target: Target, names: list[str]) -> tuple[str, ...]:
    """The columns among ``names`` whose change can change what the after-load hooks derive from a
    row of a table with aggregate groups: the aggregate's inputs and the duplicate links' (empty for
    other tables). A stored row whose other columns alone changed is still written, but adds no
    group or day to the outcome."""
    if not _group_columns(target, names):
        return ()
    wanted = INPUT_COLUMNS.get(target.table, set()) | (set(LINK_COLUMNS) if target.table == "event" else set())
    return tuple(c for c in names if c in wanted)


def _outcome(target: Target, keys: list, times: list, after: list[tuple] | None = None,
             before: list[tuple] = (), relevant: list[int] | None = None) -> LoadOutcome:
    """The changed rows' keys and main times; ``after`` / ``before``: their group-column values after
    and before the change, one tuple per row (``after`` None: groups not tracked). ``relevant``: the
    positions among the changed rows whose groups and days count (None: all; ``before`` holds only
    theirs)."""
    if relevant is not None:
        times = [times[i] for i in relevant] if times else times
        after = [after[i] for i in relevant] if after is not None else None
    outcome = LoadOutcome(changed_keys=list(keys), days=_days(target, times))
    if after is None:
        outcome.groups = None
    else:
        outcome.groups = {(_day(r[0]), *r[1:]) for r in after} | {(_day(r[0]), *r[1:]) for r in before}
        outcome.days |= {g[0] for g in outcome.groups if g[0] is not None}
    return outcome


def _all_rows(target: Target, rows: Rows, before: list[tuple] | None = None,
              relevant: list[int] | None = None) -> LoadOutcome:
    """Every row of ``rows`` inserted or changed; ``before``: the group-column values the changed
    rows had (None: a plain first load, groups not tracked); ``relevant``: see ``_outcome``."""
    time_col = MAIN_TIME_FIELD.get(target.table)
    times = rows.column(time_col) if time_col in rows.names else []
    if before is None:
        return _outcome(target, rows.column("src_key"), times)
    after = list(zip(*[rows.column(c) for c in _group_columns(target, rows.names)]))
    return _outcome(target, rows.column("src_key"), times, after, before, relevant)


def _is_unique_violation(exc: Exception) -> bool:
    sqlstate = getattr(exc, "sqlstate", None)
    if sqlstate is not None:
        return sqlstate == "23505"
    return "UNIQUE constraint failed" in str(exc) or "PRIMARY KEY" in str(exc)


# ---------------------------------------------------------------- SQLite
def _constant(values: list) -> tuple[bool, Any]:
    """(True, value) when every row holds the same value that can be written as an SQL literal."""
    if not values:
        return False, None
    first = values[0]
    if not (first is None or first.__class__ in (str, int)):
        return False, None
    if first.__class__ is str and "\x00" in first:
        return False, None
    return values.count(first) == len(values), first


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if value.__class__ is int:
        return str(value)
    return "'" + value.replace("'", "''") + "'"


def _sqlite_statement(target: Target, rows: Rows, upsert: bool) -> tuple[str, list[list]]:
    """The INSERT with constant columns as literals, and the columns still bound per row."""
    placeholders, bound = [], []
    for values in rows.columns:
        const, value = _constant(values)
        if const:
            placeholders.append(_literal(value))
        else:
            placeholders.append("?")
            bound.append(values)
    sql = (f"INSERT INTO {_q(target.table)} ({', '.join(_q(c) for c in rows.names)}) "
           f"VALUES ({', '.join(placeholders)})")
    if upsert:
        key = target.business_key
        sql += (f" ON CONFLICT ({', '.join(_q(c) for c in key)}) DO UPDATE SET {_update_clause(rows.names, key)} "
                f"WHERE {_q(target.table)}.row_hash IS NOT excluded.row_hash")
    return sql, bound


def _executemany(cur, sql: str, bound: list[list], n: int) -> None:
    cur.executemany(sql, zip(*bound) if bound else ((),) * n)


def _stored(cur, target: Target, rows: Rows, extra: tuple[str, ...]) -> list[tuple | None]:
    """What is stored for each row's business key: (rowid, row_hash, *the ``extra`` columns), None
    where new. The batch's keys go into a temporary table joined with the target on its key index."""
    key = list(target.business_key)
    table = _q(target.table)
    n = len(rows)
    if tuple(key) == ("src_source", "src_key"):
        probe = cur.execute(f"SELECT 1 FROM {table} WHERE src_source = ? LIMIT 1", (rows.column("src_source")[0],))
    else:
        probe = cur.execute(f"SELECT 1 FROM {table} LIMIT 1")
    if probe.fetchone() is None:
        return [None] * n
    tuples = list(zip(*[rows.column(c) for c in key]))
    cols = ", ".join(_q(c) for c in key)
    cur.execute("DROP TABLE IF EXISTS temp.etl_keys")
    cur.execute(f"CREATE TEMP TABLE etl_keys ({cols})")
    cur.executemany(f"INSERT INTO temp.etl_keys VALUES ({', '.join('?' for _ in key)})", tuples)
    on = " AND ".join(f"t.{_q(c)} = k.{_q(c)}" for c in key)
    wanted = ", ".join(["t.rowid", *("t." + _q(c) for c in ("row_hash", *extra)), *("t." + _q(c) for c in key)])
    k = len(key)
    found = {r[-k:]: r[:-k] for r in cur.execute(f"SELECT {wanted} FROM temp.etl_keys k JOIN {table} t ON {on}")}
    cur.execute("DROP TABLE temp.etl_keys")
    return [found.get(t) for t in tuples]


def _value_columns(target: Target, names: list[str]) -> list[str]:
    """The columns among ``names`` that hold content: neither the business key nor bookkeeping."""
    return [c for c in names if c not in target.business_key and c not in HASH_LEFT_OUT]


def _update_changed_columns(cur, target: Target, rows: Rows, stored: list[tuple]) -> None:  # noqa: ANN001 - a sqlite3 cursor
    """Update stored rows whose hash changed, setting only the columns whose value changed (and the
    bookkeeping ones). SQLite rewrites the entries of every index over a column an UPDATE sets,
    changed or not: a late correction of an event's text would otherwise rewrite all its indexes.
    ``stored``: each row's (rowid, row_hash, *its ``_value_columns``) as ``_stored`` read them. Rows
    are grouped by the columns they change, one statement per group, each by rowid in rowid order."""
    values = _value_columns(target, rows.names)
    new_values = [rows.column(c) for c in values]
    groups: dict[tuple[str, ...], list[int]] = {}
    for i, old in enumerate(stored):
        diff = tuple(c for c, was, now in zip(values, old[2:], (col[i] for col in new_values)) if was != now)
        groups.setdefault(diff, []).append(i)
    bookkeeping = [c for c in HASH_LEFT_OUT if c in rows.names]
    for diff, positions in groups.items():
        cols = [*diff, *bookkeeping]
        sql = f"UPDATE {_q(target.table)} SET {', '.join(f'{_q(c)} = ?' for c in cols)} WHERE rowid = ?"
        params = [rows.column(c) for c in cols]
        positions.sort(key=lambda i: stored[i][0])  # the table's pages in their order
        cur.executemany(sql, ([*(p[i] for p in params), stored[i][0]] for i in positions))


def _upsert_sqlite(conn: Connection, target: Target, rows: Rows, fresh: bool) -> LoadOutcome:
    import sqlite3

    dbapi = conn.connection.dbapi_connection
    cur = dbapi.cursor()
    fresh_failed = False
    try:
        if fresh:
            sql, bound = _sqlite_statement(target, rows, upsert=False)
            if not dbapi.in_transaction:  # a SAVEPOINT outside a transaction would commit on RELEASE
                cur.execute("BEGIN")
            cur.execute("SAVEPOINT etl_fresh")
            try:
                _executemany(cur, sql, bound, len(rows))
            except sqlite3.IntegrityError as exc:
                cur.execute("ROLLBACK TO SAVEPOINT etl_fresh")
                cur.execute("RELEASE SAVEPOINT etl_fresh")
                if not _is_unique_violation(exc):
                    raise
                fresh_failed = True
            else:
                cur.execute("RELEASE SAVEPOINT etl_fresh")
                return _all_rows(target, rows)
        grouped = _group_columns(target, rows.names)
        watched = watched_columns(target, rows.names)
        # one lookup for all that is compared: the hash, the content (for the columns an update sets)
        # and the aggregate's and the links' columns (for the groups and the rows that count)
        extra = tuple(dict.fromkeys([*_value_columns(target, rows.names), *grouped, *watched]))
        at = {c: 2 + j for j, c in enumerate(extra)}
        stored = _stored(cur, target, rows, extra)
        hashes = rows.column("row_hash")
        changed = [i for i, (old, new) in enumerate(zip(stored, hashes)) if old is None or old[1] != new]
        if not changed:
            return LoadOutcome(fresh_failed=fresh_failed)
        relevant = None
        before = []
        if grouped:  # new rows, and stored ones changed in a watched column: their groups, before and after
            now_watched = [(at[c], rows.column(c)) for c in watched]
            relevant = [j for j, i in enumerate(changed) if stored[i] is None
                        or any(stored[i][p] != col[i] for p, col in now_watched)]
            group_at = [at[c] for c in grouped]
            before = [tuple(stored[changed[j]][p] for p in group_at) for j in relevant if stored[changed[j]] is not None]
        new = [i for i in changed if stored[i] is None]
        if new:
            added = rows.take(new) if len(new) < len(rows) else rows
            sql, bound = _sqlite_statement(target, added, upsert=True)
            _executemany(cur, sql, bound, len(added))
        if len(new) < len(changed):
            kept = [i for i in changed if stored[i] is not None]
            _update_changed_columns(cur, target, rows.take(kept), [stored[i] for i in kept])
        if len(changed) < len(rows):
            rows = rows.take(changed)
    finally:
        cur.close()
    outcome = _all_rows(target, rows, before, relevant)
    outcome.fresh_failed = fresh_failed
    return outcome


# ---------------------------------------------------------------- PostgreSQL
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
NULL_TEXT = "\\N"


def _text_of(v: Any) -> str:
    """One value in COPY text format."""
    if v is None:
        return NULL_TEXT
    if v.__class__ is bool:
        return "t" if v else "f"
    if isinstance(v, float):
        if math.isfinite(v):
            return repr(float(v))
        return "NaN" if v != v else ("Infinity" if v > 0 else "-Infinity")
    if isinstance(v, int):
        return str(int(v))
    return str(v).translate(_COPY_ESCAPES)


def encode_texts(values: list) -> list[str]:
    """One column of plain values in COPY text format: \\N for NULL, text escaped only where needed,
    numbers in their shortest exact form. This is also the text the row hash reads."""
    first = next((v for v in values if v is not None), None)
    if first is None:
        return [NULL_TEXT] * len(values)
    cls = first.__class__
    if cls is str:
        try:
            joined = "".join(filter(None, values))
        except TypeError:  # not all text
            return [_text_of(v) for v in values]
        if "\\" in joined or "\t" in joined or "\n" in joined or "\r" in joined:
            return [v.translate(_COPY_ESCAPES) if v.__class__ is str else _text_of(v) for v in values]
        return [v if v is not None else NULL_TEXT for v in values]
    if cls is int:
        return [str(v) if v.__class__ is int else _text_of(v) for v in values]
    if cls is float:
        return [repr(v) if v.__class__ is float and math.isfinite(v) else _text_of(v) for v in values]
    return [_text_of(v) for v in values]


HASH_LEFT_OUT = ("row_hash", "loaded_at", "src_run_id")  # bookkeeping, not content


def hash_lines(lines: list[str], version: list | None = None) -> list[str]:
    """A 32-hex-character hash (SHA-256 cut to 128 bits) of each row's text line, followed by the
    row's source version when given."""
    sha = hashlib.sha256
    if version is None:
        return [sha(line.encode()).hexdigest()[:32] for line in lines]
    return [sha((line + "\t" + v).encode()).hexdigest()[:32] for line, v in zip(lines, encode_texts(version))]


def finish_rows(rows: Rows, target: Target, loaded_at: datetime, *, copy_text: bool = False) -> tuple[Rows, CopyBlock | None]:
    """The table's rows (``table_rows``) with their ``row_hash``: a hash of the row's values as
    they are written, in table order, and of its source version. With ``copy_text`` also their COPY
    block (without src_run_id): the text is built once for the hash and the block."""
    rows = table_rows(rows, target, loaded_at)
    hashed = [n for n in rows.names if n not in HASH_LEFT_OUT]
    texts = [encode_texts(rows.column(n)) for n in hashed]
    lines = list(map("\t".join, zip(*texts))) if texts else [""] * len(rows)
    hashes = hash_lines(lines, rows.version)
    rows.set_column("row_hash", hashes)
    block = None
    if copy_text:
        tail = "\t" + encode_texts([rows.column("loaded_at")[0] if len(rows) else None])[0]
        text = "".join([line + "\t" + h + tail + "\n" for line, h in zip(lines, hashes)])
        block = CopyBlock(hashed + ["row_hash", "loaded_at"], text)
    return rows, block


@dataclass
class CopyBlock:
    """Rows in COPY text format, one line per row, for the columns ``names``; a column left out
    (``src_run_id``, not known yet when the block is built ahead of the load) is appended to every
    line by ``with_constant``."""

    names: list[str]
    text: str

    def with_constant(self, name: str, value: Any) -> CopyBlock:
        cell = encode_texts([value])[0]
        # line ends are the only raw newlines: newlines inside values are escaped
        return CopyBlock(self.names + [name], self.text.replace("\n", "\t" + cell + "\n"))


def copy_block(rows: Rows, *, without: tuple[str, ...] = ()) -> CopyBlock:
    """The rows as one block of COPY text format (the columns in ``without`` left out)."""
    keep = [i for i, n in enumerate(rows.names) if n not in without]
    texts = [encode_texts(rows.columns[i]) for i in keep]
    return CopyBlock([rows.names[i] for i in keep], "\n".join(map("\t".join, zip(*texts))) + "\n")


def _block_for(rows: Rows, block: CopyBlock | None) -> CopyBlock:
    if block is None:
        return copy_block(rows)
    for name in rows.names:
        if name not in block.names:  # a column left out of the prepared block: the same on every row
            values = rows.column(name)
            const, value = values.count(values[0]) == len(values), values[0]
            if not const:
                return copy_block(rows)
            block = block.with_constant(name, value)
    return block


def _upsert_postgresql(conn: Connection, target: Target, rows: Rows, fresh: bool, block: CopyBlock | None = None) -> LoadOutcome:
    import psycopg

    block = _block_for(rows, block)
    cols = block.names
    collist = ", ".join(_q(c) for c in cols)
    key = target.business_key
    table = _q(target.table)
    raw = conn.connection.dbapi_connection
    fresh_failed = False
    with raw.cursor() as cur:
        if fresh:
            cur.execute("SAVEPOINT etl_fresh")
            try:
                with cur.copy(f"COPY {table} ({collist}) FROM STDIN") as copy:
                    copy.write(block.text)
            except psycopg.errors.UniqueViolation:
                cur.execute("ROLLBACK TO SAVEPOINT etl_fresh")
                cur.execute("RELEASE SAVEPOINT etl_fresh")
                fresh_failed = True
            else:
                cur.execute("RELEASE SAVEPOINT etl_fresh")
                return _all_rows(target, rows)
        stage = _q(f"etl_stage_{target.table}")
        time_col = MAIN_TIME_FIELD.get(target.table)
        timed = time_col in cols
        grouped = _group_columns(target, cols)
        watched = watched_columns(target, cols)
        others = [c for c in key if c != "src_key"]  # the rest of the business key, to tell rows apart
        returning = ", ".join(_q(c) for c in ["src_key", *([time_col] if timed else []), *grouped, *others])
        cur.execute(f"DROP TABLE IF EXISTS {stage}")
        cur.execute(f"CREATE TEMP TABLE {stage} ON COMMIT DROP AS SELECT {collist} FROM {table} WHERE false")
        with cur.copy(f"COPY {stage} ({collist}) FROM STDIN") as copy:
            copy.write(block.text)
        before = []
        unwatched: set[tuple] = set()  # the business keys of stored rows changed in no watched column
        if grouped:  # the groups the rows about to change are in now
            on = " AND ".join(f"t.{_q(c)} = s.{_q(c)}" for c in key)
            moved = " OR ".join(f"t.{_q(c)} IS DISTINCT FROM s.{_q(c)}" for c in watched) or "false"
            cur.execute(f"SELECT {', '.join('t.' + _q(c) for c in (*grouped, 'src_key', *others))}, ({moved}) "
                        f"FROM {stage} s JOIN {table} t ON {on} WHERE t.row_hash IS DISTINCT FROM s.row_hash")
            g = len(grouped)
            for r in cur.fetchall():
                if r[-1]:
                    before.append(r[:g])
                else:
                    unwatched.add(tuple(r[g:-1]))
        cur.execute(
            f"INSERT INTO {table} ({collist}) SELECT {collist} FROM {stage} "
            f"ON CONFLICT ({', '.join(_q(c) for c in key)}) DO UPDATE SET {_update_clause(cols, key)} "
            f"WHERE {table}.row_hash IS DISTINCT FROM excluded.row_hash RETURNING {returning}")
        changed = cur.fetchall()
        cur.execute(f"DROP TABLE {stage}")
    first_group = 2 if timed else 1
    end_group = first_group + len(grouped)
    relevant = None
    if unwatched:
        relevant = [i for i, r in enumerate(changed) if (r[0], *r[end_group:]) not in unwatched]
    outcome = _outcome(target, [r[0] for r in changed], [r[1] for r in changed] if timed else [],
                       [r[first_group:end_group] for r in changed] if grouped else [], before, relevant)
    outcome.fresh_failed = fresh_failed
    return outcome
