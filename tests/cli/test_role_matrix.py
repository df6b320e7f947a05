"""Every command × every kind of login: the policy's answer, the documented exit code and message,
and nothing written when refused. A few of them in real processes (as the demo's staff, --as)."""

import hashlib
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crm_tui.cli import app
from tests.conftest import act_as
from tests.import_helpers import SAMPLES

runner = CliRunner()
AS_OF = "2026-11-01T10:00"
EXPORT = str(SAMPLES / "lines" / "online_retail_sample.csv")

# command -> who may run it (the README's roles table)
STAFF, MANAGERS = {"agent", "supervisor", "ops"}, {"supervisor", "ops"}
COMMANDS = {
    ("callbacks", "list"): STAFF,
    ("callbacks", "add", "+34 699 111 222"): STAFF,
    ("marketing", "offers", "1"): STAFF,
    ("marketing", "segments"): STAFF,
    ("marketing", "segments", "--refresh"): MANAGERS,
    ("marketing", "refresh"): MANAGERS,
    ("marketing", "export", "--segment", "champion", "--channel", "email"): MANAGERS,
    ("marketing", "acceptance"): MANAGERS,
    ("report", "monthly"): MANAGERS,
    ("import", EXPORT, "--no-refresh"): MANAGERS,
    ("staff", "list"): MANAGERS,
    ("staff", "add", "newbie", "--role", "agent", "--discount-cap", "0"): MANAGERS,
    ("staff", "disable", "emma"): MANAGERS,
    ("staff", "enable", "luis"): MANAGERS,
    ("backup", "--out", "{tmp}/copy.db"): MANAGERS,
    ("inbox", "list"): STAFF,
    ("cases", "list"): STAFF,
    ("orders", "show", "WO00000001"): STAFF,
    ("orders", "move", "WO00000001", "returned"): MANAGERS,
    ("report", "quality", "--from", "2026-10-01", "--to", "2026-11-01"): MANAGERS,
    ("report", "lost-customers", "--from", "2025-11-01", "--to", "2026-11-01"): MANAGERS,
}
LOGINS = {"ana": "agent", "boss": "supervisor", "ops": "ops", "luis": "disabled", "stranger": "unknown"}


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("matrix") / "demo.db"
    with pytest.MonkeyPatch.context() as patch:
        act_as(patch, "boss")
        assert runner.invoke(app, ["demo", "--db", str(path), "--customers", "40", "--as-of", AS_OF]).exit_code == 0
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("UPDATE staff SET active = 0 WHERE login = 'luis'")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the copies below take the file alone
    conn.close()
    return path


def contents(db: Path) -> str:
    """Every row of every table, as a digest: what a refused command must leave untouched."""
    with sqlite3.connect(db) as conn:
        tables = [t for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        rows = [(t, sorted(map(repr, conn.execute(f'SELECT * FROM "{t}"')))) for t in tables]
    return hashlib.sha256(repr(rows).encode()).hexdigest()


@pytest.mark.parametrize("login", LOGINS)
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_each_command_for_each_login(template, tmp_path, monkeypatch, command, login):
    db = tmp_path / "demo.db"
    db.write_bytes(template.read_bytes())
    db.chmod(0o600)
    act_as(monkeypatch, login)
    monkeypatch.chdir(tmp_path)  # where an import leaves its reject file
    args = [part.replace("{tmp}", str(tmp_path)) for part in command]
    before = contents(db)
    result = runner.invoke(app, ["--db", str(db), *args])
    kind = LOGINS[login]
    if kind in COMMANDS[command]:
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code == 1, result.output
    expected = {"disabled": f"'{login}' is disabled", "unknown": f"'{login}' is not registered as staff"}.get(
        kind, "that is not for your role")
    assert expected in result.output.replace("\\x0a", "\n")
    assert contents(db) == before
    assert not (tmp_path / "copy.db").exists()


@pytest.mark.parametrize("command,login,code", [
    (["report", "monthly"], "ana", 1),
    (["report", "monthly"], "boss", 0),
    (["staff", "list"], "ana", 1),
    (["callbacks", "list"], "ana", 0),
    (["marketing", "refresh"], "ana", 1),
    (["marketing", "acceptance"], "ops", 0),
    (["import", EXPORT], "ana", 1),
    (["backup", "--out", "{tmp}/copy.db"], "ana", 1),
])
def test_in_real_processes(template, tmp_path, command, login, code):
    db = tmp_path / "demo.db"
    db.write_bytes(template.read_bytes())
    db.chmod(0o600)
    before = contents(db)
    args = [part.replace("{tmp}", str(tmp_path)) for part in command]
    result = subprocess.run([sys.executable, "-m", "crm_tui", "--as", login, "--db", str(db), *args],
                            capture_output=True, text=True, cwd=tmp_path)  # no timeout: libfaketime breaks its wait
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    if code:
        assert "not for your role" in result.stderr and contents(db) == before
