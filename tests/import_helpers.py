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


def database_url(db: str) -> str:
    """A test's database as a SQLAlchemy URL: a SQLite file's path, or already a URL."""
    return db if "://" in db else f"sqlite:///{db}"


def query(db: str, sql: str, *params):
    """Raw SQL with ? marks, straight through the driver: a SQLite file or a PostgreSQL URL."""
    if "://" not in db:
        with sqlite3.connect(db) as conn:
            return conn.execute(sql, params).fetchall()  # commits on leaving
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(db)
    with psycopg.connect(host=url.host, port=url.port, user=url.username, dbname=url.database) as conn:
        # Moments as text, the way SQLite hands them back, so one test reads both.
        conn.adapters.register_loader("timestamp", psycopg.types.string.TextLoader)
        cursor = conn.execute(sql.replace("%", "%%").replace("?", "%s"), params)
        return [tuple(row) for row in cursor.fetchall()] if cursor.description else []


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
