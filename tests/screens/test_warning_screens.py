"""The warning center and a warning's page on the real app (Flask test client, the screens dataset):
what each role sees, bad URL parameters, and the actions: offered only to operators and leaders,
refused and audited on the server when forged by anyone else."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import text

from cockpit.i18n import t
from tests.screens.test_access import Session, audit_rows, body, denied

OPEN = "ended_at IS NULL AND status NOT IN ('dismissed', 'cleared')"


def sql(query: str, **params):  # noqa: ANN201
    from pages._common import engine

    with engine().connect() as conn:
        return conn.execute(text(query), params).all()


def listed(response) -> set[int]:  # noqa: ANN001
    """The warnings in the table of a warning-center response."""
    return {int(m) for m in re.findall(r'"wc-open-(\d+)"', body(response))}


def node(response, component_id: str) -> dict:  # noqa: ANN001
    """The component ``component_id`` in a page response."""
    def walk(n):  # noqa: ANN001, ANN202
        if isinstance(n, dict):
            if isinstance(n.get("props"), dict) and n["props"].get("id") == component_id:
                return n
            for v in n.values():
                found = walk(v)
                if found is not None:
                    return found
        elif isinstance(n, list):
            for v in n:
                found = walk(v)
                if found is not None:
                    return found
        return None
    found = walk(response.get_json())
    assert found is not None, component_id
    return found


def text_of(n) -> str:  # noqa: ANN001
    if isinstance(n, (str, int, float)):
        return str(n)
    if isinstance(n, list):
        return "".join(text_of(x) for x in n)
    if isinstance(n, dict):
        return text_of(n.get("props", {}).get("children"))
    return ""


def warning_of(where: str) -> int:
    return sql(f"SELECT id FROM warning WHERE {where} ORDER BY id")[0][0]


def test_the_center_lists_the_open_warnings_with_counts_per_level(cockpit):
    s = Session(cockpit, "lead")
    r = s.page("/warnings")
    assert r.status_code == 200 and not denied(r)
    assert listed(r) == {i for (i,) in sql(f"SELECT id FROM warning WHERE {OPEN}")}
    counts = dict(sql(f"SELECT level, COUNT(*) FROM warning WHERE {OPEN} GROUP BY level"))
    for level in ("red", "orange", "yellow", "blue"):
        chip = node(r, f"wc-count-{level}")
        assert text_of(chip).endswith(str(counts.get(level, 0)))
        assert f"level={level}" in chip["props"]["href"]  # a count is a link that filters by its level
    orange = s.page("/warnings", "?level=orange")
    assert "level=" not in node(orange, "wc-count-orange")["props"]["href"]  # clicked again: the filter goes
    assert listed(orange) == {i for (i,) in sql(f"SELECT id FROM warning WHERE {OPEN} AND level = 'orange'")}
    assert listed(s.page("/warnings", "?status=all")) == {i for (i,) in sql("SELECT id FROM warning")}
    assert listed(s.page("/warnings", "?muted=yes")) == {i for (i,) in sql(f"SELECT id FROM warning WHERE {OPEN} "
                                                                           "AND silence_id IS NOT NULL")}


def test_bad_parameters_give_a_notice_not_a_crash(cockpit):
    s = Session(cockpit, "lead")
    r = s.page("/warnings", "?level=purple&status=%3Cscript%3E&period=fortnight&village=x&board=nope&rule=Bad!")
    assert r.status_code == 200
    text_ = body(r)
    for name in ("level", "status", "period", "village", "board", "rule"):
        assert t("filter.bad_param", "zh", name=name) in text_
    assert listed(r) == {i for (i,) in sql(f"SELECT id FROM warning WHERE {OPEN}")}  # the defaults
    for search in ("?id=abc", "?id=-1", "?id=99999999", "?id=1&done=everything"):
        r = s.page("/warnings", search)
        assert r.status_code == 200, search
    assert t("filter.bad_param", "zh", name="id") in body(s.page("/warnings", "?id=abc"))
    assert "wd-not-found" in body(s.page("/warnings", "?id=99999999"))


def test_a_warning_page_shows_its_evidence_history_and_actions(cockpit):
    wid = warning_of("rule = 'prominent_issue'")
    r = Session(cockpit, "duty").page("/warnings", f"?id={wid}")
    text_ = body(r)
    assert "wd-header" in text_ and "wd-timeline" in text_ and "wd-ev-block-event" in text_
    for (key,) in sql("SELECT e.reporter_masked FROM warning_evidence x JOIN event e ON e.src_key = x.src_key "
                      "AND e.src_source = x.src_source WHERE x.warning_id = :w", w=wid):
        assert key in text_
    for button in ("wa-ack", "wa-dismiss", "wa-silence"):
        assert f'"{button}"' in text_
    assert t("warning.action.opened", "zh") in text_ and t("warning.actor.rules", "zh") in text_


def test_names_in_evidence_only_for_roles_with_personal_data(cockpit):
    wid = warning_of("rule = 'power_oversight'")
    assert "干部甲" in body(Session(cockpit, "lead").page("/warnings", f"?id={wid}"))
    r = Session(cockpit, "root").page("/warnings", f"?id={wid}")  # administrators: no names
    assert "wd-ev-block-subsidy_payment" in body(r) and "干部甲" not in body(r) and "居民00" not in body(r)


def test_a_board_head_follows_their_warnings_read_only(cockpit):
    s = Session(cockpit, "safetyhead")
    assert listed(s.page("/warnings", "?status=all")) == {i for (i,) in sql("SELECT id FROM warning WHERE board = 'safety'")}
    wid = warning_of("board = 'safety'")
    text_ = body(s.page("/warnings", f"?id={wid}"))
    assert "wd-header" in text_ and "wa-read-only" in text_
    for button in ("wa-ack", "wa-dismiss", "wa-silence", "wa-end-silence"):
        assert f'"{button}"' not in text_
    other = warning_of("board = 'economy'")
    assert "wd-not-found" in body(s.page("/warnings", f"?id={other}"))


def action_outputs(s: Session, button: str) -> tuple[str, list[dict]]:
    """The output string of the action callback that ``button`` triggers (Dash names duplicate
    outputs with a hash), and its outputs."""
    for dep in s.client.get("/_dash-dependencies").get_json():
        if any(i["id"] == button for i in dep["inputs"]):
            outs = [{"id": o.split(".")[0], "property": o.split(".")[1]} for o in dep["output"].strip(".").split("...")]
            return dep["output"], outs
    raise AssertionError(button)


def _forge_ack(s: Session, wid):  # noqa: ANN001, ANN202
    return s.callback(*action_outputs(s, "wa-ack"), [{"id": "wa-ack", "property": "n_clicks", "value": 1}],
                      [{"id": "wa-ack-note", "property": "value", "value": "forged"},
                       {"id": "wa-id", "property": "data", "value": wid},
                       {"id": "wa-seen", "property": "data", "value": {"status": "new", "level": "orange",
                                                                      "silence_id": None}},
                       {"id": "wa-lang", "property": "data", "value": "zh"}])


def test_a_forged_action_by_a_board_head_is_refused_and_audited(cockpit):
    wid = warning_of("board = 'safety' AND status = 'new'")
    before = sql("SELECT status, acknowledged_at FROM warning WHERE id = :w", w=wid)
    history = sql("SELECT COUNT(*) FROM warning_history WHERE warning_id = :w", w=wid)
    refused = len(audit_rows(cockpit, "warning.refused"))
    r = _forge_ack(Session(cockpit, "safetyhead"), wid)
    assert r.status_code == 200 and t("warning.error.forbidden", "zh") in body(r)
    assert "wa-go" not in json.dumps(r.get_json()["response"])  # no navigation: nothing happened
    assert sql("SELECT status, acknowledged_at FROM warning WHERE id = :w", w=wid) == before
    assert sql("SELECT COUNT(*) FROM warning_history WHERE warning_id = :w", w=wid) == history
    rows = audit_rows(cockpit, "warning.refused")
    assert len(rows) == refused + 1
    actor, action, obj_type, obj_id, detail = rows[-1]
    assert (actor, obj_type, obj_id) == ("safetyhead", "warning", str(wid))
    assert json.loads(detail) == {"action": "acknowledge", "reason": "permission"}
    # the kiosk may not even open the page: no answer at all, and audited
    r = _forge_ack(Session(cockpit, "kiosk"), wid)
    assert r.status_code == 204 and len(audit_rows(cockpit, "warning.refused")) == refused + 2


@pytest.mark.parametrize("username", ["gridman", "liaison"])
def test_other_roles_may_not_act_either(cockpit, username):
    wid = warning_of("board = 'safety' AND status = 'new'")
    r = _forge_ack(Session(cockpit, username), wid)
    assert t("warning.error.forbidden", "zh") in body(r)
    assert sql("SELECT status FROM warning WHERE id = :w", w=wid) == [("new",)]


def test_an_operator_cannot_act_on_a_warning_outside_the_page_state(cockpit):
    r = _forge_ack(Session(cockpit, "duty"), 99999999)
    assert t("warning.error.not_found", "zh") in body(r)
    r = _forge_ack(Session(cockpit, "duty"), "1; DROP TABLE warning")
    assert t("warning.error.not_found", "zh") in body(r)
    assert sql("SELECT COUNT(*) FROM warning")[0][0] > 0


def test_silence_needs_a_reason_and_a_sensible_end(cockpit):
    from pages._warning_actions import silence_end
    from datetime import datetime

    at = datetime(2026, 12, 2, 10, 0)
    assert silence_end(24, None, at) == datetime(2026, 12, 3, 10, 0)
    assert silence_end(None, "2026-12-05", at) == datetime(2026, 12, 6, 0, 0)
    for hours, until in ((0, None), (721, None), (None, "2026-12-01"), (None, "2027-12-01"), (None, "junk"), (True, None)):
        assert silence_end(hours, until, at) is None, (hours, until)
    wid = warning_of("board = 'safety' AND status = 'new'")
    s = Session(cockpit, "duty")
    r = s.callback(*action_outputs(s, "wa-silence"), [{"id": "wa-silence", "property": "n_clicks", "value": 1}], [
        {"id": "wa-sil-rule", "property": "value", "value": "prominent_issue"},
        {"id": "wa-sil-area", "property": "value", "value": "33099900100101"},
        {"id": "wa-sil-cat", "property": "value", "value": ""},
        {"id": "wa-sil-hours", "property": "value", "value": 24},
        {"id": "wa-sil-until", "property": "date", "value": None},
        {"id": "wa-sil-reason", "property": "value", "value": "   "},
        {"id": "wa-id", "property": "data", "value": wid}, {"id": "wa-lang", "property": "data", "value": "zh"}])
    assert t("warning.error.reason_required", "zh") in body(r)
    assert sql("SELECT COUNT(*) FROM silence WHERE reason = '   '")[0][0] == 0


def test_the_big_screen_lists_live_warnings_and_counts_them_per_level(cockpit):
    r = Session(cockpit, "lead").page("/")
    text_ = body(r)
    live = {i for (i,) in sql(f"SELECT id FROM warning WHERE {OPEN} AND silence_id IS NULL")}
    shown = {int(m) for m in re.findall(r'"big-warning-(\d+)"', text_)}
    # the ten most recent (other modules add warnings of their own to the session's warehouse)
    assert shown <= live and len(shown) == min(10, len(live))
    counts = dict(sql(f"SELECT level, COUNT(*) FROM warning WHERE {OPEN} GROUP BY level"))
    for level in ("red", "orange", "yellow", "blue"):
        assert text_of(node(r, f"big-open-{level}")).endswith(str(counts.get(level, 0)))
    assert text_of(node(r, "big-open-total")) == str(sum(counts.values()))
    kiosk = body(Session(cockpit, "kiosk").page("/"))
    assert "big-warning-list" in kiosk and '"big-warning-' not in kiosk.replace('"big-warning-list"', "")


def _insert_warning(**extra) -> int:  # noqa: ANN003
    """A warning of the test's own (the session dataset's stay as they are for the other tests)."""
    from sqlalchemy import insert

    from cockpit.warehouse import schema as s
    from pages._common import engine
    from tests.screens.dataset import NOW, TOWNSHIP

    row = {"rule": "indicator_lag", "fingerprint": "test-" + str(extra), "open_fingerprint": "test-" + str(extra),
           "subject": "test", "title": "测试预警", "level": "blue", "status": "new", "active": True, "silence_id": None,
           "township_code": TOWNSHIP, "village_code": None, "grid_code": None, "board": "services",
           "category_code": None, "department_code": "health", "lon": None, "lat": None, "evidence_count": 0,
           "measure": None, "opened_at": NOW, "last_matched_at": NOW, "ack_due_at": None, "acknowledged_at": None,
           "ended_at": None, "updated_at": NOW, **extra}
    with engine().begin() as conn:
        return conn.execute(insert(s.warning), [row]).inserted_primary_key[0]


def _send(s: Session, button: str, wid, **values):  # noqa: ANN001, ANN003, ANN202
    """The action callback of ``button`` with ``values`` for its states (by component id)."""
    out, outs = action_outputs(s, button)
    dep = next(d for d in s.client.get("/_dash-dependencies").get_json() if d["output"] == out)
    state = [{"id": i["id"], "property": i["property"],
              "value": {"wa-id": wid, "wa-lang": "zh"}.get(i["id"], values.get(i["id"]))} for i in dep["state"]]
    return s.callback(out, outs, [{"id": button, "property": "n_clicks", "value": 1}], state)


def test_an_operator_acknowledges_and_a_stale_page_meets_a_conflict(cockpit):
    wid = _insert_warning(level="blue")
    seen = {"status": "new", "level": "blue", "silence_id": None}
    s = Session(cockpit, "duty")
    r = _send(s, "wa-ack", wid, **{"wa-ack-note": " 已电话核实 ", "wa-seen": seen})
    assert r.get_json()["response"]["wa-go"]["href"] == f"/warnings?id={wid}&done=acknowledge&lang=zh"
    assert sql("SELECT status FROM warning WHERE id = :w", w=wid) == [("acknowledged",)]
    assert sql("SELECT actor, action, note FROM warning_history WHERE warning_id = :w", w=wid)[-1] == \
        ("duty", "acknowledged", "已电话核实")
    assert ("duty", "warning.acknowledge", "warning", str(wid)) in [r[:4] for r in audit_rows(cockpit, "warning.acknowledge")]
    page = body(s.page("/warnings", f"?id={wid}&done=acknowledge"))
    assert t("warning.done.acknowledge", "zh") in page and '"wa-ack"' in page  # the button stays, disabled
    # another operator's page still shows it new: their acknowledgement meets a conflict, said plainly
    r = _send(Session(cockpit, "lead"), "wa-ack", wid, **{"wa-seen": seen})
    assert r.get_json()["response"]["wa-go"]["href"] == f"/warnings?id={wid}&error=conflict&lang=zh"
    assert t("warning.error.conflict", "zh") in body(s.page("/warnings", f"?id={wid}&error=conflict"))
    assert len(sql("SELECT 1 FROM warning_history WHERE warning_id = :w AND action = 'acknowledged'", w=wid)) == 1


def test_dismiss_needs_a_reason_and_ends_the_warning(cockpit):
    wid = _insert_warning(level="yellow")
    seen = {"status": "new", "level": "yellow", "silence_id": None}
    s = Session(cockpit, "lead")
    r = _send(s, "wa-dismiss", wid, **{"wa-dis-reason": "  ", "wa-seen": seen})
    assert t("warning.error.reason_required", "zh") in body(r)
    assert sql("SELECT status FROM warning WHERE id = :w", w=wid) == [("new",)]
    r = _send(s, "wa-dismiss", wid, **{"wa-dis-reason": "重复数据", "wa-seen": seen})
    assert "done=dismiss" in r.get_json()["response"]["wa-go"]["href"]
    assert sql("SELECT status FROM warning WHERE id = :w AND ended_at IS NOT NULL", w=wid) == [("dismissed",)]
    page = body(s.page("/warnings", f"?id={wid}"))
    assert t("warning.ended_no_actions", "zh") in page and '"wa-dismiss"' not in page


def test_a_silence_from_the_warning_page_mutes_it_and_can_be_ended(cockpit):
    wid = _insert_warning(level="orange", village_code="330999001002")
    s = Session(cockpit, "duty")
    r = _send(s, "wa-silence", wid, **{"wa-sil-rule": "indicator_lag", "wa-sil-area": "330999001002",
                                       "wa-sil-cat": "", "wa-sil-hours": 12, "wa-sil-reason": "数据口径调整中"})
    href = r.get_json()["response"]["wa-go"]["href"]
    assert "done=silence" in href
    (silence_id,), = sql("SELECT silence_id FROM warning WHERE id = :w", w=wid)
    assert silence_id is not None
    assert sql("SELECT rule, area_code, category_code, author, reason FROM silence WHERE id = :i", i=silence_id) == [
        ("indicator_lag", "330999001002", None, "duty", "数据口径调整中")]
    page = body(s.page("/warnings", f"?id={wid}"))
    assert "wd-muted" in page and '"wa-end-silence"' in page
    r = _send(s, "wa-end-silence", wid)
    assert "done=end_silence" in r.get_json()["response"]["wa-go"]["href"]
    assert sql("SELECT silence_id FROM warning WHERE id = :w", w=wid) == [(None,)]


def test_the_warning_maps_are_pure_figures():
    import pandas as pd

    from figures.warnings import LEVEL_COLOURS, level_colour, level_map, warning_position

    ring = [[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]
    shapes = pd.DataFrame({"code": ["A", "B"], "name": ["甲村", "乙村"], "ring": [ring, ring], "lon": [0.5, 0.5],
                           "lat": [0.5, 0.5]})
    levels = pd.DataFrame({"code": ["A"], "level": ["red"], "n_open": [3], "n_red": [1], "n_orange": [2],
                           "n_yellow": [0], "n_blue": [0]})
    fig = level_map(shapes, levels, lang="zh", dark=True)
    fills = [tr["fillcolor"] for tr in fig["data"] if tr.get("fill")]
    assert fills == [level_colour("red", dark=True), level_colour(None, dark=True)]
    assert fig["data"][-1]["customdata"] == ["A", "B"]  # a click drills into the area
    assert "3" in fig["data"][0]["text"] and "当前无预警" in fig["data"][1]["text"]
    assert level_map(pd.DataFrame(columns=["ring"]), pd.DataFrame(), lang="en")["data"] == []
    pos = warning_position(ring, None, None, "orange", lang="zh")
    assert pos["data"][-1]["x"] == [0.5] and pos["data"][-1]["marker"]["color"] == LEVEL_COLOURS["orange"]
    assert warning_position([], 1.0, 2.0, "blue", lang="zh")["data"][-1]["y"] == [2.0]
    assert warning_position([], None, None, "blue", lang="zh")["data"] == []


def test_a_filter_change_goes_to_the_url_of_the_new_view(cockpit):
    s = Session(cockpit, "lead")
    keys = ("level", "rule", "board", "village", "status", "period", "muted")
    chosen = {"level": "red", "status": "all"}

    def ident(k: str) -> dict:
        return {"role": "wfilter", "key": k}

    inputs = [[{"id": ident(k), "property": "value", "value": chosen.get(k, "")} for k in keys]]
    r = s.client.post("/_dash-update-component", headers={"X-CSRFToken": s.csrf}, json={
        "output": "wc-go.href", "outputs": {"id": "wc-go", "property": "href"}, "inputs": inputs,
        "state": [{"id": "wc-state", "property": "data", "value": {"query": {"status": "all"}, "lang": "en"}}],
        "changedPropIds": [json.dumps(ident("level"), separators=(",", ":"), sort_keys=True) + ".value"]})
    assert r.status_code == 200, body(r)[:300]
    assert r.get_json()["response"]["wc-go"]["href"] == "/warnings?status=all&level=red&lang=en"
