"""indexes for a county warehouse's screens: a township's events and sensor readings in a period

A warehouse fed by a county's departments holds twenty townships, and the big screen shows one.
The department ranking reads the events reported in a period in the township: through the time
index alone that reads every township's events of the period, so ``event`` gets (village, reported
at). The sensor means read a metric's readings in a period in an area: ``sensor_reading`` gets
(metric, grid, time) instead of (metric, time). Each new index replaces one whose leading columns
it serves as well, so the ETL keeps the same number of indexes to maintain.

Revision ID: 0006
Revises: 0005
"""
from alembic import op


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.create_index("ix_event_village_reported", ["village_code", "reported_at"], unique=False)
        batch_op.drop_index("ix_event_village_code")
    with op.batch_alter_table("sensor_reading", schema=None) as batch_op:
        batch_op.create_index("ix_sensor_reading_metric_grid_ts", ["metric", "grid_code", "ts"], unique=False)
        batch_op.drop_index("ix_sensor_reading_metric_ts")


def downgrade() -> None:
    with op.batch_alter_table("sensor_reading", schema=None) as batch_op:
        batch_op.create_index("ix_sensor_reading_metric_ts", ["metric", "ts"], unique=False)
        batch_op.drop_index("ix_sensor_reading_metric_grid_ts")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.create_index("ix_event_village_code", ["village_code"], unique=False)
        batch_op.drop_index("ix_event_village_reported")
