"""Probing a source (``cockpit.etl.probe``): SQLite and file sources found or not, a missing table or
column named with its key and fix; PostgreSQL reached with its tables and columns, a wrong database
name, role or password classified as configuration errors — and the ETL fails such a source at once
instead of retrying it — while a stopped server is an outage, reported within the short timeout."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import socket
import sqlite3
import subprocess
import tempfile
from pathlib import Path
from typing import Iterator

import psycopg
import pytest
from sqlalchemy import text

from cockpit.config import SourceConfig, load_config
from cockpit.etl import run_sources
from cockpit.etl.connect_errors import classify_connect_error
from cockpit.etl.probe import ERROR, UNAVAILABLE, WARNING, probe_source
from cockpit.warehouse.db import engine_for
from devtools.pgcluster import pg_bindir

BLOCK = """
[sources.{name}]
department = "hotline"
kind = "sql"
url = {url}
table = {table}
target = "event"
primary_key = ["工单编号"]
replication_key = {repl}
[sources.{name}.columns]
category_code = "诉求类别"
grid_code = "网格"
reported_at = "登记时间"
status = "状态"
[sources.{name}.constants]
channel = "hotline_12345"
[sources.{name}.values.category_code]
"*" = "SRV-ROAD"
[sources.{name}.values.status]
"*" = "reported"
"""
CREATE = ('CREATE TABLE 工单 ("工单编号" TEXT PRIMARY KEY, "诉求类别" TEXT, "网格" TEXT, "登记时间" TEXT, '
          '"状态" TEXT, "更新时间" TEXT)')


def source_toml(name: str, url: str, *, table: str = "工单", repl: str = "更新时间") -> str:
    return BLOCK.format(name=name, url=json.dumps(url), table=json.dumps(table), repl=json.dumps(repl))


def load_sources(tmp_path: Path, body: str, *, warehouse: str | None = None, etl: str = "") -> dict[str, SourceConfig]:
    return _config(tmp_path, body, warehouse=warehouse, etl=etl).sources


def _config(tmp_path: Path, body: str, *, warehouse: str | None = None, etl: str = ""):
    path = tmp_path / "cockpit.toml"
    url = warehouse or f"sqlite:///{tmp_path / 'wh.db'}"
    path.write_text(f"[warehouse]\nurl = {json.dumps(url)}\n[etl]\n{etl}\n" + body, encoding="utf-8")
    return load_config(path, env={})


def sqlite_source(db: Path, rows: list[tuple] = (), *, index: bool = True) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute(CREATE)
        if index:
            conn.execute('CREATE INDEX gx ON 工单 ("更新时间")')
        conn.executemany("INSERT INTO 工单 VALUES (?, ?, ?, ?, ?, ?)", rows)
    conn.close()


ROWS = [("W1", "A", "33099900100101", "2026-11-01 08:00:00", "1", "2026-11-01 08:00:00"),
        ("W2", "B", "33099900100102", "2026-11-02 08:00:00", "2", "2026-11-02 09:00:00"),
        ("W3", "A", "33099900100101", "2026-11-03 08:00:00", "1", None)]


def codes(probe) -> dict[str, str]:
    return {p.code: p.severity for p in probe.problems}


# ---------------------------------------------------------------- SQLite and files
def test_sqlite_source_found_with_its_table_columns_and_key(tmp_path: Path) -> None:
    db = tmp_path / "hotline.db"
    sqlite_source(db, ROWS[:2])
    probe = probe_source(load_sources(tmp_path, source_toml("h", f"sqlite:///{db}"))["h"])
    assert probe.reachable and probe.table_found and probe.status == "ok", probe.problems
    assert probe.tables == ["工单"]
    assert probe.columns == ["工单编号", "诉求类别", "网格", "登记时间", "状态", "更新时间"]
    assert probe.mapped_columns == 6 and probe.missing_columns == []
    assert probe.replication == {"kind": "key", "column": "更新时间", "note": None, "creation_time": False,
                                 "rows": 2, "type": "TEXT", "usable": True}


def test_sqlite_missing_file_is_unavailable_not_a_configuration_error(tmp_path: Path) -> None:
    probe = probe_source(load_sources(tmp_path, source_toml("h", f"sqlite:///{tmp_path / 'nope.db'}"))["h"])
    assert not probe.reachable and probe.status == "unavailable"
    [p] = probe.problems
    assert (p.severity, p.code, p.key) == (UNAVAILABLE, "missing_file", "sources.h.url")
    assert str(tmp_path / "nope.db") in p.problem and probe.config_errors == []
    assert probe.replication["usable"] is None  # not reached: not known


def test_sqlite_missing_table_names_the_tables_there(tmp_path: Path) -> None:
    db = tmp_path / "hotline.db"
    sqlite_source(db)
    probe = probe_source(load_sources(tmp_path, source_toml("h", f"sqlite:///{db}", table="工单表"))["h"])
    assert probe.reachable and probe.table_found is False and probe.status == "config_error"
    [p] = probe.config_errors
    assert (p.code, p.key) == ("no_table", "sources.h.table")
    assert "'工单表' does not exist" in p.problem and "perhaps '工单'" in p.fix and p.fix.endswith("工单")


def test_sqlite_missing_columns_each_named_with_its_key(tmp_path: Path) -> None:
    db = tmp_path / "hotline.db"
    sqlite_source(db)
    body = source_toml("h", f"sqlite:///{db}", repl="修改时间").replace('grid_code = "网格"', 'grid_code = "网格编码"')
    probe = probe_source(load_sources(tmp_path, body)["h"])
    errors = {p.key: p for p in probe.config_errors}
    assert set(errors) == {"sources.h.columns.grid_code", "sources.h.replication_key"}
    assert probe.missing_columns == ["网格编码", "修改时间"]
    assert "column '网格编码' does not exist in table '工单'" in errors["sources.h.columns.grid_code"].problem
    assert "perhaps '网格'" in errors["sources.h.columns.grid_code"].fix
    assert probe.replication["usable"] is False


def test_replication_warnings_creation_time_nulls_and_no_index(tmp_path: Path) -> None:
    db = tmp_path / "hotline.db"
    sqlite_source(db, ROWS, index=False)
    probe = probe_source(load_sources(tmp_path, source_toml("h", f"sqlite:///{db}"))["h"])
    assert codes(probe) == {"replication_nulls": WARNING, "replication_not_indexed": WARNING}
    assert probe.status == "warning" and probe.replication["usable"] is False
    nulls = next(p for p in probe.problems if p.code == "replication_nulls")
    assert nulls.problem.startswith("1 of 3 rows have no value in '更新时间'")

    db2 = tmp_path / "created.db"
    sqlite_source(db2, ROWS[:2])
    probe = probe_source(load_sources(tmp_path, source_toml("c", f"sqlite:///{db2}", repl="登记时间"))["c"])
    assert codes(probe) == {"creation_time_key": WARNING, "replication_not_indexed": WARNING}
    assert probe.replication["creation_time"] is True and probe.replication["usable"] is True


def test_csv_missing_and_in_the_wrong_encoding(tmp_path: Path) -> None:
    block = """
[sources.ledger]
department = "emergency"
kind = "csv"
path = {path}
target = "inspection"
primary_key = "编号"
replication_key = "更新"
[sources.ledger.columns]
kind = "类别"
address = "地址"
inspected_at = "发现日期"
result = "结果"
[sources.ledger.formats]
inspected_at = "cn_date"
"""
    csv = tmp_path / "ledger.csv"
    sources = load_sources(tmp_path, block.format(path=json.dumps(str(csv))))
    probe = probe_source(sources["ledger"])
    assert (probe.status, [p.code for p in probe.problems]) == ("unavailable", ["missing_file"])
    csv.write_bytes("编号,类别,地址,发现日期,结果,更新\nH1,消防,青石村1组,2026年11月3日,无隐患,2026-11-03\n".encode("gbk"))
    probe = probe_source(sources["ledger"])
    [p] = probe.problems
    assert (p.severity, p.key) == (ERROR, "sources.ledger.encoding") and "gbk" in p.fix
    sources = load_sources(tmp_path, block.format(path=json.dumps(str(csv))).replace('kind = "csv"', 'kind = "csv"\nencoding = "gbk"'))
    probe = probe_source(sources["ledger"])
    assert probe.status == "ok" and probe.columns == ["编号", "类别", "地址", "发现日期", "结果", "更新"]
    # a replication column whose values are in no date format the load knows is a configuration error
    csv.write_bytes("编号,类别,地址,发现日期,结果,更新\nH1,消防,青石村1组,2026年11月3日,无隐患,第45周\n".encode("gbk"))
    probe = probe_source(sources["ledger"])
    [p] = probe.problems
    assert (p.severity, p.code, p.key) == (ERROR, "replication_format", "sources.ledger.replication_format")
    assert "'第45周'" in p.problem and probe.replication["usable"] is False


# ---------------------------------------------------------------- PostgreSQL
@pytest.fixture
def pg_source(pg_server) -> Iterator[str]:
    """A department database on the suite's PostgreSQL holding the 工单 table with two rows."""
    name = f"dept_{os.getpid()}_{next(_n)}"
    pg_server.execute(f"CREATE DATABASE {name}")
    with psycopg.connect(host="127.0.0.1", port=pg_server.port, user="postgres", dbname=name, autocommit=True) as c:
        c.execute(CREATE.replace('"登记时间" TEXT', '"登记时间" TIMESTAMP').replace('"更新时间" TEXT', '"更新时间" TIMESTAMP'))
        c.execute('CREATE INDEX gx ON 工单 ("更新时间")')
        c.cursor().executemany("INSERT INTO 工单 VALUES (%s, %s, %s, %s, %s, %s)", ROWS[:2])
    try:
        yield name
    finally:
        pg_server.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


_n = iter(range(10**6))


def test_postgresql_reached_with_tables_and_columns(tmp_path: Path, pg_server, pg_source: str) -> None:
    probe = probe_source(load_sources(tmp_path, source_toml("h", pg_server.url(pg_source)))["h"])
    assert probe.reachable and probe.status == "ok", probe.problems
    assert probe.tables == ["工单"] and probe.missing_columns == []
    assert probe.columns == ["工单编号", "诉求类别", "网格", "登记时间", "状态", "更新时间"]
    assert probe.replication["rows"] == 2 and probe.replication["type"] == "TIMESTAMP"
    assert probe.replication["usable"] is True


@pytest.mark.parametrize("processes", [0, 2], ids=["in-process", "workers"])
def test_wrong_database_name_is_a_configuration_error_and_the_etl_does_not_retry_it(
        tmp_path: Path, pg_server, pg_source: str, sqlite_url: str, processes: int) -> None:
    wrong = pg_server.url(pg_source + "_typo")
    good = tmp_path / "good.db"
    sqlite_source(good, ROWS[:2])
    config = _config(tmp_path, source_toml("wrong_db", wrong) + source_toml("good", f"sqlite:///{good}"),
                     warehouse=sqlite_url, etl=f"retry_attempts = 3\nretry_backoff_seconds = 5\nprepare_processes = {processes}")
    probe = probe_source(config.sources["wrong_db"])
    assert not probe.reachable
    [p] = probe.problems
    assert (p.severity, p.code, p.key) == (ERROR, "no_database", "sources.wrong_db.url")
    assert f'database "{pg_source}_typo" does not exist' in p.problem
    assert f"'{pg_source}_typo'" in p.fix

    results = {r.source: r for r in run_sources(config, engine_for(sqlite_url))}
    bad = results["wrong_db"]
    # failed at once with the configuration key and fix, not retried three times as "unavailable"
    assert (bad.status, bad.attempts) == ("failed", 1)
    assert "[sources.wrong_db.url] the database does not exist on the server" in bad.error and "Fix:" in bad.error
    assert (results["good"].status, results["good"].rows_read) == ("success", 2)  # the others run
    with engine_for(sqlite_url).connect() as conn:
        row = conn.execute(text("SELECT status, attempts, error FROM etl_run WHERE source = 'wrong_db'")).one()
    assert (row.status, row.attempts) == ("failed", 1) and "does not exist" in row.error


def test_unknown_role_is_an_authentication_error(tmp_path: Path, pg_server, pg_source: str) -> None:
    url = f"postgresql+psycopg://nobody:pw@127.0.0.1:{pg_server.port}/{pg_source}"
    probe = probe_source(load_sources(tmp_path, source_toml("h", url))["h"])
    [p] = probe.problems
    assert (p.severity, p.code, p.key) == (ERROR, "auth_failed", "sources.h.url")
    assert 'role "nobody" does not exist' in p.problem and "'nobody'" in p.fix
    assert "pw@" not in p.problem + p.fix


# ---------------------------------------------------------------- a cluster of our own
def _run(as_user: str | None, *cmd: str, check: bool = True) -> subprocess.CompletedProcess:
    full = ["runuser", "-u", as_user, "--", *cmd] if as_user else list(cmd)
    return subprocess.run(full, check=check, capture_output=True, text=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def password_cluster() -> Iterator[tuple[int, Path, str | None]]:
    """A PostgreSQL cluster that asks for passwords (scram-sha-256); superuser postgres / 'right-pw'.
    Yields (port, data folder, the OS user it runs as); removed afterwards."""
    bindir = pg_bindir()
    as_user = "postgres" if os.geteuid() == 0 else None
    base = Path(tempfile.mkdtemp(prefix="cockpit-probe-pg-"))
    data, pwfile = base / "data", base / "pw"
    data.mkdir()
    pwfile.write_text("right-pw\n")
    if as_user:
        pw = pwd.getpwnam(as_user)
        for p in (base, data, pwfile):
            os.chown(p, pw.pw_uid, pw.pw_gid)
    port = _free_port()
    try:
        _run(as_user, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "scram-sha-256",
             f"--pwfile={pwfile}", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        _run(as_user, str(bindir / "pg_ctl"), "-D", str(data), "-o",
             f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off", "-l", str(base / "log"), "-w", "start")
        yield port, data, as_user
    finally:
        _run(as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop", check=False)
        shutil.rmtree(base, ignore_errors=True)


def test_wrong_password_is_an_authentication_error_then_a_stopped_server_is_an_outage(
        tmp_path: Path, password_cluster, sqlite_url: str) -> None:
    port, data, as_user = password_cluster
    with psycopg.connect(host="127.0.0.1", port=port, user="postgres", password="right-pw", dbname="postgres",
                         autocommit=True) as c:
        c.execute(CREATE)
        c.execute('CREATE INDEX gx ON 工单 ("更新时间")')
    right = f"postgresql+psycopg://postgres:right-pw@127.0.0.1:{port}/postgres"
    wrong = f"postgresql+psycopg://postgres:wrong-pw@127.0.0.1:{port}/postgres"
    sources = load_sources(tmp_path, source_toml("right", right) + source_toml("wrong", wrong))
    assert probe_source(sources["right"]).status == "ok"
    probe = probe_source(sources["wrong"])
    [p] = probe.problems
    assert (p.severity, p.code, p.key) == (ERROR, "auth_failed", "sources.wrong.url")
    assert 'password authentication failed for user "postgres"' in p.problem
    assert "wrong-pw" not in p.problem + p.fix

    _run(as_user, str(pg_bindir() / "pg_ctl"), "-D", str(data), "-m", "fast", "stop")
    probe = probe_source(sources["right"])
    [p] = probe.problems
    assert (p.severity, p.code, p.key) == (UNAVAILABLE, "unreachable", "sources.right.url")
    assert "Connection refused" in p.problem and probe.config_errors == [] and not probe.reachable

    # the ETL retries a stopped server, as an outage
    config = _config(tmp_path, source_toml("right", right), warehouse=sqlite_url,
                     etl="retry_attempts = 2\nretry_backoff_seconds = 0.01\nprepare_processes = 0")
    [res] = run_sources(config, engine_for(sqlite_url))
    assert (res.status, res.attempts) == ("failed", 2) and "cannot read" in res.error


def test_an_address_nobody_answers_is_unreachable_within_the_timeout(tmp_path: Path) -> None:
    # TEST-NET-1 (RFC 5737): packets go nowhere, so only the connect timeout ends the attempt
    url = "postgresql+psycopg://u:p@192.0.2.1:5432/db"
    probe = probe_source(load_sources(tmp_path, source_toml("h", url))["h"], timeout=1)
    [p] = probe.problems
    assert (p.severity, p.code) == (UNAVAILABLE, "unreachable")


@pytest.mark.parametrize(("message", "expected"), [
    ('connection failed: FATAL:  database "x" does not exist', "no_database"),
    ('FATAL:  password authentication failed for user "u"', "auth_failed"),
    ('FATAL:  role "u" does not exist', "auth_failed"),
    ('FATAL:  no pg_hba.conf entry for host "10.0.0.1", user "u", database "d"', "auth_failed"),
    ('致命错误:  用户 "u" Password 认证失败', "auth_failed"),
    ('致命错误:  数据库 "x" 不存在', "no_database"),
    ("connection failed: Connection refused", None),
    ("connection failed: timeout expired", None),
])
def test_classify_connect_error(message: str, expected: str | None) -> None:
    found = classify_connect_error(Exception(message))
    assert (found[0] if found else None) == expected
