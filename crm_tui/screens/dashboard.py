"""The supervisors' dashboard: sales, products, customers, agents and the queue as charts
(one plotext plot per chart, in the console's theme), filtered by dates, country and category.
Enter on a top-list entry opens that customer or product."""

from datetime import date, datetime, timedelta, timezone

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Input, Label, Static, TabbedContent, TabPane

from crm_tui.screens.base import ConsoleModal, ConsoleScreen
from crm_tui.services import reports
from crm_tui.services.dashboard import DashboardData, load_dashboard, product_figures
from crm_tui.services.policy import Action
from crm_tui.services.service_quality import QualityReport, quality_report
from crm_tui.widgets.chart import LEGEND, Chart
from crm_tui.widgets.literal import cell, filled, visible
from crm_tui.widgets.stock_light import stock_with_light


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)


def _channel(key: str, tr) -> str:
    """The shop's own channels in the agent's language; any other (an import's) as it is."""
    return tr(key) if key in ("web", "phone") else visible(key)


def _ranks(items: list) -> list[str]:
    return [str(n) for n in range(1, len(items) + 1)]


class DashboardScreen(ConsoleScreen):
    CSS_PATH = "dashboard.tcss"
    BINDINGS = [
        Binding("f5", "reload", "Refresh"),
        Binding("escape", "back", "Back"),
    ]

    class Loaded(Message):
        def __init__(self, data: DashboardData | None, note: str = "", quality: QualityReport | None = None):
            super().__init__()
            self.data, self.note, self.quality = data, note, quality

    def __init__(self, context, today: date | None = None):
        super().__init__(context)
        self.today = today
        self.data: DashboardData | None = None
        self.quality: QualityReport | None = None

    def compose(self) -> ComposeResult:
        tr = self.context.tr
        yield Header()
        with Horizontal(id="filters"):
            for name, label, width in (("from", tr("From"), 12), ("to", tr("To"), 12), ("country", tr("Country"), 4),
                                       ("category", tr("Category"), 16)):
                yield Label(label)
                yield Input(id=f"filter-{name}", classes=f"w{width}")
            yield Static(tr("Enter applies"), id="filter-hint")
        with TabbedContent(id="tabs"):
            with TabPane(tr("Sales"), id="tab-sales"):
                with Grid(classes="charts three"):
                    for name in ("year", "orders", "trend", "country", "channel"):
                        yield Chart(tr, id=f"chart-{name}")
                    yield Static("", id="totals")
            with TabPane(tr("Products"), id="tab-products"):
                with Grid(classes="charts"):
                    yield Chart(tr, id="chart-revenue")
                    yield Chart(tr, id="chart-quantity")
                    yield DataTable(id="top-revenue", cursor_type="row", classes="top")
                    yield DataTable(id="top-quantity", cursor_type="row", classes="top")
            with TabPane(tr("Customers"), id="tab-customers"):
                with Horizontal():
                    yield Chart(tr, id="chart-customers")
                    yield DataTable(id="top-customers", cursor_type="row", classes="top")
            with TabPane(tr("Agents & callbacks"), id="tab-agents"):
                with Grid(classes="charts"):
                    yield Chart(tr, id="chart-discounts")
                    yield Chart(tr, id="chart-within")
                    yield Chart(tr, id="chart-hours")
                    yield DataTable(id="agents", cursor_type="none", classes="top")
            with TabPane(tr("Service quality"), id="tab-quality"):
                with Grid(classes="charts quality"):
                    yield Chart(tr, id="chart-satisfaction")
                    yield Chart(tr, id="chart-scores")
                    yield DataTable(id="quality", cursor_type="row", classes="top")
                    yield DataTable(id="returns", cursor_type="none", classes="top")
        yield Static("", id="dashboard-status")
        yield Footer()

    def on_mount(self) -> None:
        tr = self.context.tr
        for table_id in ("#top-revenue", "#top-quantity"):
            self.query_one(table_id, DataTable).add_columns("#", tr("Product"), tr("Units"), tr("Net sales"))
        self.query_one("#top-customers", DataTable).add_columns("#", tr("Customer"), tr("Country"), tr("Orders"),
                                                                tr("Net sales"))
        self.query_one("#agents", DataTable).add_columns(tr("Agent"), tr("Phone orders"), tr("Discounted"),
                                                         tr("Discounts"), tr("Card changes"))
        wide = self.wide = self.app.size.width >= 120  # the wide layout needs 120 columns
        quality = self.query_one("#quality", DataTable)
        for label, width in ((tr("Index"), 30 if wide else 24), (tr("Figure"), 8 if wide else 7), (tr("Of"), 24)):
            if wide or label != tr("Of"):  # narrow: the basis is the highlighted row's, below the table
                quality.add_column(label, width=width)
        returns = self.query_one("#returns", DataTable)
        for label, width in ((tr("Returned most"), 20 if wide else 10), (tr("Rate"), 7 if wide else 5),
                             (tr("Units"), 11 if wide else 9)):
            returns.add_column(label, width=width)
        self.first_load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="dashboard")
    def first_load(self) -> None:
        """The last twelve months of sales, ending on the last day with sales (or today)."""
        known = self.context.read(reports.period_of_data)
        last = self.today or (known.last if known else self.context.now().date())
        first = (last.replace(day=1) - timedelta(days=335)).replace(day=1)
        self.app.call_from_thread(self._set_filters, first, last)
        self.load(reports.Period(first, last), None, None)

    def _set_filters(self, first: date, last: date) -> None:
        self.query_one("#filter-from", Input).value = first.isoformat()
        self.query_one("#filter-to", Input).value = last.isoformat()

    @on(Input.Submitted)
    def action_reload(self) -> None:
        tr = self.context.tr
        try:
            first = date.fromisoformat(self.query_one("#filter-from", Input).value.strip())
            last = date.fromisoformat(self.query_one("#filter-to", Input).value.strip())
        except ValueError:
            self.query_one("#dashboard-status", Static).update(
                "[b $error]" + tr("Dates are written 2026-01-31.") + "[/]")
            return
        if first > last:
            self.query_one("#dashboard-status", Static).update("[b $error]" + tr("From is after To.") + "[/]")
            return
        country = self.query_one("#filter-country", Input).value.strip().upper() or None
        category = self.query_one("#filter-category", Input).value.strip() or None
        self.load(reports.Period(first, last), country, category)

    @work(thread=True, exclusive=True, exit_on_error=False, group="dashboard")
    def load(self, period: reports.Period, country: str | None, category: str | None) -> None:
        queue = self.context.queue
        data = self.context.read(lambda session: load_dashboard(session, period, country, category,
                                                                 queue.target_minutes, queue.time_zone))
        filters = " · ".join(part for part in (country, category) if part)
        now = self.context.now()
        quality = self.context.read(lambda session: quality_report(
            session, self.context.staff, _midnight(period.first), _midnight(period.last), queue,
            self.context.service, now)) if self.context.may(Action.SERVICE_QUALITY) else None
        self.post_message(self.Loaded(data, filters, quality))

    @on(Loaded)
    def show(self, message: Loaded) -> None:
        tr, d = self.context.tr, message.data
        self.data, self.quality = d, message.quality
        self.query_one("#dashboard-status", Static).update(filled(
            "{period}" + ("  ·  {filters}" if message.note else "") + "  ·  {units}",
            period=tr("{first} to {last}").format(first=tr.date(d.period.first), last=tr.date(d.period.last)),
            filters=message.note, units=tr("money in euros, days in UTC")))
        self.draw()
        self.fill_tables()

    @on(TabbedContent.TabActivated)
    def on_tab(self) -> None:
        """Plots in a hidden tab were drawn at no size: draw them again at the size they have."""
        self.call_after_refresh(self.draw)

    def on_resize(self) -> None:
        self.call_after_refresh(self.draw)

    def draw(self) -> None:
        if self.data is None:
            return
        self.draw_quality()
        tr, d = self.context.tr, self.data
        euros = 100

        def chart(name: str) -> Chart:
            return self.query_one(f"#chart-{name}", Chart)

        yoy = d.year_on_year
        months = [m.month for m in yoy]
        this_year, names = tr("this year"), [tr("this year"), tr("a year earlier")]
        money = tr.currency()
        chart("year").lines(tr("Net sales per month"), months,
                            [[m.net_cents / euros for m in yoy], [m.net_cents_year_earlier / euros for m in yoy]], names,
                            unit=money)
        chart("orders").lines(tr("Orders per month"), months,
                              [[m.orders for m in yoy], [m.orders_year_earlier for m in yoy]], names)
        weekly = bool(d.trend) and d.weekly
        chart("trend").lines(tr("Net sales per week") if weekly else tr("Net sales per day"),
                             [t.start for t in d.trend], [[t.net_cents / euros for t in d.trend]], unit=money)
        net, earlier = sum(m.net_cents for m in yoy), sum(m.net_cents_year_earlier for m in yoy)
        # A change only against a year earlier the shop has data for throughout, never "+2488%"
        # against nine days of it.
        change = (f" ({(net - earlier) / earlier:+.0%})" if earlier and d.year_earlier_complete
                  else " (" + tr("no full year earlier to compare") + ")" if earlier else "")
        # The series' marks as in the charts: the legend where it always fits.
        now_mark, earlier_mark = LEGEND
        self.query_one("#totals", Static).update("\n".join([
            f"[b]{tr('Net sales')}[/b]", f"{now_mark} {this_year}: {tr.money(net)}{change}",
            f"{earlier_mark} {tr('a year earlier')}: {tr.money(earlier)}", "",
            f"[b]{tr('Orders')}[/b]", f"{now_mark} {this_year}: {tr.number(sum(m.orders for m in yoy))}",
            f"{earlier_mark} {tr('a year earlier')}: {tr.number(sum(m.orders_year_earlier for m in yoy))}"]))
        chart("country").bars(tr("Net sales by country"), [visible(s.key) or tr("no country") for s in d.by_country[:8]],
                              [[s.net_cents / euros for s in d.by_country[:8]]], horizontal=True, unit=money)
        chart("channel").bars(tr("Net sales by channel"), [_channel(s.key, tr) for s in d.by_channel],
                              [[s.net_cents / euros for s in d.by_channel]], unit=money)
        # Top lists are labelled by rank, the same as the list beside the chart.
        chart("revenue").bars(tr("Top products by revenue"), _ranks(d.top_revenue),
                              [[p.net_cents / euros for p in d.top_revenue]], unit=money)
        chart("quantity").bars(tr("Top products by quantity"), _ranks(d.top_quantity),
                               [[p.units for p in d.top_quantity]], unit=tr("units"))
        chart("customers").bars(tr("Top customers by net sales"), _ranks(d.top_customers),
                                [[c.net_cents / euros for c in d.top_customers]], unit=money)
        chart("discounts").bars(tr("Discounts granted per agent"), [visible(a.login) for a in d.discounts],
                                [[a.discount_cents / euros for a in d.discounts]], unit=money)
        called = [c for c in d.callback_days if c.called]
        chart("within").lines(tr("Callbacks called within the target, per day (%)"), [c.day for c in called],
                              [[round(100 * c.share_within_target) for c in called]], percent=True)
        chart("hours").bars(tr("Callback requests by hour of the day"), [f"{h}–{h + 3}" for h in range(0, 24, 3)],
                            [[sum(d.callback_hours[h:h + 3]) for h in range(0, 24, 3)]])

    def draw_quality(self) -> None:
        tr, q = self.context.tr, self.quality
        if q is None:
            return
        weeks = q.weekly_satisfaction
        self.query_one("#chart-satisfaction", Chart).lines(
            tr("Satisfaction per week (average score, 1–5)"), [w for w, _, _ in weeks], [[a for _, a, _ in weeks]],
            scale=(1, 5))
        self.query_one("#chart-scores", Chart).bars(
            tr("Scores given, 1 to 5"), ["1", "2", "3", "4", "5"],
            [[q.scores.get(score, 0) for score in range(1, 6)]])

    def fill_quality(self) -> None:
        tr, q = self.context.tr, self.quality
        if q is None:
            return

        def share(part: int, whole: int) -> str:
            return f"{part / whole:.0%}" if whole else "—"
        table = self.query_one("#quality", DataTable)
        table.clear()
        rows = [
            (tr("Satisfaction (average 1–5)"), tr.number(round(q.satisfaction, 2))
             if q.satisfaction is not None else "—",
             tr("{n} scores").format(n=tr.number(sum(q.scores.values())))),
            (tr("Complaints per 1,000 orders"), tr.number(round(q.complaints_per_1000_orders, 1))
             if q.complaints_per_1000_orders is not None else "—",
             tr("{complaints} complaints, {orders} orders").format(complaints=tr.number(q.complaints),
                                                                   orders=tr.number(q.orders))),
            (tr("Cases resolved within target"), share(q.cases_within_target, q.cases_resolved),
             tr("{part} of {whole} cases").format(part=q.cases_within_target, whole=q.cases_resolved)),
            (tr("Median resolution time"), f"{tr.number(round(q.median_resolution_hours, 1))} h"
             if q.median_resolution_hours is not None else "—", tr("{whole} cases").format(whole=q.cases_resolved)),
            (tr("First-contact resolution"), share(q.first_contact, q.matters_closed),
             tr("{part} of {whole} callbacks and cases").format(part=q.first_contact, whole=q.matters_closed)),
            (tr("Callbacks called within target"), share(q.callbacks_within_target, q.callbacks_called),
             tr("{part} of {whole} callbacks").format(part=q.callbacks_within_target, whole=q.callbacks_called)),
            (tr("Inbox answered within target"), share(q.messages_within_target, q.messages_due),
             tr("{part} of {whole} messages").format(part=q.messages_within_target, whole=q.messages_due)),
        ]
        rows += [(tr("Lost in {month}").format(month=m.month), tr.number(m.customers),
                  tr("value {value}").format(value=tr.money(m.value_lost_cents))) for m in q.lost]
        wide = self.wide
        for row in rows:
            table.add_row(*(cell(value) for value in (row if wide else row[:2])))
        returns = self.query_one("#returns", DataTable)
        returns.clear()
        for r in q.returns:
            returns.add_row(cell(r.name), f"{r.rate:.0%}", f"{tr.number(r.returned)} / {tr.number(r.sold)}")

    def fill_tables(self) -> None:
        self.fill_quality()
        tr, d = self.context.tr, self.data
        for table_id, products in (("#top-revenue", d.top_revenue), ("#top-quantity", d.top_quantity)):
            table = self.query_one(table_id, DataTable)
            table.clear()
            for rank, p in enumerate(products, 1):
                table.add_row(str(rank), cell(p.name), tr.number(p.units), tr.money(p.net_cents), key=str(p.product_id))
        table = self.query_one("#top-customers", DataTable)
        table.clear()
        for rank, c in enumerate(d.top_customers, 1):
            table.add_row(str(rank), cell(f"{c.customer_number} {c.name}"), cell(c.country), tr.number(c.orders),
                          tr.money(c.net_cents),
                          key=str(c.customer_id))
        table = self.query_one("#agents", DataTable)
        table.clear()
        for a in d.discounts:
            table.add_row(cell(a.login), tr.number(a.phone_orders), tr.number(a.discounted_orders),
                          tr.money(a.discount_cents), tr.number(a.card_changes))

    @on(DataTable.RowSelected, "#top-customers")
    def open_customer(self, event: DataTable.RowSelected) -> None:
        self.app.open_customer(int(event.row_key.value))

    @on(DataTable.RowSelected, ".top")
    def open_product(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id in ("top-revenue", "top-quantity") and self.data is not None:
            self.app.push_screen(ProductScreen(self.context, int(event.row_key.value), self.data.period))


class ProductScreen(ConsoleModal[None]):
    """A product: its details, stock and sales in the dashboard's period."""

    CSS_PATH = "dashboard.tcss"
    BINDINGS = [Binding("escape", "dismiss", "Close")]

    def __init__(self, context, product_id: int, period: reports.Period):
        super().__init__(context)
        self.product_id, self.period = product_id, period

    def compose(self) -> ComposeResult:
        with Vertical(id="product-box"):
            yield Static(self.context.tr("Loading…"), id="product")

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="product")
    def load(self) -> None:
        tr = self.context.tr
        product = self.context.read(lambda session: product_figures(session, self.product_id, self.period))
        if product is None:
            self.app.call_from_thread(self.query_one("#product", Static).update, tr("This product no longer exists."))
            return
        sold = product.sold
        light = stock_with_light(product.light, product.stock_quantity, tr)
        text = filled("[b]{name}[/b]  ·  {sku}  ·  {category}\n", name=product.name, sku=product.sku,
                      category=product.category or "—") + Content.from_markup("\n".join([
            f"{tr('Price')}: {tr.money(product.unit_price_cents)}  ·  {tr('Stock')}: "
            f"[{light.style}]{light.plain}[/]",
            tr("{first} to {last}").format(first=tr.date(self.period.first), last=tr.date(self.period.last)) + ": "
            + (f"{tr.number(sold.units)} {tr('units')}, {tr.money(sold.net_cents)}" if sold else tr("no sales")),
            "", tr("Esc closes")]))
        self.app.call_from_thread(self.query_one("#product", Static).update, text)
