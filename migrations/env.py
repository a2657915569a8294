"""Alembic environment: the warehouse URL comes from the cockpit configuration
(or from ``config.attributes['connection']`` when called programmatically)."""

from alembic import context

from cockpit.warehouse.schema import metadata

config = context.config


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    from cockpit.config import load_config
    from cockpit.warehouse.db import make_engine

    url = config.get_main_option("sqlalchemy.url") or load_config().warehouse_url
    engine = make_engine(url)
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


run_migrations()
