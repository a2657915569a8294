"""The weekly meeting report's cost: generating one week's PDF for one township, end to end as the
``report`` command does it (queries with an empty cache, the charts' headless browser started, the
SVGs drawn, the PDF typeset), on the warehouse the ETL benchmark loaded and on the town baseline.

Target: under ``TARGET_SECONDS`` at county scale, and no more than ``TARGET_RATIO`` × the town figure.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

TARGET_SECONDS = 10.0
TARGET_RATIO = 1.5
REPS = 3


@dataclass
class ReportFigures:
    engine: str
    scale: str
    week: str
    township: str
    pages: int
    bytes: int
    seconds: list[float] = field(default_factory=list)  # one per generation

    @property
    def median(self) -> float:
        return statistics.median(self.seconds) if self.seconds else float("nan")


def last_full_week(now: datetime) -> str:
    """The ISO week before the one ``now`` is in (what Monday's report covers)."""
    year, week, _ = (now.date() - timedelta(days=7)).isocalendar()
    return f"{year}-W{week:02d}"


def measure(url: str, engine_name: str, scale: str, now: datetime, *, reps: int = REPS) -> ReportFigures:
    """``reps`` reports of the last full week before ``now`` for the warehouse's first township."""
    from cockpit.config import load_config
    from cockpit.reports.generate import generate_report
    from cockpit.warehouse.db import engine_for
    from queries._base import clear_cache
    from queries.score import townships

    config = load_config(None)
    engine = engine_for(url)
    town = townships(engine)[0]["code"]
    week = last_full_week(now)
    fig = ReportFigures(engine_name, scale, week, town, 0, 0)
    for _ in range(reps):
        clear_cache()
        started = time.perf_counter()
        report = generate_report(config, engine, week, town, now=now)
        fig.seconds.append(time.perf_counter() - started)
        fig.pages, fig.bytes = report.pages, len(report.pdf)
    engine.dispose()
    print(f"[{engine_name}] report {week} of {town} at {scale} scale: {fig.median:.2f}s median of {reps} "
          f"({fig.pages} pages, {fig.bytes / 1024:.0f} KB)", flush=True)
    return fig


def run_all(engines: list[str], cluster: Any, scale: str, measured_urls: dict[str, str], *,  # noqa: ANN401
            reps: int = REPS) -> list[dict]:
    """Per engine: the report on the warehouse loaded at ``scale`` and on the town baseline.
    Returns [{"engine", "measured": ReportFigures, "baseline": ReportFigures}]."""
    from benchmarks.rules_bench import demo_now
    from benchmarks.screens_bench import BASELINE_SCALE, baseline_warehouse
    from benchmarks.warehouses import demo_sources

    now = demo_now(demo_sources(scale))
    results = []
    for engine_name in engines:
        measured = measure(measured_urls[engine_name], engine_name, scale, now, reps=reps)
        if scale == BASELINE_SCALE:
            baseline = measured
        else:
            base_now = demo_now(demo_sources(BASELINE_SCALE))
            baseline = measure(baseline_warehouse(engine_name, cluster), engine_name, BASELINE_SCALE, base_now, reps=reps)
        results.append({"engine": engine_name, "measured": measured, "baseline": baseline})
    return results


def to_json(results: list[dict]) -> list[dict]:
    return [{"engine": r["engine"], "measured": asdict(r["measured"]),
             "baseline": None if r["baseline"] is r["measured"] else asdict(r["baseline"])} for r in results]


def from_json(data: list[dict]) -> list[dict]:
    out = []
    for r in data:
        measured = ReportFigures(**r["measured"])
        out.append({"engine": r["engine"], "measured": measured,
                    "baseline": measured if r["baseline"] is None else ReportFigures(**r["baseline"])})
    return out


def section(results: list[dict], scale: str) -> list[str]:
    """The Weekly report section of docs/benchmarks.md."""
    def ok(flag: bool) -> str:
        return "met" if flag else "**missed**"

    lines = ["## Weekly report", "",
             "Method: `generate_report` as the `report` command calls it, for the last full ISO week before the",
             "demo data's last day and the warehouse's first township, the query cache emptied first; each",
             "generation starts the charts' headless browser (kaleido, about 2–3 s of the figure), draws every",
             "chart as SVG and typesets the PDF (WeasyPrint). Median of "
             f"{results[0]['measured'].seconds and len(results[0]['measured'].seconds)} generations.", "",
             f"| engine | {scale} s | town s | ratio | pages | PDF KB | under {TARGET_SECONDS:.0f} s | "
             f"≤ {TARGET_RATIO}× town |", "|---|---|---|---|---|---|---|---|"]
    for r in results:
        m, b = r["measured"], r["baseline"]
        ratio = m.median / b.median if b.median else float("nan")
        lines.append(f"| {r['engine']} | {m.median:.2f} | {b.median:.2f} | {ratio:.2f} | {m.pages} | {m.bytes / 1024:.0f} "
                     f"| {ok(m.median < TARGET_SECONDS)} | {ok(ratio <= TARGET_RATIO)} |")
    return lines
