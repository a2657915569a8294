"""Probe a source before loading it: can it be reached, does it hold the configured table and
columns, is its replication key usable. ``config check`` prints one ``SourceProbe`` per source.

A server database is connected with a short timeout (``connect_timeout``); a SQLite database or a
file is looked for on disk and opened read-only. What goes wrong is classified:

- the source is **unavailable** (an outage: the server does not answer, the file is not there yet):
  the ETL retries it with backoff; nothing in the configuration needs to change;
- a **configuration error** (authentication failed, no such database, no such table or column, a
  value-map target that is no area code): it will fail the same way on every retry, so the ETL
  fails the source at once with the fix (``cockpit.etl.connect_errors``) instead of retrying it;
- a **warning**: the source loads, but something will surprise the operator (a creation-time
  replication key, rows without a replication value, no index on it).

Every problem names its configuration key and the fix.
"""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from cockpit.config import ConfigError, SourceConfig
from cockpit.etl.connect_errors import classify_connect_error, connect_fix, first_line

CONNECT_TIMEOUT_SECONDS = 3

# severities of a problem
ERROR, UNAVAILABLE, WARNING = "error", "unavailable", "warning"


@dataclass
class Problem:
    severity: str  # error (configuration) | unavailable (outage) | warning
    code: str  # unreachable, missing_file, auth_failed, no_database, no_table, no_column, ...
    key: str  # the configuration key to change (sources.NAME....)
    problem: str
    fix: str


@dataclass
class SourceProbe:
    source: str
    reachable: bool = False
    tables: list[str] | None = None  # tables and views of a database (None: a file, or not reached)
    table_found: bool | None = None  # the configured table (None: a file, or not reached)
    columns: list[str] | None = None  # the table's (or file's) columns (None: not read)
    mapped_columns: int = 0  # configured columns (mapped fields, primary key, replication key), distinct
    missing_columns: list[str] = field(default_factory=list)
    replication: dict[str, Any] = field(default_factory=dict)  # kind, column, note, usable
    problems: list[Problem] = field(default_factory=list)

    @property
    def config_errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def status(self) -> str:
        """ok | warning | unavailable | config_error (the worst of its problems)."""
        kinds = {p.severity for p in self.problems}
        return ("config_error" if ERROR in kinds else "unavailable" if UNAVAILABLE in kinds
                else "warning" if WARNING in kinds else "ok")

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["status"] = self.status
        return d


# ---------------------------------------------------------------- probing
def probe_source(source: SourceConfig, *, timeout: float = CONNECT_TIMEOUT_SECONDS) -> SourceProbe:
    """Reach the source and check its table, columns and replication key. Never raises for the
    source's own state: everything wrong is a ``Problem``."""
    result = SourceProbe(source.name, mapped_columns=len(_configured_columns(source)))
    result.replication = _plan(source)
    if result.replication.get("note"):
        result.problems.append(Problem(WARNING, "creation_time_key" if result.replication.get("creation_time")
                                       else "no_replication_key", source.key("replication_key"),
                                       result.replication["note"], _replication_fix(source)))
    if source.kind == "sql":
        _probe_sql(source, result, timeout)
    else:
        _probe_file(source, result)
    if result.replication["kind"] == "hashes":
        result.replication["usable"] = True
    elif result.columns is None:
        result.replication["usable"] = None  # not reached: not known
    else:
        # usable: it exists, and every row has a value the load can read (else some rows are never read)
        result.replication["usable"] = (source.replication_key in result.columns and not any(
            p.code in ("replication_nulls", "replication_format") for p in result.problems))
    return result


def _plan(source: SourceConfig) -> dict[str, Any]:
    from cockpit.etl.replication import replication_plan

    plan = replication_plan(source)
    return {"kind": plan.kind, "column": plan.column, "note": plan.note,
            "creation_time": bool(getattr(plan, "creation_time", False))}


def _replication_fix(source: SourceConfig) -> str:
    if not source.replication_key:
        return "name the column that moves forward whenever a row changes as replication_key, if the source has one"
    return "name a last-changed column as replication_key if the source has one; otherwise nothing to do"


def _configured_columns(source: SourceConfig) -> dict[str, str]:
    """Source column -> the configuration key that names it (first mention wins)."""
    cols: dict[str, str] = {}
    for fld, col in source.columns.items():
        cols.setdefault(col, source.key("columns", fld))
    for col in source.primary_key:
        cols.setdefault(col, source.key("primary_key"))
    if source.replication_key:
        cols.setdefault(source.replication_key, source.key("replication_key"))
    return cols


def _check_columns(source: SourceConfig, result: SourceProbe, available: list[str], where: str) -> None:
    result.columns = available
    have = set(available)
    for col, key in _configured_columns(source).items():
        if col in have:
            continue
        result.missing_columns.append(col)
        near = difflib.get_close_matches(col, available, n=3, cutoff=0.5)
        hint = f"perhaps {', '.join(map(repr, near))}; " if near else ""
        result.problems.append(Problem(ERROR, "no_column", key, f"column {col!r} does not exist in {where}",
                                       f"{hint}name one of its columns: {_listing(available)}"))


def _listing(names: list[str], limit: int = 40) -> str:
    return ", ".join(names[:limit]) + (" …" if len(names) > limit else "") if names else "(none)"


def _probe_sql(source: SourceConfig, result: SourceProbe, timeout: float) -> None:
    url = make_url(source.url or "")
    url_key = source.key("url")
    if url.get_backend_name() == "sqlite":
        db = url.database or ""
        if not db or db == ":memory:" or not Path(db).is_file():
            result.problems.append(Problem(UNAVAILABLE, "missing_file", url_key,
                                           f"the database file {db or '(none)'} does not exist",
                                           "correct the path in url, or wait for the department's export to "
                                           "arrive (demo sources: python -m cockpit demo-sources)"))
            return
        url = url.set(query={**url.query, "mode": "ro", "uri": "true"}, database=f"file:{db}")
        args: dict[str, Any] = {"timeout": timeout}
        where = f"table {source.table!r} of {db}"
    else:
        args = {"connect_timeout": max(1, int(timeout))}
        where = f"table {source.table!r} of {url.render_as_string(hide_password=True)}"
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool, connect_args=args)
    try:
        try:
            conn = engine.connect()
        except sa.exc.SQLAlchemyError as exc:
            found = classify_connect_error(exc)
            if found:
                result.problems.append(Problem(ERROR, found[0], url_key, f"{found[1]} ({first_line(exc)})",
                                               connect_fix(found[0], source)))
            else:
                result.problems.append(Problem(UNAVAILABLE, "unreachable", url_key,
                                               f"cannot connect: {first_line(exc)}",
                                               "check that the server is running and reachable from this host "
                                               "(host, port, firewall); the ETL retries it with backoff"))
            return
        with conn:
            result.reachable = True
            try:
                _inspect_table(conn, source, result, where)
            except sa.exc.SQLAlchemyError as exc:
                result.problems.append(Problem(UNAVAILABLE, "unreadable", source.key("table"),
                                               f"cannot read {where}: {first_line(exc)}",
                                               "check that the account may read the table, and that the file "
                                               "is a database"))
    finally:
        engine.dispose()


def _inspect_table(conn: sa.Connection, source: SourceConfig, result: SourceProbe, where: str) -> None:
    insp = sa.inspect(conn)
    tables = sorted(set(insp.get_table_names()) | set(insp.get_view_names()))
    result.tables = tables
    result.table_found = source.table in tables
    if not result.table_found:
        near = difflib.get_close_matches(source.table or "", tables, n=3, cutoff=0.5)
        hint = f"perhaps {', '.join(map(repr, near))}; " if near else ""
        result.problems.append(Problem(ERROR, "no_table", source.key("table"),
                                       f"table {source.table!r} does not exist in the database",
                                       f"{hint}name one of its tables: {_listing(tables)}"))
        return
    reflected = insp.get_columns(source.table)
    _check_columns(source, result, [c["name"] for c in reflected], where)
    repl = source.replication_key
    if not repl or repl in result.missing_columns:
        return
    table = sa.table(source.table, sa.column(repl))
    col = table.c[repl]
    rows, nulls = conn.execute(sa.select(sa.func.count(), sa.func.count() - sa.func.count(col)).select_from(table)).one()
    result.replication["rows"] = int(rows)
    result.replication["type"] = str(next(c["type"] for c in reflected if c["name"] == repl))
    if nulls:
        result.problems.append(Problem(WARNING, "replication_nulls", source.key("replication_key"),
                                       f"{nulls} of {rows} rows have no value in {repl!r}: an incremental load "
                                       "never reads them (only the daily full reconciliation does)",
                                       "have the department fill the column on every insert and update, or name "
                                       "another last-changed column"))
    indexed = [ix["column_names"][:1] for ix in insp.get_indexes(source.table)]
    pk = insp.get_pk_constraint(source.table).get("constrained_columns") or []
    if [repl] not in indexed and pk[:1] != [repl]:
        result.problems.append(Problem(WARNING, "replication_not_indexed", source.key("replication_key"),
                                       f"no index starts with {repl!r}: every incremental load scans the whole table",
                                       f"ask the department's administrator for an index on {source.table}({repl})"))


def _probe_file(source: SourceConfig, result: SourceProbe) -> None:
    from cockpit.etl.extract import SourceUnavailable, read_file

    path = source.path
    if path is None or not Path(path).is_file():
        result.problems.append(Problem(UNAVAILABLE, "missing_file", source.key("path"),
                                       f"the file {path} does not exist",
                                       "correct path, or wait for the department's export to arrive"))
        return
    try:
        frame = read_file(source)
    except ConfigError as exc:  # wrong encoding, no such sheet
        result.reachable = True
        result.problems.append(Problem(ERROR, "unreadable", exc.key, exc.problem, exc.fix))
        return
    except SourceUnavailable as exc:
        result.problems.append(Problem(UNAVAILABLE, "unreadable", source.key("path"), str(exc),
                                       "check that the file is a complete CSV or Excel export"))
        return
    result.reachable = True
    result.replication["rows"] = len(frame)
    _check_columns(source, result, list(frame.columns), Path(path).name)
    repl = source.replication_key
    if repl and repl not in result.missing_columns:
        empty = int((frame[repl].astype(str).str.strip() == "").sum())
        if empty:
            result.problems.append(Problem(WARNING, "replication_nulls", source.key("replication_key"),
                                           f"{empty} of {len(frame)} rows have no value in {repl!r}",
                                           "have the department fill the column in every export"))
        from cockpit.etl import extract

        if hasattr(extract, "replication_times"):  # the values must be dates in a format the load knows
            try:
                extract.replication_times(source, frame[repl].astype(str).str.strip().replace("", None))
            except ConfigError as exc:
                result.problems.append(Problem(ERROR, "replication_format", exc.key, exc.problem, exc.fix))


# ---------------------------------------------------------------- value maps onto area codes
def names_areas(source: SourceConfig) -> bool:
    """Whether a value map or a constant of the source names an area code (grid, township, area)."""
    from cockpit.unified_codes import LOCATION_FIELDS

    return bool(LOCATION_FIELDS & (set(source.values) | set(source.constants)))


def location_problems(sources: list[SourceConfig], warehouse_url: str, *,
                      timeout: float = CONNECT_TIMEOUT_SECONDS) -> dict[str, list[Problem]]:
    """Per source, the area codes its value maps (``value_maps.unknown_location_targets``) and
    constants name that the warehouse's area registry does not hold (a grid code must be a grid, a
    township code a township). When the registry cannot be read (not reachable, not migrated,
    nothing loaded yet) each such source gets a warning saying so instead."""
    from cockpit.warehouse import schema as s

    todo = [src for src in sources if names_areas(src)]
    if not todo:
        return {}
    levels: dict[str, str] | None = None
    u = make_url(warehouse_url)
    sqlite = u.get_backend_name() == "sqlite"
    if not sqlite or (u.database and Path(u.database).is_file()):
        engine = sa.create_engine(u, poolclass=sa.pool.NullPool,
                                  connect_args={"timeout": timeout} if sqlite else {"connect_timeout": max(1, int(timeout))})
        try:
            with engine.connect() as conn:
                levels = dict(conn.execute(sa.select(s.area.c.code, s.area.c.level)).all()) or None
                out = {src.name: _area_problems(src, conn, levels) for src in todo} if levels else {}
        except sa.exc.SQLAlchemyError:
            levels = None
        finally:
            engine.dispose()
    if not levels:
        return {src.name: [Problem(WARNING, "areas_not_checked", src.key("values"),
                                   "the area codes its value maps name were not checked: the warehouse's area "
                                   "registry is not loaded (or not reachable)",
                                   "load the area registry first (python -m cockpit etl --source <area source>), "
                                   "then check again")] for src in todo}
    return out


_LEVEL_OF = {"grid_code": "grid", "township_code": "township", "area_code": None}


def _area_problems(source: SourceConfig, conn: sa.Connection, levels: dict[str, str]) -> list[Problem]:
    from cockpit.etl.value_maps import unknown_location_targets

    out = []
    for entry in unknown_location_targets(conn, source):
        key, _, code = entry.rpartition(" = ")
        fld = key.split(".")[3] if key.count(".") >= 3 else ""
        level = _LEVEL_OF.get(fld)
        out.append(Problem(ERROR, "unknown_area_target", key,
                           f"maps to {code!r}, which is no {level or 'area'} code of the area registry",
                           f"map it to a {level or 'area'} code the area registry holds"))
    for fld, value in source.constants.items():
        if fld not in _LEVEL_OF:
            continue
        level, have = _LEVEL_OF[fld], levels.get(str(value))
        if have is None or (level and have != level):
            out.append(Problem(ERROR, "unknown_area_target", source.key("constants", fld),
                               f"{value!r} is no {level or 'area'} code of the area registry",
                               f"give a {level or 'area'} code the area registry holds"))
    return out
