"""The three core flows, key by key, as the README counts them: each press below is one key."""

from sqlalchemy import func, select
from sqlmodel import Session

from crm_tui.db import open_database
from crm_tui.models import CallbackAttempt
from crm_tui.shop.models import Customer, Order, Product
from tests.ui.test_callback_queue_screen import ALWAYS
from tests.ui.test_search_and_card import settle


def read(demo_db, query):
    engine = open_database(demo_db)
    try:
        with Session(engine) as session:
            return session.execute(query).all()
    finally:
        engine.dispose()


async def keys(pilot, *pressed: str) -> int:
    for key in pressed:
        await pilot.press(key)
        await settle(pilot)
    return len(pressed)


async def test_claim_then_no_answer_takes_three_keys(console_factory, demo_db):
    app = console_factory(login="ana", queue=ALWAYS)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert await keys(pilot, "f4", "n", "3") == 3
    assert read(demo_db, select(CallbackAttempt.outcome).order_by(CallbackAttempt.id.desc()).limit(1)) == [
        ("no_answer",)]


async def test_claim_then_resolved_with_a_score_takes_five_keys(console_factory, demo_db):
    app = console_factory(login="ana", queue=ALWAYS)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert await keys(pilot, "f4", "n", "1", "5", "enter") == 5
    assert read(demo_db, select(CallbackAttempt.outcome, CallbackAttempt.satisfaction)
                .order_by(CallbackAttempt.id.desc()).limit(1)) == [("resolved", 5)]


def only_one_with_that_surname(demo_db) -> tuple[str, int]:
    """The first customer whose first surname appears in no other customer's name."""
    people = read(demo_db, select(Customer.id, Customer.first_name, Customer.last_name).order_by(Customer.id))
    names = [f"{first} {last}".lower() for _, first, last in people]
    for customer_id, _, last_name in people:
        surname = last_name.split()[0].lower()
        if sum(surname in name for name in names) == 1:
            return surname, customer_id
    raise AssertionError("every surname in the demo is shared")


async def test_search_then_a_phone_order_takes_five_keys_and_the_words_typed(console_factory, demo_db):
    surname, customer_id = only_one_with_that_surname(demo_db)
    [(product,)] = read(demo_db, select(Product.name).where(Product.stock_quantity > 10, Product.kind == "product")
                        .order_by(Product.id).limit(1))
    word = product.split(",")[0].split()[0].lower()
    before = read(demo_db, select(func.count()).select_from(Order).where(Order.customer_id == customer_id))[0][0]
    app = console_factory(login="ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        typed = await keys(pilot, *surname)  # the first hit: this customer has the demo's only such surname
        pressed = await keys(pilot, "enter", "f3", *word, "enter", "enter", "ctrl+s")
    after = read(demo_db, select(func.count()).select_from(Order).where(Order.customer_id == customer_id))[0][0]
    assert after == before + 1
    assert pressed - len(word) == 5 and typed == len(surname)
