"""The pipeline as of the instants where calendars go wrong: a demo township generated up to the
instant, loaded, changed by the simulator five minutes later and loaded again, exactly; then the
board figures checked against plain SQL."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

from cockpit import clock
from cockpit.scope import EVERYTHING
from cockpit.warehouse.db import engine_for

pytestmark = pytest.mark.slow

INSTANTS = (datetime(2026, 12, 1, 0, 5), datetime(2026, 11, 30, 8, 0), datetime(2027, 1, 1, 0, 5),
            datetime(2028, 2, 29, 12, 0), datetime(2026, 12, 31, 23, 55))


@pytest.mark.parametrize("instant", INSTANTS, ids=[f"{i:%Y-%m-%dT%H:%M}" for i in INSTANTS])
def test_the_pipeline_loads_exactly_at_boundary_instants(db_url, tmp_path, instant):
    from cockpit.demo import generate, simulate_step
    from cockpit.etl import run_sources
    from queries import areas, kpis
    from queries._base import clear_cache
    from queries.filters import parse_filters
    from tests.integration.conftest import DemoTownship

    with clock.pinned(instant):
        out = tmp_path / "sources"
        manifest = generate(out, scale="tiny", seed=7)
        assert manifest["now"] == instant.isoformat()
        config = DemoTownship(out, manifest).config(tmp_path, db_url)
        engine = engine_for(db_url)
        first = run_sources(config, engine)
        assert all(r.status == "success" for r in first), [(r.source, r.error) for r in first if r.status != "success"]
        with engine.connect() as conn:
            latest = conn.execute(text("SELECT MAX(reported_at) FROM event")).scalar()
        latest = datetime.fromisoformat(latest) if isinstance(latest, str) else latest
        assert latest <= instant  # the history ends at the instant, never after it

    later = instant + timedelta(minutes=5)
    with clock.pinned(later):
        changes = simulate_step(out, seed=11, now=later)
        results = {r.source: r for r in run_sources(config, engine)}
        for name, r in results.items():
            c = changes.get(name, {"inserted": [], "updated": []})
            assert r.status == "success", (name, r.error)
            assert r.rows_loaded == len(set(c["inserted"]) | set(c["updated"])), name

        clear_cache()
        town = areas.home_township(engine, EVERYTHING)["code"]
        f, _ = parse_filters({"period": "last30"}, clock.now(), board="services")
        got = kpis.board_kpis(engine, EVERYTHING, f, town).set_index("key")
        with engine.connect() as conn:  # the applications of the window, counted in plain SQL
            loaded = conn.execute(text("SELECT COUNT(*) FROM service_application WHERE submitted_at >= :a AND "
                                       "submitted_at < :b"), {"a": datetime.combine(f.start, datetime.min.time()),
                                                               "b": f.as_of}).scalar()
        assert got.loc["applications", "value"] == loaded > 0
        assert got.loc["applications", "compare_key"] == "compare.last30"
