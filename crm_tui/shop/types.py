"""Column types shared by the shop's tables."""

from datetime import datetime, timezone

from sqlalchemy.types import DateTime, TypeDecorator


class UTCDateTime(TypeDecorator):
    """Stores aware datetimes as naive UTC and gives them back aware in UTC.

    SQLite keeps no time zone; PostgreSQL would. Naive UTC in the column on both keeps
    comparisons and indexes identical across dialects.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: times are stored in UTC and must be aware")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def db_datetime(conn, value: datetime | None):
    """What the driver needs for a UTC timestamp in raw SQL, matching UTCDateTime."""
    if value is None:
        return None
    naive = value.astimezone(timezone.utc).replace(tzinfo=None)
    if conn.dialect.name == "sqlite":
        return naive.isoformat(" ", "microseconds")
    return naive
