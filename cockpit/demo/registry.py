"""Registries: the township grid registry (areas), 公安 residents, 民政 tags, 市场监管 enterprises."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from cockpit.demo import codes
from cockpit.demo.defects import Plan
from cockpit.demo.geography import geojson
from cockpit.demo.store import Column as C
from cockpit.demo.store import TableData
from cockpit.demo.world import World

LEVEL_CODE = {v: k for k, v in codes.AREA_LEVEL.items()}


def bad_address(rng: random.Random):
    """unknown_location for an address column: a 组 the village does not have, or a village that does not exist."""
    def spoil(row_value: str) -> str:
        if rng.random() < 0.5:
            return re.sub(r"\d+组", "99组", row_value, count=1)
        return re.sub(r"^(.+?(?:镇|街道)).+?(?:村|社区)", r"\1望月村", row_value, count=1)
    return spoil


def address_plan(td: TableData, column: str, rng: random.Random) -> Plan:
    spoil = bad_address(rng)
    ci = td.idx(column)
    return Plan("unknown_location", column, lambda row: spoil(row[ci]))


def grid_plan(td: TableData, column: str) -> Plan:
    ci = td.idx(column)
    return Plan("unknown_location", column, lambda row: row[ci][:12] + "99")


def areas(w: World, rng: random.Random) -> tuple[TableData, list[Plan]]:
    td = TableData("township_grid", "wg_qy", [
        C("qydm"), C("qymc"), C("cj"), C("sjdm"), C("xh", "INTEGER"), C("bj_geojson"), C("zx_jd", "REAL"),
        C("zx_wd", "REAL"), C("rks", "INTEGER"), C("hs", "INTEGER"), C("wgy"), C("gxsj", fmt="iso")],
        pk=("qydm",), unique="qymc", replication="gxsj")
    pop: dict[str, int] = {}
    for p in w.persons:
        g = p.grid
        for code in (g.code, g.parent, g.code[:9], g.code[:6]):
            pop[code] = pop.get(code, 0) + 1
    stamp = w.start - timedelta(days=30)
    for a in w.map.areas():
        n = pop.get(a.code, 0)
        td.rows.append([a.code, a.name, LEVEL_CODE[a.level], a.parent, a.seq, geojson(a.ring), a.centroid[0],
                        a.centroid[1], n, round(n / 2.6), a.worker, stamp])
    return td, []


def area_defects(td: TableData, rng: random.Random, source: str) -> list[dict]:
    """The grid registry's bad rows are extra rows (a stale copy, a half-entered row) so that no real
    area is quarantined and nothing located in it is lost."""
    grids = [r for r in td.rows if r[2] == "4"]
    dup = list(rng.choice(grids))
    junk = list(rng.choice(grids))
    junk[0] = None
    junk[1] = "待核实网格（录入中）"
    td.rows += [dup, junk]
    td.has_duplicates = True
    return [{"source": source, "key": dup[0], "rule": "duplicate", "field": None, "match": {"qydm": dup[0]}},
            {"source": source, "key": None, "rule": "missing_key", "field": "code", "match": {"qymc": junk[1]}}]


def persons(w: World, rng: random.Random) -> tuple[TableData, list[Plan]]:
    td = TableData("police", "czrk", [
        C("rybh"), C("gmsfhm"), C("xm"), C("xb"), C("csrq", fmt="ymd"), C("zz"), C("lxdh"),
        C("gxsj", "INTEGER", "epoch")], pk=("rybh",), unique="gmsfhm", replication="gxsj")
    span = int((w.end - w.start).total_seconds())
    for i, p in enumerate(w.persons):
        upd = w.start + timedelta(seconds=rng.randrange(span))
        td.rows.append([f"R{i + 1:08d}", p.id_number, p.name, "1" if p.male else "2", p.birth, p.address,
                        p.phone, upd])
    plans = [Plan("invalid_id_number", "gmsfhm"), Plan("bad_date", "csrq"), address_plan(td, "zz", rng),
             Plan("unknown_code", "xb", "9"), Plan("missing_key", "rybh"), Plan("duplicate", None)]
    return td, plans


TAGS_SEED_OFFSET = 3  # the generator seeds the tags builder with seed * 100 + 3


@dataclass(frozen=True)
class TagRecord:
    """One 民政 object: a person (index into ``World.persons``) with a civil-affairs code (``codes.CIVIL_TAG``)."""

    person: int
    code: str
    since: date
    until: date | None
    mark: str  # 标识码 (bsm)
    updated: datetime


def tag_records(w: World, rng: random.Random) -> list[TagRecord]:
    """The 民政 objects as drawn from ``rng`` (the tags builder's generator)."""
    today = w.end.date()
    picks: list[tuple[int, str]] = [(i, "03") for i in w.elderly]
    for t, members in enumerate(w.town_persons):
        adults = [i for i in members if (today - w.persons[i].birth).days > 18 * 365]
        sample = rng.sample(adults, int(len(members) * 0.028))
        n1, n2 = int(len(members) * 0.011), int(len(members) * 0.002)
        picks += [(i, "01") for i in sample[:n1]] + [(i, "02") for i in sample[n1:n1 + n2]]
        picks += [(i, "04") for i in sample[n1 + n2:]]
    out = []
    for i, lb in picks:
        since = today - timedelta(days=rng.randrange(20, 2500))
        until = None
        if lb in ("01", "02") and rng.random() < 0.1:
            until = since + timedelta(days=rng.randrange(10, 400))
            if until >= today:
                until = None
        upd = datetime.combine(max(since, w.start.date()), datetime.min.time()) + timedelta(hours=rng.uniform(8, 17))
        out.append(TagRecord(i, lb, since, until, f"MZ{rng.getrandbits(48):012X}", upd))
    return out


TAG_COLUMNS = [C("dxid", "INTEGER"), C("bsm"), C("sfzh"), C("xm"), C("lb"), C("ksrq", fmt="date"), C("jsrq", fmt="date"),
               C("jzdz"), C("gxsj", fmt="iso")]


def tag_row(w: World, k: int, r: TagRecord) -> list:
    p = w.persons[r.person]
    return [k, r.mark, p.id_number, p.name, r.code, r.since, r.until, p.address, r.updated]


def enterprises(w: World, rng: random.Random) -> tuple[TableData, list[Plan]]:
    td = TableData("market", "qydj", [
        C("nbxh"), C("tyshxydm"), C("qymc"), C("hydm"), C("qygm"), C("djzt"), C("clrq", fmt="date"),
        C("zxrq", fmt="date"), C("zs"), C("cyrs", "INTEGER"), C("gxsj", fmt="iso_t")],
        pk=("nbxh",), unique="tyshxydm", replication="gxsj")
    for i, e in enumerate(w.enterprises):
        status = rng.choice(("存续", "在业")) if e.closed is None else rng.choice(("注销", "注销", "吊销"))
        upd = datetime.combine(max(e.closed or e.registered, w.start.date()), datetime.min.time()) + timedelta(hours=rng.uniform(8, 18))
        td.rows.append([f"{330999}{i + 1:010d}", e.credit_code, e.name, e.industry, e.scale, status, e.registered,
                        e.closed, e.address, e.employees, upd.replace(microsecond=0)])
    plans = [Plan("invalid_credit_code", "tyshxydm"), Plan("bad_number", "cyrs"), Plan("missing_value", "qymc"),
             Plan("unknown_code", "hydm", "Z"), Plan("bad_date", "clrq")]
    return td, plans

