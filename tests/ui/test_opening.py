"""The console as `crm-tui` starts it: a first frame at once, the database opened behind it, and a
refusal said in one sentence once the screen has gone."""

import threading

from textual.widgets import Input, Static

from crm_tui.app import CrmApp, console_app, open_console
from crm_tui.screens.home import HomeScreen
from crm_tui.screens.opening import OpeningScreen
from crm_tui.settings import Settings
from tests.ui.test_search_and_card import all_workers_done


async def until_home(pilot) -> None:
    for _ in range(200):
        if isinstance(pilot.app.screen, HomeScreen):
            return
        await pilot.pause(0.05)
    raise AssertionError(f"the console never opened: {pilot.app.screen!r}")


async def until_closed(pilot) -> None:
    for _ in range(200):
        if not pilot.app.is_running:
            return
        await pilot.pause(0.05)
    raise AssertionError("the console never closed")


def held_opening(settings: Settings):
    """A console's opening that waits until the test lets the database open."""
    database_may_open = threading.Event()

    def opening():
        assert database_may_open.wait(10)
        return open_console(settings)

    return database_may_open, opening


async def test_the_first_frame_comes_before_the_database_and_the_home_screen_follows(demo_db):
    database_may_open, opening = held_opening(Settings(db=demo_db, lang="es", login="ana"))
    app = CrmApp(opening=opening, lang="es")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, OpeningScreen)
        assert str(app.screen.query_one(Static).render()) == "Abriendo la base de datos…"
        database_may_open.set()
        await until_home(pilot)
        await all_workers_done(app)
        assert app.sub_title == "Ana Ruiz (agente)"
        assert len(app.screen_stack) == 2  # default, home: Esc-to-home keeps working
        await pilot.press("escape")
        assert app.screen.focused.id == "search"


async def test_keys_typed_while_the_database_opens_reach_the_home_screen(demo_db):
    database_may_open, opening = held_opening(Settings(db=demo_db, lang="en", login="ana"))
    app = CrmApp(opening=opening)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("G", "a", "r", "backspace", "r")
        database_may_open.set()
        await until_home(pilot)
        await all_workers_done(app)
        await pilot.pause()
        assert app.screen.query_one("#search", Input).value == "Gar"


async def test_a_login_that_is_not_staff_closes_the_console_and_says_why(demo_db):
    app = console_app(Settings(db=demo_db, lang="en", login="mallory"), environ={})
    async with app.run_test(size=(80, 24)) as pilot:
        await until_closed(pilot)
    assert app.return_code == 1
    assert app.refusal is not None and "'mallory' is not registered as staff" in app.refusal
    assert app.refusal.count("\n") == 0


async def test_an_unforeseen_failure_while_opening_is_one_sentence_not_a_traceback():
    def opening():
        raise RuntimeError("the disk went away")

    app = CrmApp(opening=opening)
    async with app.run_test(size=(80, 24)) as pilot:
        await until_closed(pilot)
    assert app.return_code == 1 and app.refusal is not None
    assert "the disk went away" in app.refusal and app.refusal.count("\n") == 0


async def test_a_missing_database_file_is_refused_without_creating_one(tmp_path):
    missing = tmp_path / "shop.db"
    app = console_app(Settings(db=str(missing), lang="en", login="ana"), environ={})
    async with app.run_test(size=(80, 24)) as pilot:
        await until_closed(pilot)
    assert app.return_code == 1 and app.refusal is not None and "no database" in app.refusal
    assert not missing.exists()
