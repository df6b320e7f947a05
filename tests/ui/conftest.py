"""Consoles on real demo databases: one demo shop built per test session, and a fresh copy of
it for every test, so that what one test changes never shows in another's screens."""

import shutil
from datetime import datetime, timedelta

import pytest

from crm_tui.app import make_app
from crm_tui.db import make_engine
from crm_tui.services.demo_shop import create_demo_database
from crm_tui.settings import QueueSettings, Settings
from tests.conftest import AS_OF


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("ui") / "demo.db"
    engine = make_engine(f"sqlite:///{path}")
    create_demo_database(engine, customers=300, seed=5, login="tester", as_of=AS_OF)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return str(path)


@pytest.fixture
def demo_db(demo_template, tmp_path) -> str:
    path = tmp_path / "demo.db"
    shutil.copy(demo_template, path)
    return str(path)


CONSOLE_NOW = AS_OF + timedelta(minutes=20)


@pytest.fixture
def console_factory(demo_db):
    """Consoles whose clock stands 20 minutes after the demo was built, on any date."""
    def factory(lang: str = "en", login: str = "tester", now: datetime = CONSOLE_NOW,
                queue: QueueSettings | None = None):
        return make_app(Settings(db=demo_db, lang=lang, login=login), clock=lambda: now, queue=queue or QueueSettings())

    return factory
