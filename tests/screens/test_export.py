"""The CSV and Excel exports of the board page and the drill-down on the real app (Flask test client,
real sign-in): formula-like titles neutralised, cells typed, headers in the UI language, the rows of
the view and scope, and refused exports sent nothing and written to the audit log.

Expected rows come from SQL written here (``test_records._raw_where``), not from ``queries/``.
"""

from __future__ import annotations

import base64
import csv
import io
import json
from datetime import datetime, timedelta
from typing import Any, Iterator

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from tests.screens.test_access import Session
from tests.screens.test_records import _filters, _raw_where

FORMULA_TITLES = ['=HYPERLINK("http://x","y")', "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "＝1+1", ' =cmd|"/C calc"!A0']
TRIGGERS = "=+-@\t\r\uff1d\uff0b\uff0d\uff20"
HEADERS = {"zh": ["ID", "上报时间", "事项", "分类", "渠道", "网格", "状态", "反映人", "重复上报"],
           "en": ["ID", "Reported", "Subject", "Category", "Channel", "Grid", "Status", "Reporter", "Duplicates"]}


def _engine():  # noqa: ANN202
    from pages._common import engine

    return engine()


def _sql(sql: str, **params: Any) -> list[tuple]:
    with _engine().connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql), params).fetchall()]


def _formula_like(value: str) -> bool:
    return bool(value) and (value[0] in TRIGGERS or value.lstrip()[:1] in TRIGGERS)


@pytest.fixture(scope="module")
def poisoned(cockpit) -> Iterator[list[int]]:  # noqa: ANN001
    """The newest safety records get formula-like titles (restored afterwards): their ids."""
    where, params = _raw_where(_filters())
    ids = [r[0] for r in _sql(f"SELECT id FROM event WHERE {where} ORDER BY reported_at DESC, id DESC LIMIT "
                              f"{len(FORMULA_TITLES)}", **params)]
    saved = dict(_sql("SELECT id, title FROM event WHERE id IN (" + ", ".join(map(str, ids)) + ")"))
    with _engine().begin() as conn:
        for i, title in zip(ids, FORMULA_TITLES):
            conn.execute(text("UPDATE event SET title = :t WHERE id = :i"), {"t": title, "i": i})
    yield ids
    with _engine().begin() as conn:
        for i, title in saved.items():
            conn.execute(text("UPDATE event SET title = :t WHERE id = :i"), {"t": title, "i": i})


def export(s: Session, prefix: str, state: Any, fmt: str = "csv") -> Any:
    """The export callback as a click on the CSV or Excel button sends it."""
    buttons = [f"{prefix}-export", f"{prefix}-export-xlsx"]
    clicked = buttons[fmt == "xlsx"]
    return s.callback(f"{prefix}-download.data", {"id": f"{prefix}-download", "property": "data"},
                      [{"id": b, "property": "n_clicks", "value": 1 if b == clicked else 0} for b in buttons],
                      [{"id": f"{prefix}-state", "property": "data", "value": state}],
                      changed=[f"{clicked}.n_clicks"])


def download(r: Any) -> dict:
    assert r.status_code == 200, r.status_code
    return r.get_json()["response"][next(iter(r.get_json()["response"]))]["data"]


def csv_rows(data: dict) -> list[list[str]]:
    assert data["content"].startswith("\ufeff") and data["type"] == "text/csv"
    return list(csv.reader(io.StringIO(data["content"][1:], newline="")))


def xlsx_sheet(data: dict) -> Any:
    assert data["base64"] and data["filename"].endswith(".xlsx")
    return load_workbook(io.BytesIO(base64.b64decode(data["content"]))).active


def expected_records(f_board: str | None, boards: tuple[str, ...] | None = None) -> list[tuple]:
    """(id, reported_at, title) of the view's records in the table's order, from SQL."""
    where, params = _raw_where(_filters(f_board), boards=boards)
    rows = _sql(f"SELECT id, reported_at, title FROM event WHERE {where} ORDER BY reported_at DESC, id DESC", **params)
    return [(i, at if isinstance(at, datetime) else datetime.fromisoformat(str(at)), title) for i, at, title in rows]


def audit_after(last_id: int, action: str) -> list[tuple]:
    return _sql("SELECT actor, obj_id, detail FROM audit_log WHERE action = :a AND id > :n ORDER BY id",
                a=action, n=last_id)


def last_audit_id() -> int:
    return _sql("SELECT COALESCE(MAX(id), 0) FROM audit_log")[0][0]


BOARD_VIEW = {"path": "/board/safety", "query": {"period": "last12m", "board": "safety"}, "lang": "zh"}


def test_csv_export_neutralises_formula_titles_and_holds_the_view(cockpit, poisoned):
    expected = expected_records("safety")
    assert {i for i, _, _ in expected} >= set(poisoned)
    start = last_audit_id()
    rows = csv_rows(download(export(Session(cockpit, "lead"), "board", BOARD_VIEW)))
    assert rows[0] == HEADERS["zh"]
    assert [int(r[0]) for r in rows[1:]] == [i for i, _, _ in expected]
    for (i, at, title), row in zip(expected, rows[1:]):
        assert row[1] == at.strftime("%Y-%m-%d %H:%M")
        assert row[2] == (f"'{title}" if _formula_like(title) else title)
        assert not any(_formula_like(cell) for cell in row)  # no cell of the file starts with a trigger
    by_id = {int(r[0]): r[2] for r in rows[1:]}
    assert by_id[poisoned[0]] == '\'=HYPERLINK("http://x","y")' and by_id[poisoned[2]] == "'-2+3"
    (actor, obj, detail), = audit_after(start, "export")
    assert (actor, obj) == ("lead", "event_records")
    assert json.loads(detail)["rows"] == len(expected) and json.loads(detail)["params"]["format"] == "csv"


def test_xlsx_export_is_typed_and_never_a_formula(cockpit, poisoned):
    expected = expected_records("safety")
    start = last_audit_id()
    data = download(export(Session(cockpit, "lead"), "board", BOARD_VIEW, "xlsx"))
    assert data["filename"].startswith("records-safety-")
    ws = xlsx_sheet(data)
    assert ws.freeze_panes == "A2" and ws.title == "事件记录"
    header, *rows = list(ws.iter_rows())
    assert [c.value for c in header] == HEADERS["zh"]
    assert [r[0].value for r in rows] == [i for i, _, _ in expected]
    for (i, at, title), row in zip(expected, rows):
        assert all(c.data_type != "f" for c in row)
        assert row[0].data_type == "n" and row[8].data_type == "n" and isinstance(row[8].value, int)
        assert row[1].is_date and abs(row[1].value - at) < timedelta(seconds=1)
        assert row[2].data_type == "s" and row[2].value == title.replace("\r", "\n")
        assert row[2].quotePrefix == _formula_like(title)  # shown as typed, kept text when edited
    assert sum(1 for r in rows if r[2].quotePrefix) == len(FORMULA_TITLES)
    widths = {k: d.width for k, d in ws.column_dimensions.items()}
    assert widths["C"] > widths["A"]  # the subject column is wider than the ID column
    (actor, _, detail), = audit_after(start, "export")
    assert actor == "lead" and json.loads(detail)["params"]["format"] == "xlsx"
    assert json.loads(detail)["rows"] == len(expected)


def test_board_heads_export_holds_their_board_only_with_english_headers(cockpit, poisoned):
    expected = expected_records(None, boards=("safety",))
    state = {"path": "/drill", "query": {"period": "last12m"}, "lang": "en"}
    ws = xlsx_sheet(download(export(Session(cockpit, "safetyhead"), "drill", state, "xlsx")))
    header, *rows = list(ws.iter_rows(values_only=True))
    assert list(header) == HEADERS["en"] and ws.title == "Records"
    assert [r[0] for r in rows] == [i for i, _, _ in expected]
    assert all(r[3] for r in rows)  # categories in English, from the catalogue of the view's language


REFUSED = [  # who, page, state, reason
    ("gridman", "drill", {"path": "/drill", "query": {"period": "last12m"}, "lang": "zh"}, "permission"),
    ("kiosk", "board", BOARD_VIEW, "permission"),
    ("root", "board", BOARD_VIEW, "permission"),
    ("safetyhead", "drill", {"path": "/drill", "query": {"period": "last12m", "board": "party"}, "lang": "zh"}, "scope"),
    ("safetyhead", "board", {"path": "/board/party", "query": {"period": "last12m", "board": "party"}, "lang": "zh"},
     "scope"),
    ("safetyhead", "board", {"path": "/board/safety", "query": {"period": "last12m", "board": "party"}, "lang": "zh"},
     "state"),
    ("lead", "board", {"path": "/drill", "query": {"period": "last12m"}, "lang": "zh"}, "state"),
    ("lead", "drill", {"path": "/board/safety", "query": {"period": "last12m"}, "lang": "zh"}, "state"),
    ("lead", "drill", "not a state", "state"),
]


@pytest.mark.parametrize(("who", "page", "state", "reason"), REFUSED, ids=[f"{w}-{p}-{r}" for w, p, _, r in REFUSED])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_refused_export_sends_nothing_and_is_audited(cockpit, who, page, state, reason, fmt):
    s = Session(cockpit, who)
    start = last_audit_id()
    r = export(s, page, state, fmt)
    assert r.status_code == 204 and not r.get_data()  # nothing sent
    assert audit_after(start, "export") == []
    (actor, obj, detail), = audit_after(start, "export.refused")
    detail = json.loads(detail)
    assert (actor, obj, detail["reason"], detail["params"]["format"]) == (who, "event_records", reason, fmt)
    if isinstance(state, dict):
        assert detail["params"]["path"] == state["path"]


def test_a_request_that_is_no_click_exports_nothing_and_audits_nothing(cockpit):
    s = Session(cockpit, "lead")
    start = last_audit_id()
    r = s.callback("board-download.data", {"id": "board-download", "property": "data"},
                   [{"id": "board-export", "property": "n_clicks", "value": 0},
                    {"id": "board-export-xlsx", "property": "n_clicks", "value": 0}],
                   [{"id": "board-state", "property": "data", "value": BOARD_VIEW}], changed=["board-export.n_clicks"])
    assert r.status_code == 204
    assert audit_after(start, "export") == [] and audit_after(start, "export.refused") == []
