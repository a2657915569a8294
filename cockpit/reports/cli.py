"""``python -m cockpit report --week 2026-W47 [--township CODE] [--lang en] --out report.pdf [--json]``.

The command line sees the whole warehouse (an unrestricted ``Scope``, as a leader). A malformed
week, a week that has not begun or an unknown township exits 2 with what to write instead; a week
without data still gives a report, which says so.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable

from cockpit.cli_output import JSON_HELP, fail, print_json, require_migrated, wants_json

EXIT_INPUT = 2
REPORT_SHAPE = ('. Shape: {"file", "pages", "bytes", "sha256", "week", "township", "lang", "title", "empty" (the '
                'week had no data), "seconds"}')


def register(sub: argparse._SubParsersAction, command: Callable[..., argparse.ArgumentParser]) -> None:
    """Add ``report`` to the CLI (``command`` as in ``cockpit.cli.build_parser``)."""
    p = command("report", cmd_report, "make the weekly meeting report (周例会报告) of an ISO week as a PDF",
                "Make the weekly meeting report of one ISO week and one township as an A4 PDF: the week against "
                "the one before per board, each board's indicators with charts, warnings, work orders with MTTA "
                "and MTTR, the department ranking with the cases behind the bottom scores, the items for the "
                "meeting to decide, and the sources' freshness. The numbers are the screens'.")
    p.add_argument("--week", required=True, metavar="YYYY-Www", help="the ISO week, e.g. 2026-W47")
    p.add_argument("--township", metavar="CODE", help="a township code (default: the warehouse's first township)")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of the report (default zh)")
    p.add_argument("--out", required=True, metavar="FILE", help="where to write the PDF, e.g. report.pdf")
    p.add_argument("--json", action="store_true", help=JSON_HELP + REPORT_SHAPE)


def cmd_report(args: argparse.Namespace) -> int:
    import time

    from cockpit.config import load_config
    from cockpit.reports.generate import ReportInputError, generate_report, parse_week
    from cockpit.warehouse.db import engine_for

    try:
        parse_week(args.week)  # before touching the warehouse: a typo is told at once
    except ValueError as exc:
        return fail(args, str(exc), EXIT_INPUT)
    out = Path(args.out)
    if out.is_dir():
        return fail(args, f"--out {out} is a folder: name the PDF file, e.g. {out / 'report.pdf'}", EXIT_INPUT)
    if not out.parent.exists():
        return fail(args, f"--out: the folder {out.parent} does not exist (create it, or write elsewhere)", EXIT_INPUT)
    config = load_config(args.config)
    if (code := require_migrated(args, config.warehouse_url)) is not None:
        return code
    started = time.perf_counter()
    try:
        report = generate_report(config, engine_for(config.warehouse_url), args.week, args.township, args.lang)
    except ReportInputError as exc:
        return fail(args, str(exc), EXIT_INPUT)
    try:
        out.write_bytes(report.pdf)
    except OSError as exc:
        return fail(args, f"cannot write {out}: {exc.strerror or exc}", 1)
    row = {"file": str(out), "pages": report.pages, "bytes": len(report.pdf), "sha256": report.sha256,
           "week": report.week, "township": report.township, "lang": report.lang, "title": report.title,
           "empty": report.empty, "seconds": round(time.perf_counter() - started, 2)}
    if wants_json(args):
        print_json(row)
        return 0
    note = " (the week had no data: the report says so)" if report.empty else ""
    print(f"{report.title}: {out}, {report.pages} pages, {len(report.pdf):,} bytes{note}", file=sys.stdout)
    return 0
