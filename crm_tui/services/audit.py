"""The audit log: every change staff make, field by field, with who, when and why."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select
from sqlmodel import Session, col

from crm_tui.db import row_tuples
from crm_tui.models import AuditEntry
from crm_tui.shop.types import utc_now


@dataclass(frozen=True)
class FieldChange:
    field: str
    old_value: object
    new_value: object


@dataclass(frozen=True)
class AuditRecord:
    at: datetime
    staff_login: str
    field: str
    old_value: str | None
    new_value: str | None
    reason: str


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def record_changes(session: Session | Connection, staff_login: str, record_table: str, record_id: int,
                   changes: list[FieldChange], reason: str = "", at: datetime | None = None) -> None:
    record_many_changes(session, staff_login, record_table, {record_id: changes}, reason, at)


def record_many_changes(session: Session | Connection, staff_login: str, record_table: str,
                        changes: dict[int, list[FieldChange]], reason: str = "", at: datetime | None = None) -> None:
    """The changes of many records of one table, for one reason, in one statement."""
    moment = at or utc_now()
    rows = [dict(at=moment, staff_login=staff_login, record_table=record_table, record_id=record_id,
                 field=c.field, old_value=_text(c.old_value), new_value=_text(c.new_value), reason=reason)
            for record_id, record in changes.items() for c in record]
    if rows:
        session.execute(insert(AuditEntry), rows)


def history(session: Session, record_table: str, record_id: int, limit: int = 200) -> list[AuditRecord]:
    rows = session.execute(
        select(col(AuditEntry.at), col(AuditEntry.staff_login), col(AuditEntry.field), col(AuditEntry.old_value),
               col(AuditEntry.new_value), col(AuditEntry.reason))
        .where(col(AuditEntry.record_table) == record_table, col(AuditEntry.record_id) == record_id)
        .order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
        .limit(limit)
    )
    return [AuditRecord(*row) for row in row_tuples(rows)]
