from textual.widgets import Static


async def test_home_greets_the_staff_member_and_shows_the_shops_figures(console_factory):
    app = console_factory()
    async with app.run_test(size=(100, 30)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert "Welcome, tester." in str(screen.query_one("#status", Static).render())
        figures = str(screen.query_one("#figures", Static).render())
        assert "300 customers" in figures and "callbacks waiting" in figures
        assert app.sub_title == "tester (supervisor)"


async def test_ctrl_q_quits(console_factory):
    app = console_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert app.return_code == 0




async def test_the_palette_opens_the_screens_the_role_may_use(console_factory):
    from crm_tui.screens.commands import ScreenCommands

    for login, expected in (("tester", {"Callback queue", "Segments", "Dashboard"}), ("ana", {"Callback queue",
                                                                                              "Segments"})):
        app = console_factory(login=login)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            names = {name for name, _, _ in ScreenCommands(app.screen)._screens()}
            assert expected <= names and ("Dashboard" in names) == (login == "tester")
            app.from_home("segments")
            await pilot.pause(0.5)
            assert type(app.screen).__name__ == "SegmentsScreen"
