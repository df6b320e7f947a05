"""`crm-tui import`: sniff every file, then load them all in one transaction.

The import commits as a whole or not at all: --dry-run and --strict (with rejects) roll back,
and a killed import leaves the database as it was.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from crm_tui import rollups
from crm_tui.importing import crm_csv, history, parallel
from crm_tui.importing.accounting import ImportSummary, RejectLog
from crm_tui.importing.bulk import Writes, fix_sequences
from crm_tui.importing.lines import import_lines, looks_like_lines
from crm_tui.importing.shop_writer import ShopWriter, WriterCounts, first_ids
from crm_tui.importing.sniff import FileDialect, UnreadableFile, sniff
from crm_tui.services.shop_locale import ShopLocale, store_locale
from crm_tui.shop.bulk import bulk_loading, collector_paused
from crm_tui.shop.validation import time_zone_for

FORMATS = ("auto", "crm", "lines")
Progress = Callable[[str, int, int, int], None]  # file name, bytes done, bytes total, rows read


@dataclass
class ImportOptions:
    format: str = "auto"
    dry_run: bool = False
    strict: bool = False
    decimal_comma: bool | None = None
    dayfirst: bool | None = None
    column_map: dict[str, str] = field(default_factory=dict)
    reject_file: Path | None = None
    shop_zone: str = "Europe/Madrid"
    empty_clears: bool = False  # crm CSV: an empty cell clears the field instead of leaving it
    parallel: bool = True  # transaction-line files: read in a second process while this one writes
    sku_case: str = "merge"  # product codes differing only by letter case: "merge" (one product) or "exact"
    state_locale: ShopLocale | None = None  # the shop's first import states its locale, with its rows


@dataclass
class PlannedFile:
    path: Path
    dialect: FileDialect
    kind: str  # "lines" or one of crm_csv.KINDS


def plan(paths: list[Path], options: ImportOptions) -> list[PlannedFile]:
    """Read every file's header before writing anything; refuse what cannot be imported."""
    planned = []
    for path in paths:
        if path.is_dir():
            raise UnreadableFile(f"{path} is a directory: name the export files in it")
        if not path.is_file():
            raise UnreadableFile(f"{path}: no such file")
        try:
            dialect = sniff(path)
        except OSError as exc:
            raise UnreadableFile(f"{path} cannot be read ({exc.strerror or exc}): check its permissions") from None
        kind = None
        if options.format in ("auto", "lines") and (looks_like_lines(dialect.header) or
                                                   (options.format == "lines" and options.column_map)):
            kind = "lines"
        elif options.format in ("auto", "crm"):
            kind = crm_csv.kind_of(dialect.header)
        if kind is None:
            raise UnreadableFile(
                f"{path}: unknown format (columns: {', '.join(dialect.header)}). Expected a transaction-line "
                f"export (invoice/order number, product code, quantity, date, unit price; optional description, "
                f"customer id, country) or one of the crm CSV files ({crm_csv.describe_kinds()}).")
        planned.append(PlannedFile(path, dialect, kind))
    planned.sort(key=lambda p: crm_csv.LOAD_ORDER.index(p.kind))
    return planned


def run_import(engine: Engine, paths: list[Path], options: ImportOptions, acting_login: str,
               progress: Progress | None = None) -> ImportSummary:
    started = time.perf_counter()
    planned = plan(paths, options)
    summary = ImportSummary()
    summary.phases["plan"] = time.perf_counter() - started
    with collector_paused():
        return _run(engine, planned, options, acting_login, progress, summary, started)


def _run(engine: Engine, planned: list[PlannedFile], options: ImportOptions, acting_login: str,
         progress: Progress | None, summary: ImportSummary, started: float) -> ImportSummary:
    rejects = RejectLog(options.reject_file, summary)

    def import_files(writer: ShopWriter, summary: ImportSummary, rejects, progress) -> None:
        for item in planned:
            _import_file(item, writer, summary, rejects, options, acting_login, progress)

    reader = None
    if options.parallel and parallel.AVAILABLE and all(item.kind == "lines" for item in planned):
        engine.dispose()  # no SQLite connection may be open when the reader is forked
        reader = parallel.ReaderProcess(engine.url.render_as_string(hide_password=False), import_files)
    try:
        with engine.connect().execution_options(sqlite_immediate=True) as conn, bulk_loading(conn):
            transaction = conn.begin()
            try:
                rollups.suspend(conn)  # rebuilt set-based below, for the months touched
                writes = Writes(conn, summary.count_lines)
                ids = first_ids(conn)
                clock = _PhaseClock(summary)
                if reader is not None:
                    counts = reader.run(writes, summary, rejects, options.shop_zone, options.sku_case, ids, progress)
                else:
                    writer = ShopWriter(conn, writes, options.shop_zone, ids=ids, sku_case=options.sku_case)
                    import_files(writer, summary, rejects, progress)
                    writer.finish()
                    counts = writer.counts
                fix_sequences(conn, ("product", "customer", "shop_order", "line_description"))
                clock.lap("load")
                corrections = history.settle(conn, writes, ids["shop_order"], acting_login)
                clock.lap("settle")
                summary.updated += corrections.updated
                summary.unchanged += corrections.unchanged
                summary.duplicates += corrections.duplicates
                if options.state_locale is not None:
                    store_locale(conn, options.state_locale)
                if (touched := writes.touched_days()) is not None:
                    rollups.rebuild(conn, *touched)
                rollups.resume(conn)
                clock.lap("rollups")
                _copy_counts(counts, summary)
                if options.dry_run or (options.strict and summary.rejected):
                    transaction.rollback()
                else:
                    transaction.commit()
                    summary.committed = True
                clock.lap("commit")
            except BaseException:
                transaction.rollback()
                raise
    finally:
        summary.reject_file = rejects.close()
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary


class _PhaseClock:
    """Seconds since the last lap, into summary.phases."""

    def __init__(self, summary: ImportSummary):
        self.summary, self.last = summary, time.perf_counter()

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        self.summary.phases[phase] = self.summary.phases.get(phase, 0.0) + now - self.last
        self.last = now


def _import_file(item: PlannedFile, writer: ShopWriter, summary: ImportSummary, rejects: RejectLog,
                 options: ImportOptions, acting_login: str, progress: Progress | None) -> None:
    dialect = item.dialect
    decimal_comma = dialect.decimal_comma if options.decimal_comma is None else options.decimal_comma
    dayfirst = options.dayfirst if options.dayfirst is not None else bool(dialect.dayfirst)
    if options.decimal_comma is None and dialect.decimal_comma:
        summary.warnings.append(f"{item.path.name}: numbers use a decimal comma (detected)")
    if options.dayfirst is None:
        summary.warnings.extend(f"{item.path.name}: {note}" for note in dialect.notes)
    rows_before = summary.rows_read
    size = item.path.stat().st_size

    def report(done: int, rows: int) -> None:
        if progress:
            progress(item.path.name, done, size, rows)

    if item.kind == "lines":
        import_lines(item.path, dialect, writer, summary, rejects, decimal_comma=decimal_comma, dayfirst=dayfirst,
                     column_map=options.column_map, shop_zone=options.shop_zone, progress=report)
    else:
        crm_csv.import_file(item.kind, item.path, dialect, writer, summary, rejects, decimal_comma=decimal_comma,
                            dayfirst=dayfirst, shop_zone=options.shop_zone, acting_login=acting_login,
                            progress=report, empty_clears=options.empty_clears)
    summary.files.append({"file": str(item.path), "format": item.kind, "read_as": dialect.describe(),
                          "rows_read": summary.rows_read - rows_before})


def _copy_counts(counts: WriterCounts, summary: ImportSummary) -> None:
    summary.customers_created = counts.customers_created
    summary.customers_updated = counts.customers_updated
    summary.products_created = counts.products_created
    summary.orders_created = counts.orders_created
    summary.adjustment_lines = counts.adjustment_lines
    summary.adjustment_cents = counts.adjustment_cents
    summary.unknown_country_rows = sum(counts.unknown_countries.values())
    if counts.unknown_countries:
        named = ", ".join(f"{name!r} ({rows:,})" for name, rows in
                          sorted(counts.unknown_countries.items(), key=lambda item: -item[1])[:5])
        summary.warnings.append(f"{summary.unknown_country_rows:,} rows name a country that is not recognised "
                                f"({named}): kept, with the country unknown")
    if counts.adjustment_lines:
        summary.warnings.append(f"{counts.adjustment_lines:,} lines are adjustments, not sales (adjustment "
                                f"documents and codes), net {counts.adjustment_cents / 100:,.2f}: imported both "
                                "sides as non-merchandise")
    if counts.guessed_zones:
        named = ", ".join(f"{country} {n:,} ({time_zone_for(country)})" for country, n in
                          sorted(counts.guessed_zones.items(), key=lambda item: (-item[1], item[0]))[:8])
        guessed = sum(counts.guessed_zones.values())
        summary.warnings.append(f"{guessed:,} new {'customer lives' if guessed == 1 else 'customers live'} in "
                                f"countries with several time zones and were given the main one: {named}; their "
                                "calling hours may be off by the difference")
    if counts.customers_with_several_countries:
        summary.warnings.append(f"{counts.customers_with_several_countries} customers appear under several "
                                "countries; each keeps the first known one")
