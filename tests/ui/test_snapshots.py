"""What the agent sees, in both languages. Look at the SVGs as PNGs before accepting them."""

import pytest
from textual.widgets import Input

from screens.customer_card import CustomerCardScreen


async def settle(pilot):
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
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
