"""The database file: private when made, a warning when others can read it, a demo that never
replaces a shop, impersonation only on a demo, and a backup taken while another process writes."""

import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crm_tui.cli import app
from tests.conftest import act_as
from tests.import_helpers import SAMPLES, add_ops, run_import

runner = CliRunner()
AS_OF = "2026-11-01T10:00"


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def digest(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture
def demo_db(tmp_path, monkeypatch) -> Path:
    act_as(monkeypatch, "boss")
    path = tmp_path / "demo.db"
    assert run("demo", "--db", path, "--customers", "40", "--as-of", AS_OF).exit_code == 0
    return path


def test_a_new_database_is_private_to_its_owner(tmp_path, monkeypatch):
    act_as(monkeypatch, "boss")
    path = tmp_path / "calls" / "centre" / "shop.db"
    assert run("staff", "add", "boss", "--role", "supervisor", "--db", path).exit_code == 0
    assert path.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "calls").stat().st_mode & 0o777 == 0o700
    assert path.parent.stat().st_mode & 0o777 == 0o700
    for extra in ("-wal", "-shm"):
        side = path.with_name(path.name + extra)
        assert not side.exists() or side.stat().st_mode & 0o077 == 0


def test_a_database_others_can_read_is_warned_about(tmp_path, monkeypatch):
    act_as(monkeypatch, "boss")
    path = tmp_path / "shop.db"
    run("staff", "add", "boss", "--role", "supervisor", "--db", path)
    assert "can be read by every user" not in run("staff", "list", "--db", path).output
    path.chmod(0o644)
    warned = run("staff", "list", "--db", path)
    assert warned.exit_code == 0 and "can be read by every user of this machine" in warned.output
    assert "chmod 600" in warned.output


def test_demo_force_never_replaces_a_shops_database(tmp_path, monkeypatch):
    db = str(tmp_path / "shop.db")
    act_as(monkeypatch, "ops1")
    monkeypatch.chdir(tmp_path)  # where the import leaves its reject file
    add_ops(db)
    assert run_import(db, str(SAMPLES / "lines" / "online_retail_sample.csv"))[0] == 0
    before = digest(db)
    for login in ("ops1", "anyone"):
        act_as(monkeypatch, login)
        refused = run("demo", "--db", db, "--customers", "20", "--force")
        assert refused.exit_code == 1 and "is not a demo database" in refused.output
        assert digest(db) == before
    not_a_database = tmp_path / "notes.db"
    not_a_database.write_text("my notes")
    refused = run("demo", "--db", not_a_database, "--customers", "20", "--force")
    assert refused.exit_code == 1 and not_a_database.read_text() == "my notes"


HOLD_OPEN = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
print(conn.execute("SELECT count(*) FROM customer").fetchone()[0], flush=True)
sys.stdin.readline()
print(conn.execute("SELECT count(*) FROM customer").fetchone()[0], flush=True)
"""


def test_demo_force_replaces_a_demo_atomically_under_an_open_connection(demo_db):
    reader = subprocess.Popen([sys.executable, "-c", HOLD_OPEN, str(demo_db)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout.readline().strip() == "40"
        replaced = run("demo", "--db", demo_db, "--customers", "60", "--seed", "9", "--as-of", AS_OF, "--force")
        assert replaced.exit_code == 0, replaced.output
        reader.stdin.write("\n")
        reader.stdin.flush()
        assert reader.stdout.readline().strip() == "60"  # the open connection sees the new demo, whole
    finally:
        reader.kill()
        reader.wait()
    with sqlite3.connect(demo_db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT value FROM database_fact WHERE name = 'demo'").fetchone()[0] == "yes"
    assert not [p for p in demo_db.parent.iterdir() if ".demo-" in p.name]


def test_impersonation_works_only_on_a_demo(demo_db, tmp_path, monkeypatch):
    as_agent = run("--as", "ana", "--db", demo_db, "report", "monthly")
    assert as_agent.exit_code == 1 and "ana may not run reports" in as_agent.output
    assert run("--as", "ana", "--db", demo_db, "callbacks", "list").exit_code == 0
    shop = str(tmp_path / "shop.db")
    act_as(monkeypatch, "ops1")
    add_ops(shop)
    refused = run("--as", "ops1", "--db", shop, "staff", "list")
    assert refused.exit_code == 1 and "--as works only on a demo database" in refused.output
    from crm_tui.app import ConsoleRefused, make_app
    from crm_tui.settings import Settings

    with pytest.raises(ConsoleRefused, match="only on a demo"):
        make_app(Settings(db=shop, login="ops1"), impersonate="ops1")
    assert make_app(Settings(db=str(demo_db), login="boss"), impersonate="ana").context.staff.login == "ana"


WRITER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
n = 0
print("writing", flush=True)
while True:
    n += 1
    conn.execute("INSERT INTO callback_request (phone, requested_at, time_zone, note, source, status, attempts) "
                 "VALUES (?, datetime('now'), 'Europe/Madrid', '', 'test', 'pending', 0)", (f"+3460{n:07d}",))
    print(n, flush=True)
"""


def test_a_backup_taken_while_another_process_writes_is_whole_and_checked(demo_db, tmp_path):
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(demo_db)], stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "writing"
        committed_before = int(writer.stdout.readline())
        copy = tmp_path / "backups" / "shop-copy.db"
        done = run("--db", demo_db, "backup", "--out", copy)
        assert done.exit_code == 0, done.output
    finally:
        writer.kill()
        writer.wait()
    assert "integrity ok" in done.output and "To restore" in done.output
    assert copy.stat().st_mode & 0o777 == 0o600
    with sqlite3.connect(copy) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        phones = {p for (p,) in conn.execute("SELECT phone FROM callback_request WHERE source = 'test'")}
    assert {f"+3460{n:07d}" for n in range(1, committed_before + 1)} <= phones
    again = run("--db", demo_db, "backup", "--out", copy)
    assert again.exit_code == 1 and "already exists" in again.output


def test_only_supervisors_and_ops_back_up(demo_db, tmp_path):
    refused = run("--as", "ana", "--db", demo_db, "backup", "--out", tmp_path / "x.db")
    assert refused.exit_code == 1 and "not for your role" in refused.output
    assert not (tmp_path / "x.db").exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to pretend another owner")
def test_only_the_owner_replaces_a_demo(demo_db, monkeypatch):
    monkeypatch.setattr("crm_tui.db.os.geteuid", lambda: 4242)
    refused = run("demo", "--db", demo_db, "--customers", "20", "--force")
    assert refused.exit_code == 1 and "belongs to another user" in refused.output


def test_files_the_commands_write_are_private_and_never_follow_a_link(demo_db, tmp_path):
    report = tmp_path / "top.csv"
    assert run("--db", demo_db, "report", "top-customers", "--format", "csv", "--out", report).exit_code == 0
    export = tmp_path / "champions.csv"
    assert run("--db", demo_db, "marketing", "export", "--segment", "champion", "--channel", "email",
               "--out", export).exit_code == 0
    person = tmp_path / "person.json"
    person.write_text("old")
    person.chmod(0o644)
    elsewhere = tmp_path / "elsewhere.json"
    link = tmp_path / "link.json"
    link.symlink_to(elsewhere)
    with sqlite3.connect(demo_db) as conn:
        number = conn.execute("SELECT customer_number FROM customer ORDER BY id LIMIT 1").fetchone()[0]
    for target in (person, link):
        assert run("--db", demo_db, "privacy", "export", number, "--out", target).exit_code == 0
    for path in (report, export, person, link):
        assert not path.is_symlink() and path.stat().st_mode & 0o777 == 0o600, path
    assert not elsewhere.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]
