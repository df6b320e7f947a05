"""Consoles on real demo databases, built once per test session."""

import pytest

from crm_tui.app import make_app
from crm_tui.services.demo_shop import create_demo_database
from crm_tui.settings import Settings
from tests.conftest import AS_OF


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("ui") / "demo.db"
    create_demo_database(str(path), customers=300, seed=5, force=False, login="tester", as_of=AS_OF)
    return str(path)


@pytest.fixture
def console_factory(demo_db):
    def factory(lang: str = "en", login: str = "tester"):
        return make_app(Settings(db=demo_db, lang=lang, login=login))

    return factory
