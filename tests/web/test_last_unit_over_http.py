"""Two customers press "Place my order" for the last unit at the same moment, through a real
HTTP server: one order, stock 0, and the other customer is told it is out of stock."""

import re
import threading

import httpx2
from sqlalchemy import func, select

from crm_tui.db import read_session
from crm_tui.shop.models import Order, Product
from tests.conftest import add_products
from tests.web.server import served


def customer(base: str, email: str, phone: str) -> httpx2.Client:
    client = httpx2.Client(base_url=base, follow_redirects=True, headers={"accept-language": "en"})
    client.get("/terms")
    token = client.cookies["shop_csrf"]
    client.post("/register", data={"csrf_token": token, "first_name": "A", "last_name": email, "email": email,
                                   "phone": phone, "country": "ES", "preferred_language": "en",
                                   "password": "correct horse battery"}).raise_for_status()
    return client


def test_two_customers_buying_the_last_unit_at_once_get_one_order(shop, catalogue):
    rounds = 6
    add_products(catalogue, *[dict(sku=f"ONE-{n}", name=f"Last vase {n}", unit_price_cents=2000, stock_quantity=1)
                              for n in range(rounds)])
    with served(shop) as base:
        buyers = [customer(base, "ana@example.com", "612345678"), customer(base, "eva@example.com", "622345678")]
        outcomes: list[str] = []
        for n in range(rounds):
            for client in buyers:
                added = client.post("/basket/add", data={"csrf_token": client.cookies["shop_csrf"],
                                                         "sku": f"ONE-{n}", "quantity": "1"})
                assert "is in your basket" in added.text
            barrier = threading.Barrier(2)

            def buy(client: httpx2.Client) -> None:
                barrier.wait(5)
                page = client.post("/checkout", data={"csrf_token": client.cookies["shop_csrf"]}).text
                outcomes.append(re.search(r'<p class="flash" role="status">([^<]*)</p>', page).group(1))

            threads = [threading.Thread(target=buy, args=(c,)) for c in buyers]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
        for client in buyers:
            client.close()
    won = [o for o in outcomes if o.startswith("Thank you: order WO")]
    refused = [o for o in outcomes if "out of stock" in o]
    assert len(won) == rounds and len(refused) == rounds, outcomes
    with read_session(catalogue) as session:
        assert session.scalars(select(Product.stock_quantity).where(Product.sku.like("ONE-%"))).all() == [0] * rounds
        assert session.scalar(select(func.count()).select_from(Order)) == rounds
