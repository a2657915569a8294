"""whistle and department response: whistles, summons, their logs, and the responsibility-list review flags

A whistle's and a summons' log are append-only: triggers reject UPDATE and DELETE (and TRUNCATE on
PostgreSQL), as for the work order log (0015).

Revision ID: 0017
Revises: 0016
"""
from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

_LOGS = ("whistle_log", "summons_log")


def _append_only() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    for log in _LOGS:
        message = f"{log} is append-only"
        if pg:
            op.execute(f"""
CREATE FUNCTION {log}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{message}';
END $$;
CREATE TRIGGER {log}_no_update_delete BEFORE UPDATE OR DELETE ON {log}
    FOR EACH ROW EXECUTE FUNCTION {log}_append_only();
CREATE TRIGGER {log}_no_truncate BEFORE TRUNCATE ON {log}
    FOR EACH STATEMENT EXECUTE FUNCTION {log}_append_only();
""")
        else:
            op.execute(f"CREATE TRIGGER {log}_no_update BEFORE UPDATE ON {log} BEGIN SELECT RAISE(ABORT, '{message}'); END")
            op.execute(f"CREATE TRIGGER {log}_no_delete BEFORE DELETE ON {log} BEGIN SELECT RAISE(ABORT, '{message}'); END")


def _drop_append_only() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    for log in _LOGS:
        if pg:
            op.execute(f"DROP TRIGGER IF EXISTS {log}_no_truncate ON {log}")
            op.execute(f"DROP TRIGGER IF EXISTS {log}_no_update_delete ON {log}")
            op.execute(f"DROP FUNCTION IF EXISTS {log}_append_only()")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {log}_no_update")
            op.execute(f"DROP TRIGGER IF EXISTS {log}_no_delete")


def upgrade() -> None:
    op.create_table('whistle',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('open_key', sa.String(length=200), nullable=True),
    sa.Column('warning_id', sa.Integer(), nullable=True),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('board', sa.String(length=16), nullable=False),
    sa.Column('category_code', sa.String(length=32), nullable=True),
    sa.Column('township_code', sa.String(length=20), nullable=False),
    sa.Column('village_code', sa.String(length=20), nullable=True),
    sa.Column('grid_code', sa.String(length=20), nullable=True),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['work_order.id'], name=op.f('fk_whistle_order_id_work_order')),
    sa.ForeignKeyConstraint(['warning_id'], ['warning.id'], name=op.f('fk_whistle_warning_id_warning')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_whistle')),
    sa.UniqueConstraint('open_key', name=op.f('uq_whistle_open_key'))
    )
    with op.batch_alter_table('whistle', schema=None) as batch_op:
        batch_op.create_index('ix_whistle_status_created', ['status', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_whistle_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_whistle_warning_id'), ['warning_id'], unique=False)

    op.create_table('whistle_log',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('whistle_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=24), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['whistle_id'], ['whistle.id'], name=op.f('fk_whistle_log_whistle_id_whistle')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_whistle_log'))
    )
    with op.batch_alter_table('whistle_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_whistle_log_whistle_id'), ['whistle_id'], unique=False)

    op.create_table('summons',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('whistle_id', sa.Integer(), nullable=False),
    sa.Column('department_code', sa.String(length=32), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('township_code', sa.String(length=20), nullable=False),
    sa.Column('category_code', sa.String(length=32), nullable=True),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('ack_due_at', sa.DateTime(), nullable=False),
    sa.Column('arrive_due_at', sa.DateTime(), nullable=False),
    sa.Column('resolve_due_at', sa.DateTime(), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(), nullable=True),
    sa.Column('arrived_at', sa.DateTime(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.Column('verified_at', sa.DateTime(), nullable=True),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('rating_comment', sa.Text(), nullable=True),
    sa.Column('reopen_count', sa.Integer(), nullable=False),
    sa.Column('contest_reason', sa.Text(), nullable=True),
    sa.Column('contested_from', sa.String(length=16), nullable=True),
    sa.Column('contest_outcome', sa.String(length=16), nullable=True),
    sa.Column('contest_decided_at', sa.DateTime(), nullable=True),
    sa.Column('ack_overdue_at', sa.DateTime(), nullable=True),
    sa.Column('arrive_overdue_at', sa.DateTime(), nullable=True),
    sa.Column('resolve_overdue_at', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['whistle_id'], ['whistle.id'], name=op.f('fk_summons_whistle_id_whistle')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_summons'))
    )
    with op.batch_alter_table('summons', schema=None) as batch_op:
        batch_op.create_index('ix_summons_department_created', ['department_code', 'created_at'], unique=False)
        batch_op.create_index('ix_summons_status', ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_summons_whistle_id'), ['whistle_id'], unique=False)

    op.create_table('summons_log',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('summons_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=24), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=False),
    sa.Column('department_code', sa.String(length=32), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['summons_id'], ['summons.id'], name=op.f('fk_summons_log_summons_id_summons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_summons_log'))
    )
    with op.batch_alter_table('summons_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_summons_log_summons_id'), ['summons_id'], unique=False)

    op.create_table('responsibility_review',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('category_code', sa.String(length=32), nullable=True),
    sa.Column('department_code', sa.String(length=32), nullable=False),
    sa.Column('summons_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('flagged_at', sa.DateTime(), nullable=False),
    sa.Column('flagged_by', sa.String(length=64), nullable=False),
    sa.Column('reviewed_at', sa.DateTime(), nullable=True),
    sa.Column('reviewed_by', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['summons_id'], ['summons.id'], name=op.f('fk_responsibility_review_summons_id_summons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_responsibility_review'))
    )
    with op.batch_alter_table('responsibility_review', schema=None) as batch_op:
        batch_op.create_index('ix_responsibility_review_open', ['reviewed_at', 'category_code'], unique=False)

    _append_only()


def downgrade() -> None:
    _drop_append_only()
    op.drop_table('responsibility_review')
    op.drop_table('summons_log')
    op.drop_table('summons')
    op.drop_table('whistle_log')
    op.drop_table('whistle')
