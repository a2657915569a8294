"""``generate``: write the demo department databases, the GBK ledger and ``manifest.json``."""

from __future__ import annotations

import json
import random
import shutil
from datetime import date, datetime
from pathlib import Path

import numpy as np

from cockpit.demo import events, oversight, readings, registry, services
from cockpit.demo.defects import inject, source_decls, sources_of
from cockpit.demo.store import TableData, format_rows, write_csv, write_sql
from cockpit import clock
from cockpit.demo.world import SCALES, World

MANIFEST = "manifest.json"

# (table builder, seed offset); builders return (TableData, plans)
BUILDERS = [
    (registry.persons, 2), (oversight.tags, 3), (registry.enterprises, 4),
    (events.hotline, 10), (events.police, 11), (events.camera, 12), (events.petition, 13), (events.urban, 14),
    (events.grid_reports, 15), (readings.air, 20), (readings.water, 21), (readings.elderly, 22),
    (services.stats, 30), (services.org, 31), (services.services_ind, 32), (services.inspections, 33),
    (services.hazards, 34), (oversight.cadre_register, 35), (oversight.subsidies, 23),
]


def generate(out_dir: Path, *, scale: str = "town", seed: int = 20261126, now: datetime | date | None = None,
             overwrite: bool = False) -> dict:
    """Write one SQLite database per department (plus one GBK CSV ledger and ``manifest.json``) into
    ``out_dir`` and return the manifest. History ends at ``now`` (default: the clock's; a date: its 00:00).
    Refuses to write into a non-empty directory unless ``overwrite`` is true."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}: use one of {', '.join(SCALES)}")
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        if not overwrite:
            raise FileExistsError(f"{out_dir} is not empty: pass overwrite=True (or --overwrite) to replace it")
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    world = World(SCALES[scale], seed, clock.now() if now is None else now)
    today = world.end.date()
    decls = source_decls()
    counts: dict[str, int] = {}
    bad_rows: list[dict] = []

    def finish(td: TableData, plans, rng: random.Random) -> None:
        format_rows(td, td.rows)
        if plans:
            bad_rows.extend(inject(td, plans, decls, rng))
        if td.kind == "csv":
            write_csv(out_dir / td.db, td, decls_encoding(td))
        else:
            write_sql(out_dir / f"{td.db}.db", td)
        for s in sources_of(td, decls):
            counts[s.name] = len(td.rows)

    def decls_encoding(td: TableData) -> str:
        return "gbk"

    rng = random.Random(seed)
    area_td, _ = registry.areas(world, rng)
    format_rows(area_td, area_td.rows)
    area_source = sources_of(area_td, decls)[0].name
    bad_rows.extend(registry.area_defects(area_td, rng, area_source))
    write_sql(out_dir / "township_grid.db", area_td)
    counts[area_source] = len(area_td.rows)

    for build, offset in BUILDERS:
        rng = random.Random(seed * 100 + offset)
        nrng = np.random.default_rng([seed, offset])
        td, plans = build(world, rng, nrng) if build not in (registry.persons, oversight.tags, registry.enterprises) \
            else build(world, rng)
        finish(td, plans, rng)
    rng = random.Random(seed * 100 + 40)
    (apps, p_apps), (steps, p_steps) = services.gov(world, rng, np.random.default_rng([seed, 40]))
    finish(apps, p_apps, rng)
    finish(steps, p_steps, rng)

    manifest = {
        "generated_at": world.end.isoformat(),  # end of the history window (deterministic)
        "scale": scale,
        "seed": seed,
        "today": today.isoformat(),
        "now": world.end.isoformat(),
        "counts": dict(sorted(counts.items())),
        "bad_rows": bad_rows,
    }
    (out_dir / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return manifest
