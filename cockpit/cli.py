"""``python -m cockpit <command>``: demo sources, simulation, ETL, migrations, scheduler, web server,
configuration check (probing every source), source preview, warning rules and warnings
(``cockpit.warnings.cli``), the notification outbox (``cockpit.notify.cli``), users. Every command loads the configuration (``--config`` or ``COCKPIT_CONFIG``,
then environment overrides); a configuration mistake prints its file, key and fix and exits 2.

Every command that lists or reports takes ``--json``: one function builds its rows, one printer
writes them as text and another as JSON, so the two cannot disagree. With ``--json`` nothing but the
JSON goes to stdout; an error is also written there as ``{"error": ...}`` (see ``JSON_HELP``).

Heavy modules (the ETL, the demo generator, the app) are imported inside the command that needs them.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from datetime import datetime
from typing import Any, Callable, Sequence

from sqlalchemy.exc import OperationalError

from cockpit.cli_output import JSON_HELP, fail, iso_time, print_json, require_migrated, wants_json
from cockpit.config import ROOT, Config, ConfigError, load_config
from cockpit import clock

EXIT_CONFIG = 2

def _config(args: argparse.Namespace) -> Config:
    return load_config(args.config)


def _safe_url(url: str) -> str:
    """The URL with its password hidden, for printing."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _stop_on_signals() -> threading.Event:
    """An event set by SIGTERM/SIGINT, so a long command stops between batches instead of mid-write."""
    stop = threading.Event()

    def handler(signum: int, _frame: Any) -> None:
        if stop.is_set():  # a second Ctrl-C: give up at once
            raise KeyboardInterrupt
        print(f"{signal.Signals(signum).name}: stopping after the current batch …", file=sys.stderr, flush=True)
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    return stop


def _require_migrated(config: Config, args: argparse.Namespace) -> int | None:
    return require_migrated(args, config.warehouse_url)


# ---------------------------------------------------------------- demo-sources, simulate
def _demo_report(out: Path, manifest: dict | None) -> dict[str, Any]:
    """What demo-sources did: the folder, and for a generated township its scale, seed and counts."""
    if manifest is None:
        return {"dir": str(out), "generated": False}
    counts = manifest.get("counts", {})
    return {"dir": str(out), "generated": True, "scale": manifest.get("scale"), "seed": manifest.get("seed"),
            "tables": len(counts), "rows": sum(counts.values()), "bad_rows": len(manifest.get("bad_rows", [])),
            "counts": counts}


def cmd_demo_sources(args: argparse.Namespace) -> int:
    config = _config(args)
    out = Path(args.out or config.get("demo", "sources_dir")).resolve()
    if (out / "manifest.json").exists() and not args.force:
        report = _demo_report(out, None)
    else:
        from cockpit.demo import generate

        scale = args.scale or config.get("demo", "scale")
        seed = config.get("demo", "seed") if args.seed is None else args.seed
        print(f"generating {scale} demo sources (seed {seed}) into {out} …",
              file=sys.stderr if wants_json(args) else sys.stdout, flush=True)
        try:
            manifest = generate(out, scale=scale, seed=seed, overwrite=args.force)
        except FileExistsError:
            return fail(args, f"{out} is not empty and holds no manifest.json; pass --force to replace its contents, "
                        "or choose another --out")
        report = _demo_report(out, manifest)
    if wants_json(args):
        print_json(report)
    elif not report["generated"]:
        print(f"demo sources already present in {out} (manifest.json); nothing to do. Use --force to regenerate.")
    else:
        print(f"{report['rows']} rows in {report['tables']} tables, {report['bad_rows']} injected bad rows")
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    config = _config(args)
    if wants_json(args) and not args.once:
        return fail(args, "--json needs --once (a continuous simulation reports nothing)", EXIT_CONFIG)
    out = Path(config.get("demo", "sources_dir"))
    if not (out / "manifest.json").exists():
        return fail(args, f"no demo sources in {out}: run `python -m cockpit demo-sources` first")
    seed = config.get("demo", "seed")
    if args.once:
        from cockpit.demo import simulate_step

        at = clock.now()
        rows = _simulate_rows(simulate_step(out, seed=seed, now=at), at)
        if wants_json(args):
            print_json(rows)
            return 0
        for r in rows:
            print(f"{r['source']:<28} +{r['inserted']} new, {r['updated']} updated")
        return 0
    from cockpit.demo import simulate

    from cockpit.demo.live import live_player

    interval = args.interval if args.interval is not None else config.get("demo", "simulate_interval_seconds")
    stop = _stop_on_signals()
    print(f"simulating live records in {out} every {interval:g} s (Ctrl-C to stop)", flush=True)
    simulate(out, interval_seconds=interval, seed=seed, stop=stop, after_step=live_player(config))
    return 0


def _simulate_rows(done: dict[str, dict[str, list]], at: datetime) -> list[dict[str, Any]]:
    """One row per source a simulation step changed: records inserted and updated, and the step's time."""
    return [{"source": source, "inserted": len(change.get("inserted", [])), "updated": len(change.get("updated", [])),
             "at": iso_time(at)} for source, change in sorted(done.items())]


def cmd_demo_orders(args: argparse.Namespace) -> int:
    """The demo's field accounts, work-order history (``cockpit.demo.field``) and whistles
    (``cockpit.demo.whistles``); ``--step``: one live step of both. Demo mode only."""
    config = _config(args)
    if not config.get("app", "demo"):
        return fail(args, "app.demo is false: demo work orders are only made in demo mode")
    code = _require_migrated(config, args)
    if code is not None:
        return code
    import time

    from cockpit.auth import ensure_demo_users
    from cockpit.demo import field, whistles
    from cockpit.warehouse.db import engine_for

    engine = engine_for(config.warehouse_url)
    seed = int(config.get("demo", "seed"))
    now = clock.now()
    report: dict[str, Any] = {"at": iso_time(now)}
    if args.step:
        done = field.play_step(engine, seed=seed, now=now, config=config)
        report.update(dispatched=done["dispatched"], acted=done["acted"])
        done = whistles.play_step(engine, seed=seed, now=now, config=config)
        report["whistles_step"] = {"blown": done["blown"], "acted": done["acted"], "overdue": done["overdue"]}
    else:
        t0 = time.monotonic()
        ensure_demo_users(engine)  # the operator and the grid worker people sign in as, before their duties
        with engine.begin() as conn:
            report["accounts"] = field.ensure_field_accounts(conn, now=now)
        report["accounts"]["seconds"] = round(time.monotonic() - t0, 2)
        with engine.begin() as conn:
            report["backfill"] = field.backfill(conn, seed=seed, now=now, config=config)
        with engine.begin() as conn:
            report["whistles"] = whistles.backfill(conn, seed=seed, now=now, config=config)
    with engine.connect() as conn:
        report["by_status"] = field.status_counts(conn)
        report["open_overdue"] = field.overdue_open(conn, now)
        report["summons_by_status"] = whistles.status_counts(conn)
        report["summons_open_overdue"] = whistles.overdue_open(conn, now)
    if wants_json(args):
        print_json(report)
        return 0
    if args.step:
        ws = report["whistles_step"]
        print(f"{len(report['dispatched'])} warnings dispatched, {len(report['acted'])} order actions; "
              f"{len(ws['blown'])} whistles blown, {len(ws['acted'])} summons actions, {ws['overdue']} summons overdue")
    else:
        a, b = report["accounts"], report["backfill"]
        print(f"field accounts: {a['grid_workers']} grid workers, {a['liaisons']} liaisons, {a['operators']} "
              f"operators created; {a['grid_duties']} grid duties set ({a['seconds']} s)")
        if b["done"]:
            print(f"backfill: {b['orders']} work orders from {b['events_sampled']} past events, {b['actions']} "
                  f"actions, {b['escalations']} overdue escalations ({b['seconds']} s)")
        else:
            print(f"backfill: nothing to do ({b['reason']})")
        w = report["whistles"]
        if w["done"]:
            print(f"whistles: {w['whistles']} blown, {w['summons']} summons, {w['actions']} summons actions, "
                  f"{w['escalations']} overdue marks ({w['seconds']} s)")
        else:
            print(f"whistles: nothing to do ({w['reason']})")
    print("work orders: " + ", ".join(f"{k} {v}" for k, v in report["by_status"].items())
          + f"; {report['open_overdue']} open and overdue")
    print("summons: " + (", ".join(f"{k} {v}" for k, v in report["summons_by_status"].items()) or "none")
          + f"; {report['summons_open_overdue']} open and overdue")
    return 0


# ---------------------------------------------------------------- etl
def etl_rows(results: list[Any]) -> list[dict[str, Any]]:
    """One row per source run, in run order: what ``etl`` prints as text and as JSON."""
    return [{
        "source": r.source, "target": r.target, "run_id": r.run_id, "status": r.status,
        "rows_read": r.rows_read, "rows_loaded": r.rows_loaded, "rows_rejected": r.rows_rejected,
        "watermark_before": r.watermark_before, "watermark_after": r.watermark_after,
        "attempts": r.attempts, "error": r.error,
    } for r in results]


def _results_table(rows: list[dict[str, Any]]) -> str:
    """``etl_rows`` as an aligned text table (counts right-aligned)."""
    head = ("source", "status", "read", "loaded", "rejected", "watermark")
    table = [head] + [(r["source"], r["status"], str(r["rows_read"]), str(r["rows_loaded"]), str(r["rows_rejected"]),
                       str(r["watermark_after"] or "-")) for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(head))]
    right = {2, 3, 4}
    lines = ["  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))).rstrip()
             for row in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def cmd_etl(args: argparse.Namespace) -> int:
    config = _config(args)
    unknown = [n for n in args.source or [] if n not in config.sources]
    if unknown:
        return fail(args, f"unknown source {', '.join(unknown)}; declared sources: {', '.join(sorted(config.sources))}",
                    EXIT_CONFIG)
    if (rc := _require_migrated(config, args)) is not None:
        return rc
    from cockpit.etl import run_sources
    from cockpit.warehouse.db import engine_for

    stop = _stop_on_signals()
    results = run_sources(config, engine_for(config.warehouse_url), names=args.source or None, full=args.full, stop=stop)
    rows = etl_rows(results)
    if wants_json(args):
        print_json(rows)
    else:
        print(_results_table(rows))
    failed = [r for r in rows if r["status"] == "failed"]
    for r in failed:
        print(f"{r['source']}: {r['error'] or 'failed'}", file=sys.stderr)
    return 1 if failed else 0


# ---------------------------------------------------------------- db
def revision_report(url: str) -> dict[str, Any]:
    """The warehouse (password hidden), its revision (None: not migrated), the head and whether they match."""
    from cockpit.warehouse import migrate

    current, head = migrate.current_revision(url), migrate.head_revision()
    return {"warehouse": _safe_url(url), "revision": current, "head": head, "up_to_date": current == head}


def cmd_db(args: argparse.Namespace) -> int:
    from cockpit.warehouse import migrate

    config = _config(args)
    url = config.warehouse_url
    as_json = wants_json(args)
    if args.db_command == "rebuild-aggregates":
        from cockpit.aggregates import rebuild_event_days
        from cockpit.etl.duplicates import configured_window_hours, relink_all
        from cockpit.warehouse.data_version import bump_data_version
        from cockpit.warehouse.db import engine_for

        engine = engine_for(url)
        relinked = relink_all(engine, window_hours=configured_window_hours(config))  # the aggregate leaves duplicates out
        if not as_json:
            print(f"duplicates: {relinked.events} events linked or un-linked", flush=True)
        rebuilt = rebuild_event_days(engine)
        with engine.begin() as conn:  # the screens read the rebuilt aggregates, not their cached results
            bump_data_version(conn)
        if as_json:
            print_json({"duplicates_relinked": relinked.events, "agg_event_day_rows": rebuilt})
        else:
            print(f"agg_event_day: {rebuilt} rows rebuilt from the event table")
        return 0
    if args.db_command == "upgrade":
        migrate.upgrade(url, args.revision)
    elif args.db_command == "downgrade":
        migrate.downgrade(url, args.revision)
    report = revision_report(url)
    if as_json:
        print_json(report)
    elif args.db_command == "upgrade":
        print(f"warehouse {report['warehouse']} upgraded to {report['revision']}")
    elif args.db_command == "downgrade":
        print(f"warehouse {report['warehouse']} downgraded to {report['revision'] or 'base (empty)'}")
    else:
        state = ("up to date" if report["up_to_date"]
                 else f"behind: head is {report['head']}, run `python -m cockpit db upgrade`")
        print(f"{report['revision'] or '(none)'} ({state})")
    return 0


# ---------------------------------------------------------------- scheduler, serve
def cmd_scheduler(args: argparse.Namespace) -> int:
    from cockpit.processes import AlreadyRunning
    from cockpit.scheduler import WarehouseNotReady, run_scheduler

    config = _config(args)
    try:
        return run_scheduler(config)
    except (AlreadyRunning, WarehouseNotReady) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def gunicorn_argv(config: Config, *, workers: int | None, port: int | None, host: str | None) -> list[str]:
    """The gunicorn command line serving ``app:server``."""
    bind = f"{host or config.get('app', 'host')}:{port or config.get('app', 'port')}"
    return [
        sys.executable, "-m", "gunicorn", "app:server",
        "--chdir", str(ROOT),
        "--bind", bind,
        "--workers", str(workers or config.get("app", "workers")),
        "--timeout", "120",
        "--graceful-timeout", "10",
        "--access-logfile", "-",
        "--no-control-socket",  # its default path is shared by every server on the machine
    ]


def _print_demo_accounts(config: Config) -> None:
    """Demo mode: one account per role, created on first serve; print those still on their generated password."""
    try:
        from cockpit.auth import ensure_demo_users
    except ImportError:
        return
    from cockpit.warehouse.db import engine_for

    accounts = ensure_demo_users(engine_for(config.warehouse_url))
    if accounts:
        print("demo accounts (app.demo = true; change or disable them for real use):")
        for username, password in accounts.items():
            print(f"  {username:<20} {password}")


def cmd_serve(args: argparse.Namespace) -> int:
    config = _config(args)
    if (rc := _require_migrated(config, args)) is not None:
        return rc
    argv = gunicorn_argv(config, workers=args.workers, port=args.port, host=args.host)
    if config.get("app", "demo"):
        _print_demo_accounts(config)
    print(f"serving the cockpit at http://{argv[argv.index('--bind') + 1]} with {argv[argv.index('--workers') + 1]} "
          "workers", flush=True)
    env = dict(os.environ)
    if args.config:  # workers load the configuration themselves
        env["COCKPIT_CONFIG"] = str(Path(args.config).resolve())
    os.execve(sys.executable, argv, env)  # gunicorn takes over this process: signals reach it directly
    return 0  # not reached


# ---------------------------------------------------------------- kpis, config check
def cmd_kpis(args: argparse.Namespace) -> int:
    """The boards' metrics with their definitions (docs/metrics.md is this command's --markdown)."""
    from cockpit.metrics import describe, markdown

    config = _config(args)
    if args.markdown:
        sys.stdout.write(markdown(config.kpis))
        return 0
    rows = describe(config.kpis, args.lang)
    if args.json:
        print_json(rows)
        return 0
    for r in rows:
        target = "" if r["target"] is None else f" target {r['target']:g}"
        sample = "" if r["min_sample"] is None else f" min {r['min_sample']}"
        print(f"{r['board']:<9} {r['key']:<24} {r['name']}  [{r['type']}, {r['unit'] or '-'}{target}{sample}]")
    return 0


def config_report(config: Config) -> dict[str, Any]:
    """What ``config check`` prints: the file, the warehouse (password hidden), the demo folder and the
    sources in declaration order (the order the ETL loads them), each probed (``cockpit.etl.probe``):
    reachable ("present"), its tables and columns, its replication plan, and every problem with its
    fix; ``valid`` is false when an enabled source has a configuration error."""
    from cockpit.etl.probe import location_problems, probe_source

    areas = location_problems(list(config.sources.values()), config.warehouse_url)
    sources = []
    for s in config.sources.values():
        probe = probe_source(s)
        probe.problems += areas.get(s.name, [])
        found = probe.as_dict()
        del found["source"]
        sources.append({
            "source": s.name, "department": s.department, "kind": s.kind, "target": s.target,
            "interval_minutes": s.interval_minutes, "enabled": s.enabled,
            "reads_from": _safe_url(s.url) if s.kind == "sql" else str(s.path), "present": probe.reachable,
            **found,
        })
    errors = sum(1 for s in sources if s["enabled"] for p in s["problems"] if p["severity"] == "error")
    return {"file": str(config.file), "warehouse": _safe_url(config.warehouse_url),
            "demo_sources_dir": str(config.get("demo", "sources_dir")), "valid": errors == 0,
            "config_errors": errors, "sources": sources}


def cmd_config(args: argparse.Namespace) -> int:
    report = config_report(_config(args))
    code = 0 if report["valid"] else EXIT_CONFIG
    if wants_json(args):
        print_json(report)
        return code
    print(f"configuration: {report['file']}")
    print(f"warehouse:     {report['warehouse']}")
    print(f"demo sources:  {report['demo_sources_dir']}")
    head = ("source", "department", "kind", "target", "every", "enabled", "reads from", "found")
    rows = [head]
    for s in report["sources"]:
        rows.append((s["source"], s["department"], s["kind"], s["target"], f"{s['interval_minutes']} min",
                     "yes" if s["enabled"] else "no", s["reads_from"], "yes" if s["present"] else "MISSING"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    for i, row in enumerate(rows):
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))
    print()
    for s in report["sources"]:
        print(_probe_line(s))
        for p in s["problems"]:
            print(f"  {p['severity'].upper()} {p['code']} [{p['key']}] {p['problem']}. Fix: {p['fix']}")
    enabled = sum(1 for s in report["sources"] if s["enabled"])
    if report["valid"]:
        print(f"{len(report['sources'])} sources ({enabled} enabled); configuration is valid")
    else:
        n = report["config_errors"]
        print(f"{len(report['sources'])} sources ({enabled} enabled); {n} configuration error{'s' if n != 1 else ''} "
              "in enabled sources: fix them and check again")
    return code


def _probe_line(s: dict[str, Any]) -> str:
    """One source's probe in a line: status, reached or not, table and columns, replication plan."""
    parts = [f"{s['source']}: {s['status']}"]
    parts.append("reachable" if s["reachable"] else "NOT reachable")
    if s.get("tables") is not None:
        parts.append(f"{len(s['tables'])} tables, {s['table_found'] and 'table found' or 'table MISSING'}")
    if s.get("columns") is not None:
        found = s["mapped_columns"] - len(s["missing_columns"])
        parts.append(f"{found} of {s['mapped_columns']} configured columns found among {len(s['columns'])}")
    rep = s["replication"]
    if rep["kind"] == "key":
        usable = {True: "", False: " (not usable)", None: " (not checked)"}[rep.get("usable")]
        parts.append(f"replication by {rep['column']!r}{usable}")
    else:
        parts.append("replication by row hashes (whole source every run)")
    return "; ".join(parts)


def cmd_sources(args: argparse.Namespace) -> int:
    """``sources preview NAME``: the first rows through the standardisation, nothing written."""
    config = _config(args)
    source = config.sources.get(args.name)
    if source is None:
        return fail(args, f"unknown source {args.name}; declared sources: {', '.join(sorted(config.sources))}",
                    EXIT_CONFIG)
    if args.rows < 1:
        return fail(args, f"--rows must be at least 1, got {args.rows}", EXIT_CONFIG)
    if (rc := _require_migrated(config, args)) is not None:
        return rc
    from cockpit.etl.extract import SourceUnavailable
    from cockpit.etl.preview import preview_source
    from cockpit.warehouse.db import engine_for

    try:
        report = preview_source(config, engine_for(config.warehouse_url), source, rows=args.rows)
    except SourceUnavailable as exc:
        return fail(args, f"source {source.name} is unavailable: {exc}. Check that it is reachable "
                    "(python -m cockpit config check)")
    if wants_json(args):
        print_json(report)
        return 0
    print(_preview_text(report))
    return 0


def _preview_text(r: dict[str, Any]) -> str:
    """The preview as text: counts, reasons, unmapped codes, then the rows and the quarantined ones."""
    out = [f"{r['source']} → {r['target']}: {r['rows_read']} rows read (asked {r['rows_asked']}), "
           f"{r['would_load']} would load, {r['would_quarantine']} would be quarantined"]
    if r["reasons"]:
        out += ["", "reasons:"] + [f"  {x['count']:>5}  {x['rule']}  {x['field'] or ''}".rstrip() for x in r["reasons"]]
    if r["unmapped_codes"]:
        out += ["", "unmapped codes (most frequent first):"]
        out += [f"  {x['count']:>5}  {x['field']} (column {x['column']!r}) = {x['code']!r}  [{x['rule']}]"
                for x in r["unmapped_codes"]]
    if r["fallbacks"]:
        out += ["", 'codes sent to a "*" fallback:']
        out += [f"  {x['count']:>5}  {x['field']} = {x['code']!r}" for x in r["fallbacks"]]
    if r["rows"]:
        out += ["", "would load:"]
        for row in r["rows"]:
            key = row.get("src_key")
            values = ", ".join(f"{k}={v}" for k, v in row.items() if k != "src_key" and v is not None)
            out.append(f"  {key}: {values}")
    if r["quarantined"]:
        out += ["", "would be quarantined:"]
        out += [f"  {q['key']}: {q['rule']} — {q['reason']}" for q in r["quarantined"]]
    return "\n".join(out)


# ---------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m cockpit",
        description="基层智治驾驶舱 · Township smart-governance cockpit.",
        epilog="Configuration: --config FILE, else $COCKPIT_CONFIG, else config/cockpit.toml; every setting can be "
               "overridden by environment (COCKPIT_<SECTION>_<KEY>, e.g. COCKPIT_WAREHOUSE_URL).",
    )
    parser.add_argument("--config", metavar="FILE", help="configuration file (default: $COCKPIT_CONFIG or config/cockpit.toml)")
    parser.add_argument("--as-of", metavar="TIME", help="pin the clock at this instant, China Standard Time "
                        "(e.g. 2026-12-01T00:05:00; default: $COCKPIT_NOW, else the real time)")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, func: Callable[[argparse.Namespace], int], help: str, description: str = "") -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=description or help)
        p.set_defaults(func=func)
        return p

    p = command("demo-sources", cmd_demo_sources, "generate the demo department sources",
                "Generate a seeded, fictional township with one database per department (and a GBK ledger). "
                "Does nothing if the folder already holds a manifest.json, unless --force.")
    p.add_argument("--scale", choices=("tiny", "town", "county"), help="size of the township (default: demo.scale)")
    p.add_argument("--out", metavar="DIR", help="target folder (default: demo.sources_dir)")
    p.add_argument("--seed", type=int, help="random seed (default: demo.seed)")
    p.add_argument("--force", action="store_true", help="replace existing sources")
    p.add_argument("--json", action="store_true", help=JSON_HELP + '. Shape: {"dir", "generated", and when '
                   'generated "scale", "seed", "tables", "rows", "bad_rows", "counts": {table: rows}}')

    p = command("simulate", cmd_simulate, "keep appending and updating live records in the demo sources",
                "Append new records and move existing ones through their lifecycle in the demo sources, "
                "every --interval seconds until stopped (or once with --once).")
    p.add_argument("--interval", type=float, metavar="S", help="seconds between steps (default: demo.simulate_interval_seconds)")
    p.add_argument("--once", action="store_true", help="one step, then exit")
    p.add_argument("--json", action="store_true", help=JSON_HELP + ' (with --once). Shape: [{"source", "inserted", '
                   '"updated", "at"}], one per source changed')

    p = command("demo-orders", cmd_demo_orders, "play the demo's field staff on work orders (demo mode)",
                "Demo mode only (app.demo): create the field accounts the simulator plays (a grid worker per grid, "
                "a liaison per department, the duty operator; random passwords nobody is shown), then make work "
                "orders of a sample of the past 8 weeks' events and play their lives at past times (acknowledged, "
                "resolved, some late, returned, reopened, closed; the recent ones left open). Does nothing if "
                "already done. With --step: one live step instead (the simulator does it after each step).")
    p.add_argument("--step", action="store_true", help="play one live step as of now: dispatch due warnings, act on "
                   "due orders")
    p.add_argument("--json", action="store_true", help=JSON_HELP + '. Shape: {"at", "accounts": {"grid_workers", '
                   '"grid_duties", "liaisons", "operators", "seconds"}, "backfill": {"done", "reason" | "orders", '
                   '"events_sampled", "actions", "escalations", "refused", "seconds"}, "by_status": {status: n}, '
                   '"open_overdue"}; with --step "dispatched": [{"warning", "order"}] and "acted": [{"order", '
                   '"action", "by"}] instead of "accounts" and "backfill"')

    p = command("etl", cmd_etl, "load the sources into the warehouse",
                "Load the sources into the warehouse (incremental by replication key unless --full). "
                "Prints one line per source; exits 1 if any source failed.")
    p.add_argument("--source", action="append", metavar="NAME", help="only this source (repeatable; default: all enabled)")
    p.add_argument("--full", action="store_true", help="full reconciliation: read everything, not just what changed")
    p.add_argument("--json", action="store_true", help=JSON_HELP + '. Shape: [{"source", "target", "run_id", '
                   '"status", "rows_read", "rows_loaded", "rows_rejected", "watermark_before", "watermark_after", '
                   '"attempts", "error"}], one per source run; the exit code is still 1 if any source failed')

    p = command("db", cmd_db, "warehouse migrations", "Warehouse schema migrations.")
    dbs = p.add_subparsers(dest="db_command", required=True, metavar="{upgrade,downgrade,current,rebuild-aggregates}")
    revision_json = JSON_HELP + ('. Shape: {"warehouse" (password hidden), "revision" (null: not migrated), '
                                 '"head", "up_to_date"}')
    up = dbs.add_parser("upgrade", help="migrate to the latest revision (or REV)", description="Migrate the warehouse "
                        "to the latest revision (or to REV) and refresh the reference code lists.")
    up.add_argument("revision", nargs="?", default="head", metavar="REV")
    up.add_argument("--json", action="store_true", help=revision_json)
    down = dbs.add_parser("downgrade", help="migrate down to REV", description="Migrate the warehouse down to REV "
                          "(a revision id, -1, or base). Dropped tables lose their data.")
    down.add_argument("revision", metavar="REV")
    down.add_argument("--json", action="store_true", help=revision_json)
    cur = dbs.add_parser("current", help="show the current revision", description="Show the warehouse's current revision.")
    cur.add_argument("--json", action="store_true", help=revision_json)
    rebuild = dbs.add_parser("rebuild-aggregates", help="recompute the read-side aggregates",
                             description="Link every duplicate report again (etl.duplicate_window_hours), then "
                             "recompute the aggregates the screens read (the ETL keeps both up to date; use this "
                             "after restoring a backup, editing facts by hand or changing the window).")
    rebuild.add_argument("--json", action="store_true", help=JSON_HELP + '. Shape: {"duplicates_relinked", '
                         '"agg_event_day_rows"}')

    command("scheduler", cmd_scheduler, "run the scheduler (one per deployment)",
            "Run the ETL on its schedule (every source on its interval, a daily full reconciliation) and the weekly "
            "report job, in the foreground until SIGTERM or Ctrl-C. Only one scheduler may run per deployment.")

    p = command("serve", cmd_serve, "serve the web app with several workers",
                "Serve the cockpit (app:server) with a WSGI server and several worker processes.")
    p.add_argument("--workers", type=int, metavar="N", help="worker processes (default: app.workers)")
    p.add_argument("--port", type=int, metavar="P", help="port (default: app.port)")
    p.add_argument("--host", help="address to bind (default: app.host)")

    p = command("kpis", cmd_kpis, "list the boards' metrics and what each means",
                "List each board's metrics in display order with their type, unit, target, minimum sample and "
                "definition ([kpis] in the configuration).")
    p.add_argument("--json", action="store_true", help=JSON_HELP + '. Shape: [{"board", "key", "name", "type", '
                   '"unit", "target", "min_sample", ...}], one per metric')
    p.add_argument("--markdown", action="store_true", help="print docs/metrics.md")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of names and definitions (default zh)")

    p = command("config", cmd_config, "configuration", "Configuration.")
    cs = p.add_subparsers(dest="config_command", required=True, metavar="{check}")
    check = cs.add_parser("check", help="validate the configuration and probe every source",
                          description="Load and validate the configuration; print the warehouse and the sources, and "
                          "probe each source: connect (a server with a 3-second timeout), list its tables and "
                          "columns, check the configured table, every mapped column and the replication key, and "
                          "the area codes its value maps name. Each problem is printed with its key and fix: a "
                          "configuration error (authentication failed, no such database, table or column), an "
                          "outage (unreachable, file not there yet; the ETL retries it) or a warning. Exits 2 if the "
                          "configuration does not load or an enabled source has a configuration error.")
    check.add_argument("--json", action="store_true", help=JSON_HELP + '. Shape: {"file", "warehouse" (password '
                       'hidden), "demo_sources_dir", "valid", "config_errors", "sources": [{"source", "department", '
                       '"kind", "target", "interval_minutes", "enabled", "reads_from", "present", "status" '
                       '(ok|warning|unavailable|config_error), "reachable", "tables", "table_found", "columns", '
                       '"mapped_columns", "missing_columns", "replication": {"kind" (key|hashes), "column", "note", '
                       '"usable", ...}, "problems": [{"severity" (error|unavailable|warning), "code", "key", '
                       '"problem", "fix"}]}]}; a configuration that does not load (exit 2): {"error", "file", "key", '
                       '"fix"}')

    p = command("sources", cmd_sources, "preview a source before loading it",
                "Work on one declared source without loading it.")
    ss = p.add_subparsers(dest="sources_command", required=True, metavar="{preview}")
    pv = ss.add_parser("preview", help="the first rows through the whole standardisation, nothing written",
                       description="Read the first rows of a source (in the order the first load reads them) through "
                       "the load's own standardisation and write nothing: each row as it would be loaded, or the "
                       "rule and reason it would be quarantined for, the count per reason, and the source codes "
                       "no value map knows, most frequent first. Needs a migrated warehouse (it checks codes "
                       "and places against its reference lists and area registry).")
    pv.add_argument("name", metavar="NAME", help="a declared source")
    pv.add_argument("--rows", type=int, default=20, metavar="N", help="how many rows to read (default 20)")
    pv.add_argument("--json", action="store_true", help=JSON_HELP + '. Shape: {"source", "target", "rows_asked", '
                    '"rows_read", "would_load", "would_quarantine", "reasons": [{"rule", "field", "count"}], '
                    '"unmapped_codes": [{"field", "column", "rule", "code", "count"}], "fallbacks": [{"field", '
                    '"code", "count"}], "rows": [{column: value}], "quarantined": [{"key", "rule", "field", '
                    '"reason", "raw"}]}')

    from cockpit.warnings.cli import register as register_warnings

    register_warnings(sub, command)
    from cockpit.orders.cli import register as register_orders

    register_orders(sub, command)
    from cockpit.whistles.cli import register as register_whistles

    register_whistles(sub, command)
    from cockpit.notify.cli import register as register_notify

    register_notify(sub, command)
    from cockpit.reports.cli import register as register_report

    register_report(sub, command)
    from cockpit.reports.archive_cli import register as register_reports_archive

    register_reports_archive(sub, command)
    try:  # user accounts, when the access-control module is installed
        from cockpit.auth.cli import register
    except ImportError:
        pass
    else:
        register(sub)
    return parser


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)  # one line per job run is enough
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _setup_logging(args.verbose)
    if args.as_of:
        try:
            clock.parse_instant(args.as_of)
        except clock.ClockError as exc:
            return fail(args, f"--as-of: {exc}", EXIT_CONFIG)
        os.environ[clock.ENV_NOW] = args.as_of  # the processes it starts (web workers, scheduler) see it too
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        if wants_json(args):
            print_json({"error": exc.problem, "file": exc.file, "key": exc.key, "fix": exc.fix})
        return EXIT_CONFIG
    except OperationalError as exc:  # the warehouse (or a source) cannot be reached
        reason = f"database not reachable: {str(exc.orig or exc).strip()}"
        print(f"error: {reason}\n"
              "Check warehouse.url (or $COCKPIT_WAREHOUSE_URL) and that the database server is running.", file=sys.stderr)
        if wants_json(args):
            print_json({"error": reason})
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
