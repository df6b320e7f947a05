"""Outputs for one customer: ranked offers with their reason, the channel they consented to,
and the message in their language; making an offer is logged."""

from datetime import timedelta

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Static

from crm_tui.screens.base import ConsoleScreen, CustomerNavigation
from crm_tui.services.offers import (
    CustomerOffers,
    TemplateError,
    acceptance,
    customer_offers,
    load_templates,
    record_offer,
)
from crm_tui.services.policy import Action
from crm_tui.widgets.literal import cell, filled
from crm_tui.widgets.offer_reason import reason_text, rule_label, withheld_text
from crm_tui.widgets.stock_light import stock_with_light


class OffersScreen(CustomerNavigation, ConsoleScreen):
    CSS_PATH = "offers.tcss"
    BINDINGS = [
        Binding("o", "offer_made", "Offer made"),
        Binding("f3", "phone_order", "New phone order"),
        Binding("escape", "back", "Back"),
    ]

    class Loaded(Message):
        def __init__(self, found: CustomerOffers | None, rate: str = "", error: str = ""):
            super().__init__()
            self.found, self.rate, self.error = found, rate, error

    class Logged(Message):
        def __init__(self, note: Content):
            super().__init__()
            self.note = note

    def __init__(self, context, customer_id: int, channel_in_use: str | None = None):
        super().__init__(context)
        self.customer_id = customer_id
        self.channel_in_use = channel_in_use  # "phone" while on a call with them
        self.found: CustomerOffers | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(self.context.tr("Loading…"), id="who")
        yield DataTable(id="offers", cursor_type="row", zebra_stripes=True)
        yield Static("", id="message")
        yield Static("", id="offers-status")
        yield Footer()

    def on_mount(self) -> None:
        tr = self.context.tr
        table = self.query_one("#offers", DataTable)
        for label, width in ((tr("Product"), 26), (tr("Price"), 9), (tr("Stock"), 9), (tr("Offer"), 16),
                             (tr("Why"), 45)):
            table.add_column(label, width=width)
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="offers")
    def load(self) -> None:
        tr = self.context.tr
        try:
            templates = load_templates()
        except TemplateError as exc:
            self.post_message(self.Loaded(None, error=str(exc)))
            return
        now = self.context.analysis_time()
        found = self.context.read(lambda session: customer_offers(session, self.customer_id, templates, now,
                                                                  unhappy_days=self.context.service.unhappy_days))
        rate = ""
        if self.context.may(Action.SEE_OFFER_ACCEPTANCE):
            since = self.context.now() - timedelta(days=90)  # offers are logged at the real time
            accepted = self.context.read(lambda session: acceptance(session, since))
            rate = tr("Offers made in 90 days: {made}, accepted: {accepted} ({rate})").format(
                made=accepted.made, accepted=accepted.accepted,
                rate=f"{accepted.rate:.0%}" if accepted.rate is not None else "—")
        self.post_message(self.Loaded(found, rate))

    @on(Loaded)
    def show(self, message: Loaded) -> None:
        tr = self.context.tr
        if message.error:
            self.query_one("#who", Static).update(filled("[red]{error}[/]", error=message.error))
            return
        found = self.found = message.found
        names = {"email": tr("e-mail"), "phone": tr("phone"), "chat": tr("chat")}
        consents = " · ".join(f"{names[c]} {'[green]✔[/]' if ok else '[red]✘[/]'}" for c, ok in found.consents.items())
        channel = ("" if found.withheld else
                   tr("suggested channel: {channel}").format(channel=f"[b]{names[found.channel]}[/b]") if found.channel
                   else "[b $error]" + tr("No marketing consent on any channel: offer only what they ask for.") + "[/]")
        self.query_one("#who", Static).update(
            filled("[b]{name}[/b] · {number} · ", name=found.name, number=found.customer_number)
            + Content.from_markup(f"{tr('Consents')}: {consents} · {channel}"))
        table = self.query_one("#offers", DataTable)
        table.clear()
        for offer in found.offers:
            table.add_row(cell(offer.name), tr.money(offer.unit_price_cents),
                          stock_with_light(offer.light, offer.stock, tr),
                          cell(rule_label(offer.rule, tr)), cell(reason_text(offer, tr)), key=str(offer.product_id))
        if found.withheld:
            self.query_one("#message", Static).update(filled("[b $warning]{text}[/]",
                                                             text=withheld_text(found.withheld, tr)))
        elif not found.offers:
            self.query_one("#message", Static).update(tr("Nothing to offer this customer right now."))
        self.query_one("#offers-status", Static).update(message.rate)
        table.focus()

    @on(DataTable.RowHighlighted, "#offers")
    def show_message(self, event: DataTable.RowHighlighted) -> None:
        if self.found and self.found.offers:
            tr = self.context.tr
            self.query_one("#message", Static).update(filled(
                "[b]{label}[/b] ({language}):\n{message}", label=tr("Message"), language=self.found.language,
                message=self.found.messages[event.cursor_row]))

    def action_offer_made(self) -> None:
        if self.found and self.found.offers:
            row = self.query_one("#offers", DataTable).cursor_row
            self.log_offer(self.found.offers[row])

    @work(thread=True, exclusive=True, exit_on_error=False, group="log")
    def log_offer(self, offer) -> None:
        tr = self.context.tr
        channel = self.channel_in_use or (self.found.channel if self.found else None) or "phone"
        now = self.context.now()
        self.context.write(lambda session: record_offer(session, self.customer_id, offer, channel,
                                                        self.context.staff.login, now))
        self.post_message(self.Logged(filled(tr("Offer of {product} logged; it counts as accepted if they order it "
                                                "within 14 days."), product=offer.name)))

    @on(Logged)
    def logged(self, message: Logged) -> None:
        self.query_one("#offers-status", Static).update(message.note)

    @on(DataTable.RowSelected, "#offers")
    def selected(self) -> None:
        self.action_offer_made()
