"""callback queue: claim, attempts, retries, outcomes

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('callback_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('callback_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('staff_login', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=False),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('satisfaction', sa.Integer(), nullable=True),
    sa.Column('feedback_kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('feedback', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.ForeignKeyConstraint(['callback_id'], ['callback_request.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('callback_attempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_callback_attempt_callback_id'), ['callback_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_callback_attempt_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_callback_attempt_ended_at'), ['ended_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_callback_attempt_staff_login'), ['staff_login'], unique=False)
    with op.batch_alter_table('callback_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('claimed_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('claimed_until', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(), nullable=True))
        batch_op.create_index('ix_callback_status_window', ['status', 'window_from'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('callback_request', schema=None) as batch_op:
        batch_op.drop_index('ix_callback_status_window')
        for column in ('closed_at', 'outcome', 'next_attempt_at', 'claimed_until', 'claimed_by', 'attempts'):
            batch_op.drop_column(column)
    op.drop_table('callback_attempt')
