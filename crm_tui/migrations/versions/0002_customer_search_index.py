"""customer search index (SQLite FTS5), kept in step with customer by triggers

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

# Phone tokens: every digit of the E.164 number, and its last 4 to 10 digits, so that "the last
# digits", the national number ("612 345 678", "07911 123456" without its 0) and the full
# number ("+34 612...") are all token prefixes.
_PHONES = ("CASE WHEN {r}.phone IS NULL THEN '' ELSE substr({r}.phone, 2) || "
           + " || ".join(f"' ' || substr({{r}}.phone, -{n})" for n in range(4, 11)) + " END")
_ROW = ("{r}.id, {r}.first_name || ' ' || {r}.last_name, "
        "coalesce({r}.email, '') || ' ' || {r}.customer_number, " + _PHONES)


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return  # PostgreSQL searches with its own SQL (see crm_tui.services.search)
    op.execute("CREATE VIRTUAL TABLE customer_search USING fts5(name, contact, phones, "
               "tokenize = 'unicode61 remove_diacritics 2')")
    op.execute("CREATE VIRTUAL TABLE customer_search_terms USING fts5vocab(customer_search, 'col')")
    insert = "INSERT INTO customer_search (rowid, name, contact, phones) VALUES ({})"
    op.execute(f"CREATE TRIGGER customer_search_insert AFTER INSERT ON customer BEGIN "
               f"{insert.format(_ROW.format(r='new'))}; END")
    op.execute(f"CREATE TRIGGER customer_search_update AFTER UPDATE OF first_name, last_name, email, phone, "
               f"customer_number ON customer BEGIN DELETE FROM customer_search WHERE rowid = old.id; "
               f"{insert.format(_ROW.format(r='new'))}; END")
    op.execute("CREATE TRIGGER customer_search_delete AFTER DELETE ON customer BEGIN "
               "DELETE FROM customer_search WHERE rowid = old.id; END")
    op.execute(f"INSERT INTO customer_search (rowid, name, contact, phones) SELECT {_ROW.format(r='c')} "
               f"FROM customer AS c")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for trigger in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER customer_search_{trigger}")
    op.execute("DROP TABLE customer_search_terms")
    op.execute("DROP TABLE customer_search")
