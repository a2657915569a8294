"""The generated world that every department table draws on: the map, residents, enterprises,
and the calendar (history window, daily rhythm, event lifecycles)."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np

from cockpit.demo import codes
from cockpit.demo.geography import COUNTY_CODE, Area, Map, address, person_name
from cockpit.demo.identities import birth_dates, credit_code, phone, unique_id_numbers


@dataclass(frozen=True)
class Scale:
    townships: int
    residents: int  # per township
    enterprises: int  # per township
    days: int  # history
    rate: float  # multiplier of the daily event rates
    elderly: int  # elderly living alone per township
    sensor_days: int = 30


SCALES = {
    "tiny": Scale(1, 2000, 80, 60, 0.15, 40, 10),
    "town": Scale(1, 45000, 800, 730, 1.0, 600, 30),
    "county": Scale(20, 45000, 800, 730, 1.0, 600, 30),
}

# Mean daily rates per township at rate 1.0.
RATES = {"hotline": 25.0, "police": 10.0, "camera": 20.0, "petition": 1.5, "urban": 15.0, "grid": 40.0,
         "gov": 40.0, "hazard": 1.5}
# Relative activity by hour of day for office-hours channels.
DAY_HOURS = np.array([1, 1, 1, 1, 1, 2, 4, 8, 12, 14, 14, 12, 8, 10, 13, 14, 13, 11, 8, 6, 5, 4, 2, 1], float)
DAY_HOURS /= DAY_HOURS.sum()


@dataclass
class Person:
    id_number: str
    name: str
    male: bool
    birth: date
    grid: Area
    address: str
    phone: str


@dataclass
class Enterprise:
    credit_code: str
    name: str
    industry: str
    grid: Area
    address: str
    registered: date
    closed: date | None
    employees: int
    scale: str


_WORDS = "兴旺达丰源泰康盛华鑫恒信瑞祥宏远新锐永安隆昌"
_TRADE = {"A": "农业开发", "C": "机械制造", "E": "建筑工程", "F": "商贸", "H": "餐饮", "I": "网络科技", "K": "房地产开发",
          "O": "家政服务"}


class World:
    def __init__(self, scale: Scale, seed: int, now: datetime | date) -> None:
        """The township as of ``now`` (a date: its 00:00): whole days of history up to that day, and
        every lifecycle step up to the instant itself (an event open then is open in the sources)."""
        self.scale, self.seed = scale, seed
        if not isinstance(now, datetime):
            now = datetime.combine(now, datetime.min.time())
        today = now.date()
        self.end = now.replace(microsecond=0)
        self.start = datetime.combine(today, datetime.min.time()) - timedelta(days=scale.days)
        self.map = Map(scale.townships, seed)
        rng = random.Random(seed * 31 + 7)
        self.persons: list[Person] = []
        self.enterprises: list[Enterprise] = []
        self.town_persons: list[list[int]] = []
        self.town_enterprises: list[list[int]] = []
        given_ids: set[str] = set()
        for t in range(scale.townships):
            grids = self.map.grids_of(t)
            weights = [rng.uniform(0.5, 1.5) for _ in grids]
            n = scale.residents
            births = birth_dates(rng, n, today)
            males = [rng.random() < 0.505 for _ in range(n)]
            ids = unique_id_numbers(rng, COUNTY_CODE, births, males, given_ids)  # unique across the county
            chosen = rng.choices(grids, weights=weights, k=n)
            first = len(self.persons)
            for i in range(n):
                g = chosen[i]
                self.persons.append(Person(ids[i], person_name(rng), males[i], births[i], g,
                                           address(g, rng.randrange(1, 120)), phone(rng)))
            self.town_persons.append(list(range(first, len(self.persons))))
            first = len(self.enterprises)
            names: set[str] = set()
            letters = list(codes.INDUSTRY)
            iweights = [w for _, w in codes.INDUSTRY.values()]
            for _ in range(scale.enterprises):
                g = rng.choice(grids)
                ind = rng.choices(letters, iweights)[0]
                individual = rng.random() < 0.3
                while True:
                    nm = f"{g.township.removesuffix('镇').removesuffix('街道')}{rng.choice(_WORDS)}{rng.choice(_WORDS)}{_TRADE[ind]}"
                    nm += "店" if individual else "有限公司"
                    if nm not in names:
                        break
                names.add(nm)
                reg = today - timedelta(days=rng.randrange(30, 365 * 15))
                closed = None
                if rng.random() < 0.08:
                    closed = min(today - timedelta(days=1), reg + timedelta(days=rng.randrange(60, 2000)))
                emp = max(1, int(rng.lognormvariate(2.0, 1.0))) if not individual else rng.randrange(1, 6)
                sc = "4" if emp < 10 else "3" if emp < 100 else "2" if emp < 300 else "1"
                self.enterprises.append(Enterprise(credit_code(rng, COUNTY_CODE, individual), nm, ind, g,
                                                   address(g, rng.randrange(1, 200)), reg, closed, emp, sc))
            self.town_enterprises.append(list(range(first, len(self.enterprises))))
        # elderly living alone: residents aged 70+
        self.elderly: list[int] = []
        for t in range(scale.townships):
            old = [i for i in self.town_persons[t] if (today - self.persons[i].birth).days > 70 * 365.25]
            self.elderly += rng.sample(old, min(scale.elderly, len(old)))
        self.grid_weight = {g.code: 0 for g in self.map.grids}
        for p in self.persons:
            self.grid_weight[p.grid.code] += 1

    # ------------------------------------------------------------------ calendar
    def daily_counts(self, nrng: np.random.Generator, base: float, *, weekend: float = 0.7,
                     season: float = 0.15, peak_doy: int = 200, days: int | None = None) -> list[tuple[date, int]]:
        days = days or self.scale.days
        out = []
        for d in range(days):
            day = (self.end - timedelta(days=days - d)).date()
            f = (weekend if day.weekday() >= 5 else 1.0) * (1 + season * math.cos(2 * math.pi * (day.timetuple().tm_yday - peak_doy) / 365))
            out.append((day, int(nrng.poisson(base * self.scale.rate * f))))
        return out

    @staticmethod
    def time_in_day(rng: random.Random, day: date, hours: np.ndarray = DAY_HOURS) -> datetime:
        h = rng.choices(range(24), weights=hours)[0]
        return datetime(day.year, day.month, day.day, h, rng.randrange(60), rng.randrange(60))

    def lifecycle(self, rng: random.Random, t0: datetime, steps: list[tuple[float, float]],
                  until: datetime | None = None) -> list[datetime | None]:
        """Times of the stages after ``t0`` (hours drawn from each (lo, hi)); None once past ``until``."""
        until = until or self.end
        out: list[datetime | None] = []
        t = t0
        for lo, hi in steps:
            t = t + timedelta(hours=rng.uniform(lo, hi))
            if t >= until:
                out.extend([None] * (len(steps) - len(out)))
                break
            out.append(t.replace(microsecond=0))
        return out

    def pick_grid(self, rng: random.Random, t: int) -> Area:
        grids = self.map.grids_of(t)
        return rng.choices(grids, weights=[self.grid_weight[g.code] + 5 for g in grids])[0]
