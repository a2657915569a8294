"""indexes for the KPI cards: an area's delivered indicator values, an area's service applications

The boards read the indicator values of an area and the areas under it (the township: its villages
and grids). The primary key leads with the indicator, so in a warehouse holding a county's
departments PostgreSQL read every township's values; ``indicator_value`` by (area, period) reads
the area's range of codes only.

The service KPIs count an area's applications of a period by channel and visits. PostgreSQL chose
the time index (every township's applications of the period, row by row) over (grid, submitted at);
with the counted columns in the index the township's rows are read from the index alone.

Revision ID: 0008
Revises: 0007
"""
from alembic import op


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


_SERVICE_COVER = ["grid_code", "submitted_at", "channel", "visits", "joint"]


def upgrade() -> None:
    with op.batch_alter_table("indicator_value", schema=None) as batch_op:
        batch_op.create_index("ix_indicator_value_area_period", ["area_code", "period_start"], unique=False)
    with op.batch_alter_table("service_application", schema=None) as batch_op:
        batch_op.create_index("ix_service_application_grid_submitted_cover", _SERVICE_COVER, unique=False)
        batch_op.drop_index("ix_service_application_grid_submitted")


def downgrade() -> None:
    with op.batch_alter_table("service_application", schema=None) as batch_op:
        batch_op.create_index("ix_service_application_grid_submitted", ["grid_code", "submitted_at"], unique=False)
        batch_op.drop_index("ix_service_application_grid_submitted_cover")
    with op.batch_alter_table("indicator_value", schema=None) as batch_op:
        batch_op.drop_index("ix_indicator_value_area_period")
