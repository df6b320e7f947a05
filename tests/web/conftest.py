"""The web shop over a real database: Starlette's TestClient, a clock the test sets."""

import re
from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from crm_tui.storefront.app import make_shop
from crm_tui.storefront.guards import RateLimit
from tests.conftest import AS_OF


class Clock:
    def __init__(self):
        self.at = AS_OF

    def __call__(self):
        return self.at

    def advance(self, **delta) -> None:
        self.at += timedelta(**delta)


@pytest.fixture
def clock():
    return Clock()


def token(client: TestClient) -> str:
    if not client.cookies.get("shop_csrf"):
        client.get("/terms")
    return client.cookies["shop_csrf"]


def errors(page: str) -> dict[str, str]:
    """The error shown beside each field: {field: message}."""
    return dict(re.findall(r'<p class="error" id="e-([\w-]+)">([^<]*)</p>', page))


def flash(page: str) -> str:
    found = re.search(r'<p class="flash" role="status">([^<]*)</p>', page)
    return found.group(1) if found else ""


@pytest.fixture
def shop(catalogue, clock, tmp_path):
    app = make_shop(catalogue, tmp_path / "logs", clock=clock, rate_limit=RateLimit(clock, limit=3))
    return app


@pytest.fixture
def client(shop):
    with TestClient(shop, headers={"accept-language": "en"}) as client:
        yield client


def register(client: TestClient, **overrides) -> object:
    form = dict(first_name="Ana", last_name="Ruiz", email="ana@example.com", phone="612 345 678", country="ES",
                preferred_language="en", password="correct horse battery", consent_email="1")
    form.update(overrides)
    return client.post("/register", data={"csrf_token": token(client), **form})
