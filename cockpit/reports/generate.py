"""Make the weekly meeting report of one ISO week: ``generate_report`` → ``GeneratedReport`` (the PDF
bytes and what it is). Used by the ``report`` command, the scheduler's Monday job and the reports page.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from cockpit import clock
from cockpit.config import Config
from cockpit.i18n import normalise, t
from cockpit.reports import charts, render
from cockpit.reports.content import ReportInputError, gather, parse_week
from cockpit.scope import Scope
from cockpit.whistles.score import Period
from cockpit.whistles.settings import score_settings

__all__ = ["GeneratedReport", "ReportInputError", "generate_report", "parse_week"]


@dataclass(frozen=True)
class GeneratedReport:
    pdf: bytes
    pages: int
    week: str  # "2026-W47"
    township: str | None  # township code, None = the whole county/home township as the scope gives
    lang: str
    title: str
    empty: bool  # the week had no data
    sha256: str


def generate_report(config: Config, engine: Engine, week: str, township: str | None = None,
                    lang: str = "zh", *, now: datetime | None = None, scope: Scope | None = None) -> GeneratedReport:
    """The report of ``week`` ("2026-W47") for ``township`` (a code; None: the scope's home township)
    as of ``now`` (default: the clock), as ``scope`` sees it (None: the whole warehouse, as a leader).

    Raises ``ReportInputError`` (a ValueError) for a malformed week, a week that has not begun, or a
    township the warehouse does not hold. A week without data gives a report that says so."""
    if lang not in ("zh", "en"):
        raise ReportInputError(f"unknown language {lang!r} (zh or en)")
    period: Period = parse_week(week)
    at = (now or clock.now()).replace(microsecond=0)
    with charts.svg_session():  # the charts' browser starts while the week is read
        warming = threading.Thread(target=charts.warm_up, name="report-chart-browser", daemon=True)
        warming.start()
        try:
            content = gather(config, engine, period, township, normalise(lang), now=at,
                             scope=scope or Scope.everything())
        finally:
            warming.join()
        html = render.html_document(content, lang, score_settings=score_settings(config))
    pdf, pages = render.pdf_bytes(html)
    title = t("rpt.doc_title", lang, town=content.township["name"], week=content.week)
    return GeneratedReport(pdf=pdf, pages=pages, week=content.week, township=content.township["code"], lang=lang,
                           title=title, empty=content.empty, sha256=hashlib.sha256(pdf).hexdigest())
