"""Episodes of the live simulator: within an hour of the clock, something the warning rules should see
may be going on (a burst of complaints on one spot, an elderly home gone quiet, dirty air, a village's
petitions surging, a new 低保 payment to a cadre's declared relative).

Whether an episode runs in an hour, and where, follows from the demo seed and the hour alone, so that
the steps of one hour agree on it; what each step adds is drawn from the step's own generator.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from cockpit.demo.geography import Area
from cockpit.demo.world import World

CHANCE = {"burst": 0.3, "quiet": 0.2, "smog": 0.15, "surge": 0.15, "oversight": 0.1}  # per hour
PER_STEP = {"burst_grid": 0.06, "quiet": 1.0, "surge": 0.08}  # chance of a row per step
BURST = {"A0101": "ZSZY", "A0201": "HJWS", "B0101": "DLSS", "B0201": "ZDJY"}  # 12345 category -> grid-app category


@dataclass(frozen=True)
class Episode:
    kind: str
    township: int
    rng_seed: int  # for the episode's choices (grid, village, person …)

    def rng(self) -> random.Random:
        return random.Random(self.rng_seed)


def hour_of(now: datetime) -> int:
    return (now - datetime(2000, 1, 1)).days * 24 + now.hour


def episodes_at(w: World, now: datetime) -> dict[str, Episode]:
    """The episodes running in the clock hour of ``now``."""
    out = {}
    h = hour_of(now)
    for kind, chance in CHANCE.items():
        r = random.Random(f"{w.seed}:{kind}:{h}")
        if r.random() < chance:
            out[kind] = Episode(kind, r.randrange(w.scale.townships), r.getrandbits(32))
    return out


def burst_spot(w: World, e: Episode) -> tuple[Area, str, str]:
    """(grid, 12345 category, grid-app category) of a burst."""
    r = e.rng()
    grid = w.pick_grid(r, e.township)
    cat = r.choice(list(BURST))
    return grid, cat, BURST[cat]


def quiet_person(w: World, e: Episode) -> int:
    return e.rng().choice(w.elderly)


def surge_village(w: World, e: Episode) -> str:
    return e.rng().choice(w.map.villages[e.township * 12:(e.township + 1) * 12]).code


def smog_level(e: Episode) -> float:
    return e.rng().uniform(110, 220)


def burst_calls(e: Episode) -> list[tuple[int, str]]:
    """The burst's 12345 calls: (minute of the hour, caller's phone), four to seven distinct callers."""
    from cockpit.demo.identities import phone

    r = random.Random(e.rng_seed + 1)
    return sorted((r.randrange(60), phone(r)) for _ in range(r.randint(4, 7)))
