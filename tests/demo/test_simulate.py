"""simulate_step reports exactly what it changed, and every change moves the replication key forward."""

import shutil
import sqlite3
import threading
from datetime import datetime

from cockpit.demo import simulate, simulate_step
from tests.demo.validate import config_for, parse_time, read_rows, scan


def _snapshot(cfg):
    snap = {}
    for src in cfg.sources.values():
        rows = read_rows(src)
        snap[src.name] = {"|".join(str(r[c]) for c in src.primary_key): r for r in rows}
    return snap


def _rep(src, row):
    fmt = "epoch" if isinstance(row[src.replication_key], int) else None
    v = row[src.replication_key]
    if fmt:
        return parse_time("epoch", v)
    for f in ("%Y/%m/%d %H:%M",):
        try:
            return datetime.strptime(v, f)
        except ValueError:
            pass
    return datetime.fromisoformat(v)


def test_step_changes_exactly_what_it_reports(tiny_dir, tmp_path):
    work = tmp_path / "sources"
    shutil.copytree(tiny_dir, work)
    cfg = config_for(work)
    for i, now in enumerate((datetime(2026, 11, 26, 9, 30), datetime(2026, 11, 26, 9, 50))):
        before = _snapshot(cfg)
        done = simulate_step(work, seed=7 + i, now=now)
        after = _snapshot(cfg)
        assert sum(len(v["inserted"]) for v in done.values()) > 5
        assert sum(len(v["updated"]) for v in done.values()) > 5
        for name, src in cfg.sources.items():
            ins = set(done.get(name, {}).get("inserted", []))
            upd = set(done.get(name, {}).get("updated", []))
            assert ins == set(after[name]) - set(before[name]), name
            changed = {k for k in before[name] if after[name].get(k) != before[name][k]}
            assert changed == upd, name
            for k in upd:
                assert _rep(src, after[name][k]) > _rep(src, before[name][k]), (name, k)
                assert _rep(src, after[name][k]) >= now.replace(second=0), (name, k)
    # the simulator writes only good rows: the manifest is still exact
    import json
    from collections import Counter
    manifest = json.loads((work / "manifest.json").read_text(encoding="utf-8"))
    found, _, multi = scan(work)
    assert not multi
    assert found == Counter((b["source"], b["key"], b["rule"], b["field"]) for b in manifest["bad_rows"])


def test_simulate_loops_until_stopped(tiny_dir, tmp_path):
    work = tmp_path / "sources"
    shutil.copytree(tiny_dir, work)
    con = sqlite3.connect(work / "hotline.db")
    rows = "SELECT order_no, updated_at FROM work_order"
    before = set(con.execute(rows).fetchall())
    stop = threading.Event()
    th = threading.Thread(target=simulate, args=(work,), kwargs={"interval_seconds": 0.05, "seed": 1, "stop": stop})
    th.start()
    threading.Event().wait(0.8)
    stop.set()
    th.join(10)
    assert not th.is_alive()
    assert set(con.execute(rows).fetchall()) != before  # it stepped (rows added or moved on) and then stopped
