"""CRM-side tables: who works the console, and what they changed."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, String
from sqlmodel import Field, SQLModel

from store.types import UTCDateTime, utc_now


class Role(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    OPS = "ops"


DEFAULT_DISCOUNT_CAP = {Role.AGENT: 10, Role.SUPERVISOR: 30, Role.OPS: 0}


class Staff(SQLModel, table=True):
    __tablename__ = "staff"

    id: int | None = Field(default=None, primary_key=True)
    login: str = Field(max_length=64, unique=True, index=True)
    display_name: str = Field(default="", max_length=200)
    role: Role = Field(sa_type=String(16))
    discount_cap_percent: int = Field(default=0)
    active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class AuditEntry(SQLModel, table=True):
    """One changed field of one record. Staff writes always leave one of these."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_record", "record_table", "record_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime, index=True)
    staff_login: str = Field(max_length=64, index=True)
    record_table: str = Field(max_length=64)
    record_id: int
    field: str = Field(max_length=64)
    old_value: str | None = Field(default=None)
    new_value: str | None = Field(default=None)
    reason: str = Field(default="", max_length=500)


class CallbackAttempt(SQLModel, table=True):
    """One call made for a callback request: who, when, how long, how it went."""

    __tablename__ = "callback_attempt"

    id: int | None = Field(default=None, primary_key=True)
    callback_id: int = Field(foreign_key="callback_request.id", index=True)
    customer_id: int | None = Field(default=None, index=True)
    staff_login: str = Field(max_length=64, index=True)
    started_at: datetime = Field(sa_type=UTCDateTime)
    ended_at: datetime = Field(sa_type=UTCDateTime, index=True)
    outcome: str = Field(max_length=32)
    note: str = Field(default="", max_length=1000)
    satisfaction: int | None = Field(default=None)
    feedback_kind: str | None = Field(default=None, max_length=16)
    feedback: str = Field(default="", max_length=2000)
