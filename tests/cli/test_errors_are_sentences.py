"""Every failure a user can meet is one line that says what happened and what to do: exit 1,
no traceback, the database unchanged (and under --json, {"error": ...} on stdout)."""

import hashlib
import json
import multiprocessing
import os
import sqlite3
import subprocess
import sys
import time

import pytest
from sqlalchemy import Engine, event
from typer.testing import CliRunner

from bench.retail_export import write_export
from crm_tui.cli import app
from tests.import_helpers import SAMPLES, table_counts

runner = CliRunner()
EXPORT = str(SAMPLES / "lines" / "online_retail_sample.csv")


def digest(path) -> str:
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def one_sentence(result, *words: str) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception,
                                                                                         SystemExit)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def test_a_directory_is_named_as_a_directory(db, tmp_path):
    before = table_counts(db)
    result = runner.invoke(app, ["import", str(tmp_path), "--db", db, "--json"])
    one_sentence(result, "is a directory")
    assert json.loads(result.stdout)["error"].endswith("name the export files in it")
    assert table_counts(db) == before


def test_a_file_that_is_not_a_database_is_left_alone(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("shopping list: milk, eggs\n" * 100)
    before = digest(path)
    for command in (["staff", "list"], ["import", EXPORT], ["callbacks", "list", "--json"]):
        one_sentence(runner.invoke(app, [*command, "--db", str(path)]), "not a crm-tui database")
    assert digest(path) == before


def test_shop_tables_without_a_schema_version_are_refused_untouched(tmp_path):
    path = tmp_path / "shop.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE customer (id INTEGER PRIMARY KEY, name TEXT)")
        conn.execute("INSERT INTO customer (name) VALUES ('Ana')")
    before = digest(path)
    one_sentence(runner.invoke(app, ["staff", "list", "--db", str(path)]), "no crm-tui schema version")
    assert digest(path) == before


HOLD_LOCK = """
import select, sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
select.select([], [], [], float(sys.argv[2]))  # time.sleep fails under libfaketime
conn.execute("ROLLBACK")
"""


def hold_write_lock(db: str, seconds: float) -> subprocess.Popen:
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, db, str(seconds)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    return holder


@pytest.mark.sqlite_only
def test_a_write_lock_held_past_the_limit_fails_the_import_in_one_line(db, monkeypatch):
    monkeypatch.setenv("CRM_TUI_LOCK_TIMEOUT", "0.5")
    before = table_counts(db)
    holder = hold_write_lock(db, 5)
    try:
        started = time.monotonic()
        result = runner.invoke(app, ["import", EXPORT, "--db", db, "--json"])
        assert time.monotonic() - started < 4
    finally:
        holder.kill()
        holder.wait()
    one_sentence(result, "locked for writing past the time limit", "nothing was written")
    assert "locked" in json.loads(result.stdout)["error"]
    assert table_counts(db) == before


@pytest.mark.postgresql_only
def test_a_lock_held_past_the_limit_on_postgresql_fails_the_import_in_one_line(db, monkeypatch):
    """Another session holds the order table: the import waits lock_timeout, then says so."""
    import psycopg
    from sqlalchemy.engine import make_url

    monkeypatch.setenv("CRM_TUI_LOCK_TIMEOUT", "0.5")
    before = table_counts(db)
    url = make_url(db)
    with psycopg.connect(host=url.host, port=url.port, user=url.username, dbname=url.database) as holder:
        holder.execute("LOCK TABLE shop_order IN ACCESS EXCLUSIVE MODE")
        started = time.monotonic()
        result = runner.invoke(app, ["import", EXPORT, "--db", db, "--json"])
        assert time.monotonic() - started < 4
        holder.rollback()
    one_sentence(result, "locked for writing past the time limit", "nothing was written")
    assert table_counts(db) == before


def test_a_bad_lock_timeout_names_the_variable(db, monkeypatch):
    monkeypatch.setenv("CRM_TUI_LOCK_TIMEOUT", "soon")
    one_sentence(runner.invoke(app, ["staff", "list", "--db", db]), "CRM_TUI_LOCK_TIMEOUT")


@pytest.fixture
def full_disk():
    """SQLite answers SQLITE_FULL once the file would grow past its current size (the disk is
    'full'), for every connection this process opens while the fixture lasts."""
    def cap(dbapi_connection, _record):
        pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count = {max(pages, 1)}")

    event.listen(Engine, "connect", cap)
    yield
    event.remove(Engine, "connect", cap)


@pytest.mark.sqlite_only
def test_a_full_disk_fails_the_import_in_one_line_and_writes_nothing(db, tmp_path, full_disk):
    export = write_export(tmp_path / "export.csv", 5_000, seed=1)
    before = table_counts(db)
    result = runner.invoke(app, ["import", str(export), "--db", db, "--no-refresh"])
    one_sentence(result, "disk", "nothing was written")
    assert table_counts(db) == before


@pytest.fixture
def dying_reader():
    """The import's reader process (forked, so it inherits this hook) dies as it connects."""
    def die(_dbapi_connection, _record):
        if multiprocessing.current_process().name == "crm-tui-import-reader":
            os._exit(9)

    event.listen(Engine, "connect", die)
    yield
    event.remove(Engine, "connect", die)


def test_a_dying_reader_process_is_one_sentence_and_writes_nothing(db, dying_reader):
    before = table_counts(db)
    result = runner.invoke(app, ["import", EXPORT, "--db", db, "--no-refresh", "--json"])
    one_sentence(result, "reader process died", "nothing was written")
    assert table_counts(db) == before
