"""The call centre's main loop end to end, in a real headless Chromium (Debian's) against the
shop's real server, with an agent's console (Pilot) on the same database: a visitor asks for a
callback and the queue shows it; a customer buys the last unit and its light turns red; the
contact form shows an error beside the field, then succeeds.

Run in a pytest process of its own (`make test` does): see ../shared/STACK.md on Playwright.
Screenshots of the pages, in English and Spanish, are left in the test's tmp_path/screens."""

import time
from datetime import time as clock_time

import pytest
from playwright.async_api import async_playwright
from sqlalchemy import select
from textual.widgets import DataTable

from crm_tui.app import make_app
from crm_tui.db import read_session
from crm_tui.screens.callback_queue import CallbackQueueScreen
from crm_tui.settings import QueueSettings, Settings
from crm_tui.shop.models import CallbackRequest, Product
from crm_tui.storefront.app import make_shop
from tests.conftest import add_products
from tests.web.server import served

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def screens(tmp_path):
    folder = tmp_path / "screens"
    folder.mkdir()
    return folder


async def test_callback_purchase_and_contact_in_a_real_browser(db, engine, tmp_path, screens):
    add_products(engine, dict(sku="LAMP", name="Table lamp, zinc", description="Zinc shade, E27, 40 cm.",
                              unit_price_cents=3990, stock_quantity=1, category="Lighting"),
                 dict(sku="MUG-RED", name="Enamel mug, red", description="Enamel on steel, 350 ml.",
                      unit_price_cents=450, stock_quantity=3, category="Kitchen"),
                 dict(sku="KITE", name="Kite, rainbow", description="Ripstop nylon, 1.2 m.",
                      unit_price_cents=1250, stock_quantity=40, category="Toys"))
    console = make_app(Settings(db=db, lang="en", login="ops1"),
                       queue=QueueSettings(calling_hours=(clock_time.min, clock_time.max)))
    with served(make_shop(engine, tmp_path / "logs")) as base:
        async with console.run_test(size=(120, 40)) as pilot, async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            visitor = await (await browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
                             ).new_page()
            await pilot.pause()
            console.push_screen(CallbackQueueScreen(console.context))
            await pilot.pause()
            queue = console.screen.query_one("#queue", DataTable)
            assert queue.row_count == 0

            # A visitor asks for a callback; the agent's queue shows it within 2 s.
            await visitor.goto(base + "/")
            await visitor.screenshot(path=screens / "catalogue-en.png", full_page=True)
            await visitor.fill("#cb-phone", "612 345 678")
            await visitor.fill("#cb-note", "Is the lamp dimmable?")
            await visitor.click("text=Call me back")
            sent = time.monotonic()
            assert "we will call you back as soon as possible" in await visitor.inner_text(".flash")
            while queue.row_count == 0 and time.monotonic() - sent < 3:
                await pilot.pause(0.05)
            shown_after = time.monotonic() - sent
            assert queue.row_count == 1 and shown_after < 2, shown_after
            with read_session(engine) as session:
                assert session.scalar(select(CallbackRequest.note)) == "Is the lamp dimmable?"

            # A registered customer buys the last lamp: red on the next page load, cannot be added.
            await visitor.goto(base + "/register")
            for field, value in [("first_name", "Ana"), ("last_name", "Ruiz"), ("email", "ana@example.com"),
                                 ("phone", "622 345 678"), ("password", "correct horse battery")]:
                await visitor.fill(f"#f-{field}", value)
            await visitor.click("text=Create my account")
            assert "your account is ready" in await visitor.inner_text(".flash")
            await visitor.goto(base + "/product/LAMP")
            assert "Only a few left" in await visitor.inner_text(".light.yellow")
            await visitor.click("text=Add to basket")
            await visitor.goto(base + "/basket")
            await visitor.screenshot(path=screens / "basket-en.png", full_page=True)
            await visitor.click("text=Place my order")
            assert "Thank you: order WO" in await visitor.inner_text(".flash")
            await visitor.screenshot(path=screens / "order-en.png", full_page=True)
            await visitor.goto(base + "/product/LAMP")
            assert "Out of stock" in await visitor.inner_text(".light.red")
            assert await visitor.locator("text=Add to basket").count() == 0
            await visitor.screenshot(path=screens / "product-red-en.png", full_page=True)
            token = await visitor.locator('input[name="csrf_token"]').first.input_value()
            forced = await visitor.request.post(base + "/basket/add",
                                                form={"csrf_token": token, "sku": "LAMP", "quantity": "1"})
            assert "is out of stock and cannot be ordered" in await forced.text()
            with read_session(engine) as session:
                assert session.scalar(select(Product.stock_quantity).where(Product.sku == "LAMP")) == 0

            # The contact form: a bad e-mail is shown beside its field, then the message goes.
            await visitor.goto(base + "/contact")
            await visitor.fill("#f-name", "Eva")
            await visitor.fill("#f-email", "eva@")
            await visitor.fill("#f-text", "My parcel came open.")
            await visitor.click("main >> text=Send")
            assert "valid e-mail address" in await visitor.inner_text("#e-email")
            await visitor.screenshot(path=screens / "contact-error-en.png", full_page=True)
            await visitor.fill("#f-email", "eva@example.com")
            await visitor.click("main >> text=Send")
            assert "we will answer you soon" in await visitor.inner_text(".flash")

            # The same shop in Spanish, for a Spanish browser.
            spanish = await (await browser.new_context(locale="es-ES", viewport={"width": 1280, "height": 900})
                             ).new_page()
            await spanish.goto(base + "/")
            assert await spanish.get_attribute("html", "lang") == "es"
            await spanish.screenshot(path=screens / "catalogue-es.png", full_page=True)
            await spanish.goto(base + "/register")
            await spanish.fill("#f-email", "no-es-un-correo")
            await spanish.click("text=Crear mi cuenta")
            assert "Introduzca un correo electrónico válido" in await spanish.inner_text("#e-email")
            await spanish.screenshot(path=screens / "register-errors-es.png", full_page=True)
            await browser.close()
