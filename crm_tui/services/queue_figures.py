"""What supervisors see of the queue: depth, oldest waiting, share within the target, agents."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlmodel import Session, col

from crm_tui.db import row_tuple, row_tuples
from crm_tui.models import CallbackAttempt
from crm_tui.settings import QueueSettings
from crm_tui.shop.models import CallbackRequest, CallbackStatus


@dataclass(frozen=True)
class AgentFigures:
    login: str
    handled: int
    average_handling_seconds: float


@dataclass(frozen=True)
class QueueFigures:
    waiting: int
    oldest_waiting_minutes: float | None
    share_within_target: float | None  # of callbacks first called in the period
    agents: list[AgentFigures]
    satisfaction_average: float | None


def queue_figures(session: Session, since: datetime, now: datetime,
                  settings: QueueSettings = QueueSettings()) -> QueueFigures:
    """For supervisors: depth, oldest waiting, share called within the target (first attempt
    after the request, among requests first called since `since`), per-agent handled count and
    average handling time, and the average satisfaction, all since `since`."""
    open_ = col(CallbackRequest.status).in_([CallbackStatus.PENDING, CallbackStatus.CLAIMED])
    waiting, oldest = row_tuple(session.execute(select(func.count(), func.min(col(CallbackRequest.requested_at)))
                                                .where(open_)).one())
    first_attempts = (select(col(CallbackAttempt.callback_id),
                             func.min(col(CallbackAttempt.started_at)).label("first"))
                      .group_by(col(CallbackAttempt.callback_id)).subquery())
    firsts = session.execute(select(col(CallbackRequest.requested_at), col(CallbackRequest.window_from),
                                    first_attempts.c.first)
                             .join(first_attempts, first_attempts.c.callback_id == col(CallbackRequest.id))
                             .where(first_attempts.c.first >= since)).all()
    target = timedelta(minutes=settings.target_minutes)
    within = [first - max(window or requested, requested) <= target
              for requested, window, first in row_tuples(firsts)]
    rows = session.execute(select(col(CallbackAttempt.staff_login), col(CallbackAttempt.started_at),
                                  col(CallbackAttempt.ended_at))
                           .where(col(CallbackAttempt.ended_at) >= since)).all()
    per_agent: dict[str, list[float]] = {}
    for login, started, ended in row_tuples(rows):
        per_agent.setdefault(login, []).append((ended - started).total_seconds())
    satisfaction = session.scalar(select(func.avg(col(CallbackAttempt.satisfaction)))
                                  .where(col(CallbackAttempt.ended_at) >= since,
                                         col(CallbackAttempt.satisfaction).is_not(None)))
    return QueueFigures(
        waiting, (now - oldest).total_seconds() / 60 if oldest else None,
        sum(within) / len(within) if within else None,
        sorted((AgentFigures(login, len(times), sum(times) / len(times)) for login, times in per_agent.items()),
               key=lambda a: (-a.handled, a.login)),
        float(satisfaction) if satisfaction is not None else None)
