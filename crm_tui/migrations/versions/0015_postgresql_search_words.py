"""PostgreSQL's customer search reads words from a B-tree: every name and contact word of every
customer, so a prefix finds its first customers without reading all of them

Revision ID: 0015
Revises: 0014

Frozen: importing nothing from crm_tui. On SQLite this revision changes nothing (FTS5 already
reads prefixes in order and stops at the limit).

0011's GIN indexes answer a prefix by building the bitmap of every match before the first row
is returned: 40 ms for "r" at 1,000,000 customers, 13 ms for three words, 11 ms for a phone
fragment (a 4-digit prefix spans thousands of its entries). Here each word is a
row, (kind, word, customer): 'n' the name's words, 'c' the e-mail's parts and the customer
number, 'p' the phone's digits and its last 4 to 10 digits: the same tokens as 0011's tsvectors. A prefix is an index range read up to the limit;
more words are checked through (customer, kind, word). Kept by statement-level triggers over
the changed rows (set-based: a bulk load writes its words in one statement).

Typos are corrected against the names' vocabulary (the distinct 'n' words), as on SQLite: 0011's
trigram index (pg_trgm word similarity, 172 ms p95 at 1,000,000 customers) is no longer read and
is dropped.
"""
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

WORDS = ("SELECT 'n'::\"char\" AS kind, w AS word, x.id AS customer_id FROM {rows} x, "
         "unnest(tsvector_to_array(crm_name_tokens(x.first_name, x.last_name))) w "
         "UNION SELECT 'c'::\"char\", w, x.id FROM {rows} x, "
         "unnest(tsvector_to_array(crm_contact_tokens(x.email, x.customer_number))) w "
         "UNION SELECT 'p'::\"char\", w, x.id FROM {rows} x, unnest(tsvector_to_array(crm_phone_tokens(x.phone))) w")
TABLE = ("CREATE TABLE customer_word (kind \"char\" NOT NULL, word text COLLATE \"C\" NOT NULL, "
         "customer_id integer NOT NULL, PRIMARY KEY (kind, word, customer_id))")
INDEX = "CREATE INDEX ix_customer_word_customer ON customer_word (customer_id, kind, word)"
# Only the customers whose words changed (a discount or consent edit leaves them alone).
CHANGED = ("(SELECT a.* FROM added a JOIN removed r ON r.id = a.id WHERE (a.first_name, a.last_name, a.email, "
           "a.customer_number, a.phone) IS DISTINCT FROM (r.first_name, r.last_name, r.email, r.customer_number, "
           "r.phone))")
# SECURITY DEFINER: staff write customers, never this table directly.
FUNCTIONS = {
    "crm_customer_words_added()": (
        "CREATE FUNCTION crm_customer_words_added() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER "
        "SET search_path = public, pg_temp AS $$ BEGIN "
        f"INSERT INTO customer_word {WORDS.format(rows='added')} ON CONFLICT DO NOTHING; RETURN NULL; END $$"),
    "crm_customer_words_changed()": (
        "CREATE FUNCTION crm_customer_words_changed() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER "
        "SET search_path = public, pg_temp AS $$ BEGIN "
        f"DELETE FROM customer_word w USING {CHANGED} x WHERE w.customer_id = x.id; "
        f"INSERT INTO customer_word {WORDS.format(rows=CHANGED)} ON CONFLICT DO NOTHING; RETURN NULL; END $$"),
    "crm_customer_words_removed()": (
        "CREATE FUNCTION crm_customer_words_removed() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER "
        "SET search_path = public, pg_temp AS $$ BEGIN "
        "DELETE FROM customer_word w USING removed r WHERE w.customer_id = r.id; RETURN NULL; END $$"),
}
TRIGGERS = {
    "crm_customer_words_insert": "AFTER INSERT ON customer REFERENCING NEW TABLE AS added FOR EACH STATEMENT "
                                 "EXECUTE FUNCTION crm_customer_words_added()",
    "crm_customer_words_update": "AFTER UPDATE ON customer REFERENCING OLD TABLE AS removed NEW TABLE AS added "
                                 "FOR EACH STATEMENT EXECUTE FUNCTION crm_customer_words_changed()",
    "crm_customer_words_delete": "AFTER DELETE ON customer REFERENCING OLD TABLE AS removed FOR EACH STATEMENT "
                                 "EXECUTE FUNCTION crm_customer_words_removed()",
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(TABLE)
    op.execute(f"INSERT INTO customer_word {WORDS.format(rows='customer')}")
    op.execute(INDEX)
    for statement in FUNCTIONS.values():
        op.execute(statement)
    for name, definition in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {definition}")
    op.execute("DROP INDEX ix_customer_name_trigrams")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE INDEX ix_customer_name_trigrams ON customer USING gin (crm_name(first_name, last_name) "
               "gin_trgm_ops)")
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER {name} ON customer")
    for signature in FUNCTIONS:
        op.execute(f"DROP FUNCTION {signature}")
    op.execute("DROP TABLE customer_word")
