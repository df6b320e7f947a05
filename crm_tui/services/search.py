"""Finding the customer while the phone rings.

One box: name parts in any order (accent- and case-insensitive), e-mail, customer number,
order number, phone fragments in any format. When nothing matches, names are matched with
typo tolerance and ranked below exact hits.

Dialect-specific SQL lives here: SQLite searches its FTS5 indexes (kept in step with customer
by triggers, migration 0002); PostgreSQL a B-tree of the same tokens, one row per word
(customer_word, migration 0015), and for words that are all common, the GIN indexes of their
tsvectors (accents folded by unaccent, migration 0011). Typos on both: each word corrected to
the names' vocabulary it most resembles.
"""

import re
import time
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, Select, any_, bindparam, func, select, text
from sqlalchemy.dialects import postgresql
from sqlmodel import Session, SQLModel, col

from crm_tui.db import row_tuple
from crm_tui.services.names import customer_name
from crm_tui.shop.models import CANCELLATIONS, CallbackRequest, CallbackStatus, Customer, Order
from crm_tui.shop.validation import national_phone, normalise_customer_id

LIMIT = 50
_DIGITS = re.compile(r"\d")
_PHONE_LIKE = re.compile(r"^[\d\s+().\-/]+$")
WORDS = re.compile(r"\w+", re.UNICODE)
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
    words = [fold(w) for w in WORDS.findall(query)]
    if words:
        add(_by_words(session, words, sqlite, limit), 2)
        if not ranked:
            add(_by_words(session, _corrected(session, words), sqlite, limit, any_word=True), 3)
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
    words = [fold(w) for w in WORDS.findall(query)]
    if words:
        found.update(_by_words(session, words, sqlite, COUNT_CAP, both_indexes=True))
    return min(len(found), COUNT_CAP)


def order_number_spellings(query: str) -> list[str]:
    """An order number as typed, in capitals and in small letters ('c536379' is C536379)."""
    typed = query.strip()
    return list(dict.fromkeys((typed, typed.upper(), typed.lower())))


# Every search runs these, each keystroke pause: Core statements built once (building and
# caching an ORM statement per call cost more than the database's answer).
_customer = SQLModel.metadata.tables[Customer.__tablename__]
_order = SQLModel.metadata.tables[Order.__tablename__]
_request = SQLModel.metadata.tables[CallbackRequest.__tablename__]
_BY_ORDER_NUMBER = (select(_order.c.number, _order.c.customer_id)
                    .where(_order.c.number.in_(bindparam("numbers", expanding=True))).limit(5))
_BY_CUSTOMER_NUMBER = (select(_customer.c.id)
                       .where(_customer.c.customer_number >= bindparam("low"),
                              _customer.c.customer_number < bindparam("high"))
                       .order_by(_customer.c.customer_number).limit(bindparam("n")))


def _hits_statement(dialect: str) -> Select:
    """The listed customers with their last purchase and open callbacks. PostgreSQL takes the
    ids as one array (one parameter, a statement it prepares once); SQLite as a list."""
    ids = (_customer.c.id == any_(bindparam("ids", type_=postgresql.ARRAY(Integer))) if dialect == "postgresql"
           else _customer.c.id.in_(bindparam("ids", expanding=True)))
    last_purchase = (select(func.max(_order.c.placed_at))
                     .where(_order.c.customer_id == _customer.c.id,
                            _order.c.status.not_in([status.value for status in CANCELLATIONS]))
                     .correlate(_customer).scalar_subquery())
    open_callbacks = (select(func.count()).select_from(_request)
                      .where(_request.c.customer_id == _customer.c.id, _request.c.status != CallbackStatus.DONE.value)
                      .correlate(_customer).scalar_subquery())
    return select(_customer.c.id, _customer.c.first_name, _customer.c.last_name, _customer.c.customer_number,
                  _customer.c.phone, _customer.c.city, _customer.c.discount_percent, last_purchase.label("last"),
                  open_callbacks.label("open")).where(ids)


_HITS = {dialect: _hits_statement(dialect) for dialect in ("sqlite", "postgresql")}


def _by_order_number(session: Session, query: str) -> list[tuple[str, int | None]]:
    rows = session.connection().execute(_BY_ORDER_NUMBER, {"numbers": order_number_spellings(query)})
    return [(r[0], r[1]) for r in rows]


def _by_customer_number(session: Session, query: str, limit: int = 10) -> list[int]:
    """Numbers starting with what was typed, in any case; '12345.0' (as a spreadsheet wrote the
    number) is 12345."""
    upper = normalise_customer_id(query).upper()
    return list(session.connection().execute(_BY_CUSTOMER_NUMBER,
                                             {"low": upper, "high": upper + "\uffff", "n": limit}).scalars())


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
    return _pg_any_word(session, "p", prefixes, limit)


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
    if any_word:
        return _pg_any_word(session, "n", words, limit)
    found = _pg_words(session, "n", words, limit)
    if both_indexes or len(found) < limit:
        found += _pg_words(session, "c", words, limit - len(found))
    return found


DRIVEN = 1000  # a word with fewer customers than this is read first and the others checked per customer
# Common words all this long are intersected by the GIN index (a short prefix spans too many of
# its entries: "o'c" took 60 ms there; read from the B-tree, its matches are dense and found at once).
GIN_PART = 3


def _pg_words(session: Session, kind: str, words: list[str], limit: int) -> list[int]:
    """Customers with a word of `kind` ('n' names, 'c' e-mail and number, 'p' phone) starting with each
    part typed (migration 0015's B-tree of words). One part: a range read that stops at the
    limit. More: read from the part with the fewest customers, checking the others per
    customer; when every part is common and none is short, 0011's GIN index intersects them."""
    parts = _pg_parts(words)
    if not parts or limit <= 0:
        return []
    patterns = {part: part + "%" for part in parts}  # parts are letters and digits only: nothing to escape
    if len(parts) > 1:
        counted = session.execute(text("SELECT " + ", ".join(
            f"(SELECT count(*) FROM (SELECT 1 FROM customer_word WHERE kind = :k AND word LIKE :p{n} LIMIT :cap) s)"
            for n in range(len(parts)))), {"k": kind, "cap": DRIVEN} | {f"p{n}": patterns[part]
                                                                        for n, part in enumerate(parts)}).one()
        counts: dict[str, int] = {part: int(count) for part, count in zip(parts, row_tuple(counted))}
        if min(counts.values()) >= DRIVEN and min(map(len, parts)) >= GIN_PART:
            tokens = "crm_name_tokens(first_name, last_name)" if kind == "n" else \
                "crm_contact_tokens(email, customer_number)"
            return _pg_ids(session, f"{tokens} @@ to_tsquery('simple', :q)", {"q": _pg_prefixes(parts), "n": limit})
        parts.sort(key=lambda part: (counts[part], -len(part)))
    params = {"k": kind, "n": limit * 2} | {f"p{n}": patterns[part] for n, part in enumerate(parts)}
    checks = "".join(f" AND EXISTS (SELECT 1 FROM customer_word w{n} WHERE w{n}.customer_id = w.customer_id "
                     f"AND w{n}.kind = :k AND w{n}.word LIKE :p{n})" for n in range(1, len(parts)))
    rows = session.scalars(text(f"SELECT w.customer_id FROM customer_word w WHERE w.kind = :k AND w.word LIKE :p0"
                                f"{checks} LIMIT :n"), params)
    return list(dict.fromkeys(rows))[:limit]  # a customer with two words of that start is read twice


def _pg_any_word(session: Session, kind: str, words: list[str], limit: int) -> list[int]:
    """Customers with a word of `kind` starting with any of `words`, each once."""
    return list(dict.fromkeys(cid for word in words for cid in _pg_words(session, kind, [word], limit)))[:limit]


def _pg_ids(session: Session, condition: str, params: dict) -> list[int]:
    """Customers matching a token index's condition, at most :n. The condition is planned as if
    every match were wanted (a materialized CTE, read only as far as the LIMIT): with the LIMIT
    in view the planner, guessing thousands of matches for a prefix, scanned the whole table
    computing every row's tokens (1 s at 100,000 customers for a phone fragment that matches ten)."""
    return list(session.scalars(text(f"WITH found AS MATERIALIZED (SELECT id FROM customer WHERE {condition}) "
                                     "SELECT id FROM found LIMIT :n"), params))


def _pg_parts(words: list[str]) -> list[str]:
    """The words split where the indexes split them (any non-alphanumeric), each once."""
    return list(dict.fromkeys(part for word in words for part in re.split(r"[\W_]+", word) if part))


def _pg_prefixes(parts: list[str]) -> str:
    """A tsquery: every part as a token prefix."""
    return " & ".join(f"'{part}':*" for part in parts)


# The names' vocabulary, read once a minute at most (60 ms at 1,000,000 customers), and again at
# once when a customer is added. SQLite: FTS5's own vocabulary; PostgreSQL: the distinct name
# words of customer_word, one index probe each (a loose index scan).
_NAME_TERMS = {
    "sqlite": "SELECT term FROM customer_name_terms",
    "postgresql": "WITH RECURSIVE t(word) AS (SELECT min(word) FROM customer_word WHERE kind = 'n' UNION ALL "
                  "SELECT (SELECT min(w.word) FROM customer_word w WHERE w.kind = 'n' AND w.word > t.word) FROM t "
                  "WHERE t.word IS NOT NULL) SELECT word FROM t WHERE word IS NOT NULL",
}
_TERMS: dict[str, tuple[float, int, list[str]]] = {}
TERMS_SECONDS = 60


def _name_terms(session: Session) -> list[str]:
    key = str(session.get_bind().engine.url)
    newest = session.scalar(select(func.max(col(Customer.id)))) or 0
    cached = _TERMS.get(key)
    if cached is not None and cached[1] == newest and time.monotonic() - cached[0] < TERMS_SECONDS:
        return cached[2]
    terms = list(session.scalars(text(_NAME_TERMS[session.get_bind().dialect.name])))
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
    rows = session.connection().execute(_HITS[session.get_bind().dialect.name], {"ids": list(ranked)}).all()
    hits = []
    for r in rows:
        rank, via = ranked[r.id]
        name = customer_name(r.first_name, r.last_name, r.customer_number)
        hits.append((rank, fold(name), CustomerHit(
            r.id, name, r.customer_number, national_phone(r.phone), r.city,
            r.last, r.discount_percent, r.open, rank == 3, via)))
    hits.sort(key=lambda h: (h[0], -fuzz.token_sort_ratio(asked, h[1]) if h[0] == 3 else 0, h[1]))
    return [h[2] for h in hits]
