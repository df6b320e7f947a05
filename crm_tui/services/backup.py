"""A consistent copy of the shop's SQLite database while agents keep working, checked."""

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from crm_tui.db import DatabaseError, lock_timeout_ms, refuse_missing_file, sqlite_file


@dataclass(frozen=True)
class Backup:
    path: Path
    pages: int
    integrity: str  # "ok", or what PRAGMA integrity_check found


def back_up(url: str, out: Path) -> Backup:
    """Copy the database at `url` to `out` with SQLite's online backup API: one snapshot, taken
    while other consoles read and write (they wait at most a moment), then integrity-checked.
    `out` must not exist; it is created readable by its owner only."""
    path = sqlite_file(url)
    if path is None:
        raise DatabaseError("backup copies SQLite files; back up a database server with its own tools (pg_dump)")
    refuse_missing_file(url)
    out.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:  # made here and now, readable by its owner only; never through a link, never over a file
        os.close(os.open(out, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_NOFOLLOW, 0o600))
    except FileExistsError:
        raise DatabaseError(f"{out} already exists: give a new file name (nothing was written)") from None
    source = sqlite3.connect(path, timeout=lock_timeout_ms() / 1000)
    target = sqlite3.connect(out)
    try:
        source.backup(target)  # all pages in one step: a single consistent snapshot
        target.execute("PRAGMA journal_mode=DELETE")  # a copy is one self-contained file
        pages = target.execute("PRAGMA page_count").fetchone()[0]
        integrity = "; ".join(row[0] for row in target.execute("PRAGMA integrity_check"))
    except sqlite3.Error:
        target.close()
        out.unlink(missing_ok=True)
        raise
    finally:
        source.close()
        target.close()
    return Backup(out, pages, integrity)
