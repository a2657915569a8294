"""The weekly meeting report read back from its PDF with poppler (pdffonts, pdftotext).

The screens' dataset (``tests.screens.dataset``, on the suite's pinned clock: a Wednesday of
2026-W47) gives known rows; the report of the running week 2026-W47 and of the finished 2026-W46
must hold every section heading, embed the CJK font, and carry key numbers equal both to SQL
written here and to what the screens' query functions return for the same week.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from cockpit import clock
from cockpit.config import load_config
from cockpit.i18n import t
from cockpit.reports.generate import GeneratedReport, generate_report, parse_week
from cockpit.reports.render import fmt, value_cell, kpi_label
from cockpit.scope import Scope
from cockpit.warehouse.db import engine_for
from queries import events, kpis
from queries import orders as qo
from queries._base import clear_cache
from queries.filters import parse_filters
from tests.screens import dataset
from tests.screens.dataset import TOWNSHIP

SECTIONS = ("rpt.sec.summary", "rpt.sec.boards", "rpt.sec.warnings", "rpt.sec.orders", "rpt.sec.ranking",
            "rpt.sec.decisions", "rpt.sec.appendix")
BOARDS = ("party", "economy", "safety", "services")


def pdftotext(pdf: bytes, tmp: Path, *, layout: bool = True) -> str:
    path = tmp / "r.pdf"
    path.write_bytes(pdf)
    args = ["pdftotext", "-enc", "UTF-8"] + (["-layout"] if layout else []) + [str(path), "-"]
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def squeeze(s: str) -> str:
    """Text without any whitespace (pdftotext spaces CJK text unevenly)."""
    return re.sub(r"\s+", "", s)


def week_bounds(now: datetime) -> tuple[datetime, datetime]:
    """Monday 00:00 of ``now``'s week and the instant its running figures are taken at."""
    monday = datetime.combine(now.date() - timedelta(days=now.weekday()), datetime.min.time())
    return monday, now.replace(second=0, microsecond=0)


@pytest.fixture(scope="module")
def warehouse(_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("report") / "warehouse.db"
    shutil.copyfile(_sqlite_template, path)
    url = f"sqlite:///{path}"
    dataset.build(url)
    clear_cache()
    return url


@pytest.fixture(scope="module")
def reports(warehouse: str) -> dict[str, GeneratedReport]:
    config = load_config(None)
    engine = engine_for(warehouse)
    return {"zh": generate_report(config, engine, "2026-W47"),
            "en": generate_report(config, engine, "2026-W47", lang="en"),
            "finished": generate_report(config, engine, "2026-W46")}


def test_the_suite_clock_is_in_the_week_reported() -> None:
    assert parse_week("2026-W47").start <= clock.now().date() < parse_week("2026-W47").end


def test_the_cjk_font_is_embedded_and_subset(reports: dict[str, GeneratedReport], tmp_path: Path) -> None:
    path = tmp_path / "r.pdf"
    path.write_bytes(reports["zh"].pdf)
    out = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
    rows = [line.split() for line in out.splitlines()[2:] if line.strip()]
    cjk = [r for r in rows if "CJK" in r[0].replace("-", "")]
    assert cjk, out
    for r in rows:  # every font embedded (emb column "yes"), the CJK ones subset (name prefix ABCDEF+)
        assert r[-5] == "yes", out
    assert all(re.match(r"^[A-Z]{6}\+", r[0]) for r in cjk), out


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_section_heading_is_in_the_text(reports: dict[str, GeneratedReport], lang: str, tmp_path: Path) -> None:
    body = squeeze(pdftotext(reports[lang].pdf, tmp_path))
    for key in SECTIONS:
        assert squeeze(t(key, lang)) in body, key
    assert squeeze(t("rpt.title", lang)) in body
    assert reports[lang].lang == lang and reports[lang].week == "2026-W47" and reports[lang].township == TOWNSHIP


def test_every_page_has_its_number_and_the_week_in_the_footer(reports: dict[str, GeneratedReport], tmp_path: Path) -> None:
    r = reports["zh"]
    pages = pdftotext(r.pdf, tmp_path).split("\f")
    pages = [p for p in pages if p.strip()]
    assert len(pages) == r.pages > 3
    for n, page in enumerate(pages, start=1):
        assert squeeze(t("rpt.page", "zh", n=n, m=r.pages)) in squeeze(page), n
        if n > 1:  # the cover has no running title, the others the township and the week
            assert "2026-W47" in page, n
    en = [p for p in pdftotext(reports["en"].pdf, tmp_path).split("\f") if p.strip()]
    assert squeeze(t("rpt.page", "en", n=2, m=reports["en"].pages)) in squeeze(en[1])


def _key_numbers(url: str, now: datetime) -> dict:
    """The week's key numbers of the township by SQL written here (not the report's queries)."""
    start, until = week_bounds(now)
    like = TOWNSHIP + "%"
    with engine_for(url).connect() as conn:
        def one(sql: str, **params) -> object:
            return conn.execute(text(sql), {"start": start, "until": until, "like": like, **params}).scalar()

        n_events = one("SELECT count(*) FROM event WHERE duplicate_of IS NULL AND reported_at >= :start "
                       "AND reported_at < :until AND village_code LIKE :like")
        in_week = ("FROM warning WHERE opened_at >= :start AND opened_at < :until AND "
                   "coalesce(grid_code, village_code, township_code) LIKE :like")
        n_warnings = one("SELECT count(*) " + in_week)
        by_status = dict(conn.execute(text("SELECT status, count(*) " + in_week + " GROUP BY status"),
                                      {"start": start, "until": until, "like": like}).all())
        n_before = one("SELECT count(*) " + in_week, start=start - timedelta(days=7), until=until - timedelta(days=7))
        rows = conn.execute(text("SELECT created_at, acknowledged_at FROM work_order WHERE created_at >= :start AND "
                                 "created_at < :until AND status <> 'dismissed' AND grid_code LIKE :like"),
                            {"start": start, "until": until, "like": like}).all()
    def dt(v):  # noqa: ANN001, ANN202 - SQLite hands timestamps back as text
        return datetime.fromisoformat(v) if isinstance(v, str) else v

    acked = [(dt(a) - dt(c)).total_seconds() / 60 for c, a in rows if a is not None]
    handled = sum(int(by_status.get(x, 0)) for x in ("resolved", "cleared", "closed"))
    dismissed = int(by_status.get("dismissed", 0))
    return {"events": int(n_events), "warnings": int(n_warnings), "orders": len(rows), "warnings_before": int(n_before),
            "warnings_handled": handled, "warnings_dismissed": dismissed,
            "warnings_open": int(n_warnings) - handled - dismissed,
            "mtta": sum(acked) / len(acked) if acked else None}


@pytest.mark.parametrize("engine_kind", ["sqlite", "postgresql"])
def test_key_numbers_equal_sql_and_the_screens_queries(engine_kind: str, request: pytest.FixtureRequest,
                                                       tmp_path: Path) -> None:
    url = request.getfixturevalue("sqlite_url" if engine_kind == "sqlite" else "pg_url")
    dataset.build(url)
    clear_cache()
    now = clock.now()
    report = generate_report(load_config(None), engine_for(url), "2026-W47", now=now)
    body = squeeze(pdftotext(report.pdf, tmp_path))
    sql = _key_numbers(url, now)
    assert sql["events"] > 0 and sql["warnings"] > 0 and sql["orders"] > 0 and sql["mtta"] is not None

    # the screens' reads of the same week: the board pages' "week" filters, the desk's week statistics
    engine, scope = engine_for(url), Scope.everything()
    week, _ = parse_filters({"period": "week"}, now)
    figures = events.event_figures(engine, scope, week, area=TOWNSHIP)
    desk = qo.response_times(engine, scope, qo.OrderFilters(view="stats", period="week"), now=now, by="department")
    total = desk[desk["key"] == "all"].iloc[0]
    assert int(figures["n_reported"]) == sql["events"]
    assert int(total["orders"]) == sql["orders"]
    assert float(total["mtta_minutes"]) == pytest.approx(sql["mtta"])

    before = events.event_figures(engine, scope, week.previous(), area=TOWNSHIP)
    gist = squeeze(t("rpt.summary.text", "zh", n=sql["events"], p=fmt(before["n_reported"]),
                     at=now.strftime("%Y-%m-%d %H:%M"), o=fmt(figures["n_open"]), w=sql["warnings"], pw=sql["warnings_before"],
                     orders=sql["orders"], mtta=t("rpt.minutes", "zh", v=f"{sql['mtta']:.1f}"), mttr="—"))
    assert gist.split("MTTR")[0] in body, gist  # up to the MTTR, which the dataset's orders may not have

    assert squeeze(t("rpt.warn.raised", "zh", n=sql["warnings"], p=sql["warnings_before"], r=sql["warnings_handled"],
                     d=sql["warnings_dismissed"], o=sql["warnings_open"])) in body

    # each board's KPI table carries the board page's cards for the week
    lines = [squeeze(line) for line in pdftotext(report.pdf, tmp_path).splitlines()]
    for board in BOARDS:
        f, _ = parse_filters({"period": "week"}, now, board=board)
        cards = kpis.board_kpis(engine, scope, f, TOWNSHIP, settings=load_config(None).kpis)
        assert not cards.empty
        caption = re.compile(rf"^表\d+{t(f'board.{board}', 'zh')}指标$")
        at = next(i for i, line in enumerate(lines) if caption.match(line))
        table = lines[at + 1: at + 1 + 4 * len(cards) + 4]
        for card in cards.to_dict("records"):
            expected = squeeze(kpi_label(card, "zh") + value_cell(card, "zh") + value_cell(card, "zh", "previous"))
            assert any(line.startswith(expected) for line in table), (board, expected, table)


def test_a_finished_week_is_compared_with_the_whole_week_before(reports: dict[str, GeneratedReport],
                                                                 tmp_path: Path) -> None:
    body = squeeze(pdftotext(reports["finished"].pdf, tmp_path))
    assert squeeze(t("compare.week", "zh")) in body  # 较上周, not 较上周同期
    assert squeeze(t("rpt.summary.by_board", "zh", vs=t("compare.week_to_date", "zh"))) not in body
    assert "2026-11-09至2026-11-15" in body
    assert reports["finished"].empty is False


def test_no_personal_number_reaches_the_pdf(reports: dict[str, GeneratedReport], tmp_path: Path) -> None:
    body = pdftotext(reports["zh"].pdf, tmp_path)
    assert not re.search(r"(?<!\d)1[3-9]\d{9}(?!\d)", body)
    assert not re.search(r"(?<!\d)\d{17}[\dXx](?!\d)", body)


@pytest.mark.parametrize("which", ["zh", "en", "finished"])
def test_no_missing_value_is_printed_as_code(reports: dict[str, GeneratedReport], which: str, tmp_path: Path) -> None:
    body = pdftotext(reports[which].pdf, tmp_path)
    assert not re.search(r"(?<![A-Za-z])(nan|NaN|None|NaT|null)(?![A-Za-z])", body), \
        re.search(r".{40}(?<![A-Za-z])(nan|NaN|None|NaT|null)(?![A-Za-z]).{40}", body, re.S)


def test_charts_are_vector_with_their_text_searchable(reports: dict[str, GeneratedReport], tmp_path: Path) -> None:
    path = tmp_path / "r.pdf"
    path.write_bytes(reports["zh"].pdf)
    images = subprocess.run(["pdfimages", "-list", str(path)], check=True, capture_output=True, text=True).stdout
    assert len([line for line in images.splitlines()[2:] if line.strip()]) == 0, images  # no bitmap anywhere
    body = squeeze(pdftotext(reports["zh"].pdf, tmp_path))
    # the legends of the screens' builders (reported / resolved, open), as text in the charts
    for key in ("series.reported", "series.resolved", "series.open"):
        assert squeeze(t(key, "zh")) in body, key
    # the boards' trend and category charts with data name the reported series in their legends
    assert body.count(squeeze(t("series.reported", "zh"))) >= 4
    assert squeeze(t("rpt.fig.trend", "zh", n=1, board=t("board.party", "zh"))) in body
