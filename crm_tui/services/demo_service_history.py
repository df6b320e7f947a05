"""The demo shop's service history, made through the service desk's own operations (never
by writing their tables directly; the orders' way to delivery comes with the shop's demo):
inbox messages answered or closed or still waiting, contacts with satisfaction scores and
complaints, cases in every status (some with their order returned), and lost customers with
their reasons."""

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import func, select
from sqlmodel import Session, col

from crm_tui.db import row_tuples
from crm_tui.services import callback_claims as cbs
from crm_tui.services import cases, inbox
from crm_tui.services.contacts import log_contact
from crm_tui.services.staff import StaffMember
from crm_tui.settings import LOST_REASONS, QueueSettings
from crm_tui.shop.models import ContactMessage, Customer, MessageStatus, Order, stored_id
from crm_tui.shop.operations import request_callback

ANSWERS = {"es": "Gracias por escribirnos. Le hemos respondido por teléfono y queda resuelto.",
           "en": "Thank you for writing. We have sorted this out for you."}
# What customers complain of, and the type of case it makes.
COMPLAINTS = (("The parcel arrived damaged", "product_defect"), ("Charged twice for one order", "billing"),
              ("Delivery is a week late", "delivery"), ("The colour is not the one in the picture", "other"),
              ("Nobody answered my e-mail", "service"))
# The history is made one operation at a time (a few milliseconds each), so each kind is capped:
# a demo of 100,000 customers keeps its two minutes and still has thousands of each.
MOST_OF_EACH = 2_000
FATES = ("open", "waiting", "resolved", "closed", "open", "resolved", "closed", "resolved")


@dataclass
class ServiceHistory:
    messages_worked: int = 0
    contacts: int = 0
    cases: int = 0
    lost: int = 0
    callbacks: int = 0


def build_service_history(session: Session, agents: list[StaffMember], supervisor: StaffMember, as_of: datetime,
                          seed: int) -> ServiceHistory:
    rng = random.Random(seed + 15)
    done = ServiceHistory()
    _callback_history(session, rng, agents, as_of, done)
    _work_inbox(session, rng, agents, as_of, done)
    _contacts_and_cases(session, rng, agents, supervisor, as_of, done)
    _lost_customers(session, rng, agents, as_of, done)
    return done


def _callback_history(session: Session, rng: random.Random, agents: list[StaffMember], as_of: datetime,
                      done: ServiceHistory) -> None:
    """The last 30 days of the callback box, worked through the queue's own claim and wrap-up:
    most called within a quarter of an hour, some after a retry, a few declined with a reason."""
    anytime = QueueSettings(calling_hours=(time(0), time(23, 59)), backoff_minutes=(20,))
    customers = list(session.scalars(select(col(Customer.id)).where(col(Customer.phone).is_not(None))
                                     .order_by(col(Customer.id))))
    for _ in range(min(MOST_OF_EACH, max(20, len(customers) // 15))):
        customer = session.get(Customer, rng.choice(customers))
        if customer is None or not customer.phone:
            continue
        requested = as_of - timedelta(days=rng.uniform(1, 30))
        callback = request_callback(session, customer.phone, customer_id=customer.id, note="", now=requested)
        started = requested + timedelta(minutes=rng.choice([2, 5, 8, 12, 14, 25, 40, 90]))
        tries = rng.choice([1, 1, 1, 2])
        for attempt in range(tries):
            agent = rng.choice(agents)
            cbs.claim_callback(session, agent, stored_id(callback), started, anytime)
            last = attempt + 1 == tries
            outcome = ("no_answer" if not last else
                       rng.choices(["resolved", "ordered", "declined", "call_later"], weights=[6, 3, 1, 0])[0])
            cbs.finish_callback(
                session, agent, stored_id(callback), outcome, started_at=started,
                now=started + timedelta(minutes=rng.uniform(2, 9)), settings=anytime,
                satisfaction=rng.choices([1, 2, 3, 4, 5], weights=[1, 1, 3, 8, 10])[0]
                if last and outcome != "declined" and rng.random() < 0.7 else None,
                lost_reason=rng.choice(LOST_REASONS) if outcome == "declined" else None)
            started += timedelta(minutes=30)
        done.callbacks += 1


def _work_inbox(session: Session, rng: random.Random, agents: list[StaffMember], as_of: datetime,
                done: ServiceHistory) -> None:
    """Messages older than five days were answered (most within a day), closed or made a case;
    of the latest, most wait and some are in progress."""
    messages = row_tuples(session.execute(select(col(ContactMessage.id), col(ContactMessage.received_at),
                                      col(ContactMessage.email), col(ContactMessage.kind), col(ContactMessage.text),
                                      col(ContactMessage.customer_id))
                               .where(col(ContactMessage.status) == MessageStatus.NEW)
                               .order_by(col(ContactMessage.received_at))).all())
    for message_id, received_at, email, kind, text, customer_id in messages:
        agent = rng.choice(agents)
        age = as_of - received_at
        if age < timedelta(days=5):
            if rng.random() < 0.3:
                inbox.take_message(session, agent, message_id)
                done.messages_worked += 1
            continue
        inbox.take_message(session, agent, message_id)
        answered = received_at + timedelta(hours=rng.choice([1, 2, 4, 8, 12, 20, 30, 50]))
        if rng.random() < 0.1:
            inbox.close_message(session, agent, message_id, "duplicate", now=answered)
        elif kind == "complaint" and rng.random() < 0.5:
            case_id = cases.open_case(session, agent, customer_id=customer_id, kind="service",
                                      summary=text, source="message", source_id=message_id, now=answered)
            inbox.after_case_opened(session, agent, message_id, case_id, now=answered)
            done.cases += 1
            if age > timedelta(days=10):  # the older ones were sorted out
                resolved = answered + timedelta(hours=rng.choice([4, 20, 50, 90]))
                cases.resolve_case(session, agent, cases.case_detail(session, agent, case_id, as_of),
                                   "Explained and apologised", rng.choice(["explanation", "credit", "replacement"]),
                                   now=resolved)
        else:
            inbox.answer_message(session, agent, message_id, ANSWERS["es" if not email else "en"], now=answered)
        done.messages_worked += 1


def _contacts_and_cases(session: Session, rng: random.Random, agents: list[StaffMember],
                        supervisor: StaffMember, as_of: datetime, done: ServiceHistory) -> None:
    """Contacts over the last 90 days, mostly happy; a complaint in one of five becomes a case,
    in every status; a few cases return their order."""
    buyers = list(row_tuples(session.execute(select(col(Order.customer_id), func.max(col(Order.id))).where(
        col(Order.customer_id).is_not(None), col(Order.cancels_order_id).is_(None), col(Order.total_cents) > 0,
        col(Order.placed_at) >= as_of - timedelta(days=90)).group_by(col(Order.customer_id))
        .order_by(col(Order.customer_id))).all()))
    reversed_ids = set(session.scalars(select(col(Order.cancels_order_id)).where(
        col(Order.cancels_order_id).is_not(None))))
    fates = iter(FATES * len(buyers))  # every status, in turn
    for customer_id, order_id in rng.sample(buyers, min(len(buyers), MOST_OF_EACH, max(30, len(buyers) // 6))):
        agent = rng.choice(agents)
        ended = as_of - timedelta(days=rng.uniform(0.1, 89))
        started = ended - timedelta(minutes=rng.uniform(1, 12))
        complaint = rng.random() < 0.2
        said, kind = rng.choice(COMPLAINTS)
        score = rng.choices([1, 2, 3, 4, 5], weights=[2, 3, 8, 30, 40])[0] if not complaint else rng.choice([1, 2, 3])
        log_contact(session, agent, customer_id, channel=rng.choice(["phone", "phone", "email", "chat"]),
                    direction=rng.choice(["inbound", "outbound"]),
                    outcome="follow_up" if complaint else rng.choice(["resolved", "information", "ordered"]),
                    started_at=started, now=ended, satisfaction=score if rng.random() < 0.8 else None,
                    feedback_kind="complaint" if complaint else None, feedback=said if complaint else "")
        done.contacts += 1
        if not complaint:
            continue
        case_id = cases.open_case(session, agent, customer_id=customer_id, kind=kind, summary=said,
                                  source="contact", order_id=order_id, priority=rng.choice([1, 2, 2, 3]), now=ended)
        done.cases += 1
        fate = next(fates)
        if fate == "open" or ended > as_of - timedelta(days=5):
            continue  # still open (some of them overdue)
        row = cases.case_detail(session, agent, case_id, as_of)
        if fate == "waiting":
            cases.set_waiting(session, agent, row, True, now=ended + timedelta(hours=2))
            continue
        resolved = ended + timedelta(hours=rng.choice([3, 12, 30, 60, 100]))
        if rng.random() < 0.4:  # it took another call to sort out
            log_contact(session, agent, customer_id, channel="phone", direction="outbound", outcome="resolved",
                        started_at=resolved - timedelta(minutes=6), now=resolved, case_id=case_id,
                        satisfaction=rng.choice([3, 4, 5]))
            row = cases.case_detail(session, agent, case_id, as_of)
        outcome = rng.choice(["refund", "replacement", "credit", "explanation", "rejected"])
        if outcome == "refund" and order_id not in reversed_ids:
            cases.reverse_case_order(session, agent, row, now=ended + timedelta(hours=1))
            reversed_ids.add(order_id)
            row = cases.case_detail(session, agent, case_id, as_of)
        if outcome == "credit":
            cases.goodwill_discount(session, agent, row, 5, "goodwill after the complaint", now=resolved)
            row = cases.case_detail(session, agent, case_id, as_of)
        cases.resolve_case(session, agent, row, "Agreed with the customer", outcome, now=resolved)
        if fate == "closed":
            cases.close_case(session, supervisor, cases.case_detail(session, agent, case_id, as_of),
                             now=resolved + timedelta(days=1))


def _lost_customers(session: Session, rng: random.Random, agents: list[StaffMember], as_of: datetime,
                    done: ServiceHistory) -> None:
    """Regular customers who stopped buying half a year ago: called, most say why."""
    lapsed: list[int] = list(session.execute(select(col(Order.customer_id)).where(col(Order.customer_id).is_not(None),
                                                                  col(Order.total_cents) > 0)
                             .group_by(col(Order.customer_id))
                             .having(func.count() >= 3, func.max(col(Order.placed_at)) < as_of - timedelta(days=180))
                             .order_by(col(Order.customer_id))).scalars())
    for customer_id in sorted(rng.sample(lapsed, min(len(lapsed), MOST_OF_EACH))):
        if rng.random() < 0.3:
            continue  # never reached: the reason stays unknown
        ended = as_of - timedelta(days=rng.uniform(1, 60))
        log_contact(session, rng.choice(agents), customer_id, channel="phone", direction="outbound",
                    outcome="lost", started_at=ended - timedelta(minutes=4), now=ended,
                    lost_reason=rng.choices(LOST_REASONS, weights=[5, 3, 2, 2, 4, 3, 1])[0])
        done.lost += 1

