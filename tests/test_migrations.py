"""Migrations: head builds exactly the schema of ``cockpit.warehouse.schema.metadata`` on SQLite and
PostgreSQL, downgrade to base empties the warehouse, and upgrading again works."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from cockpit.warehouse import migrate
from cockpit.warehouse.db import engine_for
from cockpit.warehouse.schema import metadata


def tables(url: str) -> dict[str, set[str]]:
    engine = engine_for(url)
    insp = inspect(engine)
    return {t: {c["name"] for c in insp.get_columns(t)} for t in insp.get_table_names() if t != "alembic_version"}


def test_head_creates_every_table_with_its_columns(db_url: str) -> None:
    assert migrate.current_revision(db_url) == migrate.head_revision()
    got = tables(db_url)
    expected = {name: {c.name for c in t.columns} for name, t in metadata.tables.items()}
    assert set(got) == set(expected)
    for name, cols in expected.items():
        assert got[name] == cols, name


def test_head_matches_the_metadata(db_url: str) -> None:
    with engine_for(db_url).connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diffs == []


def test_downgrade_to_base_and_upgrade_again(db_url: str) -> None:
    migrate.downgrade(db_url, "base")
    assert migrate.current_revision(db_url) is None
    assert tables(db_url) == {}
    migrate.upgrade(db_url)
    assert migrate.is_up_to_date(db_url)
    assert set(tables(db_url)) == set(metadata.tables)


def test_each_revision_steps_down_and_up(db_url: str) -> None:
    """Every revision's downgrade undoes its upgrade, one step at a time."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrate._alembic_config())
    revisions = [r.revision for r in script.walk_revisions()]  # head first
    for rev in revisions:
        migrate.downgrade(db_url, "-1")
        assert migrate.current_revision(db_url) == script.get_revision(rev).down_revision
    for rev in reversed(revisions):
        migrate.upgrade(db_url, rev)
        assert migrate.current_revision(db_url) == rev
    assert tables(db_url) == {name: {c.name for c in t.columns} for name, t in metadata.tables.items()}
