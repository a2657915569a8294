"""report archive: every generated weekly meeting report (PDF) with its checksum, who made it and how

The PDF itself is stored in the row (``pdf``: bytea on PostgreSQL), not in a folder: every web worker
and the scheduler, on whatever machine, then read the same archive, and a backup of the warehouse
holds the reports too. Regenerating a week adds a row; earlier rows are kept: triggers reject UPDATE
and DELETE (and TRUNCATE on PostgreSQL), as for the whistle logs (0017).

Revision ID: 0018
Revises: 0017
"""
from alembic import op
import sqlalchemy as sa


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

_TABLE = "report_archive"


def _append_only() -> None:
    message = f"{_TABLE} keeps every report: rows are never changed or deleted"
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
CREATE FUNCTION {_TABLE}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{message}';
END $$;
CREATE TRIGGER {_TABLE}_no_update_delete BEFORE UPDATE OR DELETE ON {_TABLE}
    FOR EACH ROW EXECUTE FUNCTION {_TABLE}_append_only();
CREATE TRIGGER {_TABLE}_no_truncate BEFORE TRUNCATE ON {_TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION {_TABLE}_append_only();
""")
    else:
        op.execute(f"CREATE TRIGGER {_TABLE}_no_update BEFORE UPDATE ON {_TABLE} BEGIN SELECT RAISE(ABORT, '{message}'); END")
        op.execute(f"CREATE TRIGGER {_TABLE}_no_delete BEFORE DELETE ON {_TABLE} BEGIN SELECT RAISE(ABORT, '{message}'); END")


def _drop_append_only() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {_TABLE}_no_truncate ON {_TABLE}")
        op.execute(f"DROP TRIGGER IF EXISTS {_TABLE}_no_update_delete ON {_TABLE}")
        op.execute(f"DROP FUNCTION IF EXISTS {_TABLE}_append_only()")
    else:
        op.execute(f"DROP TRIGGER IF EXISTS {_TABLE}_no_update")
        op.execute(f"DROP TRIGGER IF EXISTS {_TABLE}_no_delete")


def upgrade() -> None:
    op.create_table('report_archive',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('week', sa.String(length=8), nullable=False),
    sa.Column('township_code', sa.String(length=20), nullable=True),
    sa.Column('lang', sa.String(length=2), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('pages', sa.Integer(), nullable=False),
    sa.Column('bytes', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('empty', sa.Boolean(), nullable=False),
    sa.Column('scope_areas', sa.Text(), nullable=True),
    sa.Column('scope_boards', sa.Text(), nullable=True),
    sa.Column('scope_departments', sa.Text(), nullable=True),
    sa.Column('scope_personal', sa.Boolean(), nullable=False),
    sa.Column('generated_at', sa.DateTime(), nullable=False),
    sa.Column('generated_by', sa.String(length=64), nullable=False),
    sa.Column('trigger', sa.String(length=16), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_archive'))
    )
    with op.batch_alter_table('report_archive', schema=None) as batch_op:
        batch_op.create_index('ix_report_archive_week_township', ['week', 'township_code'], unique=False)
        batch_op.create_index('ix_report_archive_generated_at', ['generated_at'], unique=False)

    _append_only()


def downgrade() -> None:
    _drop_append_only()
    op.drop_table('report_archive')
