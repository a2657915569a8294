"""index for the aggregate refresh: a grid's events on a day

After an incremental load the ETL recomputes only the ``agg_event_day`` groups (day, grid,
category, channel) whose events changed. Each group's events are found through ``event`` by grid
and reporting time; through the grid alone that reads the grid's whole history for every group.
It replaces the index on the grid alone, which it serves as well (its leading column), so the ETL
keeps the same number of indexes to maintain.

Revision ID: 0007
Revises: 0006
"""
from alembic import op


revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.create_index("ix_event_grid_reported", ["grid_code", "reported_at"], unique=False)
        batch_op.drop_index("ix_event_grid_code")


def downgrade() -> None:
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.create_index("ix_event_grid_code", ["grid_code"], unique=False)
        batch_op.drop_index("ix_event_grid_reported")
