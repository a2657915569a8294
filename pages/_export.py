"""CSV export of the records behind a board page or a drill-down level, with the page's filters.

The server checks the role (``export`` permission) and the scope again, and writes every export
to the audit log with its filters and row count. Personal numbers exist only masked.
"""

from __future__ import annotations

import io

import dash
import pandas as pd
from dash import Input, Output, State, dcc, html

from cockpit.auth import can
from cockpit.i18n import t
from pages._access import guarded
from pages._common import engine
from pages._records import view_filters
from pages._scope import current_scope
from pages._widgets import record_rows
from queries import events
from web import audit_export, current_user

EXPORT_CHUNK = 5000  # rows read at a time
EXPORT_MAX_ROWS = 200_000  # a safety cap: a larger view is exported up to it, and its file name says so
COLUMNS = ("id", "reported_at", "title", "category", "channel", "grid", "status", "reporter", "n_duplicates")


def export_button(prefix: str, lang: str) -> html.Div | None:
    if not can(current_user(), "export"):
        return None
    return html.Div([html.Button([html.I(className="bi bi-download me-1"), t("export.csv", lang)], id=f"{prefix}-export",
                                 className="btn btn-sm btn-outline-primary", n_clicks=0),
                     dcc.Download(id=f"{prefix}-download")], className="d-inline-block")


def export_csv(state: dict) -> dict:
    """Every record of the view ``state`` ({"path", "query", "lang"}) as a CSV download (UTF-8 with BOM
    for Excel): the table's WHERE and order, read in chunks; beyond ``EXPORT_MAX_ROWS`` records the
    file holds the first of them and its name says "first-N-of-M"."""
    f, path, lang = view_filters(state)
    scope = current_scope()
    names = [t("section.records_duplicates", lang) if c == "n_duplicates" else "ID" if c == "id" else t(f"col.{c}", lang)
             for c in COLUMNS]
    out = io.StringIO()
    out.write("\ufeff")
    pd.DataFrame(columns=names).to_csv(out, index=False)
    written = 0
    db = engine()
    with db.connect() as conn:
        total = events.count_event_records(conn, scope, f)
        for df in events.iter_event_records(conn, scope, f, chunk=EXPORT_CHUNK, limit=EXPORT_MAX_ROWS):
            pd.DataFrame(record_rows(df, lang), columns=list(COLUMNS)).to_csv(out, index=False, header=False)
            written += len(df)
    with db.begin() as conn:
        audit_export(conn, "event_records", {"path": path, **f.to_query()}, rows=written)
    capped = f"-first-{written}-of-{total}" if written >= EXPORT_MAX_ROWS and total > written else ""
    name = f"records-{(f.board or 'all')}-{f.start.isoformat()}-{f.end.isoformat()}{capped}.csv"
    return dcc.send_string(out.getvalue(), name, type="text/csv")


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
