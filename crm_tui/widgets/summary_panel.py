"""The customer summary in three lines: who, what they buy, what they are worth."""

from textual.widgets import Static

from crm_tui.services.customer_summary import CustomerSummary


class SummaryPanel(Static):
    def show(self, s: CustomerSummary, tr) -> None:
        segments = {"prospect": tr("prospect"), "lapsed": tr("lapsed"), "new": tr("new"),
                    "champion": tr("champion"), "at risk": tr("at risk"), "loyal": tr("loyal"),
                    "occasional": tr("occasional")}
        last = (tr("{date} ({days} days ago)").format(date=tr.date(s.last_purchase), days=s.days_since_last)
                if s.last_purchase else tr("never"))
        rhythm = (tr("every {days} days").format(days=round(s.usual_interval_days))
                  if s.usual_interval_days else "—")
        if s.overdue:
            rhythm += " — [b $warning]" + tr("overdue") + "[/]"
        self.update("\n".join([
            f"[b]{s.name}[/b]  ·  {s.customer_number}  ·  {tr('Segment')}: [b]{segments[s.segment]}[/b]  ·  "
            f"{tr('Discount')}: {s.discount_percent} %",
            f"{tr('Last purchase')}: {last}  ·  {tr('First purchase')}: "
            f"{tr.date(s.first_purchase) if s.first_purchase else '—'}  ·  {tr('Rhythm')}: {rhythm}",
            f"{tr('Purchases')}: {s.purchases}  ·  {tr('Lifetime value')}: {tr.money(s.lifetime_value_cents)}  ·  "
            f"{tr('Average order')}: {tr.money(s.average_order_cents) if s.average_order_cents else '—'}  ·  "
            f"{tr('Open callbacks')}: {s.open_callbacks}  ·  {tr('Last contact')}: "
            f"{tr.date(s.last_contact) if s.last_contact else '—'}",
        ]))
