"""customer search indexes (SQLite FTS5), kept in step with customer by triggers

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

# Two indexes: names alone (whose few distinct terms the typo tolerance compares against),
# and contact data: e-mail, customer number, and phone tokens, which are every digit of the
# E.164 number and its last 4 to 10 digits, so that "the last digits", the national number
# ("612 345 678", "07911 123456" without its 0) and the full number are all token prefixes.
_PHONES = ("CASE WHEN {r}.phone IS NULL THEN '' ELSE substr({r}.phone, 2) || "
           + " || ".join(f"' ' || substr({{r}}.phone, -{n})" for n in range(4, 11)) + " END")
_NAME = "{r}.id, {r}.first_name || ' ' || {r}.last_name"
_CONTACT = "{r}.id, coalesce({r}.email, '') || ' ' || {r}.customer_number, " + _PHONES
_TOKENIZE = "tokenize = 'unicode61 remove_diacritics 2'"


def _insert(r: str) -> str:
    return (f"INSERT INTO customer_name (rowid, name) VALUES ({_NAME.format(r=r)}); "
            f"INSERT INTO customer_contact (rowid, contact, phones) VALUES ({_CONTACT.format(r=r)});")


def _delete(r: str) -> str:
    return (f"DELETE FROM customer_name WHERE rowid = {r}.id; "
            f"DELETE FROM customer_contact WHERE rowid = {r}.id;")


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return  # PostgreSQL searches with its own SQL (see crm_tui.services.search)
    # Prefix indexes: "g", "ga", "gar" as the agent starts typing, and the first digits of a
    # phone fragment, are answered from their own index instead of merging every term.
    op.execute(f"CREATE VIRTUAL TABLE customer_name USING fts5(name, {_TOKENIZE}, prefix = '1 2 3')")
    op.execute(f"CREATE VIRTUAL TABLE customer_contact USING fts5(contact, phones, {_TOKENIZE}, prefix = '3 4')")
    op.execute("CREATE VIRTUAL TABLE customer_name_terms USING fts5vocab(customer_name, 'row')")
    op.execute(f"CREATE TRIGGER customer_search_insert AFTER INSERT ON customer BEGIN {_insert('new')} END")
    op.execute(f"CREATE TRIGGER customer_search_update AFTER UPDATE OF first_name, last_name, email, phone, "
               f"customer_number ON customer BEGIN {_delete('old')} {_insert('new')} END")
    op.execute(f"CREATE TRIGGER customer_search_delete AFTER DELETE ON customer BEGIN {_delete('old')} END")
    op.execute(f"INSERT INTO customer_name (rowid, name) SELECT {_NAME.format(r='c')} FROM customer AS c")
    op.execute(f"INSERT INTO customer_contact (rowid, contact, phones) SELECT {_CONTACT.format(r='c')} "
               f"FROM customer AS c")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for trigger in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER customer_search_{trigger}")
    for table in ("customer_name_terms", "customer_contact", "customer_name"):
        op.execute(f"DROP TABLE {table}")
