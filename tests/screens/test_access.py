"""Roles against every page and every callback, forged Dash requests for data outside a role's
scope, audited actions and injection attempts, on the real app (Flask test client, real SQLite).

Pages are requested the way the browser requests them: the Dash Pages router callback with the
URL's path and query. Expected record sets come from SQL written here, not from ``queries/``.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from sqlalchemy import text

from tests.screens.conftest import ACCOUNTS, KIOSK_TOKEN, PASSWORD
from tests.screens.dataset import VILLAGES

ROUTER = ".._pages_content.children..._pages_store.data.."
GRID_MAN = ACCOUNTS["gridman"][1]["grid_codes"][0]
OTHER_VILLAGE = next(v for v in VILLAGES if not GRID_MAN.startswith(v))


class Session:
    """A test client signed in as one user (or the kiosk), able to send Dash callback requests."""

    def __init__(self, app: Any, username: str | None) -> None:
        self.client = app.server.test_client()
        self.username = username
        if username == "kiosk":
            r = self.client.get(f"/?kiosk_token={KIOSK_TOKEN}")
            assert r.status_code == 302
        elif username:
            page = self.client.get("/login").get_data(as_text=True)
            token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
            r = self.client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token,
                                                 "next": "/"})
            assert r.status_code == 302 and "/login" not in r.headers["Location"], f"login {username}"

    @property
    def csrf(self) -> str:
        cookie = self.client.get_cookie("cockpit_csrf")
        return cookie.value if cookie else ""

    def callback(self, output: str, outputs: Any, inputs: list[dict], state: list[dict] | None = None,
                 changed: list[str] | None = None) -> Any:
        body = {"output": output, "outputs": outputs, "inputs": inputs, "state": state or [],
                "changedPropIds": changed or [f"{inputs[0]['id']}.{inputs[0]['property']}"]}
        return self.client.post("/_dash-update-component", json=body, headers={"X-CSRFToken": self.csrf})

    def page(self, path: str, search: str = "") -> Any:
        return self.callback(ROUTER, [{"id": "_pages_content", "property": "children"},
                                      {"id": "_pages_store", "property": "data"}],
                             [{"id": "_pages_location", "property": "pathname", "value": path},
                              {"id": "_pages_location", "property": "search", "value": search}])


def body(response: Any) -> str:
    """The response as text with Chinese readable (Dash escapes non-ASCII characters in its JSON)."""
    data = response.get_json(silent=True)
    return response.get_data(as_text=True) if data is None else json.dumps(data, ensure_ascii=False)


def denied(response: Any) -> bool:
    return "access-denied" in body(response)


def records_in(response: Any) -> set[int]:
    """IDs of the event records in every records table of a page response."""
    found: set[int] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            props = node.get("props") if isinstance(node.get("props"), dict) else None
            if props and str(props.get("id", "")).endswith("-records"):
                found.update(int(r["id"]) for r in props.get("data") or [])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(response.get_json())
    return found


def event_ids(app: Any, where: str, **params: Any) -> set[int]:
    from pages._common import engine

    with engine().connect() as conn:
        return set(conn.execute(text(f"SELECT id FROM event WHERE duplicate_of IS NULL AND {where}"), params).scalars())


def audit_rows(app: Any, action: str) -> list[Any]:
    from pages._common import engine

    with engine().connect() as conn:
        return conn.execute(text("SELECT actor, action, obj_type, obj_id, detail FROM audit_log WHERE action = :a "
                                 "ORDER BY id"), {"a": action}).all()


# ---------------------------------------------------------------- roles x pages
PAGE_MATRIX = {  # path -> users who may open it
    "/": {"lead", "duty", "safetyhead", "gridman", "liaison", "root", "kiosk"},
    "/board/safety": {"lead", "duty", "safetyhead", "gridman", "liaison", "root"},
    "/board/party": {"lead", "duty", "gridman", "liaison", "root"},
    "/drill": {"lead", "duty", "safetyhead", "gridman", "liaison", "root"},
    "/warnings": {"lead", "duty", "safetyhead", "gridman", "liaison", "root"},
    "/orders": {"lead", "duty", "safetyhead", "gridman", "liaison", "root"},
    "/orders/1": {"lead", "duty", "safetyhead", "gridman", "liaison", "root"},
    "/governance": {"lead", "duty", "root"},
    "/audit": {"root"},
    "/my/orders": {"gridman", "liaison"},  # those who hold work orders (work_order.handle)
    "/notifications": {"lead", "duty", "safetyhead", "gridman", "liaison", "root"},  # every account, not the kiosk
    "/whistles": {"lead", "duty", "safetyhead", "gridman", "liaison", "root"},
    "/whistles/1": {"lead", "duty", "safetyhead", "gridman", "liaison", "root"},
    "/ranking": {"lead", "duty", "safetyhead", "gridman", "liaison", "root"},
    "/departments/urban": {"lead", "duty", "safetyhead", "gridman", "liaison", "root"},  # liaison: their own
    "/my/summons": {"liaison"},  # department liaisons (summons.act)
    "/review": {"root"},  # the administrator (responsibility.review)
    "/reports": {"lead", "duty", "safetyhead", "root"},  # report.generate: not the grid worker, liaison or kiosk
}


@pytest.mark.parametrize("username", [*ACCOUNTS, "kiosk"])
def test_each_role_opens_exactly_its_pages(cockpit, username):
    s = Session(cockpit, username)
    for path, who in PAGE_MATRIX.items():
        r = s.page(path)
        assert r.status_code == 200, (username, path)
        assert denied(r) == (username not in who), (username, path)


def test_without_a_session_nothing_is_served(cockpit):
    s = Session(cockpit, None)
    assert s.client.get("/").status_code == 302
    r = s.page("/board/safety")
    assert r.status_code in (401, 403) and "event" not in body(r)


# ---------------------------------------------------------------- forged requests outside the scope
def test_grid_worker_gets_only_their_grid_whatever_the_url_asks(cockpit):
    s = Session(cockpit, "gridman")
    mine = event_ids(cockpit, "grid_code = :g", g=GRID_MAN)
    for search in ("", f"?village={OTHER_VILLAGE}", f"?village={OTHER_VILLAGE}&grid={OTHER_VILLAGE}01",
                   "?period=year"):
        for path in ("/drill", "/board/safety"):
            got = records_in(s.page(path, search))
            assert got <= mine, (path, search)
    got = records_in(s.page("/drill", "?period=year"))
    assert got and got == {i for i in mine if i in got}
    # the big-screen refresh callback: open warnings counted only in their grid
    r = s.callback(BIG_REFRESH, _big_outputs(), [{"id": "big-refresh", "property": "n_intervals", "value": 1}],
                   [{"id": "big-lang", "property": "data", "value": "zh"}])
    assert r.status_code == 200
    total = r.get_json()["response"]["big-open-total"]["children"]
    from pages._common import engine

    with engine().connect() as conn:
        expected = conn.execute(text("SELECT COUNT(*) FROM warning WHERE ended_at IS NULL AND grid_code = :g "
                                     "AND status NOT IN ('dismissed', 'cleared')"), {"g": GRID_MAN}).scalar()
    assert expected > 0 and str(total).replace(",", "") == str(expected)


BIG_REFRESH = ("..big-slot-party.children...big-slot-economy.children...big-slot-safety.children..."
               "big-slot-services.children...big-map.figure...big-map-codes.data...big-open-total.children..."
               "big-latest.children...big-orders.children...big-orders-head.children...big-ranking.figure..."
               "big-clock.children...big-open-levels.children..")


def _big_outputs() -> list[dict]:
    return [{"id": f"big-slot-{b}", "property": "children"} for b in ("party", "economy", "safety", "services")] + [
        {"id": "big-map", "property": "figure"}, {"id": "big-map-codes", "property": "data"},
        {"id": "big-open-total", "property": "children"}, {"id": "big-latest", "property": "children"},
        {"id": "big-orders", "property": "children"}, {"id": "big-orders-head", "property": "children"},
        {"id": "big-ranking", "property": "figure"}, {"id": "big-clock", "property": "children"},
        {"id": "big-open-levels", "property": "children"}]


def test_board_head_gets_only_their_board(cockpit):
    s = Session(cockpit, "safetyhead")
    safety = event_ids(cockpit, "board = 'safety'")
    got = records_in(s.page("/drill", "?board=party&period=year"))
    assert got <= safety
    got = records_in(s.page("/drill", "?period=year"))
    assert got and got <= safety
    assert denied(s.page("/board/party"))
    big = body(s.page("/"))
    assert big.count("不在您的查看范围内") == 3  # party, economy, services panels say so instead of zeros


def test_department_liaison_gets_only_their_department(cockpit):
    s = Session(cockpit, "liaison")
    urban = event_ids(cockpit, "department_code = 'urban'")
    got = records_in(s.page("/drill", "?period=year"))
    assert got <= urban
    assert records_in(s.page("/board/safety", "?period=year")) <= urban


GOV_DQ = ("gov-dq-table.children", {"id": "gov-dq-table", "property": "children"},
          [{"id": "gov-dq-source", "property": "value", "value": ""}, {"id": "gov-dq-rule", "property": "value", "value": ""},
           {"id": "gov-dq-open", "property": "value", "value": ["open"]}], [{"id": "gov-lang", "property": "data", "value": "zh"}])


@pytest.mark.parametrize("username", ["safetyhead", "gridman", "liaison", "kiosk"])
def test_forged_governance_callbacks_return_nothing(cockpit, username):
    s = Session(cockpit, username)
    r = s.callback(*GOV_DQ)
    assert r.status_code == 204 and not r.get_data()
    r = s.callback("gov-lin-result.children", {"id": "gov-lin-result", "property": "children"},
                   [{"id": "gov-lin-go", "property": "n_clicks", "value": 1},
                    {"id": "gov-lin-key", "property": "value", "value": "1"}],
                   [{"id": "gov-lin-table", "property": "value", "value": "event"},
                    {"id": "gov-lang", "property": "data", "value": "zh"}])
    assert r.status_code == 204


def test_governance_callback_answers_a_township_role(cockpit):
    r = Session(cockpit, "duty").callback(*GOV_DQ)
    assert r.status_code == 200 and "身份证号校验位错误" in body(r)


def test_kiosk_sees_the_big_screen_but_no_records(cockpit):
    s = Session(cockpit, "kiosk")
    assert not denied(s.page("/"))
    for path in ("/drill", "/board/safety", "/governance", "/audit"):
        r = s.page(path, "?period=year")
        assert denied(r) and not records_in(r), path


# ---------------------------------------------------------------- people of concern, audit
CARE_CARD = ("care-card.children", {"id": "care-card", "property": "children"})


def _open_card(s: Session, key: str) -> Any:
    return s.callback(*CARE_CARD, [{"id": "care-table", "property": "active_cell",
                                    "value": {"row": 0, "column": 0, "column_id": "name", "row_id": key}}],
                      [{"id": "drill-state", "property": "data", "value": {"path": "/drill", "query": {}, "lang": "zh"}}])


def test_names_only_for_roles_that_need_them_and_every_card_view_is_audited(cockpit):
    from pages._common import engine

    with engine().connect() as conn:
        people = conn.execute(text("SELECT person_key, name, grid_code FROM person ORDER BY person_key")).all()
    own = [p for p in people if p.grid_code == GRID_MAN]
    other = [p for p in people if p.grid_code != GRID_MAN]
    grid_man = Session(cockpit, "gridman")
    lists = len(audit_rows(cockpit, "person.list"))
    page = body(grid_man.page("/drill", f"?village={GRID_MAN[:12]}&grid={GRID_MAN}"))
    assert all(p.name in page for p in own)
    listed = audit_rows(cockpit, "person.list")
    assert len(listed) == lists + 1 and listed[-1].actor == "gridman" and listed[-1].obj_id == GRID_MAN
    head = Session(cockpit, "safetyhead").page("/drill", f"?village={GRID_MAN[:12]}&grid={GRID_MAN}")
    assert not any(p.name in body(head) for p in people)
    before = len(audit_rows(cockpit, "person.view"))
    r = _open_card(grid_man, own[0].person_key)
    assert own[0].name in body(r)
    rows = audit_rows(cockpit, "person.view")
    assert len(rows) == before + 1 and rows[-1].actor == "gridman" and rows[-1].obj_id == own[0].person_key
    # a forged card request for someone outside their grid: nothing of them, and nothing audited as viewed
    r = _open_card(grid_man, other[0].person_key)
    assert other[0].name not in body(r)
    assert len(audit_rows(cockpit, "person.view")) == before + 1
    # a board head may not see names at all
    r = _open_card(Session(cockpit, "safetyhead"), own[0].person_key)
    assert own[0].name not in body(r)


def _export(s: Session, query: dict) -> Any:
    """A click on the drill-down's CSV button (``test_export`` has the formats and the refusals in full)."""
    return s.callback("drill-download.data", {"id": "drill-download", "property": "data"},
                      [{"id": "drill-export", "property": "n_clicks", "value": 1},
                       {"id": "drill-export-xlsx", "property": "n_clicks", "value": 0}],
                      [{"id": "drill-state", "property": "data", "value": {"path": "/drill", "query": query, "lang": "zh"}}],
                      changed=["drill-export.n_clicks"])


def test_export_is_scoped_permission_checked_and_audited(cockpit):
    before, refused = len(audit_rows(cockpit, "export")), len(audit_rows(cockpit, "export.refused"))
    head = Session(cockpit, "safetyhead")
    r = _export(head, {"period": "year"})
    assert r.status_code == 200
    content = r.get_json()["response"]["drill-download"]["data"]["content"]
    ids = {int(line.split(",")[0]) for line in content.lstrip("\ufeff").splitlines()[1:]}
    assert ids and ids <= event_ids(cockpit, "board = 'safety'")
    rows = audit_rows(cockpit, "export")
    assert len(rows) == before + 1 and rows[-1].actor == "safetyhead"
    assert json.loads(rows[-1].detail)["rows"] == len(ids)
    # asking for another board, and a grid worker or the kiosk (no export permission): nothing sent, refusals audited
    assert _export(head, {"period": "year", "board": "party"}).status_code == 204
    for who in ("gridman", "kiosk"):
        assert _export(Session(cockpit, who), {"period": "year"}).status_code == 204
    assert len(audit_rows(cockpit, "export")) == before + 1
    got = [(r.actor, json.loads(r.detail)["reason"]) for r in audit_rows(cockpit, "export.refused")[refused:]]
    assert got == [("safetyhead", "scope"), ("gridman", "permission"), ("kiosk", "permission")]


def test_audit_page_filters(cockpit):
    Session(cockpit, "lead")  # a login to find
    s = Session(cockpit, "root")
    page = body(s.page("/audit", "?action=login.success&actor=lead"))
    assert "lead" in page and "登录成功" in page and "gridman" not in page
    with pytest.raises(Exception):
        from pages._common import engine

        with engine().begin() as conn:  # append-only: the database refuses changes
            conn.execute(text("DELETE FROM audit_log"))


# ---------------------------------------------------------------- injection
INJECTIONS = ["' OR '1'='1", "1; DROP TABLE event; --", "<script>alert(1)</script>",
              "\"><img src=x onerror=alert(1)>", "%' OR 1=1 --", "330999001001' UNION SELECT name FROM person --"]
PARAMS = ["period", "start", "end", "village", "grid", "category", "indicator", "board"]


@pytest.mark.parametrize("payload", INJECTIONS)
def test_injection_in_every_filter_is_harmless(cockpit, payload):
    from urllib.parse import urlencode

    from pages._common import engine

    with engine().connect() as conn:
        before = conn.execute(text("SELECT (SELECT COUNT(*) FROM event), (SELECT COUNT(*) FROM person), "
                                   "(SELECT COUNT(*) FROM user_account)")).one()
    s = Session(cockpit, "lead")
    for path in ("/board/safety", "/drill", "/audit", "/governance"):
        for param in PARAMS + ["actor", "action", "from", "to", "lang", "source", "rule"]:
            r = s.page(path, "?" + urlencode({param: payload}))
            assert r.status_code == 200, (path, param)
            text_ = body(r)
            assert "<script>" not in text_ and "onerror=alert" not in text_ or param == "actor", (path, param)
            assert "居民" not in text_, (path, param)  # no UNION of person names  # no UNION of person names
    lin = s.callback("gov-lin-result.children", {"id": "gov-lin-result", "property": "children"},
                     [{"id": "gov-lin-go", "property": "n_clicks", "value": 1},
                      {"id": "gov-lin-key", "property": "value", "value": payload}],
                     [{"id": "gov-lin-table", "property": "value", "value": "event"},
                      {"id": "gov-lang", "property": "data", "value": "zh"}])
    assert lin.status_code == 200
    with engine().connect() as conn:
        assert conn.execute(text("SELECT (SELECT COUNT(*) FROM event), (SELECT COUNT(*) FROM person), "
                                 "(SELECT COUNT(*) FROM user_account)")).one() == before


def test_an_injected_actor_filter_is_shown_as_text_not_markup(cockpit):
    s = Session(cockpit, "root")
    r = s.page("/audit", "?actor=" + "<script>alert(1)</script>")
    value = json.dumps(r.get_json())
    # the value sits in an input's value property (React renders it as text), never as a component
    assert '"type": "Script"' not in value and r.status_code == 200


# ---------------------------------------------------------------- every role against every callback
CALLBACK_PAGE = {"board": "board", "drill": "drill", "gov": "governance", "audit": "audit", "big": "bigscreen",
                 "care": "drill", "wc": "warnings", "wa": "warnings",
                 "od": "orders", "oa": "orders", "fo": "my_orders", "notify": "notifications",
                 "wl": "whistles", "wb": "whistles", "ws": "whistles", "rk": "ranking", "dp": "ranking",
                 "ms": "my_summons", "rv": "review", "rp": "reports"}
PAGE_USERS = {"bigscreen": PAGE_MATRIX["/"], "board": PAGE_MATRIX["/board/safety"], "drill": PAGE_MATRIX["/drill"],
              "warnings": PAGE_MATRIX["/warnings"], "orders": PAGE_MATRIX["/orders"],
              "governance": PAGE_MATRIX["/governance"], "audit": PAGE_MATRIX["/audit"],
              "my_orders": PAGE_MATRIX["/my/orders"], "notifications": PAGE_MATRIX["/notifications"],
              "whistles": PAGE_MATRIX["/whistles"], "ranking": PAGE_MATRIX["/ranking"],
              "my_summons": PAGE_MATRIX["/my/summons"], "review": PAGE_MATRIX["/review"],
              "reports": PAGE_MATRIX["/reports"]}


def _forged_value(component: str, prop: str) -> Any:
    """A value a hand-made request might send, aimed outside a narrow scope."""
    if component.endswith("-lang"):
        return "zh"
    if component.endswith("-state"):
        return {"path": "/drill", "query": {"village": OTHER_VILLAGE, "period": "year"}, "lang": "zh"}
    if component.endswith("-codes"):
        return [OTHER_VILLAGE]
    return {"n_clicks": 1, "n_intervals": 1, "clickData": {"points": [{"customdata": OTHER_VILLAGE, "y": OTHER_VILLAGE}]},
            "active_cell": {"row": 0, "column": 0, "row_id": "pk000".ljust(64, "0")}, "value": ""}.get(prop)


def _spec(item: str) -> dict:
    """``component.prop`` as Dash's request names it; a pattern-matching id with its ``MATCH`` keys
    set to 1 (one concrete component, as the browser would send)."""
    component, prop = item.rsplit(".", 1)
    if component.startswith("{"):
        return {"id": {k: 1 if v == ["MATCH"] else v for k, v in json.loads(component).items()}, "property": prop}
    return {"id": component, "property": prop}


def _forged_args(items: list[dict]) -> list:
    """Forged values for a callback's inputs or states: a wildcard ``ALL`` group is sent empty."""
    return [[] if "ALL" in i["id"] else {**_spec(f"{i['id']}.{i['property']}"),
                                         "value": _forged_value(i["id"], i["property"])} for i in items]


def _app_callbacks(app: Any) -> list[dict]:
    deps = Session(app, "lead").client.get("/_dash-dependencies").get_json()
    return [d for d in deps if not d["output"].startswith(("..navbar", ".._pages_content")) and d["output"] != "_pages_dummy.children"
            and not d.get("clientside_function")]  # those run in the browser: the server has nothing to answer


@pytest.mark.parametrize("username", [*ACCOUNTS, "kiosk"])
def test_every_callback_answers_only_the_roles_of_its_page(cockpit, username):
    s = Session(cockpit, username)
    callbacks = _app_callbacks(cockpit)
    assert len(callbacks) >= 9
    for dep in callbacks:
        out = dep["output"]
        multi = out.startswith("..")
        outputs = [_spec(o) for o in out.strip(".").split("...")] if multi else _spec(out.split("@")[0])
        first = (outputs[0] if multi else outputs)["id"]
        if isinstance(first, dict):  # a pattern-matching id: its role names the page
            first = first["role"]
        page = CALLBACK_PAGE[first.split("-")[0]]
        if first == "big-go":
            page = "drill"
        inputs, state = _forged_args(dep["inputs"]), _forged_args(dep["state"])
        first_input = next((i for i in inputs if isinstance(i, dict)), None)
        changed = [f"{json.dumps(first_input['id'], separators=(',', ':'), sort_keys=True) if isinstance(first_input['id'], dict) else first_input['id']}.{first_input['property']}"] if first_input else []
        r = s.client.post("/_dash-update-component", json={"output": out, "outputs": outputs, "inputs": inputs,
                                                          "state": state, "changedPropIds": changed},
                          headers={"X-CSRFToken": s.csrf})
        may = username in PAGE_USERS[page]
        assert r.status_code in ((200, 204) if may else (204,)), (username, out, r.status_code, body(r)[:300])
        if not may:
            assert not r.get_data()
