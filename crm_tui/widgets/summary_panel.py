"""The customer summary in three lines: who, what they buy, what they are worth."""

from textual.content import Content
from textual.widgets import Static

from crm_tui.services.customer_summary import CustomerSummary
from crm_tui.widgets.literal import filled


def whole(text: str) -> str:
    """A date or amount the line may not break inside ("20 / nov 2026" was a wrap)."""
    return text.replace(" ", "\u00a0")


def segment_labels(tr) -> dict[str, str]:
    """Every segment's name in the agent's language: the summary's and the marketing ones."""
    return {"champion": tr("champion"), "loyal": tr("loyal"), "promising": tr("promising"), "new": tr("new"),
            "needs attention": tr("needs attention"), "at risk": tr("at risk"), "lapsed": tr("lapsed"),
            "occasional": tr("occasional"), "prospect": tr("prospect")}


def group_approach(code: str, tr) -> str:
    """The shop's recommended approach for each customer group (seed 003), as a line for the agent."""
    return {
        "I": tr("convince them to register; state security and privacy; call them by their name; online support"),
        "II": tr("a well-organised offer and search; personalised content; let them choose how to be answered"),
        "III": tr("ask little by little; personalised recommendations; several channels; payment and shipping "
                  "choices"),
        "IV": tr("fast reorder; order tracking; purchase history; personalised content"),
        "V": tr("call them by their name; remember their preferences; support and several shipping options"),
        "V+": tr("remember their preferences; fast reorder and a wide personalised offer"),
        "P": tr("premium loyalty, the goal: keep them delighted, personal attention first"),
    }.get(code, "")


def group_label(code: str, loyalty: str, needs: str, tr) -> str:
    loyalties = {"none": tr("no loyalty"), "latent": tr("latent loyalty"), "convenience": tr("convenience loyalty"),
                 "premium": tr("premium loyalty")}
    needs_labels = {"uniform": tr("uniform needs"), "diverse": tr("diverse needs")}
    if not needs:
        return tr("Group {code} ({loyalty})").format(code=code, loyalty=loyalties.get(loyalty, loyalty))
    return tr("Group {code} ({loyalty}, {needs})").format(code=code, loyalty=loyalties.get(loyalty, loyalty),
                                                          needs=needs_labels.get(needs, needs))


class SummaryPanel(Static):
    def show(self, s: CustomerSummary, tr) -> None:
        segments = segment_labels(tr)
        days = s.days_since_last or 0
        ago = tr("today") if days == 0 else tr("yesterday") if days == 1 else tr("{days} days ago").format(days=days)
        last = f"{whole(tr.date(s.last_purchase))} ({ago})" if s.last_purchase else tr("never")
        interval = round(s.usual_interval_days or 0)
        rhythm = "—" if not s.usual_interval_days else tr("every day") if interval <= 1 else \
            tr("every {days} days").format(days=interval)
        if s.overdue:
            rhythm += " — [b $warning]" + tr("overdue") + "[/]"
        first = filled("[b]{name}[/b]  ·  {number}  ·  ", name=s.name, number=s.customer_number)
        self.update(first + Content.from_markup("\n".join([
            f"{tr('Segment')}: [b]{segments[s.segment]}[/b]  ·  {tr('Discount')}: {s.discount_percent} %",
            f"{tr('Last purchase')}: {last}  ·  {tr('First purchase')}: "
            f"{whole(tr.date(s.first_purchase)) if s.first_purchase else '—'}  ·  {tr('Rhythm')}: {rhythm}",
            f"{tr('Purchases')}: {s.purchases}  ·  {tr('Lifetime value')}: {tr.money(s.lifetime_value_cents)}  ·  "
            f"{tr('Average order')}: {tr.money(s.average_order_cents) if s.average_order_cents else '—'}  ·  "
            f"{tr('Open callbacks')}: {s.open_callbacks}  ·  {tr('Last contact')}: "
            f"{whole(tr.date(s.last_contact)) if s.last_contact else '—'}"
            + (f"  ·  [b $warning]{tr('Open cases')}: {s.open_cases}[/]" if s.open_cases else ""),
        ])) + (filled("\n{group}: {approach}", group=group_label(s.group.code, s.group.loyalty, s.group.needs, tr),
                      approach=group_approach(s.group.code, tr)) if s.group else Content(""))
            + web_visits_line(s, tr))


def web_visits_line(s: CustomerSummary, tr) -> Content:
    """"Web shop: 3 visits this week, viewed Table lamp ×2": what the customer looked at lately."""
    visits = s.web_visits
    if visits is None or not visits.visits:
        return Content("")
    line = (tr("Web shop: 1 visit this week") if visits.visits == 1
            else tr("Web shop: {n} visits this week").format(n=visits.visits))
    if not visits.most_viewed:
        return filled("\n{line}", line=line)
    viewed = ", ".join(f"{name} ×{times}" for name, times in visits.most_viewed)
    return filled("\n{line}, " + tr("viewed {products}"), line=line, products=viewed)
