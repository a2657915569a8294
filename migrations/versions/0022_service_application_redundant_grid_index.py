"""drop the service applications' grid index: the area index begins with the same column

``ix_service_application_grid_code`` indexed ``grid_code`` alone, and
``ix_service_application_grid_submitted_cover`` begins with ``grid_code``: every read the first
served, the second serves in the same order. Each load that adds or moves an application wrote an
entry in both; now in one.

Revision ID: 0022
Revises: 0021
"""
from alembic import op


revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

_NAME = "ix_service_application_grid_code"


def upgrade() -> None:
    with op.batch_alter_table("service_application", schema=None) as batch_op:
        batch_op.drop_index(_NAME)


def downgrade() -> None:
    with op.batch_alter_table("service_application", schema=None) as batch_op:
        batch_op.create_index(_NAME, ["grid_code"], unique=False)
