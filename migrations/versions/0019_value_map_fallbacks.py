"""value-map fallbacks per run: how many rows each field's "*" entry took, and their source codes

``etl_run.value_map_fallbacks`` holds JSON, per input field: the fallback's unified code, the rows it
took in the run and the most frequent source codes among them (docs/sources.md, "Value maps").
The governance page shows its share of the run's rows.

Revision ID: 0019
Revises: 0018
"""
import sqlalchemy as sa
from alembic import op


revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("etl_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("value_map_fallbacks", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("etl_run", schema=None) as batch_op:
        batch_op.drop_column("value_map_fallbacks")
