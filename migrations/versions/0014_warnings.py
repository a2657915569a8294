"""digital brain part 1: warnings, their history and evidence, silences; cadre relatives and subsidy payments

A warning's history is append-only: triggers reject UPDATE and DELETE (and TRUNCATE on PostgreSQL), as
for the audit log (0003).

Revision ID: 0014
Revises: 0013
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

_APPEND_ONLY = "warning_history is append-only"

_PG_UP = f"""
CREATE FUNCTION warning_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{_APPEND_ONLY}';
END $$;
CREATE TRIGGER warning_history_no_update_delete BEFORE UPDATE OR DELETE ON warning_history
    FOR EACH ROW EXECUTE FUNCTION warning_history_append_only();
CREATE TRIGGER warning_history_no_truncate BEFORE TRUNCATE ON warning_history
    FOR EACH STATEMENT EXECUTE FUNCTION warning_history_append_only();
"""

_SQLITE_UP = (
    f"CREATE TRIGGER warning_history_no_update BEFORE UPDATE ON warning_history BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END",
    f"CREATE TRIGGER warning_history_no_delete BEFORE DELETE ON warning_history BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END",
)


def _append_only() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_UP)
    else:
        for stmt in _SQLITE_UP:
            op.execute(stmt)


def _drop_append_only() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS warning_history_no_truncate ON warning_history")
        op.execute("DROP TRIGGER IF EXISTS warning_history_no_update_delete ON warning_history")
        op.execute("DROP FUNCTION IF EXISTS warning_history_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS warning_history_no_update")
        op.execute("DROP TRIGGER IF EXISTS warning_history_no_delete")


def upgrade() -> None:
    op.create_table('cadre_relative',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('cadre_key', sa.String(length=64), nullable=False),
    sa.Column('cadre_name', sa.String(length=50), nullable=True),
    sa.Column('position', sa.String(length=80), nullable=True),
    sa.Column('township_code', sa.String(length=20), nullable=False),
    sa.Column('relative_key', sa.String(length=64), nullable=False),
    sa.Column('relation', sa.String(length=16), nullable=False),
    sa.Column('declared_on', sa.Date(), nullable=True),
    sa.Column('src_source', sa.String(length=64), nullable=False),
    sa.Column('src_key', sa.String(length=200), nullable=False),
    sa.Column('src_run_id', sa.Integer(), nullable=True),
    sa.Column('row_hash', sa.String(length=32), nullable=False),
    sa.Column('loaded_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cadre_relative')),
    sa.UniqueConstraint('src_source', 'src_key', name=op.f('uq_cadre_relative_src_source'))
    )
    with op.batch_alter_table('cadre_relative', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cadre_relative_cadre_key'), ['cadre_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_cadre_relative_relative_key'), ['relative_key'], unique=False)

    op.create_table('silence',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('rule', sa.String(length=48), nullable=True),
    sa.Column('area_code', sa.String(length=20), nullable=True),
    sa.Column('category_code', sa.String(length=32), nullable=True),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=False),
    sa.Column('author', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_silence'))
    )
    op.create_table('subsidy_payment',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('person_key', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('amount', sa.Float(), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('grid_code', sa.String(length=20), nullable=False),
    sa.Column('src_source', sa.String(length=64), nullable=False),
    sa.Column('src_key', sa.String(length=200), nullable=False),
    sa.Column('src_run_id', sa.Integer(), nullable=True),
    sa.Column('row_hash', sa.String(length=32), nullable=False),
    sa.Column('loaded_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subsidy_payment')),
    sa.UniqueConstraint('src_source', 'src_key', name=op.f('uq_subsidy_payment_src_source'))
    )
    with op.batch_alter_table('subsidy_payment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subsidy_payment_grid_code'), ['grid_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_subsidy_payment_paid_on'), ['paid_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_subsidy_payment_person_key'), ['person_key'], unique=False)

    op.create_table('warning',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('rule', sa.String(length=48), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('open_fingerprint', sa.String(length=64), nullable=True),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('silence_id', sa.Integer(), nullable=True),
    sa.Column('township_code', sa.String(length=20), nullable=False),
    sa.Column('village_code', sa.String(length=20), nullable=True),
    sa.Column('grid_code', sa.String(length=20), nullable=True),
    sa.Column('board', sa.String(length=16), nullable=False),
    sa.Column('category_code', sa.String(length=32), nullable=True),
    sa.Column('department_code', sa.String(length=32), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('evidence_count', sa.Integer(), nullable=False),
    sa.Column('measure', sa.Float(), nullable=True),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('last_matched_at', sa.DateTime(), nullable=False),
    sa.Column('ack_due_at', sa.DateTime(), nullable=True),
    sa.Column('acknowledged_at', sa.DateTime(), nullable=True),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_warning')),
    sa.UniqueConstraint('open_fingerprint', name=op.f('uq_warning_open_fingerprint'))
    )
    with op.batch_alter_table('warning', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_warning_fingerprint'), ['fingerprint'], unique=False)
        batch_op.create_index(batch_op.f('ix_warning_rule'), ['rule'], unique=False)
        batch_op.create_index('ix_warning_township_status', ['township_code', 'status'], unique=False)
        batch_op.create_index('ix_warning_village_status', ['village_code', 'status'], unique=False)

    op.create_table('warning_evidence',
    sa.Column('warning_id', sa.Integer(), nullable=False),
    sa.Column('fact', sa.String(length=32), nullable=False),
    sa.Column('src_source', sa.String(length=64), nullable=False),
    sa.Column('src_key', sa.String(length=200), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('row_id', sa.Integer(), nullable=True),
    sa.Column('code', sa.String(length=48), nullable=True),
    sa.Column('metric', sa.String(length=48), nullable=True),
    sa.Column('added_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['warning_id'], ['warning.id'], name=op.f('fk_warning_evidence_warning_id_warning')),
    sa.PrimaryKeyConstraint('warning_id', 'fact', 'src_source', 'src_key', name=op.f('pk_warning_evidence'))
    )
    op.create_table('warning_history',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('warning_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=24), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=False),
    sa.Column('from_level', sa.String(length=8), nullable=True),
    sa.Column('to_level', sa.String(length=8), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('silence_id', sa.Integer(), nullable=True),
    sa.Column('evidence_added', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['warning_id'], ['warning.id'], name=op.f('fk_warning_history_warning_id_warning')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_warning_history'))
    )
    with op.batch_alter_table('warning_history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_warning_history_warning_id'), ['warning_id'], unique=False)
    _append_only()


def downgrade() -> None:
    _drop_append_only()
    with op.batch_alter_table('warning_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_warning_history_warning_id'))

    op.drop_table('warning_history')
    op.drop_table('warning_evidence')
    with op.batch_alter_table('warning', schema=None) as batch_op:
        batch_op.drop_index('ix_warning_village_status')
        batch_op.drop_index('ix_warning_township_status')
        batch_op.drop_index(batch_op.f('ix_warning_rule'))
        batch_op.drop_index(batch_op.f('ix_warning_fingerprint'))

    op.drop_table('warning')
    with op.batch_alter_table('subsidy_payment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subsidy_payment_person_key'))
        batch_op.drop_index(batch_op.f('ix_subsidy_payment_paid_on'))
        batch_op.drop_index(batch_op.f('ix_subsidy_payment_grid_code'))

    op.drop_table('subsidy_payment')
    op.drop_table('silence')
    with op.batch_alter_table('cadre_relative', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cadre_relative_relative_key'))
        batch_op.drop_index(batch_op.f('ix_cadre_relative_cadre_key'))

    op.drop_table('cadre_relative')
