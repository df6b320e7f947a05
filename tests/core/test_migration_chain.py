"""The migrations are frozen history: each holds its own DDL and imports nothing from crm_tui; a
database brought up one revision at a time works at every step and ends with the schema a fresh
database gets, and that schema holds every table and column the live models declare."""

import ast
import sqlite3
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlmodel import SQLModel

import crm_tui.models  # noqa: F401  (registers the CRM tables)
import crm_tui.shop.models  # noqa: F401  (registers the shop tables)
from crm_tui import rollups
from crm_tui.db import make_engine, open_database
from crm_tui.migrations.runner import MIGRATIONS_DIR, alembic_config

VERSIONS = MIGRATIONS_DIR / "versions"
pytestmark = pytest.mark.sqlite_only  # PostgreSQL's chain: test_postgres_migrations


def revisions_in_order() -> list[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


def migrate(target: Path | str, how: str, revision: str) -> None:
    """alembic upgrade/downgrade to `revision` on a connection, the way upgrade_to_head runs it;
    `target` a SQLite file or a database URL."""
    engine = make_engine(str(target) if "://" in str(target) else f"sqlite:///{target}")
    config = alembic_config()
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            getattr(command, how)(config, revision)
    finally:
        engine.dispose()


def version_of(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]


def schema(path: Path) -> dict:
    """Everything sqlite_master holds (tables, FTS virtual tables and their shadows, indexes,
    triggers with their SQL), and each table's columns, indexes and foreign keys as SQLite sees them."""
    conn = sqlite3.connect(path)
    try:
        dump = {}
        for type_, name, table, sql in conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master"):
            dump[(type_, name)] = {"table": table, "sql": " ".join((sql or "").split())}
            if type_ != "table":
                continue
            dump[(type_, name)] |= {
                # cid, name, type, notnull, default, pk, hidden
                "columns": conn.execute(f"PRAGMA table_xinfo('{name}')").fetchall(),
                # name, unique, origin, partial; and each index's columns
                "indexes": sorted((index[1:], conn.execute(f"PRAGMA index_xinfo('{index[1]}')").fetchall())
                                  for index in conn.execute(f"PRAGMA index_list('{name}')")),
                "foreign_keys": sorted(key[2:] for key in conn.execute(f"PRAGMA foreign_key_list('{name}')")),
            }
        return dump
    finally:
        conn.close()


def exercise_every_trigger(path: Path) -> None:
    """A customer registers, orders, has a line taken back and moves country, in a transaction
    rolled back: every trigger there is fires, so one that writes a missing table fails here."""
    conn = sqlite3.connect(path)
    try:
        now = "2026-11-20 10:30:00.000000"
        conn.execute(
            "INSERT INTO customer (id, customer_number, first_name, last_name, street, postcode, city, country, "
            "time_zone, preferred_language, registered_at, discount_percent, version, created_at, updated_at) "
            "VALUES (1, 'C1', 'Ana', 'Ruiz', 'Calle 1', '28013', 'Madrid', 'ES', 'Europe/Madrid', 'es', ?, 0, 1, ?, ?)",
            (now, now, now))
        conn.execute(
            "INSERT INTO product (id, sku, name, description, category, unit_price_cents, stock_quantity, "
            "low_stock_threshold, active, kind, created_at) VALUES (1, 'MUG', 'Mug', '', 'Kitchen', 450, 9, 2, 1, "
            "'product', ?)", (now,))
        conn.execute(
            "INSERT INTO shop_order (id, number, customer_id, placed_at, status, channel, discount_percent, "
            "subtotal_cents, discount_cents, total_cents) VALUES (1, 'O1', 1, ?, 'placed', 'web', 0, 1350, 0, 1350)",
            (now,))
        conn.executemany("INSERT INTO order_line (order_id, product_id, quantity, unit_price_cents, line_total_cents) VALUES (1, 1, ?, 450, ?)", [(1, 450), (2, 900)])
        conn.execute("DELETE FROM order_line WHERE quantity = 1")
        conn.execute("UPDATE customer SET country = 'FR', last_name = 'Ruiz Gil' WHERE id = 1")
        conn.rollback()
    finally:
        conn.close()


def test_a_database_built_one_revision_at_a_time_matches_a_fresh_one(tmp_path):
    stepped = tmp_path / "stepped.db"
    revisions = revisions_in_order()
    assert revisions[0] == "0001" and len(revisions) == len(list(VERSIONS.glob("*.py")))
    for revision in revisions:
        migrate(stepped, "upgrade", revision)
        assert version_of(stepped) == revision
        exercise_every_trigger(stepped)

    fresh = tmp_path / "fresh.db"
    open_database(str(fresh)).dispose()
    assert version_of(fresh) == revisions[-1]
    assert schema(stepped) == schema(fresh)


def test_the_rollup_revisions_go_down_and_up_again_to_the_same_schema(tmp_path):
    path = tmp_path / "shop.db"
    open_database(str(path)).dispose()
    at_head = schema(path)
    for revision in ("0008", "0006", "0005", "0004"):
        migrate(path, "downgrade", revision)
        assert version_of(path) == revision
        exercise_every_trigger(path)
    migrate(path, "upgrade", "head")
    assert schema(path) == at_head


@pytest.fixture(scope="module")
def head_schema(tmp_path_factory) -> dict:
    path = tmp_path_factory.mktemp("head") / "shop.db"
    open_database(str(path)).dispose()
    return schema(path)


@pytest.mark.parametrize("table", sorted(SQLModel.metadata.tables), ids=str)
def test_the_migrations_make_every_table_and_column_the_models_declare(head_schema, table):
    """A model changed without a migration fails here."""
    model = SQLModel.metadata.tables[table]
    assert ("table", table) in head_schema, f"no migration creates {table}"
    migrated = {column[1]: column for column in head_schema[("table", table)]["columns"]}
    for column in model.columns:
        assert column.name in migrated, f"no migration adds {table}.{column.name}"
        _, _, type_, not_null, default, _, _ = migrated[column.name]
        assert type_ == column.type.compile(dialect=sqlite_dialect.dialect()), f"{table}.{column.name}"
        assert bool(not_null) == (not column.nullable), f"{table}.{column.name} nullability"
        expected_default = None if column.server_default is None else f"'{column.server_default.arg}'"
        assert default == expected_default, f"{table}.{column.name} server default"
    indexes = {name: (bool(unique), [c[2] for c in columns if c[5]])  # name: unique, its key columns
               for (name, unique, *_), columns in head_schema[("table", table)]["indexes"]}
    for index in model.indexes:
        expected = (bool(index.unique), [c.name for c in index.columns])
        assert indexes.get(index.name) == expected, f"{table}: index {index.name}"


def test_the_names_the_live_rollup_code_uses_are_the_schemas(head_schema):
    assert {("table", name) for name in rollups.ALL_TABLES} <= set(head_schema)
    assert {("trigger", name) for name in rollups.BULK_TRIGGERS + rollups.MONTH_CUSTOMER_TRIGGERS} <= set(head_schema)


@pytest.mark.parametrize("migration", sorted(VERSIONS.glob("*.py")), ids=lambda path: path.name)
def test_a_migration_imports_nothing_from_crm_tui(migration):
    """What a revision did must not change when the live code does."""
    imported = []
    for node in ast.walk(ast.parse(migration.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            imported += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            imported.append("." * node.level + (node.module or ""))
    assert [name for name in imported if name.split(".")[0] in ("crm_tui", "")] == []


def test_0009_fills_the_service_figures_from_the_calls_already_made(tmp_path):
    path = tmp_path / "shop.db"
    migrate(path, "upgrade", "0008")
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO callback_request (id, phone, requested_at, window_from, window_to, time_zone, note, "
                     "source, status, attempts) VALUES (1, '+34600000001', '2026-11-20 10:00:00.000000', NULL, NULL, "
                     "'Europe/Madrid', '', 'web', 'done', 2)")
        for started, score, kind in (("2026-11-20 10:12:00.000000", None, None),
                                     ("2026-11-20 10:40:00.000000", 4, "complaint")):
            conn.execute("INSERT INTO callback_attempt (callback_id, staff_login, started_at, ended_at, outcome, note, "
                         "satisfaction, feedback_kind, feedback) VALUES (1, 'ana', ?, ?, 'resolved', '', ?, ?, '')",
                         (started, started, score, kind))
        conn.execute("INSERT INTO contact_message (name, email, text, kind, received_at) VALUES "
                     "('Old', 'old@example.org', 'from before the inbox', 'question', '2026-01-02 10:00:00.000000')")
    migrate(path, "upgrade", "0009")
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT status, closed_at FROM contact_message").fetchone() == (
            "closed", "2026-01-02 10:00:00.000000")  # dealt with before the inbox: not owed
        assert conn.execute("SELECT first_called_at, first_call_seconds FROM callback_request").fetchone() == (
            "2026-11-20 10:12:00.000000", 720)
        assert conn.execute("SELECT day, score, said, complaints FROM service_day").fetchall() == [
            ("2026-11-20", 4, 1, 1)]
        conn.execute("INSERT INTO callback_attempt (callback_id, staff_login, started_at, ended_at, outcome, note, "
                     "satisfaction, feedback_kind, feedback) VALUES (1, 'ana', '2026-11-20 11:00:00.000000', "
                     "'2026-11-20 11:05:00.000000', 'resolved', '', 4, NULL, '')")
        assert conn.execute("SELECT said, complaints FROM service_day").fetchall() == [(2, 1)]


def test_0017_counts_guest_orders_in_the_country_the_export_gave(tmp_path):
    path = tmp_path / "shop.db"
    migrate(path, "upgrade", "0016")

    def guest_order(conn, order_id: int, country: str | None) -> None:
        conn.execute("INSERT INTO shop_order (id, number, customer_id, placed_at, status, channel, discount_percent, "
                     "subtotal_cents, discount_cents, total_cents, country) VALUES (?, ?, NULL, "
                     "'2026-03-31 23:10:00.000000', 'placed', 'import', 0, 900, 0, 900, ?)",
                     (order_id, f"G{order_id}", country))
        conn.execute("INSERT INTO order_line (order_id, product_id, quantity, unit_price_cents, line_total_cents) "
                     "VALUES (?, 1, 2, 450, 900)", (order_id,))

    def by_country(conn) -> list:
        return [conn.execute(f"SELECT country, sum(net_cents) FROM {table} GROUP BY 1 ORDER BY 1").fetchall()
                for table in ("sales_day", "sales_product_day", "sales_product_month")]

    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO product (id, sku, name, description, category, unit_price_cents, stock_quantity, "
                     "low_stock_threshold, active, kind, created_at) VALUES (1, 'MUG', 'Mug', '', 'Kitchen', 450, 9, "
                     "2, 1, 'product', '2026-01-01 00:00:00.000000')")
        guest_order(conn, 1, "GB")
        guest_order(conn, 2, None)
        assert by_country(conn) == [[("", 1800)]] * 3  # before: every guest under ''
    migrate(path, "upgrade", "0017")
    with sqlite3.connect(path) as conn:
        assert by_country(conn) == [[("", 900), ("GB", 900)]] * 3
        guest_order(conn, 3, "FR")  # the triggers, too
        assert by_country(conn) == [[("", 900), ("FR", 900), ("GB", 900)]] * 3
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        before = [sorted(conn.exec_driver_sql(f"SELECT * FROM {t}").all()) for t in rollups.ALL_TABLES]
        rollups.rebuild(conn)
        assert [sorted(conn.exec_driver_sql(f"SELECT * FROM {t}").all()) for t in rollups.ALL_TABLES] == before
    engine.dispose()
    migrate(path, "downgrade", "0016")
    with sqlite3.connect(path) as conn:
        assert by_country(conn) == [[("", 2700)]] * 3
