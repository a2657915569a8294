"""组织部 cadre register with declared close relatives (干部家庭成员申报), and 民政 monthly 低保/特困
payments (社会救助资金发放), with the oversight cases the public-power rule must find.

``plan(w)`` draws, for every township, its cadres (township cadres and two cadres per village) and
their declared relatives (spouse, parents, children, siblings: same village, same surname where
that is how families go, plausible ages). Randomly drawn relatives are never 低保/特困 recipients, so
the rule fires exactly on the planted cases:

- ``case``: a declared relative of a cadre of the same township who receives 低保/特困 now (2 to 4
  per township);
- ``other_township`` (near miss, more than one township): a cadre serving one township, native of
  the next, whose declared parent or sibling receives 低保 there;
- ``old_payment`` (near miss): a declared relative whose 低保 ended ``FORMER_ENDED_MONTHS`` months
  ago, so that every payment lies far outside the rule's window.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache

import numpy as np

from cockpit.demo.defects import Plan
from cockpit.demo.registry import TAG_COLUMNS, TAGS_SEED_OFFSET, TagRecord, address_plan, grid_plan, tag_records, tag_row
from cockpit.demo.store import Column as C
from cockpit.demo.store import TableData
from cockpit.demo.world import World

PAYMENT_MONTHS = 24  # payment history
PAY_DAY = 10  # payments go out on the 10th (the next Monday when it is a weekend)
FORMER_ENDED_MONTHS = 20  # the old_payment near miss: 低保 ended this many months ago
RECIPIENT_CODES = ("01", "02")  # 低保, 特困 in the civil-affairs codes
_KIND = {"01": "DB", "02": "TK"}  # civil-affairs tag code -> the payment ledger's 救助类别

TOWNSHIP_POSITIONS = ("党委书记", "{head}", "党委副书记", "人大主席", "纪委书记", "{deputy}", "{deputy}", "{deputy}",
                      "组织委员", "宣传委员", "武装部长", "统战委员", "党政办主任", "社会事务办主任", "财政所所长",
                      "综治办主任")


@dataclass(frozen=True)
class Relative:
    person: int  # index into ``World.persons``
    relation: str  # the 组织部's own code (``codes.CADRE_RELATION``)


@dataclass
class Cadre:
    person: int
    township: int  # where the cadre serves
    position: str
    declared_on: date
    relatives: list[Relative] = field(default_factory=list)


@dataclass(frozen=True)
class Case:
    kind: str  # case | other_township | old_payment
    cadre: int  # index into ``OversightPlan.cadres``
    relative: int  # person index
    township: int  # the cadre's township


@dataclass
class OversightPlan:
    cadres: list[Cadre]
    cases: list[Case]
    former: list[TagRecord]  # extra 民政 records: the old_payment near misses' ended 低保

    def people(self) -> set[int]:
        """The persons of the planted cases (their rows are kept free of defects)."""
        out: set[int] = set()
        for c in self.cases:
            out |= {c.relative, self.cadres[c.cadre].person}
        return out

    def of_kind(self, kind: str) -> list[Case]:
        return [c for c in self.cases if c.kind == kind]


def _age(w: World, i: int) -> float:
    return (w.end.date() - w.persons[i].birth).days / 365.25


def _surname(w: World, i: int) -> str:
    return w.persons[i].name[0]


class _Pool:
    """Residents of a township by village (and by village and surname), to draw cadres and relatives from."""

    def __init__(self, w: World, t: int, excluded: set[int]) -> None:
        self.w = w
        self.by_village: dict[str | None, list[int]] = {None: list(w.town_persons[t])}
        self.by_surname: dict[tuple[str | None, str], list[int]] = {}
        for i in w.town_persons[t]:
            v, s = w.persons[i].grid.parent, _surname(w, i)
            self.by_village.setdefault(v, []).append(i)
            self.by_surname.setdefault((v, s), []).append(i)
            self.by_surname.setdefault((None, s), []).append(i)
        self.excluded = excluded  # recipients and persons already used

    def find(self, rng: random.Random, village: str | None, ok, surname: str | None = None) -> int | None:
        """A resident of the village (None: of the township) passing ``ok``, of ``surname`` if given."""
        members = self.by_surname.get((village, surname), []) if surname else self.by_village.get(village, [])
        if not members:
            return None
        for _ in range(min(200, 3 * len(members))):
            i = members[rng.randrange(len(members))]
            if i not in self.excluded and ok(i):
                return i
        good = [i for i in members if i not in self.excluded and ok(i)] if len(members) < 5000 else []
        return rng.choice(good) if good else None


def _relation_test(w: World, cadre: int, code: str, relative_of: int | None = None):
    """A predicate: could person ``i`` be the cadre's relative of this 称谓 (ages, gender, surname)?"""
    a, male, sur = _age(w, cadre), w.persons[cadre].male, _surname(w, cadre)
    p = w.persons

    def test(i: int) -> bool:
        d = _age(w, i) - a
        if code == "01":
            return p[i].male != male and -7 < (d if male else -d) < 3
        if code == "02":
            return p[i].male and _surname(w, i) == sur and 22 < d < 40
        if code == "03":
            return not p[i].male and 20 < d < 38
        if code in ("04", "05"):
            return p[i].male == (code == "04") and -38 < d < -20 and (not male or _surname(w, i) == sur)
        if code in ("06", "07"):
            return p[i].male == (code == "06") and abs(d) < 10 and _surname(w, i) == sur
        if code == "08":  # the spouse's parent
            s = relative_of if relative_of is not None else cadre
            return _surname(w, i) == _surname(w, s) and 20 < _age(w, i) - _age(w, s) < 38
        return False
    return test


def _needs_surname(w: World, cadre: int, code: str) -> bool:
    return code in ("02", "06", "07") or (code in ("04", "05") and w.persons[cadre].male)


def _declare(w: World, rng: random.Random, pool: _Pool, cadre: Cadre, wanted: int) -> None:
    """Draw up to ``wanted`` relatives of the cadre from the residents of the cadre's village."""
    village = w.persons[cadre.person].grid.parent
    have = {r.relation for r in cadre.relatives}
    order = ["01", rng.choice(("02", "03")), rng.choice(("04", "05")), rng.choice(("06", "07")), "03", "08"]
    for code in order:
        if len(cadre.relatives) >= wanted:
            break
        if code in have and code not in ("04", "05", "06", "07"):
            continue
        spouse = next((r.person for r in cadre.relatives if r.relation == "01"), None)
        if code == "08" and spouse is None:
            continue
        surname = _surname(w, cadre.person) if _needs_surname(w, cadre.person, code) else \
            _surname(w, spouse) if code == "08" else None
        i = pool.find(rng, village, _relation_test(w, cadre.person, code, spouse), surname)
        if i is not None:
            cadre.relatives.append(Relative(i, code))
            pool.excluded.add(i)
            have.add(code)


def _cadre_for(w: World, rng: random.Random, pool: _Pool, recipient: int) -> tuple[int, str] | None:
    """A resident who could be a cadre with the recipient as a close relative: (cadre, 称谓 of the
    recipient). Tried in order: parent or sibling (same surname) in the village, then in the township,
    then (older recipients) the recipient as the parent of the cadre's spouse (配偶父母)."""
    age, male = _age(w, recipient), w.persons[recipient].male
    sur = _surname(w, recipient)
    home = w.persons[recipient].grid.parent

    if age >= 50:
        code = "02" if male else "03"

        def ok(i: int) -> bool:
            return 24 < _age(w, i) < 58 and 22 < age - _age(w, i) < 38
        tries = [(home, sur if male else None, code), (None, sur if male else None, code), (home, None, "08"),
                 (None, None, "08")]
    else:
        code = "06" if male else "07"

        def ok(i: int) -> bool:
            return 24 < _age(w, i) < 58 and abs(age - _age(w, i)) < 8
        tries = [(home, sur, code), (None, sur, code)]
    for village, surname, c in tries:
        i = pool.find(rng, village, ok, surname)
        if i is not None:
            return i, c
    return None


def _positions(w: World, t: int) -> list[tuple[str, str | None]]:
    """(position, village code the cadre lives in or None for anywhere in the township)."""
    street = w.map.townships[t].name.endswith("街道")
    out = [(p.format(head="办事处主任" if street else "镇长", deputy="副主任" if street else "副镇长"), None)
           for p in TOWNSHIP_POSITIONS]
    for v in w.map.villages[t * 12:(t + 1) * 12]:
        committee = "居委会主任" if v.name.endswith("社区") else "村委会主任"
        out += [(f"{v.name}党组织书记", v.code), (f"{v.name}{committee}", v.code)]
    return out


def _declared_on(w: World, rng: random.Random) -> date:
    """Cadres declare once a year, in the first quarter (this year's, or last year's early in a year)."""
    today = w.end.date()
    year = today.year if today >= date(today.year, 4, 1) else today.year - 1
    return date(year, 1, 5) + timedelta(days=rng.randrange(0, 80))


@lru_cache(maxsize=4)
def plan(w: World) -> OversightPlan:
    drawn = tag_records(w, random.Random(w.seed * 100 + TAGS_SEED_OFFSET))
    recipients = {r.person for r in drawn if r.code in RECIPIENT_CODES}
    today = w.end.date()
    active = [r for r in drawn if r.code in RECIPIENT_CODES and r.until is None and (today - r.since).days > 45]
    n_towns = w.scale.townships
    town_of = {i: t for t in range(n_towns) for i in w.town_persons[t]}
    used: set[int] = set(recipients)
    pools = [_Pool(w, t, used) for t in range(n_towns)]
    cadres: list[Cadre] = []
    cases: list[Case] = []
    former: list[TagRecord] = []
    taken: set[int] = set()  # planted relatives
    for t in range(n_towns):
        rng = random.Random(w.seed * 100 + 60 + t)
        positions = _positions(w, t)
        pool = pools[t]
        mine = [r.person for r in active if town_of[r.person] == t and r.person not in taken]
        rng.shuffle(mine)
        planted: list[tuple[str, int, int, str]] = []  # (kind, recipient, cadre, 称谓 of the recipient)
        want = rng.randint(2, 4)
        for i in mine:
            if len(planted) == want:
                break
            found = _cadre_for(w, rng, pool, i)
            if found:
                used.add(found[0])
                planted.append(("case", i, *found))
        if n_towns > 1:  # a cadre native of the next township, whose relative receives 低保 there
            nxt = (t + 1) % n_towns
            theirs = [r.person for r in active if town_of[r.person] == nxt and r.person not in taken | set(mine)]
            rng.shuffle(theirs)
            for i in theirs[:20]:
                found = _cadre_for(w, rng, pools[nxt], i)
                if found:
                    used.add(found[0])
                    planted.append(("other_township", i, *found))
                    break
        taken |= {rel for _, rel, _, _ in planted}
        for kind, rel, person, code in planted:
            home = w.persons[rel].grid.parent
            # a village cadre of the recipient's village, or (other township) a township cadre
            k = next((j for j, (_, v) in enumerate(positions) if v == home), None) if kind == "case" else None
            if k is None:
                k = next(j for j, (_, v) in enumerate(positions) if v is None)
            title, _ = positions.pop(k)
            c = Cadre(person, t, title, _declared_on(w, rng), [Relative(rel, code)])
            _declare(w, rng, pools[town_of[rel]], c, rng.randint(2, 4))
            cases.append(Case(kind, len(cadres), rel, t))
            cadres.append(c)
        for title, village in positions:
            v = village or w.map.villages[t * 12 + rng.randrange(12)].code
            person = pool.find(rng, v, lambda i: 26 < _age(w, i) < 58) or pool.find(rng, None, lambda i: 26 < _age(w, i) < 58)
            if person is None:
                continue
            used.add(person)
            c = Cadre(person, t, title, _declared_on(w, rng))
            _declare(w, rng, pool, c, rng.choice((1, 2, 2, 3, 3, 4)))
            cadres.append(c)
        # a declared relative whose 低保 ended long ago (payments far outside the rule's window)
        planted_cadres = {c.cadre for c in cases}
        ci = rng.choice([j for j, c in enumerate(cadres) if c.township == t and c.relatives and j not in planted_cadres])
        old = cadres[ci].relatives[-1].person
        until = _months_before(today, FORMER_ENDED_MONTHS)
        since = _months_before(today, FORMER_ENDED_MONTHS + 16)
        former.append(TagRecord(old, "01", since, until, f"MZ{rng.getrandbits(48):012X}",
                                datetime.combine(until, datetime.min.time()) + timedelta(hours=rng.uniform(8, 17))))
        cases.append(Case("old_payment", ci, old, t))
    return OversightPlan(cadres, cases, former)


def _months_before(d: date, n: int) -> date:
    m = d.year * 12 + d.month - 1 - n
    return date(m // 12, m % 12 + 1, min(d.day, 28))


# ---------------------------------------------------------------------- 组织部: 干部家庭成员申报
CADRE_COLUMNS = [C("JLBH"), C("XH", "INTEGER"), C("GBSFZH"), C("GBXM"), C("ZW"), C("RZDW"), C("QSSFZH"), C("QSXM"),
                 C("CW"), C("SBRQ", fmt="ymd"), C("XGSJ", fmt="slash")]


def cadre_register(w: World, rng: random.Random, nrng: np.random.Generator) -> tuple[TableData, list[Plan]]:
    td = TableData("organization", "GB_JTCYSB", list(CADRE_COLUMNS), pk=("JLBH",), unique="XH", replication="XGSJ")
    p = plan(w)
    keep = p.people()
    n = 0
    for c in p.cadres:
        cp = w.persons[c.person]
        town = w.map.townships[c.township]
        for r in c.relatives:
            n += 1
            rp = w.persons[r.person]
            at = datetime.combine(c.declared_on, datetime.min.time()) + timedelta(hours=rng.uniform(8.5, 17.5))
            if c.person in keep or r.person in keep:
                td.protected.add(len(td.rows))
            td.rows.append([f"GB{c.township + 1:02d}{n:06d}", n, cp.id_number, cp.name, c.position, town.code,
                            rp.id_number, rp.name, r.relation, c.declared_on, at.replace(second=0, microsecond=0)])
    plans = [Plan("invalid_id_number", "QSSFZH"), Plan("unknown_code", "CW", "99"), Plan("bad_date", "SBRQ"),
             Plan("unknown_reference", "RZDW", lambda row: row[5][:6] + "199"), Plan("missing_key", "JLBH")]
    return td, plans


# ---------------------------------------------------------------------- 民政: 社会救助资金发放
SUBSIDY_COLUMNS = [C("ffid", "INTEGER"), C("ffbh"), C("sfzh"), C("xm"), C("jzlb"), C("ffje", "REAL"),
                   C("ffrq", fmt="date"), C("wgbm"), C("gxsj", fmt="iso")]


def pay_day(year: int, month: int) -> date:
    d = date(year, month, PAY_DAY)
    return d + timedelta(days=(7 - d.weekday()) % 7 if d.weekday() >= 5 else 0)


def base_amount(w: World, person: int, code: str) -> float:
    """The person's monthly amount (低保 差额 700–900, 特困 供养 1100–1400 yuan), from their index."""
    r = random.Random(w.seed * 7919 + person)
    return float(r.randrange(70, 91) * 10 if code == "01" else r.randrange(110, 141) * 10)


def payment_row(w: World, rng: random.Random, n: int, r: TagRecord, paid: date) -> list:
    p = w.persons[r.person]
    t = next(t for t in range(w.scale.townships) if p.grid.code.startswith(w.map.townships[t].code))
    raise_ = 30.0 * max(0, paid.year - (w.end.year - 2))  # the standard goes up each January
    at = datetime.combine(paid, datetime.min.time()) + timedelta(hours=rng.uniform(9, 16))
    return [n, f"FF{t + 1:02d}{paid:%Y%m}{n:07d}", p.id_number, p.name, _KIND[r.code], base_amount(w, r.person, r.code) + raise_,
            paid, p.grid.code, at.replace(microsecond=0)]


def payments_of(w: World, r: TagRecord) -> list[date]:
    """The pay days of a 民政 record inside the payment history, up to the demo's now."""
    today = w.end.date()
    out = []
    for k in range(PAYMENT_MONTHS, -1, -1):
        m = _months_before(today.replace(day=1), k)
        d = pay_day(m.year, m.month)
        if d >= today or d < r.since or (r.until is not None and d > r.until):
            continue
        out.append(d)
    return out


def subsidies(w: World, rng: random.Random, nrng: np.random.Generator) -> tuple[TableData, list[Plan]]:
    td = TableData("civil_affairs", "jzj_ffmx", list(SUBSIDY_COLUMNS), pk=("ffbh",), unique="ffid", replication="gxsj")
    keep = plan(w).people()
    batch: list[tuple[date, int, TagRecord]] = []
    for k, r in enumerate(civil_tags(w)):
        if r.code in RECIPIENT_CODES:
            batch += [(d, k, r) for d in payments_of(w, r)]
    batch.sort(key=lambda b: (b[0], b[1]))
    for n, (d, _, r) in enumerate(batch, 1):
        if r.person in keep:
            td.protected.add(len(td.rows))
        td.rows.append(payment_row(w, rng, n, r, d))
    plans = [Plan("invalid_id_number", "sfzh"), Plan("bad_number", "ffje"), Plan("unknown_code", "jzlb", "LS"),
             grid_plan(td, "wgbm"), Plan("bad_date", "ffrq"), Plan("duplicate", None)]
    return td, plans


def civil_tags(w: World) -> list[TagRecord]:
    """Every 民政 object of the demo: those drawn by the tags builder and the oversight plan's former
    recipients (``plan``), in the order the tags table lists them."""
    drawn = tag_records(w, random.Random(w.seed * 100 + TAGS_SEED_OFFSET))
    return drawn + plan(w).former


def tags(w: World, rng: random.Random) -> tuple[TableData, list[Plan]]:
    td = TableData("civil_affairs", "mz_dx", list(TAG_COLUMNS), pk=("dxid",), unique="bsm", replication="gxsj")
    records = tag_records(w, rng) + plan(w).former
    keep = plan(w).people()
    for k, r in enumerate(records):
        if r.person in keep:
            td.protected.add(len(td.rows))
        td.rows.append(tag_row(w, k + 1, r))
    plans = [Plan("invalid_id_number", "sfzh"), Plan("unknown_code", "lb", "09"), address_plan(td, "jzdz", rng),
             Plan("bad_date", "ksrq")]
    return td, plans
