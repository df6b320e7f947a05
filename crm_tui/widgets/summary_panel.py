"""The customer summary in three lines: who, what they buy, what they are worth."""

from textual.content import Content
from textual.widgets import Static

from crm_tui.services.customer_summary import CustomerSummary
from crm_tui.widgets.literal import filled


def segment_labels(tr) -> dict[str, str]:
    """Every segment's name in the agent's language: the summary's and the marketing ones."""
    return {"champion": tr("champion"), "loyal": tr("loyal"), "promising": tr("promising"), "new": tr("new"),
            "needs attention": tr("needs attention"), "at risk": tr("at risk"), "lapsed": tr("lapsed"),
            "occasional": tr("occasional"), "prospect": tr("prospect")}


class SummaryPanel(Static):
    def show(self, s: CustomerSummary, tr) -> None:
        segments = segment_labels(tr)
        days = s.days_since_last or 0
        ago = tr("today") if days == 0 else tr("yesterday") if days == 1 else tr("{days} days ago").format(days=days)
        last = f"{tr.date(s.last_purchase)} ({ago})" if s.last_purchase else tr("never")
        rhythm = (tr("every {days} days").format(days=round(s.usual_interval_days))
                  if s.usual_interval_days else "—")
        if s.overdue:
            rhythm += " — [b $warning]" + tr("overdue") + "[/]"
        first = filled("[b]{name}[/b]  ·  {number}  ·  ", name=s.name, number=s.customer_number)
        self.update(first + Content.from_markup("\n".join([
            f"{tr('Segment')}: [b]{segments[s.segment]}[/b]  ·  {tr('Discount')}: {s.discount_percent} %",
            f"{tr('Last purchase')}: {last}  ·  {tr('First purchase')}: "
            f"{tr.date(s.first_purchase) if s.first_purchase else '—'}  ·  {tr('Rhythm')}: {rhythm}",
            f"{tr('Purchases')}: {s.purchases}  ·  {tr('Lifetime value')}: {tr.money(s.lifetime_value_cents)}  ·  "
            f"{tr('Average order')}: {tr.money(s.average_order_cents) if s.average_order_cents else '—'}  ·  "
            f"{tr('Open callbacks')}: {s.open_callbacks}  ·  {tr('Last contact')}: "
            f"{tr.date(s.last_contact) if s.last_contact else '—'}",
        ])))
