"""Two processes saving the same customer card at the same moment: one saves, the other gets
the documented "changed meanwhile" refusal, never a lock error."""

from crm_tui.db import make_engine, read_session, run_read, run_write, write_session
from crm_tui.models import Role
from crm_tui.services.audit import history
from crm_tui.services.customers import StaleCustomer, load_card, save_card
from crm_tui.services.staff import StaffMember
from crm_tui.shop.operations import register_customer
from crm_tui.shop.types import utc_now
from tests.conftest import REGISTRATION
from tests.integration.processes import race

ROUNDS = 150


def agent(url: str, login: str, customer_id: int, barrier, results) -> None:
    engine = make_engine(url)
    staff = StaffMember(login, login, Role.AGENT, 10, True)
    for round_no in range(ROUNDS):
        barrier.wait(timeout=30)  # both have finished the last round
        loaded = run_read(engine, lambda session: load_card(session, customer_id))
        barrier.wait(timeout=30)  # both saw the same version
        try:
            run_write(engine, lambda session: save_card(session, staff, loaded, {"city": f"{login} {round_no}"},
                                                        now=utc_now()))
            results.put((round_no, login, "saved", ""))
        except StaleCustomer as exc:
            results.put((round_no, login, "refused", str(exc)))
        except Exception as exc:  # what the race must never produce: reported, not raised
            results.put((round_no, login, "error", f"{type(exc).__name__}: {exc}"))
    engine.dispose()


def test_each_race_saves_once_and_refuses_once_never_a_lock_error(engine):
    with write_session(engine) as session:
        customer_id = register_customer(session, REGISTRATION).id
    outcomes = race(agent, [(str(engine.url), login, customer_id) for login in ("ana", "luis")], 2 * ROUNDS,
                    timeout=120)
    errors = [o for o in outcomes if o[2] == "error"]
    assert errors == []
    for round_no in range(ROUNDS):
        assert sorted(kind for r, _, kind, _ in outcomes if r == round_no) == ["refused", "saved"], round_no
    refusal = next(text for _, _, kind, text in outcomes if kind == "refused")
    assert "changed this customer meanwhile" in refusal and "city" in refusal
    with read_session(engine) as session:
        assert load_card(session, customer_id).version == 1 + ROUNDS
        assert len([r for r in history(session, "customer", customer_id) if r.field == "city"]) == ROUNDS
