"""The screens in a browser as of 1 December 00:05 and of a mid-month morning: each card says what it
is compared with and shows the figure of plain SQL; the trend's ticks are whole hours or days."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from sqlalchemy import text

from cockpit import clock
from cockpit.warehouse.db import engine_for
from tests.screens.conftest import SCREENSHOTS, Watched, add_accounts, serve_app

INSTANTS = {"first-of-month": datetime(2026, 12, 1, 0, 5), "mid-month": datetime(2026, 11, 18, 10, 30)}


@pytest.fixture(scope="module", params=list(INSTANTS))
def served_at(request, tmp_path_factory):
    from cockpit.warehouse.migrate import upgrade
    from tests.screens import dataset

    instant = INSTANTS[request.param]
    url = f"sqlite:///{tmp_path_factory.mktemp('boundary') / 'warehouse.db'}"
    upgrade(url)
    with clock.pinned(instant):
        dataset.build(url, events=600)
        add_accounts(url)
    with serve_app(url, COCKPIT_NOW=instant.isoformat()) as base:
        yield request.param, instant, url, base


def _count(url: str, sql: str, **params) -> int:
    with engine_for(url).connect() as conn:
        return int(conn.execute(text(sql), params).scalar())


def _number(s: str) -> int:
    return int(re.sub(r"[^\d]", "", s))


def test_cards_say_what_they_compare_and_match_sql(served_at, browser):
    name, instant, url, base = served_at
    w = Watched(browser)
    try:
        w.login(base)
        w.goto(base + "/")
        w.page.screenshot(path=str(SCREENSHOTS / f"bigscreen-{name}-1920x1080.png"))
        assert w.errors == []
        assert "近30天 · 较前30天" in w.page.locator("#big-period").inner_text()
        safety = w.page.locator("#big-board-safety")
        assert "较前30天" in safety.inner_text()
        events_card = safety.locator(".kpi-card").first
        assert "事件数" in events_card.inner_text() and "上报的事件数" in events_card.get_attribute("title")
        start = datetime(2026, 11, 2) if name == "first-of-month" else datetime(2026, 10, 20)
        raw = _count(url, "SELECT COUNT(*) FROM event WHERE duplicate_of IS NULL AND board = 'safety' "
                          "AND reported_at >= :a AND reported_at < :b", a=start, b=instant)
        assert _number(events_card.locator(".kpi-value").inner_text()) == raw

        w.goto(base + "/board/safety")  # this month: on the 1st, five minutes of it
        note = w.page.locator(".range-note").inner_text()
        assert "较上月同期" in note and "进行中" in note
        offer = w.page.locator("#board-just-begun")
        if name == "first-of-month":  # five minutes of December: the board offers the last 30 days
            assert offer.count() == 1 and "近30天" in offer.inner_text()
            assert "period=last30" in offer.get_attribute("href")
        else:
            assert offer.count() == 0
        w.page.screenshot(path=str(SCREENSHOTS / f"board-safety-{name}-1920x1080.png"), full_page=True)
        first = instant.replace(day=1, hour=0, minute=0)
        raw = _count(url, "SELECT COUNT(*) FROM event WHERE duplicate_of IS NULL AND board = 'safety' "
                          "AND reported_at >= :a AND reported_at < :b", a=first, b=instant)
        cards = w.page.locator("#board-kpis .kpi-card")
        assert _number(cards.nth(0).locator(".kpi-value").inner_text()) == raw
        for i in range(cards.count()):  # every card: compared with the same days of last month, or says why not
            text_ = cards.nth(i).inner_text()
            assert "较上月同期" in text_ or "样本不足" in text_ or "较上期" not in text_
            assert "较上期" not in text_
        assert w.errors == []
        day = date.fromordinal(instant.toordinal() - 1)  # yesterday, a whole day
        for query, pattern in ((f"period=custom&start={day}&end={day}", r"\d{2}:\d{2}"),  # one day: hours
                               ("period=last7", r"\d{2}-\d{2}")):  # a week: days
            w.goto(base + "/board/safety?" + query)
            ticks = w.page.locator("#board-trend .xtick text").all_text_contents()
            assert ticks and all(re.fullmatch(pattern, t_) for t_ in ticks), (query, ticks)
        w.page.screenshot(path=str(SCREENSHOTS / f"board-safety-last7-{name}-1920x1080.png"), full_page=True)
        assert w.errors == []
    finally:
        w.close()
