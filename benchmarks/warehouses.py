"""The benchmarks' demo sources and warehouses, kept under var/bench/."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from cockpit.config import ROOT, Config, load_config
from cockpit.warehouse.migrate import upgrade

BENCH = ROOT / "var" / "bench"


def shown(path: Path) -> str:
    """``path`` relative to the project when it lies inside it, else as given."""
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def demo_version() -> str:
    """A hash of what the demo sources are made from: the generator's code and the source declarations."""
    files = sorted((ROOT / "cockpit" / "demo").glob("*.py")) + [ROOT / "config" / "sources" / "demo.toml"]
    return hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()[:16]


def demo_sources(scale: str) -> Path:
    """The demo department sources at ``scale``, generated once per version of the generator
    (a cache made by an older generator lacks the tables a newer declaration reads)."""
    from cockpit.demo import generate

    out = BENCH / f"sources-{scale}"
    stamp = BENCH / f"sources-{scale}.version"
    version = demo_version()
    if not (out / "manifest.json").exists() or not stamp.exists() or stamp.read_text() != version:
        print(f"generating {scale} demo sources into {shown(out)} …", flush=True)
        generate(out, scale=scale, overwrite=True)
        stamp.write_text(version)
    return out


def bench_config(warehouse_url: str, sources_dir: Path, name: str) -> Config:
    path = BENCH / f"{name}.toml"
    path.write_text(
        f'include = [{json.dumps(str(ROOT / "config" / "sources" / "demo.toml"))}]\n'
        f'[warehouse]\nurl = {json.dumps(warehouse_url)}\n'
        f'[demo]\nsources_dir = {json.dumps(str(sources_dir))}\n',
        encoding="utf-8",
    )
    return load_config(path, env={})


def sqlite_path(tag: str) -> Path:
    return BENCH / f"warehouse-{tag}.db"


def drop_warehouse(engine_name: str, cluster, tag: str) -> None:  # noqa: ANN001 - a devtools PgCluster
    """Remove the warehouse named ``tag`` (its file, or its database)."""
    if engine_name == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(str(sqlite_path(tag)) + suffix).unlink(missing_ok=True)
    else:
        cluster.execute(f"DROP DATABASE IF EXISTS bench_{tag} WITH (FORCE)")


def fresh_warehouse(engine_name: str, cluster, tag: str) -> str:  # noqa: ANN001 - a devtools PgCluster
    """An empty, migrated warehouse named ``tag`` on the engine (any previous one is dropped)."""
    drop_warehouse(engine_name, cluster, tag)
    if engine_name == "sqlite":
        url = f"sqlite:///{sqlite_path(tag)}"
    else:
        cluster.execute(f"CREATE DATABASE bench_{tag}")
        url = cluster.url(f"bench_{tag}")
    upgrade(url)
    return url
