"""The department score (部门报到考核, SPEC §10): how each county department answered the township's
whistles in a period, from its summons (cases), with the weights, grades and minimum sample of
``[score]`` (``cockpit.whistles.settings``).

The default formula, out of 100:

- response 30: 20 × share acknowledged within the deadline + 10 × share arrived within the deadline
- resolution 35: 20 × share resolved + 15 × share resolved by the deadline
- satisfaction 35: 35 × (mean rating − 1) / 4
- minus 10 × share reopened (返工)

Which cases: those summoned in the period (``summons.created_at``), whatever happens to them later,
so a case summoned on Sunday night and answered on Monday counts in the week it was summoned. An
accepted contest (``excused``) and a cancelled summons are left out; a pending or rejected contest
stays in.

Each share counts the cases that are **due** for that step: done, or past its deadline, or closed
by the township without it. A step nobody is due for yet (all cases summoned an hour ago) is left
out and the other terms are scaled to 100, so a fresh case neither helps nor hurts; with every step
due this is the formula above exactly. Satisfaction counts the rated cases. The reopened share is of
all counted cases. The score is clamped to 0–100. Fewer counted cases than ``min_sample`` (5):
"样本不足", no number and no grade. The figures are as of ``as_of`` (now).

The counts are aggregated in SQL, one row per department; ``cases`` lists every case behind a score
with the same judgements per case, so a department can see why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Iterable

from sqlalchemy import Connection, and_, case, func, or_, select

from cockpit.clock import midnight
from cockpit.periods import add_months, parse_named, period_name
from cockpit.warehouse.schema import department, summons, whistle
from cockpit.whistles.settings import POSITIVE_TERMS, ScoreSettings
from cockpit.whistles.states import NOT_COUNTED

TERMS = POSITIVE_TERMS + ("reopened",)


@dataclass(frozen=True)
class Term:
    """One term of a score: its weight, its share (None: nobody due yet), the cases it counts
    (``done`` of ``due``) and the points it gives (negative for the reopened penalty)."""

    weight: float
    share: float | None
    done: float
    due: int
    points: float | None


@dataclass(frozen=True)
class DepartmentScore:
    department_code: str
    name_zh: str
    name_en: str
    cases: int  # counted
    excused: int  # accepted contests, left out
    cancelled: int
    open_cases: int  # still running
    terms: dict[str, Term]
    score: float | None  # None: too few cases (样本不足, ``insufficient``) or, with enough, nothing due yet
    grade: str | None
    insufficient: bool
    rank: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"department": self.department_code, "name_zh": self.name_zh, "name_en": self.name_en,
                "cases": self.cases, "excused": self.excused, "cancelled": self.cancelled,
                "open": self.open_cases, "score": None if self.score is None else round(self.score, 1),
                "grade": self.grade, "insufficient": self.insufficient, "rank": self.rank,
                "terms": {k: {"weight": t.weight, "share": t.share, "done": t.done, "due": t.due,
                              "points": None if t.points is None else round(t.points, 2)}
                          for k, t in self.terms.items()}}


@dataclass(frozen=True)
class Period:
    """A scored period: week, month or quarter, its days ``[start, end)`` and its name (2026-W47)."""

    kind: str
    start: date
    end: date
    name: str = field(default="")

    @classmethod
    def named(cls, text: str) -> "Period":
        kind, start, end = parse_named(text)
        return cls(kind, start, end, period_name(kind, start))

    @classmethod
    def containing(cls, kind: str, day: date) -> "Period":
        if kind == "week":
            start = day - timedelta(days=day.weekday())
        elif kind == "month":
            start = day.replace(day=1)
        elif kind == "quarter":
            start = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
        else:
            raise ValueError(f"a score period is a week, month or quarter, not {kind!r}")
        return cls.named(period_name(kind, start))

    def before(self, n: int = 1) -> "Period":
        start = self.start - timedelta(days=7 * n) if self.kind == "week" else \
            add_months(self.start, -n * (3 if self.kind == "quarter" else 1))
        return Period.named(period_name(self.kind, start))


def _cohort(period: Period, township: str | None) -> list[Any]:
    s = summons.c
    where = [s.created_at >= midnight(period.start), s.created_at < midnight(period.end)]
    if township:
        where.append(s.township_code == township)
    return where


def _due(done: Any, due_at: Any, as_of: datetime) -> Any:
    """A step is due when it is done, its deadline has passed, or the township closed the case."""
    return or_(done.is_not(None), due_at <= as_of, summons.c.status == "closed")


def _sum(condition: Any) -> Any:
    return func.sum(case((condition, 1), else_=0))


def score_of(counts: dict[str, Any], settings: ScoreSettings) -> tuple[dict[str, Term], float | None]:
    """The terms and the score of one department's counts (the formula in the module docstring)."""
    w = settings.weights
    n = int(counts["cases"] or 0)
    pairs = {"acknowledged_on_time": (counts["ack_ok"], counts["ack_due"]),
             "arrived_on_time": (counts["arrive_ok"], counts["arrive_due"]),
             "resolved": (counts["resolved"], counts["resolve_due"]),
             "resolved_on_time": (counts["resolve_ok"], counts["resolve_due"])}
    terms: dict[str, Term] = {}
    for name, (done, due) in pairs.items():
        done, due = int(done or 0), int(due or 0)
        share = done / due if due else None
        terms[name] = Term(w[name], share, done, due, None if share is None else w[name] * share)
    rated, total = int(counts["rated"] or 0), float(counts["rating_sum"] or 0)
    mean = total / rated if rated else None
    share = (mean - 1) / 4 if mean is not None else None
    terms["satisfaction"] = Term(w["satisfaction"], share, round(mean, 4) if mean is not None else 0, rated,
                                 None if share is None else w["satisfaction"] * share)
    reopened = int(counts["reopened"] or 0)
    share = reopened / n if n else None
    terms["reopened"] = Term(w["reopened"], share, reopened, n, None if share is None else -w["reopened"] * share)
    applicable = [terms[k] for k in POSITIVE_TERMS if terms[k].share is not None]
    weight = sum(t.weight for t in applicable)
    if not n or weight <= 0:
        return terms, None
    positive = sum(t.points for t in applicable) * 100 / weight  # type: ignore[misc]
    return terms, max(0.0, min(100.0, positive + (terms["reopened"].points or 0)))


def department_counts(conn: Connection, period: Period, as_of: datetime, *, township: str | None = None,
                      departments: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
    """Per department summoned in the period: the counted cases and, per step, how many were due and
    met the deadline; the excused, cancelled and still open ones. One grouped query."""
    s = summons.c
    counted = s.status.not_in(NOT_COUNTED)
    ack_due = and_(counted, _due(s.acknowledged_at, s.ack_due_at, as_of))
    arrive_due = and_(counted, _due(s.arrived_at, s.arrive_due_at, as_of))
    resolve_due = and_(counted, _due(s.resolved_at, s.resolve_due_at, as_of))
    q = select(
        s.department_code,
        _sum(counted).label("cases"),
        _sum(s.status == "excused").label("excused"),
        _sum(s.status == "cancelled").label("cancelled"),
        _sum(and_(counted, s.ended_at.is_(None))).label("open"),
        _sum(ack_due).label("ack_due"),
        _sum(and_(counted, s.acknowledged_at <= s.ack_due_at)).label("ack_ok"),
        _sum(arrive_due).label("arrive_due"),
        _sum(and_(counted, s.arrived_at <= s.arrive_due_at)).label("arrive_ok"),
        _sum(resolve_due).label("resolve_due"),
        _sum(and_(counted, s.resolved_at.is_not(None))).label("resolved"),
        _sum(and_(counted, s.resolved_at <= s.resolve_due_at)).label("resolve_ok"),
        _sum(and_(counted, s.rating.is_not(None))).label("rated"),
        func.sum(case((counted, s.rating), else_=None)).label("rating_sum"),
        _sum(and_(counted, s.reopen_count > 0)).label("reopened"),
    ).where(*_cohort(period, township)).group_by(s.department_code)
    if departments is not None:
        q = q.where(s.department_code.in_(sorted(set(departments))))
    return {r["department_code"]: dict(r) for r in conn.execute(q).mappings()}


def ranking(conn: Connection, period: Period, as_of: datetime, settings: ScoreSettings, *,
            township: str | None = None, departments: Iterable[str] | None = None) -> list[DepartmentScore]:
    """Every department summoned in the period with its score, best first (红榜 at the top, 黑榜 at
    the bottom); those with too few cases after the scored ones, ranked by nothing."""
    counts = department_counts(conn, period, as_of, township=township, departments=departments)
    names = {r[0]: (r[1], r[2]) for r in conn.execute(select(department.c.code, department.c.name_zh,
                                                             department.c.name_en))}
    rows = []
    for code, c in counts.items():
        terms, score = score_of(c, settings)
        insufficient = int(c["cases"] or 0) < settings.min_sample
        if insufficient:
            score = None
        zh, en = names.get(code, (code, code))
        rows.append(DepartmentScore(code, zh, en, int(c["cases"] or 0), int(c["excused"] or 0),
                                    int(c["cancelled"] or 0), int(c["open"] or 0), terms, score,
                                    None if score is None else settings.grade(score), insufficient))
    scored = sorted((r for r in rows if r.score is not None), key=lambda r: (-round(r.score, 6), r.department_code))  # type: ignore[arg-type]
    rest = sorted((r for r in rows if r.score is None), key=lambda r: (-r.cases, r.department_code))
    ranked, last, rank = [], None, 0
    for i, r in enumerate(scored, 1):
        if last is None or round(r.score, 6) != last:  # type: ignore[arg-type]
            rank, last = i, round(r.score, 6)  # type: ignore[arg-type]
        ranked.append(DepartmentScore(**{**r.__dict__, "rank": rank}))
    return ranked + rest


def department_score(conn: Connection, code: str, period: Period, as_of: datetime, settings: ScoreSettings, *,
                     township: str | None = None) -> DepartmentScore | None:
    """One department's score in the period (None: it was not summoned), its rank among all."""
    return next((r for r in ranking(conn, period, as_of, settings, township=township) if r.department_code == code), None)


def trend(conn: Connection, code: str, period: Period, as_of: datetime, settings: ScoreSettings, *,
          township: str | None = None, periods: int = 8) -> list[tuple[Period, DepartmentScore | None]]:
    """The department's score in ``period`` and the ``periods − 1`` before it, oldest first."""
    found = []
    for n in range(periods - 1, -1, -1):
        p = period.before(n)
        found.append((p, department_score(conn, code, p, as_of, settings, township=township)))
    return found


def case_judgement(row: dict[str, Any], as_of: datetime) -> dict[str, Any]:
    """One case as the score sees it: counted or why not, and each step due? met?"""
    counted = row["status"] not in NOT_COUNTED
    closed = row["status"] == "closed"

    def step(done: Any, due_at: datetime) -> tuple[bool, bool]:
        due = counted and (done is not None or due_at <= as_of or closed)
        return due, bool(counted and done is not None and done <= due_at)

    ack_due, ack_ok = step(row["acknowledged_at"], row["ack_due_at"])
    arrive_due, arrive_ok = step(row["arrived_at"], row["arrive_due_at"])
    resolve_due, resolve_ok = step(row["resolved_at"], row["resolve_due_at"])
    return {"counted": counted, "ack_due": ack_due, "ack_ok": ack_ok, "arrive_due": arrive_due, "arrive_ok": arrive_ok,
            "resolve_due": resolve_due, "resolved": bool(counted and row["resolved_at"] is not None),
            "resolve_ok": resolve_ok, "reopened": bool(counted and (row["reopen_count"] or 0) > 0)}


def cases(conn: Connection, code: str, period: Period, as_of: datetime, *, township: str | None = None) -> list[dict]:
    """Every case of the department summoned in the period, counted or not, newest first, with the
    whistle it belongs to and ``case_judgement``."""
    s, w = summons.c, whistle.c
    q = (select(summons, w.title, w.board, w.grid_code, w.village_code, w.warning_id, w.order_id,
                w.status.label("whistle_status"))
         .join(whistle, w.id == s.whistle_id)
         .where(s.department_code == code, *_cohort(period, township)).order_by(s.created_at.desc(), s.id.desc()))
    return [{**dict(r), **case_judgement(dict(r), as_of)} for r in conn.execute(q).mappings()]
