"""CRM-side tables: who works the console, and what they changed."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, String, text
from sqlmodel import Field, SQLModel

from crm_tui.shop.types import UTCDateTime, utc_now


class Role(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    OPS = "ops"


DEFAULT_DISCOUNT_CAP = {Role.AGENT: 10, Role.SUPERVISOR: 30, Role.OPS: 0}


class Staff(SQLModel, table=True):
    __tablename__ = "staff"

    id: int | None = Field(default=None, primary_key=True)
    login: str = Field(max_length=64, unique=True, index=True)
    display_name: str = Field(default="", max_length=200)
    role: Role = Field(sa_type=String(16))
    discount_cap_percent: int = Field(default=0)
    active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class DatabaseFact(SQLModel, table=True):
    """What the database says of itself: `demo` = "yes" when `crm-tui demo` built it."""

    __tablename__ = "database_fact"

    name: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=200)


class AccessEntry(SQLModel, table=True):
    """Who looked at or exported one customer's data: a card or call opened, an export."""

    __tablename__ = "access_entry"
    # No RETURNING on insert: on PostgreSQL agents may add to the log but not read it.
    __table_args__ = (Index("ix_access_customer", "customer_id", "at"), {"implicit_returning": False})

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime)
    staff_login: str = Field(max_length=64)
    customer_id: int
    what: str = Field(max_length=64)  # "card", "call", "privacy export", "marketing export", ...


class AuditEntry(SQLModel, table=True):
    """One changed field of one record. Staff writes always leave one of these."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_record", "record_table", "record_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime, index=True)
    staff_login: str = Field(max_length=64, index=True)
    record_table: str = Field(max_length=64)
    record_id: int
    field: str = Field(max_length=64)
    old_value: str | None = Field(default=None)
    new_value: str | None = Field(default=None)
    reason: str = Field(default="", max_length=500)


class CallbackAttempt(SQLModel, table=True):
    """One call made for a callback request: who, when, how long, how it went."""

    __tablename__ = "callback_attempt"
    __table_args__ = (Index("ix_callback_attempt_scores", "ended_at", "satisfaction", "feedback_kind"),
                      Index("ix_callback_attempt_lost", "ended_at", sqlite_where=text("lost_reason IS NOT NULL"),
                            postgresql_where=text("lost_reason IS NOT NULL")))

    id: int | None = Field(default=None, primary_key=True)
    callback_id: int = Field(foreign_key="callback_request.id", index=True)
    customer_id: int | None = Field(default=None, index=True)
    staff_login: str = Field(max_length=64, index=True)
    started_at: datetime = Field(sa_type=UTCDateTime)
    ended_at: datetime = Field(sa_type=UTCDateTime, index=True)
    outcome: str = Field(max_length=32)
    note: str = Field(default="", max_length=1000)
    satisfaction: int | None = Field(default=None)
    feedback_kind: str | None = Field(default=None, max_length=16)
    feedback: str = Field(default="", max_length=2000)
    lost_reason: str | None = Field(default=None, max_length=32)


class CustomerRfm(SQLModel, table=True):
    """Recency, frequency and monetary scores (1-5, quintiles over all buying customers) and
    the named segment; recomputed after an import and on demand."""

    __tablename__ = "customer_rfm"
    __table_args__ = (Index("ix_customer_rfm_segment", "segment", "monetary_cents"),
                      Index("ix_customer_rfm_lapse", "recency_days", "frequency"))

    customer_id: int = Field(primary_key=True)
    recency_days: int | None = Field(default=None)
    frequency: int = Field(default=0)
    monetary_cents: int = Field(default=0)
    r: int = Field(default=0)
    f: int = Field(default=0)
    m: int = Field(default=0)
    segment: str = Field(max_length=32)
    computed_at: datetime = Field(sa_type=UTCDateTime)


class ProductAffinity(SQLModel, table=True):
    """Item-to-item co-purchase: of the baskets with product_id, the share (per mille) that
    also held other_id. The strongest few per product, learnt from all customers' orders."""

    __tablename__ = "product_affinity"

    product_id: int = Field(primary_key=True)
    other_id: int = Field(primary_key=True)
    confidence_permille: int
    baskets: int


class ProductPopularity(SQLModel, table=True):
    """The products most customers bought lately, per category ("" = the whole shop), and
    the products first sold lately (new)."""

    __tablename__ = "product_popularity"

    category: str = Field(primary_key=True, max_length=100)
    product_id: int = Field(primary_key=True)
    buyers: int
    first_sold_at: datetime = Field(sa_type=UTCDateTime)


class OfferMade(SQLModel, table=True):
    """An offer made to a customer; it counts as accepted when they order the product within
    the acceptance window."""

    __tablename__ = "offer_made"
    __table_args__ = (Index("ix_offer_made_customer", "customer_id", "made_at"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int
    product_id: int
    rule: str = Field(max_length=16)
    channel: str = Field(max_length=8)
    made_by: str = Field(max_length=64)
    made_at: datetime = Field(sa_type=UTCDateTime, index=True)


class ServiceContact(SQLModel, table=True):
    """A contact logged from the card: an inbound or outbound call, an e-mail or a chat, with
    the same wrap-up as a callback's call (outcome, note, satisfaction, feedback)."""

    __tablename__ = "service_contact"
    __table_args__ = (Index("ix_service_contact_customer", "customer_id", "started_at"),
                      Index("ix_service_contact_scores", "ended_at", "satisfaction", "feedback_kind"),
                      Index("ix_service_contact_lost", "ended_at", sqlite_where=text("lost_reason IS NOT NULL"),
                            postgresql_where=text("lost_reason IS NOT NULL")))

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int
    staff_login: str = Field(max_length=64, index=True)
    channel: str = Field(max_length=8)  # phone, email, chat
    direction: str = Field(max_length=8)  # inbound, outbound
    started_at: datetime = Field(sa_type=UTCDateTime)
    ended_at: datetime = Field(sa_type=UTCDateTime, index=True)
    outcome: str = Field(max_length=32)
    note: str = Field(default="", max_length=1000)
    satisfaction: int | None = Field(default=None)
    feedback_kind: str | None = Field(default=None, max_length=16)
    feedback: str = Field(default="", max_length=2000)
    lost_reason: str | None = Field(default=None, max_length=32)
    case_id: int | None = Field(default=None, index=True)


class ServiceCase(SQLModel, table=True):
    """A complaint worked to its end: who owns it, by when, about which order, how it ended."""

    __tablename__ = "service_case"
    __table_args__ = (Index("ix_service_case_status_due", "status", "due_at"),
                      Index("ix_service_case_customer", "customer_id", "opened_at"))

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int | None = Field(default=None)
    kind: str = Field(max_length=16)  # delivery, product_defect, billing, service, other
    status: str = Field(max_length=16, default="open")  # open, waiting, resolved, closed
    priority: int = Field(default=2)  # 1 high, 2 normal, 3 low
    owner: str = Field(max_length=64, index=True)
    opened_by: str = Field(max_length=64)
    opened_at: datetime = Field(sa_type=UTCDateTime, index=True)
    due_at: datetime = Field(sa_type=UTCDateTime)
    source: str = Field(max_length=16)  # call, contact, message, card
    source_id: int | None = Field(default=None)
    order_id: int | None = Field(default=None, index=True)
    product_id: int | None = Field(default=None)  # the order line it is about, if one
    summary: str = Field(max_length=2000)
    contacts: int = Field(default=1)  # contacts spent on it, the opening one included
    resolution: str = Field(default="", max_length=2000)
    outcome: str | None = Field(default=None, max_length=16)  # refund, replacement, credit, explanation, rejected
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True, index=True)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    version: int = Field(default=1)


class CustomerGroup(SQLModel, table=True):
    """The customer's place in the shop's groups I-V (seed 003): loyalty and needs, recomputed
    with the segments."""

    __tablename__ = "customer_group"
    __table_args__ = (Index("ix_customer_group_group", "group_code"),)

    customer_id: int = Field(primary_key=True)
    loyalty: str = Field(max_length=16)  # none, latent, convenience, premium
    needs: str = Field(max_length=16)  # uniform, diverse
    group_code: str = Field(max_length=8)  # I..V, P (premium), or "" (convenience, diverse)
