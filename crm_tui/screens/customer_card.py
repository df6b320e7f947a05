"""The customer card: registration fields, the staff-only discount, and the change history."""

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Checkbox, DataTable, Footer, Header, Input, Label, Static

from crm_tui.screens.base import ConsoleScreen, CustomerNavigation
from crm_tui.services.audit import AuditRecord
from crm_tui.services.customers import (
    CustomerCard,
    DiscountCapExceeded,
    ReasonRequired,
    StaleCustomer,
    change_history,
    load_card,
    save_card,
)
from crm_tui.shop.validation import InvalidInput
from crm_tui.widgets.customer_form import (
    CONSENTS,
    TEXT_FIELDS,
    CustomerFields,
    field_labels,
    field_problems,
)
from crm_tui.widgets.literal import cell, filled, literal, visible


class CustomerCardScreen(CustomerNavigation, ConsoleScreen):
    CSS_PATH = "customer_card.tcss"
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("ctrl+r", "reload", "Reload", priority=True),
        Binding("f2", "summary", "Summary & orders"),
        Binding("f3", "phone_order", "New phone order"),
        Binding("f5", "offers", "Offers"),
        Binding("f8", "timeline", "Timeline"),
        Binding("escape", "back", "Back"),
    ]

    class Loaded(Message):
        def __init__(self, card: CustomerCard, history: list[AuditRecord], note: str = ""):
            super().__init__()
            self.card, self.history, self.note = card, history, note

    class SaveRefused(Message):
        def __init__(self, errors: dict[str, str], note: str = "", stale: StaleCustomer | None = None):
            super().__init__()
            self.errors, self.note, self.stale = errors, note, stale

    def __init__(self, context, customer_id: int):
        super().__init__(context)
        self.customer_id = customer_id
        self.card: CustomerCard | None = None
        self._keep_edits: dict[str, object] = {}

    def compose(self) -> ComposeResult:
        tr = self.context.tr
        yield Header()
        yield Static(tr("Loading…"), id="title")
        with VerticalScroll(id="form"):
            yield CustomerFields(tr)
            with Grid(id="discount-box") as box:
                box.border_title = tr("Staff only — never set by the customer")
                with Vertical(classes="field"):
                    yield Label(tr("Discount % (your cap: {cap} %)").format(cap=self.context.staff.discount_cap_percent))
                    yield Input(id="field-discount_percent", type="integer")
                    yield Static("", id="error-discount_percent", classes="error")
                with Vertical(classes="field"):
                    yield Label(tr("Reason for a discount change"))
                    yield Input(id="field-reason")
                    yield Static("", id="error-reason", classes="error")
            yield Static("", id="message")
            yield Label(tr("Changes"), classes="section")
            yield DataTable(id="history", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        tr = self.context.tr
        history = self.query_one("#history", DataTable)
        for label in (tr("When"), tr("Who"), tr("Field"), tr("Old"), tr("New"), tr("Reason")):
            history.add_column(label)
        self.load()

    # --- loading ------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="card")
    def load(self, note: str = "") -> None:
        if self.card is None:  # opened, not reloaded: one entry in the customer's access log
            self.context.log_access(self.customer_id, "card")
        card, records = self.context.read(lambda session: (load_card(session, self.customer_id),
                                                           change_history(session, self.customer_id)))
        self.post_message(self.Loaded(card, records, note))

    @on(Loaded)
    def show_card(self, message: Loaded) -> None:
        tr, card = self.context.tr, message.card
        self.card = card
        self.query_one("#title", Static).update(filled(
            "[b]{name}[/b]  ·  {number}  ·  {phone}  ·  {registered}  ·  {zone}", name=card.name,
            number=card.customer_number, phone=card.phone_national or "—",
            registered=tr("registered {date}").format(date=tr.date(card.registered_at, card.time_zone)),
            zone=card.time_zone))
        for name, value in self._shown(card).items():
            self.query_one(f"#field-{name}", Input).value = value
        for name in CONSENTS:
            self.query_one(f"#field-{name}", Checkbox).value = getattr(card, name)
        self.query_one("#field-discount_percent", Input).value = str(card.discount_percent)
        self.query_one("#field-reason", Input).value = ""
        for name, value in self._keep_edits.items():  # a reload keeps what the agent had typed
            widget = self.query_one(f"#field-{name}")
            widget.value = value
        self._keep_edits = {}
        self._clear_errors()
        nameless = not (card.first_name or card.last_name)
        for name in ("first_name", "last_name"):
            self.query_one(f"#field-{name}", Input).placeholder = tr("ask the customer") if nameless else ""
        self.query_one("#message", Static).update(message.note or (
            tr("The shop knows this customer only by number: ask their name and add it.") if nameless else ""))
        history = self.query_one("#history", DataTable)
        history.clear()
        labels = field_labels(tr)
        for record in message.history:
            history.add_row(tr.datetime(record.at), cell(record.staff_login),
                            cell(labels.get(record.field, record.field)), cell(record.old_value),
                            cell(record.new_value), cell(record.reason))
        if not self.query_one("#field-first_name", Input).has_focus:
            self.query_one("#field-first_name", Input).focus()

    # --- saving -------------------------------------------------------------------------------

    def edits(self) -> dict[str, object]:
        """The fields the agent changed, compared with the card as loaded."""
        if self.card is None:
            return {}
        shown = self._shown(self.card)
        changed: dict[str, object] = {}
        for name in TEXT_FIELDS:
            value = self.query_one(f"#field-{name}", Input).value
            if value != shown[name]:
                changed[name] = value
        for name in CONSENTS:
            value = self.query_one(f"#field-{name}", Checkbox).value
            if value != getattr(self.card, name):
                changed[name] = value
        discount = self.query_one("#field-discount_percent", Input).value
        if discount != str(self.card.discount_percent):
            changed["discount_percent"] = discount
        return changed

    @staticmethod
    def _shown(card: CustomerCard) -> dict[str, str]:
        """What the inputs show: the values with any control character written out."""
        values = {name: visible(getattr(card, name)) for name in TEXT_FIELDS}
        values["phone"] = visible(card.phone_for_editing)
        return values

    def action_save(self) -> None:
        if self.card is None:
            return
        edits = self.edits()
        if not edits:
            self.query_one("#message", Static).update(self.context.tr("Nothing to save."))
            return
        self.save(self.card, edits, self.query_one("#field-reason", Input).value)

    @work(thread=True, exclusive=True, exit_on_error=False, group="save")
    def save(self, loaded: CustomerCard, edits: dict[str, object], reason: str) -> None:
        tr = self.context.tr
        try:
            now = self.context.now()
            self.context.write(lambda session: save_card(session, self.context.staff, loaded, edits, reason, now=now))
        except InvalidInput as exc:
            errors = field_problems(exc.problems(), tr)
            self.post_message(self.SaveRefused(errors, tr("Not saved: correct the marked fields.")))
        except DiscountCapExceeded as exc:
            self.post_message(self.SaveRefused(
                {"discount_percent": tr("Above your cap of {cap} %: ask a supervisor.").format(cap=exc.cap)},
                tr("Not saved.")))
        except ReasonRequired:
            self.post_message(self.SaveRefused({"reason": tr("A reason is required when the discount changes.")},
                                               tr("Not saved.")))
        except StaleCustomer as exc:
            self.post_message(self.SaveRefused({}, stale=exc))
        else:
            self.load(tr("Saved."))

    @on(SaveRefused)
    def show_refusal(self, message: SaveRefused) -> None:
        tr = self.context.tr
        self._clear_errors()
        for name, error in message.errors.items():
            target = self.query(f"#error-{name}")
            if target:
                target.first(Static).update(literal(error))
                target.first(Static).add_class("-shown")
        if message.stale is not None:
            changed = "; ".join(f"{field_labels(tr).get(c.field, c.field)}: {c.old_value or '—'} → {c.new_value or '—'}"
                                for c in message.stale.changed)
            who = ", ".join(sorted(set(message.stale.by))) or tr("someone")
            note = tr("Not saved: {who} changed this customer meanwhile ({changes}). "
                      "Press ctrl+r to reload; your edits are kept.").format(who=who, changes=changed)
        else:
            note = message.note
        self.query_one("#message", Static).update(literal(note, "bold red"))

    def worker_failed(self, worker, sentence: str) -> None:
        """A save that could not be written: say so where the agent looks; the edits stay."""
        note = sentence + " " + self.context.tr("Your edits are still here: press ctrl+s to try again.")
        self.query_one("#message", Static).update(literal(note, "bold red"))

    def _clear_errors(self) -> None:
        for error in self.query(".error"):
            error.update("")
            error.remove_class("-shown")

    def action_reload(self) -> None:
        self._keep_edits = dict(self.edits())
        reason = self.query_one("#field-reason", Input).value
        if reason:
            self._keep_edits["reason"] = reason
        self.load(self.context.tr("Reloaded: the latest values, with your edits on top. Check and save again."))

    def customer_changed(self) -> None:
        self.load()

    def action_back(self) -> None:
        """Esc: never throws typed edits away without asking."""
        if not self.edits() and not self.query_one("#field-reason", Input).value.strip():
            self.app.pop_screen()
            return
        from crm_tui.screens.choice import ChoiceScreen

        def chosen(choice: str | None) -> None:
            if choice == "save":
                self.action_save()
            elif choice == "discard":
                self.app.pop_screen()
        tr = self.context.tr
        self.app.push_screen(ChoiceScreen(self.context, [
            tr("This card has changes that are not saved."),
            tr("s saves them · d discards them and leaves · Esc stays on the card")],
            {"s": "save", "d": "discard"}, escape_answer="stay"), chosen)
