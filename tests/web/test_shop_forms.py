"""Every form of the web shop: the shop's own rules on the server, errors beside the field in
the visitor's language, CSRF, the rate limit, escaping, and no discount from a customer."""

import json

import pytest
from sqlalchemy import func, select

from crm_tui.db import read_session
from crm_tui.models import AuditEntry
from crm_tui.shop.models import CallbackRequest, ContactMessage, Customer, Order, Product, ShopAccount, ShopVisit
from tests.web.conftest import errors, flash, register, token


def one(engine, query):
    with read_session(engine) as session:
        return session.scalar(query)


def test_registration_refuses_bad_fields_beside_each_and_keeps_what_was_typed(client, catalogue):
    page = register(client, email="not-an-address", phone="12", first_name=" ", password="short")
    assert page.status_code == 400
    shown = errors(page.text)
    assert shown["email"].startswith("Please enter a valid e-mail address")
    assert shown["phone"].startswith("Please enter a valid phone number")
    assert shown["first_name"] == "Please enter your first name."
    assert shown["password"] == "Your password needs at least 10 characters."
    assert 'value="Ruiz"' in page.text and 'value="not-an-address"' in page.text
    assert "correct horse" not in page.text  # a password is never sent back
    assert one(catalogue, select(func.count()).select_from(Customer)) == 0


def test_errors_are_in_spanish_for_a_spanish_browser(client):
    client.headers["accept-language"] = "es-ES,es;q=0.9"
    page = register(client, email="nope")
    assert errors(page.text)["email"].startswith("Introduzca un correo electrónico válido")
    assert '<html lang="es">' in page.text


def test_the_language_switch_wins_over_the_browser(client):
    client.get("/lang/es")
    assert '<html lang="es">' in client.get("/").text
    client.get("/lang/en")
    assert '<html lang="en">' in client.get("/").text


def test_a_registered_customer_logs_in_with_a_hashed_password(client, catalogue):
    assert register(client).status_code == 200
    with read_session(catalogue) as session:
        stored = session.scalar(select(ShopAccount.password_hash))
    assert stored.startswith("$argon2id$") and "correct horse" not in stored
    client.post("/logout", data={"csrf_token": token(client)})
    wrong = client.post("/login", data={"csrf_token": token(client), "email": "ana@example.com", "password": "x" * 12})
    assert wrong.status_code == 400 and "do not match an account" in wrong.text
    unknown = client.post("/login", data={"csrf_token": token(client), "email": "bob@example.com", "password": "x" * 12})
    assert "do not match an account" in unknown.text  # the same answer: no account is revealed
    right = client.post("/login", data={"csrf_token": token(client), "email": "ANA@example.com",
                                        "password": "correct horse battery"})
    assert right.status_code == 200 and "My orders" in right.text


def test_the_same_email_cannot_register_twice(client):
    register(client)
    client.post("/logout", data={"csrf_token": token(client)})
    page = register(client, email="Ana@Example.com")
    assert errors(page.text)["email"] == "This e-mail already has an account: log in instead."


@pytest.mark.parametrize("field", ["discount_percent", "discount", "version", "customer_number", "id"])
def test_no_form_field_lets_a_customer_set_their_discount(client, catalogue, field):
    page = register(client, **{field: "50"})
    assert page.status_code == 400
    assert one(catalogue, select(func.count()).select_from(Customer)) == 0
    register(client)
    before = one(catalogue, select(Customer.discount_percent))
    profile = client.post("/profile", data={"csrf_token": token(client), "first_name": "Ana", "last_name": "Ruiz",
                                            "email": "ana@example.com", "phone": "612345678", "country": "ES",
                                            "preferred_language": "en", field: "50"})
    if field != "version":  # the profile's own hidden field: a wrong one is a stale form
        assert profile.status_code == 400
    assert one(catalogue, select(Customer.discount_percent)) == before == 0


def test_the_discount_staff_set_is_applied_but_never_a_field_of_the_customers(client, catalogue):
    register(client)
    with read_session(catalogue) as session:
        session.execute(Customer.__table__.update().values(discount_percent=10))
        session.commit()
    profile = client.get("/profile").text
    assert "discount" not in profile.lower()  # the customer never sees nor sets it: it is staff's

    client.post("/basket/add", data={"csrf_token": token(client), "sku": "MUG-RED", "quantity": "2"})
    basket = client.get("/basket").text
    assert "Your discount (10 %)" in basket and "€8.10" in basket
    client.post("/checkout", data={"csrf_token": token(client)})
    assert one(catalogue, select(Order.total_cents)) == 810


def test_profile_edits_are_saved_validated_and_audited_as_the_customer(client, catalogue):
    register(client)
    form = {"csrf_token": token(client), "first_name": "Ana María", "last_name": "Ruiz", "email": "ana@example.com",
            "phone": "612345678", "country": "ES", "preferred_language": "es"}
    bad = client.post("/profile", data=form | {"phone": "99"})
    assert errors(bad.text)["phone"].startswith("Please enter a valid phone number")
    saved = client.post("/profile", data=form)
    assert flash(saved.text) == "Sus datos están guardados."  # now Spanish: the customer chose it
    assert one(catalogue, select(Customer.first_name)) == "Ana María"
    assert one(catalogue, select(AuditEntry.staff_login).where(AuditEntry.field == "first_name")) == \
        "web shop (the customer)"
    assert one(catalogue, select(Customer.consent_email_at)) is None  # unticked box: consent withdrawn


def test_a_stale_profile_form_is_refused_without_losing_the_newer_change(client, catalogue):
    register(client)
    page = client.get("/profile").text
    with read_session(catalogue) as session:  # staff changed the city on the phone meanwhile
        session.execute(Customer.__table__.update().values(city="Toledo", version=Customer.version + 1))
        session.commit()
    assert 'name="version" value="1"' in page
    stale = client.post("/profile", data={"csrf_token": token(client), "version": "1", "first_name": "Ana",
                                          "last_name": "Ruiz", "email": "ana@example.com", "phone": "612345678",
                                          "country": "ES", "preferred_language": "en", "city": "Madrid"})
    assert "changed meanwhile" in flash(stale.text)
    assert one(catalogue, select(Customer.city)) == "Toledo"


def test_a_post_without_the_csrf_token_is_refused_and_writes_nothing(client, catalogue):
    token(client)
    for path, form in [("/callback", {"phone": "612345678"}), ("/contact", {"name": "A", "text": "b",
                                                                           "email": "a@example.com"}),
                       ("/basket/add", {"sku": "MUG-RED"}), ("/register", {"email": "x@example.com"})]:
        for bad in ({}, {"csrf_token": "forged"}):
            response = client.post(path, data=form | bad)
            assert response.status_code == 403, path
            assert "reload the page" in response.text
    assert one(catalogue, select(func.count()).select_from(CallbackRequest)) == 0
    assert one(catalogue, select(func.count()).select_from(ContactMessage)) == 0


def test_the_callback_box_asks_for_a_call_and_links_a_known_number(client, catalogue):
    register(client, phone="+34 612 345 678")
    client.post("/logout", data={"csrf_token": token(client)})
    done = client.post("/callback", data={"csrf_token": token(client), "phone": "612 345 678",
                                          "window_from": "18:00", "window_to": "20:00", "note": "about my lamp"},
                       headers={"referer": "http://testserver/product/LAMP"})
    assert flash(done.text) == "Thank you: we will call you back as soon as possible."
    assert str(done.url).endswith("/product/LAMP")
    with read_session(catalogue) as session:
        callback = session.scalars(select(CallbackRequest)).one()
        customer_id = session.scalar(select(Customer.id))
    assert callback.customer_id == customer_id and callback.phone == "+34612345678"
    assert callback.time_zone == "Europe/Madrid" and callback.window_from.hour == 17  # 18:00 in Madrid, in UTC
    assert callback.note == "about my lamp" and callback.source == "web"


def test_a_bad_callback_shows_the_error_beside_the_phone_and_keeps_the_note(client, catalogue):
    page = client.post("/callback", data={"csrf_token": token(client), "phone": "12", "note": "hola"})
    assert 'id="cb-error">Please enter a valid phone number' in page.text
    assert ">hola</textarea>" in page.text
    half = client.post("/callback", data={"csrf_token": token(client), "phone": "612345678", "window_from": "18:00"})
    assert 'id="cb-error">Please give a window' in half.text
    assert one(catalogue, select(func.count()).select_from(CallbackRequest)) == 0


def test_the_callback_box_and_contact_form_are_rate_limited_per_address(client, catalogue, clock):
    for _ in range(3):
        assert "we will call you back" in client.post("/callback", data={"csrf_token": token(client),
                                                                          "phone": "612345678"}).text
    refused = client.post("/callback", data={"csrf_token": token(client), "phone": "612345678"})
    assert "several calls already" in flash(refused.text)
    contact = client.post("/contact", data={"csrf_token": token(client), "name": "A", "text": "b",
                                            "email": "a@example.com"})
    assert contact.status_code == 429
    assert one(catalogue, select(func.count()).select_from(CallbackRequest)) == 3
    clock.advance(minutes=11)
    assert "we will call you back" in client.post("/callback", data={"csrf_token": token(client),
                                                                      "phone": "612345678"}).text


def test_the_contact_form_shows_errors_beside_fields_then_succeeds(client, catalogue):
    form = {"csrf_token": token(client), "name": "Eva", "email": "eva@", "phone": "", "kind": "complaint",
            "text": "My parcel came open."}
    bad = client.post("/contact", data=form)
    assert bad.status_code == 400
    assert errors(bad.text) == {"email": "Please enter a valid e-mail address, e.g. ana@example.com."}
    assert "My parcel came open." in bad.text
    good = client.post("/contact", data=form | {"email": "eva@example.com"})
    assert flash(good.text) == "Thank you: we will answer you soon."
    with read_session(catalogue) as session:
        message = session.scalars(select(ContactMessage)).one()
    assert (message.kind, message.email, message.text) == ("complaint", "eva@example.com", "My parcel came open.")
    privacy = client.post("/contact", data=form | {"email": "eva@example.com", "kind": "privacy"})
    assert "kind" in errors(privacy.text)  # the privacy request comes from the profile, not this form


HOSTILE = '<script>alert(1)</script>\x1b[31m{{7*7}}'


def test_a_hostile_name_is_escaped_in_every_page(client, catalogue):
    register(client, first_name=HOSTILE, last_name="</td><b>x")
    client.post("/basket/add", data={"csrf_token": token(client), "sku": "MUG-RED", "quantity": "1"})
    client.post("/checkout", data={"csrf_token": token(client)})
    for path in ("/", "/profile", "/orders", "/basket"):
        page = client.get(path).text
        assert "<script>alert" not in page and "</td><b>x" not in page and "49" not in page.split("<body>")[1][:0]
    profile = client.get("/profile").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in profile and "{{7*7}}" in profile
    search = client.get("/", params={"q": HOSTILE}).text
    assert "<script>alert" not in search and "&lt;script&gt;" in search


def test_a_hostile_product_name_is_escaped(catalogue, client):
    with read_session(catalogue) as session:
        session.execute(Product.__table__.update().where(Product.sku == "MUG-RED")
                        .values(name='"><img src=x onerror=alert(1)>'))
        session.commit()
    page = client.get("/").text
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


def test_a_red_product_cannot_be_added_and_the_server_refuses_too(client, catalogue):
    catalogue_page = client.get("/").text
    assert "Out of stock" in catalogue_page and "■" in catalogue_page and "●" in catalogue_page
    kite = client.get("/product/KITE").text
    assert "Cannot be ordered until it is back in stock." in kite and 'value="KITE"' not in kite
    forced = client.post("/basket/add", data={"csrf_token": token(client), "sku": "KITE", "quantity": "1"})
    assert flash(forced.text) == "Kite, rainbow is out of stock and cannot be ordered."
    too_many = client.post("/basket/add", data={"csrf_token": token(client), "sku": "LAMP", "quantity": "2"})
    assert flash(too_many.text) == "Only 1 of Table lamp, zinc in stock."
    client.post("/basket/add", data={"csrf_token": token(client), "sku": "LAMP", "quantity": "1"})
    one_more = client.post("/basket/add", data={"csrf_token": token(client), "sku": "LAMP", "quantity": "1"})
    assert flash(one_more.text) == "Only 1 of Table lamp, zinc in stock, and 1 of them are in your basket already."
    assert "Postage" not in catalogue_page  # postage is not merchandise


def test_buying_the_last_unit_turns_the_light_red_and_shows_the_order_with_its_history(client, catalogue):
    register(client)
    client.post("/basket/add", data={"csrf_token": token(client), "sku": "LAMP", "quantity": "1"})
    placed = client.post("/checkout", data={"csrf_token": token(client)})
    assert "Thank you: order WO" in flash(placed.text)
    assert "Placed" in placed.text or "placed" in placed.text
    assert one(catalogue, select(Product.stock_quantity).where(Product.sku == "LAMP")) == 0
    lamp = client.get("/product/LAMP").text
    assert "Out of stock" in lamp and 'class="blink"' in lamp
    orders = client.get("/orders").text
    assert "WO" in orders and "€39.90" in orders


def test_another_customers_order_is_not_found(client, catalogue):
    register(client)
    client.post("/basket/add", data={"csrf_token": token(client), "sku": "MUG-RED", "quantity": "1"})
    number = str(client.post("/checkout", data={"csrf_token": token(client)}).url).rsplit("/", 1)[1]
    client.post("/logout", data={"csrf_token": token(client)})
    register(client, email="eve@example.com", phone="622 345 678")
    assert client.get(f"/orders/{number}").status_code == 404


def test_checkout_needs_a_login_and_keeps_the_basket(client, catalogue):
    client.post("/basket/add", data={"csrf_token": token(client), "sku": "MUG-RED", "quantity": "3"})
    to_login = client.post("/checkout", data={"csrf_token": token(client)})
    assert str(to_login.url).endswith("/login")
    register(client)
    assert "€13.50" in client.get("/basket").text


def test_privacy_requests_from_the_profile_land_in_the_inbox(client, catalogue):
    register(client)
    done = client.post("/profile/privacy", data={"csrf_token": token(client), "request": "erasure"})
    assert "within one month" in flash(done.text)
    with read_session(catalogue) as session:
        message = session.scalars(select(ContactMessage)).one()
        customer_id = session.scalar(select(Customer.id))
    assert (message.kind, message.customer_id) == ("privacy", customer_id)
    assert "erase" in message.text


def test_every_page_is_in_the_visit_log_table_and_file(client, catalogue, tmp_path, clock):
    client.get("/")
    client.get("/product/LAMP", headers={"referer": "http://testserver/"})
    clock.advance(minutes=4)
    client.get("/terms")
    with read_session(catalogue) as session:
        visits = session.scalars(select(ShopVisit).order_by(ShopVisit.id)).all()
        lamp = session.scalar(select(Product.id).where(Product.sku == "LAMP"))
    assert [v.path for v in visits] == ["/", "/product/LAMP", "/terms"]
    assert len({v.session_id for v in visits}) == 1
    assert visits[1].product_id == lamp and visits[1].referrer == "http://testserver/"
    lines = [json.loads(line) for line in (tmp_path / "logs" / "shop-visits.log").read_text().splitlines()]
    assert [line["path"] for line in lines] == ["/", "/product/LAMP", "/terms"]
    assert lines[1]["product_id"] == lamp and lines[0]["status"] == 200


def test_the_catalogue_finds_words_in_any_order_and_filters_by_category(client):
    found = client.get("/", params={"q": "RED mug"}).text
    assert "Enamel mug, red" in found and "Table lamp" not in found
    assert "1 products" in found or "1 product" in found
    literal = client.get("/", params={"q": "100%_"}).text
    assert "Nothing found" in literal
    assert "Enamel mug" in client.get("/", params={"category": "Kitchen"}).text
