"""CSV export of the records behind a board page or a drill-down level, with the page's filters.

The server checks the role (``export`` permission) and the scope again, and writes every export
to the audit log with its filters and row count. Personal numbers exist only masked.
"""

from __future__ import annotations

import dash
import pandas as pd
from dash import Input, Output, State, dcc, html

from cockpit.auth import can
from cockpit.i18n import t
from pages._access import guarded
from pages._common import engine
from pages._filters import resolve_filters
from pages._scope import current_scope
from pages._widgets import record_rows
from queries import events
from web import audit_export, current_user

EXPORT_LIMIT = 20000
COLUMNS = ("id", "reported_at", "title", "category", "channel", "grid", "status", "reporter")


def export_button(prefix: str, lang: str) -> html.Div | None:
    if not can(current_user(), "export"):
        return None
    return html.Div([html.Button([html.I(className="bi bi-download me-1"), t("export.csv", lang)], id=f"{prefix}-export",
                                 className="btn btn-sm btn-outline-primary", n_clicks=0),
                     dcc.Download(id=f"{prefix}-download")], className="d-inline-block")


def export_csv(state: dict) -> dict:
    """The records of the view ``state`` ({"path", "query", "lang"}) as a CSV download (UTF-8 with BOM for Excel)."""
    lang = state.get("lang") or "zh"
    path = str(state.get("path") or "")
    query = {k: str(v) for k, v in dict(state.get("query") or {}).items()}
    board = path.rsplit("/", 1)[-1] if path.startswith("/board/") else query.pop("board", None)
    f, _, _ = resolve_filters(query, board, all_boards=not path.startswith("/board/"))
    db = engine()
    df = events.event_records(db, current_scope(), f, limit=EXPORT_LIMIT)
    rows = record_rows(df, lang)
    out = pd.DataFrame(rows, columns=list(COLUMNS)).rename(columns={c: t(f"col.{c}", lang) if c != "id" else "ID"
                                                                     for c in COLUMNS})
    with db.begin() as conn:
        audit_export(conn, "event_records", {"path": path, **f.to_query()}, rows=len(out))
    name = f"records-{(f.board or 'all')}-{f.start.isoformat()}-{f.end.isoformat()}.csv"
    return dcc.send_string("\ufeff" + out.to_csv(index=False), name, type="text/csv")


def _register(prefix: str, page: str) -> None:
    @dash.callback(Output(f"{prefix}-download", "data"), Input(f"{prefix}-export", "n_clicks"),
                   State(f"{prefix}-state", "data"), prevent_initial_call=True)
    @guarded(page)
    def download(n: int | None, state: dict | None):  # noqa: ANN202
        if not n or not state or not can(current_user(), "export"):
            raise dash.exceptions.PreventUpdate
        return export_csv(state)


_register("board", "board")
_register("drill", "drill")
