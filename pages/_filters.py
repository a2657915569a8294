"""The filter bar of the board and drill-down pages, and the filters of a view read from its URL.

Shared by the board page, the drill-down and the CSV export (which resolves the filters of the
view it exports again, on the server).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from dash import callback_context, dcc, html, no_update

from cockpit.i18n import t
from cockpit.reference import BOARDS, CATEGORIES, INDICATORS
from pages._common import engine, href, now
from pages._scope import current_scope
from queries import areas
from queries.filters import PERIODS, Filters, parse_filters


def resolve_filters(query: dict, board: str | None, *, all_boards: bool = False) -> tuple[Filters, list[str], dict | None]:
    """Filters from the URL, with village / grid checked against the warehouse and the scope.

    ``all_boards``: no board means every board (the drill-down); otherwise an unknown board falls back to safety.
    """
    bad: list[str] = []
    if board not in BOARDS and not (all_boards and board is None):
        bad.append("board")
        board = None if all_boards else next((b for b in BOARDS if current_scope().allows_board(b)), "safety")
    f, more = parse_filters(query, now(), board=board)
    bad += more
    db, scope = engine(), current_scope()
    town = areas.home_township(db, scope)
    if f.village and (town is None or (info := areas.area_info(db, scope, f.village)) is None or info["level"] != "village"):
        bad.append("village")
        f = replace(f, village=None, grid=None)
    if f.grid and ((info := areas.area_info(db, scope, f.grid)) is None or info["level"] != "grid"
                   or (f.village and info["parent_code"] != f.village)):
        bad.append("grid")
        f = replace(f, grid=None)
    if f.grid and not f.village:
        f = replace(f, village=f.grid[:12] if areas.area_info(db, scope, f.grid[:12]) else None)
    return f, bad, town


def _options(items, lang: str) -> list[dict]:  # noqa: ANN001
    return [{"label": t("filter.all", lang), "value": ""}] + [{"label": lab, "value": val} for val, lab in items]


def filter_bar(f: Filters, town: dict | None, lang: str, prefix: str) -> html.Div:
    db, scope = engine(), current_scope()
    villages = areas.children(db, scope, town["code"]) if town else None
    grids = areas.children(db, scope, f.village) if f.village else None
    cats = [(c.code, c.name_zh if lang == "zh" else c.name_en) for c in CATEGORIES if f.board in (None, c.board)]
    inds = [(i.code, i.name_zh if lang == "zh" else i.name_en) for i in INDICATORS if i.board == f.board]

    def dd(key: str, options: list[dict], value: str | None, disabled: bool = False) -> html.Div:
        return html.Div([html.Label(t(f"filter.{key}", lang), htmlFor=f"{prefix}-{key}"),
                         dcc.Dropdown(id={"role": "filter", "page": prefix, "key": key}, options=options,
                                      value=value or "", clearable=False, disabled=disabled)], className="filter")

    return html.Div([
        dd("period", [{"label": t(f"period.{p}", lang), "value": p} for p in PERIODS], f.period),
        html.Div([html.Label(t("period.custom", lang)),
                  dcc.DatePickerRange(id={"role": "filter", "page": prefix, "key": "range"},
                                      start_date=f.start.isoformat(), end_date=(f.end - timedelta(days=1)).isoformat(),
                                      display_format="YYYY-MM-DD", disabled=f.period != "custom")], className="filter filter-range"),
        dd("village", _options(zip(villages["code"], villages["name"]) if villages is not None else [], lang), f.village),
        dd("grid", _options(zip(grids["code"], grids["name"]) if grids is not None else [], lang), f.grid, disabled=not f.village),
        dd("category", _options(cats, lang), f.category),
        dd("indicator", _options(inds, lang), f.indicator, disabled=not inds),
        html.Div([html.Div(range_text(f, lang), id=f"{prefix}-range-note"), just_begun(f, lang, prefix),
                  html.Div(t("filter.copy_hint", lang))], className="range-note"),
    ], className="filters")


# the rolling window to offer when a calendar period has only just begun
_ROLLING_FOR = {"week": "last7", "month": "last30", "quarter": "last30", "year": "last12m"}


def just_begun(f: Filters, lang: str, prefix: str) -> dcc.Link | None:
    """On a calendar period's first day (1 December at 00:05 holds five minutes), a link to the
    rolling window with the same filters, so nobody reads a nearly empty board as a quiet month."""
    rolling = _ROLLING_FOR.get(f.period)
    if rolling is None or not f.running or f.days > 1:
        return None
    query = {k: v for k, v in f.to_query().items() if k not in ("start", "end")}
    path = f"/board/{query.pop('board')}" if prefix == "board" and f.board else "/drill"
    query["period"] = rolling
    return dcc.Link(t("period.just_begun", lang, period=t(f"period.{f.period}", lang), rolling=t(f"period.{rolling}", lang)),
                    href=href(path, query), id=f"{prefix}-just-begun", className="just-begun")


def range_text(f: Filters, lang: str) -> str:
    """"统计区间: 2026-12-01 — 2026-12-01（进行中，截至 00:05） · 较上月同期"."""
    text = f"{t('filter.range', lang)}: {f.start:%Y-%m-%d} — {(f.end - timedelta(days=1)):%Y-%m-%d}"
    if f.running:
        text += f" ({t('period.running', lang, at=f'{f.as_of:%H:%M}')})"
    return f"{text} · {t(f.compare_key, lang)}"


def list_filter_href(values, state, path: str, keys_kept: tuple[str, ...]) -> str:  # noqa: ANN001
    """The URL of a list view (the warning center, the desk's orders) after one of its dropdown
    filters changed: the state's query (``keys_kept`` and the custom range) with that key set; a new
    period drops the custom range, a new village the grid. ``no_update`` when nothing changed."""
    trig = callback_context.triggered_id
    if not trig or not isinstance(state, dict):
        return no_update
    keys = [i["id"]["key"] for i in callback_context.inputs_list[0]]
    chosen = dict(zip(keys, values))
    query = {k: v for k, v in dict(state.get("query") or {}).items() if k in keys_kept + ("start", "end")}
    key = trig["key"]
    value = chosen.get(key) or None
    if query.get(key) == value:
        return no_update
    query[key] = value
    if key == "period":
        query.pop("start", None)
        query.pop("end", None)
    if key == "village":
        query.pop("grid", None)
    return href(path, {**query, "lang": state.get("lang")})


def filters_href(values, starts, ends, state) -> str:  # noqa: ANN001
    """The URL of the view after a filter changed (shared by the board and drill pages)."""
    trig = callback_context.triggered_id
    if not trig or not state:
        return no_update
    keys = [i["id"]["key"] for i in callback_context.inputs_list[0]]
    chosen = dict(zip(keys, values))
    query = dict(state["query"])
    key = trig["key"]
    if key == "range":
        i = keys.index("range")
        if not starts[i] or not ends[i]:
            return no_update
        query.update(period="custom", start=starts[i][:10], end=ends[i][:10])
    else:
        value = chosen.get(key) or None
        if query.get(key) == value:
            return no_update
        query[key] = value
        if key == "period" and value != "custom":
            query.pop("start", None)
            query.pop("end", None)
        if key == "period" and value == "custom":
            return no_update  # wait for the dates
        if key == "village":
            query.pop("grid", None)
    if state.get("lang"):
        query["lang"] = state["lang"]
    return href(state["path"], query)
