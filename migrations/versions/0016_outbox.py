"""notification outbox: the messages each channel sends, which notices each carries, every attempt

``notify_message``: one message of a channel (企业微信 / 钉钉 robot, e-mail) for a group of notices, with its
status, attempts and next attempt; ``notify_message_notice``: the (notice, channel) pairs, each at most once
(its primary key), so no notice is put in two messages of a channel; ``notify_attempt``: every attempt.

Revision ID: 0016
Revises: 0015
"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('notify_message',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('channel', sa.String(length=48), nullable=False),
    sa.Column('channel_kind', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('group_key', sa.String(length=200), nullable=False),
    sa.Column('addresses', sa.Text(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('notices', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notify_message'))
    )
    with op.batch_alter_table('notify_message', schema=None) as batch_op:
        batch_op.create_index('ix_notify_message_channel_status', ['channel', 'status'], unique=False)
        batch_op.create_index('ix_notify_message_due', ['status', 'next_attempt_at'], unique=False)

    op.create_table('notify_attempt',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['notify_message.id'], name=op.f('fk_notify_attempt_message_id_notify_message')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notify_attempt'))
    )
    with op.batch_alter_table('notify_attempt', schema=None) as batch_op:
        batch_op.create_index('ix_notify_attempt_message_at', ['message_id', 'at'], unique=False)

    op.create_table('notify_message_notice',
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=48), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['notify_message.id'], name=op.f('fk_notify_message_notice_message_id_notify_message')),
    sa.ForeignKeyConstraint(['notice_id'], ['notice.id'], name=op.f('fk_notify_message_notice_notice_id_notice')),
    sa.PrimaryKeyConstraint('notice_id', 'channel', name=op.f('pk_notify_message_notice'))
    )
    with op.batch_alter_table('notify_message_notice', schema=None) as batch_op:
        batch_op.create_index('ix_notify_message_notice_message', ['message_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('notify_message_notice', schema=None) as batch_op:
        batch_op.drop_index('ix_notify_message_notice_message')

    op.drop_table('notify_message_notice')
    with op.batch_alter_table('notify_attempt', schema=None) as batch_op:
        batch_op.drop_index('ix_notify_attempt_message_at')

    op.drop_table('notify_attempt')
    with op.batch_alter_table('notify_message', schema=None) as batch_op:
        batch_op.drop_index('ix_notify_message_due')
        batch_op.drop_index('ix_notify_message_channel_status')

    op.drop_table('notify_message')
