"""A customer's timeline as table rows, in the agent's language and the customer's clock."""

from crm_tui.services.timeline import TimelineEntry
from crm_tui.widgets.call_outcomes import outcome_labels
from crm_tui.widgets.literal import cell


def timeline_kinds(tr) -> dict[str, str]:
    return {"request": tr("callback request"), "call": tr("call"), "message": tr("message"),
            "contact": tr("contact"), "case": tr("case"), "order": tr("order"),
            "order status": tr("tracking"), "offer": tr("offer"), "visit": tr("web visit")}


def timeline_labels(tr) -> dict[str, str]:
    """Outcomes, statuses and offer rules as the timeline and the order's way show them."""
    return outcome_labels(tr) | {
        "pending": tr("waiting"), "claimed": tr("being called"), "done": tr("done"), "question": tr("question"),
        "complaint": tr("complaint"), "suggestion": tr("suggestion"), "privacy": tr("privacy request"),
        "browsed": tr("browsed"), "ordered": tr("ordered"), "placed": tr("placed"), "paid": tr("paid"),
        "shipped": tr("shipped"), "delivered": tr("delivered"), "cancelled": tr("cancelled"),
        "returned": tr("returned"), "information": tr("information"), "follow_up": tr("follow-up"),
        "lost": tr("lost"), "opened": tr("opened"), "resolved": tr("resolved"), "refund": tr("refund"),
        "replacement": tr("replacement"), "credit": tr("credit or discount"), "explanation": tr("explanation"),
        "rejected": tr("rejected"), "reorder": tr("reorder due"), "winback": tr("win-back"),
        "together": tr("bought together"), "new": tr("new"), "popular": tr("popular"),
        # a contact's channel and direction, a case's type, a lost customer's reason
        "phone": tr("phone"), "email": tr("e-mail"), "chat": tr("chat"), "inbound": tr("inbound"),
        "outbound": tr("outbound"), "delivery": tr("delivery"), "product_defect": tr("product defect"),
        "billing": tr("billing"), "service": tr("service"), "other": tr("other"), "price": tr("price"),
        "quality": tr("quality"), "competitor": tr("competitor"), "no_longer_needed": tr("no longer needed")}


def who_label(who: str, tr) -> str:
    """A step's author: a staff login as it is, the shop's own process and channels translated."""
    return {"shop": tr("shop"), "web": tr("web"), "phone": tr("phone")}.get(who, who)


def timeline_rows(entries: list[TimelineEntry], tr, zone: str) -> list[tuple]:
    kinds = timeline_kinds(tr)
    labels = timeline_labels(tr)
    rows = []
    for entry in entries:
        length = f"{entry.duration_seconds // 60}:{entry.duration_seconds % 60:02d}" \
            if entry.duration_seconds is not None else ""
        stars = "★" * entry.satisfaction if entry.satisfaction else ""
        parts = [labels.get(code, code) for code in entry.codes] + [entry.detail]
        if entry.amount_cents is not None:
            parts.append(tr.money(entry.amount_cents))
        detail = " · ".join(part for part in parts if part)
        rows.append((tr.datetime(entry.at, zone), cell(kinds.get(entry.kind, entry.kind)),
                     cell(who_label(entry.who, tr)),
                     cell(labels.get(entry.what, entry.what)), f"{length} {stars}".strip(), cell(detail)))
    return rows
