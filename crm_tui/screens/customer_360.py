"""Customer 360: the summary ("Show") and the order history ("Show inputs"), lines on Enter."""

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Static

from crm_tui.screens.base import ConsoleModal, ConsoleScreen, CustomerNavigation
from crm_tui.services.customer_summary import CustomerSummary, customer_summary
from crm_tui.services.order_tracking import StatusStep, order_steps
from crm_tui.services.orders import LineRow, OrderRow, order_history, order_lines
from crm_tui.widgets.literal import cell, filled
from crm_tui.widgets.stock_light import stock_with_light
from crm_tui.widgets.summary_panel import SummaryPanel
from crm_tui.widgets.timeline_rows import timeline_labels, who_label


class Customer360Screen(CustomerNavigation, ConsoleScreen):
    CSS_PATH = "customer_360.tcss"
    BINDINGS = [
        Binding("f3", "phone_order", "New phone order"),
        Binding("f5", "offers", "Offers"),
        Binding("f8", "timeline", "Timeline"),
        Binding("escape", "back", "Back"),
    ]

    class SummaryLoaded(Message):
        def __init__(self, summary: CustomerSummary):
            super().__init__()
            self.summary = summary

    class OrdersLoaded(Message):
        def __init__(self, orders: list[OrderRow], first_page: bool):
            super().__init__()
            self.orders, self.first_page = orders, first_page

    def __init__(self, context, customer_id: int):
        super().__init__(context)
        self.customer_id = customer_id
        self._orders: list[OrderRow] = []
        self._more = True

    def compose(self) -> ComposeResult:
        tr = self.context.tr
        yield Header()
        yield SummaryPanel(tr("Loading…"), id="summary")
        with Horizontal(id="favourites"):
            with Vertical():
                yield Static(tr("Favourites by quantity"), classes="section")
                yield DataTable(id="by-quantity", cursor_type="none")
            with Vertical():
                yield Static(tr("Favourites by number of orders"), classes="section")
                yield DataTable(id="by-orders", cursor_type="none")
        yield Static(tr("Orders — Enter shows the lines"), classes="section")
        yield DataTable(id="orders", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        tr = self.context.tr
        for table_id in ("#by-quantity", "#by-orders"):
            table = self.query_one(table_id, DataTable)
            table.add_column(tr("Product"), width=26)
            table.add_column(tr("Units"), width=6)
            table.add_column(tr("Orders"), width=7)
            table.add_column(tr("Stock"), width=10)
        self.query_one("#orders", DataTable).add_columns(
            tr("Date"), tr("Number"), tr("Status"), tr("Channel"), tr("Items"), tr("Total"), tr("Discount"),
            tr("Linked"))
        self.refresh_all()

    def refresh_all(self) -> None:
        self._orders, self._more = [], True
        self.load_summary()
        self.load_orders(None)

    @work(thread=True, exclusive=True, exit_on_error=False, group="summary")
    def load_summary(self) -> None:
        now = self.context.analysis_time()
        summary = self.context.read(lambda session: customer_summary(session, self.customer_id, now))
        self.post_message(self.SummaryLoaded(summary))

    @work(thread=True, exclusive=True, exit_on_error=False, group="orders")
    def load_orders(self, after) -> None:
        orders = self.context.read(lambda session: order_history(session, self.customer_id, after))
        self.post_message(self.OrdersLoaded(orders, after is None))

    @on(SummaryLoaded)
    def show_summary(self, message: SummaryLoaded) -> None:
        s, tr = message.summary, self.context.tr
        self.query_one("#summary", SummaryPanel).show(s, tr)
        for table_id, favourites in (("#by-quantity", s.favourites_by_quantity), ("#by-orders", s.favourites_by_orders)):
            table = self.query_one(table_id, DataTable)
            table.clear()
            for f in favourites:
                table.add_row(cell(f.name), str(f.quantity), str(f.orders), stock_with_light(f.light, f.stock, tr))

    @on(OrdersLoaded)
    def show_orders(self, message: OrdersLoaded) -> None:
        tr = self.context.tr
        table = self.query_one("#orders", DataTable)
        if message.first_page:
            table.clear()
            self._orders = []
        statuses = {"placed": tr("placed"), "paid": tr("paid"), "shipped": tr("shipped"),
                    "delivered": tr("delivered"), "cancelled": tr("cancelled"), "returned": tr("returned")}
        channels = {"web": tr("web"), "phone": tr("phone")}
        for order in message.orders:
            linked = (tr("cancels {number}").format(number=order.cancels_number) if order.cancels_number else
                      tr("cancelled by {number}").format(number=order.cancelled_by) if order.cancelled_by else "")
            table.add_row(tr.date(order.placed_at), cell(order.number), cell(statuses.get(order.status, order.status)),
                          cell(channels.get(order.channel, order.channel)), str(order.items), tr.money(order.total_cents),
                          f"{order.discount_percent} %" if order.discount_percent else "", cell(linked),
                          key=str(order.order_id))
        self._orders.extend(message.orders)
        self._more = len(message.orders) > 0
        if message.first_page:
            table.focus()

    @on(DataTable.RowHighlighted, "#orders")
    def maybe_load_more(self, event: DataTable.RowHighlighted) -> None:
        if self._more and self._orders and event.cursor_row >= len(self._orders) - 5:
            last = self._orders[-1]
            self._more = False  # until this page arrives
            self.load_orders((last.placed_at, last.order_id))

    @on(DataTable.RowSelected, "#orders")
    def show_lines(self, event: DataTable.RowSelected) -> None:
        order = next(o for o in self._orders if o.order_id == int(event.row_key.value))
        self.app.push_screen(OrderLinesScreen(self.context, order))

    def customer_changed(self) -> None:
        self.refresh_all()


class OrderLinesScreen(ConsoleModal[None]):
    BINDINGS = [Binding("escape", "dismiss", "Close")]
    CSS_PATH = "customer_360.tcss"

    class LinesLoaded(Message):
        def __init__(self, lines: list[LineRow], steps: list[StatusStep]):
            super().__init__()
            self.lines, self.steps = lines, steps

    def __init__(self, context, order: OrderRow, guest: bool = False):
        super().__init__(context)
        self.order, self.guest = order, guest

    def compose(self) -> ComposeResult:
        tr = self.context.tr
        with Vertical(id="lines-box"):
            yield Static(filled("[b]{number}[/b]  ·  {date}  ·  {total}{guest}  —  {close}", number=self.order.number,
                                date=tr.date(self.order.placed_at), total=tr.money(self.order.total_cents),
                                guest="  ·  " + tr("guest order, no customer") if self.guest else "",
                                close=tr("Esc closes")), id="lines-title")
            yield DataTable(id="lines", cursor_type="row")
            yield Static(tr("Where it is"), classes="section")
            yield DataTable(id="steps", cursor_type="none")

    def on_mount(self) -> None:
        tr = self.context.tr
        self.query_one("#lines", DataTable).add_columns(tr("SKU"), tr("Product"), tr("Units"), tr("Price"),
                                                        tr("Total"))
        self.query_one("#steps", DataTable).add_columns(tr("When"), tr("Status"), tr("Carrier"), tr("Tracking"),
                                                        tr("By"))
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="lines")
    def load(self) -> None:
        lines, steps = self.app.context.read(lambda session: (order_lines(session, self.order.order_id),
                                                              order_steps(session, self.order.order_id)))
        self.post_message(self.LinesLoaded(lines, steps))

    @on(LinesLoaded)
    def show(self, message: LinesLoaded) -> None:
        tr = self.context.tr
        table = self.query_one("#lines", DataTable)
        for line in message.lines:
            table.add_row(cell(line.sku), cell(line.name), str(line.quantity), tr.money(line.unit_price_cents),
                          tr.money(line.line_total_cents))
        labels = timeline_labels(tr)
        steps = self.query_one("#steps", DataTable)
        for step in message.steps:
            steps.add_row(tr.datetime(step.at), cell(labels.get(step.status, step.status)), cell(step.carrier),
                          cell(step.tracking_number), cell(who_label(step.changed_by, tr)))
        table.focus()
