"""The offers screen from the card and the call, and the segments screen."""

from sqlalchemy import select
from sqlmodel import Session
from textual.widgets import DataTable, Static

from crm_tui.db import open_database
from crm_tui.models import CustomerRfm, OfferMade
from crm_tui.screens.offers import OffersScreen
from crm_tui.screens.segments import SegmentsScreen
from tests.ui.test_call_screen import take
from tests.ui.test_search_and_card import settle


def champion(demo_db) -> int:
    engine = open_database(demo_db)
    with Session(engine) as session:
        found = session.scalar(select(CustomerRfm.customer_id).where(CustomerRfm.segment == "champion")
                               .order_by(CustomerRfm.monetary_cents.desc()))
    engine.dispose()
    return found


async def test_offers_from_the_card_with_reason_consent_and_message(console_factory, demo_db):
    customer_id = champion(demo_db)
    app = console_factory(login="ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_customer(customer_id)
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, OffersScreen)
        table = screen.query_one("#offers", DataTable)
        assert table.row_count > 0
        assert "Consents" in str(screen.query_one("#who", Static).render())
        assert "Message" in str(screen.query_one("#message", Static).render())
        assert screen.query_one("#offers-status", Static).render().plain == ""  # agents do not see the rate
        first = screen.found.offers[0]
        await pilot.press("o")
        await settle(pilot)
        assert "logged" in str(screen.query_one("#offers-status", Static).render())
    engine = open_database(demo_db)
    with Session(engine) as session:
        made = session.scalars(select(OfferMade)).all()
    engine.dispose()
    assert [(m.customer_id, m.product_id, m.made_by) for m in made] == [(customer_id, first.product_id, "ana")]


async def test_supervisors_see_the_acceptance_rate(console_factory, demo_db):
    app = console_factory(login="tester")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.push_screen(OffersScreen(app.context, champion(demo_db)))
        await settle(pilot)
        assert "accepted" in str(app.screen.query_one("#offers-status", Static).render())


async def test_offers_during_a_call_are_logged_on_the_phone(console_factory, demo_db):
    app = console_factory(login="ana")
    async with app.run_test(size=(120, 40)) as pilot:
        call = await take(app, pilot)
        await pilot.press("f5")
        await settle(pilot)
        assert isinstance(app.screen, OffersScreen) and app.screen.customer_id == call.customer_id
        assert app.screen.found.offers
        await pilot.press("o")
        await settle(pilot)
    engine = open_database(demo_db)
    with Session(engine) as session:
        assert session.scalars(select(OfferMade.channel)).all() == ["phone"]
    engine.dispose()


async def test_segments_list_their_customers_and_open_a_card(console_factory):
    app = console_factory(login="ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f6")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SegmentsScreen)
        segments = screen.query_one("#segments", DataTable)
        assert segments.row_count == 8 and sum(c.customers for c in screen.counts) == 300
        members = screen.query_one("#members", DataTable)
        assert members.row_count == screen.counts[0].customers or members.row_count == 200
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "CustomerCardScreen"
        await pilot.press("escape")
        await settle(pilot)
        assert "recompute" not in {b.binding.action for b in app.active_bindings.values()}  # hidden from agents
        computed = str(screen.query_one("#computed", Static).render())
        await pilot.press("r")
        await settle(pilot)
        assert str(screen.query_one("#computed", Static).render()) == computed  # nothing recomputed
