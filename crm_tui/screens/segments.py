"""Marketing segments: how many customers each holds; their customers, most valuable first."""

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Static

from crm_tui.screens.base import ConsoleScreen
from crm_tui.services.customer_groups import GROUP_PLACES, group_counts
from crm_tui.services.marketing import refresh_marketing
from crm_tui.services.policy import Action
from crm_tui.services.segments import SegmentCount, SegmentMember, computed_at, segment_counts, segment_members
from crm_tui.widgets.literal import cell
from crm_tui.widgets.summary_panel import group_label, segment_labels


class SegmentsScreen(ConsoleScreen):
    POLICY = {"recompute": Action.MARKETING_REFRESH}
    CSS_PATH = "segments.tcss"
    BINDINGS = [
        Binding("r", "recompute", "Recompute"),
        Binding("escape", "back", "Back"),
    ]

    class CountsLoaded(Message):
        def __init__(self, counts: list[SegmentCount], when, groups: dict[str, int], note: str = ""):
            super().__init__()
            self.counts, self.when, self.groups, self.note = counts, when, groups, note

    class MembersLoaded(Message):
        def __init__(self, segment: str, members: list[SegmentMember]):
            super().__init__()
            self.segment, self.members = segment, members

    def __init__(self, context):
        super().__init__(context)
        self.counts: list[SegmentCount] = []

    def compose(self) -> ComposeResult:
        tr = self.context.tr
        yield Header()
        yield Static("", id="computed")
        with Horizontal():
            with Vertical(id="segments-box"):
                yield Static(tr("Segments"), classes="section")
                yield DataTable(id="segments", cursor_type="row")
                yield Static(tr("Customer groups (the shop's I–V)"), classes="section")
                yield DataTable(id="groups", cursor_type="none")
            with Vertical(id="members-box"):
                yield Static(tr("Customers, most valuable first — Enter opens the card"), classes="section")
                yield DataTable(id="members", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        tr = self.context.tr
        self.query_one("#segments", DataTable).add_columns(tr("Segment"), tr("Customers"), tr("Average value"))
        self.query_one("#groups", DataTable).add_columns(tr("Group"), tr("Customers"))
        members = self.query_one("#members", DataTable)
        members.add_column(tr("Number"), width=9)
        members.add_column(tr("Name"), width=20)
        for label, width in ((tr("Days"), 5), (tr("Purchases"), 9), (tr("Value"), 12), ("RFM", 3)):
            members.add_column(label, width=width)
        self.load_counts()

    @work(thread=True, exclusive=True, exit_on_error=False, group="counts")
    def load_counts(self, note: str = "") -> None:
        counts, at, groups = self.context.read(lambda session: (segment_counts(session), computed_at(session),
                                                                group_counts(session)))
        self.post_message(self.CountsLoaded(counts, at, groups, note))

    @on(CountsLoaded)
    def show_counts(self, message: CountsLoaded) -> None:
        tr = self.context.tr
        self.counts = message.counts
        labels = segment_labels(tr)
        self.query_one("#computed", Static).update(
            (tr("Computed {when}").format(when=tr.datetime(message.when)) if message.when
             else tr("Never computed: press r to compute the segments."))
            + (f"  ·  {message.note}" if message.note else "")
            + "\n" + tr("RFM: recency, frequency and value, each scored 1–5 against all customers who bought."))
        groups = self.query_one("#groups", DataTable)
        groups.clear()
        for code, count in message.groups.items():
            groups.add_row(group_label(code, *GROUP_PLACES[code], tr), tr.number(count))
        table = self.query_one("#segments", DataTable)
        table.clear()
        for c in message.counts:
            table.add_row(labels[c.segment], tr.number(c.customers), tr.money(c.average_value_cents), key=c.segment)
        table.focus()

    @on(DataTable.RowHighlighted, "#segments")
    def segment_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.load_members(event.row_key.value)

    @on(DataTable.RowSelected, "#segments")
    def segment_selected(self) -> None:
        self.query_one("#members", DataTable).focus()

    @work(thread=True, exclusive=True, exit_on_error=False, group="members")
    def load_members(self, segment: str) -> None:
        members = self.context.read(lambda session: segment_members(session, segment))
        self.post_message(self.MembersLoaded(segment, members))

    @on(MembersLoaded)
    def show_members(self, message: MembersLoaded) -> None:
        tr = self.context.tr
        table = self.query_one("#members", DataTable)
        table.clear()
        for m in message.members:
            table.add_row(cell(m.customer_number), cell(m.name), "—" if m.recency_days is None else tr.number(m.recency_days),
                          tr.number(m.frequency), tr.money(m.monetary_cents), m.rfm, key=str(m.customer_id))

    @on(DataTable.RowSelected, "#members")
    def open_member(self, event: DataTable.RowSelected) -> None:
        self.app.open_customer(int(event.row_key.value))

    def action_recompute(self) -> None:
        self.query_one("#computed", Static).update(self.context.tr("Recomputing…"))
        self.recompute()

    @work(thread=True, exclusive=True, exit_on_error=False, group="recompute")
    def recompute(self) -> None:
        now = self.context.analysis_time()
        done = self.context.write(lambda session: refresh_marketing(session, now))
        self.load_counts(self.context.tr("{customers} customers in {seconds} s").format(
            customers=self.context.tr.number(done.customers), seconds=f"{done.seconds:.1f}"))
