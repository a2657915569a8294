"""A throwaway PostgreSQL cluster on a free local port: initdb + pg_ctl, run as the ``postgres``
user when the caller is root (PostgreSQL refuses to run as root)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


class PgUnavailable(RuntimeError):
    pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[-3]))
    if not found:
        raise PgUnavailable("PostgreSQL server binaries not found; run `make setup` (installs the postgresql package)")
    return Path(found[-1]).parent


@dataclass
class PgCluster:
    port: int
    base: Path
    bindir: Path
    as_user: str | None

    @property
    def datadir(self) -> Path:
        return self.base / "data"

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{dbname}"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = list(args)
        if self.as_user:
            cmd = ["runuser", "-u", self.as_user, "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True)

    def execute(self, sql: str, dbname: str = "postgres") -> None:
        """Run one statement outside a transaction (CREATE/DROP DATABASE)."""
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=dbname, autocommit=True) as c:
            c.execute(sql)

    def version(self) -> str:
        return self._run(str(self.bindir / "postgres"), "--version").stdout.strip()

    def stop(self) -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "immediate", "stop", check=False)
        shutil.rmtree(self.base, ignore_errors=True)


def start_cluster(*, durable: bool = False) -> PgCluster:
    """Start a new cluster in a temporary folder. ``durable=False`` turns fsync off (tests only)."""
    bindir = pg_bindir()
    as_user = "postgres" if os.geteuid() == 0 else None
    base = Path(tempfile.mkdtemp(prefix="cockpit-pg-"))
    (base / "data").mkdir()
    if as_user:
        pw = pwd.getpwnam(as_user)
        for p in (base, base / "data"):
            os.chown(p, pw.pw_uid, pw.pw_gid)
    cluster = PgCluster(port=_free_port(), base=base, bindir=bindir, as_user=as_user)
    cluster._run(str(bindir / "initdb"), "-D", str(cluster.datadir), "-U", "postgres", "-A", "trust",
                 "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
    opts = f"-p {cluster.port} -k {cluster.datadir} -c listen_addresses=127.0.0.1 -c max_connections=200"
    if not durable:
        opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    cluster._run(str(bindir / "pg_ctl"), "-D", str(cluster.datadir), "-o", opts,
                 "-l", str(base / "log"), "-w", "start")
    return cluster
