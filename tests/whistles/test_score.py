"""The department score (SPEC §10) on hand-built cases, on SQLite and PostgreSQL.

Every case is a whistle blown on its own warning, with exact deadlines (acknowledge 30 min, arrive
2 h, resolve 24 h after the summons), and lived through ``act`` at explicit times. Each expected
score is the formula written out in the test, term by term, never ``score_of``:

    20 × ack on time + 10 × arrived on time + 20 × resolved + 15 × resolved on time
    + 35 × (mean rating − 1) / 4 − 10 × reopened        (shares of the cases due; the first
                                                           four terms rescaled when a step is not due)

``cases()`` is checked to list exactly the cases behind every count.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Connection, select

from cockpit.auth.users import User, create_user
from cockpit.config import load_config
from cockpit.warehouse.schema import responsibility_review
from cockpit.whistles.actions import act
from cockpit.whistles.blow import blow_whistle
from cockpit.whistles.records import review_list
from cockpit.whistles.score import DepartmentScore, Period, cases, department_counts, department_score, ranking
from cockpit.whistles.settings import ScoreSettings, score_settings
from tests.orders import builders as ob
from tests.warnings import builders as wb

W47 = Period.named("2026-W47")  # Monday 16 to Sunday 22 November 2026
W48 = Period.named("2026-W48")
MON = datetime(2026, 11, 16, 9, 0)  # Monday of W47
AS_OF = datetime(2026, 11, 30, 12, 0)  # every deadline of W47 long past
DEFAULT = ScoreSettings()
_seq = itertools.count(1)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


@dataclass
class Township:
    """Blows whistles on fresh warnings and plays the summoned department and the township."""

    conn: Connection
    people: dict
    liaisons: dict[str, User] = field(default_factory=dict)

    def liaison(self, dept: str) -> User:
        if dept == "urban":
            return self.people["zhao"]
        if dept == "police":
            return self.people["qian"]
        if dept not in self.liaisons:
            self.liaisons[dept] = create_user(self.conn, f"liaison_{dept}", ob.PASSWORD, "department_liaison",
                                              actor="admin", must_change_password=False, department_code=dept,
                                              now=ob.T0)
        return self.liaisons[dept]

    def summon(self, dept: str, at: datetime, *, grid: str = wb.GRID_A11) -> int:
        n = next(_seq)
        w = ob.warning(self.conn, grid=grid, subject=f"score-case-{n}", now=at)
        blown = blow_whistle(self.conn, self.people["op"], warning_id=w["id"], departments=[dept], ack_minutes=30,
                             arrive_minutes=120, resolve_hours=24, now=at)
        return blown["summons"][0]["id"]

    def case(self, dept: str, at: datetime = MON, *, ack: float | None = 10, arrive: float | None = 60,
             resolve: float | None = 120, reopen: tuple[float, float | None] | None = None,
             verify: float | None = 180, rating: int | None = 5, close: float | None = None,
             grid: str = wb.GRID_A11) -> int:
        """One case; the step times are minutes after the summons (None: not done). ``reopen``:
        (reopened at, resolved again at or None); ``close``: the township closes it (rated) instead
        of verifying."""
        sid = self.summon(dept, at, grid=grid)
        who, op = self.liaison(dept), self.people["op"]
        if ack is not None:
            act(self.conn, sid, "acknowledged", who, now=at + minutes(ack))
        if arrive is not None:
            act(self.conn, sid, "arrived", who, now=at + minutes(arrive))
        if resolve is not None:
            act(self.conn, sid, "resolved", who, note="已处置", now=at + minutes(resolve))
        if reopen is not None:
            act(self.conn, sid, "reopened", op, note="仍未解决", now=at + minutes(reopen[0]))
            if reopen[1] is not None:
                act(self.conn, sid, "resolved", who, note="再次处置", now=at + minutes(reopen[1]))
        if close is not None:
            act(self.conn, sid, "closed", op, rating=rating, note="未见结果，结案", now=at + minutes(close))
        elif verify is not None and rating is not None and (resolve is not None or (reopen and reopen[1])):
            act(self.conn, sid, "verified", op, rating=rating, note="核验", now=at + minutes(verify))
        return sid

    def day(self, n: int, hour: int = 9) -> datetime:
        return MON + timedelta(days=n, hours=hour - 9)


@pytest.fixture
def town(conn: Connection, people: dict) -> Township:
    return Township(conn, people)


def row_of(rows: list[DepartmentScore], code: str) -> DepartmentScore:
    found = [r for r in rows if r.department_code == code]
    assert len(found) == 1, [r.department_code for r in rows]
    return found[0]


def scored(conn: Connection, code: str, *, period: Period = W47, as_of: datetime = AS_OF,
           settings: ScoreSettings = DEFAULT, township: str | None = None) -> DepartmentScore:
    rows = ranking(conn, period, as_of, settings, township=township)
    row = row_of(rows, code)
    same_as_cases(conn, row, period, as_of, township)
    return row


def same_as_cases(conn: Connection, row: DepartmentScore, period: Period, as_of: datetime,
                  township: str | None = None) -> None:
    """``cases()`` lists the cases behind every count of the row."""
    listed = cases(conn, row.department_code, period, as_of, township=township)
    counted = [c for c in listed if c["counted"]]
    assert len(counted) == row.cases
    assert sum(c["status"] == "excused" for c in listed) == row.excused
    assert sum(c["status"] == "cancelled" for c in listed) == row.cancelled
    t = row.terms
    for term, ok, due in (("acknowledged_on_time", "ack_ok", "ack_due"), ("arrived_on_time", "arrive_ok", "arrive_due"),
                          ("resolved", "resolved", "resolve_due"), ("resolved_on_time", "resolve_ok", "resolve_due")):
        assert (sum(c[ok] for c in counted), sum(c[due] for c in counted)) == (t[term].done, t[term].due), term
    ratings = [c["rating"] for c in counted if c["rating"] is not None]
    assert len(ratings) == t["satisfaction"].due
    if ratings:
        assert t["satisfaction"].done == pytest.approx(sum(ratings) / len(ratings))
    assert sum(c["reopened"] for c in counted) == t["reopened"].done
    assert all(period.start <= c["created_at"].date() < period.end for c in listed)


# ---------------------------------------------------------------- the formula, case by case
def test_all_on_time_and_rated_5_is_100(conn: Connection, town: Township) -> None:
    for i in range(5):
        town.case("urban", town.day(i))
    row = scored(conn, "urban")
    expected = 20 * 5 / 5 + 10 * 5 / 5 + 20 * 5 / 5 + 15 * 5 / 5 + 35 * (5 - 1) / 4 - 10 * 0 / 5
    assert expected == 100
    assert row.score == pytest.approx(expected)
    assert (row.grade, row.rank, row.cases, row.insufficient) == ("A", 1, 5, False)
    assert row.as_dict()["score"] == 100.0


def test_all_late(conn: Connection, town: Township) -> None:
    for i in range(5):  # acknowledged after 45 min, arrived after 2.5 h, resolved after 25 h; rated 3
        town.case("urban", town.day(i), ack=45, arrive=150, resolve=1500, verify=1560, rating=3)
    row = scored(conn, "urban")
    expected = 20 * 0 / 5 + 10 * 0 / 5 + 20 * 5 / 5 + 15 * 0 / 5 + 35 * (3 - 1) / 4 - 10 * 0 / 5
    assert row.score == pytest.approx(expected) == 37.5
    assert row.grade == "E"
    assert row.terms["resolved_on_time"].share == 0 and row.terms["resolved"].share == 1


def test_no_response_at_all(conn: Connection, town: Township) -> None:
    """Nothing done and every deadline past; the township closed two of them, rated 1 and 2."""
    for i in range(3):
        town.case("police", town.day(i), ack=None, arrive=None, resolve=None, verify=None, rating=None)
    town.case("police", town.day(3), ack=None, arrive=None, resolve=None, rating=1, close=2000)
    town.case("police", town.day(4), ack=None, arrive=None, resolve=None, rating=2, close=2000)
    row = scored(conn, "police")
    mean = (1 + 2) / 2
    expected = 20 * 0 / 5 + 10 * 0 / 5 + 20 * 0 / 5 + 15 * 0 / 5 + 35 * (mean - 1) / 4 - 10 * 0 / 5
    assert row.score == pytest.approx(expected) == 4.375
    assert row.grade == "E"
    for term in ("acknowledged_on_time", "arrived_on_time", "resolved", "resolved_on_time"):
        assert (row.terms[term].done, row.terms[term].due) == (0, 5)
    assert row.terms["satisfaction"].due == 2
    assert row.open_cases == 3  # the three never closed still run


def test_reopened_cases_are_penalised(conn: Connection, town: Township) -> None:
    town.case("urban", town.day(0), reopen=(130, 140))
    town.case("urban", town.day(1), reopen=(130, 1500), verify=1560)  # the second result came after 25 h
    for i in range(2, 5):
        town.case("urban", town.day(i))
    row = scored(conn, "urban")
    expected = 20 * 5 / 5 + 10 * 5 / 5 + 20 * 5 / 5 + 15 * 4 / 5 + 35 * (5 - 1) / 4 - 10 * 2 / 5
    assert row.score == pytest.approx(expected) == 93
    assert row.terms["reopened"].points == pytest.approx(-10 * 2 / 5)
    assert row.grade == "A"


def test_the_score_is_clamped_at_zero(conn: Connection, town: Township) -> None:
    for i in range(5):  # all late, reopened, then closed unresolved, rated 1
        town.case("urban", town.day(i), ack=45, arrive=150, resolve=1500, reopen=(1510, None), rating=1, close=1600)
    row = scored(conn, "urban")
    raw = 20 * 0 / 5 + 10 * 0 / 5 + 20 * 0 / 5 + 15 * 0 / 5 + 35 * (1 - 1) / 4 - 10 * 5 / 5
    assert raw == -10
    assert row.score == 0 and row.grade == "E"


def test_an_accepted_contest_leaves_the_count_and_flags_the_category(conn: Connection, town: Township,
                                                                     people: dict) -> None:
    for i in range(5):
        town.case("police", town.day(i))
    sid = town.case("police", town.day(5), ack=None, arrive=None, resolve=None, verify=None, rating=None)
    act(conn, sid, "contested", people["qian"], note="不属于公安职责", now=town.day(5) + minutes(5))
    act(conn, sid, "contest_accepted", people["op"], now=town.day(5) + minutes(60))
    row = scored(conn, "police")
    expected = 20 * 5 / 5 + 10 * 5 / 5 + 20 * 5 / 5 + 15 * 5 / 5 + 35 * (5 - 1) / 4 - 10 * 0 / 5
    assert (row.cases, row.excused) == (5, 1)
    assert row.score == pytest.approx(expected)
    flag = conn.execute(select(responsibility_review)).mappings().one()
    assert (flag["category_code"], flag["department_code"], flag["summons_id"]) == ("ECO-SANITATION", "police", sid)
    assert [f["summons_id"] for f in review_list(conn)["flagged"]] == [sid]
    listed = {c["id"]: c for c in cases(conn, "police", W47, AS_OF)}
    assert listed[sid]["status"] == "excused" and listed[sid]["counted"] is False


def test_a_rejected_contest_stays_counted_back_where_it_was(conn: Connection, town: Township, people: dict) -> None:
    for i in range(4):
        town.case("urban", town.day(i))
    at = town.day(4)
    sid = town.case("urban", at, ack=None, arrive=None, resolve=None, verify=None, rating=None)
    s = act(conn, sid, "contested", people["zhao"], note="不归我们管", now=at + minutes(10))
    assert s["acknowledged_at"] == at + minutes(10)  # answering "not ours" in time is a response
    pending = department_counts(conn, W47, at + minutes(15))["urban"]
    assert pending["cases"] == 5  # a pending contest stays in
    s = act(conn, sid, "contest_rejected", people["op"], note="属于城管职责", now=at + minutes(20))
    assert s["status"] == "acknowledged"
    act(conn, sid, "arrived", people["zhao"], now=at + minutes(60))
    act(conn, sid, "resolved", people["zhao"], note="已处置", now=at + minutes(120))
    act(conn, sid, "verified", people["op"], rating=4, now=at + minutes(180))
    row = scored(conn, "urban")
    mean = (5 + 5 + 5 + 5 + 4) / 5
    expected = 20 * 5 / 5 + 10 * 5 / 5 + 20 * 5 / 5 + 15 * 5 / 5 + 35 * (mean - 1) / 4 - 10 * 0 / 5
    assert (row.cases, row.excused) == (5, 0)
    assert row.score == pytest.approx(expected) == 98.25
    assert conn.execute(select(responsibility_review)).first() is None


def test_mixed_ratings_use_the_mean(conn: Connection, town: Township) -> None:
    for i, rating in enumerate((5, 4, 3, 2, 1)):
        town.case("urban", town.day(i), rating=rating)
    row = scored(conn, "urban")
    mean = (5 + 4 + 3 + 2 + 1) / 5
    expected = 20 * 5 / 5 + 10 * 5 / 5 + 20 * 5 / 5 + 15 * 5 / 5 + 35 * (mean - 1) / 4 - 10 * 0 / 5
    assert row.score == pytest.approx(expected) == 82.5
    assert row.terms["satisfaction"].done == pytest.approx(3) and row.terms["satisfaction"].share == pytest.approx(0.5)
    assert row.grade == "B"


def mixed_week(town: Township) -> None:
    """Five cases: acknowledged late; arrived late; resolved late; reopened; all on time. Rated 5…1."""
    town.case("urban", town.day(0), ack=45, rating=5)
    town.case("urban", town.day(1), arrive=150, resolve=200, verify=300, rating=4)
    town.case("urban", town.day(2), resolve=1500, verify=1560, rating=3)
    town.case("urban", town.day(3), reopen=(130, 140), rating=2)
    town.case("urban", town.day(4), rating=1)


def test_mixed_week_with_the_default_weights(conn: Connection, town: Township) -> None:
    mixed_week(town)
    row = scored(conn, "urban")
    mean = (5 + 4 + 3 + 2 + 1) / 5
    expected = 20 * 4 / 5 + 10 * 4 / 5 + 20 * 5 / 5 + 15 * 4 / 5 + 35 * (mean - 1) / 4 - 10 * 1 / 5
    assert row.score == pytest.approx(expected) == 71.5
    assert row.grade == "C"


def test_changed_weights_change_the_score_as_the_formula_says(conn: Connection, town: Township,
                                                              tmp_path: Path) -> None:
    path = tmp_path / "cockpit.toml"
    path.write_text("[score]\nmin_sample = 3\n[score.weights]\nacknowledged_on_time = 30\narrived_on_time = 10\n"
                    "resolved = 10\nresolved_on_time = 10\nsatisfaction = 40\nreopened = 25\n"
                    "[score.grades]\nA = 95\nB = 80\nC = 70\nD = 50\n", encoding="utf-8")
    settings = score_settings(load_config(path, env={}))
    mixed_week(town)
    row = scored(conn, "urban", settings=settings)
    mean = (5 + 4 + 3 + 2 + 1) / 5
    expected = 30 * 4 / 5 + 10 * 4 / 5 + 10 * 5 / 5 + 10 * 4 / 5 + 40 * (mean - 1) / 4 - 25 * 1 / 5
    assert row.score == pytest.approx(expected) == 65
    assert row.grade == "D"  # 50 ≤ 65 < 70 with these grades (C with the defaults)
    assert row.terms["acknowledged_on_time"].weight == 30 and row.terms["reopened"].points == pytest.approx(-5)
    # three cases are enough with min_sample = 3, not with the default
    town.case("police", town.day(0))
    town.case("police", town.day(1))
    town.case("police", town.day(2))
    assert scored(conn, "police", settings=settings).score == pytest.approx(100)
    assert scored(conn, "police").insufficient


# ---------------------------------------------------------------- which cases, when
def test_below_the_minimum_sample_is_insufficient_and_listed_after_the_ranked(conn: Connection,
                                                                             town: Township) -> None:
    for i in range(5):
        town.case("police", town.day(i), ack=45)
    for i in range(4):
        town.case("urban", town.day(i))
    town.case("market", town.day(0))
    rows = ranking(conn, W47, AS_OF, DEFAULT)
    assert [r.department_code for r in rows] == ["police", "urban", "market"]
    police, urban, market = rows
    assert police.score == pytest.approx(20 * 0 / 5 + 10 * 5 / 5 + 20 * 5 / 5 + 15 * 5 / 5 + 35 * (5 - 1) / 4)
    assert (police.rank, police.insufficient) == (1, False)
    for r, n in ((urban, 4), (market, 1)):
        assert (r.cases, r.score, r.grade, r.rank, r.insufficient) == (n, None, None, None, True)
        assert r.as_dict()["score"] is None
        same_as_cases(conn, r, W47, AS_OF)
    # the terms are still worked out: a department sees its shares before it has enough cases
    assert urban.terms["resolved"].share == 1


def test_a_case_counts_in_the_period_it_was_summoned(conn: Connection, town: Township) -> None:
    sunday_night = datetime(2026, 11, 22, 23, 50)  # the last minutes of W47
    town.case("urban", sunday_night, ack=20, arrive=70, resolve=130, verify=200)  # answered on Monday of W48
    town.case("urban", datetime(2026, 11, 16, 0, 0))  # the first instant of W47
    town.case("urban", datetime(2026, 11, 23, 0, 0))  # the first instant of W48
    w47 = scored(conn, "urban", settings=ScoreSettings(min_sample=1))
    assert w47.cases == 2
    assert w47.terms["acknowledged_on_time"].done == 2
    assert w47.score == pytest.approx(100)
    listed = cases(conn, "urban", W47, AS_OF)
    assert [c["created_at"] for c in listed] == [sunday_night, datetime(2026, 11, 16, 0, 0)]
    assert listed[0]["acknowledged_at"] == datetime(2026, 11, 23, 0, 10)
    assert scored(conn, "urban", period=W48, settings=ScoreSettings(min_sample=1)).cases == 1
    assert [r.department_code for r in ranking(conn, Period.named("2026-W46"), AS_OF, DEFAULT)] == []
    assert scored(conn, "urban", period=Period.named("2026-11")).cases == 3
    assert scored(conn, "urban", period=Period.named("2026-Q4")).cases == 3


def test_township_filter(conn: Connection, town: Township) -> None:
    for i in range(5):
        town.case("urban", town.day(i))
    town.case("urban", town.day(5), ack=45, grid=wb.GRID_B11)
    both = scored(conn, "urban")
    a = scored(conn, "urban", township=wb.TOWNSHIP_A)
    b = scored(conn, "urban", township=wb.TOWNSHIP_B)
    assert (both.cases, a.cases, b.cases) == (6, 5, 1)
    assert a.score == pytest.approx(100)
    assert both.score == pytest.approx(20 * 5 / 6 + 10 * 6 / 6 + 20 * 6 / 6 + 15 * 6 / 6 + 35 * (5 - 1) / 4)
    assert b.insufficient


def test_a_step_nobody_is_due_for_is_left_out_and_the_rest_rescaled(conn: Connection, town: Township) -> None:
    """Three hours after five summons: acknowledging and arriving are due for all, resolving only for
    the one case resolved already, nobody is rated yet."""
    at = town.day(2)
    town.case("urban", at, ack=10, arrive=50, resolve=165, verify=None, rating=None)
    town.case("urban", at, ack=10, arrive=50, resolve=None, verify=None, rating=None)
    town.case("urban", at, ack=10, arrive=50, resolve=None, verify=None, rating=None)
    town.case("urban", at, ack=10, arrive=150, resolve=None, verify=None, rating=None)  # arrived late
    town.case("urban", at, ack=40, arrive=None, resolve=None, verify=None, rating=None)  # late, not arrived
    as_of = at + minutes(180)
    row = scored(conn, "urban", as_of=as_of)
    t = row.terms
    assert (t["acknowledged_on_time"].done, t["acknowledged_on_time"].due) == (4, 5)
    assert (t["arrived_on_time"].done, t["arrived_on_time"].due) == (3, 5)
    assert (t["resolved"].done, t["resolved"].due) == (1, 1)
    assert (t["resolved_on_time"].done, t["resolved_on_time"].due) == (1, 1)
    assert t["satisfaction"].share is None and t["satisfaction"].points is None
    expected = (20 * 4 / 5 + 10 * 3 / 5 + 20 * 1 / 1 + 15 * 1 / 1) * 100 / (20 + 10 + 20 + 15)
    assert row.score == pytest.approx(expected)
    assert row.grade == "B"  # 87.7
    # a day later every deadline has passed: the formula exactly, unresolved cases counting against
    later = scored(conn, "urban", as_of=at + minutes(1500))
    assert later.score == pytest.approx((20 * 4 / 5 + 10 * 3 / 5 + 20 * 1 / 5 + 15 * 1 / 5) * 100 / 65)


def test_fresh_cases_have_no_score_yet(conn: Connection, town: Township) -> None:
    at = town.day(1)
    for _ in range(5):
        town.case("urban", at, ack=None, arrive=None, resolve=None, verify=None, rating=None)
    row = scored(conn, "urban", as_of=at + minutes(10))
    assert row.cases == 5 and all(row.terms[k].due == 0 for k in ("acknowledged_on_time", "arrived_on_time",
                                                                 "resolved", "resolved_on_time"))
    assert (row.score, row.grade, row.rank, row.insufficient) == (None, None, None, False)  # enough cases, none due
    # forty minutes on, the acknowledgement is due and missed: zero on the only term due
    assert scored(conn, "urban", as_of=at + minutes(40)).score == 0


def test_a_township_closing_makes_every_step_due(conn: Connection, town: Township) -> None:
    at = town.day(1)
    for _ in range(5):  # closed ten minutes after the summons, before any deadline, rated 2
        town.case("urban", at, ack=None, arrive=None, resolve=None, rating=2, close=10)
    row = scored(conn, "urban", as_of=at + minutes(20))
    expected = 20 * 0 / 5 + 10 * 0 / 5 + 20 * 0 / 5 + 15 * 0 / 5 + 35 * (2 - 1) / 4 - 10 * 0 / 5
    assert row.score == pytest.approx(expected) == 8.75
    assert row.open_cases == 0


def test_cancelled_summons_are_not_counted(conn: Connection, town: Township, people: dict) -> None:
    for i in range(5):
        town.case("urban", town.day(i))
    sid = town.case("urban", town.day(5), ack=None, arrive=None, resolve=None, verify=None, rating=None)
    act(conn, sid, "cancelled", people["op"], note="误报", now=town.day(5) + minutes(5))
    row = scored(conn, "urban")
    assert (row.cases, row.cancelled, row.score) == (5, 1, pytest.approx(100))


# ---------------------------------------------------------------- grades and ranks
@pytest.mark.parametrize(("score", "grade"), [(100, "A"), (90, "A"), (89.99, "B"), (75, "B"), (74.99, "C"), (60, "C"),
                                              (59.99, "D"), (40, "D"), (39.99, "E"), (0, "E")])
def test_grade_boundaries(score: float, grade: str) -> None:
    assert DEFAULT.grade(score) == grade


def test_a_score_of_exactly_90_is_an_a(conn: Connection, town: Township) -> None:
    for i in range(5):  # every case reopened once and done again in time
        town.case("urban", town.day(i), reopen=(130, 140))
    row = scored(conn, "urban")
    expected = 20 * 5 / 5 + 10 * 5 / 5 + 20 * 5 / 5 + 15 * 5 / 5 + 35 * (5 - 1) / 4 - 10 * 5 / 5
    assert expected == 90 and row.score == pytest.approx(90)
    assert row.grade == "A"
    moved = ScoreSettings(grades={"A": 90.5, "B": 90, "C": 60, "D": 40})
    assert scored(conn, "urban", settings=moved).grade == "B"


def test_ties_share_a_rank(conn: Connection, town: Township) -> None:
    for dept in ("urban", "ecology"):
        for i in range(5):
            town.case(dept, town.day(i))
    for i in range(5):
        town.case("police", town.day(i), reopen=(130, 140) if i == 0 else None)
    for i in range(5):
        town.case("market", town.day(i), reopen=(130, 140) if i < 2 else None)
    rows = ranking(conn, W47, AS_OF, DEFAULT)
    assert [(r.department_code, r.rank) for r in rows] == [("ecology", 1), ("urban", 1), ("police", 3), ("market", 4)]
    assert [r.score for r in rows] == pytest.approx([100, 100, 100 - 10 * 1 / 5, 100 - 10 * 2 / 5])
    for r in rows:
        same_as_cases(conn, r, W47, AS_OF)
    one = department_score(conn, "police", W47, AS_OF, DEFAULT)
    assert one is not None and one.rank == 3
    assert department_score(conn, "health", W47, AS_OF, DEFAULT) is None
