"""The shared warehouse fixtures give a migrated, empty warehouse on each engine."""

from sqlalchemy import func, select

from cockpit.warehouse import schema as s
from cockpit.warehouse.db import engine_for


def test_fresh_warehouse_is_migrated_and_empty(db_url: str) -> None:
    engine = engine_for(db_url)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(s.category)).scalar() > 20
        assert conn.execute(select(func.count()).select_from(s.event)).scalar() == 0
    with engine.begin() as conn:
        conn.execute(s.etl_watermark.insert().values(source="x", value="1", updated_at=func.now()))


def test_each_test_gets_its_own_warehouse(db_url: str) -> None:
    with engine_for(db_url).connect() as conn:
        assert conn.execute(select(func.count()).select_from(s.etl_watermark)).scalar() == 0
