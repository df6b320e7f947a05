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
