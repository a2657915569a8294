"""Render benchmark figures as docs/benchmarks.md."""

from __future__ import annotations

from pathlib import Path


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
        "warehouse, including extraction, standardisation, quarantine and the after-load hooks. *Raw",
        "limit*: the same rows the full load wrote, read back and inserted into empty copies of their",
        "tables without constraints by the fastest plain method of the engine (SQLite: `executemany` of",
        "tuples in one transaction; PostgreSQL: `COPY`), timing the insert only. *Incremental*: 1% of",
        "every SQL source table's rows changed (half late updates moving the replication key, half new",
        "rows where the table is keyed by source row), then an ordinary incremental `run_sources()`.",
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
    if report.get("screens"):
        lines += ["", "## Screens", ""]
        lines += report["screens_md"] if "screens_md" in report else [str(x) for x in report["screens"]]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
