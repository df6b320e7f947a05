"""The supervisors' dashboard: charts from the roll-ups, filters, top lists that open things."""

from textual.widgets import DataTable, Input, Static

from crm_tui.screens.dashboard import DashboardScreen, ProductScreen
from tests.conftest import AS_OF
from tests.ui.test_search_and_card import settle


async def open_dashboard(app, pilot) -> DashboardScreen:
    await settle(pilot)
    app.push_screen(DashboardScreen(app.context, today=AS_OF.date()))
    await settle(pilot)
    await settle(pilot)
    return app.screen


async def test_charts_and_top_lists_for_the_last_twelve_months(console_factory):
    app = console_factory(login="tester")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_dashboard(app, pilot)
        data = screen.data
        assert data is not None and data.period.last == AS_OF.date()
        assert len(data.year_on_year) == 12 and data.top_revenue and data.top_customers
        assert screen.query_one("#top-revenue", DataTable).row_count == len(data.top_revenue)
        assert "money in euros" in str(screen.query_one("#dashboard-status", Static).render())
        screen.query_one("#tabs").active = "tab-products"
        await settle(pilot)
        screen.query_one("#top-revenue", DataTable).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ProductScreen)
        assert data.top_revenue[0].name in str(app.screen.query_one("#product", Static).render())
        await pilot.press("escape")
        await settle(pilot)
        screen.query_one("#tabs").active = "tab-customers"
        await settle(pilot)
        screen.query_one("#top-customers", DataTable).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "CustomerCardScreen"
        assert app.screen.customer_id == data.top_customers[0].customer_id


async def test_filters_narrow_the_figures_and_bad_dates_are_explained(console_factory):
    app = console_factory(login="tester")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_dashboard(app, pilot)
        screen.query_one("#filter-country", Input).value = "gb"
        screen.query_one("#filter-from", Input).value = "2026-06-15"
        screen.query_one("#filter-country", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        data = screen.data
        assert data.period.first.isoformat() == "2026-06-15"
        assert {c.country for c in data.top_customers} == {"GB"}
        assert [c for c, _ in data.by_country] == ["GB"]
        screen.query_one("#filter-from", Input).value = "15/06/2026"
        await pilot.press("enter")
        await settle(pilot)
        assert "2026-01-31" in str(screen.query_one("#dashboard-status", Static).render())


async def test_agents_do_not_see_the_dashboard_key_and_cannot_open_it(console_factory):
    app = console_factory(login="ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "dashboard" not in {b.binding.action for b in app.active_bindings.values()}
        await pilot.press("f7")
        await settle(pilot)
        assert not isinstance(app.screen, DashboardScreen)
