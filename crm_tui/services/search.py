"""Finding the customer while the phone rings.

One box: name parts in any order (accent- and case-insensitive), e-mail, customer number,
order number, phone fragments in any format. When nothing matches, names are matched with
typo tolerance and ranked below exact hits.

Dialect-specific SQL lives here: SQLite searches its FTS5 indexes (kept in step with customer
by triggers, migration 0002); PostgreSQL its expression indexes of the same tokens (tsvector
prefixes with accents folded, and pg_trgm trigrams for typos, migration 0011).
"""

import re
import time
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, text
from sqlmodel import Session, col

from crm_tui.shop.models import CallbackRequest, CallbackStatus, Customer, Order
from crm_tui.shop.validation import national_phone

LIMIT = 50
_DIGITS = re.compile(r"\d")
_PHONE_LIKE = re.compile(r"^[\d\s+().\-/]+$")
_WORDS = re.compile(r"\w+", re.UNICODE)
FUZZY_SCORE = 75


@dataclass(frozen=True)
class CustomerHit:
    customer_id: int
    name: str
    customer_number: str
    phone: str  # national format
    city: str
    last_purchase: datetime | None
    discount_percent: int
    open_callbacks: int
    fuzzy: bool = False
    via_order: str | None = None


def fold(text_: str) -> str:
    """Lower case, no accents: 'José' -> 'jose'."""
    decomposed = unicodedata.normalize("NFKD", text_.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def search_customers(session: Session, query: str, limit: int = LIMIT) -> list[CustomerHit]:
    query = query.strip()
    if not query:
        return []
    sqlite = session.get_bind().dialect.name == "sqlite"
    ranked: dict[int, tuple[int, str | None]] = {}  # id -> (rank, order number it came through)

    def add(ids, rank: int, via: str | None = None) -> None:
        for cid in ids:
            if cid is not None and cid not in ranked and len(ranked) < limit:
                ranked[cid] = (rank, via)

    for number, cid in _by_order_number(session, query):
        add([cid], 0, number)
    add(_by_customer_number(session, query), 0)
    digits = "".join(_DIGITS.findall(query))
    if _PHONE_LIKE.match(query) and len(digits) >= 3:
        add(_by_phone(session, digits, sqlite, limit), 1)
    words = [fold(w) for w in _WORDS.findall(query)]
    if words:
        add(_by_words(session, words, sqlite, limit), 2)
        if not ranked:
            similar = _by_words(session, _corrected(session, words), sqlite, limit, any_word=True) if sqlite \
                else _pg_similar_names(session, words, limit)
            add(similar, 3)
    return _hits(session, ranked, " ".join(words))


COUNT_CAP = 10_000


def count_matches(session: Session, query: str) -> int:
    """How many customers the query finds in all, when the list shows only the first LIMIT:
    the same sources without their limit, counted up to COUNT_CAP (beyond it, "10,000+")."""
    query = query.strip()
    if not query:
        return 0
    sqlite = session.get_bind().dialect.name == "sqlite"
    found: set[int] = {cid for _, cid in _by_order_number(session, query) if cid is not None}
    found.update(_by_customer_number(session, query, COUNT_CAP))
    digits = "".join(_DIGITS.findall(query))
    if _PHONE_LIKE.match(query) and len(digits) >= 3:
        found.update(_by_phone(session, digits, sqlite, COUNT_CAP))
    words = [fold(w) for w in _WORDS.findall(query)]
    if words:
        found.update(_by_words(session, words, sqlite, COUNT_CAP, both_indexes=True))
    return min(len(found), COUNT_CAP)


def _by_order_number(session: Session, query: str) -> list[tuple[str, int | None]]:
    rows = session.execute(select(col(Order.number), col(Order.customer_id))
                           .where(col(Order.number) == query).limit(5)).all()
    return [(r[0], r[1]) for r in rows]


def _by_customer_number(session: Session, query: str, limit: int = 10) -> list[int]:
    upper = query.upper()
    return list(session.scalars(
        select(col(Customer.id))
        .where(col(Customer.customer_number) >= upper, col(Customer.customer_number) < upper + "\uffff")
        .order_by(col(Customer.customer_number)).limit(limit)))


def _phone_prefixes(digits: str) -> list[str]:
    """What a typed number can be a prefix of: the E.164 digits, or a national number
    without its trunk 0 ('07911 12' -> '791112'), or an international one dialled with 00."""
    options = [digits]
    if digits.startswith("00"):
        options.append(digits[2:])
    elif digits.startswith("0"):
        options.append(digits[1:])
    return [d for d in options if len(d) >= 3]


def _by_phone(session: Session, digits: str, sqlite: bool, limit: int) -> list[int]:
    prefixes = _phone_prefixes(digits)
    if sqlite:
        match = " OR ".join(f'phones:"{p}"*' for p in prefixes)
        return list(session.scalars(text("SELECT rowid FROM customer_contact WHERE customer_contact MATCH :m "
                                         "LIMIT :n"), {"m": match, "n": limit}))
    return _pg_ids(session, "crm_phone_tokens(phone) @@ to_tsquery('simple', :q)",
                   {"q": _pg_prefixes(prefixes, "|"), "n": limit})


def _by_words(session: Session, words: list[str], sqlite: bool, limit: int, any_word: bool = False,
              both_indexes: bool = False) -> list[int]:
    """Names first; e-mail and the rest of the contact only while the names leave room (or,
    with `both_indexes`, always: counting every match)."""
    if not words:
        return []
    if sqlite:
        joiner = " OR " if any_word else " AND "
        match = joiner.join(f'"{w}"*' for w in words)
        found = list(session.scalars(text("SELECT rowid FROM customer_name WHERE customer_name MATCH :m LIMIT :n"),
                                     {"m": match, "n": limit}))
        if (both_indexes or len(found) < limit) and not any_word:
            found += session.scalars(text("SELECT rowid FROM customer_contact WHERE customer_contact MATCH :m "
                                          "LIMIT :n"), {"m": f"contact: ({match})", "n": limit - len(found)})
        return found
    query = {"q": _pg_prefixes(words, "&"), "n": limit}
    found = _pg_ids(session, "crm_name_tokens(first_name, last_name) @@ to_tsquery('simple', :q)", query)
    if both_indexes or len(found) < limit:
        found += _pg_ids(session, "crm_contact_tokens(email, customer_number) @@ to_tsquery('simple', :q)",
                         query | {"n": limit - len(found)})
    return found


def _pg_ids(session: Session, condition: str, params: dict) -> list[int]:
    """Customers matching a token index's condition, at most :n. The condition is planned as if
    every match were wanted (a materialized CTE, read only as far as the LIMIT): with the LIMIT
    in view the planner, guessing thousands of matches for a prefix, scanned the whole table
    computing every row's tokens (1 s at 100,000 customers for a phone fragment that matches ten)."""
    return list(session.scalars(text(f"WITH found AS MATERIALIZED (SELECT id FROM customer WHERE {condition}) "
                                     "SELECT id FROM found LIMIT :n"), params))


def _pg_prefixes(words: list[str], joiner: str) -> str:
    """A tsquery of token prefixes: words split where the index splits them (any non-alphanumeric)."""
    parts = [part for word in words for part in re.split(r"[\W_]+", word) if part]
    return f" {joiner} ".join(f"'{part}':*" for part in parts) or "''"


SIMILAR_WORDS = "0.5"  # pg_trgm's word similarity: 'escrba' finds 'escriba', 'garcya' 'garcia'


def _pg_similar_names(session: Session, words: list[str], limit: int) -> list[int]:
    """Names holding a word like one of the words typed (3 letters or more), most alike first."""
    words = [w for w in words if len(w) >= 3][:5]
    if not words:
        return []
    session.execute(text("SELECT set_config('pg_trgm.word_similarity_threshold', :t, true)"), {"t": SIMILAR_WORDS})
    params = {f"w{n}": w for n, w in enumerate(words)} | {"n": limit}
    alike = " OR ".join(f":w{n} <% crm_name(first_name, last_name)" for n in range(len(words)))
    score = " + ".join(f"word_similarity(:w{n}, crm_name(first_name, last_name))" for n in range(len(words)))
    return list(session.scalars(text(f"SELECT id FROM customer WHERE {alike} ORDER BY {score} DESC, id LIMIT :n"),
                                params))


# The names' vocabulary, read once a minute at most (reading it walks the whole FTS index:
# 60 ms at 1,000,000 customers), and again at once when a customer is added.
_TERMS: dict[str, tuple[float, int, list[str]]] = {}
TERMS_SECONDS = 60


def _name_terms(session: Session) -> list[str]:
    key = str(session.get_bind().engine.url)
    newest = session.scalar(select(func.max(col(Customer.id)))) or 0
    cached = _TERMS.get(key)
    if cached is not None and cached[1] == newest and time.monotonic() - cached[0] < TERMS_SECONDS:
        return cached[2]
    terms = list(session.scalars(text("SELECT term FROM customer_name_terms")))
    _TERMS[key] = (time.monotonic(), newest, terms)
    return terms


def _corrected(session: Session, words: list[str]) -> list[str]:
    """Each word replaced by the name terms it most resembles ('garcya' -> 'garcia')."""
    from rapidfuzz import fuzz, process

    terms = _name_terms(session)
    corrected: list[str] = []
    for word in words:
        if len(word) < 3:
            continue
        for term, score, _ in process.extract(word, terms, scorer=fuzz.ratio, limit=3):
            if score >= FUZZY_SCORE:
                corrected.append(term)
    return corrected


def _hits(session: Session, ranked: dict[int, tuple[int, str | None]], asked: str = "") -> list[CustomerHit]:
    """The hits with what the list shows, exact ones first; similar names (rank 3) most alike
    to what was typed first, the rest by name."""
    from rapidfuzz import fuzz

    if not ranked:
        return []
    ids = list(ranked)
    last_purchase = (select(func.max(col(Order.placed_at))).where(col(Order.customer_id) == col(Customer.id))
                     .correlate(Customer).scalar_subquery())
    open_callbacks = (select(func.count()).select_from(CallbackRequest)
                      .where(col(CallbackRequest.customer_id) == col(Customer.id),
                             col(CallbackRequest.status) != CallbackStatus.DONE)
                      .correlate(Customer).scalar_subquery())
    rows = session.execute(
        select(col(Customer.id), col(Customer.first_name), col(Customer.last_name), col(Customer.customer_number),
               col(Customer.phone), col(Customer.city), col(Customer.discount_percent), last_purchase.label("last"),
               open_callbacks.label("open"))
        .where(col(Customer.id).in_(ids))).all()
    hits = []
    for r in rows:
        rank, via = ranked[r.id]
        name = f"{r.first_name} {r.last_name}".strip() or f"#{r.customer_number}"
        hits.append((rank, fold(name), CustomerHit(
            r.id, name, r.customer_number, national_phone(r.phone), r.city,
            r.last, r.discount_percent, r.open, rank == 3, via)))
    hits.sort(key=lambda h: (h[0], -fuzz.token_sort_ratio(asked, h[1]) if h[0] == 3 else 0, h[1]))
    return [h[2] for h in hits]
