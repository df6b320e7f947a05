"""SQL expressions that SQLite and PostgreSQL write differently, one version per dialect: time
arithmetic (the service-quality figures aggregate in the database instead of carrying every row
to Python), days and months as text, whole numbers."""

from sqlalchemy import Connection


def seconds_between(conn: Connection, later: str, earlier: str) -> str:
    """An SQL expression: whole seconds from `earlier` to `later` (two column expressions)."""
    if conn.dialect.name == "sqlite":  # julianday is twice as fast as strftime('%s'); rounded to a second
        return f"CAST(round((julianday({later}) - julianday({earlier})) * 86400) AS INTEGER)"
    return f"CAST(EXTRACT(EPOCH FROM ({later}) - ({earlier})) AS BIGINT)"


def day_of(conn: Connection, moment: str) -> str:
    """An SQL expression: the UTC day of a stored moment, as 'YYYY-MM-DD' text."""
    if conn.dialect.name == "sqlite":
        return f"substr({moment}, 1, 10)"
    return f"to_char({moment}, 'YYYY-MM-DD')"


def month_of(conn: Connection, moment: str) -> str:
    """An SQL expression: the UTC month of a stored moment, as 'YYYY-MM' text."""
    if conn.dialect.name == "sqlite":
        return f"substr({moment}, 1, 7)"
    return f"to_char({moment}, 'YYYY-MM')"


def truncated(conn: Connection, number: str) -> str:
    """An SQL expression: the number with its fraction cut off, as an integer (PostgreSQL's CAST
    rounds, SQLite's truncates)."""
    if conn.dialect.name == "sqlite":
        return f"CAST({number} AS INTEGER)"
    return f"CAST(trunc({number}) AS INTEGER)"


def days_between(conn: Connection, later: str, earlier: str) -> str:
    """An SQL expression: whole days from `earlier` to `later` (moments or 'YYYY-MM-DD' days),
    a fraction of a day cut off."""
    if conn.dialect.name == "sqlite":
        return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"
    return f"CAST(trunc(EXTRACT(EPOCH FROM CAST({later} AS timestamp) - CAST({earlier} AS timestamp)) / 86400) AS INTEGER)"


def day_number(conn: Connection, day: str) -> str:
    """An SQL expression: a 'YYYY-MM-DD' day as a count of days (differences are whole days)."""
    if conn.dialect.name == "sqlite":
        return f"julianday({day})"
    return f"(CAST({day} AS date) - DATE '2000-01-01')"


def unindexed(conn: Connection, column: str) -> str:
    """The column, kept out of SQLite's index choice (a unary +); PostgreSQL's planner chooses by
    its statistics and has no + for a timestamp."""
    return f"+{column}" if conn.dialect.name == "sqlite" else column
