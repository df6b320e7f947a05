"""kill -9 in the middle of an import leaves the database as it was; a rerun completes."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.retail_export import write_export
from crm_tui.settings import os_login
from tests.import_helpers import add_ops, query, scalar, table_counts

LINES = 200_000


@pytest.fixture(scope="module")
def big_export(tmp_path_factory) -> Path:
    return write_export(tmp_path_factory.mktemp("export") / "export.csv", LINES, seed=3)


def import_holds_the_write_lock(db: str) -> bool:
    """True while another process holds SQLite's write lock (PostgreSQL: a write lock on the order
    tables), i.e. its import is mid-transaction."""
    if "://" in db:
        return query(db, "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE "
                         "c.relname IN ('shop_order', 'order_line') AND l.mode = 'RowExclusiveLock' "
                         "AND l.pid <> pg_backend_pid()")[0][0] > 0
    conn = sqlite3.connect(db, timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError as exc:
        assert "locked" in str(exc)
        return True
    finally:
        conn.close()


# Killed at once and a moment later; on PostgreSQL once (the server, not a file, undoes the rest).
def sessions(db: str) -> list:
    """What every other session of the database is doing (PostgreSQL), or SQLite's lock state."""
    if "://" not in db:
        return [("write lock held", import_holds_the_write_lock(db))]
    return query(db, "SELECT pid, state, wait_event_type, wait_event, left(query, 120), "
                     "(SELECT string_agg(mode || ' ' || relation::regclass::text, ', ') FROM pg_locks l "
                     " WHERE l.pid = a.pid AND l.relation IS NOT NULL) "
                     "FROM pg_stat_activity a WHERE datname = current_database() AND pid <> pg_backend_pid()")


@pytest.mark.parametrize("delay", [0.2, pytest.param(1.5, marks=pytest.mark.sqlite_only)])
def test_kill_9_mid_import_changes_nothing_and_a_rerun_completes(db_path, big_export, monkeypatch, delay):
    db = str(db_path)
    # The import runs in a process of its own: as this machine's login (PostgreSQL: the role it connects as).
    add_ops(db, os_login() if "://" not in db else "postgres")
    before = table_counts(db)
    env = os.environ
    command = [sys.executable, "-m", "crm_tui", "import", str(big_export), "--db", db, "--json"]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not import_holds_the_write_lock(db):
        assert proc.poll() is None and time.monotonic() < deadline, "the import never started writing"
        time.sleep(0.01)
    time.sleep(delay)
    assert import_holds_the_write_lock(db), "the import finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL

    assert table_counts(db) == before
    try:
        rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"the rerun hung; the database's sessions: {sessions(db)}") from None
    assert rerun.returncode == 0, rerun.stderr
    summary = json.loads(rerun.stdout)
    lines = big_export.read_text(encoding="utf-8").splitlines()[1:]
    rows = len(lines)
    # The warehouse's stock adjustments (negative, no price, not a cancellation) are the only rejects.
    adjustments = sum(1 for line in lines if ",0.00,," in line and ",-" in line and not line.startswith("C"))
    assert summary["rows_read"] == rows
    assert summary["imported"] + summary["duplicates"] + summary["rejected"] == rows
    assert summary["rejected"] == adjustments > 0
    assert scalar(db, "SELECT count(*) FROM order_line") == summary["imported"]
