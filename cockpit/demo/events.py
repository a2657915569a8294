"""Event sources: 110 incidents, camera alarms, 12345 hotline, petitions, urban cases, grid reports.

A few residents report one incident twice, across channels (``repeat_callers``): the ETL links the
later report to the first (``event.duplicate_of``) and counts the incident once."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from cockpit.demo import codes
from cockpit.demo.defects import Plan
from cockpit.demo.geography import Area, Map, address
from cockpit.demo.identities import phone
from cockpit.demo.registry import address_plan, grid_plan
from cockpit.demo.store import Column as C
from cockpit.demo.store import TableData
from cockpit.demo.world import World
from cockpit.reference import category

NIGHT_HOURS = np.array([6, 5, 4, 3, 2, 2, 3, 5, 7, 7, 7, 7, 7, 7, 7, 7, 8, 9, 10, 11, 12, 12, 10, 8], float)


def weighted(rng: random.Random, table: dict) -> str:
    keys = list(table)
    return rng.choices(keys, weights=[table[k][1] for k in keys])[0]


def _text(rng: random.Random, cat_code: str, where: str) -> tuple[str, str]:
    name = category(cat_code).name_zh
    title = f"{where}{name}问题"
    content = rng.choice(("群众反映", "来电人反映", "有居民反映", "现场发现")) + f"{where}存在{name}问题，" + rng.choice(
        ("请尽快处理。", "已多次反映，希望相关部门尽快解决。", "影响周边居民正常生活。", "请相关部门核实处置。"))
    return title, content


# ---------------------------------------------------------------------- numbers in what people say
# Callers and petitioners leave their numbers in the text of a complaint ("我的手机号是138…"); the ETL
# masks them in every free-text field. Which rows carry one, and the landline numbers, follow from
# the row number, not from the row's generator, so every other value of the demo stays as it was.
CONTACT_EVERY = 13  # one row in 13 of the hotline, 110, petition and grid-report sources


def _landline(n: int) -> str:
    return f"8{n * 7919 % 10**7:07d}"


def _wrong_check(id_number: str) -> str:
    """The ID number with another check character (a caller's typo)."""
    chars = "0123456789X"
    return id_number[:17] + chars[(chars.index(id_number[17]) + 1) % len(chars)]


def with_contact(content: str, n: int, phone: str, id_number: str | None = None) -> str:
    """``content`` with the caller's phone, a landline or an ID number said in it, for one row in
    ``CONTACT_EVERY`` (by row number ``n``), in the forms people write them."""
    if n % CONTACT_EVERY:
        return content
    spaced = f"{phone[:3]} {phone[3:7]} {phone[7:]}"
    said = [f"我的手机号是{phone}，请回电。", f"联系电话：{phone[:3]}-{phone[3:7]}-{phone[7:]}。",
            f"来电人座机0571-{_landline(n)}。", f"联系方式+86 {spaced}，或（0571）{_landline(n + 1)}。",
            f"电话{_landline(n + 2)}。"]
    if id_number:
        said += [f"本人身份证号{id_number}，手机{phone}。", f"身份证号码：{_wrong_check(id_number)}（可能有误）。"]
    return content + said[n // CONTACT_EVERY % len(said)]


# ---------------------------------------------------------------------- 12345 hotline
HOTLINE_COLUMNS = [C("id", "INTEGER"), C("order_no"), C("source_type"), C("caller_phone"), C("category_code"),
                   C("address"), C("title"), C("content")] + [C(n, fmt="iso") for n in (
                       "created_at", "accepted_at", "dispatched_at", "signed_at", "arrived_at", "finished_at",
                       "closed_at", "deadline")] + [C("satisfaction", "INTEGER"), C("status"), C("updated_at", fmt="iso")]
HOTLINE_STEPS = [(0.05, 0.5), (0.2, 4), (0.1, 2), (1, 24), (2, 96), (12, 72)]
HOTLINE_PHONE = [c.name for c in HOTLINE_COLUMNS].index("caller_phone")
HOTLINE_CONTENT = [c.name for c in HOTLINE_COLUMNS].index("content")


def hotline_row(w: World, rng: random.Random, n: int, t: int, created: datetime, cat: str | None = None,
                grid=None, until: datetime | None = None, caller: str | None = None) -> list:
    grid = grid or w.pick_grid(rng, t)
    cat = cat or weighted(rng, codes.HOTLINE_CATEGORY)
    ucat = codes.HOTLINE_CATEGORY[cat][0]
    addr = address(grid, rng.randrange(1, 120))
    title, content = _text(rng, ucat, f"{grid.village}{grid.seq}组")
    stages = w.lifecycle(rng, created, HOTLINE_STEPS, until)
    reached = sum(s is not None for s in stages)
    sat = rng.choices((5, 4, 3, 2, 1), (55, 25, 10, 6, 4))[0] if reached == 6 else None
    upd = max([created] + [s for s in stages if s is not None])
    deadline = created + timedelta(hours=category(ucat).sla_hours)
    row = [n, f"RX{t + 1:02d}{created:%Y%m%d}{n:07d}", rng.choice(codes.HOTLINE_SOURCE), phone(rng), cat, addr, title,
           content, created, *stages, deadline, sat, codes.HOTLINE_STATUS[reached], upd]
    if caller:  # (the drawn number is dropped, so the row's other values are those drawn without a caller)
        row[HOTLINE_PHONE] = caller
    row[HOTLINE_CONTENT] = with_contact(content, n, row[HOTLINE_PHONE])
    return row


def hotline(w: World, rng: random.Random, nrng: np.random.Generator) -> tuple[TableData, list[Plan]]:
    td = TableData("hotline", "work_order", list(HOTLINE_COLUMNS), pk=("order_no",), unique="id", replication="updated_at")
    n = 0
    for t in range(w.scale.townships):
        for day, k in w.daily_counts(nrng, 25, weekend=0.75, season=0.2):
            for _ in range(k):
                n += 1
                td.rows.append(hotline_row(w, rng, n, t, w.time_in_day(rng, day)))
        # hot spot: five neighbours call about noise in the same grid within the last week
        grid = w.map.grids_of(t)[17]
        for j in range(5):
            n += 1
            created = w.end - timedelta(days=5 - j, hours=rng.uniform(1, 12))
            td.protected.add(len(td.rows))
            td.rows.append(hotline_row(w, rng, n, t, created.replace(microsecond=0), "A0101", grid))
    for t in range(w.scale.townships):
        for c in repeat_callers(w, t):
            for at in c.hotline_at:
                n += 1
                td.protected.add(len(td.rows))
                td.rows.append(hotline_row(w, c.rng, n, t, at, c.hotline_category, c.grid, caller=c.phone))
        prng = random.Random(w.seed * 100 + 95 + t)
        planted = hot_spot_reports(w, t)["hotline"] + [r for _, reports, _ in many_doors(w, t) for r in reports]
        for r in planted:
            n += 1
            td.protected.add(len(td.rows))
            td.rows.append(hotline_row(w, prng, n, t, r.at, r.category, r.grid, caller=r.phone))
    plans = [address_plan(td, "address", rng), Plan("unknown_code", "category_code", "Z9901"),
             Plan("bad_number", "satisfaction"), Plan("missing_value", "created_at"), Plan("duplicate", None)]
    return td, plans


# ---------------------------------------------------------------------- one incident, two channels
REPEAT_CALLERS = 4  # per township


@dataclass
class RepeatCaller:
    """A resident who calls 12345 about noise at night and, within the hour, calls 110 about the same
    noise (same phone, category and grid); every second one calls 12345 again the next morning."""

    phone: str
    grid: Area
    hotline_at: list[datetime]
    police_at: datetime
    rng: random.Random  # for the rows' other values
    hotline_category: str = "A0101"  # noise, in the hotline's codes
    police_category: str = "070100"  # noise, in the police's codes


def repeat_callers(w: World, t: int) -> list[RepeatCaller]:
    """The township's repeat callers, the same for the hotline and the police source. Drawn from
    their own seed, so the sources' other rows are the same with or without them."""
    rng = random.Random(w.seed * 100 + 90 + t)
    out = []
    for i in range(REPEAT_CALLERS):
        grid = w.pick_grid(rng, t)
        day = w.end - timedelta(days=rng.uniform(2, min(28, w.scale.days - 2)))
        first = day.replace(hour=rng.choice((21, 22, 23)), microsecond=0)
        hotline_at = [first] + ([(first + timedelta(hours=rng.uniform(9, 12))).replace(microsecond=0)] if i % 2 else [])
        police_at = (first + timedelta(minutes=rng.uniform(15, 60))).replace(microsecond=0)
        out.append(RepeatCaller(phone(rng), grid, hotline_at, police_at, random.Random(rng.randrange(2**32))))
    return out


# ---------------------------------------------------------------------- planted complaint patterns
HOT_SPOT_GRID = 17  # (index among the township's grids) the noise hot spot: 5 hotline callers, 2 grid reports
POLLUTION_GRID = 63  # a second, smaller spot: pollution, through 12345 and 信访


@dataclass
class Planted:
    """One planted report: its time, the reporter (a phone number, or a resident for 信访), category
    (in the source's own codes) and grid."""

    at: datetime
    category: str
    grid: Area
    phone: str | None = None
    person: int | None = None


def hot_spot_reports(w: World, t: int) -> dict[str, list[Planted]]:
    """Reports that make the prominent-issue rule fire, by source: two 110 callers about the noise hot
    spot (with its five 12345 callers: 7 reporters, three channels: red), and a pollution spot of two
    12345 callers and two petitioners living in the grid (4 reporters, two channels: orange)."""
    rng = random.Random(w.seed * 100 + 80 + t)
    noise = w.map.grids_of(t)[HOT_SPOT_GRID]
    dirty = w.map.grids_of(t)[POLLUTION_GRID]
    out: dict[str, list[Planted]] = {"police": [], "hotline": [], "petition": []}
    for d in (2.4, 1.3):
        out["police"].append(Planted(_night(w.end - timedelta(days=d), rng), "070100", noise, phone(rng)))
    for d in (4.2, 2.6):
        out["hotline"].append(Planted(_day(w.end - timedelta(days=d), rng), "A0102", dirty, phone(rng)))
    residents = [i for i in w.town_persons[t] if w.persons[i].grid.code == dirty.code
                 and (w.end.date() - w.persons[i].birth).days > 25 * 365]
    for d, i in zip((3.5, 1.8), rng.sample(residents, 2)):
        out["petition"].append(Planted(_day(w.end - timedelta(days=d), rng), "04", dirty, person=i))
    return out


MANY_DOORS = (  # per visitor: 12345 categories (three departments) and a 110 call (a fourth)
    (("D0601", "D0101", "B0101"), "040100"),  # relief (民政), wages (人社), road (城管); dispute (司法)
    (("C0101", "B0102", "D0301"), "050100"),  # consumer (市场监管), utility (发改), school (教育); fraud (公安)
)


def many_doors(w: World, t: int) -> list[tuple[int, list[Planted], Planted]]:
    """Residents who, within the last four weeks, call 12345 about three matters of three departments
    and 110 about a fourth, all from their own phone: (person, hotline reports, police report)."""
    rng = random.Random(w.seed * 100 + 85 + t)
    adults = [i for i in w.town_persons[t] if 30 * 365 < (w.end.date() - w.persons[i].birth).days < 70 * 365]
    out = []
    for (hot, pol), i in zip(MANY_DOORS, rng.sample(adults, len(MANY_DOORS))):
        p = w.persons[i]
        days = sorted(rng.uniform(1, min(26, w.scale.days - 1)) for _ in range(4))
        reports = [Planted(_day(w.end - timedelta(days=d), rng), c, p.grid, p.phone) for d, c in zip(days, hot)]
        out.append((i, reports, Planted(_day(w.end - timedelta(days=days[3]), rng), pol, p.grid, p.phone)))
    return out


def _day(d: datetime, rng: random.Random) -> datetime:
    return d.replace(hour=rng.randrange(8, 18), minute=rng.randrange(60), second=rng.randrange(60), microsecond=0)


def _night(d: datetime, rng: random.Random) -> datetime:
    return d.replace(hour=rng.choice((21, 22, 23)), minute=rng.randrange(60), second=rng.randrange(60), microsecond=0)


# ---------------------------------------------------------------------- 110 incidents
POLICE_COLUMNS = [C("xh", "INTEGER"), C("jjdbh"), C("bjsj", "INTEGER", "epoch"), C("jqlb"), C("wgbm"), C("bjrdh"),
                  C("jqzt"), C("pjsj", "INTEGER", "epoch"), C("ddsj", "INTEGER", "epoch"), C("cjsj", "INTEGER", "epoch"),
                  C("jasj", "INTEGER", "epoch"), C("jyaq"), C("gxsj", "INTEGER", "epoch")]
POLICE_STEPS = [(0.02, 0.2), (0.1, 0.6), (0.5, 6), (12, 120)]


def police_row(w: World, rng: random.Random, n: int, t: int, at: datetime, until: datetime | None = None,
               cat: str | None = None, grid=None, caller: str | None = None) -> list:
    grid = grid or w.pick_grid(rng, t)
    cat = cat or weighted(rng, codes.POLICE_INCIDENT)
    _, content = _text(rng, codes.POLICE_INCIDENT[cat][0], f"{grid.village}{grid.seq}组")
    stages = w.lifecycle(rng, at, POLICE_STEPS, until)
    reached = sum(s is not None for s in stages)
    upd = max([at] + [s for s in stages if s is not None])
    caller = caller or phone(rng)
    return [n, f"J{t + 1:02d}{at:%Y%m%d}{n:07d}", at, cat, grid.code, caller, codes.POLICE_STATUS[reached],
            *stages, with_contact(content, n, caller), upd]


def police(w: World, rng: random.Random, nrng: np.random.Generator) -> tuple[TableData, list[Plan]]:
    td = TableData("police", "jq_jjd", list(POLICE_COLUMNS), pk=("jjdbh",), unique="xh", replication="gxsj")
    n = 0
    for t in range(w.scale.townships):
        for day, k in w.daily_counts(nrng, 10, weekend=1.2, season=0.1):
            for _ in range(k):
                n += 1
                td.rows.append(police_row(w, rng, n, t, w.time_in_day(rng, day, NIGHT_HOURS)))
    for t in range(w.scale.townships):
        for c in repeat_callers(w, t):
            n += 1
            td.protected.add(len(td.rows))
            td.rows.append(police_row(w, c.rng, n, t, c.police_at, cat=c.police_category, grid=c.grid, caller=c.phone))
        prng = random.Random(w.seed * 100 + 96 + t)
        for r in hot_spot_reports(w, t)["police"] + [r for _, _, r in many_doors(w, t)]:
            n += 1
            td.protected.add(len(td.rows))
            td.rows.append(police_row(w, prng, n, t, r.at, cat=r.category, grid=r.grid, caller=r.phone))
    plans = [grid_plan(td, "wgbm"), Plan("unknown_code", "jqlb", "990100"), Plan("missing_value", "bjsj"),
             Plan("duplicate", None)]
    return td, plans


# ---------------------------------------------------------------------- camera alarms
CAMERA_COLUMNS = [C("gjid", "INTEGER"), C("lsh"), C("sxtbh"), C("gjlx"), C("gjms"), C("gjsj", fmt="iso_t"),
                  C("jd", "REAL"), C("wd", "REAL"), C("clzt"), C("clsj", fmt="iso_t"), C("gxsj", fmt="iso_t")]
_CAMERA_TEXT = {"RQJJ": "人员聚集", "ZDJY": "占道经营", "YWHZ": "烟雾火情", "LJDF": "垃圾堆放", "JDCWT": "机动车违停"}


def cameras(w: World, rng: random.Random) -> list[tuple[str, float, float]]:
    out = []
    for g in w.map.grids:
        for k in range(2):
            lon, lat = Map.point_in(g, rng.random(), rng.random())
            out.append((f"{g.code}{k + 1:02d}", lon, lat))
    return out


def camera_row(w: World, rng: random.Random, n: int, cam: tuple[str, float, float], at: datetime,
               until: datetime | None = None) -> list:
    cat = weighted(rng, codes.CAMERA_ALARM)
    stages = w.lifecycle(rng, at, [(0.05, 1), (0.5, 8)], until)
    reached = sum(s is not None for s in stages)
    upd = max([at] + [s for s in stages if s is not None])
    return [n, f"GJ{at:%Y%m%d%H%M%S}{n:07d}", cam[0], cat, f"摄像机{cam[0][-6:]}检测到{_CAMERA_TEXT[cat]}", at, cam[1],
            cam[2], codes.CAMERA_STATUS[reached], stages[1], upd]


def camera(w: World, rng: random.Random, nrng: np.random.Generator) -> tuple[TableData, list[Plan]]:
    td = TableData("police", "xl_gj", list(CAMERA_COLUMNS), pk=("gjid",), unique="lsh", replication="gxsj")
    cams = cameras(w, random.Random(w.seed + 11))
    per_town = len(cams) // w.scale.townships
    n = 0
    for t in range(w.scale.townships):
        mine = cams[t * per_town:(t + 1) * per_town]
        for day, k in w.daily_counts(nrng, 20, weekend=1.1, season=0.1):
            for _ in range(k):
                n += 1
                td.rows.append(camera_row(w, rng, n, rng.choice(mine), w.time_in_day(rng, day, NIGHT_HOURS)))
    out = w.map.outside_point
    plans = [Plan("unknown_location", "jd", lambda row: dict(zip(("jd", "wd"), out(rng)))),
             Plan("bad_date", "clsj"), Plan("missing_key", "gjid"), Plan("unknown_code", "gjlx", "QTGJ")]
    return td, plans


# ---------------------------------------------------------------------- petitions
PETITION_COLUMNS = [C("xh", "INTEGER"), C("xfjbh"), C("xfxs"), C("xfrsfzh"), C("wtsd"), C("nrfl"), C("xfnr"),
                    C("blzt")] + [C(n, fmt="slash") for n in ("djsj", "slsj", "jbsj", "bjsj", "gxsj")]
PETITION_STEPS = [(24, 72), (24, 120), (24, 96), (72, 600)]


def petition_row(w: World, rng: random.Random, n: int, t: int, at: datetime, village: str | None = None,
                 until: datetime | None = None, person: int | None = None, cat: str | None = None) -> list:
    members = w.town_persons[t]
    while person is None:
        p = w.persons[rng.choice(members)]
        if (w.end.date() - p.birth).days > 18 * 365 and (village is None or p.grid.parent == village):
            break
    else:
        p = w.persons[person]
    cat = cat or weighted(rng, codes.PETITION_CATEGORY)
    _, content = _text(rng, codes.PETITION_CATEGORY[cat][0], f"{p.grid.village}{p.grid.seq}组")
    at = at.replace(second=0)
    stages = [s.replace(second=0) if s else None for s in w.lifecycle(rng, at, PETITION_STEPS, until)]
    reached = sum(s is not None for s in stages)
    upd = max([at] + [s for s in stages if s is not None])
    return [n, f"XF{t + 1:02d}{at:%Y%m%d}{n:06d}", rng.choice(codes.PETITION_FORM), p.id_number,
            address(p.grid, rng.randrange(1, 120)), cat, with_contact(content, n, p.phone, p.id_number),
            codes.PETITION_STATUS[reached], at,
            stages[0], stages[1], stages[3], upd]


def petition(w: World, rng: random.Random, nrng: np.random.Generator) -> tuple[TableData, list[Plan]]:
    td = TableData("petition", "xf_xfj", list(PETITION_COLUMNS), pk=("xfjbh",), unique="xh", replication="gxsj")
    n = 0
    for t in range(w.scale.townships):
        for day, k in w.daily_counts(nrng, 1.5, weekend=0.3, season=0.1):
            for _ in range(k):
                n += 1
                td.rows.append(petition_row(w, rng, n, t, w.time_in_day(rng, day)))
        # surge: one village's residents petition together about land requisition in the last week
        village = w.map.villages[t * 12 + 4].code
        for j in range(8):
            n += 1
            td.protected.add(len(td.rows))
            td.rows.append(petition_row(w, rng, n, t, w.end - timedelta(days=6 - j * 0.7, hours=rng.uniform(1, 8)), village))
    for t in range(w.scale.townships):
        prng = random.Random(w.seed * 100 + 97 + t)
        for r in hot_spot_reports(w, t)["petition"]:
            n += 1
            td.protected.add(len(td.rows))
            td.rows.append(petition_row(w, prng, n, t, r.at, person=r.person, cat=r.category))
    plans = [Plan("invalid_id_number", "xfrsfzh"), Plan("bad_date", "slsj"), address_plan(td, "wtsd", rng),
             Plan("unknown_code", "nrfl", "99")]
    return td, plans


# ---------------------------------------------------------------------- urban management cases
URBAN_COLUMNS = [C("case_id", "INTEGER"), C("case_no"), C("event_code"), C("grid_no"), C("description"), C("status")] + [
    C(n, fmt="slash") for n in ("report_time", "register_time", "dispatch_time", "handle_time", "close_time", "upd_time")]
URBAN_STEPS = [(0.1, 2), (0.1, 2), (2, 48), (1, 24), (1, 24)]


def urban_row(w: World, rng: random.Random, n: int, t: int, at: datetime, until: datetime | None = None) -> list:
    grid = w.pick_grid(rng, t)
    cat = weighted(rng, codes.URBAN_EVENT)
    _, content = _text(rng, codes.URBAN_EVENT[cat][0], f"{grid.village}{grid.seq}组")
    at = at.replace(second=0)
    stages = [s.replace(second=0) if s else None for s in w.lifecycle(rng, at, URBAN_STEPS, until)]
    reached = sum(s is not None for s in stages)
    upd = max([at] + [s for s in stages if s is not None])
    return [n, f"CG{t + 1:02d}{at:%Y%m%d}{n:07d}", cat, grid.code, content, codes.URBAN_STATUS[reached], at,
            stages[0], stages[1], stages[2], stages[4], upd]


def urban(w: World, rng: random.Random, nrng: np.random.Generator) -> tuple[TableData, list[Plan]]:
    td = TableData("urban", "case_info", list(URBAN_COLUMNS), pk=("case_id",), unique="case_no", replication="upd_time")
    n = 0
    for t in range(w.scale.townships):
        for day, k in w.daily_counts(nrng, 15, weekend=0.5, season=0.2):
            for _ in range(k):
                n += 1
                td.rows.append(urban_row(w, rng, n, t, w.time_in_day(rng, day)))
    plans = [Plan("unknown_code", "event_code", "9999"), grid_plan(td, "grid_no"), Plan("bad_date", "report_time"),
             Plan("missing_key", "case_id")]
    return td, plans


# ---------------------------------------------------------------------- grid-worker app reports
GRID_COLUMNS = [C("seq", "INTEGER"), C("sbid"), C("wgbm"), C("sblx"), C("ms"), C("wgy"),
                C("sbsj", "INTEGER", "epoch"), C("slsj", "INTEGER", "epoch"), C("bjsj", "INTEGER", "epoch"), C("clzt"),
                C("gxsj", "INTEGER", "epoch")]


def grid_row(w: World, rng: random.Random, n: int, t: int, at: datetime, cat: str | None = None, grid=None,
             until: datetime | None = None) -> list:
    grid = grid or w.pick_grid(rng, t)
    cat = cat or weighted(rng, codes.GRID_REPORT)
    _, content = _text(rng, codes.GRID_REPORT[cat][0], f"{grid.village}{grid.seq}组")
    stages = w.lifecycle(rng, at, [(0.1, 4), (1, 72), (24, 120)], until)
    reached = sum(s is not None for s in stages)
    upd = max([at] + [s for s in stages if s is not None])
    resident = w.persons[n * 7919 % len(w.persons)]  # (by row number: no draw from ``rng``)
    content = with_contact(content, n, resident.phone, resident.id_number)
    return [n, f"SB{t + 1:02d}{at:%Y%m%d}{n:07d}", grid.code, cat, content, grid.worker, at, stages[0], stages[1],
            codes.GRID_STATUS[reached], upd]


def grid_reports(w: World, rng: random.Random, nrng: np.random.Generator) -> tuple[TableData, list[Plan]]:
    td = TableData("township_grid", "app_sb", list(GRID_COLUMNS), pk=("sbid",), unique="seq", replication="gxsj")
    n = 0
    for t in range(w.scale.townships):
        for day, k in w.daily_counts(nrng, 40, weekend=0.4, season=0.1):
            for _ in range(k):
                n += 1
                td.rows.append(grid_row(w, rng, n, t, w.time_in_day(rng, day)))
        grid = w.map.grids_of(t)[17]  # the grid of the hotline noise hot spot: the grid worker reports it too
        for j in range(2):
            n += 1
            td.protected.add(len(td.rows))
            at = (w.end - timedelta(days=3 - j, hours=rng.uniform(2, 6))).replace(microsecond=0)
            td.rows.append(grid_row(w, rng, n, t, at, "ZSZY", grid))
    plans = [grid_plan(td, "wgbm"), Plan("unknown_code", "sblx", "QT"), Plan("missing_value", "sbsj"),
             Plan("duplicate", None)]
    return td, plans
