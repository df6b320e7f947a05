"""What supervisors see of the queue: depth, oldest waiting, share within the target, agents."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlmodel import Session, col

from crm_tui.db import row_tuples
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
    waiting = session.scalar(select(func.count()).where(open_)) or 0
    # The longest wait among callbacks that may be called now: a window still to come is not a wait.
    oldest = session.scalar(select(func.min(col(CallbackRequest.requested_at))).where(
        open_, or_(col(CallbackRequest.window_from).is_(None), col(CallbackRequest.window_from) <= now)))
    # How soon each was first called after it became due, as recorded at that first call (a
    # later "call back later" moves the window, not the wait the customer had).
    seconds = session.scalars(select(col(CallbackRequest.first_call_seconds))
                              .where(col(CallbackRequest.first_called_at) >= since,
                                     col(CallbackRequest.first_call_seconds).is_not(None))).all()
    within = [wait <= settings.target_minutes * 60 for wait in seconds if wait is not None]
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
