"""the service desk: the inbox's work on contact messages, contacts logged from the card,
complaint cases, order status history, the reason a customer was lost, customer groups I-V

Revision ID: 0009
Revises: 0008

Frozen: its own DDL, importing nothing from crm_tui.

On PostgreSQL only the tables and indexes are made here: 0010 adds PostgreSQL's own triggers
and fills the roll-ups (no PostgreSQL database ever reached this revision before 0010 existed).
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN: a batch rebuild of the table would rewrite its SQL text.
    op.add_column('contact_message', sa.Column('status', sa.String(length=16), server_default='new', nullable=False))
    op.add_column('contact_message', sa.Column('owner', sa.String(length=64), nullable=True))
    op.add_column('contact_message', sa.Column('answer', sa.String(length=5000), server_default='', nullable=False))
    op.add_column('contact_message', sa.Column('answered_at', sa.DateTime(), nullable=True))
    op.add_column('contact_message', sa.Column('closed_at', sa.DateTime(), nullable=True))
    # Messages from before the inbox existed were dealt with outside it: closed, not owed.
    op.execute("UPDATE contact_message SET status = 'closed', closed_at = received_at")
    op.create_index('ix_contact_message_status', 'contact_message', ['status', 'received_at'])
    op.add_column('callback_attempt', sa.Column('lost_reason', sa.String(length=32), nullable=True))
    op.create_table(
        'order_status_change',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('carrier', sa.String(length=64), nullable=False),
        sa.Column('tracking_number', sa.String(length=64), nullable=False),
        sa.Column('changed_by', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['order_id'], ['shop_order.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_order_status_change_order', 'order_status_change', ['order_id', 'at'])
    op.create_table(
        'service_contact',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('staff_login', sa.String(length=64), nullable=False),
        sa.Column('channel', sa.String(length=8), nullable=False),
        sa.Column('direction', sa.String(length=8), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.Column('ended_at', sa.DateTime(), nullable=False),
        sa.Column('outcome', sa.String(length=32), nullable=False),
        sa.Column('note', sa.String(length=1000), nullable=False),
        sa.Column('satisfaction', sa.Integer(), nullable=True),
        sa.Column('feedback_kind', sa.String(length=16), nullable=True),
        sa.Column('feedback', sa.String(length=2000), nullable=False),
        sa.Column('lost_reason', sa.String(length=32), nullable=True),
        sa.Column('case_id', sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_service_contact_customer', 'service_contact', ['customer_id', 'started_at'])
    op.create_index('ix_service_contact_staff_login', 'service_contact', ['staff_login'])
    op.create_index('ix_service_contact_ended_at', 'service_contact', ['ended_at'])
    op.create_index('ix_service_contact_case_id', 'service_contact', ['case_id'])
    op.create_table(
        'service_case',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('priority', sa.Integer(), nullable=False),
        sa.Column('owner', sa.String(length=64), nullable=False),
        sa.Column('opened_by', sa.String(length=64), nullable=False),
        sa.Column('opened_at', sa.DateTime(), nullable=False),
        sa.Column('due_at', sa.DateTime(), nullable=False),
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('source_id', sa.Integer(), nullable=True),
        sa.Column('order_id', sa.Integer(), nullable=True),
        sa.Column('product_id', sa.Integer(), nullable=True),
        sa.Column('summary', sa.String(length=2000), nullable=False),
        sa.Column('contacts', sa.Integer(), nullable=False),
        sa.Column('resolution', sa.String(length=2000), nullable=False),
        sa.Column('outcome', sa.String(length=16), nullable=True),
        sa.Column('resolved_at', sa.DateTime(), nullable=True),
        sa.Column('closed_at', sa.DateTime(), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_service_case_status_due', 'service_case', ['status', 'due_at'])
    op.create_index('ix_service_case_customer', 'service_case', ['customer_id', 'opened_at'])
    op.create_index('ix_service_case_owner', 'service_case', ['owner'])
    op.create_index('ix_service_case_opened_at', 'service_case', ['opened_at'])
    op.create_index('ix_service_case_order_id', 'service_case', ['order_id'])
    op.create_index('ix_service_case_resolved_at', 'service_case', ['resolved_at'])
    op.create_table(
        'customer_group',
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('loyalty', sa.String(length=16), nullable=False),
        sa.Column('needs', sa.String(length=16), nullable=False),
        sa.Column('group_code', sa.String(length=8), nullable=False),
        sa.PrimaryKeyConstraint('customer_id'),
    )
    op.create_index('ix_customer_group_group', 'customer_group', ['group_code'])

    # The service-quality figures read covering indexes, never every row.
    op.add_column('callback_request', sa.Column('first_called_at', sa.DateTime(), nullable=True))
    op.add_column('callback_request', sa.Column('first_call_seconds', sa.Integer(), nullable=True))
    op.add_column('callback_request', sa.Column('kept_for', sa.String(length=64), nullable=True))
    op.add_column('callback_request', sa.Column('kept_until', sa.DateTime(), nullable=True))
    op.execute("UPDATE callback_request SET first_called_at = (SELECT min(a.started_at) FROM callback_attempt a "
               "WHERE a.callback_id = callback_request.id)")
    due = ("CASE WHEN window_from > requested_at THEN window_from ELSE requested_at END")
    if op.get_bind().dialect.name == "sqlite":
        seconds = f"CAST(strftime('%s', first_called_at) AS INTEGER) - CAST(strftime('%s', {due}) AS INTEGER)"
    else:
        seconds = f"CAST(EXTRACT(EPOCH FROM first_called_at - ({due})) AS BIGINT)"
    op.execute(f"UPDATE callback_request SET first_call_seconds = {seconds} WHERE first_called_at IS NOT NULL")
    op.create_index('ix_callback_first_call', 'callback_request', ['first_called_at', 'first_call_seconds'])
    op.create_index('ix_callback_closed', 'callback_request', ['closed_at', 'outcome', 'attempts'])
    op.create_index('ix_callback_attempt_scores', 'callback_attempt', ['ended_at', 'satisfaction', 'feedback_kind'])
    op.create_index('ix_service_contact_scores', 'service_contact', ['ended_at', 'satisfaction', 'feedback_kind'])
    op.create_index('ix_contact_message_answers', 'contact_message', ['received_at', 'status', 'answered_at', 'kind'])
    op.create_index('ix_customer_rfm_lapse', 'customer_rfm', ['recency_days', 'frequency'])
    for name, table, column, condition in (
            ('ix_callback_attempt_lost', 'callback_attempt', 'ended_at', 'lost_reason IS NOT NULL'),
            ('ix_service_contact_lost', 'service_contact', 'ended_at', 'lost_reason IS NOT NULL'),
            ('ix_order_reversal_placed', 'shop_order', 'placed_at', 'cancels_order_id IS NOT NULL')):
        op.create_index(name, table, [column], sqlite_where=sa.text(condition), postgresql_where=sa.text(condition))

    # Satisfaction scores and complaints per UTC day (score 0: a complaint without a score), kept
    # by triggers on every call and contact recorded; backfilled from those already there.
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.execute("CREATE TABLE service_day (day TEXT NOT NULL, score INTEGER NOT NULL, said INTEGER NOT NULL, "
               "complaints INTEGER NOT NULL, PRIMARY KEY (day, score))" + (" WITHOUT ROWID" if sqlite else ""))
    for table in () if not sqlite else ('callback_attempt', 'service_contact'):
        op.execute(
            f"INSERT INTO service_day SELECT substr(ended_at, 1, 10), coalesce(satisfaction, 0), count(*), "
            f"sum(coalesce(feedback_kind = 'complaint', 0)) FROM {table} WHERE satisfaction IS NOT NULL "
            f"OR feedback_kind = 'complaint' GROUP BY 1, 2 ON CONFLICT (day, score) DO UPDATE SET "
            f"said = said + excluded.said, complaints = complaints + excluded.complaints")
        op.execute(
            f"CREATE TRIGGER service_day_{table} AFTER INSERT ON {table} "
            f"WHEN NEW.satisfaction IS NOT NULL OR NEW.feedback_kind = 'complaint' BEGIN "
            f"INSERT INTO service_day VALUES (substr(NEW.ended_at, 1, 10), coalesce(NEW.satisfaction, 0), 1, "
            f"coalesce(NEW.feedback_kind = 'complaint', 0)) ON CONFLICT (day, score) DO UPDATE SET said = said + 1, "
            f"complaints = complaints + excluded.complaints; END")


def downgrade() -> None:
    for table in ('callback_attempt', 'service_contact') if op.get_bind().dialect.name == "sqlite" else ():
        op.execute(f'DROP TRIGGER service_day_{table}')
    op.execute('DROP TABLE service_day')
    for name, table in (('ix_order_reversal_placed', 'shop_order'), ('ix_service_contact_lost', 'service_contact'),
                        ('ix_callback_attempt_lost', 'callback_attempt'), ('ix_customer_rfm_lapse', 'customer_rfm'),
                        ('ix_contact_message_answers', 'contact_message'),
                        ('ix_service_contact_scores', 'service_contact'),
                        ('ix_callback_attempt_scores', 'callback_attempt'), ('ix_callback_closed', 'callback_request'),
                        ('ix_callback_first_call', 'callback_request')):
        op.drop_index(name, table_name=table)
    for column in ('kept_until', 'kept_for', 'first_call_seconds', 'first_called_at'):
        op.execute(f'ALTER TABLE callback_request DROP COLUMN {column}')
    op.drop_index('ix_customer_group_group', table_name='customer_group')
    op.drop_table('customer_group')
    for index in ('ix_service_case_resolved_at', 'ix_service_case_order_id', 'ix_service_case_opened_at',
                  'ix_service_case_owner', 'ix_service_case_customer', 'ix_service_case_status_due'):
        op.drop_index(index, table_name='service_case')
    op.drop_table('service_case')
    for index in ('ix_service_contact_case_id', 'ix_service_contact_ended_at', 'ix_service_contact_staff_login',
                  'ix_service_contact_customer'):
        op.drop_index(index, table_name='service_contact')
    op.drop_table('service_contact')
    op.drop_index('ix_order_status_change_order', table_name='order_status_change')
    op.drop_table('order_status_change')
    op.execute('ALTER TABLE callback_attempt DROP COLUMN lost_reason')
    op.drop_index('ix_contact_message_status', table_name='contact_message')
    for column in ('closed_at', 'answered_at', 'answer', 'owner', 'status'):
        op.execute(f'ALTER TABLE contact_message DROP COLUMN {column}')
