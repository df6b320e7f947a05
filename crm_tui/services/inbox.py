"""The inbox: everything customers and visitors wrote through the contact form, worked like
the callback queue. A message is new, in progress (taken by one agent: one conditional UPDATE,
so two agents never hold the same message), answered or closed. The agent links an unknown
sender to a customer or registers them, answers (recorded; also e-mailed when an SMTP server
is configured), or turns the message into a callback or a case.

Like every service, these never commit: the caller's transaction does.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, or_, select, update
from sqlmodel import Session, col

from crm_tui.db import begin_write, row_tuples
from crm_tui.services.errors import ServiceError
from crm_tui.services.mail import Outgoing, send_mail
from crm_tui.services.policy import Action, may, require
from crm_tui.services.staff import StaffMember
from crm_tui.settings import ServiceSettings
from crm_tui.shop.models import ContactMessage, Customer, MessageStatus, stored_id
from crm_tui.shop.operations import register_customer, request_callback

STATUSES = tuple(s.value for s in MessageStatus)
OPEN = (MessageStatus.NEW, MessageStatus.IN_PROGRESS)


class InboxError(ServiceError):
    pass


@dataclass(frozen=True)
class InboxMessage:
    message_id: int
    received_at: datetime
    kind: str
    name: str
    email: str | None
    phone: str | None
    text: str
    customer_id: int | None
    customer_number: str | None
    status: str
    owner: str | None
    answer: str
    answered_at: datetime | None
    age_hours: float
    overdue: bool


def _row(values: tuple, now: datetime, settings: ServiceSettings) -> InboxMessage:
    (message_id, received_at, kind, name, email, phone, text, customer_id, number, status, owner, answer,
     answered_at) = values
    end = answered_at or now
    age = (end - received_at).total_seconds() / 3600
    return InboxMessage(message_id, received_at, str(kind), name, email, phone, text, customer_id, number,
                        str(status), owner, answer, answered_at, age,
                        age > settings.inbox_target_hours and status in OPEN)


_COLUMNS = (col(ContactMessage.id), col(ContactMessage.received_at), col(ContactMessage.kind),
            col(ContactMessage.name), col(ContactMessage.email), col(ContactMessage.phone),
            col(ContactMessage.text), col(ContactMessage.customer_id), col(Customer.customer_number),
            col(ContactMessage.status), col(ContactMessage.owner), col(ContactMessage.answer),
            col(ContactMessage.answered_at))


def inbox(session: Session, staff: StaffMember, now: datetime, settings: ServiceSettings = ServiceSettings(),
          status: str | None = None, limit: int = 500) -> list[InboxMessage]:
    """Open messages (new and in progress) oldest first, or those of one status, newest first
    for the finished ones. Every sender: customers and visitors alike."""
    require(staff, Action.WORK_INBOX)
    query = select(*_COLUMNS).outerjoin(Customer, col(Customer.id) == col(ContactMessage.customer_id))
    if status is None:
        query = query.where(col(ContactMessage.status).in_(OPEN)).order_by(col(ContactMessage.received_at))
    else:
        if status not in STATUSES:
            raise InboxError("unknown_status", f"{status!r} is not a message status; one of {', '.join(STATUSES)}",
                             status=status)
        newest_first = status in (MessageStatus.ANSWERED, MessageStatus.CLOSED)
        query = query.where(col(ContactMessage.status) == status).order_by(
            col(ContactMessage.received_at).desc() if newest_first else col(ContactMessage.received_at))
    return [_row(r, now, settings) for r in row_tuples(session.execute(query.limit(limit)))]


def inbox_version(session: Session) -> tuple:
    """Changes whenever a message arrives or moves: the screen reloads only then."""
    return tuple(session.execute(select(func.count(), func.max(col(ContactMessage.id)),
                                        func.sum(case((col(ContactMessage.status) == MessageStatus.NEW, 1), else_=0)),
                                        func.sum(func.coalesce(col(ContactMessage.customer_id), 0)))
                                 .where(col(ContactMessage.status).in_(OPEN))).one())


def message(session: Session, staff: StaffMember, message_id: int, now: datetime,
            settings: ServiceSettings = ServiceSettings()) -> InboxMessage:
    require(staff, Action.WORK_INBOX)
    row = session.execute(select(*_COLUMNS).outerjoin(Customer, col(Customer.id) == col(ContactMessage.customer_id))
                          .where(col(ContactMessage.id) == message_id)).one_or_none()
    if row is None:
        raise InboxError("no_message", f"message {message_id} does not exist", message_id=message_id)
    return _row(tuple(row), now, settings)


def take_message(session: Session, staff: StaffMember, message_id: int) -> bool:
    """Take one message to work on. False when another agent holds it or it is finished."""
    require(staff, Action.WORK_INBOX)
    begin_write(session)
    return session.exec(
        update(ContactMessage)
        .where(col(ContactMessage.id) == message_id,
               or_(col(ContactMessage.status) == MessageStatus.NEW,
                   (col(ContactMessage.status) == MessageStatus.IN_PROGRESS) & (col(ContactMessage.owner) == staff.login)))
        .values(status=MessageStatus.IN_PROGRESS, owner=staff.login)
        .execution_options(synchronize_session=False)).rowcount == 1


def take_next_message(session: Session, staff: StaffMember) -> int | None:
    """The oldest new message, taken; None when nothing is new. A lost race reads again."""
    require(staff, Action.WORK_INBOX)
    begin_write(session)
    while ids := list[int](session.scalars(select(col(ContactMessage.id)).where(
            col(ContactMessage.status) == MessageStatus.NEW).order_by(col(ContactMessage.received_at),
                                                                     col(ContactMessage.id)).limit(10))):
        for message_id in ids:
            if take_message(session, staff, message_id):
                return message_id
    return None


def _held(session: Session, staff: StaffMember, message_id: int) -> ContactMessage:
    """The message, if it is this agent's to work on (every step on a message starts here)."""
    require(staff, Action.WORK_INBOX)
    begin_write(session)
    held = session.get(ContactMessage, message_id, populate_existing=True)
    if held is None:
        raise InboxError("no_message", f"message {message_id} does not exist", message_id=message_id)
    if held.status != MessageStatus.IN_PROGRESS or held.owner != staff.login:
        raise InboxError("message_not_held", f"message {message_id} is not held by you: take it first",
                         message_id=message_id)
    return held


def release_message(session: Session, staff: StaffMember, message_id: int) -> None:
    """Give a taken message back to the inbox (supervisors may release anyone's)."""
    require(staff, Action.WORK_INBOX)
    begin_write(session)
    condition = col(ContactMessage.status) == MessageStatus.IN_PROGRESS
    if not may(staff, Action.SUPERVISE_QUEUE):
        condition &= col(ContactMessage.owner) == staff.login
    session.execute(update(ContactMessage).where(col(ContactMessage.id) == message_id, condition)
                    .values(status=MessageStatus.NEW, owner=None).execution_options(synchronize_session=False))


def link_sender(session: Session, staff: StaffMember, message_id: int, customer_id: int) -> None:
    held = _held(session, staff, message_id)
    if session.get(Customer, customer_id) is None:
        raise InboxError("no_customer", f"customer {customer_id} does not exist", customer_id=customer_id)
    held.customer_id = customer_id
    session.flush()


def register_sender(session: Session, staff: StaffMember, message_id: int, form: Mapping[str, object],
                    now: datetime) -> int:
    """Register the sender as a customer (the shop's registration rules; the message's e-mail
    and phone unless the form gives others) and link the message to them."""
    held = _held(session, staff, message_id)
    if held.customer_id is not None:
        raise InboxError("already_linked", f"message {message_id} is already linked to customer {held.customer_id}",
                         message_id=message_id, customer_id=held.customer_id)
    given = {"email": held.email or "", "phone": held.phone or ""}
    customer_id = stored_id(register_customer(session, {**given, **form}, now=now))
    held.customer_id = customer_id
    session.flush()
    return customer_id


def _answer_text(answer: str) -> str:
    text = answer.strip()
    if not text:
        raise InboxError("answer_empty", "write the answer first")
    if len(text) > 5000:
        raise InboxError("answer_too_long", "the answer is longer than 5000 characters")
    return text


def outgoing_answer(session: Session, staff: StaffMember, message_id: int, answer: str,
                    settings: ServiceSettings = ServiceSettings()) -> Outgoing | None:
    """The e-mail an answer makes (None: no mail server configured, or no address), after the
    same checks as recording it: the message is this agent's to answer. Reads only."""
    require(staff, Action.WORK_INBOX)
    text = _answer_text(answer)
    held = session.get(ContactMessage, message_id)
    if held is None:
        raise InboxError("no_message", f"message {message_id} does not exist", message_id=message_id)
    if held.status != MessageStatus.IN_PROGRESS or held.owner != staff.login:
        raise InboxError("message_not_held", f"message {message_id} is not held by you: take it first",
                         message_id=message_id)
    if not (settings.smtp_host and held.email):
        return None
    return Outgoing(to=held.email, subject="Re: your message to the shop", body=text)


def answer_message(session: Session, staff: StaffMember, message_id: int, answer: str, *, now: datetime) -> None:
    """Record the answer and mark the message answered."""
    text = _answer_text(answer)
    held = _held(session, staff, message_id)
    held.answer, held.status, held.answered_at = text, MessageStatus.ANSWERED, now
    session.flush()


def answer(read: Callable, write: Callable, staff: StaffMember, message_id: int, text: str, *, now: datetime,
           settings: ServiceSettings = ServiceSettings()) -> bool:
    """Answer a message: e-mail it (when a server is configured) outside any transaction, so no
    agent waits on the mail server, then record it. A sending that fails records nothing and
    raises MailNotSent. `read` and `write` run a function in a read or a write transaction (the
    console's gateway, or run_read/run_write on an engine). Returns whether it was e-mailed."""
    mail = read(lambda session: outgoing_answer(session, staff, message_id, text, settings))
    if mail is not None:
        send_mail(settings, mail)
    write(lambda session: answer_message(session, staff, message_id, text, now=now))
    return mail is not None


def close_message(session: Session, staff: StaffMember, message_id: int, note: str = "", *, now: datetime) -> None:
    """Nothing (more) to answer: a duplicate, spam, or already handled elsewhere."""
    held = _held(session, staff, message_id)
    held.status, held.closed_at = MessageStatus.CLOSED, now
    if note.strip():
        held.answer = held.answer or note.strip()
    session.flush()


def message_to_callback(session: Session, staff: StaffMember, message_id: int, *, now: datetime) -> int:
    """The sender wants a call: a callback on their phone (the one they gave, else their
    customer record's), as soon as possible; the message is closed with a note saying so.
    Returns the callback's id."""
    held = _held(session, staff, message_id)
    customer = session.get(Customer, held.customer_id) if held.customer_id else None
    phone = held.phone or (customer.phone if customer else None)
    if not phone:
        raise InboxError("no_phone", "the sender gave no phone number to call back")
    callback = request_callback(session, phone, note=held.text[:1000], source="message",
                                customer_id=held.customer_id, now=now)
    held.status, held.closed_at = MessageStatus.CLOSED, now
    held.answer = held.answer or f"callback {callback.id}"
    session.flush()
    return stored_id(callback)


def after_case_opened(session: Session, staff: StaffMember, message_id: int, case_id: int, *,
                      now: datetime) -> None:
    """The message became a case: it is closed here and worked there."""
    held = _held(session, staff, message_id)
    held.status, held.closed_at = MessageStatus.CLOSED, now
    held.answer = held.answer or f"case {case_id}"
    session.flush()

