"""The project's own CSV set: products.csv, customers.csv, orders.csv, order_lines.csv.

Columns are found by header name (see README, "Importing"); unknown columns are ignored with a
warning. Files are loaded in that order whatever order they are given in.
"""

import csv
import io
from array import array
from collections.abc import Callable, Iterator
from pathlib import Path

from sqlalchemy import text

from crm_tui.importing.accounting import ImportSummary, RejectLog
from crm_tui.importing.shop_writer import ShopWriter
from crm_tui.importing.sniff import FileDialect
from crm_tui.importing.values import (
    FIELD_LIMIT,
    BadValue,
    DateReader,
    allow_large_fields,
    oversized_field,
    parse_money_cents,
    parse_quantity,
)
from crm_tui.services.audit import FieldChange, record_changes
from crm_tui.shop.models import OrderChannel, OrderStatus, ProductKind
from crm_tui.shop.types import db_datetime, utc_now
from crm_tui.shop.validation import (
    InvalidField,
    normalise_country,
    normalise_email,
    normalise_language,
    normalise_phone,
    time_zone_for,
)

COLUMNS = {
    "products": (("sku", "name", "unit_price"),
                 ("description", "category", "stock_quantity", "low_stock_threshold", "active", "kind")),
    "customers": (("customer_number",),
                  ("first_name", "last_name", "email", "phone", "street", "postcode", "city", "country",
                   "preferred_language", "registered_at", "consent_email", "consent_phone", "consent_chat")),
    "orders": (("number", "placed_at"), ("customer_number", "status", "channel", "cancels")),
    "order_lines": (("order_number", "sku", "quantity", "unit_price"), ()),
}
LOAD_ORDER = ["products", "customers", "orders", "order_lines", "lines"]
CHUNK_ROWS = 5_000
CUSTOMER_TEXT = ("first_name", "last_name", "email", "phone", "street", "postcode", "city", "country",
                 "preferred_language")
PRODUCT_DEFAULTS = dict(description="", category="", stock_quantity=0, low_stock_threshold=5, active=True,
                        kind="product")
_TRUE = {"1", "true", "yes", "y", "si", "sí", "x"}
_FALSE = {"", "0", "false", "no", "n"}


def kind_of(header: list[str]) -> str | None:
    names = {h.strip().lower() for h in header}
    # Most specific first: orders.csv also has a customer_number column.
    for kind in ("order_lines", "orders", "products", "customers"):
        if set(COLUMNS[kind][0]) <= names:
            return kind
    return None


def describe_kinds() -> str:
    return "; ".join(f"{kind}.csv with {', '.join(required)}" for kind, (required, _o) in COLUMNS.items())


def _rows(path: Path, dialect: FileDialect) -> Iterator[tuple[int, dict[str, str], list[str]]]:
    allow_large_fields()
    with path.open("rb") as raw, io.TextIOWrapper(raw, encoding=dialect.encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter=dialect.delimiter)
        header = [h.strip().lower() for h in next(reader)]
        for row in reader:
            if row:
                yield reader.line_num, dict(zip(header, row)) if len(row) == len(header) else {}, row


class _CellError(ValueError):
    def __init__(self, column: str, message: str):
        super().__init__(message)
        self.column = column


def _not_negative(value: int, message: str) -> int:
    if value < 0:
        raise BadValue(message)
    return value


def _bool(value: str) -> bool:
    v = value.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise BadValue(f"{value!r} is not yes/no")


def import_file(kind: str, path: Path, dialect: FileDialect, writer: ShopWriter, summary: ImportSummary,
                rejects: RejectLog, *, decimal_comma: bool, dayfirst: bool, shop_zone: str, acting_login: str,
                progress: Callable[[int, int], None], empty_clears: bool = False) -> None:
    required, optional = COLUMNS[kind]
    unknown = [h for h in dialect.header if h.strip().lower() not in (*required, *optional)]
    if unknown:
        summary.warnings.append(f"{path.name}: ignored unknown columns {', '.join(unknown)}")
    loader = _Loader(kind, path.name, writer, summary, rejects, decimal_comma, DateReader(dayfirst, shop_zone),
                     acting_login, empty_clears)
    width = len(dialect.header)
    chunk: list[tuple[int, dict[str, str], list[str]]] = []
    for line_no, values, row in _rows(path, dialect):
        summary.rows_read += 1
        if len(row) != width:
            rejects.reject(path.name, line_no, "", "", f"expected {width} columns, found {len(row)}", row)
            continue
        if dialect.has_nul and any("\x00" in value for value in row):
            rejects.reject(path.name, line_no, "", "", "the row contains a NUL character", row)
            continue
        if max(map(len, row)) > FIELD_LIMIT:
            index = oversized_field(row)
            rejects.reject(path.name, line_no, dialect.header[index], f"{row[index][:80]}…",
                           f"the field has {len(row[index]):,} characters, over the limit of {FIELD_LIMIT:,}",
                           [value[:80] for value in row])
            continue
        chunk.append((line_no, values, row))
        if len(chunk) >= CHUNK_ROWS:
            loader.load(chunk)
            chunk = []
            progress(0, summary.rows_read)
    loader.load(chunk)
    progress(path.stat().st_size, summary.rows_read)


class _Loader:
    def __init__(self, kind, name, writer: ShopWriter, summary, rejects, decimal_comma, dates, acting_login,
                 empty_clears: bool):
        self.kind, self.name, self.writer, self.summary, self.rejects = kind, name, writer, summary, rejects
        self.decimal_comma, self.dates, self.acting_login = decimal_comma, dates, acting_login
        self.empty_clears = empty_clears
        self.conn = writer.conn

    def load(self, chunk) -> None:
        if not chunk:
            return
        getattr(self, f"_{self.kind}")(chunk)

    def _reject(self, line_no: int, column: str, values: dict[str, str], reason: str, row: list[str]) -> None:
        self.rejects.reject(self.name, line_no, column, values.get(column, ""), reason, row)

    # --- partial files ----------------------------------------------------------------------
    #
    # A column the file does not have leaves that field as it is; so does an empty cell, unless
    # --empty-clears. A new record still needs its required fields.

    def _given(self, v: dict[str, str], name: str) -> str | None:
        """The cell's text when the file sets this field, else None (leave it as it is)."""
        if name not in v:
            return None
        value = v[name].strip()
        return value if value or self.empty_clears else None

    # --- products --------------------------------------------------------------------------

    def _products(self, chunk) -> None:
        self.writer.prefetch({v["sku"].strip() for _, v, _ in chunk}, set(), set())
        existing = self._current("SELECT id, sku, name, description, category, unit_price_cents, stock_quantity, "
                                 "low_stock_threshold, active, kind, name_from_sales, stock_tracked FROM product WHERE sku IN ({})",
                                 [v["sku"].strip() for _, v, _ in chunk])
        for line_no, v, row in chunk:
            sku = v["sku"].strip()
            if not sku:
                self._reject(line_no, "sku", v, "the product code is empty", row)
                continue
            new = sku not in existing
            try:
                values = self._product_values(v, new)
            except _CellError as exc:
                self._reject(line_no, exc.column, v, str(exc), row)
                continue
            if new:
                values = PRODUCT_DEFAULTS | values
            self._upsert("product", existing, sku, values, lambda: self.writer.new_product(sku, values),
                         lambda current: None)

    def _product_values(self, v: dict[str, str], new: bool) -> dict:
        values: dict[str, object] = {}
        for column in ("name", "unit_price"):
            text = self._given(v, column)
            if (text is None and new) or text == "":
                what = "a new product needs" if new else "cannot clear"
                raise _CellError(column, f"{what} its {column.replace('_', ' ')}")
        readers: dict[str, tuple[str, Callable[[str], object]]] = {
            "name": ("name", str),
            "description": ("description", str), "category": ("category", str),
            "unit_price": ("unit_price_cents", lambda t: _not_negative(
                parse_money_cents(t, self.decimal_comma), "a unit price cannot be negative")),
            "stock_quantity": ("stock_quantity", lambda t: _not_negative(
                parse_quantity(t or "0", self.decimal_comma), "stock cannot be negative")),
            "low_stock_threshold": ("low_stock_threshold", lambda t: _not_negative(
                parse_quantity(t or "5", self.decimal_comma), "the threshold cannot be negative")),
            "active": ("active", lambda t: _bool(t or "yes")),
            "kind": ("kind", lambda t: ProductKind((t or "product").lower()).value),
        }
        for column, (field_name, read) in readers.items():
            text = self._given(v, column)
            if text is None:
                continue
            try:
                values[field_name] = read(text)
            except (BadValue, ValueError) as exc:
                raise _CellError(column, str(exc)) from None
        values["name_from_sales"] = False  # the file names and prices it from now on
        if "stock_quantity" in values or new:
            values["stock_tracked"] = "stock_quantity" in values
        return values

    # --- customers -------------------------------------------------------------------------

    def _customers(self, chunk) -> None:
        numbers = [v["customer_number"].strip() for _, v, _ in chunk]
        existing = self._current("SELECT id, customer_number, first_name, last_name, email, phone, street, "
                                 "postcode, city, country, preferred_language, time_zone FROM customer "
                                 "WHERE customer_number IN ({})", numbers)
        for line_no, v, row in chunk:
            number = v["customer_number"].strip()
            if not number or len(number) > 32:
                self._reject(line_no, "customer_number", v, "the customer number is empty or too long", row)
                continue
            current = existing.get(number)
            try:
                values = self._customer_values(v, current)
                registered = self.dates(v["registered_at"]) if v.get("registered_at", "").strip() else utc_now()
                consents = {f"consent_{c}_at": registered if _bool(v.get(f"consent_{c}", "")) else None
                            for c in ("email", "phone", "chat")}
            except InvalidField as exc:
                self._reject(line_no, exc.field, v, exc.message, row)
                continue
            except BadValue as exc:
                self._reject(line_no, "registered_at/consent", v, str(exc), row)
                continue

            def audit(current, values=values):
                self.writer.counts.customers_updated += 1
                record_changes(self.conn, self.acting_login, "customer", current["id"],
                               [FieldChange(k, current[k], values[k]) for k in values
                                if k != "time_zone" and current[k] != values[k]],
                               reason=f"import {self.name}")
            self._upsert("customer", existing, number, values,
                         lambda: self.writer.new_customer(number, values | consents, registered), audit,
                         versioned=True)

    def _customer_values(self, v: dict[str, str], current: dict | None) -> dict:
        """The fields this row sets, validated; for a new customer, every field (the shop's
        registration rules: names required, country Spain and language by country by default)."""
        given = {name: self._given(v, name) for name in CUSTOMER_TEXT}
        if current is None:
            for name in ("first_name", "last_name"):
                if not given[name]:
                    raise InvalidField(name, f"a new customer needs a {name.replace('_', ' ')}")
        else:
            for name in ("first_name", "last_name", "country", "preferred_language"):
                if given[name] == "":
                    raise InvalidField(name, "cannot be cleared: a customer always has one")
        country = normalise_country(given["country"] or (current["country"] if current else "ES"))
        values: dict[str, object] = {}
        for name in ("first_name", "last_name", "street", "postcode", "city"):
            if given[name] is not None or current is None:
                values[name] = (given[name] or "")[:100] if name.endswith("name") else given[name] or ""
        if given["email"] is not None or current is None:
            values["email"] = normalise_email(given["email"]) if given["email"] else None
        if given["phone"] is not None or current is None:
            values["phone"] = normalise_phone(given["phone"], country) if given["phone"] else None
        if given["country"] is not None or current is None:
            values["country"] = country
        if given["preferred_language"] is not None or current is None:
            values["preferred_language"] = normalise_language(given["preferred_language"] or
                                                              ("es" if country == "ES" else "en"))
        if current is not None and ("country" in values or "postcode" in values):
            values["time_zone"] = time_zone_for(country, str(values.get("postcode", current["postcode"])))
        return values

    # --- orders ----------------------------------------------------------------------------

    def _orders(self, chunk) -> None:
        self.writer.prefetch(set(), {v.get("customer_number", "").strip() for _, v, _ in chunk} - {""},
                             {v["number"].strip() for _, v, _ in chunk} | {v.get("cancels", "").strip()
                                                                           for _, v, _ in chunk} - {""})
        existing = self._current("SELECT id, number, status FROM shop_order WHERE number IN ({})",
                                 [v["number"].strip() for _, v, _ in chunk])
        for line_no, v, row in chunk:
            column = "number"
            try:
                number = v["number"].strip()
                if not number:
                    raise BadValue("the order number is empty")
                column = "placed_at"
                placed_at = self.dates(v["placed_at"])
                column = "customer_number"
                customer = v.get("customer_number", "").strip()
                customer_id = self.writer.customers.get(customer) if customer else None
                if customer and customer_id is None:
                    raise BadValue(f"no customer {customer!r} in the database or in customers.csv")
                column = "status"
                status = OrderStatus((v.get("status") or "delivered").strip().lower()).value
                column = "channel"
                channel = OrderChannel((v.get("channel") or "web").strip().lower()).value
                column = "cancels"
                cancels = v.get("cancels", "").strip()
                cancels_id = self.writer.orders.get(cancels) if cancels else None
                if cancels and cancels_id is None:
                    raise BadValue(f"no order {cancels!r} to cancel")
            except (BadValue, ValueError) as exc:
                self._reject(line_no, column, v, str(exc), row)
                continue
            current = existing.get(number)
            if current is None:
                order_id = self.writer.new_order(number, customer_id, placed_at, status, channel, cancels_id)
                existing[number] = {"id": order_id, "number": number, "status": status}
                self.summary.imported += 1
            elif current["status"] != status:
                self.conn.execute(text("UPDATE shop_order SET status = :s WHERE id = :id"),
                                  {"s": status, "id": current["id"]})
                self.writer.writes.touch_order(current["id"])
                current["status"] = status
                self.summary.updated += 1
            else:
                self.summary.unchanged += 1

    # --- order lines ------------------------------------------------------------------------

    def _order_lines(self, chunk) -> None:
        self.writer.prefetch({v["sku"].strip() for _, v, _ in chunk}, set(),
                             {v["order_number"].strip() for _, v, _ in chunk})
        new_lines, old_lines = array("q"), array("q")
        no_description = self.writer.description_id("")  # order_lines.csv gives none
        for line_no, v, row in chunk:
            column = "order_number"
            try:
                order_id = self.writer.orders.get(v["order_number"].strip())
                if order_id is None:
                    raise BadValue("no such order in the database or in orders.csv")
                column = "sku"
                product = self.writer.product(v["sku"].strip())
                if product is None:
                    raise BadValue("no such product in the database or in products.csv")
                column = "quantity"
                quantity = parse_quantity(v["quantity"], self.decimal_comma)
                if quantity == 0:
                    raise BadValue("the quantity is 0")
                column = "unit_price"
                price = parse_money_cents(v["unit_price"], self.decimal_comma)
                if price < 0:
                    raise BadValue("a unit price cannot be negative")
            except BadValue as exc:
                self._reject(line_no, column, v, str(exc), row)
                continue
            target = old_lines if order_id in self.writer.preexisting_orders else new_lines
            target.extend((order_id, product[0], quantity, price, price * quantity, no_description))
        self.writer.write_lines(new_lines, old_lines, replace=False)

    # --- shared ------------------------------------------------------------------------------

    def _current(self, sql: str, keys: list[str]) -> dict[str, dict]:
        found: dict[str, dict] = {}
        unique = sorted(set(keys))
        for start in range(0, len(unique), 900):
            batch = unique[start:start + 900]
            marks = ", ".join(f":k{i}" for i in range(len(batch)))
            result = self.conn.execute(text(sql.format(marks)), {f"k{i}": k for i, k in enumerate(batch)})
            key = list(result.keys())[1]
            for row in result.mappings():
                found[row[key]] = dict(row)
        return found

    def _upsert(self, table: str, existing: dict[str, dict], key: str, values: dict,
                insert: Callable[[], int], on_update: Callable[[dict], None], versioned: bool = False) -> None:
        """New key: insert (imported). Known key: update what differs (updated) or nothing (unchanged)."""
        current = existing.get(key)
        if current is None:
            existing[key] = dict(values, id=insert())
            self.summary.imported += 1
            return
        changed = {k: val for k, val in values.items() if current[k] != val}
        if not changed:
            self.summary.unchanged += 1
            return
        on_update(current)
        sets = ", ".join(f"{k} = :{k}" for k in changed)
        if versioned:
            sets += ", version = version + 1, updated_at = :updated_at"
            changed["updated_at"] = db_datetime(self.conn, utc_now())
        self.conn.execute(text(f"UPDATE {table} SET {sets} WHERE id = :id"), changed | {"id": current["id"]})
        current.update(values)
        self.summary.updated += 1

