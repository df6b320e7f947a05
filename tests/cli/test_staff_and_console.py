"""Staff management and who may open the console: identity from the operating system, the
first member added by the database's owner, nobody above their own role or cap."""

import json
import os
import sqlite3

import pytest
from typer.testing import CliRunner

from crm_tui.cli import app
from tests.conftest import act_as

runner = CliRunner()


@pytest.fixture
def db(tmp_path, monkeypatch):
    """A new database whose first member, boss, is a supervisor."""
    act_as(monkeypatch, "boss")
    path = str(tmp_path / "shop.db")
    assert run("staff", "add", "boss", "--role", "supervisor", "--db", path).exit_code == 0
    return path


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def staff_rows(db: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT login, role, discount_cap_percent, active FROM staff ORDER BY login").fetchall()


def test_staff_add_list_disable_enable(db):
    assert run("staff", "add", "ana", "--role", "agent", "--name", "Ana Ruiz", "--db", db).exit_code == 0
    result = run("staff", "add", "sara", "--role", "supervisor", "--discount-cap", "25", "--db", db)
    assert result.exit_code == 0 and "discount cap 25 %" in result.output
    listed = json.loads(run("staff", "list", "--json", "--db", db).output)
    assert [(m["login"], m["role"], m["discount_cap_percent"], m["active"]) for m in listed] == [
        ("ana", "agent", 10, True), ("boss", "supervisor", 30, True), ("sara", "supervisor", 25, True)]
    assert run("staff", "disable", "ana", "--db", db).exit_code == 0
    table = run("staff", "list", "--db", db).output
    assert "Ana Ruiz" in table and "no" in table
    assert run("staff", "enable", "ana", "--db", db).exit_code == 0
    assert ("ana", "agent", 10, 1) in staff_rows(db)


def test_staff_changes_are_audited_with_who_did_them(db):
    run("staff", "add", "ana", "--role", "agent", "--db", db)
    run("staff", "disable", "ana", "--db", db)
    run("staff", "enable", "ana", "--db", db)
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT staff_login, field, old_value, new_value FROM audit_entry ORDER BY id").fetchall()
    assert ("boss", "role", None, "agent") in rows
    assert ("boss", "active", "True", "False") in rows and ("boss", "active", "False", "True") in rows


def test_the_environment_variable_picks_the_database(db, monkeypatch):
    monkeypatch.setenv("CRM_TUI_DB", db)
    assert runner.invoke(app, ["staff", "add", "ana", "--role", "agent"]).exit_code == 0
    assert "ana" in run("staff", "list", "--db", db).output


@pytest.mark.parametrize("args,message", [
    (["staff", "add", "ana", "--role", "boss"], "not a role"),
    (["staff", "add", "ana", "--role", "agent", "--discount-cap", "150"], "between 0 and 100"),
    (["staff", "disable", "ghost"], "not staff"),
    (["staff", "enable", "ghost"], "not staff"),
])
def test_staff_refusals(db, args, message):
    result = run(*args, "--db", db)
    assert result.exit_code == 1
    assert message in result.output


def test_adding_the_same_login_twice_is_refused(db):
    run("staff", "add", "ana", "--role", "agent", "--db", db)
    result = run("staff", "add", "ana", "--role", "agent", "--db", db)
    assert result.exit_code == 1 and "already staff" in result.output


def test_the_first_member_is_added_by_the_files_owner_as_supervisor_or_ops(tmp_path, monkeypatch):
    act_as(monkeypatch, "boss")
    path = str(tmp_path / "shop.db")
    refused = run("staff", "add", "ana", "--role", "agent", "--db", path)  # makes the database, owned by root
    assert refused.exit_code == 1 and "must be a supervisor or ops" in refused.output
    monkeypatch.setattr("crm_tui.db.os.geteuid", lambda: 4242)  # someone who does not own the file
    refused = run("staff", "add", "boss", "--role", "supervisor", "--db", path)
    assert refused.exit_code == 1 and "does not own this database" in refused.output
    assert staff_rows(path) == []
    monkeypatch.undo()
    act_as(monkeypatch, "boss")
    assert run("staff", "add", "boss", "--role", "ops", "--db", path).exit_code == 0


def test_nobody_grants_above_their_own_role_or_cap(db, monkeypatch):
    run("staff", "add", "ana", "--role", "agent", "--db", db)
    run("staff", "add", "olga", "--role", "ops", "--db", db)
    assert "cannot grant" not in run("staff", "add", "sara", "--role", "supervisor", "--db", db).output
    too_much = run("staff", "add", "rich", "--role", "supervisor", "--discount-cap", "50", "--db", db)
    assert too_much.exit_code == 1 and "up to their own, 30 %" in too_much.output
    act_as(monkeypatch, "ana")
    for args in (["staff", "add", "eve", "--role", "agent"], ["staff", "disable", "boss"], ["staff", "enable", "ana"],
                 ["staff", "list"]):
        refused = run(*args, "--db", db)
        assert refused.exit_code == 1 and "not for your role" in refused.output, args
    act_as(monkeypatch, "olga")  # ops: discount cap 0
    capped = run("staff", "add", "eve", "--role", "agent", "--db", db)
    assert capped.exit_code == 1 and "give --discount-cap" in capped.output
    assert run("staff", "add", "eve", "--role", "agent", "--discount-cap", "0", "--db", db).exit_code == 0
    assert "rich" not in {row[0] for row in staff_rows(db)}


def test_nobody_disables_themselves_or_the_last_supervisor(db, monkeypatch):
    last = run("staff", "disable", "boss", "--db", db)
    assert last.exit_code == 1 and "last active supervisor or ops" in last.output
    run("staff", "add", "sara", "--role", "supervisor", "--db", db)
    itself = run("staff", "disable", "boss", "--db", db)
    assert itself.exit_code == 1 and "cannot disable themselves" in itself.output
    act_as(monkeypatch, "sara")
    assert run("staff", "disable", "boss", "--db", db).exit_code == 0  # sara still manages staff
    last = run("staff", "disable", "sara", "--db", db)
    assert last.exit_code == 1 and "last active supervisor or ops" in last.output
    assert [(login, active) for login, _, _, active in staff_rows(db)] == [("boss", 0), ("sara", 1)]


def test_ops_cannot_add_or_lock_out_a_supervisor(db, monkeypatch):
    run("staff", "add", "olga", "--role", "ops", "--db", db)
    act_as(monkeypatch, "olga")
    for args in (["staff", "add", "sup2", "--role", "supervisor", "--discount-cap", "0"], ["staff", "disable", "boss"]):
        refused = run(*args, "--db", db)
        assert refused.exit_code == 1 and "ops and cannot" in refused.output, args
    assert [(login, active) for login, _, _, active in staff_rows(db)] == [("boss", 1), ("olga", 1)]


def test_a_mistyped_database_is_not_created(tmp_path, monkeypatch):
    act_as(monkeypatch, "boss")
    typo = tmp_path / "shpo.db"
    for args in (["report", "monthly"], ["staff", "list"], ["backup", "--out", str(tmp_path / "b.db")], []):
        refused = run(*args, "--db", typo)
        assert refused.exit_code == 1 and "There is no database at" in refused.output, args
        assert not typo.exists()
    for args in (["staff", "add", "boss", "--role", "boss"], ["--as", "x", "staff", "add", "boss", "--role", "ops"]):
        refused = run(*args, "--db", typo)
        assert refused.exit_code == 1 and not typo.exists(), args
    empty = run("staff", "add", "ana", "--role", "agent", "--db", tmp_path / "new.db")
    assert empty.exit_code == 1 and "first staff member must be a supervisor or ops" in empty.output


def test_usage_errors_exit_2(db):
    assert run("staff", "add", "--db", db).exit_code == 2
    assert run("--lang", "fr", "--db", db).exit_code == 2


def test_an_unknown_login_cannot_open_the_console(db, monkeypatch):
    act_as(monkeypatch, "stranger")
    result = run("--db", db)
    assert result.exit_code == 1
    assert "'stranger' is not registered as staff" in result.output
    assert "crm-tui staff add stranger --role agent" in result.output


def test_a_disabled_login_cannot_open_the_console_and_is_told_how_to_come_back(db, monkeypatch):
    run("staff", "add", "ana", "--role", "agent", "--db", db)
    run("staff", "disable", "ana", "--db", db)
    act_as(monkeypatch, "ana")
    result = run("--db", db)
    assert result.exit_code == 1 and "'ana' is disabled" in result.output and "staff enable ana" in result.output


def test_the_identity_is_the_operating_systems_not_the_environments(tmp_path, monkeypatch):
    from crm_tui.settings import os_login

    for variable in ("LOGNAME", "USER", "LNAME", "USERNAME", "CRM_TUI_LOGIN"):
        monkeypatch.setenv(variable, "sup")
    import pwd

    assert os_login() == pwd.getpwuid(os.geteuid()).pw_name != "sup"


def test_a_too_new_database_is_refused_by_every_command(db):
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE alembic_version SET version_num='9999'")
    for args in (["staff", "list"], []):
        result = run(*args, "--db", db)
        assert result.exit_code == 1 and "newer version of crm-tui" in result.output
