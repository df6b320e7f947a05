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


def test_at_takes_what_the_call_screen_takes_in_the_callers_own_time(db):
    from datetime import datetime, timedelta, timezone
    from zoneinfo import ZoneInfo

    def add(phone, at):
        return runner.invoke(app, ["callbacks", "add", phone, "--at", at, "--db", db])
    late = add("+44 7400 123456", "2099-11-26 23:30")  # a UK mobile: London time, across midnight
    assert late.exit_code == 0, late.output
    assert "window 2099-11-26 23:30–00:30 (Europe/London)" in " ".join(late.output.split())
    for phone, at in (("699 12 34 58", "tomorrow 10:00"), ("699 12 34 59", "+30m"), ("699 12 34 60", "18:30")):
        assert add(phone, at).exit_code == 0, at
    listed = {e["phone"]: e for e in json.loads(runner.invoke(app, ["callbacks", "list", "--json", "--db", db]).stdout)}
    start = datetime.fromisoformat(listed["+447400123456"]["window_from"])
    end = datetime.fromisoformat(listed["+447400123456"]["window_to"])
    assert end - start == timedelta(hours=1)
    assert start.astimezone(ZoneInfo("Europe/London")).strftime("%Y-%m-%d %H:%M") == "2099-11-26 23:30"
    soon = datetime.fromisoformat(listed["+34699123459"]["window_from"])
    assert timedelta(minutes=25) < soon - datetime.now(timezone.utc) <= timedelta(minutes=31)
    for bad in ("yesterday", "25:00", "2001-01-01 10:00", "+999999999h"):
        refused = add("699 12 34 61", bad)
        assert refused.exit_code == 1 and "--at" in refused.output and "Traceback" not in refused.output, bad
