"""Export of the records behind a board page or a drill-down level, with the page's filters, as CSV
or Excel (XLSX) written by ``cockpit.spreadsheet`` (formula-like text neutralised, typed cells).

The server checks the role (``export`` permission), the page and the scope again. Every export is
written to the audit log with its format, filters and row count; a refused one (no permission, or a
view state naming another page, board or area) sends nothing and is audited as ``export.refused``
with the reason. Personal numbers exist only masked.
"""

from __future__ import annotations

import io
import re
from itertools import chain
from typing import Any, Iterator

import dash
import pandas as pd
from dash import Input, Output, State, ctx, dcc, html
from dash.exceptions import PreventUpdate

from cockpit.auth import can
from cockpit.i18n import t
from cockpit.reference import BOARDS
from cockpit.spreadsheet import write_csv, write_xlsx
from pages._access import allowed
from pages._common import engine
from pages._records import view_filters
from pages._scope import current_scope
from pages._widgets import record_rows
from queries import events
from web import audit_export, current_user
from web.request_audit import audit_export_refused

EXPORT_CHUNK = 5000  # rows read at a time
EXPORT_MAX_ROWS = 200_000  # a safety cap: a larger view is exported up to it, and its file name says so
COLUMNS = ("id", "reported_at", "title", "category", "channel", "grid", "status", "reporter", "n_duplicates")
FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_BOARD_PATH = re.compile(r"/board/([a-z_]+)")


def _button_id(prefix: str, fmt: str) -> str:
    return f"{prefix}-export" if fmt == "csv" else f"{prefix}-export-{fmt}"


def export_button(prefix: str, lang: str) -> html.Div | None:
    if not can(current_user(), "export"):
        return None
    icons = {"csv": "bi-filetype-csv", "xlsx": "bi-file-earmark-excel"}
    return html.Div([html.Div([html.Button([html.I(className=f"bi {icons[fmt]} me-1"), t(f"export.{fmt}", lang)],
                                           id=_button_id(prefix, fmt), className="btn btn-sm btn-outline-primary",
                                           n_clicks=0, title=t("export.formats", lang)) for fmt in FORMATS],
                              className="btn-group", role="group", **{"aria-label": t("export.formats", lang)}),
                     dcc.Download(id=f"{prefix}-download")], className="d-inline-block")


def headers(lang: str) -> list[str]:
    """The column headers of the export, in the UI language."""
    return [t("section.records_duplicates", lang) if c == "n_duplicates" else "ID" if c == "id" else t(f"col.{c}", lang)
            for c in COLUMNS]


def _rows(df: pd.DataFrame, lang: str) -> Iterator[tuple[Any, ...]]:
    """The table's rows of a chunk, with the report time as a datetime (the table shows it as text)."""
    for row, at in zip(record_rows(df, lang), df["reported_at"]):
        yield tuple(pd.Timestamp(at).to_pydatetime() if c == "reported_at" else row[c] for c in COLUMNS)


def export_records(state: dict, fmt: str = "csv") -> dict:
    """Every record of the view ``state`` ({"path", "query", "lang"}) as a download in ``fmt`` (CSV in
    UTF-8 with a BOM, or XLSX): the table's WHERE and order, read in chunks; beyond ``EXPORT_MAX_ROWS``
    records the file holds the first of them and its name says "first-N-of-M"."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    f, path, lang = view_filters(state)
    scope = current_scope()
    db = engine()
    out: io.StringIO | io.BytesIO = io.BytesIO() if fmt == "xlsx" else io.StringIO()
    with db.connect() as conn:
        total = events.count_event_records(conn, scope, f)
        chunks = events.iter_event_records(conn, scope, f, chunk=EXPORT_CHUNK, limit=EXPORT_MAX_ROWS)
        rows = chain.from_iterable(_rows(df, lang) for df in chunks)
        if fmt == "xlsx":
            written = write_xlsx(out, headers(lang), rows, sheet=t("export.sheet", lang))
        else:
            written = write_csv(out, headers(lang), rows)
    with db.begin() as conn:
        audit_export(conn, "event_records", {"path": path, "format": fmt, **f.to_query()}, rows=written)
    capped = f"-first-{written}-of-{total}" if written >= EXPORT_MAX_ROWS and total > written else ""
    name = f"records-{(f.board or 'all')}-{f.start.isoformat()}-{f.end.isoformat()}{capped}.{fmt}"
    if fmt == "xlsx":
        return dcc.send_bytes(out.getvalue(), name, type=XLSX_TYPE)
    return dcc.send_string(out.getvalue(), name, type="text/csv")


def export_csv(state: dict) -> dict:
    """``export_records`` as CSV."""
    return export_records(state, "csv")


def refusal(page: str, state: Any) -> str | None:
    """Why the current user may not export the view ``state`` from ``page`` ("permission", "page",
    "state" or "scope"), or None. A state the page built never names a board or area outside the
    scope (the layout has resolved its filters), so any such state is a forged one."""
    if not can(current_user(), "export"):
        return "permission"
    if not allowed(page):
        return "page"
    if not isinstance(state, dict) or not isinstance(state.get("path"), str) or not isinstance(state.get("query") or {}, dict):
        return "state"
    path, query = state["path"], dict(state.get("query") or {})
    m = _BOARD_PATH.fullmatch(path)
    if page == "board" and (m is None or m.group(1) not in BOARDS or query.get("board", m.group(1)) != m.group(1)):
        return "state"
    if page == "drill" and path != "/drill":
        return "state"
    board = m.group(1) if m else query.get("board")
    if board and not isinstance(board, str):
        return "state"
    scope = current_scope()
    if board in BOARDS and not scope.allows_board(board):
        return "scope"
    for key in ("village", "grid"):
        code = query.get(key)
        if code and not isinstance(code, str):
            return "state"
        if code and not scope.allows_area(code):
            return "scope"
    return None


def _asked(state: Any) -> dict[str, Any]:
    """What a refused request asked for, bounded, for the audit record."""
    if not isinstance(state, dict):
        return {"state": type(state).__name__}
    query = state.get("query")
    items = list(query.items())[:20] if isinstance(query, dict) else []
    return {"path": str(state.get("path"))[:200], **{str(k)[:40]: str(v)[:200] for k, v in items}}


def _register(prefix: str, page: str) -> None:
    buttons = {_button_id(prefix, fmt): fmt for fmt in FORMATS}

    @dash.callback(Output(f"{prefix}-download", "data"), *(Input(b, "n_clicks") for b in buttons),
                   State(f"{prefix}-state", "data"), prevent_initial_call=True)
    def download(*args: Any) -> dict:
        *clicks, state = args
        fmt = buttons.get(ctx.triggered_id) if isinstance(ctx.triggered_id, str) else None
        if fmt is None or not clicks[list(buttons.values()).index(fmt)]:
            raise PreventUpdate  # not a click on an export button
        reason = refusal(page, state)
        if reason is not None:
            with engine().begin() as conn:
                audit_export_refused(conn, "event_records", reason, {"format": fmt, **_asked(state)})
            raise PreventUpdate
        return export_records(state, fmt)


_register("board", "board")
_register("drill", "drill")
