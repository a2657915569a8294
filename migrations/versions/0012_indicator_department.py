"""the department that delivers each indicator

A department liaison sees the indicators their department delivers and no other (statistics: output,
tax and income; organisation: the party figures …). The column is filled from the reference list
(``cockpit.reference.INDICATORS``) by the reference seed that runs after every upgrade.

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op


revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("indicator", schema=None) as batch_op:
        batch_op.add_column(sa.Column("department_code", sa.String(length=32), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_indicator_department_code_department"), "department",
                                    ["department_code"], ["code"])


def downgrade() -> None:
    with op.batch_alter_table("indicator", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_indicator_department_code_department"), type_="foreignkey")
        batch_op.drop_column("department_code")
