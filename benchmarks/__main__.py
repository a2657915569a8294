"""`python -m benchmarks [--scale county] [--engines sqlite,postgresql] [--reps 30] [--only PARTS] [--skip-screens] [--render-only]`

Generates the demo sources once (cached under var/bench/), loads them into a fresh warehouse on each
engine, times a rules pass after its 1 % incremental load, measures the screens on that warehouse and
on a town-scale one, times a complaint's way to the big screen with a real scheduler, and writes the
figures with their baselines to docs/benchmarks.md.

``--only rules`` (or ``screens``, ``delay``, ``report``, a comma-separated list) reruns just those parts on the
warehouse the last run loaded (SQLite; PostgreSQL's cluster lives for one run, so it is loaded again,
untimed); the other parts' figures are taken from the last run.
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

from benchmarks import etl_bench, machine, report_bench, rules_bench
from benchmarks.warehouses import BENCH, bench_config, demo_sources, drop_warehouse, fresh_warehouse, shown, sqlite_path
from cockpit.config import ROOT, Config
from cockpit.warehouse.db import engine_for


FIGURES = BENCH / "figures.json"  # the last run's figures, to render the report again (--render-only)
PARTS = ("etl", "rules", "screens", "delay", "report")


def save_figures(report: dict) -> None:
    data = {**report, "etl": [asdict(f) for f in report["etl"]],
            "screens": [{"engine": r["engine"], "measured": asdict(r["measured"]),
                         "baseline": None if r["baseline"] is r["measured"] else asdict(r["baseline"])}
                        for r in report["screens"]],
            "rules": [{"engine": r["engine"], "measured": asdict(r["measured"]),
                       "baseline": None if r["baseline"] is r["measured"] else asdict(r["baseline"])}
                      for r in report.get("rules", [])],
            "delay": [asdict(d) for d in report.get("delay", [])],
            "report": report_bench.to_json(report.get("report", []))}
    FIGURES.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def load_figures() -> dict:
    from benchmarks.screens_bench import ScreenFigures

    data = json.loads(FIGURES.read_text(encoding="utf-8"))
    screens = []
    for r in data["screens"]:
        measured = ScreenFigures(**r["measured"])
        screens.append({"engine": r["engine"], "measured": measured,
                        "baseline": measured if r["baseline"] is None else ScreenFigures(**r["baseline"])})
    rules = []
    for r in data.get("rules", []):
        measured = rules_bench.RulesFigures(**r["measured"])
        rules.append({"engine": r["engine"], "measured": measured,
                      "baseline": measured if r["baseline"] is None else rules_bench.RulesFigures(**r["baseline"])})
    return {**data, "etl": [etl_bench.EtlFigures(**f) for f in data["etl"]], "screens": screens, "rules": rules,
            "delay": [rules_bench.DelayFigures(**d) for d in data.get("delay", [])],
            "report": report_bench.from_json(data.get("report", []))}


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
    parser.add_argument("--skip-delay", action="store_true", help="leave out the end-to-end delay (about 6 minutes per engine)")
    parser.add_argument("--only", help=f"comma-separated parts to run ({', '.join(PARTS)}), on the warehouses the last run "
                        "loaded; the other figures are kept from the last run")
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


def _parts(args: argparse.Namespace) -> set[str]:
    if args.only:
        parts = {p.strip() for p in args.only.split(",") if p.strip()}
        unknown = parts - set(PARTS)
        if unknown:
            raise SystemExit(f"--only: unknown part(s) {', '.join(sorted(unknown))}; choose from {', '.join(PARTS)}")
        return parts
    return set(PARTS) - ({"screens"} if args.skip_screens else set()) - ({"delay"} if args.skip_delay else set())


def _previous(scale: str) -> dict | None:
    """The last run's figures, if they were measured at ``scale``."""
    if not FIGURES.exists():
        return None
    try:
        data = load_figures()
    except (ValueError, TypeError, KeyError):
        return None
    return data if data.get("scale") == scale else None


def kept_parts(previous: dict, measured: set[str]) -> dict:
    """The figures of the parts not ``measured`` this time, from the ``previous`` run's figures, and
    under ``kept`` the run each was measured in (a part the previous run had kept keeps its date)."""
    out: dict = {"kept": {"parts": [], "when": {}}}
    for part in PARTS:
        if part not in measured and previous.get(part):
            out[part] = previous[part]
            out["kept"]["parts"].append(part)
            out["kept"]["when"][part] = _measured_in(previous, part)
    return out


def _measured_in(figures: dict, part: str) -> str | None:
    kept = figures.get("kept") or {}
    if part not in kept.get("parts", []):
        return figures.get("when")
    when = kept.get("when")
    return when.get(part) if isinstance(when, dict) else when  # older figures: one date for all


def kept_warehouse(engine_name: str, cluster, scale: str, pristine: Path, previous: dict | None) -> tuple[str, Path]:  # noqa: ANN001
    """The warehouse the last run's ETL benchmark loaded at ``scale`` and its sources (SQLite, when
    kept); else a fresh one, fully loaded (not timed). Returns (url, sources folder)."""
    from cockpit.etl import run_sources

    work = BENCH / f"work-{engine_name}"
    marker = BENCH / "warehouse-etl.json"  # the scale the kept SQLite warehouse was loaded at
    kept_scale = json.loads(marker.read_text(encoding="utf-8")).get("scale") if marker.exists() else \
        (previous or {}).get("scale")
    if engine_name == "sqlite" and kept_scale == scale and sqlite_path("etl").exists() and (work / "manifest.json").exists():
        from cockpit.warehouse.migrate import upgrade

        url = f"sqlite:///{sqlite_path('etl')}"
        upgrade(url)
        return url, work
    print(f"[{engine_name}] loading the {scale}-scale warehouse (not timed) …", flush=True)
    url = fresh_warehouse(engine_name, cluster, "etl")
    import shutil

    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(pristine, work)
    results = run_sources(bench_config(url, work, f"etl-{engine_name}"), engine_for(url), full=True)
    engine_for(url).dispose()
    failed = [(r.source, r.error) for r in results if r.status != "success"]
    if failed:
        raise RuntimeError(f"loading the {scale} warehouse failed: {failed}")
    _mark_loaded(engine_name, scale)
    return url, work


def _mark_loaded(engine_name: str, scale: str) -> None:
    if engine_name == "sqlite":
        (BENCH / "warehouse-etl.json").write_text(json.dumps({"scale": scale}), encoding="utf-8")


def _print_rules(fig: rules_bench.RulesFigures) -> None:
    slow = ", ".join(f"{r['rule']} {r['seconds']:.2f}s" for r in fig.slowest(3))
    print(f"[{fig.engine}] {fig.scale}: rules pass {fig.seconds:.2f}s ({slow}), {fig.open_warnings} open warnings"
          + (f", errors: {fig.errors}" if fig.errors else ""), flush=True)


def run(args: argparse.Namespace) -> int:
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    parts = _parts(args)
    previous = _previous(args.scale) if parts != set(PARTS) else None  # the parts not run are kept from it
    cluster = None
    if "postgresql" in engines:
        from devtools.pgcluster import start_cluster

        cluster = start_cluster(durable=True)
    report: dict = {"machine": machine.describe(), "scale": args.scale, "when": datetime.now().isoformat(timespec="seconds"),
                    "etl": [], "screens": [], "rules": [], "delay": [], "report": []}
    if cluster:
        report["machine"]["postgresql"] = cluster.version()
    loaded: dict[str, str] = {}  # engine -> the warehouse the ETL benchmark loaded (the screens run on it)
    sources: dict[str, Path] = {}  # engine -> the sources of that warehouse
    measured_rules: dict[str, rules_bench.RulesFigures] = {}
    try:
        pristine = demo_sources(args.scale)
        now = rules_bench.demo_now(pristine)
        for engine_name in engines:
            work = sources[engine_name] = BENCH / f"work-{engine_name}"
            if "etl" in parts:
                if engine_name == "sqlite":  # the kept warehouse is replaced
                    (BENCH / "warehouse-etl.json").unlink(missing_ok=True)
                url = loaded[engine_name] = fresh_warehouse(engine_name, cluster, "etl")
                config = bench_config(url, work, f"etl-{engine_name}")
                print(f"[{engine_name}] full load, 1% incremental, raw limit, database floor …", flush=True)
                floor_url = fresh_warehouse(engine_name, cluster, "floor")

                def rules_after_incremental(engine_name: str = engine_name, url: str = url, config: Config = config) -> None:
                    if "rules" in parts:  # right after the 1 % incremental load, on the warehouse it leaves
                        measured_rules[engine_name] = rules_bench.rules_pass(engine_for(url), config, engine_name,
                                                                             args.scale, now)
                try:
                    fig = etl_bench.run(config, engine_for(url), engine_name, pristine, work, engine_for(floor_url),
                                        after_incremental=rules_after_incremental)
                finally:
                    engine_for(floor_url).dispose()
                    drop_warehouse(engine_name, cluster, "floor")
                report["etl"].append(fig)
                _mark_loaded(engine_name, args.scale)
                print(f"[{engine_name}] full {fig.full_rate:,.0f} rows/s, raw {fig.raw_rate:,.0f} rows/s, "
                      f"floor {fig.raw_rows / fig.floor_seconds:,.0f} rows/s, "
                      f"incremental {fig.incr_seconds:.1f}s vs full {fig.full_seconds:.1f}s", flush=True)
                if "rules" in parts:
                    rf = measured_rules[engine_name]
                    rf.incr_rows_changed, rf.incr_seconds = fig.incr_rows_changed, fig.incr_seconds
                    _print_rules(rf)
            else:
                url, work = kept_warehouse(engine_name, cluster, args.scale, pristine, previous)
                loaded[engine_name], sources[engine_name] = url, work
                if "rules" in parts:
                    print(f"[{engine_name}] 1% incremental, then a rules pass …", flush=True)
                    rf = rules_bench.incremental_then_pass(bench_config(url, work, f"etl-{engine_name}"), engine_for(url),
                                                           engine_name, args.scale, now)
                    measured_rules[engine_name] = rf
                    _print_rules(rf)
            engine_for(url).dispose()
        if "screens" in parts:
            from benchmarks import screens_bench

            report["screens"] = screens_bench.run_all(engines, cluster, args.scale, loaded, reps=args.reps)
        if "rules" in parts:
            from benchmarks.screens_bench import BASELINE_SCALE, baseline_warehouse

            for engine_name in engines:
                measured = measured_rules[engine_name]
                if args.scale == BASELINE_SCALE:
                    baseline = measured
                else:
                    print(f"[{engine_name}] {BASELINE_SCALE}-scale baseline: 1% incremental, then a rules pass …", flush=True)
                    baseline = rules_bench.town_pass(engine_name, cluster, baseline_warehouse(engine_name, cluster))
                    _print_rules(baseline)
                report["rules"].append({"engine": engine_name, "measured": measured, "baseline": baseline})
        if "report" in parts:
            report["report"] = report_bench.run_all(engines, cluster, args.scale, loaded)
        if "delay" in parts:
            for engine_name in engines:
                print(f"[{engine_name}] end-to-end: a complaint to the big screen, scheduler at its defaults "
                      "(up to ~6 minutes) …", flush=True)
                d = rules_bench.end_to_end(loaded[engine_name], sources[engine_name], engine_name, args.scale)
                report["delay"].append(d)
                print(f"[{engine_name}] on the big screen {d.screen_after:.0f}s after the commit (open in the warehouse "
                      f"after {d.open_after:.0f}s; expected mean {d.expected_mean:.0f}s, worst {d.expected_worst:.0f}s)",
                      flush=True)
    finally:
        if cluster:
            cluster.stop()
    if previous:  # the parts not run this time: as the last run measured them
        report.update(kept_parts(previous, parts))
    from benchmarks.report import write_report

    save_figures(report)
    write_report(Path(args.out), report)
    print(f"written {shown(Path(args.out))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
