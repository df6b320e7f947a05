"""A customer's contact timeline: callback requests, every call attempt, contact messages."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session, col

from crm_tui.models import CallbackAttempt
from crm_tui.shop.models import CallbackRequest, ContactMessage


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # "request", "call" or "message"
    who: str  # the agent for a call; the customer otherwise
    what: str  # the outcome of a call, the kind of a message, the status of a request
    detail: str
    duration_seconds: int | None = None
    satisfaction: int | None = None


def customer_timeline(session: Session, customer_id: int, limit: int = 100) -> list[TimelineEntry]:
    """Newest first, at most `limit` of each kind before merging."""
    entries = [
        TimelineEntry(r.requested_at, "request", "", r.outcome or str(r.status), r.note)
        for r in session.scalars(select(CallbackRequest).where(col(CallbackRequest.customer_id) == customer_id)
                                 .order_by(col(CallbackRequest.requested_at).desc()).limit(limit))]
    entries += [
        TimelineEntry(a.started_at, "call", a.staff_login, a.outcome,
                      " · ".join(part for part in (a.note, f"{a.feedback_kind}: {a.feedback}" if a.feedback else "")
                                 if part),
                      int((a.ended_at - a.started_at).total_seconds()), a.satisfaction)
        for a in session.scalars(select(CallbackAttempt).where(col(CallbackAttempt.customer_id) == customer_id)
                                 .order_by(col(CallbackAttempt.started_at).desc()).limit(limit))]
    entries += [
        TimelineEntry(m.received_at, "message", "", str(m.kind), m.text)
        for m in session.scalars(select(ContactMessage).where(col(ContactMessage.customer_id) == customer_id)
                                 .order_by(col(ContactMessage.received_at).desc()).limit(limit))]
    return sorted(entries, key=lambda e: e.at, reverse=True)[:limit]
