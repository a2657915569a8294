"""The people-of-concern panel of a grid (drill-down at grid level) and the person card.

Only for scopes with personal data (a grid worker in their own grids, leaders, operators): others
see nothing of it, not even counts. A count under ``privacy.min_count`` shows as "<3". Opening a
card is written to the audit log, and so is a refused request for one (a person the scope cannot
see: a forged callback).
"""

from __future__ import annotations

from datetime import date

import dash
import pandas as pd
from dash import Input, Output, State, html

from cockpit.auth.refusals import audit_refusal
from cockpit.i18n import t
from cockpit.reference import PERSON_TAGS
from pages._access import guarded
from pages._common import config, engine, now
from pages._scope import current_scope
from pages._widgets import data_table, panel
from queries.people import care_counts, care_list, person_card
from web import audit_person_view, audit_request, current_user, request_ip, request_now


def _tag(code: str, lang: str) -> str:
    names = PERSON_TAGS.get(code)
    return (names[0] if lang == "zh" else names[1]) if names else code


def _age(birth, on: date) -> str:  # noqa: ANN001
    if birth is None or pd.isna(birth):
        return ""
    b = pd.Timestamp(birth).date()
    return str(on.year - b.year - ((on.month, on.day) < (b.month, b.day)))


def count_text(n: int, minimum: int, lang: str) -> str:
    """A count of people for display: the number from ``minimum`` on, else "<minimum" (one 特困 resident
    in a grid is not shown as 1)."""
    return f"{int(n)}" if int(n) >= minimum else t("care.fewer_than", lang, m=minimum)


def care_panel(grid_code: str, lang: str) -> html.Div | None:
    """The grid's people of concern, or None for a scope that may not see people (nothing of them)."""
    db, scope, day = engine(), current_scope(), now().date()
    if not scope.personal_data:
        return None
    minimum = int(config().get("privacy", "min_count"))
    counts = care_counts(db, scope, grid_code, day)
    summary = html.Div([html.Span([_tag(r["tag"], lang), html.B(f" {count_text(r['n'], minimum, lang)}")],
                                  className="badge text-bg-light me-2",
                                  title=t("care.fewer_than_hint", lang, m=minimum) if r["n"] < minimum else None)
                        for r in counts.to_dict("records")] or t("empty", lang), className="mb-2")
    people = care_list(db, scope, grid_code, day)
    if not people.empty:  # a list of names is a view of personal records too
        with db.begin() as conn:
            audit_request(conn, "person.list", "grid", grid_code, {"people": len(people)})
    rows = [{"id": r["person_key"], "name": r["name"] or "", "gender": t(f"gender.{r['gender']}", lang)
             if r["gender"] in ("M", "F") else "", "age": _age(r["birth_date"], day),
             "tags": "、".join(_tag(x, lang) for x in r["tags"].split(",")), "phone": r["phone_masked"] or ""}
            for r in people.to_dict("records")]
    body = html.Div([summary, data_table("care-table", rows, [
        ("name", t("care.name", lang)), ("gender", t("care.gender", lang)), ("age", t("care.age", lang)),
        ("tags", t("care.tags", lang)), ("phone", t("care.phone", lang))], page_size=10),
        html.Div(id="care-card", className="care-card mt-2")])
    return panel(t("care.title", lang), body, extra=html.Small(t("care.note", lang), className="panel-note"))


@dash.callback(Output("care-card", "children"), Input("care-table", "active_cell"), State("drill-state", "data"),
               prevent_initial_call=True)
@guarded("drill")
def open_card(cell: dict | None, state: dict | None):
    lang = (state or {}).get("lang") or "zh"
    key = (cell or {}).get("row_id")
    if not isinstance(key, str) or not key:
        raise dash.exceptions.PreventUpdate
    db = engine()
    person = person_card(db, current_scope(), key)
    if person is None:  # out of scope (a forged request) or gone: refused, and on record
        user = current_user()
        with db.begin() as conn:
            audit_refusal(conn, user.username if user else "anonymous", "person.view.refused", "person", key,
                          {"context": "drill"}, ip=request_ip(), now=request_now())
        return html.Div(t("care.not_found", lang), className="alert alert-warning")
    with db.begin() as conn:
        audit_person_view(conn, key, context=f"drill:{person['grid_code']}")
    tags = "、".join(_tag(x["tag"], lang) for x in person["tags"])
    fields = [("care.name", person["name"]), ("care.id", person["id_masked"]), ("care.phone", person["phone_masked"]),
              ("care.age", _age(person["birth_date"], now().date())), ("care.address", person["address"]), ("care.tags", tags)]
    return html.Div([html.Dl([x for k, v in fields for x in (html.Dt(t(k, lang)), html.Dd(v or "—"))],
                             className="row-dl"),
                     html.Small(t("care.audited", lang), className="text-secondary")], className="card card-body",
                    id="care-card-body")
