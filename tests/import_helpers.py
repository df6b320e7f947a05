"""Running `crm-tui import` the way ops do, on real files, and reading the database back."""

import json
import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from crm_tui.cli import app

SAMPLES = Path(__file__).resolve().parents[1] / "crm_tui" / "data" / "samples"
runner = CliRunner()


def add_ops(db: str, login: str = "ops1") -> None:
    result = runner.invoke(app, ["staff", "add", login, "--role", "ops", "--db", db])
    assert result.exit_code == 0, result.output


def run_import(db: str, *args: str):
    """Returns (exit code, JSON summary or None, all output)."""
    result = runner.invoke(app, ["import", *args, "--db", db, "--json"])
    summary = None
    if result.exit_code in (0, 1) and result.stdout.strip().startswith("{"):
        summary = json.loads(result.stdout)
    return result.exit_code, summary, result.output


def query(db: str, sql: str, *params):
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def scalar(db: str, sql: str, *params):
    return query(db, sql, *params)[0][0]


def table_counts(db: str) -> dict[str, int]:
    return {t: scalar(db, f"SELECT count(*) FROM {t}")
            for t in ("customer", "product", "shop_order", "order_line", "audit_entry")}


def accounted(summary: dict) -> int:
    return sum(summary[k] for k in ("imported", "updated", "unchanged", "duplicates", "rejected"))


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path
