"""The home screen: one search box, results as you type, Enter opens the customer's card (or,
for an order nobody is the customer of, the order)."""

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Input, Static

from crm_tui.screens.base import ConsoleScreen
from crm_tui.services.orders import OrderRow, guest_orders
from crm_tui.services.overview import ShopOverview, shop_overview
from crm_tui.services.policy import Action
from crm_tui.services.search import COUNT_CAP, LIMIT, CustomerHit, count_matches, search_customers
from crm_tui.widgets.literal import cell, filled


class HomeScreen(ConsoleScreen):
    POLICY = {"dashboard": Action.VIEW_DASHBOARD, "inbox": Action.WORK_INBOX, "cases": Action.WORK_CASES}
    CSS_PATH = "home.tcss"
    BINDINGS = [
        Binding("escape", "focus_search", "Search box"),
        Binding("f4", "callbacks", "Callbacks"),
        Binding("f6", "segments", "Segments"),
        Binding("f7", "dashboard", "Dashboard"),
        Binding("f8", "inbox", "Inbox"),
        Binding("f9", "cases", "Cases"),
        Binding("down", "focus_results", "Results", show=False),
    ]

    class ResultsFound(Message):
        def __init__(self, query_number: int, query: str, hits: list[CustomerHit], total: int = 0,
                     orders: list[OrderRow] | None = None):
            super().__init__()
            self.query_number, self.query, self.hits, self.total = query_number, query, hits, total
            self.orders = orders or []

    class OverviewLoaded(Message):
        def __init__(self, overview: ShopOverview):
            super().__init__()
            self.overview = overview

    def __init__(self, context):
        super().__init__(context)
        self._query_number = 0
        self._hits: list[CustomerHit] = []
        self._orders: dict[str, OrderRow] = {}  # row key -> a guest order found by its number

    def compose(self) -> ComposeResult:
        tr = self.context.tr
        yield Header()
        yield Input(placeholder=tr("Name, phone, e-mail, customer or order number"), id="search")
        yield Static(filled(tr("Welcome, {name}."), name=self.context.staff.display_name), id="status")
        yield DataTable(id="results", cursor_type="row", zebra_stripes=True)
        yield Static("", id="figures", classes="muted")
        yield Footer()

    def on_mount(self) -> None:
        tr = self.context.tr
        table = self.query_one("#results", DataTable)
        wide = self.app.size.width >= 100
        columns = ((tr("Name"), 26, 18), (tr("Number"), 10, 9), (tr("Phone"), 14, 12), (tr("City"), 14, 8),
                   (tr("Last purchase"), 13, 11), (tr("Discount"), 9, 4), (tr("Callbacks"), 9, 2))
        for label, wide_width, narrow_width in columns:
            table.add_column(label, width=wide_width if wide else narrow_width)
        self.query_one("#search", Input).focus()
        self.load_overview()

    # --- search as you type ---------------------------------------------------------------

    @on(Input.Changed, "#search")
    def search_changed(self, event: Input.Changed) -> None:
        self._query_number += 1
        self.run_search(self._query_number, event.value)

    def on_screen_resume(self) -> None:
        """Back from a card or an order: the results show what was saved meanwhile, where the
        cursor was."""
        query = self.query_one("#search", Input).value
        if query.strip():
            self._query_number += 1
            self.run_search(self._query_number, query)

    @work(thread=True, exclusive=True, exit_on_error=False, group="search")
    def run_search(self, query_number: int, query: str) -> None:
        see_orders = self.context.may(Action.TRACK_ORDERS)

        def read(session):
            hits = search_customers(session, query)
            orders = guest_orders(session, query) if see_orders and query.strip() else []
            # The list holds the first LIMIT: say how many there are in all ("50 of 325").
            return hits, (count_matches(session, query) if len(hits) >= LIMIT else len(hits)), orders
        hits, total, orders = self.context.read(read)
        self.post_message(self.ResultsFound(query_number, query, hits, total, orders))

    @on(ResultsFound)
    def show_results(self, message: ResultsFound) -> None:
        if message.query_number != self._query_number:
            return  # an older query finished after a newer one started: never show it
        tr = self.context.tr
        self._hits = message.hits
        self._orders = {f"order:{o.order_id}": o for o in message.orders}
        table = self.query_one("#results", DataTable)
        row = table.cursor_row
        table.clear()
        for key, order in self._orders.items():
            table.add_row(tr("guest order, no customer"), cell(order.number), "", "", tr.date(order.placed_at),
                          "", "", key=key)
        for hit in message.hits:
            name = hit.name + (" ~" if hit.fuzzy else "")
            table.add_row(cell(name), cell(hit.customer_number), cell(hit.phone), cell(hit.city),
                          tr.date(hit.last_purchase) if hit.last_purchase else "—",
                          f"{hit.discount_percent} %" if hit.discount_percent else "",
                          str(hit.open_callbacks) if hit.open_callbacks else "", key=str(hit.customer_id))
        if table.row_count and row:
            table.move_cursor(row=min(row, table.row_count - 1))
        status = self.query_one("#status", Static)
        if not message.query.strip():
            status.update(filled(tr("Welcome, {name}."), name=self.context.staff.display_name))
        elif message.orders and not message.hits:
            status.update(filled(tr("Order {number}: a guest's, no customer — Enter opens it"),
                                 number=message.orders[0].number))
        elif not message.hits:
            status.update(filled(tr("No customer matches “{query}”."), query=message.query))
        else:
            fuzzy = any(h.fuzzy for h in message.hits)
            if message.total > len(message.hits):
                text = tr("{shown} of {total} customers found — type more to narrow").format(
                    shown=tr.number(len(message.hits)),
                    total=tr.number(message.total) + ("+" if message.total >= COUNT_CAP else ""))
            elif len(message.hits) != 1:
                text = tr("{count} customers found").format(count=tr.number(len(message.hits)))
            else:
                text = tr("1 customer found")
            status.update(text
                          + (" — " + tr("no exact match; similar names (~)") if fuzzy else "")
                          + " — " + tr("↓ to the list, Enter opens the card"))

    # --- moving between the box and the list --------------------------------------------

    @on(Input.Submitted, "#search")
    def open_first(self) -> None:
        if self._orders:
            self.open_order(next(iter(self._orders.values())))
        elif self._hits:
            self.open_card(self._hits[0].customer_id)

    @on(DataTable.RowSelected, "#results")
    def open_selected(self, event: DataTable.RowSelected) -> None:
        key = str(event.row_key.value)
        if key in self._orders:
            self.open_order(self._orders[key])
        else:
            self.open_card(int(key))

    def open_order(self, order: OrderRow) -> None:
        from crm_tui.screens.customer_360 import OrderLinesScreen

        self.app.push_screen(OrderLinesScreen(self.context, order, guest=True))

    def action_callbacks(self) -> None:
        from crm_tui.screens.callback_queue import CallbackQueueScreen

        self.app.push_screen(CallbackQueueScreen(self.context))

    def action_segments(self) -> None:
        from crm_tui.screens.segments import SegmentsScreen

        self.app.push_screen(SegmentsScreen(self.context))

    def action_dashboard(self) -> None:
        from crm_tui.screens.dashboard import DashboardScreen

        self.app.push_screen(DashboardScreen(self.context))

    def action_inbox(self) -> None:
        from crm_tui.screens.inbox import InboxScreen

        self.app.push_screen(InboxScreen(self.context))

    def action_cases(self) -> None:
        from crm_tui.screens.cases import CasesScreen

        self.app.push_screen(CasesScreen(self.context))

    def action_focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_focus_results(self) -> None:
        table = self.query_one("#results", DataTable)
        if table.row_count:
            table.focus()

    def open_card(self, customer_id: int) -> None:
        self.app.open_customer(customer_id)

    # --- the shop at a glance -------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="overview")
    def load_overview(self) -> None:
        overview = self.context.read(shop_overview)
        self.post_message(self.OverviewLoaded(overview))

    @on(OverviewLoaded)
    def show_overview(self, message: OverviewLoaded) -> None:
        tr, o = self.context.tr, message.overview
        self.query_one("#figures", Static).update(filled(
            tr("{database}: {customers} customers · {orders} orders · {callbacks} callbacks waiting"),
            database=self.context.database, customers=tr.number(o.customers), orders=tr.number(o.orders),
            callbacks=tr.number(o.pending_callbacks)))
