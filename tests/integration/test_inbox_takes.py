"""Agents in separate processes take inbox messages as fast as they can: none is taken twice,
none is left; and an answer e-mailed through a real local SMTP server arrives."""

import socket
from datetime import datetime, timedelta, timezone
from functools import partial

from sqlalchemy import insert

from crm_tui.db import make_engine, run_read, run_write, write_session
from crm_tui.models import Role
from crm_tui.services.inbox import answer, take_message, take_next_message
from crm_tui.services.staff import StaffMember
from crm_tui.settings import ServiceSettings
from crm_tui.shop.models import ContactMessage
from crm_tui.shop.operations import send_contact_message
from tests.integration.processes import race

MESSAGES = 2_000
AGENTS = 4


def agent(url: str, login: str, barrier, results) -> None:
    engine = make_engine(url)
    staff = StaffMember(login, login, Role.AGENT, 10, True)
    taken = []
    barrier.wait(timeout=60)
    while (message_id := run_write(engine, lambda s: take_next_message(s, staff))) is not None:
        taken.append(message_id)
    results.put((login, taken))
    engine.dispose()


def test_agents_in_separate_processes_never_take_one_message_twice(engine):
    received = datetime.now(timezone.utc) - timedelta(hours=2)
    with write_session(engine) as session:
        session.execute(insert(ContactMessage), [
            dict(name=f"Visitor {i}", email=f"v{i}@example.org", text="Hello", kind="question", status="new",
                 answer="", received_at=received + timedelta(seconds=i)) for i in range(MESSAGES)])
    outcomes = race(agent, [(str(engine.url), f"agent{n}") for n in range(AGENTS)], AGENTS, timeout=300)
    taken = [m for _, ids in outcomes for m in ids]
    assert len(taken) == len(set(taken)) == MESSAGES
    print("messages taken per agent:", sorted(len(ids) for _, ids in outcomes))


def test_an_answer_is_received_by_a_real_smtp_server(engine):
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received = []

    class Keep(Message):
        def handle_message(self, message):
            received.append(message)

    with socket.socket() as probe:  # a free port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings = ServiceSettings(smtp_host="127.0.0.1", smtp_port=port, mail_from="service@shop.example")
        ana = StaffMember("ana", "Ana", Role.AGENT, 10, True)
        with write_session(engine) as session:
            message = send_contact_message(session, name="Eve", email="eve@example.org", text="Do you ship to Peru?")
        now = datetime.now(timezone.utc)
        with write_session(engine) as session:
            assert take_message(session, ana, message.id)
        assert answer(partial(run_read, engine), partial(run_write, engine), ana, message.id,
                      "Yes, within five days.", now=now, settings=settings)
    finally:
        controller.stop()
    assert len(received) == 1
    assert received[0]["To"] == "eve@example.org" and received[0]["From"] == "service@shop.example"
    assert "Yes, within five days." in received[0].get_payload()


def test_an_answer_that_cannot_be_sent_is_not_recorded(engine):
    from sqlmodel import Session

    from crm_tui.services.mail import MailNotSent

    settings = ServiceSettings(smtp_host="127.0.0.1", smtp_port=1)  # nothing listens there
    ana = StaffMember("ana", "Ana", Role.AGENT, 10, True)
    with write_session(engine) as session:
        message = send_contact_message(session, name="Eve", email="eve@example.org", text="Hello?")
    with write_session(engine) as session:
        assert take_message(session, ana, message.id)
    try:
        answer(partial(run_read, engine), partial(run_write, engine), ana, message.id, "Hi",
               now=datetime.now(timezone.utc), settings=settings)
    except MailNotSent:
        pass
    else:
        raise AssertionError("the failed sending was not said")
    with Session(engine) as session:
        kept = session.get(ContactMessage, message.id)
        assert kept.status == "in_progress" and kept.answer == "" and kept.owner == "ana"
