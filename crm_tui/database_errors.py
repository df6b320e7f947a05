"""What a database failure means to a person: the exceptions and the one-sentence messages.

Below both crm_tui.db and crm_tui.migrations.runner, which each raise them; it imports nothing.
"""


class DatabaseError(RuntimeError):
    """The database cannot be used; the message says why and what to do."""


class SchemaTooNew(DatabaseError):
    pass


class WriteFailed(DatabaseError):
    """A write could not happen (lock held too long, disk full, read-only file): nothing was
    written; the message says so in one sentence and `kind` names the cause."""

    def __init__(self, message: str, kind: str = ""):
        super().__init__(message)
        self.kind = kind


FAILURES = {
    "locked": "Another program kept the database locked for writing past the time limit: "
              "nothing was written; try again in a moment.",
    "disk": "The disk holding the database is full (or failing): nothing was written; free space and try again.",
    "readonly": "The database file is read-only for you: nothing was written; ask ops for write access.",
    "damaged": "The database file is damaged or is not a crm-tui database: nothing was read or written.",
    "unopenable": "The database file cannot be opened: check its path and permissions.",
    "denied": "The database server does not let your role do this: nothing was written; ask ops for the right grant.",
    "unreachable": "The database server cannot be reached (or refused the login): check --db, the server and your "
                   "role's authentication.",
}

# PostgreSQL's SQLSTATEs for the same failures: a lock not had in time, a deadlock or a
# serialization conflict (all: try again); no privilege; disk full.
_PG_LOCKED = {"55P03", "40P01", "40001"}
_PG_KINDS = {"42501": "denied", "53100": "disk", "25006": "readonly"}


def _sqlstate(exc: BaseException) -> str | None:
    return getattr(getattr(exc, "orig", exc), "sqlstate", None)


def is_lock_error(exc: BaseException) -> bool:
    if _sqlstate(exc) in _PG_LOCKED:
        return True
    text = str(getattr(exc, "orig", exc)).lower()
    return "database is locked" in text or "database is busy" in text or "database table is locked" in text


def failure_kind(exc: BaseException) -> str | None:
    """Which failure a user can act on this database error is, or None for a bug."""
    text = str(getattr(exc, "orig", exc)).lower()
    if is_lock_error(exc):
        return "locked"
    if (state := _sqlstate(exc)) in _PG_KINDS:
        return _PG_KINDS[state]
    if "connection refused" in text or "authentication failed" in text or 'role "' in text and "does not exist" in text:
        return "unreachable"
    if "disk is full" in text or "disk i/o error" in text or "no space left" in text:
        return "disk"
    if "readonly" in text or "read-only" in text:
        return "readonly"
    if "file is not a database" in text or "malformed" in text:
        return "damaged"
    if "unable to open database" in text:
        return "unopenable"
    return None


def explain(exc: BaseException) -> str | None:
    """One sentence for a database failure a user can act on, or None for a bug."""
    kind = failure_kind(exc)
    return FAILURES[kind] if kind else None
