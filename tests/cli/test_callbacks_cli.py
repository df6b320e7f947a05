import json

from typer.testing import CliRunner

from crm_tui.cli import app

runner = CliRunner()


def test_add_and_list_callbacks(db):
    added = runner.invoke(app, ["callbacks", "add", "699 12 34 56", "--note", "quiere devolver", "--db", db])
    assert added.exit_code == 0 and "+34699123456" in added.output and "as soon as possible" in added.output
    scheduled = runner.invoke(app, ["callbacks", "add", "+44 7911 123456", "--at", "2099-01-05 18:00", "--db", db])
    assert scheduled.exit_code == 0 and "window 2099-01-05" in scheduled.output
    listed = json.loads(runner.invoke(app, ["callbacks", "list", "--json", "--db", db]).stdout)
    phones = {entry["phone"]: entry for entry in listed}
    assert phones["+34699123456"]["note"] == "quiere devolver"
    assert phones["+34699123456"]["customer_name"] == ""
    assert phones["+447911123456"]["window_from"].startswith("2099-01-05")


def test_a_bad_number_is_refused(db):
    result = runner.invoke(app, ["callbacks", "add", "12", "--db", db])
    assert result.exit_code == 1 and "not a valid phone number" in result.output


def test_db_given_before_the_command_is_the_one_used(db):
    added = runner.invoke(app, ["--db", db, "callbacks", "add", "699 12 34 57"])
    assert added.exit_code == 0, added.output
    listed = json.loads(runner.invoke(app, ["callbacks", "list", "--json", "--db", db]).stdout)
    assert [entry["phone"] for entry in listed] == ["+34699123457"]
