"""RFM scores and named marketing segments for every customer, computed in one SQL pass.

Scores are quintiles (1 = lowest, 5 = best) over the customers who bought anything, by
cumulative share so that equal values get equal scores: R by days since their last purchase
(fewer is better), F by number of purchases, M by net value. A purchase is an order with a
positive total; value nets cancellations (README). Segments, first rule that holds:
- prospect: never ordered anything;
- new: one purchase, within the last 90 days;
- champion: R >= 4 and F >= 4, bought within 180 days;
- loyal: R >= 3 and F >= 3, bought within 180 days;
- lapsed: no purchase for a year (a champion of long ago too);
- at risk: F >= 3 (they used to buy often, not lately);
- lapsed: R = 1 (the fifth who bought longest ago);
- promising: R >= 4 (recent, not yet frequent);
- needs attention: everyone else, and customers whose only orders are returns or cancellations
  (they bought before the shop's records begin).
"Now" is the analysis date (--as-of): orders after it do not exist for the segments.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, text
from sqlmodel import Session, col

from crm_tui.db import row_tuples
from crm_tui.models import CustomerRfm
from crm_tui.services.names import customer_name
from crm_tui.shop.models import Customer
from crm_tui.shop.types import db_datetime
from crm_tui.sql_dialect import days_between, truncated

SEGMENTS = ("champion", "loyal", "promising", "new", "needs attention", "at risk", "lapsed", "prospect")

_COMPUTE = """
WITH purchases AS MATERIALIZED (
    SELECT customer_id,
           max(CASE WHEN total_cents > 0 THEN placed_at END) AS last_purchase,
           sum(CASE WHEN total_cents > 0 THEN 1 ELSE 0 END) AS frequency,
           sum(total_cents) AS monetary
    FROM shop_order WHERE customer_id IS NOT NULL AND placed_at < :now
    GROUP BY customer_id
), buyers AS MATERIALIZED (
    SELECT customer_id, frequency, monetary,
           {recency} AS recency
    FROM purchases WHERE frequency > 0
), scored AS MATERIALIZED (
    SELECT customer_id, recency, frequency, monetary,
           {r} + 1 AS r,
           {f} + 1 AS f,
           {m} + 1 AS m
    FROM buyers
)
INSERT INTO customer_rfm (customer_id, recency_days, frequency, monetary_cents, r, f, m, segment, computed_at)
SELECT s.customer_id, s.recency, s.frequency, s.monetary, s.r, s.f, s.m,
       CASE
           WHEN s.frequency = 1 AND s.recency <= 90 THEN 'new'
           WHEN s.r >= 4 AND s.f >= 4 AND s.recency <= 180 THEN 'champion'
           WHEN s.r >= 3 AND s.f >= 3 AND s.recency <= 180 THEN 'loyal'
           WHEN s.recency > 365 THEN 'lapsed'
           WHEN s.f >= 3 THEN 'at risk'
           WHEN s.r = 1 THEN 'lapsed'
           WHEN s.r >= 4 THEN 'promising'
           ELSE 'needs attention'
       END,
       :now
FROM scored s
"""
# Customers who never bought, apart: a LEFT JOIN of all customers to the scored CTE found no
# index to use and took minutes at 100,000 customers.
_PROSPECTS = """
INSERT INTO customer_rfm (customer_id, recency_days, frequency, monetary_cents, r, f, m, segment, computed_at)
SELECT c.id, NULL, 0, 0, 0, 0, 0,
       CASE WHEN EXISTS (SELECT 1 FROM shop_order o WHERE o.customer_id = c.id AND o.placed_at < :now)
            THEN 'needs attention' ELSE 'prospect' END, :now
FROM customer c
WHERE NOT EXISTS (SELECT 1 FROM customer_rfm r WHERE r.customer_id = c.id)
"""


def recompute_segments(session: Session, now: datetime) -> int:
    """Replace every customer's RFM row; returns how many customers were scored. The caller
    commits (one transaction: readers see the old segments or the new ones, never a mix)."""
    session.execute(delete(CustomerRfm))
    conn = session.connection()
    quintile = "cume_dist() OVER (ORDER BY {}) * 5 - 0.000001"
    sql = _COMPUTE.format(recency=days_between(conn, ":now", "last_purchase"),
                          r=truncated(conn, quintile.format("recency DESC")),
                          f=truncated(conn, quintile.format("frequency")), m=truncated(conn, quintile.format("monetary")))
    session.execute(text(sql), {"now": db_datetime(conn, now)})
    session.execute(text(_PROSPECTS), {"now": db_datetime(conn, now)})
    return session.scalar(select(func.count()).select_from(CustomerRfm)) or 0


@dataclass(frozen=True)
class SegmentCount:
    segment: str
    customers: int
    average_value_cents: int


def segment_counts(session: Session) -> list[SegmentCount]:
    rows = dict((segment, (count, value)) for segment, count, value in row_tuples(session.execute(
        select(col(CustomerRfm.segment), func.count(), func.avg(col(CustomerRfm.monetary_cents)))
        .group_by(col(CustomerRfm.segment)))))
    return [SegmentCount(s, rows.get(s, (0, 0))[0], int(rows.get(s, (0, 0))[1] or 0)) for s in SEGMENTS]


@dataclass(frozen=True)
class SegmentMember:
    customer_id: int
    customer_number: str
    name: str
    recency_days: int | None
    frequency: int
    monetary_cents: int
    rfm: str


def segment_members(session: Session, segment: str, limit: int = 200, offset: int = 0) -> list[SegmentMember]:
    """The segment's customers, most valuable first (the segment index)."""
    rows = session.execute(
        select(col(CustomerRfm.customer_id), col(Customer.customer_number), col(Customer.first_name),
               col(Customer.last_name), col(CustomerRfm.recency_days), col(CustomerRfm.frequency),
               col(CustomerRfm.monetary_cents), col(CustomerRfm.r), col(CustomerRfm.f), col(CustomerRfm.m))
        .join(Customer, col(Customer.id) == col(CustomerRfm.customer_id))
        .where(col(CustomerRfm.segment) == segment)
        .order_by(col(CustomerRfm.monetary_cents).desc(), col(CustomerRfm.customer_id)).limit(limit).offset(offset))
    return [SegmentMember(cid, number, customer_name(first, last, number), recency, frequency, monetary, f"{r}{f}{m}")
            for cid, number, first, last, recency, frequency, monetary, r, f, m in row_tuples(rows)]


def computed_at(session: Session) -> datetime | None:
    return session.scalar(select(func.max(col(CustomerRfm.computed_at))))
