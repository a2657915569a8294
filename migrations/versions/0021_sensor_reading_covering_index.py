"""the readings' area index covers the subject and the value

The inactivity rule sums each watched person's home-sensor readings over its lookback, and the
screens take the means of a grid's readings in a period: both range over
``ix_sensor_reading_metric_grid_ts`` and then fetched every reading's row from the table for its
subject and value. At county scale the rule's pass read some 300,000 rows that way in every
after-load pass. With the two columns in the index (after the range columns, so the ranges are
unchanged) both reads are answered from the index alone.

Revision ID: 0021
Revises: 0020
"""
from alembic import op


revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

_NAME = "ix_sensor_reading_metric_grid_ts"


def upgrade() -> None:
    with op.batch_alter_table("sensor_reading", schema=None) as batch_op:
        batch_op.drop_index(_NAME)
        batch_op.create_index(_NAME, ["metric", "grid_code", "ts", "subject_key", "value"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sensor_reading", schema=None) as batch_op:
        batch_op.drop_index(_NAME)
        batch_op.create_index(_NAME, ["metric", "grid_code", "ts"], unique=False)
