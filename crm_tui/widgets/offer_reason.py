"""Why an offer is made, in the agent's words and language."""

from crm_tui.services.offer_hold import OfferHold
from crm_tui.services.offers import Offer


def rule_label(rule: str, tr) -> str:
    return {"reorder": tr("reorder due"), "winback": tr("win-back"), "together": tr("bought together"),
            "new": tr("new"), "popular": tr("popular")}.get(rule, rule)


def reason_text(offer: Offer, tr) -> str:
    r = offer.reason
    category = r.get("category") or tr("the shop")
    return {
        "reorder": lambda: tr("bought {times} times, about every {interval} days; last {since} days ago").format(
            times=r["times"], interval=r["interval"], since=r["since"]),
        "winback": lambda: tr("a favourite of theirs; no purchase for {since} days").format(since=r["since"]),
        "together": lambda: tr("{share} of baskets with {seed} have it too").format(
            share=f"{r['confidence']:.0%}", seed=r.get("seed", "")),
        "new": lambda: tr("new in {category}").format(category=category),
        "popular": lambda: tr("bought by {buyers} customers lately in {category}").format(
            buyers=r["buyers"], category=category),
    }[offer.rule]()


def withheld_text(hold: OfferHold, tr) -> str:
    """Why nothing is offered now (seed 002: don't sell before you know the customer is happy)."""
    if hold.reason == "open_case":
        return tr("Offers withheld: case {case} is open. Solve it first; do not try to sell now.").format(
            case=hold.case_id)
    return tr("Offers withheld: their last satisfaction score was {score} of 5 ({when}). Make sure they are happy "
              "before offering anything.").format(score=hold.score, when=tr.date(hold.scored_at) if hold.scored_at
                                                   else "")
