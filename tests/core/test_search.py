"""Customer search: similar names, when nothing matches exactly, ranked by how alike they are."""

from crm_tui.db import write_session
from crm_tui.services.search import search_customers
from crm_tui.shop.operations import register_customer
from tests.conftest import AS_OF, REGISTRATION

NAMES = [("Adrián", "Escobar"), ("José", "Escribá"), ("Josefa", "Escribano Ruiz"), ("Juan", "Escriche"),
         ("Aarón", "Escribá Soler"), ("Jose", "Escrivá")]


def test_similar_names_come_most_alike_first(engine):
    with write_session(engine) as session:
        for n, (first, last) in enumerate(NAMES):
            register_customer(session, REGISTRATION | {"first_name": first, "last_name": last,
                                                       "email": f"c{n}@example.com", "phone": f"6120000{n:02d}"},
                              now=AS_OF)
        exact = search_customers(session, "jose escriba")
        similar = search_customers(session, "joze escrbá")
    assert [h.name for h in exact][:1] == ["José Escribá"] and not exact[0].fuzzy
    assert similar and all(h.fuzzy for h in similar)
    assert similar[0].name in ("José Escribá", "Jose Escrivá")  # alphabetically, Aarón would come first


def test_a_capped_list_says_how_many_there_are_in_all(engine):
    from crm_tui.services.search import LIMIT, count_matches

    with write_session(engine) as session:
        for n in range(LIMIT + 27):
            register_customer(session, REGISTRATION | {"first_name": f"Ana{n}", "last_name": "García Pérez",
                                                       "email": f"g{n}@example.com", "phone": f"61300{n:04d}"},
                              now=AS_OF)
        register_customer(session, REGISTRATION | {"first_name": "Luis", "last_name": "Ruiz",
                                                   "email": "garcia.fan@example.com", "phone": "613999999"},
                          now=AS_OF)  # found by the e-mail only
        hits = search_customers(session, "garcia")
        assert len(hits) == LIMIT
        assert count_matches(session, "garcia") == LIMIT + 28
        assert count_matches(session, "garcia perez") == LIMIT + 27
        assert count_matches(session, "nobody") == 0


def test_one_box_finds_by_any_part_on_either_engine(catalogue):
    """Accents and case folded, name parts in any order and as prefixes, e-mail parts, phone
    fragments in any format, customer and order numbers, typos: the same on SQLite and PostgreSQL."""
    from crm_tui.shop.operations import OrderItem, place_order

    with write_session(catalogue) as session:
        jose = register_customer(session, REGISTRATION | {"first_name": "José María", "last_name": "Núñez-Oñate",
                                                          "email": "jm.nunez@correo.example", "phone": "612 34 56 78"},
                                 now=AS_OF)
        other = register_customer(session, REGISTRATION | {"first_name": "Ana", "last_name": "Nuño",
                                                           "email": "ana@example.com", "phone": "699 000 111"},
                                  now=AS_OF)
        order = place_order(session, jose.id, [OrderItem("MUG-RED", 1)], now=AS_OF)
        found = {query: [h.customer_id for h in search_customers(session, query)] for query in (
            "jose maria", "NUÑEZ jose", "oñate", "nun jo", "jm.nunez", "correo", "612 34", "+34 612 345 678",
            "0034612345678", "5678", jose.customer_number, order.number, "josé nuñes", "nobody")}
        fuzzy = {query: [h.fuzzy for h in search_customers(session, query)] for query in ("jose nunes", "oñat")}
    for query in ("jose maria", "NUÑEZ jose", "oñate", "nun jo", "jm.nunez", "correo", "612 34", "+34 612 345 678",
                  "0034612345678", "5678", jose.customer_number, order.number):
        assert found[query][:1] == [jose.id], query
    assert other.id not in found["nun jo"]
    assert found["josé nuñes"][:1] == [jose.id] and found["nobody"] == []
    assert fuzzy["jose nunes"][:1] == [True] and fuzzy["oñat"] == [False]


def test_common_words_rare_words_and_short_prefixes_find_the_same_customers(engine):
    """1,200 customers sharing common words: every way the search may read them (a rare word
    first, common words intersected, one-letter prefixes) finds exactly who matches."""
    from sqlalchemy import insert

    from crm_tui.services.search import count_matches
    from crm_tui.shop.models import Customer

    rows = [dict(customer_number=f"CU{n:07d}", first_name="Juan" if n % 3 else "Juana",
                 last_name=("Flores Ibáñez" if n % 2 else "Flores Otero") + (" Quiroga" if n == 7 else ""),
                 email=f"j{n}@example.com") for n in range(1, 1201)]
    with write_session(engine) as session:
        session.execute(insert(Customer), rows)
    with write_session(engine) as session:
        expected = {"juan flores": 1200, "juana flores otero": 200, "j f o": 600, "flo q": 1, "ibañez juan": 600,
                    "quiroga": 1, "juan quiroga flores": 1, "f": 1200}
        assert {query: count_matches(session, query) for query in expected} == expected
        assert [h.name for h in search_customers(session, "quir juan")] == ["Juan Flores Ibáñez Quiroga"]
        assert len(search_customers(session, "juan flores")) == 50


def test_the_search_follows_a_changed_name(engine):
    from sqlalchemy import update

    from crm_tui.shop.models import Customer

    with write_session(engine) as session:
        customer = register_customer(session, REGISTRATION | {"first_name": "Bartolomé", "last_name": "Quiroga"},
                                     now=AS_OF)
    with write_session(engine) as session:
        assert [h.customer_id for h in search_customers(session, "barto quir")] == [customer.id]
        session.execute(update(Customer).where(Customer.id == customer.id).values(last_name="Ulloa"))
    with write_session(engine) as session:
        assert not [h for h in search_customers(session, "barto quir") if not h.fuzzy]  # the old name is gone
        assert [h.customer_id for h in search_customers(session, "ulloa bart")] == [customer.id]
        session.execute(update(Customer).where(Customer.id == customer.id).values(discount_percent=5))
        assert [h.customer_id for h in search_customers(session, "ulloa bart")] == [customer.id]
