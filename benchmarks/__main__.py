"""`python -m benchmarks [--scale county] [--engines sqlite,postgresql] [--reps 30] [--skip-screens] [--render-only]`

Generates the demo sources once (cached under var/bench/), loads them into a fresh warehouse on each
engine, measures the screens on that warehouse and on a town-scale one, and writes the figures with
their baselines to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import sys
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

from benchmarks import etl_bench, machine
from benchmarks.warehouses import BENCH, bench_config, demo_sources, drop_warehouse, fresh_warehouse, shown
from cockpit.config import ROOT
from cockpit.warehouse.db import engine_for


FIGURES = BENCH / "figures.json"  # the last run's figures, to render the report again (--render-only)


def save_figures(report: dict) -> None:
    data = {**report, "etl": [asdict(f) for f in report["etl"]],
            "screens": [{"engine": r["engine"], "measured": asdict(r["measured"]),
                         "baseline": None if r["baseline"] is r["measured"] else asdict(r["baseline"])}
                        for r in report["screens"]]}
    FIGURES.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def load_figures() -> dict:
    from benchmarks.screens_bench import ScreenFigures

    data = json.loads(FIGURES.read_text(encoding="utf-8"))
    screens = []
    for r in data["screens"]:
        measured = ScreenFigures(**r["measured"])
        screens.append({"engine": r["engine"], "measured": measured,
                        "baseline": measured if r["baseline"] is None else ScreenFigures(**r["baseline"])})
    return {**data, "etl": [etl_bench.EtlFigures(**f) for f in data["etl"]], "screens": screens}


@contextmanager
def bench_lock():
    """One run at a time: runs share the warehouses and work folders under var/bench/."""
    with open(BENCH / "run.lock", "w", encoding="utf-8") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print("another benchmark run is using var/bench/; waiting for it to end …", flush=True)
            fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="county", choices=["tiny", "town", "county"])
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--skip-screens", action="store_true")
    parser.add_argument("--reps", type=int, default=30, help="counted calls per screen scenario (default 30)")
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    parser.add_argument("--render-only", action="store_true", help="write the report from the last run's figures")
    args = parser.parse_args(argv)
    BENCH.mkdir(parents=True, exist_ok=True)
    if args.render_only:
        from benchmarks.report import write_report

        write_report(Path(args.out), load_figures())
        print(f"written {shown(Path(args.out))}")
        return 0
    with bench_lock():
        return run(args)


def run(args: argparse.Namespace) -> int:
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
            print(f"[{engine_name}] full load, raw limit, database floor, 1% incremental …", flush=True)
            floor_url = fresh_warehouse(engine_name, cluster, "floor")
            try:
                fig = etl_bench.run(config, engine_for(url), engine_name, pristine, work, engine_for(floor_url))
            finally:
                engine_for(floor_url).dispose()
                drop_warehouse(engine_name, cluster, "floor")
            report["etl"].append(fig)
            print(f"[{engine_name}] full {fig.full_rate:,.0f} rows/s, raw {fig.raw_rate:,.0f} rows/s, "
                  f"floor {fig.raw_rows / fig.floor_seconds:,.0f} rows/s, "
                  f"incremental {fig.incr_seconds:.1f}s vs full {fig.full_seconds:.1f}s", flush=True)
            engine_for(url).dispose()
        if not args.skip_screens:
            from benchmarks import screens_bench

            report["screens"] = screens_bench.run_all(engines, cluster, args.scale, loaded, reps=args.reps)
    finally:
        if cluster:
            cluster.stop()
    from benchmarks.report import write_report

    save_figures(report)
    write_report(Path(args.out), report)
    print(f"written {shown(Path(args.out))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
