"""Transaction-line exports: one row per order line, as shop and till systems write them.

Cancellations are invoices whose number starts with "C" and a digit, with negative
quantities. Rows without a customer are guest purchases.
"""

import csv
import io
import struct
import sys
import unicodedata
from array import array
from collections.abc import Callable, Iterator
from itertools import islice
from operator import itemgetter
from pathlib import Path

from crm_tui.importing.accounting import ImportSummary, RejectLog
from crm_tui.importing.product_codes import product_kind
from crm_tui.importing.shop_writer import ShopWriter
from crm_tui.importing.sniff import FileDialect, UnreadableFile
from crm_tui.importing.values import (
    FIELD_LIMIT,
    BadValue,
    DateReader,
    allow_large_fields,
    country_code,
    oversized_field,
    parse_quantity,
    parse_scaled,
    scaled_to_cents,
)
from crm_tui.shop.models import ProductKind
from crm_tui.shop.validation import normalise_customer_id

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
_INT = struct.Struct("<q")
_LINE_REST = struct.Struct("<4q")  # product id, quantity, unit cents, line cents
CHUNK_BYTES = CHUNK_ROWS * 6 * 8


def _ints(packed: bytearray) -> array:
    values = array("q")
    values.frombytes(bytes(packed))
    if sys.byteorder != "little":
        values.byteswap()
    return values


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
    def __init__(self, field_name: str, message: str, index: int | None = None):
        super().__init__(message)
        self.field_name, self.index = field_name, index


_ADJUSTING_KINDS = (ProductKind.ADJUSTMENT, ProductKind.DISCOUNT)


def _shown(value: str) -> str:
    """A rejected value as the reject file shows it: an oversized one cut, with its size."""
    return value if len(value) <= FIELD_LIMIT else f"{value[:80]}… ({len(value):,} characters)"


def _shown_row(row: list[str]) -> list[str]:
    return [_shown(value) for value in row]


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

    def index_of(self, field_name: str) -> int | None:
        return {"order_number": self.i_order, "sku": self.i_sku, "quantity": self.i_qty, "unit_price": self.i_price,
                "placed_at": self.i_date, "customer_id": self.i_cust, "country": self.i_country}.get(field_name)

    def head_key(self) -> Callable[[list[str]], tuple]:
        """The row's invoice columns (number, date[, customer][, country]) as one tuple, in C."""
        columns = [i for i in (self.i_order, self.i_date, self.i_cust, self.i_country) if i is not None]
        return itemgetter(*columns)

    def invoice_head(self, key: tuple) -> tuple:
        """(order number, cancellation, adjustment, placed at, customer, country, unrecognised
        country text or None) from head_key's tuple."""
        values = iter(key)
        order_number, date_text = next(values).strip(), next(values)
        customer_text = next(values) if self.i_cust is not None else ""
        country_text = next(values) if self.i_country is not None else None
        if not order_number:
            raise _RowError("order_number", "the order number is empty")
        field_name = "placed_at"
        try:
            placed_at = self.dates(date_text)
            field_name = "customer_id"
            customer = normalise_customer_id(customer_text)
            if len(customer) > 32:
                raise BadValue(f"{customer!r} is longer than 32 characters")
        except BadValue as exc:
            raise _RowError(field_name, str(exc)) from None
        country, unrecognised = None, None
        if country_text is not None:
            try:
                country = country_code(country_text)
            except BadValue:  # the country is optional: the sale stays, its country unknown
                unrecognised = country_text.strip()
        cancellation = order_number[0] in "Cc" and order_number[1:2].isdigit()
        adjustment = order_number[0] in "Aa" and order_number[1:2].isdigit()
        return order_number, cancellation, adjustment, placed_at, customer, country, unrecognised

    def line_key(self) -> Callable[[list[str]], tuple]:
        return itemgetter(self.i_sku, self.i_qty, self.i_price)

    def line(self, key: tuple) -> tuple[str, int, int, int]:
        """(sku, quantity, unit cents, line cents) from line_key's tuple."""
        sku_text, quantity_text, price_text = key
        sku = sku_text.strip()
        if not sku:
            raise _RowError("sku", "the product code is empty")
        try:
            quantity = parse_quantity(quantity_text, self.decimal_comma)
            if quantity == 0:
                raise BadValue("the quantity is 0")
        except BadValue as exc:
            raise _RowError("quantity", str(exc)) from None
        try:
            scaled, scale = parse_scaled(price_text, self.decimal_comma)
        except BadValue as exc:
            raise _RowError("unit_price", str(exc)) from None
        unit_cents = scaled_to_cents(scaled, scale)
        return sku, quantity, unit_cents, scaled_to_cents(scaled, scale, quantity)


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
    allow_large_fields()
    with path.open("rb") as raw, io.TextIOWrapper(raw, encoding=dialect.encoding, newline="") as text:
        reader = csv.reader(text, delimiter=dialect.delimiter)
        next(reader)  # header
        loader = _LineLoader(writer, summary, rejects, path.name, dialect,
                             _RowParser(mapping, decimal_comma, DateReader(dayfirst, shop_zone)))
        loader.load(reader, lambda rows: progress(raw.tell(), rows))


def _distinct(chunk: list[tuple[int, list[str]]], column: int) -> set[str]:
    """The distinct values of a column in (line number, row) pairs, in C unless a row is short."""
    try:
        return set(map(itemgetter(column), map(itemgetter(1), chunk)))
    except IndexError:
        return {row[column] for _, row in chunk if len(row) > column}


class _LineLoader:
    """Rows -> order lines, resolved against the shop as they stream by, written in batches."""

    def __init__(self, writer: ShopWriter, summary: ImportSummary, rejects: RejectLog, name: str,
                 dialect: FileDialect, parser: _RowParser):
        self.writer, self.summary, self.rejects, self.name = writer, summary, rejects, name
        self.dialect, self.parser = dialect, parser
        # Lines as packed bytes of (order id, product id, quantity, unit cents, line cents),
        # 8-byte integers: cheap to build and, sent to another process, copied rather than
        # pickled row by row.
        self.new_lines = bytearray()
        self.old_lines = bytearray()

    def load(self, reader, progress: Callable[[int], None]) -> None:
        """The hot loop. An invoice's columns are parsed once per run of its rows; a line's
        (code, quantity, price) once per distinct combination. A million rows take seconds.
        Nothing is created for a rejected row: a product only once a line of it is accepted."""
        writer, parser, header = self.writer, self.parser, self.dialect.header
        width, has_nul, i_desc = len(header), self.dialect.has_nul, parser.i_desc
        head_key, line_key = parser.head_key(), parser.line_key()
        # line key -> product id (None until a line of it is accepted), quantity, packed line,
        # negative price (0 no, 1 an adjustment code's, 2 merchandise's: only on an adjustment
        # document), line cents, product code, unit cents
        lines: dict[tuple, tuple] = {}
        described: dict[str, bytes] = {}  # a description as written -> its packed id
        no_description = b""
        last_key, target, order_bytes, cancellation, adjustment = None, self.new_lines, b"", False, False
        unrecognised = None
        tally = writer.counts
        rows_read = 0
        for line_num, row in self._prefetched(reader):
            if not row:
                continue  # a blank line is not a row
            rows_read += 1
            try:
                if len(row) != width:
                    raise _RowError("", f"expected {width} columns, found {len(row)}")
                if max(map(len, row)) > FIELD_LIMIT:
                    index = oversized_field(row)
                    raise _RowError(header[index], f"the field has {len(row[index]):,} characters, over the "
                                                   f"limit of {FIELD_LIMIT:,}", index)
                if has_nul and any("\x00" in value for value in row):
                    raise _RowError("", "the row contains a NUL character")
                key = head_key(row)
                if key != last_key:
                    head = parser.invoice_head(key)
                    cancellation, adjustment, unrecognised = head[1], head[2], head[6]
                lkey = line_key(row)
                hit = lines.get(lkey)
                if hit is None:
                    hit = self._resolve_line(lkey, row, lines)
                if (hit[1] > 0) == cancellation:
                    raise _RowError("quantity", f"{hit[1]} on cancellation {head[0]}: a cancellation's quantities "
                                                "are negative" if cancellation else
                                                f"{hit[1]} on {head[0]}, which is not a cancellation (no leading C)")
                if hit[3] == 2 and not adjustment:
                    raise _RowError("unit_price", f"a negative unit price on {head[0]}: only adjustment documents "
                                                  "(numbers starting with A) and adjustment codes may have one")
            except _RowError as exc:
                last_key = None
                at = exc.index if exc.index is not None else parser.index_of(exc.field_name)
                self.rejects.reject(self.name, line_num, header[at] if at is not None else "",
                                    _shown(row[at]) if at is not None else "", str(exc), _shown_row(row))
                continue
            if hit[0] is None:
                hit = self._accept_product(lkey, hit, row, lines)
            if adjustment or hit[3]:
                tally.adjustment_lines += 1
                tally.adjustment_cents += hit[4]
            if unrecognised is not None:
                tally.unknown_countries[unrecognised] = tally.unknown_countries.get(unrecognised, 0) + 1
            if key != last_key:
                order_number, cancellation, adjustment, placed_at, customer, country, unrecognised = head
                cid = writer.customer(customer, country, placed_at) if customer else None
                oid = writer.order(order_number, cid, placed_at, cancellation, country)
                target = self.old_lines if oid in writer.preexisting_orders else self.new_lines
                order_bytes = _INT.pack(oid)
                last_key = key
            target += order_bytes
            target += hit[2]
            if i_desc is None:
                if not no_description:
                    no_description = _INT.pack(writer.description_id(""))
                target += no_description
            else:
                packed = described.get(row[i_desc])
                if packed is None:
                    packed = described[row[i_desc]] = _INT.pack(writer.description_id(row[i_desc].strip()))
                target += packed
            if len(target) >= CHUNK_BYTES:
                in_older = target is self.old_lines
                self.flush()
                target = self.old_lines if in_older else self.new_lines
                progress(self.summary.rows_read + rows_read)
        self.flush()
        self.summary.rows_read += rows_read
        progress(self.summary.rows_read)

    def _prefetched(self, reader) -> Iterator[tuple[int, list[str]]]:
        """(line number, row). Where a lookup in the shop is a round trip, rows are read
        CHUNK_ROWS ahead and the customers and invoices a chunk names are looked up in batches
        first, not one query each as they appear (on PostgreSQL, 57,000 invoices took 8 s of a
        re-import); elsewhere reading ahead costs more than it saves."""
        parser, writer = self.parser, self.writer
        if not writer.lookups_are_round_trips:
            for row in reader:
                yield reader.line_num, row
            return
        while True:
            chunk = [(reader.line_num, row) for row in islice(reader, CHUNK_ROWS)]
            if not chunk:
                return
            orders = {number.strip() for number in _distinct(chunk, parser.i_order)}
            customers = set()
            if parser.i_cust is not None:
                for raw in _distinct(chunk, parser.i_cust):
                    try:
                        customers.add(normalise_customer_id(raw))
                    except BadValue:
                        pass  # rejected with its reason when its row comes
            # What no stored number can be (empty, or longer than the columns) is not asked for.
            writer.prefetch(set(), {c for c in customers if 0 < len(c) <= 32}, {o for o in orders if 0 < len(o) <= 32})
            yield from chunk

    def _resolve_line(self, key: tuple, row: list[str], cache: dict) -> tuple:
        sku, quantity, unit, total = self.parser.line(key)
        known = self.writer.product(sku)
        kind = known[1] if known is not None else product_kind(
            sku, row[self.parser.i_desc] if self.parser.i_desc is not None else "")
        negative = 0 if unit >= 0 else 1 if kind in _ADJUSTING_KINDS else 2
        if len(cache) > 200_000:
            cache.clear()
        cache[key] = value = (None, quantity, b"", negative, total, sku, unit)
        return value

    def _accept_product(self, key: tuple, hit: tuple, row: list[str], cache: dict) -> tuple:
        """The first accepted line of this (code, quantity, price): the product is created if the
        shop does not have it yet, and this spelling of its code counts."""
        sku, unit = hit[5], hit[6]
        description = row[self.parser.i_desc] if self.parser.i_desc is not None else ""
        pid = self.writer.product_id(sku, description, unit)
        cache[key] = value = (pid, hit[1], _LINE_REST.pack(pid, hit[1], unit, hit[4]), hit[3], hit[4], sku, unit)
        return value

    def flush(self) -> None:
        self.writer.write_lines(_ints(self.new_lines), _ints(self.old_lines), replace=True)
        self.new_lines, self.old_lines = bytearray(), bytearray()
