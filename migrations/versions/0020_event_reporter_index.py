"""index of one person's reports of a category in a grid

Linking duplicate reports after a load walks again the reports of each person, category and grid
the load touched, from the touched report on. Without this index each of them read its grid's
events since then through the grid's time index: a late correction of an old complaint read the
grid's whole history since it, and a load of many such corrections read the whole event table.
With it each walk reads that person's reports alone. Events without a reporter are never linked,
so the index holds the others (partial).

Revision ID: 0020
Revises: 0019
"""
import sqlalchemy as sa
from alembic import op


revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

_REPORTED = sa.text("reporter_key IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.create_index("ix_event_reporter", ["reporter_key", "category_code", "grid_code", "reported_at"],
                              unique=False, sqlite_where=_REPORTED, postgresql_where=_REPORTED)


def downgrade() -> None:
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_index("ix_event_reporter")
