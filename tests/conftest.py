"""Shared fixtures: a real PostgreSQL started by the suite, and fresh migrated warehouses.

- ``pg_server``: a throwaway PostgreSQL cluster (initdb/pg_ctl, as the ``postgres`` user when run as
  root) on a free local port, for the whole session.
- ``db_url``: a fresh, migrated, empty warehouse, once on SQLite and once on PostgreSQL.
- ``sqlite_url`` / ``pg_url``: the same on one engine.
Fresh warehouses are cloned from a template migrated once per session, so each test pays
milliseconds, not a migration.

The clock is pinned for the whole session (``SUITE_NOW``, or ``COCKPIT_NOW`` when set).

The session fails if it leaves orphaned processes of its own Python behind (a fork server or an ETL
worker whose parent was killed and that never ended).
"""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest

# The suite runs on a pinned clock (cockpit.clock), never on the machine's date: a mid-month weekday
# by default; ``COCKPIT_NOW=2026-12-01T00:05:00 make test`` runs it as of another instant. Servers
# the tests start inherit it.
SUITE_NOW = "2026-11-18T10:30:00"
os.environ.setdefault("COCKPIT_NOW", SUITE_NOW)

from devtools.pgcluster import PgCluster, PgUnavailable, start_cluster

ROOT = Path(__file__).resolve().parent.parent
_counter = itertools.count()
_SESSION_START = time.time()


def _orphans() -> dict[int, str]:
    """Processes of this Python started during the session whose parent is gone (re-parented to
    init), with their command lines (Linux; empty elsewhere)."""
    try:
        boot = next(int(line.split()[1]) for line in open("/proc/stat") if line.startswith("btime"))
    except (OSError, StopIteration):
        return {}
    ticks = os.sysconf("SC_CLK_TCK")
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            fields = open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()
            cmd = open(f"/proc/{entry}/cmdline", "rb").read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        state, ppid, started = fields[0], int(fields[1]), boot + int(fields[19]) / ticks
        if state != "Z" and ppid == 1 and cmd.startswith(sys.executable + " ") and started >= _SESSION_START - 1:
            found[int(entry)] = cmd
    return found


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    deadline = time.monotonic() + 15  # a process being stopped gets time to end
    while (left := _orphans()) and time.monotonic() < deadline:
        time.sleep(0.5)
    if left:
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        listing = "\n".join(f"  {pid}: {cmd[:160]}" for pid, cmd in left.items())
        print(f"\nprocesses left behind by the tests (killed now):\n{listing}", file=sys.stderr)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgCluster]:
    try:
        cluster = start_cluster()
    except PgUnavailable as exc:
        pytest.fail(str(exc))
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def _pg_template(pg_server: PgCluster) -> str:
    from cockpit.warehouse.db import engine_for
    from cockpit.warehouse.migrate import upgrade

    pg_server.execute("CREATE DATABASE cockpit_template")
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
def pg_url(pg_server: PgCluster, _pg_template: str) -> Iterator[str]:
    name = f"cockpit_test_{os.getpid()}_{next(_counter)}"
    pg_server.execute(f"CREATE DATABASE {name} TEMPLATE {_pg_template}")
    url = pg_server.url(name)
    try:
        yield url
    finally:
        from cockpit.warehouse.db import engine_for

        engine_for(url).dispose()
        pg_server.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole run (Playwright's sync API allows one driver per process)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    # Chromium hangs when libfaketime is preloaded into it (a run of the suite under ``faketime``):
    # the browser keeps the real clock; the cockpit under test is what runs at the faked date
    env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "FAKETIME", "FAKETIME_NO_CACHE", "DYLD_INSERT_LIBRARIES")}
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, env=env)
        yield b
        b.close()
