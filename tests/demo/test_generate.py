"""Reproducibility, file formats, identifiers and geometry of the generated demo sources."""

import json
import sqlite3
from datetime import date

import pytest

from cockpit.demo import generate
from cockpit.privacy import is_valid_id_number
from tests.demo.conftest import SEED, TODAY
from tests.demo.validate import Geography, config_for, read_rows


def _files(d):
    return {p.name: p.read_bytes() for p in sorted(d.iterdir())}


def test_same_seed_gives_identical_bytes(tiny_dir, tmp_path):
    again = tmp_path / "again"
    generate(again, scale="tiny", seed=SEED, now=TODAY)
    assert _files(again) == _files(tiny_dir)
    other = tmp_path / "other"
    generate(other, scale="tiny", seed=SEED + 1, now=TODAY)
    assert _files(other)["police.db"] != _files(tiny_dir)["police.db"]


def test_refuses_a_non_empty_directory_unless_told(tmp_path):
    (tmp_path / "keep.txt").write_text("x")
    with pytest.raises(FileExistsError):
        generate(tmp_path, scale="tiny", now=TODAY)
    assert (tmp_path / "keep.txt").exists()
    generate(tmp_path, scale="tiny", now=TODAY, overwrite=True)
    assert not (tmp_path / "keep.txt").exists()
    assert (tmp_path / "manifest.json").exists()


def test_ledger_is_gbk_with_chinese_headers_and_dates(tiny_dir):
    raw = (tiny_dir / "emergency_hazards.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("gbk")
    assert text.splitlines()[0].startswith("序号,隐患编号,单位名称,统一社会信用代码")
    assert "年" in text.splitlines()[1] and "月" in text.splitlines()[1]


def test_id_numbers_agree_with_birth_date_and_gender(tiny_dir):
    manifest = json.loads((tiny_dir / "manifest.json").read_text(encoding="utf-8"))
    bad = {b["key"] for b in manifest["bad_rows"] if b["source"] == "police_person"}
    con = sqlite3.connect(tiny_dir / "police.db")
    rows = con.execute("SELECT rybh, gmsfhm, xb, csrq FROM czrk").fetchall()
    checked = 0
    for rybh, idn, xb, csrq in rows:
        if rybh in bad or rybh is None:
            continue
        assert is_valid_id_number(idn)
        assert idn[6:14] == csrq
        assert int(idn[16]) % 2 == (1 if xb == "1" else 0)
        checked += 1
    assert checked > 1900
    dups = sum(b["rule"] == "duplicate" for b in manifest["bad_rows"] if b["source"] == "police_person")
    assert len({r[1] for r in rows}) == len(rows) - dups  # unique apart from the duplicated rows


def _area(ring):
    return abs(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:]))) / 2


def test_grids_tile_their_villages_and_the_township(tiny_dir):
    rows = [r for r in read_rows(config_for(tiny_dir).sources["grid_area"]) if r["qydm"]]
    by_code = {r["qydm"]: r for r in rows}
    levels = {lvl: [r for r in by_code.values() if r["cj"] == lvl] for lvl in "1234"}
    assert [len(levels[k]) for k in "1234"] == [1, 1, 12, 120]
    assert all(len(r["qydm"]) == n for k, n in zip("1234", (6, 9, 12, 14)) for r in levels[k])
    ring = lambda r: json.loads(r["bj_geojson"])["coordinates"][0]  # noqa: E731
    town = levels["2"][0]
    assert sum(_area(ring(v)) for v in levels["3"]) == pytest.approx(_area(ring(town)), rel=1e-9)
    for v in levels["3"]:
        grids = [g for g in levels["4"] if g["sjdm"] == v["qydm"]]
        assert sorted(g["xh"] for g in grids) == list(range(1, 11))
        assert sum(_area(ring(g)) for g in grids) == pytest.approx(_area(ring(v)), rel=1e-9)
    geo = Geography(rows)
    for g in levels["4"]:  # each centroid lies in its own grid and in no other
        assert geo.by_point(g["zx_jd"], g["zx_wd"]) == g["qydm"]
    assert sum(g["rks"] for g in levels["4"]) == town["rks"] == 2000


def test_town_scale_volumes_are_declared(tmp_path):
    from cockpit.demo.world import SCALES
    assert SCALES["town"].residents == 45000 and SCALES["town"].enterprises == 800
    assert SCALES["town"].days == 730 and SCALES["county"].townships == 20


def test_hot_spots_are_present(tiny_dir):
    con = sqlite3.connect(tiny_dir / "hotline.db")
    end = f"{TODAY:%Y-%m-%d} 00:00:00"
    week = f"{date.fromordinal(TODAY.toordinal() - 7):%Y-%m-%d} 00:00:00"
    rows = con.execute("SELECT address, caller_phone FROM work_order WHERE category_code = 'A0101' "
                       "AND created_at >= ? AND created_at < ?", (week, end)).fetchall()
    by_place = {}
    for addr, ph in rows:
        by_place.setdefault(addr.split("组")[0], set()).add(ph)
    assert max(len(v) for v in by_place.values()) >= 5
    eco = sqlite3.connect(tiny_dir / "ecology.db")
    worst = eco.execute("SELECT AVG(pm25) FROM air_hourly WHERE monitor_time >= ? AND typeof(pm25) = 'real'",
                        (f"{date.fromordinal(TODAY.toordinal() - 1):%Y-%m-%d} 00:00:00",)).fetchone()[0]
    assert worst > 75


def test_id_numbers_are_unique_across_the_county():
    from datetime import date

    from cockpit.demo.world import Scale, World

    # enough residents that townships drawing their numbers alone would give some twice (about 60)
    world = World(Scale(townships=4, residents=20000, enterprises=5, days=10, rate=0.1, elderly=5, sensor_days=1),
                  seed=7, now=date(2026, 11, 26))
    ids = [p.id_number for p in world.persons]
    assert len(ids) == 4 * 20000 and len(set(ids)) == len(ids)
