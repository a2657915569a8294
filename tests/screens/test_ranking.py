"""The ranking ``/ranking`` (红黑榜), a department's page ``/departments/<code>`` and the big screen's
ranking slot on the real app (Flask test client) over whistles blown and answered through the core
(``add_whistles``: departments that answer well, late, not at all, contest, or are summoned too
rarely): the table's numbers against the core's ranking and against counts by SQL written here, the
formula following the configured weights, a liaison's scope on the department page, bad URL values.
The browser flow: ``test_ranking_browser``; page = big screen = CLI: ``test_score_equal``."""

from __future__ import annotations

import dataclasses
import os
import re
import sqlite3
from datetime import datetime, timedelta
from typing import Iterator

import pytest
from sqlalchemy import insert, select, text

from cockpit import clock
from cockpit.auth.users import create_user
from cockpit.i18n import t
from cockpit.warehouse import schema
from cockpit.warehouse.db import engine_for
from cockpit.whistles import score as core
from cockpit.whistles.actions import act
from cockpit.whistles.blow import blow_whistle
from cockpit.whistles.settings import score_from, score_settings
from tests.orders import builders as ob
from tests.warnings import builders as wb
from tests.screens.test_access import Session, body, denied
from tests.screens.test_warning_screens import node, text_of

TOWNSHIP = "330999001"
OTHER_TOWNSHIP = "330999002"
# department -> how it answers (add_whistles)
PERSONAS = {"police": "good", "urban": "fair", "market": "slow", "emergency": "late", "health": "absent",
            "civil_affairs": "contester"}
RARE = "justice"  # summoned every sixth day: too few cases (样本不足)


def _plan(persona: str, s: dict, i: int) -> list[tuple[datetime, str, str, dict]]:
    """The steps of one case: (when, action, by department | township, keywords)."""
    c, ack, arrive, resolve = s["created_at"], s["ack_due_at"], s["arrive_due_at"], s["resolve_due_at"]
    m = timedelta(minutes=1)
    if persona == "good":
        return [(c + 5 * m, "acknowledged", "dept", {}), (c + 60 * m, "arrived", "dept", {}),
                (c + 5 * 60 * m, "resolved", "dept", {"note": "已处置"}),
                (c + 6 * 60 * m, "verified", "town", {"rating": 5})]
    if persona == "fair":
        late_arrival = i % 3 == 0
        return [(c + 15 * m, "acknowledged", "dept", {}),
                (arrive + 60 * m if late_arrival else c + 180 * m, "arrived", "dept", {}),
                (arrive + 180 * m if late_arrival else c + 10 * 60 * m, "resolved", "dept", {"note": "已处置"}),
                (arrive + 240 * m if late_arrival else c + 11 * 60 * m, "verified", "town", {"rating": 4})]
    if persona == "slow":
        return [(ack + 20 * m, "acknowledged", "dept", {}), (c + 200 * m, "arrived", "dept", {}),
                (c + 30 * 60 * m, "resolved", "dept", {"note": "已处置"}),
                (c + 31 * 60 * m, "verified", "town", {"rating": 3})]
    if persona == "late":
        steps = [(ack + 60 * m, "acknowledged", "dept", {}), (arrive + 120 * m, "arrived", "dept", {}),
                 (resolve + 180 * m, "resolved", "dept", {"note": "已处置"})]
        if i % 2 == 0:
            steps += [(resolve + 200 * m, "reopened", "town", {"note": "未彻底解决，返工"}),
                      (resolve + 400 * m, "resolved", "dept", {"note": "已返工"})]
        return steps + [(resolve + 420 * m, "verified", "town", {"rating": 2})]
    if persona == "absent":
        return [(resolve + 60 * m, "closed", "town", {"rating": 1, "note": "部门未到场，结案"})]
    # contester: answers "not ours" in time; the township accepts every other contest
    steps = [(c + 10 * m, "contested", "dept", {"note": "不属于本部门职责"})]
    if i % 2 == 0:
        return steps + [(c + 120 * m, "contest_accepted", "town", {})]
    return steps + [(c + 120 * m, "contest_rejected", "town", {"note": "属于本部门职责"}),
                    (c + 180 * m, "arrived", "dept", {}), (c + 8 * 60 * m, "resolved", "dept", {"note": "已处置"}),
                    (c + 9 * 60 * m, "verified", "town", {"rating": 4})]


def add_whistles(url: str, *, days: int = 63, now: datetime | None = None, other_township: bool = True) -> None:
    """A whistle every morning for ``days`` days up to ``now`` (the clock), each summoning three of
    ``PERSONAS`` in turn (and ``RARE`` every sixth day); every step that is due by ``now`` is taken
    through ``act`` at its time, the rest left open (recent cases, some overdue). ``other_township``:
    a second township (柳岸镇) with a few whistles of its own."""
    now = now or clock.now()
    with engine_for(url).begin() as conn:
        town = create_user(conn, "score_duty", ob.PASSWORD, "operator", actor="admin", must_change_password=False,
                           now=now - timedelta(days=days + 1))
        liaisons = {code: create_user(conn, f"score_{code}", ob.PASSWORD, "department_liaison", actor="admin",
                                      must_change_password=False, department_code=code, now=now - timedelta(days=days + 1))
                    for code in (*PERSONAS, RARE)}
        codes = list(PERSONAS)
        steps: list[tuple[datetime, int, str, str, dict]] = []
        for i in range(days, -1, -1):
            at = (now - timedelta(days=i)).replace(hour=9, minute=0, second=0, microsecond=0)
            if at > now:
                continue
            chosen = [codes[(i + k) % len(codes)] for k in range(3)] + ([RARE] if i % 6 == 0 else [])
            w = ob.warning(conn, now=at, subject=f"score-{i}")
            whistle = blow_whistle(conn, town, warning_id=w["id"], departments=chosen, ack_minutes=30, arrive_minutes=240,
                                   resolve_hours=48, now=at)
            for s in whistle["summons"]:
                persona = PERSONAS.get(s["department_code"], "good")
                for when, action, by, kw in _plan(persona, s, i):
                    steps.append((when, s["id"], action, s["department_code"] if by == "dept" else "", kw))
        if other_township:  # a second township: four whistles to police and market (too few cases to score)
            a = schema.area.c
            row = dict(conn.execute(select(schema.area).where(a.code == TOWNSHIP)).mappings().one())
            row.update(code=OTHER_TOWNSHIP, name="柳岸镇", seq=2, src_key=OTHER_TOWNSHIP)
            row.pop("id", None)
            conn.execute(insert(schema.area).values(**row))
            for i in range(1, 5):
                at = (now - timedelta(days=i)).replace(hour=14, minute=0, second=0, microsecond=0)
                w = ob.warning(conn, grid=wb.GRID_B11, now=at, subject=f"score-b-{i}")
                for x in blow_whistle(conn, town, warning_id=w["id"], departments=["police", "market"], ack_minutes=30,
                                      arrive_minutes=240, resolve_hours=48, now=at)["summons"]:
                    steps.append((at + timedelta(minutes=5), x["id"], "acknowledged", x["department_code"], {}))
        done: set[int] = set()  # summons with a step still in the future: their later steps wait too
        for when, sid, action, dept, kw in sorted(steps, key=lambda x: (x[0], x[1])):
            if when > now or sid in done:
                done.add(sid)
                continue
            act(conn, sid, action, liaisons[dept] if dept else town, now=when, **kw)


def month() -> core.Period:
    return core.Period.containing("month", clock.now().date())


# ---------------------------------------------------------------- the warehouse of these tests
@pytest.fixture(scope="module")
def scored(cockpit, tmp_path_factory) -> Iterator[str]:
    """The in-process app pointed, for this module, at a copy of its warehouse with ``add_whistles``
    (sign-in stays on the original, which holds the same accounts)."""
    from pages._common import config

    source = config().warehouse_url
    assert source.startswith("sqlite:///")
    copy = tmp_path_factory.mktemp("scored") / "warehouse.db"
    with sqlite3.connect(source.removeprefix("sqlite:///")) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    url = f"sqlite:///{copy}"
    add_whistles(url)
    saved = os.environ["COCKPIT_WAREHOUSE_URL"]
    os.environ["COCKPIT_WAREHOUSE_URL"] = url
    config.cache_clear()
    try:
        yield url
    finally:
        os.environ["COCKPIT_WAREHOUSE_URL"] = saved
        config.cache_clear()


def sql(url: str, query: str, **params):
    with engine_for(url).connect() as conn:
        return conn.execute(text(query), params).all()


def core_ranking(url: str, period: core.Period, settings=None) -> list[core.DepartmentScore]:
    from pages._common import config

    with engine_for(url).connect() as conn:
        return core.ranking(conn, period, clock.now(), settings or score_settings(config()), township=TOWNSHIP)


def page_scores(response) -> dict[str, str]:
    """department -> the score cell's text of the ranking table."""
    b = body(response)
    return {code: text_of(node(response, f"rk-score-{code}")) for code in re.findall(r'"rk-row-([a-z_]+)"', b)}


def page_order(response) -> list[str]:
    return re.findall(r'"id": "rk-row-([a-z_]+)"', body(response))


# ---------------------------------------------------------------- the ranking
def test_the_table_equals_the_core_and_counts_by_sql(cockpit, scored):
    p = month()
    r = Session(cockpit, "lead").page("/ranking", f"?period={p.name}")
    assert r.status_code == 200 and not denied(r)
    want = core_ranking(scored, p)
    assert page_order(r) == [x.department_code for x in want]
    scores = page_scores(r)
    for x in want:
        assert scores[x.department_code] == (t("score.insufficient", "zh") if x.score is None else f"{x.score:.1f}")
        assert text_of(node(r, f"rk-grade-{x.department_code}")) == (x.grade or t("score.insufficient", "zh"))
        assert text_of(node(r, f"rk-rank-{x.department_code}")) == (str(x.rank) if x.rank else "—")
    # counted and excused cases by SQL written here
    counts = {d: (int(n), int(e)) for d, n, e in sql(
        scored, "SELECT department_code, SUM(CASE WHEN status NOT IN ('excused', 'cancelled') THEN 1 ELSE 0 END), "
                "SUM(CASE WHEN status = 'excused' THEN 1 ELSE 0 END) FROM summons "
                "WHERE created_at >= :a AND created_at < :b AND township_code = :t GROUP BY department_code",
        a=datetime.combine(p.start, datetime.min.time()), b=datetime.combine(p.end, datetime.min.time()), t=TOWNSHIP)}
    assert set(counts) == set(scores) and len(counts) == 7
    for code, (n, excused) in counts.items():
        assert text_of(node(r, f"rk-cases-{code}")) == str(n)
        if excused:
            assert t("score.excused_n", "zh", n=excused) in text_of(node(r, f"rk-row-{code}"))
    assert counts["civil_affairs"][1] > 0
    # one term by SQL: police acknowledged every due case within 30 minutes
    ok, due = sql(scored, "SELECT SUM(CASE WHEN acknowledged_at <= ack_due_at THEN 1 ELSE 0 END), "
                          "SUM(CASE WHEN acknowledged_at IS NOT NULL OR ack_due_at <= :n OR status = 'closed' THEN 1 ELSE 0 END) "
                          "FROM summons WHERE department_code = 'emergency' AND created_at >= :a AND created_at < :b",
                  n=clock.now(), a=datetime.combine(p.start, datetime.min.time()),
                  b=datetime.combine(p.end, datetime.min.time()))[0]
    assert t("score.cell", "zh", done=int(ok), due=int(due)) in text_of(node(r, "rk-acknowledged_on_time-emergency"))
    # grades spread, 样本不足 last, 红榜 on top and 黑榜 at the bottom
    grades = [x.grade for x in want if x.grade]
    assert len(set(grades)) >= 4, grades
    assert want[-1].department_code == RARE and want[-1].insufficient
    rows = page_order(r)
    assert "rk-red" in str(node(r, f"rk-row-{rows[0]}")["props"]["className"])
    assert "rk-black" in str(node(r, f"rk-row-{rows[-2]}")["props"]["className"])
    assert "rk-insufficient" in str(node(r, f"rk-row-{RARE}")["props"]["className"])
    assert t("ranking.running", "zh", at=clock.now().strftime("%Y-%m-%d %H:%M")) in text_of(node(r, "rk-period"))
    figure = node(r, "rk-fig")["props"]["figure"]["data"][0]
    assert figure["x"] == [round(x.score, 1) for x in want if x.score is not None]


def test_weeks_quarters_and_the_previous_period(cockpit, scored):
    s = Session(cockpit, "lead")
    today = clock.now().date()
    for kind in ("week", "quarter"):
        r = s.page("/ranking", f"?kind={kind}")
        p = core.Period.containing(kind, today)
        assert p.name in text_of(node(r, "rk-period"))
        assert page_order(r) == [x.department_code for x in core_ranking(scored, p)]
    previous = month().before(1)
    r = s.page("/ranking", f"?period={previous.name}")
    assert t("ranking.ended", "zh", at=clock.now().strftime("%Y-%m-%d %H:%M")) in text_of(node(r, "rk-period"))
    assert page_scores(r) == {x.department_code: (f"{x.score:.1f}" if x.score is not None else t("score.insufficient", "zh"))
                              for x in core_ranking(scored, previous)}
    assert f"period={month().name}" in node(r, "rk-next")["props"]["href"]
    assert "href" not in node(s.page("/ranking"), "rk-next")["props"]  # no period after the running one


def test_the_formula_is_written_from_the_configured_weights(cockpit, scored, monkeypatch):
    import sys

    from pages._common import config

    page = sys.modules["pages.ranking"]  # the module Dash Pages loaded

    s = Session(cockpit, "lead")
    before = s.page("/ranking")
    lines = text_of(node(before, "rk-formula"))
    assert "响应 30 = 20 × 按时签收率 + 10 × 按时到场率" in lines
    assert "解决 35 = 20 × 解决率 + 15 × 按期解决率" in lines and "满意 35 = 35 × (平均评分 − 1) / 4" in lines
    assert "扣分 = 10 × 返工率" in lines
    changed = score_from({"weights": {"acknowledged_on_time": 30, "arrived_on_time": 10, "resolved": 10,
                                      "resolved_on_time": 10, "satisfaction": 40, "reopened": 20},
                          "min_sample": 3})
    real = config()
    monkeypatch.setattr(page, "config", lambda: dataclasses.replace(real, score=changed))
    r = s.page("/ranking")
    lines = text_of(node(r, "rk-formula"))
    assert "响应 40 = 30 × 按时签收率 + 10 × 按时到场率" in lines and "满意 40 = 40 × (平均评分 − 1) / 4" in lines
    assert "扣分 = 20 × 返工率" in lines and "少于 3 件" in text_of(node(r, "rk-grades"))
    want = core_ranking(scored, month(), changed)
    assert page_scores(r) == {x.department_code: f"{x.score:.1f}" for x in want}  # justice now scored too
    assert page_scores(r) != page_scores(before)


def test_bad_parameters_get_a_clear_message(cockpit, scored):
    s = Session(cockpit, "lead")
    default = page_order(s.page("/ranking"))
    for search, name in (("?period=2026-W99", "period"), ("?period=abc", "period"), ("?period=2999-01", "period"),
                         ("?kind=decade", "kind"), ("?township=999999999", "township"),
                         ("?period=%3Cscript%3E", "period")):
        r = s.page("/ranking", search)
        assert r.status_code == 200, search
        assert t("filter.bad_param", "zh", name=name) in body(r), search
        assert page_order(r) == default, search
        assert "<script>" not in body(r)
    r = s.page("/departments/nosuch")
    assert r.status_code == 200 and t("dept.unknown", "zh", code="nosuch") in body(r)
    r = s.page("/departments/%3Cscript%3E")
    assert r.status_code == 200 and "dept-unknown" in body(r) and "<script>" not in body(r)
    r = s.page("/departments/police", "?period=2026-13")
    assert t("filter.bad_param", "zh", name="period") in body(r) and "dept-score" in body(r)


# ---------------------------------------------------------------- a department's page
def test_a_departments_page_shows_its_score_trend_and_every_case(cockpit, scored):
    p = month()
    s = Session(cockpit, "lead")
    for code in ("civil_affairs", "emergency", RARE):
        r = s.page(f"/departments/{code}")
        assert r.status_code == 200 and not denied(r)
        mine = next(x for x in core_ranking(scored, p) if x.department_code == code)
        assert text_of(node(r, "dept-score")) == (f"{mine.score:.1f}" if mine.score is not None
                                                  else t("score.insufficient", "zh"))
        assert text_of(node(r, "dept-cases")) == str(mine.cases)
        ids = [int(i) for i, in sql(scored, "SELECT id FROM summons WHERE department_code = :d AND created_at >= :a "
                                            "AND created_at < :b ORDER BY created_at DESC, id DESC", d=code,
                                    a=datetime.combine(p.start, datetime.min.time()),
                                    b=datetime.combine(p.end, datetime.min.time()))]
        assert [int(i) for i in re.findall(r'"id": "dept-case-(\d+)"', body(r))] == ids
        for sid in ids[:3]:
            (n,), = sql(scored, "SELECT COUNT(*) FROM summons_log WHERE summons_id = :i", i=sid)
            assert t("dept.timeline", "zh", n=n) in text_of(node(r, f"dept-case-{sid}"))
        trend = node(r, "dept-trend")["props"]["figure"]["data"][0]
        with engine_for(scored).connect() as conn:
            want = core.trend(conn, code, p, clock.now(), score_settings(), township=TOWNSHIP)
        assert trend["x"] == [q.name for q, _ in want] and len(want) == 8
        assert trend["y"] == [round(x.score, 1) if x and x.score is not None else None for _, x in want]
    # the rare department's periods with too few cases (this month) and without cases are gaps, not zeros, named
    assert trend["y"][-1] is None and trend["y"][0] is None and trend["connectgaps"] is False
    notes = [n["text"] for n in node(r, "dept-trend")["props"]["figure"]["layout"]["annotations"]]
    assert t("score.insufficient", "zh") in notes
    # why a case is not counted, and a contest that stays in
    r = s.page("/departments/civil_affairs")
    excused = sql(scored, "SELECT id FROM summons WHERE department_code = 'civil_affairs' AND status = 'excused' "
                          "AND created_at >= :a ORDER BY id", a=datetime.combine(p.start, datetime.min.time()))
    rejected = sql(scored, "SELECT id FROM summons WHERE department_code = 'civil_affairs' AND contest_outcome = 'rejected' "
                           "AND created_at >= :a ORDER BY id", a=datetime.combine(p.start, datetime.min.time()))
    assert excused and rejected
    assert t("dept.excused", "zh") in text_of(node(r, f"dept-counted-{excused[0][0]}"))
    assert t("dept.contest_rejected", "zh") in text_of(node(r, f"dept-counted-{rejected[0][0]}"))
    assert "/whistles/" in body(r)
    r = s.page("/departments/emergency")
    late = sql(scored, "SELECT id FROM summons WHERE department_code = 'emergency' AND acknowledged_at > ack_due_at "
                       "AND created_at >= :a ORDER BY id", a=datetime.combine(p.start, datetime.min.time()))
    assert t("dept.late", "zh") in text_of(node(r, f"dept-step-{late[0][0]}-ack"))
    police = s.page("/departments/police")
    good = sql(scored, "SELECT s.id FROM summons s JOIN whistle w ON w.id = s.whistle_id "  # this module's cases
                       "WHERE s.department_code = 'police' AND s.status = 'verified' AND w.created_by = 'score_duty' "
                       "AND s.created_at >= :a ORDER BY s.id", a=datetime.combine(p.start, datetime.min.time()))
    assert t("dept.met", "zh") in text_of(node(police, f"dept-step-{good[0][0]}-resolve"))
    assert "5 / 5" == text_of(node(police, f"dept-rating-{good[0][0]}"))


def test_a_liaison_opens_only_their_own_departments_page(cockpit, scored):
    s = Session(cockpit, "liaison")  # urban
    own = s.page("/departments/urban")
    assert not denied(own) and "dept-score" in body(own)
    for code in ("police", "civil_affairs", "nosuch"):
        r = s.page(f"/departments/{code}")
        assert denied(r) and t("dept.own_only", "zh", own="县综合行政执法局") in body(r), code
        assert "dept-case-" not in body(r) and "dept-score" not in body(r)
    ranking = s.page("/ranking")
    assert not denied(ranking) and "rk-link-urban" in body(ranking) and "rk-link-police" not in body(ranking)
    assert page_order(ranking) == page_order(Session(cockpit, "lead").page("/ranking"))  # the 红黑榜 is public
    audited = sql(scored, "SELECT COUNT(*) FROM audit_log WHERE action = 'department.refused' AND actor = 'liaison'")
    assert audited[0][0] >= 1


def test_the_big_screen_slot_shows_the_months_scores(cockpit, scored):
    from pages.bigscreen import RANKING_TOP

    r = Session(cockpit, "lead").page("/")
    data = node(r, "big-ranking")["props"]["figure"]["data"][0]
    want = [x for x in core_ranking(scored, month()) if x.score is not None][:RANKING_TOP]
    assert data["x"] == [round(x.score, 1) for x in want]
    assert data["customdata"] == [x.department_code for x in want]
    assert [s.split(" · ")[1] for s in data["text"]] == [x.grade for x in want]
    assert RARE not in data["customdata"]
    assert t("section.ranking", "zh") in body(r)


def test_a_viewer_of_several_townships_chooses_one(cockpit, scored):
    lead = Session(cockpit, "lead")
    r = lead.page("/ranking")
    assert "rk-town-330999001" in body(r) and f"rk-town-{OTHER_TOWNSHIP}" in body(r)
    other = lead.page("/ranking", f"?township={OTHER_TOWNSHIP}")
    with engine_for(scored).connect() as conn:
        want = core.ranking(conn, month(), clock.now(), score_settings(), township=OTHER_TOWNSHIP)
    assert page_order(other) == [x.department_code for x in want] == ["market", "police"]
    assert all(x.insufficient for x in want)
    assert f"township={OTHER_TOWNSHIP}" in node(other, "rk-prev")["props"]["href"]
    assert f"township={OTHER_TOWNSHIP}" in node(other, "rk-link-police")["props"]["href"]
    police = lead.page("/departments/police", f"?township={OTHER_TOWNSHIP}")
    assert len(re.findall(r'"id": "dept-case-(\d+)"', body(police))) == 4
    grid = Session(cockpit, "gridman")  # a grid of the first township: no choice, the other is refused
    r = grid.page("/ranking")
    assert not denied(r) and "rk-towns" not in body(r)
    r = grid.page("/ranking", f"?township={OTHER_TOWNSHIP}")
    assert t("filter.bad_param", "zh", name="township") in body(r)
    assert page_order(r) == page_order(lead.page("/ranking"))


def test_the_figures_leave_out_too_few_cases_and_draw_gaps():
    import pandas as pd

    from figures.score import score_bars, score_trend

    df = pd.DataFrame([{"department": "a", "name_zh": "甲", "name_en": "A", "score": 92.04, "grade": "A"},
                       {"department": "b", "name_zh": "乙", "name_en": "B", "score": 51.0, "grade": "D"},
                       {"department": "c", "name_zh": "丙", "name_en": "C", "score": None, "grade": None}], dtype=object)
    bars = score_bars(df, lang="zh")["data"][0]
    assert bars["x"] == [92.0, 51.0] and bars["customdata"] == ["a", "b"] and bars["text"] == ["92.0 · A", "51.0 · D"]
    assert score_bars(df, lang="zh", top=1)["data"][0]["customdata"] == ["a"]
    assert score_bars(df.iloc[2:], lang="en")["data"] == []  # nobody scored: a message, no bars
    trend = score_trend(pd.DataFrame({"period": ["2026-09", "2026-10", "2026-11"], "score": [80.0, None, 70.0],
                                      "grade": ["B", None, "C"], "insufficient": [False, True, False]}, dtype=object),
                        lang="zh")
    assert trend["data"][0]["y"] == [80.0, None, 70.0]
    assert [(n["x"], n["text"]) for n in trend["layout"]["annotations"]] == [("2026-10", "样本不足")]
