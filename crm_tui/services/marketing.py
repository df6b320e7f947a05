"""Keep the marketing figures in step with the shop: segments and what the baskets teach."""

import time
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from crm_tui.services.affinity import relearn
from crm_tui.services.customer_groups import recompute_groups
from crm_tui.services.segments import recompute_segments


@dataclass(frozen=True)
class Refreshed:
    customers: int
    products_with_partners: int
    seconds: float


def refresh_marketing(session: Session, now: datetime) -> Refreshed:
    """Recompute every customer's segment and group (I-V) and relearn the baskets, in the caller's write
    transaction (readers keep the previous figures until it commits)."""
    started = time.perf_counter()
    customers = recompute_segments(session, now)
    recompute_groups(session, now.date().isoformat())
    affinity = relearn(session, now)
    return Refreshed(customers, len(affinity.together), time.perf_counter() - started)
