"""Render benchmark figures as docs/benchmarks.md."""

from __future__ import annotations

import os
from pathlib import Path

from benchmarks.screens_bench import BASELINE_SCALE, TARGET_BYTES, TARGET_P95_MS, TARGET_RATIO, ScreenFigures


def _ok(flag: bool) -> str:
    return "met" if flag else "**missed**"


def write_report(path: Path, report: dict) -> None:
    m = report["machine"]
    lines = [
        "# Benchmarks",
        "",
        "Produced by `make bench` (`python -m benchmarks`). Every figure is compared with a baseline",
        "measured in the same run on the same machine, so the ratios travel between machines better",
        "than the absolute numbers.",
        "",
        f"Run: {report['when']}, scale `{report['scale']}`.",
        "",
        "| machine | |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in m.items()],
        "",
        "## ETL",
        "",
        "Method: the demo department sources are generated at the given scale (county: 20 townships,",
        "one database per department). *Full load*: `run_sources(full=True)` into a freshly migrated",
        "warehouse, including extraction, standardisation, quarantine and the after-load hooks.",
        "*Incremental*: right after the full load, 1% of every SQL source table's rows changed (half late",
        "updates moving the replication key, half new rows where the table is keyed by source row), then",
        "an ordinary incremental `run_sources()`; its time includes the rules pass the after-load hook",
        "runs (see *Warning rules* below). *Raw limit*: measured after it (its gigabytes of scratch rows",
        "would push part of the warehouse out of the system's cache before the incremental): the rows the",
        "loads wrote (the incremental's are 0.2% of them), read back and inserted into empty copies of",
        "their tables without constraints by the fastest plain method of the engine (SQLite: `executemany`",
        "of tuples in one transaction; PostgreSQL: `COPY`), timing the insert only.",
        "Both run as configured by default: two worker processes (`etl.prepare_processes`) read and",
        "standardise the sources while the loading process writes; tables that are empty when the",
        "full load starts are loaded without their secondary indexes, built at its end (counted).",
        "",
        "| engine | rows loaded | full load | full rows/s | raw limit rows/s | full ÷ raw (target ≥ 0.5) | rows changed | incremental | incremental ÷ full (target ≤ 0.05) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for f in report["etl"]:
        ratio = f.full_rate / f.raw_rate
        incr_ratio = f.incr_seconds / f.full_seconds
        lines.append(
            f"| {f.engine} | {f.rows_loaded_full:,} | {f.full_seconds:.1f} s | {f.full_rate:,.0f} | {f.raw_rate:,.0f} | "
            f"{ratio:.2f} ({_ok(ratio >= 0.5)}) | {f.incr_rows_changed:,} (loaded {f.incr_rows_loaded:,}) | "
            f"{f.incr_seconds:.2f} s | {incr_ratio:.3f} ({_ok(incr_ratio <= 0.05)}) |"
        )
    timed = [f for f in report["etl"] if f.write_seconds]
    if timed:
        rows = []
        for f in timed:
            rest = f.full_seconds - f.write_seconds - f.index_seconds - f.hooks_seconds
            cpu = "– | –"
            if f.cores:
                busy = f.machine_cpu_seconds / (f.full_seconds * f.cores)
                cpu = f"{f.loader_cpu_seconds:.0f} s | {f.machine_cpu_seconds:.0f} s ({busy:.0%} of {f.cores} cores)"
            rows.append(f"| {f.engine} | {f.full_seconds:.1f} s | {f.write_seconds:.1f} s | {f.index_seconds:.1f} s | "
                        f"{f.hooks_seconds:.1f} s | {rest:.1f} s | {f.raw_seconds:.1f} s | {cpu} |")
        lines += _explained_table([
            "Where the full load's time went in the loading process: writing the batches (rows, quarantine,",
            "watermark, run counts; one transaction each), building the secondary indexes of the tables",
            "loaded from empty, the after-load hooks (the event aggregate), and the rest (waiting for the",
            "workers' batches, the area registry, run records). The raw limit is the time to insert the same",
            "rows into tables without any index. CPU: CPU-seconds spent during the full load by the loading",
            "process, and by the whole machine (the workers and the database server included), with the share",
            "of the machine's cores that was busy.",
        ], ["engine", "full load", "writing", "index builds", "after-load hooks", "rest", "raw limit (insert only)",
            "CPU: loading process", "CPU: machine (busy)"], rows)
    lines += _incremental_breakdown(report["etl"])
    floored = [f for f in report["etl"] if f.floor_insert_seconds]
    if floored:
        rows = []
        for f in floored:
            floor_rate = f.raw_rows / f.floor_seconds
            rows.append(f"| {f.engine} | {f.floor_insert_seconds:.1f} s | {f.floor_index_seconds:.1f} s | "
                        f"{f.floor_aggregate_seconds:.1f} s | {f.floor_seconds:.1f} s | {floor_rate:,.0f} | "
                        f"{floor_rate / f.raw_rate:.2f} | {f.full_rate / floor_rate:.2f} |")
        lines += _explained_table([
            "*Database floor*: the part of a full load no ETL can avoid, measured in the same run. The rows",
            "the loads wrote are inserted by the same fastest plain method as the raw limit, but into a",
            "fresh warehouse's own tables, which keep their primary keys and unique constraints (secondary",
            "indexes dropped, as a first load drops them); then those indexes and the event aggregate are",
            "built by the cockpit's own code. No reading, checking, mapping or hashing of source rows, no",
            "quarantine, no run records. *Floor ÷ raw* is therefore the best full ÷ raw any full load",
            "producing this warehouse could reach; *full ÷ floor* is what the ETL's own work costs on top.",
            "What these figures mean for the targets, and their history: [etl-performance.md](etl-performance.md).",
        ], ["engine", "insert with keys", "index builds", "event aggregate", "floor", "floor rows/s", "floor ÷ raw",
            "full ÷ floor"], rows)
    if report.get("rules") or report.get("delay"):
        lines += ["", *rules_section(report.get("rules", []), report.get("delay", []), report["scale"])]
    if report.get("screens"):
        lines += ["", *screens_section(report["screens"], report["scale"])]
    if report.get("report"):
        from benchmarks.report_bench import section as report_section

        lines += ["", *report_section(report["report"], report["scale"])]
    kept = report.get("kept")
    if kept and kept.get("parts"):
        when = kept.get("when")
        by_run: dict[str, list[str]] = {}
        for part in kept["parts"]:
            by_run.setdefault(str(when.get(part) if isinstance(when, dict) else when), []).append(part)
        lines += ["", "_This run measured only part of the benchmark (`--only`); " + "; ".join(
            f"the figures of {', '.join(parts)} are those of the run of {run}" for run, parts in by_run.items()) + "._"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _incremental_breakdown(etl: list) -> list[str]:
    """Where the 1 % incremental's time went, phase by phase, and each phase against the full load."""
    from benchmarks.etl_bench import INCR_PHASES

    timed = [f for f in etl if f.incr_phases]
    if not timed:
        return []
    names = [n for n in INCR_PHASES if any(n in f.incr_phases for f in timed)]
    names += sorted({n for f in timed for n in f.incr_phases} - set(names))
    rows = []
    for f in timed:
        cells = [f"{f.incr_phases.get(n, 0.0):.2f} s" for n in names]
        rows.append(f"| {f.engine} | {f.incr_seconds:.2f} s | " + " | ".join(cells) +
                    f" | {f.incr_loader_cpu_seconds:.1f} s |")
        cells = [f"{f.incr_phases.get(n, 0.0) / f.full_seconds:.4f}" for n in names]
        rows.append(f"| {f.engine} ÷ full load | {f.incr_seconds / f.full_seconds:.3f} | " + " | ".join(cells) + " | |")
    loaded = "; ".join(f"{f.engine}: " + ", ".join(f"{t} {n:,}" for t, n in sorted(f.incr_rows_by_table.items()) if n)
                       for f in timed if f.incr_rows_by_table)
    text = [
        "Where the 1 % incremental's time went in the loading process, each phase without the phases",
        "inside it: reading and standardising in this process (the area sources and the area registry),",
        "waiting for the workers' batches, writing the batches (rows, quarantine, watermark, run counts;",
        "one transaction each), opening and closing the run records, each after-load hook (duplicate",
        "links, the event aggregate, the warning rules), and the rest (the index check, the data version,",
        "SQLite's checkpoint, starting the workers). The second row of each engine is each phase over the",
        "full load's time. The warning rules (one pass over the rules' windows, whatever changed) and the",
        "run records do not shrink with the change; the other phases grow with the rows changed (the",
        "duplicate links walk again only the reports of the people, categories and grids whose linking",
        "columns changed, the aggregate recomputes only the groups whose input columns changed). CPU:",
        "the loading process's CPU-seconds. How these were made proportional: [etl-performance.md](etl-performance.md).",
    ]
    if loaded:
        text.append(f"Rows loaded per table: {loaded}.")
    writing = "; ".join(f"{f.engine}: " + ", ".join(
        f"{t} {secs:.2f} s" + (f" ({secs / n * 1e6:,.0f} µs a row)" if (n := f.incr_rows_by_table.get(t)) else "")
        for t, secs in sorted(f.incr_writing_by_table.items(), key=lambda kv: -kv[1]) if secs >= 0.005)
        for f in timed if f.incr_writing_by_table)
    if writing:
        text.append(f"The writing phase per table, largest first: {writing}.")
    return _explained_table(text, ["engine", "incremental", *names, "CPU: loading process"], rows)


def rules_section(rules: list[dict], delays: list, scale: str) -> list[str]:
    """The Warning rules section: one rules pass after the 1 % incremental load, and the end-to-end delay."""
    from benchmarks.rules_bench import SLOWEST, TARGET_PASS_RATIO, TARGET_PASS_SECONDS
    from benchmarks.screens_bench import BASELINE_SCALE

    base = BASELINE_SCALE
    lines = ["## Warning rules", ""]
    if rules:
        lines += [
            "Method: right after the ETL benchmark's 1 % incremental load (above), one rules pass",
            "(`cockpit.warnings.engine.run_rules`: every enabled rule evaluated and reconciled with the open",
            "warnings, then silences and escalation) on the same warehouse, with the clock pinned at the demo's",
            "“now” (the manifest's `now`) so that the rules' windows hold the demo's recent data. The",
            f"baseline is the same pass on a copy of the {base}-scale warehouse of the screens benchmark (1",
            "township) after its own 1 % incremental load, in the same run. The after-load hook's own pass,",
            "inside each incremental load, runs at the real clock and is counted in the load's time, not here.",
            "*Open warnings*: after the pass, so the reader sees it had real work; *new / joined / cleared*: what",
            "this pass changed.",
            "",
            f"| engine | scale | incremental load (its hook's pass included) | rules pass (target < {TARGET_PASS_SECONDS:.0f} s) "
            f"| pass ÷ {base} (target ≤ {TARGET_PASS_RATIO:.0f}) | open warnings | matched | new / joined / cleared | errors |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for row in rules:
            m, b = row["measured"], row["baseline"]
            figs = [m] if b is m else [b, m]
            for f in figs:
                ratio = f.seconds / b.seconds if b.seconds else float("inf")
                target = f"{f.seconds:.2f} s" + (f" ({_ok(f.seconds < TARGET_PASS_SECONDS)})" if f is m else "")
                ratio_s = f"{ratio:.2f} ({_ok(ratio <= TARGET_PASS_RATIO)})" if f is m and b is not m else "–"
                changed = " / ".join(str(sum(r[k] for r in f.rules)) for k in ("new", "joined", "cleared"))
                lines.append(f"| {f.engine} | {f.scale} | {f.incr_seconds:.2f} s ({f.incr_rows_changed:,} rows changed) | "
                             f"{target} | {ratio_s} | {f.open_warnings:,} | {sum(r['matched'] for r in f.rules):,} | "
                             f"{changed} | {len(f.errors)} |")
        lines += ["", f"The slowest rules of the {scale}-scale pass (seconds; the {base}-scale figure beside it):", "",
                  f"| engine | rule | kind | {scale} | {base} | matched |", "|---|---|---|---|---|---|"]
        for row in rules:
            m, b = row["measured"], row["baseline"]
            was = {r["rule"]: r["seconds"] for r in b.rules}
            for r in m.slowest(SLOWEST):
                lines.append(f"| {m.engine} | {r['rule']} | {r['kind']} | {r['seconds']:.2f} | "
                             f"{was.get(r['rule'], 0.0):.2f} | {r['matched']:,} |")
        errors = [f"- {row['measured'].engine}: {e}" for row in rules for e in row["measured"].errors]
        if errors:
            lines += ["", "Rules that failed in the pass:", "", *errors]
    if delays:
        d0 = delays[0]
        lines += [
            "",
            "### From a complaint to the big screen",
            "",
            "Method: a real scheduler process (`python -m cockpit scheduler`, every setting at its default: the",
            f"12345 hotline source every {d0.interval_minutes} min, the big screen refreshing every {d0.refresh_seconds} s) against",
            f"the {scale}-scale warehouse above and its demo sources. Two callers' complaints of one category in one",
            "grid of the township the big screen shows, with no event of that category there in the rule's",
            "window (one through the hotline, one through the 110 police desk), are committed into the source",
            "databases before it starts, so its",
            "first runs load them: no prominent issue yet (3 distinct callers through 2 channels are needed).",
            "When those first runs are over, a third caller's complaint is committed into the hotline database",
            "(a new work order, its replication key moved forward) and the clock starts. The warehouse is",
            "polled every second until the warning is open; a big-screen emulator that has been running the",
            "screen's live-list query (`queries.warnings.live_warnings`, with the level totals) every refresh",
            "interval since the scheduler started gives the refresh that shows it. *Expected*: from the parts —",
            "the wait for the hotline job (mean half its interval, worst the whole; on SQLite it includes the",
            "runs queued before it at the same tick), the load until the warning is open (as measured: the",
            "hotline run and, in its after-load hooks, the event aggregate and the rules pass up to the",
            "prominent-issue rule, which commits on its own before the other rules run; the whole pass is",
            "timed above), the wait for the screen's refresh (mean half, worst the whole), the query. Times",
            "are taken to about a second (the warehouse is polled every second; run records are stamped to",
            "the second).",
            "The baseline is the source interval plus the refresh interval: what the worst case of any design",
            "that polls at these defaults cannot go below.",
            "",
            "| engine | measured: on the big screen | open in the warehouse | wait for the hotline job | load until its rule ran "
            "| wait for the refresh | screen query | expected mean | expected worst | baseline (interval + refresh) "
            "| worst ÷ baseline |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for d in delays:
            lines.append(
                f"| {d.engine} | **{d.screen_after:.0f} s** | {d.open_after:.0f} s | {d.scheduler_wait:.0f} s | "
                f"{d.load_seconds:.1f} s | {d.screen_wait:.0f} s | {d.query_seconds * 1000:.0f} ms | "
                f"{d.expected_mean:.0f} s | {d.expected_worst:.0f} s | {d.polling_floor:.0f} s | "
                f"{d.expected_worst / d.polling_floor:.2f} |")
        lines += ["", "Where the measured run happened: " + "; ".join(
            f"{d.engine}: {d.category} in grid {d.grid}, the scheduler's first runs took {d.catch_up_seconds:.0f} s"
            for d in delays) + "."]
        notes = [n for d in delays for n in d.notes]
        if notes:
            lines += ["", *[f"- {n}" for n in dict.fromkeys(notes)]]
    return lines


def _explained_table(text: list[str], header: list[str], rows: list[str]) -> list[str]:
    """A paragraph, then a Markdown table with ``header`` over ``rows`` (lines already formatted)."""
    return ["", *text, "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header), *rows]


def _ms(fig: ScreenFigures, name: str) -> str:
    t = fig.timing(name)
    return f"{t.median:.0f} / {t.p95:.0f}"


def _kb(n: float) -> str:
    return f"{n / 1024:.0f} KB"


def screens_section(screens: list[dict], scale: str) -> list[str]:
    """The Screens section: figures per engine and scale, then the targets (cold figures)."""
    base = BASELINE_SCALE
    reps = screens[0]["measured"].reps
    lines = [
        "## Screens",
        "",
        "Method: the real Dash app (`app.py`) in a process of its own per warehouse, driven through its HTTP",
        "interface by a test client that signs in as a township leader and sends the requests the Dash",
        "renderer sends (the CSRF header included). *Big-screen refresh*: the `dcc.Interval` callback of `/`",
        "(one request). *Board filter change*: on `/board/safety`, the village filter set from “all” to each",
        "village of the township in turn: the filter callback, then the page-routing and navbar callbacks",
        "the new URL fires (three requests, times added). *Server time*: wall time of each request in the",
        "test client (session check, callback, queries, figures, JSON; no network), "
        f"{reps} calls after a warm-up.",
        "*Cold*: the query cache emptied before every call — what the first viewer meets after each ETL",
        "run, since the cache is keyed on the latest run; these are the figures held against the targets.",
        "*Warm*: the cache kept. *Bytes*: the response body of one refresh (the app sends it",
        "uncompressed; gzip size for a compressing proxy). The screens are viewed as of the demo data's",
        f"last day. The {scale} warehouse is the one the ETL benchmark above loaded; the {base} one is",
        "loaded from the town-scale sources. PostgreSQL is measured with planner statistics (`ANALYZE`",
        "first, as autovacuum keeps them in a running deployment); SQLite as loaded, without statistics,",
        "since nothing in the cockpit runs `ANALYZE` on it.",
        "",
        "What keeps the cost flat as the warehouse grows: every read is limited to the township the screen",
        "shows (a county warehouse holds twenty) through an index that leads with the area. Event figures,",
        "trends and breakdowns read the `agg_event_day` aggregate (per day × grid × category × channel) by",
        "village (and board); the map's open events come from the aggregate's rows that have open events (a",
        "partial index); the department ranking reads the township's events of the month by (village,",
        "reported at); the sensor means by (metric, grid, time); service figures by (grid, submitted at);",
        "today's dispatched events by dispatch time. A refresh makes its reads on one connection with the data",
        "version read once, reads each board's event totals from one statement, and builds its figures as",
        "plain Plotly dicts.",
        "",
        "Times in ms, median / p95.",
        "",
        "| engine | scale | events | refresh cold | refresh warm | filter change cold | filter change warm | filter: callback + page + navbar (cold median) | bytes per refresh (gzip) | bytes per filter change |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in screens:
        figs = [row["baseline"]] if row["baseline"] is row["measured"] else [row["baseline"], row["measured"]]
        for f in figs:
            parts = " + ".join(f"{f.filter_parts_cold[k]:.0f}" for k in ("filter", "page", "navbar"))
            lines.append(
                f"| {f.engine} | {f.scale} | {f.events:,} | {_ms(f, 'refresh_cold')} | {_ms(f, 'refresh_warm')} | "
                f"{_ms(f, 'filter_cold')} | {_ms(f, 'filter_warm')} | {parts} | "
                f"{_kb(f.refresh_bytes)} ({_kb(f.refresh_gzip_bytes)}) | {_kb(f.filter_bytes)} |"
            )
    loads = [f"{f.engine} {f.scale} {f.load_avg[0]:.1f} → {f.load_avg[1]:.1f}" for row in screens
             for f in ([row["baseline"]] if row["baseline"] is row["measured"] else [row["baseline"], row["measured"]])
             if f.load_avg]
    if loads:
        lines += ["", f"The machine's 1-minute load average before → after each measurement "
                      f"({os.cpu_count()} cores; other work on the machine inflates wall times): {'; '.join(loads)}."]
    lines += [
        "",
        f"Targets at {scale} scale (cold): p95 under {TARGET_P95_MS:.0f} ms for the refresh and for a filter change,",
        f"under {TARGET_BYTES // 1024} KB per refresh, and each no more than {TARGET_RATIO}× its {base}-scale figure.",
        "",
        f"| engine | refresh p95 | filter change p95 | bytes per refresh | refresh p95 ÷ {base} | filter p95 ÷ {base} | bytes ÷ {base} |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in screens:
        m, b = row["measured"], row["baseline"]
        rp, fp = m.timing("refresh_cold").p95, m.timing("filter_cold").p95
        r_ratio = rp / b.timing("refresh_cold").p95
        f_ratio = fp / b.timing("filter_cold").p95
        b_ratio = m.refresh_bytes / b.refresh_bytes
        lines.append(
            f"| {m.engine} | {rp:.0f} ms ({_ok(rp < TARGET_P95_MS)}) | {fp:.0f} ms ({_ok(fp < TARGET_P95_MS)}) | "
            f"{_kb(m.refresh_bytes)} ({_ok(m.refresh_bytes < TARGET_BYTES)}) | {r_ratio:.2f} ({_ok(r_ratio <= TARGET_RATIO)}) | "
            f"{f_ratio:.2f} ({_ok(f_ratio <= TARGET_RATIO)}) | {b_ratio:.2f} ({_ok(b_ratio <= TARGET_RATIO)}) |"
        )
    lines += ["", *_breakdown(screens, scale)]
    notes = [n for row in screens for n in row["measured"].notes + row["baseline"].notes]
    if notes:
        lines += ["", *[f"- {n}" for n in dict.fromkeys(notes)]]
    return lines


def _breakdown(screens: list[dict], scale: str, top: int = 8) -> list[str]:
    """Where a cold refresh's time goes: SQL per query function, and the rest of the request."""
    from benchmarks.screens_bench import BREAKDOWN_CALLS

    base = BASELINE_SCALE
    same = all(row["baseline"] is row["measured"] for row in screens)
    cols = [scale] if same else [base, scale]
    lines = [
        f"Where a cold refresh's time goes: SQL time per query (mean of {BREAKDOWN_CALLS} cold refreshes, timed",
        "statement by statement), and the rest of those requests (layout, figures, JSON, Flask and Dash), ms.",
        "",
        "| engine | query | " + " | ".join(cols) + " |",
        "|---|---|" + "---|" * len(cols),
    ]
    for row in screens:
        figs = [row["measured"]] if same else [row["baseline"], row["measured"]]
        m = row["measured"]
        names = list(m.refresh_sql)[:top]
        for name in names:
            lines.append(f"| {m.engine} | {name} | " + " | ".join(f"{f.refresh_sql.get(name, 0.0):.1f}" for f in figs) + " |")
        others = [sum(v for k, v in f.refresh_sql.items() if k not in names) for f in figs]
        sql = [sum(f.refresh_sql.values()) for f in figs]
        rest = [(f.refresh_timed_ms or f.timing("refresh_cold").median) - q for f, q in zip(figs, sql)]
        lines.append(f"| {m.engine} | other queries | " + " | ".join(f"{x:.1f}" for x in others) + " |")
        lines.append(f"| {m.engine} | **all SQL** | " + " | ".join(f"**{x:.1f}**" for x in sql) + " |")
        lines.append(f"| {m.engine} | rest of the request (timed refresh − SQL) | "
                     + " | ".join(f"{x:.1f}" for x in rest) + " |")
    if not same:
        grows = []
        for row in screens:
            b, m = row["baseline"], row["measured"]
            for name, ms in m.refresh_sql.items():
                was = b.refresh_sql.get(name, 0.0)
                if ms >= 5.0 and ms > 2.0 * max(was, 0.1):
                    grows.append(f"- {m.engine}: `{name}` {was:.1f} ms at {base} scale, {ms:.1f} ms at {scale} scale")
        lines += ["", f"Queries whose cost grows with the warehouse (over 2× from {base} to {scale} scale, at least 5 ms):", ""]
        lines += grows or ["- none"]
    return lines
