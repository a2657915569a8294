"""Shared fixtures: a real PostgreSQL started by the suite, and fresh migrated warehouses.

- ``pg_server``: a throwaway PostgreSQL cluster (initdb/pg_ctl, as the ``postgres`` user when run as
  root) on a free local port, for the whole session.
- ``db_url``: a fresh, migrated, empty warehouse, once on SQLite and once on PostgreSQL.
- ``sqlite_url`` / ``pg_url``: the same on one engine.
Fresh warehouses are cloned from a template migrated once per session, so each test pays
milliseconds, not a migration.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parent.parent
_counter = itertools.count()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[-3]))
    if not found:
        pytest.fail("PostgreSQL server binaries not found; run `make setup` (installs the postgresql package)")
    return Path(found[-1]).parent


@dataclass
class PgServer:
    port: int
    datadir: Path
    bindir: Path
    as_user: str | None

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{dbname}"

    def run(self, *args: str) -> subprocess.CompletedProcess:
        cmd = list(args)
        if self.as_user:
            cmd = ["runuser", "-u", self.as_user, "--", *cmd]
        return subprocess.run(cmd, check=True, capture_output=True, text=True)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    bindir = _pg_bindir()
    as_user = "postgres" if os.geteuid() == 0 else None
    base = Path(tempfile.mkdtemp(prefix="cockpit-pg-"))
    datadir = base / "data"
    datadir.mkdir()
    if as_user:
        pw = pwd.getpwnam(as_user)
        for p in (base, datadir):
            os.chown(p, pw.pw_uid, pw.pw_gid)
    server = PgServer(port=_free_port(), datadir=datadir, bindir=bindir, as_user=as_user)
    server.run(str(bindir / "initdb"), "-D", str(datadir), "-U", "postgres", "-A", "trust", "-E", "UTF8",
               "--locale=C.UTF-8", "--no-sync")
    opts = (f"-p {server.port} -k {datadir} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
    server.run(str(bindir / "pg_ctl"), "-D", str(datadir), "-o", opts, "-l", str(base / "log"), "-w", "start")
    try:
        yield server
    finally:
        subprocess.run((["runuser", "-u", as_user, "--"] if as_user else [])
                       + [str(bindir / "pg_ctl"), "-D", str(datadir), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def _admin_exec(server: PgServer, sql: str) -> None:
    import psycopg

    with psycopg.connect(host="127.0.0.1", port=server.port, user="postgres", dbname="postgres", autocommit=True) as c:
        c.execute(sql)


@pytest.fixture(scope="session")
def _pg_template(pg_server: PgServer) -> str:
    from cockpit.warehouse.db import engine_for
    from cockpit.warehouse.migrate import upgrade

    _admin_exec(pg_server, "CREATE DATABASE cockpit_template")
    url = pg_server.url("cockpit_template")
    upgrade(url)
    engine_for(url).dispose()  # a template must have no open connections
    return "cockpit_template"


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from cockpit.warehouse.db import engine_for
    from cockpit.warehouse.migrate import upgrade

    path = tmp_path_factory.mktemp("sqlite-template") / "warehouse.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    engine_for(url).dispose()
    return path


@pytest.fixture
def sqlite_url(_sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / f"warehouse-{next(_counter)}.db"
    shutil.copyfile(_sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def pg_url(pg_server: PgServer, _pg_template: str) -> Iterator[str]:
    name = f"cockpit_test_{os.getpid()}_{next(_counter)}"
    _admin_exec(pg_server, f"CREATE DATABASE {name} TEMPLATE {_pg_template}")
    url = pg_server.url(name)
    try:
        yield url
    finally:
        from cockpit.warehouse.db import engine_for

        engine_for(url).dispose()
        _admin_exec(pg_server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
