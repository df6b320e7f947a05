"""What a database says of itself (the `database_fact` table): whether `crm-tui demo` built it."""

import sqlite3
from pathlib import Path

from sqlmodel import Session

from crm_tui.models import DatabaseFact

DEMO_FACT = "demo"


def is_demo(session: Session) -> bool:
    """Whether `crm-tui demo` built this database (impersonation and --force work only there)."""
    fact = session.get(DatabaseFact, DEMO_FACT)
    return fact is not None and fact.value == "yes"


def sqlite_file_is_demo(path: Path) -> bool:
    """Read-only and without migrating: is this SQLite file a crm-tui demo?"""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT value FROM database_fact WHERE name = ?", (DEMO_FACT,)).fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return False
    return row is not None and row[0] == "yes"
