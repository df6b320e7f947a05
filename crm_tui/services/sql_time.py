"""Time arithmetic inside SQL, one version per dialect: the service-quality figures aggregate
in the database instead of carrying every row to Python."""

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
