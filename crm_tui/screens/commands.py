"""The command palette (ctrl+p): find a customer by name, number or phone, or jump to a screen."""

import asyncio
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.fuzzy import Matcher

from crm_tui.services.search import search_customers
from crm_tui.widgets.literal import visible


def highlighted(matcher: Matcher, label: str) -> Content:
    """The label shown literally (Matcher.highlight would read it as markup), its matched letters marked."""
    content = Content(label)
    score, offsets = matcher.fuzzy_search.match(matcher.query, label)
    for offset in offsets if score else ():
        if not label[offset].isspace():
            content = content.stylize(matcher.match_style, offset, offset + 1)
    return content


class CustomerCommands(Provider):
    async def search(self, query: str) -> Hits:
        app = self.app
        tr = app.context.tr
        if len(query.strip()) < 2:
            return
        hits = await asyncio.to_thread(self._find, query)
        matcher = self.matcher(query)
        for hit in hits[:20]:
            label = visible(f"{hit.name} · {hit.customer_number} · {hit.phone}")
            yield Hit(max(matcher.match(label), 0.5), highlighted(matcher, label), partial(app.open_customer, hit.customer_id),
                      help=tr("Open the customer's card"))

    def _find(self, query: str):
        return self.app.context.read(lambda session: search_customers(session, query))


class ScreenCommands(Provider):
    """Every screen the role may open from the home screen, by name."""

    def _screens(self):
        app = self.app
        tr = app.context.tr
        screens = [(tr("Search customers"), app.action_go_home, tr("The search box on the home screen"))]
        for action, name, help_text in (("callbacks", tr("Callback queue"), tr("The callbacks waiting (F4)")),
                                        ("segments", tr("Segments"), tr("Customers per segment (F6)")),
                                        ("dashboard", tr("Dashboard"), tr("Sales, products, customers, agents (F7)")),
                                        ("inbox", tr("Inbox"), tr("Messages from customers and visitors (F8)")),
                                        ("cases", tr("Cases"), tr("Complaint cases: mine, team, overdue (F9)"))):
            if app.home_may(action):
                screens.append((name, partial(app.from_home, action), help_text))
        return screens

    async def discover(self) -> Hits:
        for name, action, help_text in self._screens():
            yield DiscoveryHit(name, action, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, action, help_text in self._screens():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, highlighted(matcher, name), action, help=help_text)
