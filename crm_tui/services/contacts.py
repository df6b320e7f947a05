"""Contacts logged from the card: a customer phoned in, wrote an e-mail or chatted, or an agent
called them; the same wrap-up as a callback's call. "Declined" and "lost" take a reason from
the configured list (seed 001's lost-customer analysis)."""

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col

from crm_tui.db import begin_write
from crm_tui.models import ServiceCase, ServiceContact
from crm_tui.services.errors import ServiceError
from crm_tui.services.policy import Action, require
from crm_tui.services.staff import StaffMember
from crm_tui.settings import ServiceSettings
from crm_tui.shop.models import Customer

CHANNELS = ("phone", "email", "chat")
DIRECTIONS = ("inbound", "outbound")
CONTACT_OUTCOMES = ("resolved", "information", "ordered", "follow_up", "no_answer", "declined", "lost")
NEEDS_REASON = ("declined", "lost")
FEEDBACK_KINDS = ("complaint", "suggestion")


class ContactError(ServiceError):
    pass


def check_wrap_up(outcome: str, satisfaction: int | None, feedback_kind: str | None, lost_reason: str | None,
                  settings: ServiceSettings, error: type[ServiceError] = ContactError) -> None:
    """The rules a call's and a contact's wrap-up share; `error` is the caller's refusal."""
    if satisfaction is not None and not 1 <= satisfaction <= 5:
        raise error("satisfaction_range", "satisfaction is from 1 to 5")
    if feedback_kind is not None and feedback_kind not in FEEDBACK_KINDS:
        raise error("unknown_feedback", f"{feedback_kind!r} is neither a complaint nor a suggestion",
                           kind=feedback_kind)
    if outcome in NEEDS_REASON and lost_reason not in settings.lost_reasons:
        raise error("lost_reason_needed", f"{outcome!r} needs a reason: one of "
                           f"{', '.join(settings.lost_reasons)}", outcome=outcome,
                           reasons=", ".join(settings.lost_reasons))
    if outcome not in NEEDS_REASON and lost_reason is not None:
        raise error("lost_reason_only_when_lost", "a lost reason goes only with declined or lost")


def log_contact(session: Session, staff: StaffMember, customer_id: int, *, channel: str, direction: str,
                outcome: str, started_at: datetime, now: datetime, note: str = "", satisfaction: int | None = None,
                feedback_kind: str | None = None, feedback: str = "", lost_reason: str | None = None,
                case_id: int | None = None, settings: ServiceSettings = ServiceSettings()) -> int:
    require(staff, Action.LOG_CONTACT)
    if channel not in CHANNELS:
        raise ContactError("unknown_channel", f"{channel!r} is not a channel; one of {', '.join(CHANNELS)}",
                           channel=channel)
    if direction not in DIRECTIONS:
        raise ContactError("unknown_direction", f"{direction!r} is neither inbound nor outbound", direction=direction)
    if outcome not in CONTACT_OUTCOMES:
        raise ContactError("unknown_outcome", f"{outcome!r} is not an outcome; one of {', '.join(CONTACT_OUTCOMES)}",
                           outcome=outcome)
    check_wrap_up(outcome, satisfaction, feedback_kind, lost_reason, settings)
    begin_write(session)
    if session.get(Customer, customer_id) is None:
        raise ContactError("no_customer", f"customer {customer_id} does not exist", customer_id=customer_id)
    if case_id is not None:
        case = session.get(ServiceCase, case_id)
        if case is None or case.customer_id != customer_id or case.status not in ("open", "waiting"):
            raise ContactError("case_not_theirs", f"case {case_id} is not an open case of this customer",
                               case_id=case_id)
    contact = ServiceContact(
        customer_id=customer_id, staff_login=staff.login, channel=channel, direction=direction,
        started_at=min(started_at, now), ended_at=now, outcome=outcome, note=note.strip()[:1000],
        satisfaction=satisfaction, feedback_kind=feedback_kind if feedback.strip() else None,
        feedback=feedback.strip()[:2000], lost_reason=lost_reason, case_id=case_id)
    session.add(contact)
    session.flush()
    if case_id is not None:
        session.execute(update(ServiceCase).where(col(ServiceCase.id) == case_id)
                        .values(contacts=col(ServiceCase.contacts) + 1).execution_options(synchronize_session=False))
    assert contact.id is not None
    return contact.id
