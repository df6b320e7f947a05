import json

import pytest
from typer.testing import CliRunner

from crm_tui.cli import app

runner = CliRunner()


@pytest.fixture
def db(tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_TUI_LOGIN", "boss")
    return str(tmp_path / "shop.db")


def run(*args):
    return runner.invoke(app, list(args))


def test_staff_add_list_disable(db):
    assert run("staff", "add", "ana", "--role", "agent", "--name", "Ana Ruiz", "--db", db).exit_code == 0
    result = run("staff", "add", "sara", "--role", "supervisor", "--discount-cap", "25", "--db", db)
    assert result.exit_code == 0 and "discount cap 25 %" in result.output
    listed = json.loads(run("staff", "list", "--json", "--db", db).output)
    assert [(m["login"], m["role"], m["discount_cap_percent"], m["active"]) for m in listed] == [
        ("ana", "agent", 10, True), ("sara", "supervisor", 25, True)]
    assert run("staff", "disable", "ana", "--db", db).exit_code == 0
    table = run("staff", "list", "--db", db).output
    assert "Ana Ruiz" in table and "no" in table


def test_staff_changes_are_audited_with_who_did_them(db):
    from sqlalchemy import text

    from crm_tui.db import open_database

    run("staff", "add", "ana", "--role", "agent", "--db", db)
    run("staff", "disable", "ana", "--db", db)
    with open_database(db).connect() as conn:
        rows = conn.execute(text("SELECT staff_login, field, old_value, new_value FROM audit_entry ORDER BY id")).all()
    assert ("boss", "active", "True", "False") in rows
    assert ("boss", "role", None, "agent") in rows


def test_the_environment_variable_picks_the_database(db, monkeypatch):
    monkeypatch.setenv("CRM_TUI_DB", db)
    assert runner.invoke(app, ["staff", "add", "ana", "--role", "ops"]).exit_code == 0
    assert "ana" in run("staff", "list", "--db", db).output


@pytest.mark.parametrize("args,message", [
    (["staff", "add", "ana", "--role", "boss"], "not a role"),
    (["staff", "add", "ana", "--role", "agent", "--discount-cap", "150"], "between 0 and 100"),
    (["staff", "disable", "ghost"], "not staff"),
])
def test_staff_refusals(db, args, message):
    result = run(*args, "--db", db)
    assert result.exit_code == 1
    assert message in result.output


def test_adding_the_same_login_twice_is_refused(db):
    run("staff", "add", "ana", "--role", "agent", "--db", db)
    result = run("staff", "add", "ana", "--role", "agent", "--db", db)
    assert result.exit_code == 1 and "already staff" in result.output


def test_usage_errors_exit_2(db):
    assert run("staff", "add", "--db", db).exit_code == 2
    assert run("--lang", "fr", "--db", db).exit_code == 2


def test_an_unknown_login_cannot_open_the_console(db, monkeypatch):
    monkeypatch.setenv("CRM_TUI_LOGIN", "stranger")
    result = run("--db", db)
    assert result.exit_code == 1
    assert "'stranger' is not registered as staff" in result.output
    assert "crm-tui staff add stranger" in result.output


def test_a_disabled_login_cannot_open_the_console(db, monkeypatch):
    run("staff", "add", "ana", "--role", "agent", "--db", db)
    run("staff", "disable", "ana", "--db", db)
    monkeypatch.setenv("CRM_TUI_LOGIN", "ana")
    result = run("--db", db)
    assert result.exit_code == 1 and "'ana' is disabled" in result.output


def test_a_too_new_database_is_refused_by_every_command(db):
    import sqlite3

    run("staff", "add", "ana", "--role", "agent", "--db", db)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE alembic_version SET version_num='9999'")
    for args in (["staff", "list"], []):
        result = run(*args, "--db", db)
        assert result.exit_code == 1 and "newer version of crm-tui" in result.output


def test_demo_registers_the_login_as_supervisor_and_refuses_to_overwrite(db):
    result = run("demo", "--db", db, "--customers", "50", "--seed", "3")
    assert result.exit_code == 0, result.output
    assert "50 customers" in result.output
    staff = {m["login"]: m["role"] for m in json.loads(run("staff", "list", "--json", "--db", db).output)}
    assert staff["boss"] == "supervisor" and staff["ana"] == "agent"
    again = run("demo", "--db", db, "--customers", "50")
    assert again.exit_code == 1 and "--force" in again.output
    forced = run("demo", "--db", db, "--customers", "60", "--force")
    assert forced.exit_code == 0 and "60 customers" in forced.output
