"""`python -m benchmarks [--scale county] [--engines sqlite,postgresql] [--reps 30] [--skip-screens]`

Generates the demo sources once (cached under var/bench/), loads them into a fresh warehouse on each
engine, measures the screens on that warehouse and on a town-scale one, and writes the figures with
their baselines to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from benchmarks import etl_bench, machine
from benchmarks.warehouses import BENCH, bench_config, demo_sources, fresh_warehouse, shown
from cockpit.config import ROOT
from cockpit.warehouse.db import engine_for


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="county", choices=["tiny", "town", "county"])
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--skip-screens", action="store_true")
    parser.add_argument("--reps", type=int, default=30, help="counted calls per screen scenario (default 30)")
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
    loaded: dict[str, str] = {}  # engine -> the warehouse the ETL benchmark loaded (the screens run on it)
    try:
        pristine = demo_sources(args.scale)
        for engine_name in engines:
            url = loaded[engine_name] = fresh_warehouse(engine_name, cluster, "etl")
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

            report["screens"] = screens_bench.run_all(engines, cluster, args.scale, loaded, reps=args.reps)
    finally:
        if cluster:
            cluster.stop()
    from benchmarks.report import write_report

    write_report(Path(args.out), report)
    print(f"written {shown(Path(args.out))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
