"""`python -m benchmarks [--scale county] [--engines sqlite,postgresql] [--skip-screens]`

Generates the demo sources once (cached under var/bench/), loads them into a fresh warehouse on each
engine, and writes the figures with their baselines to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path

from benchmarks import etl_bench, machine
from cockpit.config import ROOT, load_config
from cockpit.warehouse.db import engine_for
from cockpit.warehouse.migrate import upgrade

BENCH = ROOT / "var" / "bench"


def demo_sources(scale: str) -> Path:
    from cockpit.demo import generate

    out = BENCH / f"sources-{scale}"
    if not (out / "manifest.json").exists():
        print(f"generating {scale} demo sources into {out.relative_to(ROOT)} …", flush=True)
        generate(out, scale=scale, overwrite=True)
    return out


def bench_config(warehouse_url: str, sources_dir: Path, name: str):
    path = BENCH / f"{name}.toml"
    path.write_text(
        f'include = [{json.dumps(str(ROOT / "config" / "sources" / "demo.toml"))}]\n'
        f'[warehouse]\nurl = {json.dumps(warehouse_url)}\n'
        f'[demo]\nsources_dir = {json.dumps(str(sources_dir))}\n',
        encoding="utf-8",
    )
    return load_config(path, env={})


def fresh_warehouse(engine_name: str, cluster, tag: str) -> str:
    if engine_name == "sqlite":
        db = BENCH / f"warehouse-{tag}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(str(db) + suffix).unlink(missing_ok=True)
        url = f"sqlite:///{db}"
    else:
        cluster.execute(f"DROP DATABASE IF EXISTS bench_{tag} WITH (FORCE)")
        cluster.execute(f"CREATE DATABASE bench_{tag}")
        url = cluster.url(f"bench_{tag}")
    upgrade(url)
    return url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="county", choices=["tiny", "town", "county"])
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--skip-screens", action="store_true")
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    args = parser.parse_args(argv)
    BENCH.mkdir(parents=True, exist_ok=True)
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    cluster = None
    if "postgresql" in engines:
        from devtools.pgcluster import start_cluster

        cluster = start_cluster(durable=True)
    report: dict = {"machine": machine.describe(), "scale": args.scale, "when": datetime.now().isoformat(timespec="seconds"),
                    "etl": [], "screens": []}
    if cluster:
        report["machine"]["postgresql"] = cluster.version()
    try:
        pristine = demo_sources(args.scale)
        for engine_name in engines:
            url = fresh_warehouse(engine_name, cluster, "etl")
            work = BENCH / f"work-{engine_name}"
            config = bench_config(url, work, f"etl-{engine_name}")
            print(f"[{engine_name}] full load, raw limit, 1% incremental …", flush=True)
            fig = etl_bench.run(config, engine_for(url), engine_name, pristine, work)
            report["etl"].append(fig)
            print(f"[{engine_name}] full {fig.full_rate:,.0f} rows/s, raw {fig.raw_rate:,.0f} rows/s, "
                  f"incremental {fig.incr_seconds:.1f}s vs full {fig.full_seconds:.1f}s", flush=True)
            engine_for(url).dispose()
        if not args.skip_screens:
            from benchmarks import screens_bench

            report["screens"] = screens_bench.run_all(engines, cluster, demo_sources, fresh_warehouse, bench_config, BENCH)
    finally:
        if cluster:
            cluster.stop()
    from benchmarks.report import write_report

    write_report(Path(args.out), report)
    print(f"written {Path(args.out).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
