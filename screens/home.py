"""The home screen: who is logged in, on which database, and the shop at a glance."""

from sqlmodel import Session
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from crm_tui.services.overview import ShopOverview, shop_overview


class HomeScreen(Screen):
    CSS_PATH = "home.tcss"

    class OverviewLoaded(Message):
        def __init__(self, overview: ShopOverview):
            super().__init__()
            self.overview = overview

    def __init__(self, context):
        super().__init__()
        self.context = context

    def compose(self) -> ComposeResult:
        tr = self.context.tr
        yield Header()
        with Vertical(id="welcome"):
            yield Static(tr("Welcome, {name}.").format(name=self.context.staff.display_name), id="greeting")
            yield Static(tr("Database: {url}").format(url=self.context.database), id="database", classes="muted")
            yield Static(tr("Loading the shop's figures…"), id="figures")
        yield Footer()

    def on_mount(self) -> None:
        self.load_overview()

    @work(thread=True, exclusive=True, exit_on_error=False, group="overview")
    def load_overview(self) -> None:
        with Session(self.context.engine) as session:
            overview = shop_overview(session)
        self.post_message(self.OverviewLoaded(overview))

    @on(OverviewLoaded)
    def show_overview(self, message: OverviewLoaded) -> None:
        tr, o = self.context.tr, message.overview
        self.query_one("#figures", Static).update(
            tr("{customers} customers · {orders} orders · {callbacks} callbacks waiting").format(
                customers=tr.number(o.customers), orders=tr.number(o.orders),
                callbacks=tr.number(o.pending_callbacks))
        )
