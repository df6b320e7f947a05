import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from crm_tui.db import SchemaTooNew, open_database, resolve_url, write_session
from crm_tui.migrations.runner import current_revision, head_revision
from crm_tui.shop.operations import register_customer
from tests.conftest import REGISTRATION


@pytest.mark.sqlite_only
def test_an_empty_file_is_migrated_to_head_in_wal_mode(db_path):
    engine = open_database(str(db_path))
    assert current_revision(engine) == head_revision()
    tables = set(inspect(engine).get_table_names())
    assert {"customer", "product", "shop_order", "order_line", "callback_request", "contact_message",
            "staff", "audit_entry"} <= tables
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
    engine.dispose()


def test_reopening_an_existing_database_keeps_its_data(db_path):
    engine = open_database(str(db_path))
    with write_session(engine) as session:
        register_customer(session, REGISTRATION)
    engine.dispose()
    again = open_database(str(db_path))
    with again.connect() as conn:
        assert conn.execute(text("SELECT email FROM customer")).scalar() == "jose.garcia@example.com"
    assert current_revision(again) == head_revision()
    again.dispose()


@pytest.mark.sqlite_only
def test_an_unversioned_database_with_foreign_tables_is_migrated_alongside_them(db_path):
    with sqlite3.connect(db_path) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        conn.execute("INSERT INTO notes VALUES (1, 'kept')")
    engine = open_database(str(db_path))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT body FROM notes")).scalar() == "kept"
        assert conn.execute(text("SELECT count(*) FROM customer")).scalar() == 0
    engine.dispose()


@pytest.mark.sqlite_only
def test_a_database_from_a_newer_version_is_refused_untouched(db_path):
    open_database(str(db_path)).dispose()
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_future'")
    with pytest.raises(SchemaTooNew, match="newer version of crm-tui.*9999_future"):
        open_database(str(db_path))
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == ("9999_future",)


def test_db_accepts_a_path_a_url_or_the_environment(tmp_path, monkeypatch):
    assert resolve_url(str(tmp_path / "a.db")) == f"sqlite:///{tmp_path / 'a.db'}"
    assert resolve_url("postgresql+psycopg://u@localhost/shop") == "postgresql+psycopg://u@localhost/shop"
    monkeypatch.setenv("CRM_TUI_DB", str(tmp_path / "env.db"))
    assert resolve_url(None).endswith("env.db")
    monkeypatch.delenv("CRM_TUI_DB")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert Path(resolve_url(None).removeprefix("sqlite:///")).name == "shop.db"


def test_the_fast_path_knows_alembics_head():
    from crm_tui.migrations.runner import SCHEMA_HEAD

    assert SCHEMA_HEAD == head_revision()
