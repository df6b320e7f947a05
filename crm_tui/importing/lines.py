"""Transaction-line exports: one row per order line, as shop and till systems write them.

Cancellations are invoices whose number starts with "C" and a digit, with negative
quantities. Rows without a customer are guest purchases.
"""

import csv
import io
import unicodedata
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from crm_tui.importing.accounting import ImportSummary, RejectLog
from crm_tui.importing.shop_writer import ShopWriter
from crm_tui.importing.sniff import FileDialect, UnreadableFile
from crm_tui.importing.values import (
    BadValue, DateReader, country_code, normalise_customer_id, parse_quantity, parse_scaled, scaled_to_cents,
)

FIELDS = ("order_number", "sku", "description", "quantity", "placed_at", "unit_price", "customer_id", "country")
REQUIRED = ("order_number", "sku", "quantity", "placed_at", "unit_price")
ALIASES = {
    "order_number": ("invoiceno", "invoice", "invoicenumber", "orderid", "order", "ordernumber", "orderno",
                     "transactionid", "receipt", "factura", "pedido", "numeropedido"),
    "sku": ("stockcode", "sku", "productcode", "itemcode", "item", "code", "articlecode", "codigo", "referencia"),
    "description": ("description", "productname", "itemdescription", "itemname", "descripcion", "producto"),
    "quantity": ("quantity", "qty", "units", "cantidad", "unidades"),
    "placed_at": ("invoicedate", "date", "datetime", "orderdate", "placedat", "timestamp", "fecha"),
    "unit_price": ("unitprice", "price", "priceeach", "precio", "preciounitario"),
    "customer_id": ("customerid", "customer", "customerno", "customernumber", "clientid", "cliente",
                    "idcliente"),
    "country": ("country", "pais", "countryname"),
}
CHUNK_ROWS = 20_000


def _key(name: str) -> str:
    """'Customer ID', 'customer_id' and 'CustomerID' are one name; so are 'País' and 'pais'."""
    plain = unicodedata.normalize("NFKD", name.lower())
    return "".join(ch for ch in plain if ch.isalnum() and not unicodedata.combining(ch))


def map_columns(header: list[str], overrides: dict[str, str]) -> tuple[dict[str, int], list[str]]:
    """field -> column index, and the names of columns nobody reads."""
    keys = [_key(h) for h in header]
    mapping: dict[str, int] = {}
    for column, field_name in overrides.items():
        if field_name not in FIELDS:
            raise UnreadableFile(f"--map {column}={field_name}: the field must be one of {', '.join(FIELDS)}")
        if _key(column) not in keys:
            raise UnreadableFile(f"--map {column}={field_name}: the file has no column {column!r}")
        mapping[field_name] = keys.index(_key(column))
    for field_name in FIELDS:
        if field_name in mapping:
            continue
        for alias in ALIASES[field_name]:
            if alias in keys and keys.index(alias) not in mapping.values():
                mapping[field_name] = keys.index(alias)
                break
    unused = [header[i] for i in range(len(header)) if i not in mapping.values()]
    return mapping, unused


def looks_like_lines(header: list[str]) -> bool:
    mapping, _ = map_columns(header, {})
    return all(f in mapping for f in REQUIRED)


class _RowError(Exception):
    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field_name = field_name


class _RowParser:
    """One row -> (order number, sku, description, quantity, unit cents, line cents, placed at,
    customer, country, cancellation), or _RowError naming the field.

    An invoice repeats its number, date, customer and country on every line, so that part is
    parsed once per run of equal values; prices and quantities repeat too and are cached.
    """

    def __init__(self, mapping: dict[str, int], decimal_comma: bool, dates: DateReader):
        self.i_order, self.i_sku, self.i_qty, self.i_date, self.i_price = (mapping[f] for f in REQUIRED)
        self.i_desc = mapping.get("description")
        self.i_cust = mapping.get("customer_id")
        self.i_country = mapping.get("country")
        self.decimal_comma = decimal_comma
        self.dates = dates
        self._prices: dict[str, tuple[int, int, int]] = {}
        self._quantities: dict[str, int] = {}
        self._head_key: tuple | None = None
        self._head: tuple = ()

    def index_of(self, field_name: str) -> int | None:
        return {"order_number": self.i_order, "sku": self.i_sku, "quantity": self.i_qty, "unit_price": self.i_price,
                "placed_at": self.i_date, "customer_id": self.i_cust, "country": self.i_country}.get(field_name)

    def _invoice_head(self, row: list[str]) -> tuple:
        """(order number, cancellation, placed at, customer, country) of the row's invoice."""
        key = (row[self.i_order], row[self.i_date], row[self.i_cust] if self.i_cust is not None else "",
               row[self.i_country] if self.i_country is not None else "")
        if key == self._head_key:
            return self._head
        order_number = key[0].strip()
        if not order_number:
            raise _RowError("order_number", "the order number is empty")
        field_name = "placed_at"
        try:
            placed_at = self.dates(key[1])
            field_name = "customer_id"
            customer = normalise_customer_id(key[2])
            if len(customer) > 32:
                raise BadValue(f"{customer!r} is longer than 32 characters")
            field_name = "country"
            country = country_code(key[3]) if self.i_country is not None else None
        except BadValue as exc:
            raise _RowError(field_name, str(exc)) from None
        cancellation = order_number[0] in "Cc" and order_number[1:2].isdigit()
        self._head_key = key
        self._head = (order_number, cancellation, placed_at, customer, country)
        return self._head


    def _price(self, text: str) -> tuple[int, int, int]:
        scaled, scale = parse_scaled(text, self.decimal_comma)
        if scaled < 0:
            raise BadValue(f"{text!r}: a unit price cannot be negative")
        if len(self._prices) > 100_000:
            self._prices.clear()
        self._prices[text] = value = (scaled, scale, scaled_to_cents(scaled, scale))
        return value

    def parse(self, row: list[str]) -> tuple:
        order_number, cancellation, placed_at, customer, country = self._invoice_head(row)
        sku = row[self.i_sku].strip()
        if not sku:
            raise _RowError("sku", "the product code is empty")
        text = row[self.i_qty]
        quantity = self._quantities.get(text)
        try:
            if quantity is None:
                quantity = parse_quantity(text)
                if quantity == 0:
                    raise BadValue("the quantity is 0")
                if len(self._quantities) < 100_000:
                    self._quantities[text] = quantity
        except BadValue as exc:
            raise _RowError("quantity", str(exc)) from None
        if cancellation and quantity > 0:
            raise _RowError("quantity", f"{quantity} on cancellation {order_number}: "
                                        "a cancellation's quantities are negative")
        if not cancellation and quantity < 0:
            raise _RowError("quantity", f"{quantity} on {order_number}, which is not a cancellation (no leading C)")
        text = row[self.i_price]
        price = self._prices.get(text)
        if price is None:
            try:
                price = self._price(text)
            except BadValue as exc:
                raise _RowError("unit_price", str(exc)) from None
        scaled, scale, unit_cents = price
        line_cents = unit_cents * quantity if scale <= 2 else scaled_to_cents(scaled, scale, quantity)
        description = row[self.i_desc] if self.i_desc is not None else ""
        return (order_number, sku, description, quantity, unit_cents, line_cents, placed_at, customer, country,
                cancellation)


def import_lines(path: Path, dialect: FileDialect, writer: ShopWriter, summary: ImportSummary, rejects: RejectLog,
                 *, decimal_comma: bool, dayfirst: bool, column_map: dict[str, str], shop_zone: str,
                 progress: Callable[[int, int], None]) -> None:
    mapping, unused = map_columns(dialect.header, column_map)
    missing = [f for f in REQUIRED if f not in mapping]
    if missing:
        raise UnreadableFile(f"{path}: no column for {', '.join(missing)} (columns: {', '.join(dialect.header)}); "
                             "name them with --map COLUMN=field")
    if unused:
        summary.warnings.append(f"{path.name}: ignored unknown columns {', '.join(unused)}")
    name = path.name
    width = len(dialect.header)
    parser = _RowParser(mapping, decimal_comma, DateReader(dayfirst, shop_zone))
    parse = parser.parse
    with path.open("rb") as raw, io.TextIOWrapper(raw, encoding=dialect.encoding, newline="") as text:
        reader = csv.reader(text, delimiter=dialect.delimiter)
        next(reader)  # header
        chunk: list[tuple] = []
        append = chunk.append
        rows_read = 0
        for row in reader:
            if not row:
                continue  # a blank line is not a row
            rows_read += 1
            if len(row) != width:
                rejects.reject(name, reader.line_num, "", "", f"expected {width} columns, found {len(row)}", row)
                continue
            if dialect.has_nul and any("\x00" in value for value in row):
                rejects.reject(name, reader.line_num, "", "", "the row contains a NUL character", row)
                continue
            try:
                append(parse(row))
            except _RowError as exc:
                index = parser.index_of(exc.field_name)
                rejects.reject(name, reader.line_num, dialect.header[index] if index is not None else exc.field_name,
                               row[index] if index is not None else "", str(exc), row)
                continue
            if len(chunk) >= CHUNK_ROWS:
                _write_chunk(chunk, writer, summary)
                chunk.clear()
                progress(raw.tell(), summary.rows_read + rows_read)
        _write_chunk(chunk, writer, summary)
        summary.rows_read += rows_read
        progress(raw.tell(), summary.rows_read)


def _write_chunk(chunk: list[tuple], writer: ShopWriter, summary: ImportSummary) -> None:
    if not chunk:
        return
    skus = [r[1] for r in chunk]
    writer.prefetch(set(skus), {r[7] for r in chunk if r[7]}, {r[0] for r in chunk})
    new_lines, old_lines = [], []
    preexisting = writer.preexisting_orders
    products, product_id, customer, order = writer.products, writer.product_id, writer.customer, writer.order
    last_order, oid, target = None, 0, new_lines
    for order_number, sku, description, quantity, unit, total, placed_at, cust, country, cancellation in chunk:
        if order_number != last_order:
            cid = customer(cust, country, placed_at) if cust else None
            oid = order(order_number, cid, placed_at, cancellation)
            target = old_lines if oid in preexisting else new_lines
            last_order = order_number
        known = products.get(sku)
        target.append((oid, known[0] if known is not None else product_id(sku, description, unit),
                       quantity, unit, total))
    writer.count_descriptions(Counter(zip(skus, [r[2] for r in chunk])))
    writer.write_lines(new_lines, old_lines, summary.count_written_lines(len(new_lines), len(old_lines)))
