"""The shop's customer groups I-V (seed 003), by loyalty and needs.

Loyalty, from the customer's purchase days (days with an order that was not cancelled), as
of the refresh; the first rule that holds:
- none: at most one purchase day, or none in the last LAPSED_DAYS (365);
- premium: 6+ purchase days, very regular (the gaps' standard deviation at most 0.3 times
  their mean), the last purchase within twice their usual gap, and among the fifth who spend most
  (RFM M = 5);
- convenience: 3+ purchase days, regular (deviation at most half the mean gap), the last purchase
  within twice their usual gap;
- latent: everyone else who bought more than once (irregular, or overdue).
Needs, from the categories of the merchandise they bought: diverse with 3+ categories and
none above 60 % of their units; uniform otherwise.
Groups: I none/uniform, II none/diverse, III latent/uniform, IV latent/diverse,
V convenience/uniform; P premium (the goal); convenience/diverse has no group in the
document and is shown as "V+" (V's approach, with IV's wide offer).
"""

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import delete, func, select, text
from sqlmodel import Session, col

from crm_tui.db import row_tuples
from crm_tui.models import CustomerGroup
from crm_tui.shop.types import db_datetime
from crm_tui.sql_dialect import day_number

LAPSED_DAYS = 365
GROUPS = ("I", "II", "III", "IV", "V", "V+", "P")
GROUP_PLACES = {"I": ("none", "uniform"), "II": ("none", "diverse"), "III": ("latent", "uniform"),
                "IV": ("latent", "diverse"), "V": ("convenience", "uniform"), "V+": ("convenience", "diverse"),
                "P": ("premium", "")}
CODES = {("none", "uniform"): "I", ("none", "diverse"): "II", ("latent", "uniform"): "III",
         ("latent", "diverse"): "IV", ("convenience", "uniform"): "V", ("convenience", "diverse"): "V+",
         ("premium", "uniform"): "P", ("premium", "diverse"): "P"}
_COMPUTE = """
WITH days AS MATERIALIZED (
    SELECT customer_id, {day} AS d,
           {day} - lag({day}) OVER (PARTITION BY customer_id ORDER BY day) AS gap
    FROM sales_customer_day WHERE orders > 0 AND day < :today
), rhythm AS MATERIALIZED (
    SELECT customer_id, count(*) AS n, {today} - max(d) AS recency,
           avg(gap) AS mean_gap, avg(gap * gap) AS mean_square
    FROM days GROUP BY customer_id
), spread AS MATERIALIZED (
    SELECT customer_id, count(*) AS categories, max(units) * 1.0 / sum(units) AS top_share
    FROM (SELECT o.customer_id, p.category, sum(l.quantity) AS units
          FROM shop_order o JOIN order_line l ON l.order_id = o.id JOIN product p ON p.id = l.product_id
          WHERE o.customer_id IS NOT NULL AND l.quantity > 0 AND p.kind = 'product' AND o.placed_at < :today_starts
          GROUP BY 1, 2) AS bought
    GROUP BY customer_id
)
INSERT INTO customer_group (customer_id, loyalty, needs, group_code)
SELECT customer_id, loyalty, needs, '' FROM (
    SELECT r.customer_id,
           CASE
               WHEN r.n <= 1 OR r.recency > {lapsed} THEN 'none'
               WHEN r.n >= 6 AND r.mean_square - r.mean_gap * r.mean_gap <= 0.09 * r.mean_gap * r.mean_gap
                    AND r.recency <= 2 * r.mean_gap AND coalesce(m.m, 0) = 5 THEN 'premium'
               WHEN r.n >= 3 AND r.mean_square - r.mean_gap * r.mean_gap <= 0.25 * r.mean_gap * r.mean_gap
                    AND r.recency <= 2 * r.mean_gap THEN 'convenience'
               ELSE 'latent'
           END AS loyalty,
           CASE WHEN s.categories >= 3 AND s.top_share <= 0.6 THEN 'diverse' ELSE 'uniform' END AS needs
    FROM rhythm r LEFT JOIN spread s ON s.customer_id = r.customer_id
    LEFT JOIN customer_rfm m ON m.customer_id = r.customer_id
) AS placed
"""


def recompute_groups(session: Session, today: str) -> int:
    """Every buying customer's group, as of `today` (YYYY-MM-DD, purchases before it); in the
    caller's transaction, after the segments (premium needs their RFM M)."""
    session.execute(delete(CustomerGroup))
    conn = session.connection()
    sql = _COMPUTE.format(lapsed=LAPSED_DAYS, day=day_number(conn, "day"), today=day_number(conn, ":today"))
    starts = datetime.strptime(today, "%Y-%m-%d").replace(tzinfo=timezone.utc)
    session.execute(text(sql), {"today": today, "today_starts": db_datetime(conn, starts)})
    for (loyalty, needs), code in CODES.items():
        session.execute(text("UPDATE customer_group SET group_code = :code WHERE loyalty = :l AND needs = :n"),
                        {"code": code, "l": loyalty, "n": needs})
    return session.scalar(select(func.count()).select_from(CustomerGroup)) or 0


@dataclass(frozen=True)
class GroupPlace:
    code: str
    loyalty: str
    needs: str


def customer_group(session: Session, customer_id: int) -> GroupPlace | None:
    row = session.get(CustomerGroup, customer_id)
    if row is None:
        return None
    return GroupPlace(row.group_code, row.loyalty, row.needs)


def group_counts(session: Session) -> dict[str, int]:
    counts = dict(row_tuples(session.execute(select(col(CustomerGroup.group_code), func.count())
                                             .group_by(col(CustomerGroup.group_code))).all()))
    return {code: counts.get(code, 0) for code in GROUPS}
