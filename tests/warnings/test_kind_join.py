"""join: public-power oversight (公权力监督) — subsidies to declared relatives of cadres of the same township."""

from __future__ import annotations

from datetime import date, datetime, timedelta


from tests.warnings import builders as b

NOW = datetime(2026, 11, 18, 10, 30)
TODAY = NOW.date()


def test_a_subsidy_to_a_declared_relative_of_a_cadre_of_the_township(conn):
    rel = b.relative(conn, cadre="c1", relative="r1", relation="parent")
    pays = [b.subsidy(conn, person="r1", paid_on=TODAY - timedelta(days=d), grid_code=b.GRID_A21) for d in (3, 33)]
    (m,) = b.run(conn, "power_oversight", NOW)
    assert (m.level, m.subject, m.township_code) == ("orange", f"{b.person_key('c1')}|{b.person_key('r1')}",
                                                     b.TOWNSHIP_A)
    assert m.grid_code == b.GRID_A21 and m.measure == 2
    assert sorted((e.fact, e.row_id) for e in m.evidence) == sorted(
        [("cadre_relative", rel)] + [("subsidy_payment", p) for p in pays])
    assert m.title == "干部亲属领取低保 2 笔 · 1600 元"


def test_near_misses(conn):
    b.relative(conn, cadre="c2", relative="r2", township_code=b.TOWNSHIP_B)  # a cadre of another township
    b.subsidy(conn, person="r2", paid_on=TODAY - timedelta(days=3))
    b.relative(conn, cadre="c3", relative="r3", relation="friend")  # not a relation that counts
    b.subsidy(conn, person="r3", paid_on=TODAY - timedelta(days=3))
    b.subsidy(conn, person="r4", paid_on=TODAY - timedelta(days=3))  # no declaration
    b.relative(conn, cadre="c5", relative="r5")
    b.subsidy(conn, person="r5", paid_on=TODAY - timedelta(days=365))  # outside the window
    b.subsidy(conn, person="r5", paid_on=TODAY + timedelta(days=1))  # not paid yet
    b.subsidy(conn, person="r5", paid_on=TODAY - timedelta(days=3), kind="disabled")  # another kind
    b.relative(conn, cadre="c6", relative="r6-declared")
    b.subsidy(conn, person="r6-paid", paid_on=TODAY - timedelta(days=3))  # another person key
    assert b.run(conn, "power_oversight", NOW) == []


def test_joined_only_through_the_person_key(conn):
    # the declaration and the payment share nothing but the salted key: no names, other grids and villages
    b.relative(conn, cadre="c1", relative="r1", cadre_name=None, position=None)
    b.subsidy(conn, person="r1", kind="tekun", paid_on=TODAY - timedelta(days=364), grid_code=b.GRID_A22)
    (m,) = b.run(conn, "power_oversight", NOW)
    assert m.village_code == b.VILLAGE_A2 and "特困" in m.title


def test_a_relative_of_cadres_of_both_townships_matches_where_paid(conn):
    b.relative(conn, cadre="c1", relative="r1")
    b.relative(conn, cadre="c2", relative="r1", township_code=b.TOWNSHIP_B)
    b.subsidy(conn, person="r1", paid_on=TODAY - timedelta(days=10), grid_code=b.GRID_B11)
    (m,) = b.run(conn, "power_oversight", NOW)
    assert m.township_code == b.TOWNSHIP_B and m.subject.startswith(b.person_key("c2"))


def test_a_join_rule_by_configuration_alone(conn):
    b.relative(conn, cadre="c1", relative="r1", relation="sibling")
    b.subsidy(conn, person="r1", kind="disabled", paid_on=TODAY - timedelta(days=20))
    block = {"kind": "join", "board": "party", "category": "PTY-SUPERVISION", "kinds": ["disabled"],
             "relations": ["sibling"], "window_days": 30}
    (m,) = b.run(conn, "disability_oversight", NOW, block)
    assert m.level == "orange"
    assert b.run(conn, "disability_oversight", NOW, {**block, "window_days": 20}) == []
    assert date(2026, 1, 1) < TODAY
