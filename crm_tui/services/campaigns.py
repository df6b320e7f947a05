"""Campaign lists: a segment's customers who consented to the channel, with their best offer
and its message. Consent is checked in the query that picks the customers, and again per row."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TextIO

from sqlalchemy import select
from sqlmodel import Session, col

from crm_tui.models import CustomerRfm
from crm_tui.services.offers import CHANNELS, CustomerOffers, customer_offers
from crm_tui.services.safe_csv import csv_writer
from crm_tui.services.segments import SEGMENTS
from crm_tui.shop.models import Customer

COLUMNS = ("customer_number", "first_name", "last_name", "contact", "language", "segment", "sku", "product", "rule",
           "message")


class CampaignError(ValueError):
    pass


@dataclass
class CampaignCounts:
    in_segment_with_consent: int = 0
    exported: int = 0
    without_offer: int = 0
    withheld: int = 0  # an open case or an unhappy score: not sold to now


def _consenting(channel: str):
    if channel == "email":
        return (col(Customer.consent_email_at).is_not(None), col(Customer.email).is_not(None),
                col(Customer.email) != "")
    column = col(Customer.consent_phone_at) if channel == "phone" else col(Customer.consent_chat_at)
    return (column.is_not(None), col(Customer.phone).is_not(None), col(Customer.phone) != "")


def campaign(session: Session, segment: str, channel: str, templates, now: datetime,
             counts: CampaignCounts | None = None, unhappy_days: int = 30) -> Iterator[tuple]:
    if segment not in SEGMENTS:
        raise CampaignError(f"unknown segment {segment!r}; one of {', '.join(SEGMENTS)}")
    if channel not in CHANNELS:
        raise CampaignError(f"unknown channel {channel!r}; one of {', '.join(CHANNELS)}")
    counts = counts if counts is not None else CampaignCounts()
    ids = session.scalars(select(col(CustomerRfm.customer_id))
                          .join(Customer, col(Customer.id) == col(CustomerRfm.customer_id))
                          .where(col(CustomerRfm.segment) == segment, *_consenting(channel))
                          .order_by(col(CustomerRfm.monetary_cents).desc(), col(CustomerRfm.customer_id))).all()
    for customer_id in ids:
        counts.in_segment_with_consent += 1
        found: CustomerOffers = customer_offers(session, customer_id, templates, now=now, limit=1,
                                                unhappy_days=unhappy_days)
        if not found.consents[channel]:  # never trust one check with someone's consent
            continue
        if found.withheld:
            counts.withheld += 1
            continue
        if not found.offers:
            counts.without_offer += 1
            continue
        offer = found.offers[0]
        counts.exported += 1
        yield (found.customer_number, found.first_name, found.last_name,
               found.email if channel == "email" else found.phone, found.language, segment, offer.sku, offer.name,
               offer.rule, found.messages[0])


def write_campaign(rows: Iterator[tuple], out: TextIO) -> None:
    writer = csv_writer(out)
    writer.writerow(COLUMNS)
    writer.writerows(rows)
