"""index of the events linked to another as duplicates

The records table shows, for each event, how many later reports were linked to it
(``duplicate_of``); without an index each row shown counted over the whole event table. Only a
few events are duplicates, so the index holds those alone (partial).

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op


revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_LINKED = sa.text("duplicate_of IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.create_index("ix_event_duplicate_of", ["duplicate_of"], unique=False,
                              sqlite_where=_LINKED, postgresql_where=_LINKED)


def downgrade() -> None:
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_index("ix_event_duplicate_of")
