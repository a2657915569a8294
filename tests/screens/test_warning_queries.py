"""The warning read side (``queries.warnings``) against SQL written here, on SQLite and PostgreSQL:
counts per level, every filter of the warning center, the scope of each role, one warning's
evidence and history, the map levels and the big screen's live list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from cockpit.auth.roles import scope_for
from cockpit.auth.users import User
from cockpit.scope import Scope
from cockpit.warehouse.db import engine_for
from queries import warnings as qw
from queries._base import clear_cache
from tests.screens.conftest import ACCOUNTS
from tests.screens.dataset import NOW, TOWNSHIP, VILLAGES
from tests.screens.test_scope_everywhere import warehouse_url  # noqa: F401 - the fixture: both engines

OPEN = "ended_at IS NULL AND status NOT IN ('dismissed', 'cleared', 'resolved', 'closed')"
PLACE = "COALESCE(grid_code, village_code, township_code)"
EVERYTHING = Scope(personal_data=True)


def scope_of(username: str) -> Scope:
    role, fields = ACCOUNTS[username]
    return scope_for(User(id=1, username=username, display_name=username, role=role, **fields))


@pytest.fixture(scope="module")
def db(warehouse_url):  # noqa: F811
    clear_cache()
    return engine_for(warehouse_url)


def ids(db, where: str = "1 = 1", **params) -> set[int]:  # noqa: ANN001
    with db.connect() as conn:
        return set(conn.execute(text(f"SELECT id FROM warning WHERE {where}"), params).scalars())


def view(**query: str) -> qw.WarningFilters:
    f, bad = qw.parse_warning_filters(query, NOW)
    assert not bad, bad
    return f


def listed(db, scope: Scope, f: qw.WarningFilters) -> set[int]:  # noqa: ANN001
    return set(qw.warning_list(db, scope, f)["id"])


def test_counts_per_level_match_sql(db):
    with db.connect() as conn:
        expected = dict(conn.execute(text(f"SELECT level, COUNT(*) FROM warning WHERE {OPEN} GROUP BY level")).all())
        every = dict(conn.execute(text("SELECT level, COUNT(*) FROM warning GROUP BY level")).all())
    got = qw.level_counts(db, EVERYTHING, view())
    assert got == {lv: expected.get(lv, 0) for lv in qw.LEVELS} and sum(got.values()) >= 4
    assert qw.level_counts(db, EVERYTHING, view(status="all")) == {lv: every.get(lv, 0) for lv in qw.LEVELS}
    # the chips show every level whatever level the view selects
    assert qw.level_counts(db, EVERYTHING, view(level="red")) == got
    assert qw.count_warnings(db, EVERYTHING, view()) == sum(got.values())
    assert qw.open_level_totals(db, EVERYTHING, area=TOWNSHIP) == got


@pytest.mark.parametrize("query, where", [
    ({}, OPEN),
    ({"status": "all"}, "1 = 1"),
    ({"status": "cleared"}, "status = 'cleared'"),
    ({"status": "acknowledged"}, "status = 'acknowledged'"),
    ({"level": "orange"}, f"{OPEN} AND level = 'orange'"),
    ({"rule": "indicator_lag", "status": "all"}, "rule = 'indicator_lag'"),
    ({"board": "safety"}, f"{OPEN} AND board = 'safety'"),
    ({"village": list(VILLAGES)[0]}, f"{OPEN} AND {PLACE} LIKE '{list(VILLAGES)[0]}%'"),
    ({"muted": "yes"}, f"{OPEN} AND silence_id IS NOT NULL"),
    ({"muted": "no", "status": "all"}, "silence_id IS NULL"),
])
def test_each_filter_of_the_warning_center(db, query, where):
    expected = ids(db, where)
    assert expected, "the dataset must hold warnings of the view, or the check proves nothing"
    assert listed(db, EVERYTHING, view(**query)) == expected
    assert qw.count_warnings(db, EVERYTHING, view(**query)) == len(expected)


def test_period_on_the_time_opened(db):
    f = view(period="last7", status="all")
    start = f.start
    expected = ids(db, "opened_at >= :a", a=NOW.replace(hour=0) - timedelta(days=(NOW.date() - start).days))
    assert expected and expected != ids(db) and listed(db, EVERYTHING, f) == expected
    f = view(period="custom", start=(NOW - timedelta(days=45)).date().isoformat(),
             end=(NOW - timedelta(days=30)).date().isoformat(), status="all")
    assert listed(db, EVERYTHING, f) == ids(db, "rule = 'indicator_lag' AND level = 'yellow'")  # opened 40 days ago


def test_most_severe_first_then_newest(db):
    df = qw.warning_list(db, EVERYTHING, view(status="all"))
    rank = [qw.SEVERITY[lv] for lv in df["level"]]
    assert rank == sorted(rank, reverse=True)
    for lv in qw.LEVELS:
        opened = list(df[df["level"] == lv]["opened_at"])
        assert opened == sorted(opened, reverse=True)


@pytest.mark.parametrize("username, where", [
    ("lead", "1 = 1"),
    ("duty", "1 = 1"),
    ("safetyhead", "board = 'safety'"),
    ("gridman", f"{PLACE} LIKE '{ACCOUNTS['gridman'][1]['grid_codes'][0]}%'"),
    ("liaison", "department_code = 'urban'"),
])
def test_each_role_sees_its_scope(db, username, where):
    scope = scope_of(username)
    expected = ids(db, where)
    assert expected
    assert listed(db, scope, view(status="all")) == expected
    for wid in ids(db):
        assert (qw.warning_detail(db, scope, wid) is not None) == (wid in expected), (username, wid)
        assert (len(qw.warning_history(db, scope, wid)) > 0) == (wid in expected)
    assert set(qw.live_warnings(db, scope)["id"]) == expected & ids(db, f"{OPEN} AND silence_id IS NULL")


def test_parse_reports_each_bad_parameter_and_keeps_the_rest():
    f, bad = qw.parse_warning_filters({"level": "purple", "status": "gone", "board": "x", "village": "abc",
                                       "period": "fortnight", "muted": "maybe", "rule": "DROP TABLE"}, NOW)
    assert sorted(bad) == ["board", "level", "muted", "period", "rule", "status", "village"]
    assert f == qw.WarningFilters()
    f, bad = qw.parse_warning_filters({"rule": "no_such_rule", "level": "red"}, NOW, rules=("prominent_issue",))
    assert bad == ["rule"] and f.level == "red" and f.rule is None
    f, bad = qw.parse_warning_filters({"period": "custom", "start": "2026-13-01", "end": "2026-01-01"}, NOW)
    assert "start" in bad and f.period is None
    assert view(level="red", status="all", period="last7").to_query() == {"level": "red", "status": "all",
                                                                          "period": "last7"}


def test_evidence_is_joined_to_its_rows(db):
    with db.connect() as conn:
        wid = conn.execute(text("SELECT warning_id FROM warning_evidence WHERE fact = 'event'")).scalar()
        expected = conn.execute(text(
            "SELECT e.id, e.channel, e.reporter_masked, e.grid_code FROM warning_evidence x JOIN event e "
            "ON e.src_source = x.src_source AND e.src_key = x.src_key WHERE x.warning_id = :w ORDER BY e.reported_at, e.id"),
            {"w": wid}).all()
        pay = conn.execute(text("SELECT warning_id FROM warning_evidence WHERE fact = 'subsidy_payment'")).scalar()
        name = conn.execute(text("SELECT p.name FROM subsidy_payment s JOIN person p ON p.person_key = s.person_key")).scalar()
    ev = qw.warning_evidence(db, EVERYTHING, wid)
    assert list(ev) == ["event"] and len(expected) == 3
    assert [tuple(r) for r in ev["event"][["id", "channel", "reporter_masked", "grid_code"]].itertuples(index=False)] == \
        [tuple(r) for r in expected]
    named = qw.warning_evidence(db, EVERYTHING, pay)
    assert set(named) == {"subsidy_payment", "cadre_relative"}
    assert named["subsidy_payment"].iloc[0]["person_name"] == name
    assert named["subsidy_payment"].iloc[0]["person_masked"].startswith("330***")
    assert named["cadre_relative"].iloc[0]["cadre_name"] == "干部甲"
    hidden = qw.warning_evidence(db, Scope(personal_data=False), pay)
    assert hidden["subsidy_payment"].iloc[0]["person_name"] is None
    assert hidden["cadre_relative"].iloc[0]["cadre_name"] is None
    assert hidden["subsidy_payment"].iloc[0]["person_masked"].startswith("330***")


def test_history_is_oldest_first_with_the_acknowledgement(db):
    with db.connect() as conn:
        wid = conn.execute(text("SELECT id FROM warning WHERE status = 'acknowledged'")).scalar()
        n = conn.execute(text("SELECT COUNT(*) FROM warning_history WHERE warning_id = :w"), {"w": wid}).scalar()
    h = qw.warning_history(db, EVERYTHING, wid)
    assert len(h) == n == 2 and list(h["action"]) == ["opened", "acknowledged"] and h.iloc[1]["actor"] == "duty"


def test_map_levels_are_the_highest_open_level_per_area(db):
    with db.connect() as conn:
        rows = conn.execute(text(f"SELECT village_code, level FROM warning WHERE {OPEN} AND village_code IS NOT NULL")).all()
        grid_rows = conn.execute(text(f"SELECT grid_code, level FROM warning WHERE {OPEN} AND grid_code LIKE :v"),
                                 {"v": list(VILLAGES)[0] + "%"}).all()

    def highest(pairs) -> dict:  # noqa: ANN001
        out: dict = {}
        for code, lv in pairs:
            if code not in out or qw.SEVERITY[lv] > qw.SEVERITY[out[code]]:
                out[code] = lv
        return out

    got = qw.open_levels(db, EVERYTHING, TOWNSHIP)
    assert dict(zip(got["code"], got["level"])) == highest(rows) and len(got) > 0
    assert int(got["n_open"].sum()) == len(rows)
    got = qw.open_levels(db, EVERYTHING, list(VILLAGES)[0])
    assert dict(zip(got["code"], got["level"])) == highest(grid_rows) and len(got) >= 2


def test_live_list_leaves_out_muted_and_ended_warnings(db):
    live = qw.live_warnings(db, EVERYTHING, area=TOWNSHIP)
    assert set(live["id"]) == ids(db, f"{OPEN} AND silence_id IS NULL")
    assert ids(db, "silence_id IS NOT NULL") and not set(live["id"]) & ids(db, "silence_id IS NOT NULL")
