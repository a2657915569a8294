"""The records table of the board page and the drill-down, read from the server a page at a time.

The layout renders the first page and the total; paging and sorting ask the server for the page
wanted, with the view's filters resolved again from the page's state (as the CSV export does) and
the scope applied in ``queries/``, so a forged request gets only what the user may see.
"""

from __future__ import annotations

import dash
import pandas as pd
from dash import Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate

from cockpit.scope import Scope
from pages._access import guarded
from pages._common import current_lang, engine
from pages._filters import resolve_filters
from pages._scope import current_scope
from pages._widgets import page_count, record_rows, records_total
from queries import events
from queries._base import DB, reading
from queries.filters import Filters

PAGE_SIZE = 15
# the table's columns and what each sorts by on the server (keys of ``queries.events.RECORD_SORTS``)
SORT_KEYS = {"id": "id", "reported_at": "reported_at", "title": "title", "category": "category_{lang}",
             "channel": "channel_{lang}", "grid": "grid_name", "status": "status", "reporter": "reporter_masked",
             "duplicates": "n_duplicates"}


def view_filters(state: dict) -> tuple[Filters, str, str]:
    """The filters of the view ``state`` ({"path", "query", "lang"}), village and grid checked against
    the scope on the server; with the view's path and language."""
    lang = current_lang(state.get("lang"))
    path = str(state.get("path") or "")
    query = {k: str(v) for k, v in dict(state.get("query") or {}).items()}
    board = path.rsplit("/", 1)[-1] if path.startswith("/board/") else query.pop("board", None)
    f, _, _ = resolve_filters(query, board, all_boards=not path.startswith("/board/"))
    return f, path, lang


def first_page(db: DB, scope: Scope, f: Filters) -> tuple[pd.DataFrame, int]:
    """The first page of the view's records (newest first) and how many records it has."""
    return events.event_records(db, scope, f, limit=PAGE_SIZE), events.count_event_records(db, scope, f)


def sort_order(sort_by: list | None, lang: str) -> tuple[tuple[str, str], ...]:
    """A DataTable ``sort_by`` as ``event_records``'s order; columns it does not know are ignored."""
    order = []
    for item in sort_by or []:
        if not isinstance(item, dict):
            continue
        key, direction = SORT_KEYS.get(str(item.get("column_id"))), item.get("direction")
        if key and direction in ("asc", "desc"):
            order.append((key.format(lang=lang), direction))
    return tuple(order)


def records_page(state: dict, page: int, sort_by: list | None) -> tuple[list[dict], int, str, int]:
    """Page ``page`` (from 0; kept within the pages there are) of the view ``state``'s records:
    its rows, the page count, the total as shown, and the page actually read."""
    f, _, lang = view_filters(state)
    scope = current_scope()
    with reading(engine()) as db:
        total = events.count_event_records(db, scope, f)
        pages = page_count(total, PAGE_SIZE)
        page = min(max(page, 0), pages - 1)
        df = events.event_records(db, scope, f, offset=page * PAGE_SIZE, limit=PAGE_SIZE, order=sort_order(sort_by, lang))
    return record_rows(df, lang), pages, records_total(total, lang, PAGE_SIZE), page


def _register(prefix: str, page: str) -> None:
    table = f"{prefix}-records"

    @dash.callback(Output(table, "data"), Output(table, "page_count"), Output(f"{table}-total", "children"),
                   Output(table, "page_current"),
                   Input(table, "page_current"), Input(table, "sort_by"), State(f"{prefix}-state", "data"),
                   prevent_initial_call=True)
    @guarded(page)
    def turn_page(current: int | None, sort_by: list | None, state: dict | None):  # noqa: ANN202
        if not isinstance(state, dict):
            raise PreventUpdate
        asked = current if isinstance(current, int) else 0
        if any(p.endswith(".sort_by") for p in ctx.triggered_prop_ids):
            asked = 0  # a new order starts at its first page
        rows, pages, total, got = records_page(state, asked, sort_by)
        return rows, pages, total, got if got != current else no_update


_register("board", "board")
_register("drill", "drill")
