"""The records table read from the server a page at a time, its total, its duplicates and the CSV and
Excel exports.

Expected numbers come from SQL written here over ``event``, not from ``queries/``.
"""

from __future__ import annotations

import base64
import csv
import io
import re
from datetime import datetime
from typing import Any, Iterator

import pandas as pd
import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlalchemy import text

from cockpit import clock
from cockpit.aggregates import rebuild_event_days
from cockpit.scope import EVERYTHING, Scope
from cockpit.warehouse.db import engine_for
from queries import events
from queries._base import clear_cache
from queries.filters import Filters, parse_filters
from tests.screens import dataset
from tests.screens.conftest import (
    ACCOUNTS,
    SCREENSHOTS,
    Watched,
    screens_warehouse,
    serve_app,
)
from tests.screens.dataset import VILLAGES

VILLAGE = list(VILLAGES)[1]
GRID_MAN = ACCOUNTS["gridman"][1]["grid_codes"][0]
OTHER_VILLAGE = next(v for v in VILLAGES if not GRID_MAN.startswith(v))


def _filters(board: str | None = "safety", **query: str) -> Filters:
    f, bad = parse_filters({"period": "last12m", **query}, clock.now(), board=board)
    assert bad == []
    return f


def _raw_where(f: Filters, *, open_only: bool = False, village: str | None = None,
               boards: tuple[str, ...] | None = None) -> tuple[str, dict]:
    """The records of a view as SQL written out here: ``village`` / ``boards`` stand for a scope."""
    sql = ["duplicate_of IS NULL", "reported_at >= :a", "reported_at < :b"]
    params: dict[str, Any] = {"a": datetime.combine(f.start, datetime.min.time()),
                              "b": datetime.combine(f.end, datetime.min.time())}
    if f.board:
        sql.append("board = :board")
        params["board"] = f.board
    if f.village:
        sql.append("village_code = :fv")
        params["fv"] = f.village
    if f.category:
        sql.append("category_code = :cat")
        params["cat"] = f.category
    if open_only:
        sql.append("status NOT IN ('resolved', 'closed')")
    if village:
        sql.append("village_code = :sv")
        params["sv"] = village
    if boards is not None:
        sql.append("board IN (" + ", ".join(f"'{b}'" for b in boards) + ")")
    return " AND ".join(sql), params


def _raw(engine, sql: str, params: dict) -> list[tuple]:  # noqa: ANN001
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql), params).fetchall()]


def link_duplicates(url: str) -> dict[int, int]:
    """Mark a few of the last 12 months' safety events as duplicates of its two newest: three of the first,
    one of the second; the aggregates are rebuilt. Returns the view's {record id: duplicates linked
    to it} for the records that have any (raw SQL)."""
    engine = engine_for(url)
    where, params = _raw_where(_filters())
    ids = [r[0] for r in _raw(engine, f"SELECT id FROM event WHERE {where} ORDER BY reported_at DESC, id DESC", params)]
    assert len(ids) > 20, "the data set must have a few pages of safety events in the last 12 months"
    links = {ids[-1]: ids[0], ids[-2]: ids[0], ids[-3]: ids[0], ids[-4]: ids[1]}
    with engine.begin() as conn:
        for dup, of in links.items():
            conn.execute(text("UPDATE event SET duplicate_of = :of WHERE id = :id"), {"of": of, "id": dup})
    rebuild_event_days(engine)
    clear_cache()
    return _linked(engine, _filters())


def _linked(engine, f: Filters) -> dict[int, int]:  # noqa: ANN001
    """{record id: events linked to it as duplicates} of the view's records that have any (raw SQL)."""
    where, params = _raw_where(f)
    return dict(_raw(engine, f"SELECT e.id, (SELECT COUNT(*) FROM event d WHERE d.duplicate_of = e.id) AS n FROM event e "
                             f"WHERE {where} AND EXISTS (SELECT 1 FROM event d WHERE d.duplicate_of = e.id)", params))


@pytest.fixture
def wh(db_url: str):
    dataset.build(db_url)
    link_duplicates(db_url)
    return engine_for(db_url)


VIEWS = {  # name -> (filters, event_records keywords, scope, raw-SQL scope)
    "safety, last 12 months": (lambda: _filters(), {}, EVERYTHING, {}),
    "a village": (lambda: _filters(village=VILLAGE), {}, EVERYTHING, {}),
    "a category": (lambda: _filters(category="SAF-DISPUTE"), {}, EVERYTHING, {}),
    "open only": (lambda: _filters(), {"open_only": True}, EVERYTHING, {"open_only": True}),
    "every board": (lambda: _filters(None), {}, EVERYTHING, {}),
    "scoped to a village": (lambda: _filters(None), {}, Scope(areas=frozenset({VILLAGE})), {"village": VILLAGE}),
    "scoped to a board": (lambda: _filters(None), {}, Scope(boards=frozenset({"safety"})), {"boards": ("safety",)}),
}


@pytest.mark.parametrize("view", list(VIEWS))
def test_total_and_pages_match_raw_sql(wh, view):
    make, kw, scope, raw_scope = VIEWS[view]
    f = make()
    where, params = _raw_where(f, **raw_scope)
    expected = [r[0] for r in _raw(wh, f"SELECT id FROM event WHERE {where} ORDER BY reported_at DESC, id DESC", params)]
    assert _raw(wh, f"SELECT COUNT(*) FROM event WHERE {where}", params)[0][0] == len(expected)
    assert expected, view
    assert events.count_event_records(wh, scope, f, **kw) == len(expected)
    for size in (15, 7):
        got: list[int] = []
        for offset in range(0, len(expected) + size, size):  # one page past the end: empty
            page = events.event_records(wh, scope, f, offset=offset, limit=size, **kw)
            assert len(page) <= size
            got += [int(i) for i in page["id"]]
        assert got == expected  # every id exactly once, newest first


def test_iterating_in_chunks_returns_every_record_in_order(wh):
    f = _filters(None)
    where, params = _raw_where(f)
    expected = [r[0] for r in _raw(wh, f"SELECT id FROM event WHERE {where} ORDER BY reported_at DESC, id DESC", params)]
    chunks = list(events.iter_event_records(wh, EVERYTHING, f, chunk=16))
    assert all(len(c) == 16 for c in chunks[:-1])
    assert [int(i) for c in chunks for i in c["id"]] == expected
    capped = [int(i) for c in events.iter_event_records(wh, EVERYTHING, f, chunk=16, limit=40) for i in c["id"]]
    assert capped == expected[:40]


def test_sorted_pages_follow_the_column_then_newest_first(wh):
    f = _filters()
    where, params = _raw_where(f)
    expected = [r[0] for r in _raw(wh, f"SELECT id FROM event WHERE {where} ORDER BY status ASC, reported_at DESC, id DESC",
                                   params)]
    got = []
    for offset in range(0, len(expected), 15):
        got += [int(i) for i in events.event_records(wh, EVERYTHING, f, offset=offset, limit=15,
                                                      order=(("status", "asc"),))["id"]]
    assert got == expected
    top = events.event_records(wh, EVERYTHING, f, limit=2, order=(("n_duplicates", "desc"),))
    assert list(top["n_duplicates"]) == sorted(_linked(wh, f).values(), reverse=True)[:2]
    with pytest.raises(ValueError):
        events.event_records(wh, EVERYTHING, f, order=(("content; DROP TABLE event", "asc"),))
    with pytest.raises(ValueError):
        events.event_records(wh, EVERYTHING, f, order=(("status", "sideways"),))


def test_duplicates_per_record_match_raw_sql(wh):
    f = _filters(None)
    where, params = _raw_where(f)
    linked = dict(_raw(wh, "SELECT duplicate_of, COUNT(*) FROM event WHERE duplicate_of IS NOT NULL GROUP BY duplicate_of", {}))
    recs = events.event_records(wh, EVERYTHING, f, limit=10_000)
    assert len(recs) == _raw(wh, f"SELECT COUNT(*) FROM event WHERE {where}", params)[0][0]
    got = {int(i): int(n) for i, n in zip(recs["id"], recs["n_duplicates"])}
    assert {i: linked.get(i, 0) for i in got} == got
    assert sum(1 for n in got.values() if n) >= 2  # the links made above, at least


def test_a_record_without_a_title_is_headed_by_the_start_of_its_text(wh):
    f = _filters(None)
    where, params = _raw_where(f)
    ids = [r[0] for r in _raw(wh, f"SELECT id FROM event WHERE {where} ORDER BY id LIMIT 2", params)]
    text_ = "来电人反映" + "路灯不亮" * 20  # longer than a headline
    with wh.begin() as conn:
        conn.execute(text("UPDATE event SET title = NULL, content = :c WHERE id = :i"), {"c": text_, "i": ids[0]})
        conn.execute(text("UPDATE event SET title = '', content = NULL WHERE id = :i"), {"i": ids[1]})
    clear_cache()
    recs = events.event_records(wh, EVERYTHING, f, limit=10_000).set_index("id")
    assert recs.loc[ids[0], "title"] == text_[:events.HEADLINE_CHARS]
    assert pd.isna(recs.loc[ids[1], "title"])  # neither a title nor a text: nothing made up


# ---------------------------------------------------------------- the CSV export, in process
def test_export_holds_every_record_in_chunks_and_names_a_cap(wh, monkeypatch):
    """``export_csv`` with the web layer stood in for: a township-wide viewer, the audit captured."""
    import pages._export as export
    import pages._filters

    audited: list[int] = []
    monkeypatch.setattr(export, "engine", lambda: wh)
    monkeypatch.setattr(pages._filters, "engine", lambda: wh)
    monkeypatch.setattr(export, "current_scope", lambda: EVERYTHING)
    monkeypatch.setattr(pages._filters, "current_scope", lambda: EVERYTHING)
    monkeypatch.setattr(export, "audit_export", lambda conn, what, params, rows: audited.append(rows))
    where, params = _raw_where(_filters())
    expected = [r[0] for r in _raw(wh, f"SELECT id FROM event WHERE {where} ORDER BY reported_at DESC, id DESC", params)]

    def download() -> tuple[str, list[list[str]]]:
        data = export.export_csv({"path": "/board/safety", "query": {"period": "last12m"}, "lang": "zh"})
        return data["filename"], list(csv.reader(io.StringIO(data["content"].lstrip("\ufeff"))))

    monkeypatch.setattr(export, "EXPORT_CHUNK", 7)
    name, rows = download()
    assert rows[0][0] == "ID" and rows[0][-1] == "重复上报"
    assert [int(r[0]) for r in rows[1:]] == expected and "first" not in name  # every record, in the table's order
    assert {int(r[0]): int(r[-1]) for r in rows[1:] if int(r[-1])} == _linked(wh, _filters())
    monkeypatch.setattr(export, "EXPORT_MAX_ROWS", 10)
    name, rows = download()
    assert [int(r[0]) for r in rows[1:]] == expected[:10] and name.endswith(f"-first-10-of-{len(expected)}.csv")
    data = export.export_records({"path": "/board/safety", "query": {"period": "last12m"}, "lang": "zh"}, "xlsx")
    ws = load_workbook(io.BytesIO(base64.b64decode(data["content"]))).active
    assert [r[0] for r in ws.iter_rows(min_row=2, values_only=True)] == expected[:10]
    assert data["filename"].endswith(f"-first-10-of-{len(expected)}.xlsx")
    assert audited == [len(expected), 10, 10]


# ---------------------------------------------------------------- in the browser
@pytest.fixture(scope="module")
def served_records(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The cockpit served on its own screens warehouse, with duplicates linked: (base URL, warehouse URL)."""
    url = screens_warehouse(tmp_path_factory.mktemp("records"))
    link_duplicates(url)
    with serve_app(url) as base:
        yield base, url


def _ids_shown(page) -> list[int]:  # noqa: ANN001
    return [int(x) for x in page.locator("#board-records td[data-dash-column='id']").all_inner_texts()]


def test_board_table_pages_shows_the_total_and_exports_it(served_records, browser, tmp_path):
    base, url = served_records
    engine = engine_for(url)
    where, params = _raw_where(_filters())
    expected = [r[0] for r in _raw(engine, f"SELECT id FROM event WHERE {where} ORDER BY reported_at DESC, id DESC", params)]
    pages = -(-len(expected) // 15)
    assert pages >= 2
    w = Watched(browser)
    try:
        w.login(base)
        w.goto(base + "/board/safety?period=last12m")
        page = w.page
        shown = page.locator("#board-records-total").inner_text()
        assert int(re.search(r"共 ([\d,]+) 条", shown).group(1).replace(",", "")) == len(expected)
        assert f"{pages} 页" in shown and str(pages) in page.locator("#board-records .page-number").inner_text()
        first = _ids_shown(page)
        assert first == expected[:15]
        linked = _linked(engine, _filters())
        assert f"重复 {linked[expected[0]]}" in page.locator("#board-records").inner_text()  # the newest has some
        page.locator("#board-records").scroll_into_view_if_needed()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "board-records-1920x1080.png"))
        page.locator("#board-records button.next-page").click()
        expect(page.locator("#board-records td[data-dash-column='id']").first).not_to_have_text(str(first[0]), timeout=90_000)
        w.settle()
        second = _ids_shown(page)
        assert second == expected[15:30] and not set(second) & set(first)
        with page.expect_download() as info:
            page.locator("#board-export").click()
        path = tmp_path / "export.csv"
        info.value.save_as(path)
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
        assert [int(r[0]) for r in rows[1:]] == expected  # every record, in the table's order
        with page.expect_download() as info:
            page.locator("#board-export-xlsx").click()
        assert info.value.suggested_filename.endswith(".xlsx")
        info.value.save_as(tmp_path / "export.xlsx")
        ws = load_workbook(tmp_path / "export.xlsx").active
        header, *cells = list(ws.iter_rows())
        assert header[0].value == "ID" and header[1].value == "上报时间" and ws.freeze_panes == "A2"
        assert [r[0].value for r in cells] == expected
        assert all(r[1].is_date and r[0].data_type == "n" and r[2].data_type == "s" for r in cells)
        assert w.errors == [] and w.outside == []
    finally:
        w.close()


def _records_callback(page, prefix: str, state: dict, current: int, sort_by: list | None = None,  # noqa: ANN001
                      changed: str = "page_current") -> dict:
    """The paging callback as the table calls it, sent from the page (its fetch adds the CSRF header)."""
    table = f"{prefix}-records"
    body = {"output": f"..{table}.data...{table}.page_count...{table}-total.children...{table}.page_current..",
            "outputs": [{"id": table, "property": "data"}, {"id": table, "property": "page_count"},
                        {"id": f"{table}-total", "property": "children"}, {"id": table, "property": "page_current"}],
            "inputs": [{"id": table, "property": "page_current", "value": current},
                       {"id": table, "property": "sort_by", "value": sort_by or []}],
            "state": [{"id": f"{prefix}-state", "property": "data", "value": state}],
            "changedPropIds": [f"{table}.{changed}"]}
    return page.evaluate("""async (body) => {
        const r = await fetch("/_dash-update-component", {method: "POST", body: JSON.stringify(body),
                                                         headers: {"Content-Type": "application/json"}});
        return {status: r.status, json: r.status === 200 ? await r.json() : null};
    }""", body)


def test_paging_callback_reads_the_asked_page_within_the_scope(served_records, browser):
    base, url = served_records
    engine = engine_for(url)
    f = _filters()
    where, params = _raw_where(f)
    expected = [r[0] for r in _raw(engine, f"SELECT id FROM event WHERE {where} ORDER BY reported_at DESC, id DESC", params)]
    state = {"path": "/board/safety", "query": {"period": "last12m"}, "lang": "zh"}
    w = Watched(browser)
    try:
        w.login(base)
        w.goto(base + "/board/safety?period=last12m")
        seen: list[int] = []
        for current in range(-(-len(expected) // 15)):
            r = _records_callback(w.page, "board", state, current)
            assert r["status"] == 200
            out = r["json"]["response"]
            seen += [int(row["id"]) for row in out["board-records"]["data"]]
        assert seen == expected
        assert out["board-records-total"]["children"].startswith(f"共 {len(expected)} 条")
        far = _records_callback(w.page, "board", state, 10_000)["json"]["response"]  # past the end: the last page
        assert far["board-records"]["page_current"] == out["board-records"]["page_count"] - 1
        by_dups = _records_callback(w.page, "board", state, 2, [{"column_id": "duplicates", "direction": "desc"}],
                                    "sort_by")["json"]["response"]["board-records"]
        most = sorted(_linked(engine, f).values(), reverse=True)
        assert by_dups["page_current"] == 0 and [row["n_duplicates"] for row in by_dups["data"][:len(most)]] == most
    finally:
        w.close()
    # a grid worker asking for another village gets their own grid's records only
    w = Watched(browser)
    try:
        w.login(base, "gridman")
        w.goto(base + "/drill")
        r = _records_callback(w.page, "drill", {"path": "/drill", "query": {"village": OTHER_VILLAGE, "period": "last12m"},
                                                "lang": "zh"}, 0)
        assert r["status"] == 200
        got = {int(row["id"]) for row in r["json"]["response"]["drill-records"]["data"]}
        mine = {row[0] for row in _raw(engine, "SELECT id FROM event WHERE grid_code = :g", {"g": GRID_MAN})}
        assert got and got <= mine
    finally:
        w.close()
