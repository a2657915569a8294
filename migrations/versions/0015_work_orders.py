"""digital brain part 2: work orders, their log, events and photos; grid duty; the notice list

A work order's log is append-only: triggers reject UPDATE and DELETE (and TRUNCATE on PostgreSQL), as
for the warning history (0014).

Revision ID: 0015
Revises: 0014
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

_APPEND_ONLY = "work_order_log is append-only"

_PG_UP = f"""
CREATE FUNCTION work_order_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{_APPEND_ONLY}';
END $$;
CREATE TRIGGER work_order_log_no_update_delete BEFORE UPDATE OR DELETE ON work_order_log
    FOR EACH ROW EXECUTE FUNCTION work_order_log_append_only();
CREATE TRIGGER work_order_log_no_truncate BEFORE TRUNCATE ON work_order_log
    FOR EACH STATEMENT EXECUTE FUNCTION work_order_log_append_only();
"""

_SQLITE_UP = (
    f"CREATE TRIGGER work_order_log_no_update BEFORE UPDATE ON work_order_log BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END",
    f"CREATE TRIGGER work_order_log_no_delete BEFORE DELETE ON work_order_log BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END",
)


def _append_only() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_UP)
    else:
        for statement in _SQLITE_UP:
            op.execute(statement)


def _drop_append_only() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS work_order_log_no_truncate ON work_order_log")
        op.execute("DROP TRIGGER IF EXISTS work_order_log_no_update_delete ON work_order_log")
        op.execute("DROP FUNCTION IF EXISTS work_order_log_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS work_order_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS work_order_log_no_delete")



def upgrade() -> None:
    op.create_table('grid_duty',
    sa.Column('grid_code', sa.String(length=20), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('grid_code', name=op.f('pk_grid_duty'))
    )
    op.create_table('notice',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('recipient', sa.String(length=100), nullable=False),
    sa.Column('group_key', sa.String(length=200), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('warning_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('link', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('read_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice'))
    )
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.create_index('ix_notice_recipient_created', ['recipient', 'created_at'], unique=False)

    op.create_table('work_order',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('open_key', sa.String(length=200), nullable=True),
    sa.Column('warning_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('board', sa.String(length=16), nullable=False),
    sa.Column('category_code', sa.String(length=32), nullable=True),
    sa.Column('department_code', sa.String(length=32), nullable=False),
    sa.Column('cooperating', sa.String(length=200), nullable=True),
    sa.Column('assignee_user', sa.String(length=64), nullable=True),
    sa.Column('township_code', sa.String(length=20), nullable=False),
    sa.Column('village_code', sa.String(length=20), nullable=True),
    sa.Column('grid_code', sa.String(length=20), nullable=True),
    sa.Column('address', sa.String(length=200), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('level', sa.String(length=8), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('ack_due_at', sa.DateTime(), nullable=False),
    sa.Column('resolve_due_at', sa.DateTime(), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(), nullable=True),
    sa.Column('arrived_at', sa.DateTime(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('ack_overdue_at', sa.DateTime(), nullable=True),
    sa.Column('resolve_overdue_at', sa.DateTime(), nullable=True),
    sa.Column('reopen_count', sa.Integer(), nullable=False),
    sa.Column('return_count', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['warning_id'], ['warning.id'], name=op.f('fk_work_order_warning_id_warning')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_order')),
    sa.UniqueConstraint('open_key', name=op.f('uq_work_order_open_key'))
    )
    with op.batch_alter_table('work_order', schema=None) as batch_op:
        batch_op.create_index('ix_work_order_created_at', ['created_at'], unique=False)
        batch_op.create_index('ix_work_order_department_status', ['department_code', 'status'], unique=False)
        batch_op.create_index('ix_work_order_grid_status', ['grid_code', 'status'], unique=False)
        batch_op.create_index('ix_work_order_status', ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_order_warning_id'), ['warning_id'], unique=False)

    op.create_table('work_order_event',
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['work_order.id'], name=op.f('fk_work_order_event_order_id_work_order')),
    sa.PrimaryKeyConstraint('order_id', 'event_id', name=op.f('pk_work_order_event'))
    )
    op.create_table('work_order_log',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=24), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=False),
    sa.Column('department_code', sa.String(length=32), nullable=False),
    sa.Column('assignee_user', sa.String(length=64), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['work_order.id'], name=op.f('fk_work_order_log_order_id_work_order')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_order_log'))
    )
    with op.batch_alter_table('work_order_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_work_order_log_order_id'), ['order_id'], unique=False)

    op.create_table('work_order_photo',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('log_id', sa.Integer(), nullable=True),
    sa.Column('content_type', sa.String(length=16), nullable=False),
    sa.Column('bytes', sa.Integer(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('uploaded_by', sa.String(length=64), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['log_id'], ['work_order_log.id'], name=op.f('fk_work_order_photo_log_id_work_order_log')),
    sa.ForeignKeyConstraint(['order_id'], ['work_order.id'], name=op.f('fk_work_order_photo_order_id_work_order')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_order_photo'))
    )
    with op.batch_alter_table('work_order_photo', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_work_order_photo_order_id'), ['order_id'], unique=False)


    _append_only()

def downgrade() -> None:
    _drop_append_only()
    with op.batch_alter_table('work_order_photo', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_work_order_photo_order_id'))

    op.drop_table('work_order_photo')
    with op.batch_alter_table('work_order_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_work_order_log_order_id'))

    op.drop_table('work_order_log')
    op.drop_table('work_order_event')
    with op.batch_alter_table('work_order', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_work_order_warning_id'))
        batch_op.drop_index('ix_work_order_status')
        batch_op.drop_index('ix_work_order_grid_status')
        batch_op.drop_index('ix_work_order_department_status')
        batch_op.drop_index('ix_work_order_created_at')

    op.drop_table('work_order')
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.drop_index('ix_notice_recipient_created')

    op.drop_table('notice')
    op.drop_table('grid_duty')
