"""The service desk in the console: a visitor's message taken, its sender registered and
answered; a complaint from a call opened as a case, its order returned from the case, the case
resolved; the customer's timeline shows it all in order."""

from datetime import timedelta

from sqlalchemy import func, select, text
from sqlmodel import Session
from textual.widgets import DataTable, Input, Select, Static

from crm_tui.app import make_app
from crm_tui.db import open_database, write_session
from crm_tui.models import ServiceCase
from crm_tui.screens.cases import CasesScreen
from crm_tui.screens.inbox import InboxScreen
from crm_tui.screens.register_caller import RegisterPersonScreen
from crm_tui.screens.service_form import FormScreen
from crm_tui.screens.timeline import TimelineScreen
from crm_tui.settings import Settings
from crm_tui.shop.models import ContactMessage, Order, OrderLine, Product
from crm_tui.shop.operations import OrderItem, move_order, place_order, send_contact_message
from tests.ui.conftest import CONSOLE_NOW
from tests.ui.test_call_screen import take
from tests.ui.test_callback_queue_screen import ALWAYS
from tests.ui.test_search_and_card import settle


def read(demo_db, fn):
    engine = open_database(demo_db)
    try:
        with Session(engine) as session:
            return fn(session)
    finally:
        engine.dispose()


async def test_a_visitors_message_is_taken_the_sender_registered_and_answered(console_factory, demo_db):
    app = console_factory(login="ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f8")
        await settle(pilot)
        inbox = app.screen
        assert isinstance(inbox, InboxScreen)
        engine = open_database(demo_db)
        with write_session(engine) as session:
            message_id = send_contact_message(session, name="Vera Visitante", email="vera@example.org",
                                              phone="+34 655 44 33 22", text="¿Envían a Canarias?",
                                              now=CONSOLE_NOW - timedelta(hours=30)).id
        engine.dispose()
        await pilot.pause(2.0)  # the inbox polls every second
        await settle(pilot)
        table = inbox.query_one("#inbox", DataTable)
        keys = [row.value for row in table.rows]
        assert str(message_id) in keys
        table.move_cursor(row=keys.index(str(message_id)))
        await pilot.press("enter")  # take it
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, RegisterPersonScreen)
        assert app.screen.query_one("#field-email", Input).value == "vera@example.org"
        assert app.screen.query_one("#field-first_name", Input).value == "Vera"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is inbox
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        app.screen.query_one("#answer", Input).value = "Sí, en 3 días."
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is inbox
    stored = read(demo_db, lambda s: s.get(ContactMessage, message_id))
    assert stored.status == "answered" and stored.answer == "Sí, en 3 días." and stored.customer_id is not None


def ticking_console(demo_db):
    """A console whose clock moves on a second at every reading, so each step has its own time."""
    moments = iter(CONSOLE_NOW + timedelta(seconds=n) for n in range(100_000))
    return make_app(Settings(db=demo_db, lang="en", login="ana"), clock=lambda: next(moments), queue=ALWAYS)


async def test_a_complaint_from_a_call_becomes_a_case_whose_order_is_returned_then_resolved(demo_db):
    app = ticking_console(demo_db)
    async with app.run_test(size=(120, 40)) as pilot:
        call = await take(app, pilot)
        customer_id = call.customer_id
        assert customer_id is not None
        engine = open_database(demo_db)
        with write_session(engine) as session:  # the shop delivered an order of theirs yesterday
            sku = session.scalar(select(Product.sku).where(Product.stock_quantity > 5, Product.kind == "product")
                                 .limit(1))
            order = place_order(session, customer_id, [OrderItem(sku, 2)], now=CONSOLE_NOW - timedelta(days=3))
            move_order(session, order.order_id, "paid", now=CONSOLE_NOW - timedelta(days=3))
            move_order(session, order.order_id, "shipped", carrier="SEUR", tracking_number="SE123",
                       now=CONSOLE_NOW - timedelta(days=2))
            move_order(session, order.order_id, "delivered", now=CONSOLE_NOW - timedelta(days=1))
        engine.dispose()
        await pilot.press("1")  # resolved
        await settle(pilot)
        wrap_up = app.screen
        wrap_up.query_one("#satisfaction", Input).value = "1"
        wrap_up.query_one("#feedback-kind", Select).value = "complaint"
        wrap_up.query_one("#feedback", Input).value = "Both mugs arrived chipped"
        await pilot.press("ctrl+s")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen)
        form.query_one("#kind", Select).value = "product_defect"
        form.query_one("#order", Select).value = str(order.order_id)
        await pilot.press("ctrl+s")
        await settle(pilot)
        [(case_id, status, order_id)] = read(demo_db, lambda s: s.execute(
            select(ServiceCase.id, ServiceCase.status, ServiceCase.order_id)
            .where(ServiceCase.customer_id == customer_id)).all())
        assert (status, order_id) == ("open", order.order_id)

        stock_before = read(demo_db, lambda s: s.scalar(select(Product.stock_quantity).where(Product.sku == sku)))
        net_before = read(demo_db, lambda s: s.scalar(text("SELECT sum(net_cents) FROM sales_day")))
        app.action_go_home()
        await settle(pilot)
        await pilot.press("f9")  # cases: mine
        await settle(pilot)
        cases = app.screen
        assert isinstance(cases, CasesScreen)
        keys = [row.value for row in cases.query_one("#cases", DataTable).rows]
        cases.query_one("#cases", DataTable).move_cursor(row=keys.index(str(case_id)))
        await pilot.press("o")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert read(demo_db, lambda s: s.scalar(select(Product.stock_quantity).where(Product.sku == sku))) \
            == stock_before + 2
        net_after = read(demo_db, lambda s: s.scalar(text("SELECT sum(net_cents) FROM sales_day")))
        assert net_before - net_after == order.subtotal_cents  # sales figures count line values
        await pilot.press("v")
        await settle(pilot)
        form = app.screen
        form.query_one("#outcome", Select).value = "refund"
        form.query_one("#resolution", Input).value = "Returned and refunded in full"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert read(demo_db, lambda s: s.get(ServiceCase, case_id)).status == "resolved"

        app.push_screen(TimelineScreen(app.context, customer_id))
        await settle(pilot)
        rows = [[str(c) for c in app.screen.query_one("#timeline", DataTable).get_row_at(r)]
                for r in range(app.screen.query_one("#timeline", DataTable).row_count)]
    returned = read(demo_db, lambda s: s.scalar(select(Order.number).where(Order.cancels_order_id == order.order_id)))
    assert returned == f"R{order.number}"
    # newest first: resolved, returned (document and status), case opened, the call, delivered...
    what = [(row[1], row[3]) for row in rows[:9]]
    assert what[0] == ("case", "refund") and rows[0][5].startswith(f"#{case_id}: Returned")
    assert ("tracking", "returned") in what[1:3] and ("order", "returned") in what[1:3]
    assert what.index(("case", "opened")) < what.index(("call", "resolved"))
    assert what.index(("call", "resolved")) < what.index(("tracking", "delivered"))
    lines = read(demo_db, lambda s: s.scalar(select(func.sum(OrderLine.quantity))
                                             .where(OrderLine.order_id == order.order_id)))
    assert lines == 2


async def test_the_offers_screen_withholds_offers_while_a_case_is_open(console_factory, demo_db):
    from crm_tui.screens.offers import OffersScreen

    customer_id = read(demo_db, lambda s: s.scalar(select(ServiceCase.customer_id).where(
        ServiceCase.status.in_(("open", "waiting")), ServiceCase.customer_id.is_not(None)).order_by(ServiceCase.id)))
    case_id = read(demo_db, lambda s: s.scalar(select(ServiceCase.id).where(
        ServiceCase.customer_id == customer_id, ServiceCase.status.in_(("open", "waiting"))).order_by(
        ServiceCase.opened_at)))
    app = console_factory(login="ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.push_screen(OffersScreen(app.context, customer_id))
        await settle(pilot)
        assert app.screen.query_one("#offers", DataTable).row_count == 0
        message = str(app.screen.query_one("#message", Static).render())
    assert f"Offers withheld: case {case_id} is open" in message


async def test_a_refused_form_stays_open_with_what_was_typed(console_factory, demo_db):
    from crm_tui.services.cases import case_detail, set_waiting
    from crm_tui.services.staff import StaffMember

    [(case_id, owner)] = read(demo_db, lambda s: s.execute(
        select(ServiceCase.id, ServiceCase.owner).where(ServiceCase.status == "open").order_by(ServiceCase.id)
        .limit(1)).all())
    app = console_factory(login="tester")  # a supervisor may work anyone's case
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.push_screen(CasesScreen(app.context, "team"))
        await settle(pilot)
        cases = app.screen
        keys = [row.value for row in cases.query_one("#cases", DataTable).rows]
        cases.query_one("#cases", DataTable).move_cursor(row=keys.index(str(case_id)))
        await pilot.press("v")
        await settle(pilot)
        form = app.screen
        form.query_one("#outcome", Select).value = "explanation"
        form.query_one("#resolution", Input).value = "Explained the delay and apologised"
        engine = open_database(demo_db)  # meanwhile, its owner puts it on hold elsewhere
        with write_session(engine) as session:
            from crm_tui.models import Role

            agent = StaffMember(owner, owner, Role.AGENT, 10, True)
            set_waiting(session, agent, case_detail(session, agent, case_id, CONSOLE_NOW), True, now=CONSOLE_NOW)
        engine.dispose()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert "changed meanwhile" in str(form.query_one("#form-refused", Static).render())
        assert form.query_one("#resolution", Input).value == "Explained the delay and apologised"
        assert read(demo_db, lambda s: s.get(ServiceCase, case_id)).status == "waiting"
        await pilot.press("ctrl+s")  # once more, on the case as it is now
        await settle(pilot)
        assert app.screen is cases
    assert read(demo_db, lambda s: s.get(ServiceCase, case_id)).status == "resolved"


async def test_a_contact_logged_from_the_timeline_can_be_about_an_open_case(console_factory, demo_db):
    from crm_tui.models import ServiceContact

    [(case_id, customer_id, contacts)] = read(demo_db, lambda s: s.execute(
        select(ServiceCase.id, ServiceCase.customer_id, ServiceCase.contacts)
        .where(ServiceCase.status == "open", ServiceCase.customer_id.is_not(None)).order_by(ServiceCase.id)
        .limit(1)).all())
    app = console_factory(login="tester")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.push_screen(TimelineScreen(app.context, customer_id))
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        form = app.screen
        form.query_one("#outcome", Select).value = "follow_up"
        form.query_one("#case", Select).value = str(case_id)
        form.query_one("#note", Input).value = "Chased the carrier"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, TimelineScreen)
    assert read(demo_db, lambda s: s.get(ServiceCase, case_id)).contacts == contacts + 1
    assert read(demo_db, lambda s: s.scalar(select(ServiceContact.case_id).order_by(ServiceContact.id.desc())
                                            .limit(1))) == case_id
