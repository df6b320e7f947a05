"""What the agent sees, in both languages. Look at the SVGs as PNGs before accepting them."""

from datetime import time

import pytest
from textual.widgets import Input

from crm_tui.screens.customer_card import CustomerCardScreen
from crm_tui.settings import QueueSettings
from tests.ui.test_search_and_card import all_workers_done


async def settle(pilot):
    """Let every worker finish and every message land; stop text cursors blinking, so that a
    snapshot never catches one half-way (seen under load in CI)."""
    for _ in range(3):
        await all_workers_done(pilot.app)
        await pilot.pause()
    for text_input in pilot.app.screen.query(Input):
        text_input.cursor_blink = False
    await pilot.pause()


def search_for(text):
    async def run(pilot):
        await settle(pilot)
        await pilot.press(*text)
        await settle(pilot)
    return run


def card_of(customer_id, edits=None):
    async def run(pilot):
        await settle(pilot)
        pilot.app.push_screen(CustomerCardScreen(pilot.app.context, customer_id))
        await settle(pilot)
        for name, value in (edits or {}).items():
            pilot.app.screen.query_one(f"#field-{name}", Input).value = value
        if edits:
            await pilot.press("ctrl+s")
            await settle(pilot)
    return run


@pytest.mark.parametrize("lang", ["en", "es"])
def test_home(snap_compare, console_factory, lang):
    assert snap_compare(console_factory(lang=lang), terminal_size=(120, 40), run_before=settle)


@pytest.mark.parametrize("lang", ["en", "es"])
def test_results(snap_compare, console_factory, lang):
    assert snap_compare(console_factory(lang=lang), terminal_size=(120, 40), run_before=search_for("gar"))


def test_results_at_80x24(snap_compare, console_factory):
    assert snap_compare(console_factory(), terminal_size=(80, 24), run_before=search_for("gar"))


@pytest.mark.parametrize("lang", ["en", "es"])
def test_card(snap_compare, console_factory, lang):
    assert snap_compare(console_factory(lang=lang, login="ana"), terminal_size=(120, 40), run_before=card_of(10))


@pytest.mark.parametrize("lang", ["en", "es"])
def test_card_with_errors(snap_compare, console_factory, lang):
    edits = {"email": "not-an-email", "discount_percent": "25"}
    assert snap_compare(console_factory(lang=lang, login="ana"), terminal_size=(120, 40),
                        run_before=card_of(11, edits))


def test_card_at_80x24(snap_compare, console_factory):
    assert snap_compare(console_factory(login="ana"), terminal_size=(80, 24), run_before=card_of(10))


def summary_of(customer_id, open_first_order=False):
    async def run(pilot):
        from crm_tui.screens.customer_360 import Customer360Screen

        await settle(pilot)
        pilot.app.push_screen(Customer360Screen(pilot.app.context, customer_id))
        await settle(pilot)
        # The summary and the order list load in workers of their own; on a loaded machine the
        # layout (and with it a scroll bar) can settle a frame after both are done.
        await pilot.pause(0.2)
        await settle(pilot)
        if open_first_order:
            await pilot.press("enter")
            await settle(pilot)
    return run


@pytest.mark.parametrize("lang", ["en", "es"])
def test_customer_360(snap_compare, console_factory, lang):
    assert snap_compare(console_factory(lang=lang), terminal_size=(120, 40), run_before=summary_of(30))


def test_order_lines(snap_compare, console_factory):
    assert snap_compare(console_factory(), terminal_size=(120, 40), run_before=summary_of(30, open_first_order=True))


@pytest.mark.parametrize("lang", ["en", "es"])
def test_phone_order(snap_compare, console_factory, lang):
    async def run(pilot):
        from crm_tui.screens.phone_order import PhoneOrderScreen

        await settle(pilot)
        pilot.app.push_screen(PhoneOrderScreen(pilot.app.context, 31))
        await settle(pilot)
        await pilot.press(*"mug")
        await settle(pilot)
        screen = pilot.app.screen
        screen.add(next(o for o in screen.offers if o.stock_quantity > 2), 2)
        red = [o for o in screen.offers if o.stock_quantity == 0]
        if red:
            screen.add(red[0])
        await settle(pilot)

    assert snap_compare(console_factory(lang=lang, login="ana"), terminal_size=(120, 40), run_before=run)


ALWAYS = QueueSettings(calling_hours=(time.min, time.max))  # the queue tests are about claims, not the clock


def in_the_queue(*keys, login_screen=None):
    """Open the queue with a fixed clock and wide calling hours, then press keys."""
    async def run(pilot):
        from crm_tui.screens.callback_queue import CallbackQueueScreen

        await settle(pilot)
        pilot.app.push_screen(CallbackQueueScreen(pilot.app.context))
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        await pilot.pause(0.2)  # the queue's table measures its columns on the refresh after its rows
        await settle(pilot)
    return run


@pytest.mark.parametrize("lang", ["en", "es"])
def test_callback_queue(snap_compare, console_factory, lang):
    assert snap_compare(console_factory(lang=lang, login="ana", queue=ALWAYS), terminal_size=(120, 40),
                        run_before=in_the_queue())


@pytest.mark.parametrize("lang", ["en", "es"])
def test_call(snap_compare, console_factory, lang):
    assert snap_compare(console_factory(lang=lang, login="ana", queue=ALWAYS), terminal_size=(120, 40),
                        run_before=in_the_queue("n"))


def test_call_at_80x24(snap_compare, console_factory):
    assert snap_compare(console_factory(login="ana", queue=ALWAYS), terminal_size=(80, 24), run_before=in_the_queue("n"))


def test_call_wrap_up(snap_compare, console_factory):
    assert snap_compare(console_factory(login="ana", queue=ALWAYS), terminal_size=(120, 40),
                        run_before=in_the_queue("n", "1"))


def test_call_back_later(snap_compare, console_factory):
    assert snap_compare(console_factory(lang="es", login="ana", queue=ALWAYS), terminal_size=(120, 40),
                        run_before=in_the_queue("n", "7"))


def test_queue_supervision(snap_compare, console_factory):
    assert snap_compare(console_factory(login="tester", queue=ALWAYS), terminal_size=(120, 40),
                        run_before=in_the_queue("n", "3", "s"))


def offers_of_the_top_champion(pilot):
    from sqlalchemy import select
    from sqlmodel import Session

    from crm_tui.models import CustomerRfm

    with Session(pilot.app.context.engine) as session:
        return session.scalar(select(CustomerRfm.customer_id).where(CustomerRfm.segment == "champion")
                              .order_by(CustomerRfm.monetary_cents.desc()))


@pytest.mark.parametrize("lang", ["en", "es"])
def test_offers(snap_compare, console_factory, lang):
    async def run(pilot):
        from crm_tui.screens.offers import OffersScreen

        await settle(pilot)
        pilot.app.push_screen(OffersScreen(pilot.app.context, offers_of_the_top_champion(pilot)))
        await settle(pilot)

    assert snap_compare(console_factory(lang=lang, login="ana"), terminal_size=(120, 40), run_before=run)


def test_segments(snap_compare, console_factory):
    async def run(pilot):
        await settle(pilot)
        await pilot.press("f6")
        await settle(pilot)

    assert snap_compare(console_factory(lang="es", login="ana"), terminal_size=(120, 40), run_before=run)


def dashboard(tab: str = "tab-sales"):
    async def run(pilot):
        from crm_tui.screens.dashboard import DashboardScreen
        from tests.conftest import AS_OF

        await settle(pilot)
        pilot.app.push_screen(DashboardScreen(pilot.app.context, today=AS_OF.date()))
        await settle(pilot)
        pilot.app.screen.query_one("#tabs").active = tab
        await settle(pilot)
        await pilot.pause(0.3)  # the tab switch redraws its plots after the layout
        await settle(pilot)
        pilot.app.screen.draw()  # once more, at the size everything has now
        await pilot.pause(0.2)
        await settle(pilot)
    return run


@pytest.mark.parametrize("tab", ["tab-sales", "tab-products", "tab-customers", "tab-agents"])
def test_dashboard(snap_compare, console_factory, tab):
    assert snap_compare(console_factory(login="tester"), terminal_size=(120, 40), run_before=dashboard(tab))


def test_dashboard_at_80x24_in_spanish(snap_compare, console_factory):
    assert snap_compare(console_factory(lang="es", login="tester"), terminal_size=(80, 24), run_before=dashboard())


# --- the service desk ------------------------------------------------------------------------

def service_screen(make):
    async def run(pilot):
        await settle(pilot)
        pilot.app.push_screen(make(pilot.app.context))
        await settle(pilot)
    return run


def busiest_customer(demo_db) -> int:
    """The demo customer with the most on their timeline: cases, contacts, messages."""
    import sqlite3

    with sqlite3.connect(demo_db) as conn:
        return conn.execute(
            "SELECT customer_id FROM (SELECT customer_id FROM service_case UNION ALL SELECT customer_id "
            "FROM service_contact UNION ALL SELECT customer_id FROM contact_message) WHERE customer_id IS NOT NULL "
            "GROUP BY customer_id ORDER BY count(*) DESC, customer_id LIMIT 1").fetchone()[0]


SIZES = [(120, 40), (80, 24)]


@pytest.mark.parametrize("size", SIZES, ids=["120x40", "80x24"])
@pytest.mark.parametrize("lang", ["en", "es"])
def test_inbox(snap_compare, console_factory, lang, size):
    from crm_tui.screens.inbox import InboxScreen

    assert snap_compare(console_factory(lang=lang, login="ana"), terminal_size=size,
                        run_before=service_screen(InboxScreen))


@pytest.mark.parametrize("size", SIZES, ids=["120x40", "80x24"])
@pytest.mark.parametrize("lang", ["en", "es"])
def test_cases(snap_compare, console_factory, lang, size):
    from crm_tui.screens.cases import CasesScreen

    assert snap_compare(console_factory(lang=lang, login="ana"), terminal_size=size,
                        run_before=service_screen(lambda context: CasesScreen(context, "team")))


@pytest.mark.parametrize("size", SIZES, ids=["120x40", "80x24"])
@pytest.mark.parametrize("lang", ["en", "es"])
def test_timeline(snap_compare, console_factory, demo_db, lang, size):
    from crm_tui.screens.timeline import TimelineScreen

    customer_id = busiest_customer(demo_db)
    assert snap_compare(console_factory(lang=lang, login="ana"), terminal_size=size,
                        run_before=service_screen(lambda context: TimelineScreen(context, customer_id)))


@pytest.mark.parametrize("size", SIZES, ids=["120x40", "80x24"])
@pytest.mark.parametrize("lang", ["en", "es"])
def test_quality_tab(snap_compare, console_factory, lang, size):
    assert snap_compare(console_factory(lang=lang, login="tester"), terminal_size=size,
                        run_before=dashboard("tab-quality"))


# --- every screen at 80x24, in both languages --------------------------------------------------

def pushed(make):
    async def run(pilot):
        await settle(pilot)
        pilot.app.push_screen(make(pilot))
        await settle(pilot)
        await pilot.pause(0.2)
        await settle(pilot)
    return run


def _phone_order(pilot):
    from crm_tui.screens.phone_order import PhoneOrderScreen

    return PhoneOrderScreen(pilot.app.context, 31)


def _offers(pilot):
    from crm_tui.screens.offers import OffersScreen

    return OffersScreen(pilot.app.context, offers_of_the_top_champion(pilot))


def _segments(pilot):
    from crm_tui.screens.segments import SegmentsScreen

    return SegmentsScreen(pilot.app.context)


SMALL_SCREENS = {
    "results": (search_for("gar"), "ana"),
    "card": (card_of(10), "ana"),
    "summary": (summary_of(30), "ana"),
    "order lines": (summary_of(30, open_first_order=True), "ana"),
    "phone order": (pushed(_phone_order), "ana"),
    "offers": (pushed(_offers), "ana"),
    "segments": (pushed(_segments), "ana"),
    "queue": (in_the_queue(), "ana"),
    "call": (in_the_queue("n"), "ana"),
    "supervision": (in_the_queue("n", "3", "s"), "tester"),
    "dashboard": (dashboard(), "tester"),
}


@pytest.mark.parametrize("screen", list(SMALL_SCREENS))
@pytest.mark.parametrize("lang", ["en", "es"])
def test_every_screen_at_80x24(snap_compare, console_factory, lang, screen):
    run, login = SMALL_SCREENS[screen]
    assert snap_compare(console_factory(lang=lang, login=login, queue=ALWAYS), terminal_size=(80, 24),
                        run_before=run)
