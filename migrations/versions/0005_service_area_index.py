"""index for the services board: an area's applications in a period

The services KPIs count the applications submitted in a period in the township (or the village or
grid chosen): ``service_application`` by grid and submission time, so a warehouse holding a county's
departments is not read township by township through the time index alone.

Revision ID: 0005
Revises: 0004
"""
from alembic import op


revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("service_application", schema=None) as batch_op:
        batch_op.create_index("ix_service_application_grid_submitted", ["grid_code", "submitted_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("service_application", schema=None) as batch_op:
        batch_op.drop_index("ix_service_application_grid_submitted")
