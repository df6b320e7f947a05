"""A phone order: find products as you type, each with its stock light; confirm takes the stock."""

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Input, Label, Static

from crm_tui.screens.base import ConsoleScreen
from crm_tui.services.customers import CustomerCard, DiscountCapExceeded, ReasonRequired, load_card
from crm_tui.services.orders import (
    OrderItem,
    OrderRefused,
    OutOfStock,
    PlacedOrder,
    ProductOffer,
    StockLight,
    find_products,
    order_totals,
    place_phone_order,
)
from crm_tui.widgets.literal import cell, filled, literal, visible
from crm_tui.widgets.stock_light import stock_light


@dataclass
class CartLine:
    offer: ProductOffer
    quantity: int


class PhoneOrderScreen(ConsoleScreen):
    CSS_PATH = "phone_order.tcss"
    BINDINGS = [
        Binding("ctrl+s", "confirm", "Confirm order", priority=True),
        Binding("plus,equals_sign", "more", "One more", show=False),
        Binding("minus", "fewer", "One fewer", show=False),
        Binding("delete", "remove", "Remove line"),
        Binding("escape", "cancel", "Back"),
    ]

    class ProductsFound(Message):
        def __init__(self, number: int, offers: list[ProductOffer]):
            super().__init__()
            self.number, self.offers = number, offers

    class CustomerLoaded(Message):
        def __init__(self, card: CustomerCard):
            super().__init__()
            self.card = card

    class OrderDone(Message):
        def __init__(self, placed: PlacedOrder | None, error: str = "", refresh: bool = False):
            super().__init__()
            self.placed, self.error, self.refresh = placed, error, refresh

    def __init__(self, context, customer_id: int):
        super().__init__(context)
        self.customer_id = customer_id
        self.cart: list[CartLine] = []
        self.offers: list[ProductOffer] = []
        self.customer_discount = 0
        self._search_number = 0

    def compose(self) -> ComposeResult:
        tr = self.context.tr
        yield Header()
        yield Static(tr("Loading…"), id="order-title")
        with Horizontal(id="order-body"):
            with Vertical(id="catalogue"):
                yield Input(placeholder=tr("Product name or SKU"), id="product-search")
                yield DataTable(id="products", cursor_type="row", zebra_stripes=True)
            with Vertical(id="basket"):
                yield Label(tr("Order — + and - change units, Del removes"), classes="section")
                yield DataTable(id="cart", cursor_type="row", zebra_stripes=True)
                yield Static("", id="totals")
        with Horizontal(id="discount-row"):
            yield Label(tr("Discount % (staff only, your cap: {cap} %)").format(
                cap=self.context.staff.discount_cap_percent))
            yield Input(id="discount", type="integer")
            yield Label(tr("Reason"))
            yield Input(id="reason")
        yield Static("", id="order-message")
        yield Footer()

    def on_mount(self) -> None:
        tr = self.context.tr
        self.query_one("#products", DataTable).add_columns("", tr("SKU"), tr("Product"), tr("Price"), tr("Stock"))
        self.query_one("#cart", DataTable).add_columns(tr("SKU"), tr("Product"), tr("Units"), tr("Total"))
        self.load_customer()
        self.query_one("#product-search", Input).focus()

    @work(thread=True, exclusive=True, exit_on_error=False, group="customer")
    def load_customer(self) -> None:
        self.post_message(self.CustomerLoaded(self.context.read(lambda session: load_card(session, self.customer_id))))

    @on(CustomerLoaded)
    def show_customer(self, message: CustomerLoaded) -> None:
        card = message.card
        self.customer_discount = card.discount_percent
        self.query_one("#order-title", Static).update(filled(
            self.context.tr("Phone order for [b]{name}[/b] · {number} · their discount: {discount} %"),
            name=card.name, number=card.customer_number, discount=card.discount_percent))
        self.query_one("#discount", Input).value = str(card.discount_percent)
        self.show_cart()

    # --- finding products ----------------------------------------------------------------------

    @on(Input.Changed, "#product-search")
    def search_changed(self, event: Input.Changed) -> None:
        self._search_number += 1
        self.search_products(self._search_number, event.value)

    @work(thread=True, exclusive=True, exit_on_error=False, group="products")
    def search_products(self, number: int, text: str) -> None:
        self.post_message(self.ProductsFound(number, self.context.read(lambda session: find_products(session, text))))

    @on(ProductsFound)
    def show_products(self, message: ProductsFound) -> None:
        if message.number != self._search_number:
            return
        tr = self.context.tr
        self.offers = message.offers
        table = self.query_one("#products", DataTable)
        table.clear()
        for offer in message.offers:
            stock = "" if offer.light == StockLight.UNTRACKED else str(offer.stock_quantity)
            table.add_row(stock_light(offer.light, tr), cell(offer.sku), cell(offer.name), tr.money(offer.unit_price_cents),
                          stock, key=str(offer.product_id))

    @on(Input.Submitted, "#product-search")
    def focus_products(self) -> None:
        if self.offers:
            self.query_one("#products", DataTable).focus()

    @on(DataTable.RowSelected, "#products")
    def add_selected(self, event: DataTable.RowSelected) -> None:
        offer = next(o for o in self.offers if o.product_id == int(event.row_key.value))
        self.add(offer)

    def add(self, offer: ProductOffer, units: int = 1) -> None:
        tr = self.context.tr
        message = self.query_one("#order-message", Static)
        line = next((c for c in self.cart if c.offer.product_id == offer.product_id), None)
        wanted = (line.quantity if line else 0) + units
        if offer.light == StockLight.RED:
            message.update(filled("[b red]" + tr("{name} is out of stock and cannot be added.") + "[/]",
                                  name=offer.name))
            return
        if offer.light != StockLight.UNTRACKED and wanted > offer.stock_quantity:
            message.update(filled("[b red]" + tr("Only {stock} of {name} in stock.") + "[/]",
                                  stock=offer.stock_quantity, name=offer.name))
            return
        if line:
            line.quantity = wanted
        else:
            self.cart.append(CartLine(offer, units))
        message.update("")
        self.show_cart()

    # --- the basket ------------------------------------------------------------------------------

    def discount(self) -> int:
        try:
            return max(0, min(100, int(self.query_one("#discount", Input).value or 0)))
        except ValueError:
            return self.customer_discount

    @on(Input.Changed, "#discount")
    def discount_changed(self) -> None:
        self.show_cart()

    def show_cart(self) -> None:
        tr = self.context.tr
        table = self.query_one("#cart", DataTable)
        cursor = table.cursor_row
        table.clear()
        for line in self.cart:
            table.add_row(cell(line.offer.sku), cell(line.offer.name), str(line.quantity),
                          tr.money(line.offer.unit_price_cents * line.quantity), key=str(line.offer.product_id))
        if self.cart:
            table.move_cursor(row=min(cursor, len(self.cart) - 1))
        subtotal, discount, total = order_totals([c.offer.unit_price_cents * c.quantity for c in self.cart],
                                                 self.discount())
        self.query_one("#totals", Static).update(
            tr("Subtotal {subtotal} · discount {percent} % −{discount} · [b]total {total}[/b]").format(
                subtotal=tr.money(subtotal), percent=self.discount(), discount=tr.money(discount),
                total=tr.money(total)))

    def _selected_line(self) -> CartLine | None:
        table = self.query_one("#cart", DataTable)
        if not self.cart or not table.has_focus:
            return None
        return self.cart[table.cursor_row]

    def action_more(self) -> None:
        line = self._selected_line()
        if line:
            self.add(line.offer)

    def action_fewer(self) -> None:
        line = self._selected_line()
        if line:
            line.quantity -= 1
            if line.quantity <= 0:
                self.cart.remove(line)
            self.show_cart()

    def action_remove(self) -> None:
        line = self._selected_line()
        if line:
            self.cart.remove(line)
            self.show_cart()

    # --- confirming --------------------------------------------------------------------------------

    def action_confirm(self) -> None:
        if not self.cart:
            self.query_one("#order-message", Static).update(self.context.tr("Add a product first."))
            return
        items = [OrderItem(c.offer.sku, c.quantity) for c in self.cart]
        discount = self.discount()
        self.confirm(items, None if discount == self.customer_discount else discount,
                     self.query_one("#reason", Input).value)

    @work(thread=True, exclusive=True, exit_on_error=False, group="confirm")
    def confirm(self, items: list[OrderItem], discount: int | None, reason: str) -> None:
        tr = self.context.tr
        try:
            now = self.context.now()
            placed = self.context.write(lambda session: place_phone_order(
                session, self.context.staff, self.customer_id, items, discount, reason, now=now))
        except OutOfStock as exc:
            text = (tr("{name} sold out meanwhile: nothing was ordered.") if exc.available <= 0 else
                    tr("Only {stock} of {name} left now: nothing was ordered.")).format(name=exc.name,
                                                                                        stock=exc.available)
            self.post_message(self.OrderDone(None, text, refresh=True))
        except DiscountCapExceeded as exc:
            self.post_message(self.OrderDone(None, tr("Above your cap of {cap} %: ask a supervisor.").format(
                cap=exc.cap)))
        except ReasonRequired:
            self.post_message(self.OrderDone(None, tr("A reason is required when the discount changes.")))
        except OrderRefused as exc:
            self.post_message(self.OrderDone(None, str(exc)))
        else:
            self.post_message(self.OrderDone(placed))

    @on(OrderDone)
    def order_done(self, message: OrderDone) -> None:
        if message.placed is not None:
            self.notify(visible(self.context.tr("Order {number} placed: {total}.").format(
                number=message.placed.number, total=self.context.tr.money(message.placed.total_cents))), markup=False)
            self.dismiss(message.placed)
            return
        self.query_one("#order-message", Static).update(literal(message.error, "bold red"))
        if message.refresh:
            self.search_products(self._search_number, self.query_one("#product-search", Input).value)

    def worker_failed(self, worker, sentence: str) -> None:
        """An order that could not be written: nothing was ordered, the cart stays for a retry."""
        note = sentence + " " + self.context.tr("The cart is still here: press ctrl+s to try again.")
        self.query_one("#order-message", Static).update(literal(note, "bold red"))

    def action_cancel(self) -> None:
        self.dismiss(None)
