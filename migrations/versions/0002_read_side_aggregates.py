"""read-side aggregates: events per day x grid x category x channel

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agg_event_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("grid_code", sa.String(length=20), nullable=False),
        sa.Column("category_code", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("village_code", sa.String(length=20), nullable=False),
        sa.Column("board", sa.String(length=16), nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=False),
        sa.Column("n_reported", sa.Integer(), nullable=False),
        sa.Column("n_open", sa.Integer(), nullable=False),
        sa.Column("n_resolved", sa.Integer(), nullable=False),
        sa.Column("n_dispatched", sa.Integer(), nullable=False),
        sa.Column("n_responded", sa.Integer(), nullable=False),
        sa.Column("sum_response_min", sa.Float(), nullable=False),
        sa.Column("n_resolve_timed", sa.Integer(), nullable=False),
        sa.Column("sum_resolve_min", sa.Float(), nullable=False),
        sa.Column("n_late", sa.Integer(), nullable=False),
        sa.Column("n_rated", sa.Integer(), nullable=False),
        sa.Column("sum_satisfaction", sa.Float(), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("day", "grid_code", "category_code", "channel", name=op.f("pk_agg_event_day")),
    )
    with op.batch_alter_table("agg_event_day", schema=None) as batch_op:
        batch_op.create_index("ix_agg_event_day_village_day", ["village_code", "day"], unique=False)
        batch_op.create_index("ix_agg_event_day_board_day", ["board", "day"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("agg_event_day", schema=None) as batch_op:
        batch_op.drop_index("ix_agg_event_day_board_day")
        batch_op.drop_index("ix_agg_event_day_village_day")
    op.drop_table("agg_event_day")
