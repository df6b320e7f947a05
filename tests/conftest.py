"""Shared fixtures: real SQLite files in tmp_path, migrated the way the product opens them."""

from datetime import datetime, timezone

import pytest
from sqlalchemy import insert

from crm_tui.db import open_database, write_session
from crm_tui.shop.models import Product

AS_OF = datetime(2026, 11, 20, 10, 30, tzinfo=timezone.utc)


def act_as(monkeypatch, login: str) -> None:
    """In-process commands run as `login`: the operating-system identity, replaced for the test
    (the product never reads it from the environment)."""
    monkeypatch.setattr("crm_tui.settings.os_login", lambda: login)


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "shop.db"


@pytest.fixture
def db(tmp_path, monkeypatch):
    """A fresh shop database with the ops login ops1, the working directory in tmp_path."""
    from tests.import_helpers import add_ops

    act_as(monkeypatch, "ops1")
    monkeypatch.chdir(tmp_path)
    path = str(tmp_path / "shop.db")
    add_ops(path)
    return path


@pytest.fixture
def engine(db_path):
    engine = open_database(str(db_path))
    yield engine
    engine.dispose()


def add_products(engine, *rows: dict) -> None:
    defaults = dict(description="", category="Kitchen", low_stock_threshold=5, active=True, kind="product")
    with write_session(engine) as session:
        session.execute(insert(Product), [defaults | row for row in rows])


@pytest.fixture
def catalogue(engine):
    add_products(
        engine,
        dict(sku="MUG-RED", name="Enamel mug, red", unit_price_cents=450, stock_quantity=20),
        dict(sku="LAMP", name="Table lamp, zinc", unit_price_cents=3990, stock_quantity=1),
        dict(sku="KITE", name="Kite, rainbow", unit_price_cents=1250, stock_quantity=0),
        dict(sku="POST", name="Postage", unit_price_cents=495, stock_quantity=0, kind="postage"),
    )
    return engine


REGISTRATION = dict(first_name="José", last_name="García López", email="Jose.Garcia@Example.com",
                    phone="612 34 56 78", street="Calle Mayor 1", postcode="28013", city="Madrid",
                    country="ES", preferred_language="es", consent_email=True)
