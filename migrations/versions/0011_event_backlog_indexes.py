"""indexes for the backlog as of an instant: an area's open events, and its events closed after it

The screens count the events open at the end of a view (now, or the comparison's corresponding
instant): those still open, plus those resolved or closed after that instant. Without these, every
event an area ever had was read to find them; with them each part is a range of one index.

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op


revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_OPEN = sa.text("resolved_at IS NULL AND closed_at IS NULL")
_UNRESOLVED = sa.text("resolved_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.create_index("ix_event_open_village_reported", ["village_code", "reported_at"], unique=False,
                              sqlite_where=_OPEN, postgresql_where=_OPEN)
        batch_op.create_index("ix_event_village_resolved", ["village_code", "resolved_at"], unique=False)
        batch_op.create_index("ix_event_village_closed_unresolved", ["village_code", "closed_at"], unique=False,
                              sqlite_where=_UNRESOLVED, postgresql_where=_UNRESOLVED)


def downgrade() -> None:
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_index("ix_event_village_closed_unresolved")
        batch_op.drop_index("ix_event_village_resolved")
        batch_op.drop_index("ix_event_open_village_reported")
