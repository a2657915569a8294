"""data version: one row that moves when data the screens show has changed

The read side cached its results under the latest ETL run (its id, end and count): that moved when
a run ended, before the after-load hooks had refreshed the aggregates, so a screen rendered in
between was cached with stale figures until the next run. ``data_version`` is moved at the end of
a pass, after the hooks, and by the cockpit's own writes (``cockpit.warehouse.data_version``).

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa

from cockpit import clock


revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "data_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_version")),
    )
    op.bulk_insert(table, [{"id": 1, "version": 0, "changed_at": clock.now().replace(microsecond=0)}])


def downgrade() -> None:
    op.drop_table("data_version")
