"""The live simulator: each step appends new records and moves old ones on (status changes that move
the replication key forward, late corrections, new ledger rows), and says exactly what it did."""

from __future__ import annotations

import json
import logging
import random
import sqlite3
import threading
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Callable

from cockpit.demo import codes, episodes, events, oversight, readings, registry, services
from cockpit.demo.defects import source_decls, sources_of
from cockpit.demo.generator import MANIFEST
from cockpit.demo.store import FORMATTERS, TableData, format_rows, from_epoch, read_csv, write_csv
from cockpit.demo.world import SCALES, World
from cockpit import clock

log = logging.getLogger(__name__)


@lru_cache(maxsize=2)
def _world(scale: str, seed: int, now: str) -> World:
    return World(SCALES[scale], seed, datetime.fromisoformat(now))


def _parse(fmt: str, raw) -> datetime:
    if fmt == "epoch":
        return from_epoch(raw)
    if fmt == "slash":
        return datetime.strptime(raw, "%Y/%m/%d %H:%M")
    return datetime.fromisoformat(raw)


def _forward(fmt: str, old, now: datetime):
    """The new replication value: ``now``, or just past the old value if that is already later."""
    step = timedelta(minutes=1) if fmt == "slash" else timedelta(seconds=1)
    new = now.replace(microsecond=0)
    if old is not None:
        new = max(new, _parse(fmt, old) + step)
    return FORMATTERS[fmt](new)


# source -> (table, key column, status column, statuses, stage columns (aligned with statuses), replication column, its format)
LIFECYCLES = {
    "hotline_12345": ("hotline", "work_order", "order_no", "status", codes.HOTLINE_STATUS,
                      ("created_at", "accepted_at", "dispatched_at", "signed_at", "arrived_at", "finished_at", "closed_at"),
                      "updated_at", "iso"),
    "police_incident": ("police", "jq_jjd", "jjdbh", "jqzt", codes.POLICE_STATUS, ("bjsj", "pjsj", "ddsj", "cjsj", "jasj"),
                        "gxsj", "epoch"),
    "police_camera": ("police", "xl_gj", "gjid", "clzt", codes.CAMERA_STATUS, ("gjsj", None, "clsj"), "gxsj", "iso_t"),
    "grid_report": ("township_grid", "app_sb", "sbid", "clzt", codes.GRID_STATUS, ("sbsj", "slsj", "bjsj", None), "gxsj", "epoch"),
    "urban_case": ("urban", "case_info", "case_id", "status", codes.URBAN_STATUS,
                   ("report_time", "register_time", "dispatch_time", "handle_time", None, "close_time"), "upd_time", "slash"),
    "petition": ("petition", "xf_xfj", "xfjbh", "blzt", codes.PETITION_STATUS, ("djsj", "slsj", "jbsj", None, "bjsj"), "gxsj", "slash"),
}
_TIME_FMT = {"hotline_12345": "iso", "police_incident": "epoch", "police_camera": "iso_t", "grid_report": "epoch",
             "urban_case": "slash", "petition": "slash"}


def simulate_step(out_dir: Path, *, seed: int, now: datetime) -> dict:
    """Append and update records once, as of ``now``. Returns {source: {"inserted": [keys], "updated": [keys]}}."""
    out_dir = Path(out_dir)
    manifest = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
    w = _world(manifest["scale"], manifest["seed"], manifest.get("now") or manifest["today"])
    rng = random.Random(f"{seed}:{now.isoformat()}")
    bad: dict[str, set] = {}
    for b in manifest["bad_rows"]:
        bad.setdefault(b["source"], set()).add(b["key"])
    decls = source_decls()
    done: dict[str, dict[str, list[str]]] = {}

    def note(source: str, kind: str, key) -> None:
        done.setdefault(source, {"inserted": [], "updated": []})[kind].append(str(key))

    cons: dict[str, sqlite3.Connection] = {}

    def con(db: str) -> sqlite3.Connection:
        if db not in cons:
            cons[db] = sqlite3.connect(out_dir / f"{db}.db")
        return cons[db]

    def insert(td: TableData, row: list) -> None:
        format_rows(td, [row])
        con(td.db).execute(f'INSERT INTO "{td.name}" VALUES ({", ".join("?" * len(row))})', row)
        for s in sources_of(td, decls):
            note(s.name, "inserted", "|".join(str(row[td.idx(c)]) for c in s.primary_key))

    def next_n(db: str, table: str, column: str) -> int:
        return (con(db).execute(f'SELECT MAX("{column}") FROM "{table}"').fetchone()[0] or 0) + 1

    t = rng.randrange(w.scale.townships)
    until = now.replace(microsecond=0)  # new rows start at their first stage: later ones lie in the future
    # --- new events
    new_events = [
        (events.hotline_row, events.HOTLINE_COLUMNS, "hotline", "work_order", ("order_no",), "id", "updated_at", 2),
        (events.police_row, events.POLICE_COLUMNS, "police", "jq_jjd", ("jjdbh",), "xh", "gxsj", 1),
        (events.grid_row, events.GRID_COLUMNS, "township_grid", "app_sb", ("sbid",), "seq", "gxsj", 2),
        (events.urban_row, events.URBAN_COLUMNS, "urban", "case_info", ("case_id",), "case_id", "upd_time", 1),
    ]
    at = now.replace(microsecond=0)
    for build, cols, db, table, pk, ncol, rep, most in new_events:
        td = TableData(db, table, cols, pk, ncol, rep)
        for _ in range(rng.randint(0, most)):
            insert(td, build(w, rng, next_n(db, table, ncol), t, at, until=until))
    cam_td = TableData("police", "xl_gj", events.CAMERA_COLUMNS, ("gjid",), "lsh", "gxsj")
    cams = events.cameras(w, random.Random(w.seed + 11))
    for _ in range(rng.randint(0, 2)):
        insert(cam_td, events.camera_row(w, rng, next_n("police", "xl_gj", "gjid"), rng.choice(cams), at, until))
    if rng.random() < 0.3:
        td = TableData("petition", "xf_xfj", events.PETITION_COLUMNS, ("xfjbh",), "xh", "gxsj")
        insert(td, events.petition_row(w, rng, next_n("petition", "xf_xfj", "xh"), t, at, until=until))
    # --- episodes the warning rules should see (their own generator: the draws above stay as they were)
    running = episodes.episodes_at(w, now)
    erng = random.Random(f"{seed}:{now.isoformat()}:episodes")
    if "burst" in running:  # distinct callers (and the grid worker) about one matter on one spot
        grid, cat, grid_cat = episodes.burst_spot(w, running["burst"])
        bt = running["burst"].township
        td = TableData("hotline", "work_order", events.HOTLINE_COLUMNS, ("order_no",), "id", "updated_at")
        hour = now.replace(minute=0, second=0, microsecond=0)
        for minute, caller in episodes.burst_calls(running["burst"]):  # each call once, at its minute or after
            if hour + timedelta(minutes=minute) <= now and not con("hotline").execute(
                    "SELECT 1 FROM work_order WHERE caller_phone = ? AND created_at >= ?",
                    (caller, FORMATTERS["iso"](hour))).fetchone():
                insert(td, events.hotline_row(w, erng, next_n("hotline", "work_order", "id"), bt, at, cat, grid,
                                              until=until, caller=caller))
        if erng.random() < episodes.PER_STEP["burst_grid"]:
            td = TableData("township_grid", "app_sb", events.GRID_COLUMNS, ("sbid",), "seq", "gxsj")
            insert(td, events.grid_row(w, erng, next_n("township_grid", "app_sb", "seq"), bt, at, grid_cat, grid, until=until))
    if "surge" in running and erng.random() < episodes.PER_STEP["surge"]:  # a village petitions together
        village = episodes.surge_village(w, running["surge"])
        td = TableData("petition", "xf_xfj", events.PETITION_COLUMNS, ("xfjbh",), "xh", "gxsj")
        insert(td, events.petition_row(w, erng, next_n("petition", "xf_xfj", "xh"), running["surge"].township, at,
                                       village, until=until))
    if "oversight" in running:
        _oversight_case(w, running["oversight"], con, insert, next_n, at)
    # --- lifecycle moves
    for source, (db, table, key, status, statuses, stages, rep, rep_fmt) in LIFECYCLES.items():
        c = con(db)
        rows = c.execute(f'SELECT "{key}", "{status}", "{rep}" FROM "{table}" WHERE "{status}" != ? AND "{key}" IS NOT NULL '
                         f'ORDER BY "{rep}" LIMIT 200', (statuses[-1],)).fetchall()
        fresh = set(done.get(source, {}).get("inserted", []))
        rows = [r for r in rows if str(r[0]) not in bad.get(source, set()) | fresh and r[1] in statuses]
        for k, st, old in rng.sample(rows, min(len(rows), rng.randint(1, 3))):
            if c.execute(f'SELECT COUNT(*) FROM "{table}" WHERE "{key}" = ?', (k,)).fetchone()[0] != 1:
                continue
            i = statuses.index(st) + 1
            sets = {status: statuses[i], rep: _forward(rep_fmt, old, now)}
            if stages[i]:
                sets[stages[i]] = FORMATTERS[_TIME_FMT[source]](max(at, _stage_floor(c, table, key, k, stages, _TIME_FMT[source])))
            if source == "hotline_12345" and statuses[i] == "CLOSED":
                sets["satisfaction"] = rng.choices((5, 4, 3, 2, 1), (55, 25, 10, 6, 4))[0]
            c.execute(f'UPDATE "{table}" SET {", ".join(f"{n} = ?" for n in sets)} WHERE "{key}" = ?', (*sets.values(), k))
            note(source, "updated", k)
    # --- sensors: this hour's air row (or a late correction of it), readings of some elderly homes
    air_td = TableData("ecology", "air_hourly", readings.AIR_COLUMNS, ("station_code", "monitor_time"), "rec_id", "updated")
    hour = now.replace(minute=0, second=0, microsecond=0)
    ec = con("ecology")
    for st in readings.stations(w):
        hour_s = FORMATTERS["iso"](hour)
        row = ec.execute('SELECT "pm25", "updated" FROM air_hourly WHERE station_code = ? AND monitor_time = ?',
                         (st[0], hour_s)).fetchall()
        if not row:
            last = ec.execute('SELECT pm25 FROM air_hourly WHERE station_code = ? ORDER BY monitor_time DESC LIMIT 1',
                              (st[0],)).fetchone()
            prev = last[0] if last and isinstance(last[0], (int, float)) else 35.0
            pm25 = max(3.0, prev * rng.uniform(0.85, 1.15))
            if "smog" in running:  # dirty air moves in
                pm25 = max(pm25, episodes.smog_level(running["smog"]) * erng.uniform(0.9, 1.1))
            elif pm25 > 60:  # and clears again
                pm25 *= erng.uniform(0.6, 0.8)
            r = readings.air_row(next_n("ecology", "air_hourly", "rec_id"), st, hour, pm25, rng)
            r[-1] = at
            insert(air_td, r)
        elif rng.random() < 0.5 and isinstance(row[0][0], (int, float)):
            pm25 = round(row[0][0] * rng.uniform(0.9, 1.1), 1)
            ec.execute('UPDATE air_hourly SET pm25 = ?, aqi = ?, updated = ? WHERE station_code = ? AND monitor_time = ?',
                       (pm25, readings.aqi_from_pm25(pm25), _forward("iso", row[0][1], now), st[0], hour_s))
            for s in ("air_pm25", "air_pm10", "air_aqi"):  # the row (and its replication key) changed for all three
                note(s, "updated", f"{st[0]}|{hour_s}")
    el_td = TableData("civil_affairs", "zhyl_sbsj", readings.ELDERLY_COLUMNS, ("sbbh", "cjsj"), "jlid", "scsj")
    quiet = readings.quiet_elderly(w)
    # uploads are stamped past the newest one already there, so an incremental load sees them
    last_upload = con("civil_affairs").execute("SELECT MAX(scsj) FROM zhyl_sbsj").fetchone()[0]
    uploaded = max(at, from_epoch(last_upload) + timedelta(seconds=1)) if last_upload is not None else at
    sample = rng.sample(w.elderly, min(len(w.elderly), 5))
    gone_quiet = {episodes.quiet_person(w, running["quiet"])} if "quiet" in running else set()
    gone_quiet = {i for i in gone_quiet if i in sample or not con("civil_affairs").execute(  # (one reading per instant)
        "SELECT 1 FROM zhyl_sbsj WHERE sbbh = ? AND cjsj = ?", (readings.device_of(w, i), FORMATTERS["epoch"](at))).fetchone()}
    for i in sample + sorted(gone_quiet - set(sample)):
        p = w.persons[i]
        litres, opens = readings.slot_values(rng if i in sample else erng, at, i in quiet or i in gone_quiet)
        insert(el_td, [next_n("civil_affairs", "zhyl_sbsj", "jlid"), readings.device_of(w, i), p.id_number, p.grid.code,
                       at, litres, opens, uploaded])
    # --- a late correction of a monthly statistic
    sc = con("statistics")
    rows = sc.execute("SELECT id, zbz, gxsj FROM tj_ybsj WHERE typeof(zbz) = 'real' AND id IS NOT NULL "
                      "ORDER BY tjyf DESC, id LIMIT 100").fetchall()
    rows = [r for r in rows if str(r[0]) not in bad.get("stats_indicators", set())]
    if rows:
        k, v, old = rng.choice(rows)
        sc.execute("UPDATE tj_ybsj SET zbz = ?, gxsj = ? WHERE id = ?", (round(v * rng.uniform(0.97, 1.03), 2), _forward("epoch", old, now), k))
        note("stats_indicators", "updated", k)
    # --- government services: a new application, one finished
    gc = con("gov_service")
    apps_td = TableData("gov_service", "sx_sqxx", services.APP_COLUMNS, ("sqbh",), "lsh", "gxsj")
    steps_td = TableData("gov_service", "yjs_hjxx", services.STEP_COLUMNS, ("hjid",), "hjbh", "gxsj")
    if rng.random() < 0.7:
        row, steps = services.application(w, rng, next_n("gov_service", "sx_sqxx", "lsh"), t, at, until)
        insert(apps_td, row)
        for s in steps:
            s[0] = next_n("gov_service", "yjs_hjxx", "hjid")
            insert(steps_td, s)
    rows = gc.execute("SELECT sqbh, gxsj FROM sx_sqxx WHERE blzt IN ('受理', '办理中') AND sfyjs = '否' AND sqbh IS NOT NULL "
                      "ORDER BY gxsj LIMIT 50").fetchall()
    rows = [r for r in rows if r[0] not in bad.get("gov_applications", set())]
    if rows:
        k, old = rng.choice(rows)
        if gc.execute("SELECT COUNT(*) FROM sx_sqxx WHERE sqbh = ?", (k,)).fetchone()[0] == 1:
            new = _forward("iso", old, now)
            gc.execute("UPDATE sx_sqxx SET blzt = '办结', bjsj = ?, gxsj = ? WHERE sqbh = ?", (new, new, k))
            note("gov_applications", "updated", k)
    for c in cons.values():
        c.commit()
        c.close()
    _ledger_step(out_dir, w, rng, now, bad.get("emergency_hazard", set()), note)
    return done


def _oversight_case(w: World, e: episodes.Episode, con, insert, next_n, at: datetime) -> None:
    """民政 takes a declared relative of a cadre of the same township on 低保 and pays the first month."""
    plan = oversight.plan(w)
    town = w.map.townships[e.township].code
    known = plan.people()
    relatives = sorted({r.person for c in plan.cadres if c.township == e.township for r in c.relatives
                        if w.persons[r.person].grid.code.startswith(town) and r.person not in known})
    if not relatives:
        return
    r = e.rng()
    person = r.choice(relatives)
    p = w.persons[person]
    if con("civil_affairs").execute("SELECT COUNT(*) FROM jzj_ffmx WHERE sfzh = ?", (p.id_number,)).fetchone()[0]:
        return
    rec = registry.TagRecord(person, "01", at.date(), None, f"MZ{r.getrandbits(48):012X}", at)
    insert(TableData("civil_affairs", "mz_dx", registry.TAG_COLUMNS, ("dxid",), "bsm", "gxsj"),
           registry.tag_row(w, next_n("civil_affairs", "mz_dx", "dxid"), rec))
    row = oversight.payment_row(w, r, next_n("civil_affairs", "jzj_ffmx", "ffid"), rec, at.date())
    row[-1] = at
    insert(TableData("civil_affairs", "jzj_ffmx", oversight.SUBSIDY_COLUMNS, ("ffbh",), "ffid", "gxsj"), row)


def _stage_floor(c: sqlite3.Connection, table: str, key: str, k, stages, fmt: str) -> datetime:
    """The latest stage time already recorded (a new stage never precedes it)."""
    cols = [s for s in stages if s]
    vals = c.execute(f'SELECT {", ".join(f"{s}" for s in cols)} FROM "{table}" WHERE "{key}" = ?', (k,)).fetchone()
    times = []
    for v in vals:
        try:
            times.append(_parse(fmt, v))
        except (TypeError, ValueError):
            pass
    return max(times) + timedelta(minutes=1) if times else datetime.min


def _ledger_step(out_dir: Path, w: World, rng: random.Random, now: datetime, bad: set, note) -> None:
    """The emergency bureau re-exports its ledger: one new hazard, one hazard marked rectified."""
    path = out_dir / "emergency_hazards.csv"
    header, rows = read_csv(path)
    td = TableData(path.name, path.name, services.HAZARD_COLUMNS, ("隐患编号",), "序号", "最后更新", kind="csv")
    ki, st, fix, upd = td.idx("隐患编号"), td.idx("整改状态"), td.idx("整改完成日期"), td.idx("最后更新")
    counts: dict[str, int] = {}
    for r in rows:
        counts[r[ki]] = counts.get(r[ki], 0) + 1
    open_rows = [r for r in rows if r[st] in ("整改中", "逾期未改") and r[ki] and r[ki] not in bad and counts[r[ki]] == 1]
    if open_rows:
        r = rng.choice(open_rows)
        r[st], r[fix] = "已整改", FORMATTERS["cn"](now.date())
        r[upd] = _forward("iso", r[upd], now)
        note("emergency_hazard", "updated", r[ki])
    n = max(int(r[0]) for r in rows if r[0].isdigit()) + 1
    ents = w.town_enterprises[rng.randrange(w.scale.townships)]
    new = services.hazard_row(w, rng, n, rng.choice(ents), now.date(), until=now.replace(microsecond=0))
    new[-1] = now.replace(microsecond=0)
    format_rows(td, [new])
    td.rows = rows + [new]
    write_csv(path, td, "gbk")
    note("emergency_hazard", "inserted", new[ki])


def simulate(out_dir: Path, *, interval_seconds: float, seed: int, stop: threading.Event | None = None,
             after_step: Callable[[datetime], None] | None = None) -> None:
    """Run ``simulate_step`` every ``interval_seconds`` (wall clock) until ``stop`` is set; then
    ``after_step(now)`` (the field staff on the warehouse, ``cockpit.demo.live.live_player``), whose
    failure is logged and never stops the simulation."""
    stop = stop or threading.Event()
    step = 0
    while not stop.is_set():
        now = clock.now()
        simulate_step(out_dir, seed=seed + step, now=now)
        if after_step is not None:
            try:
                after_step(now)
            except Exception:  # the simulator goes on
                log.exception("the step after the simulation failed")
        step += 1
        stop.wait(interval_seconds)
