"""Over a day of simulated steps the simulator plants every kind of episode the warning rules should see."""

import shutil
import sqlite3
from datetime import datetime, timedelta

from cockpit.demo import oversight, simulate_step
from cockpit.demo.episodes import CHANCE, episodes_at
from cockpit.demo.simulation import _world


def test_every_episode_kind_appears_and_writes_its_rows(tiny_dir, tmp_path):
    work = tmp_path / "sources"
    shutil.copytree(tiny_dir, work)
    start = datetime(2026, 11, 26, 0, 5)
    steps = [start + timedelta(minutes=10 * k) for k in range(6 * 30)]  # 30 hours, a step every 10 minutes
    seen: set[str] = set()
    inserted: dict[str, int] = {}
    for k, now in enumerate(steps):
        done = simulate_step(work, seed=100 + k, now=now)
        for name, d in done.items():
            inserted[name] = inserted.get(name, 0) + len(d["inserted"])
    import json
    manifest = json.loads((work / "manifest.json").read_text(encoding="utf-8"))
    w = _world(manifest["scale"], manifest["seed"], manifest["now"])
    for now in steps:
        seen |= set(episodes_at(w, now))
    assert seen == set(CHANCE)
    # a new 低保 payment to a declared relative of a cadre of the same township
    relatives = {w.persons[r.person].id_number for c in oversight.plan(w).cadres for r in c.relatives}
    con = sqlite3.connect(work / "civil_affairs.db")
    new_paid = {r[0] for r in con.execute("SELECT sfzh FROM jzj_ffmx WHERE ffrq >= '2026-11-26'")}
    assert new_paid & relatives
    # dirty air
    eco = sqlite3.connect(work / "ecology.db")
    assert eco.execute("SELECT MAX(pm25) FROM air_hourly WHERE monitor_time >= '2026-11-26' "
                       "AND typeof(pm25) = 'real'").fetchone()[0] > 100
    # a burst: at least three new calls about one matter in one place
    hot = sqlite3.connect(work / "hotline.db")
    burst = hot.execute("SELECT MAX(n) FROM (SELECT COUNT(DISTINCT caller_phone) AS n FROM work_order "
                        "WHERE created_at >= '2026-11-26' GROUP BY category_code, substr(address, 1, instr(address, '组')))").fetchone()[0]
    assert burst >= 3
    # petitions surge: several new petitions from one village's residents
    assert inserted["petition"] >= 3
