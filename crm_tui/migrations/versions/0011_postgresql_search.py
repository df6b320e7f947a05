"""PostgreSQL's customer search: token-prefix indexes with accents folded (unaccent + tsvector),
and trigram similarity for typos (pg_trgm)

Revision ID: 0011
Revises: 0010

Frozen: importing nothing from crm_tui. On SQLite this revision changes nothing (0002 made
SQLite's FTS5 indexes). Expression indexes over the customer's own columns: nothing to keep in
step, no trigger. The same tokens as SQLite's: names; e-mail and customer number split at every
non-alphanumeric; phones as the E.164 digits and their last 4 to 10 digits.
"""
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

FUNCTIONS = {
    # unaccent() is STABLE (its dictionary could change); pinned to its own dictionary it can index.
    "crm_fold(text)": (
        "CREATE FUNCTION crm_fold(value text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS "
        "$$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, value)) $$"),
    "crm_name(text, text)": (
        "CREATE FUNCTION crm_name(first_name text, last_name text) RETURNS text LANGUAGE sql IMMUTABLE "
        "PARALLEL SAFE AS $$ SELECT crm_fold(coalesce(first_name, '') || ' ' || coalesce(last_name, '')) $$"),
    "crm_name_tokens(text, text)": (
        "CREATE FUNCTION crm_name_tokens(first_name text, last_name text) RETURNS tsvector LANGUAGE sql IMMUTABLE "
        "PARALLEL SAFE AS $$ SELECT to_tsvector('simple'::regconfig, "
        "regexp_replace(crm_name(first_name, last_name), '[^[:alnum:]]+', ' ', 'g')) $$"),
    "crm_contact_tokens(text, text)": (
        "CREATE FUNCTION crm_contact_tokens(email text, customer_number text) RETURNS tsvector LANGUAGE sql "
        "IMMUTABLE PARALLEL SAFE AS $$ SELECT to_tsvector('simple'::regconfig, regexp_replace(crm_fold("
        "coalesce(email, '') || ' ' || coalesce(customer_number, '')), '[^[:alnum:]]+', ' ', 'g')) $$"),
    "crm_phone_tokens(text)": (
        "CREATE FUNCTION crm_phone_tokens(phone text) RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS "
        "$$ SELECT CASE WHEN phone IS NULL THEN ''::tsvector ELSE to_tsvector('simple'::regconfig, "
        "substr(phone, 2) || " + " || ".join(f"' ' || right(phone, {n})" for n in range(4, 11)) + ") END $$"),
}
INDEXES = {
    "ix_customer_name_tokens": "customer USING gin (crm_name_tokens(first_name, last_name))",
    "ix_customer_contact_tokens": "customer USING gin (crm_contact_tokens(email, customer_number))",
    "ix_customer_phone_tokens": "customer USING gin (crm_phone_tokens(phone))",
    "ix_customer_name_trigrams": "customer USING gin (crm_name(first_name, last_name) gin_trgm_ops)",
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public")
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
    for statement in FUNCTIONS.values():
        op.execute(statement)
    for name, target in INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON {target}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in INDEXES:
        op.execute(f"DROP INDEX {name}")
    for signature in reversed(FUNCTIONS):
        op.execute(f"DROP FUNCTION {signature}")
