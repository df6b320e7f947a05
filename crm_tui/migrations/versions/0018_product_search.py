"""products found by the words of their names, in any order

Revision ID: 0018
Revises: 0017

Frozen: importing nothing from crm_tui.

The phone order found products by a literal substring of the name: "heart hanging" or a name
written with two spaces missed. SQLite: an FTS5 index of the names (product_search, external
content over product, accents and case folded), kept by triggers. PostgreSQL: a GIN index of
the names' words, folded as the customer search folds them (crm_fold, 0011), split at every
character that is not a letter or digit.
"""
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

SQLITE = (
    "CREATE VIRTUAL TABLE product_search USING fts5(name, content='product', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER product_search_insert AFTER INSERT ON product BEGIN "
    "INSERT INTO product_search (rowid, name) VALUES (NEW.id, NEW.name); END",
    "CREATE TRIGGER product_search_delete AFTER DELETE ON product BEGIN "
    "INSERT INTO product_search (product_search, rowid, name) VALUES ('delete', OLD.id, OLD.name); END",
    "CREATE TRIGGER product_search_update AFTER UPDATE OF name ON product WHEN OLD.name IS NOT NEW.name BEGIN "
    "INSERT INTO product_search (product_search, rowid, name) VALUES ('delete', OLD.id, OLD.name); "
    "INSERT INTO product_search (rowid, name) VALUES (NEW.id, NEW.name); END",
    "INSERT INTO product_search (product_search) VALUES ('rebuild')",
)
# Every run of letters and digits a word, as SQLite's tokenizer splits them ("RED/WHITE", "3.5").
POSTGRES_INDEX = ("CREATE INDEX ix_product_name_words ON product USING gin (to_tsvector('simple'::regconfig, "
                  "regexp_replace(crm_fold(name), '[^[:alnum:]]+', ' ', 'g')))")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_INDEX)
        return
    for statement in SQLITE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_product_name_words")
        return
    for trigger in ("product_search_insert", "product_search_delete", "product_search_update"):
        op.execute(f"DROP TRIGGER {trigger}")
    op.execute("DROP TABLE product_search")
