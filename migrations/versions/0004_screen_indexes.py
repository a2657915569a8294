"""indexes for the screens: events by dispatch time, a board's aggregate rows per village, aggregate rows with open events

The big screen lists and counts the events dispatched today (``event.dispatched_at``), shows each
board's figures for the township (``agg_event_day`` by village, board and day: a warehouse holding a
county's departments holds twenty townships), and colours its map by open events, read from
``agg_event_day`` rows with ``n_open > 0`` (a partial index: a few hundred rows per township,
whatever the history).

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa


revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_OPEN = sa.text("n_open > 0")


def upgrade() -> None:
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.create_index("ix_event_dispatched_at", ["dispatched_at"], unique=False)
    with op.batch_alter_table("agg_event_day", schema=None) as batch_op:
        batch_op.create_index("ix_agg_event_day_village_board_day", ["village_code", "board", "day"], unique=False)
        batch_op.create_index("ix_agg_event_day_open", ["village_code"], unique=False,
                              sqlite_where=_OPEN, postgresql_where=_OPEN)


def downgrade() -> None:
    with op.batch_alter_table("agg_event_day", schema=None) as batch_op:
        batch_op.drop_index("ix_agg_event_day_open")
        batch_op.drop_index("ix_agg_event_day_village_board_day")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_index("ix_event_dispatched_at")
