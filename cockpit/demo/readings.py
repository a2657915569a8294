"""Sensor sources: hourly air quality (one wide row per station and hour), water sections, and the
home sensors (water meter + door contact) of elderly living alone."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import numpy as np

from cockpit.demo.defects import Plan
from cockpit.demo.store import Column as C
from cockpit.demo.store import TableData, to_epoch
from cockpit.demo.world import World

_BREAKS = [(0, 35, 0, 50), (35, 75, 50, 100), (75, 115, 100, 150), (115, 150, 150, 200), (150, 250, 200, 300),
           (250, 350, 300, 400), (350, 500, 400, 500)]


def aqi_from_pm25(c: float) -> int:
    """Individual AQI of PM2.5 (HJ 633-2012 breakpoints), which dominates the AQI here."""
    for lo, hi, ilo, ihi in _BREAKS:
        if c <= hi:
            return round(ilo + (ihi - ilo) * (c - lo) / (hi - lo))
    return 500


def stations(w: World) -> list[tuple[str, str]]:
    return [(f"AQ{t + 1:02d}{s + 1}", w.map.grids_of(t)[(37, 84)[s]].code) for t in range(w.scale.townships) for s in range(2)]


def air_row(rec: int, station: tuple[str, str], ts: datetime, pm25: float, rng: random.Random) -> list:
    pm10 = round(pm25 * rng.uniform(1.35, 1.9), 1)
    return [rec, station[0], station[1], ts, round(pm25, 1), pm10, aqi_from_pm25(pm25),
            round(rng.uniform(3, 12), 1), round(rng.uniform(8, 40), 1), ts + timedelta(minutes=rng.randrange(15, 40))]


AIR_COLUMNS = [C("rec_id", "INTEGER"), C("station_code"), C("station_grid"), C("monitor_time", fmt="iso"),
               C("pm25", "REAL"), C("pm10", "REAL"), C("aqi", "INTEGER"), C("so2", "REAL"), C("no2", "REAL"),
               C("updated", fmt="iso")]


def air(w: World, rng: random.Random, nrng: np.random.Generator) -> tuple[TableData, list[Plan]]:
    td = TableData("ecology", "air_hourly", list(AIR_COLUMNS), pk=("station_code", "monitor_time"), unique="rec_id",
                   replication="updated")
    hours = w.scale.days * 24
    times = [w.start + timedelta(hours=h) for h in range(hours)]
    doy = np.array([t.timetuple().tm_yday for t in times])
    hod = np.array([t.hour for t in times])
    base = 32 + 22 * np.cos(2 * np.pi * (doy - 15) / 365) + 6 * np.cos(2 * np.pi * (hod - 8) / 24)
    episode = np.array([(w.end - t) <= timedelta(hours=60) for t in times])  # a smog episode over the last 2.5 days
    rec = 0
    for st in stations(w):
        noise = nrng.lognormal(0, 0.35, hours)
        pm25 = np.clip(base * noise, 3, None)
        pm25[episode] = nrng.uniform(95, 190, episode.sum())
        for h in range(hours):
            rec += 1
            if episode[h]:
                td.protected.add(len(td.rows))
            td.rows.append(air_row(rec, st, times[h], float(pm25[h]), rng))
    plans = [Plan("bad_number", "pm25"), Plan("bad_number", "pm10"), Plan("bad_number", "aqi"),
             Plan("duplicate", None), Plan("missing_key", "station_code")]
    return td, plans


WATER_COLUMNS = [C("id", "INTEGER"), C("dmbh"), C("dmmc"), C("wgbm"), C("jcrq", fmt="date"), C("szlb", "INTEGER"),
                 C("mbsz", "INTEGER"), C("rksj", "INTEGER", "epoch")]


def water(w: World, rng: random.Random, nrng: np.random.Generator) -> tuple[TableData, list[Plan]]:
    td = TableData("ecology", "water_section", list(WATER_COLUMNS), pk=("dmbh", "jcrq"), unique="id", replication="rksj")
    n = 0
    for t in range(w.scale.townships):
        for s, gi in enumerate((5, 52, 101)):
            g = w.map.grids_of(t)[gi]
            code, target = f"SZ{t + 1:02d}{s + 1:02d}", 3 if s else 2
            for d in range(w.scale.days):
                day = (w.start + timedelta(days=d)).date()
                recent = (w.end.date() - day).days <= 4
                cls = rng.choices((1, 2, 3, 4), (5, 50, 40, 5))[0] if s else rng.choices((1, 2), (40, 60))[0]
                if s == 2 and recent:  # a section slipping below its target class
                    cls = rng.choice((4, 5))
                n += 1
                if s == 2 and recent:
                    td.protected.add(len(td.rows))
                td.rows.append([n, code, f"{g.village}溪{('上游', '中游', '出境')[s]}断面", g.code, day, cls, target,
                                datetime.combine(day, datetime.min.time()) + timedelta(hours=rng.uniform(9, 16))])
    plans = [Plan("bad_number", "szlb"), Plan("missing_key", "dmbh"), Plan("duplicate", None)]
    return td, plans


ELDERLY_COLUMNS = [C("jlid", "INTEGER"), C("sbbh"), C("sfzh"), C("wgbm"), C("cjsj", "INTEGER", "epoch"),
                   C("ysl", "REAL"), C("mckh", "INTEGER"), C("scsj", "INTEGER", "epoch")]
SLOT_HOURS = 6  # a reading every six hours: litres used and door openings in the slot


def quiet_elderly(w: World) -> set[int]:
    """Elderly whose home goes quiet (no water, no door) in the last 30 hours: the inactivity rule must fire."""
    rng = random.Random(w.seed + 5)
    return set(rng.sample(w.elderly, max(2, len(w.elderly) // 100)))


def device_of(w: World, i: int) -> str:
    return f"ZHYL{w.persons[i].grid.code[6:]}{i % 100000:05d}"


def slot_values(rng: random.Random, ts: datetime, quiet: bool) -> tuple[float, int]:
    if quiet:
        return round(rng.uniform(0, 1.5), 1), 0
    day = 6 <= ts.hour < 22
    return (round(rng.uniform(25, 90), 1), rng.randrange(1, 9)) if day else (round(rng.uniform(1, 12), 1), rng.randrange(0, 2))


def elderly(w: World, rng: random.Random, nrng: np.random.Generator) -> tuple[TableData, list[Plan]]:
    td = TableData("civil_affairs", "zhyl_sbsj", list(ELDERLY_COLUMNS), pk=("sbbh", "cjsj"), unique="jlid",
                   replication="scsj")
    quiet = quiet_elderly(w)
    slots = w.scale.sensor_days * 24 // SLOT_HOURS
    first = w.end - timedelta(days=w.scale.sensor_days)
    n = 0
    for i in w.elderly:
        p = w.persons[i]
        dev = device_of(w, i)
        for s in range(slots):
            ts = first + timedelta(hours=SLOT_HOURS * (s + 1)) - timedelta(seconds=rng.randrange(0, 300))
            is_quiet = i in quiet and w.end - ts <= timedelta(hours=30)
            litres, opens = slot_values(rng, ts, is_quiet)
            n += 1
            if i in quiet:
                td.protected.add(len(td.rows))
            td.rows.append([n, dev, p.id_number, p.grid.code, ts, litres, opens, ts + timedelta(seconds=rng.randrange(30, 900))])
    plans = [Plan("invalid_id_number", "sfzh"), Plan("bad_number", "ysl"), Plan("bad_number", "mckh"),
             Plan("duplicate", None)]
    return td, plans


__all__ = ["air", "water", "elderly", "to_epoch"]
