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
