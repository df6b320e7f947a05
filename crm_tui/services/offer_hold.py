"""Don't try to sell before you know the customer is happy (seed 002): offers are withheld
while the customer has an open case, or their latest satisfaction score (of a call or a
contact) is 1 or 2 and at most `unhappy_days` old."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, union_all
from sqlmodel import Session, col

from crm_tui.models import CallbackAttempt, ServiceCase, ServiceContact

UNHAPPY_SCORES = (1, 2)


@dataclass(frozen=True)
class OfferHold:
    reason: str  # "open_case" or "unhappy"
    case_id: int | None = None
    score: int | None = None
    scored_at: datetime | None = None


def offer_hold(session: Session, customer_id: int, now: datetime, unhappy_days: int = 30) -> OfferHold | None:
    case_id = session.scalar(select(col(ServiceCase.id)).where(
        col(ServiceCase.customer_id) == customer_id, col(ServiceCase.status).in_(("open", "waiting")))
        .order_by(col(ServiceCase.opened_at)).limit(1))
    if case_id is not None:
        return OfferHold("open_case", case_id=case_id)
    scores = union_all(
        select(col(CallbackAttempt.ended_at).label("at"), col(CallbackAttempt.satisfaction).label("score"))
        .where(col(CallbackAttempt.customer_id) == customer_id, col(CallbackAttempt.satisfaction).is_not(None)),
        select(col(ServiceContact.ended_at), col(ServiceContact.satisfaction))
        .where(col(ServiceContact.customer_id) == customer_id, col(ServiceContact.satisfaction).is_not(None)),
    ).subquery()
    latest = session.execute(select(scores.c.at, scores.c.score).order_by(scores.c.at.desc()).limit(1)).first()
    if latest is not None and latest[1] in UNHAPPY_SCORES and latest[0] >= now - timedelta(days=unhappy_days):
        return OfferHold("unhappy", score=latest[1], scored_at=latest[0])
    return None
