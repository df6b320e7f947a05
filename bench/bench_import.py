"""`crm-tui import` of retail-shaped transaction exports (bench/retail_export.py), against its
anchors, in one run: 500,000 and 1,000,000 lines (BENCH_IMPORT_SIZES), each imported twice.

Anchors, on the same file: the sqlite3 CLI's `.import` into one raw table (the physical limit: no
validation, no normalisation, no indexes) and `sqlite-utils insert --csv` (what a Python user
would reach for). Goal: crm-tui, with the marketing refresh an import runs by default, within 3x
the sqlite3 CLI; peak memory under 300 MB; a corrected month re-imported into the full shop in
under 2 s. Printed: the ratios, peak RSS, where the time went (the import's own phases) and the
corrected month's figures.
"""

import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.retail_export import write_export
from crm_tui.settings import os_login

SIZES = [int(n) for n in os.environ.get("BENCH_IMPORT_SIZES", "500000,1000000").split(",")]
RUNS = 2
CORRECTED_MONTH = "6/"  # June 2011 (InvoiceDate is M/D/YYYY)
CORRECTIONS = 10


def timed(command: list, **kwargs) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=True, **kwargs)
    return time.perf_counter() - started, result


def peak_mb(command: list) -> tuple[float, float, dict]:
    """Wall seconds, peak RSS of the command and its children (MB), and its JSON output."""
    seconds, result = timed(["/usr/bin/time", "-f", "%M", *command])
    rss_kb = int(result.stderr.strip().splitlines()[-1])
    return seconds, rss_kb / 1024, json.loads(result.stdout)


def corrected_month(export: Path, target: Path) -> tuple[int, int]:
    """The lines of one month's invoices, with CORRECTIONS quantities changed (one per invoice):
    (lines, invoices changed)."""
    with export.open(newline="", encoding="utf-8") as source:
        rows = list(csv.reader(source))
    header, month = rows[0], [r for r in rows[1:] if r[4].startswith(CORRECTED_MONTH) and "/2011" in r[4]]
    changed: set[str] = set()
    for row in month:
        if len(changed) < CORRECTIONS and row[0] not in changed and not row[0].startswith("C") and row[6]:
            row[3] = str(int(row[3]) + 1)
            changed.add(row[0])
    with target.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows([header, *month])
    return len(month), len(changed)


def main() -> None:
    crm = Path(sys.executable).parent / "crm-tui"
    utils = shutil.which("sqlite-utils", path=str(Path(sys.executable).parent))
    for lines in SIZES:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            export = write_export(tmp / "export.csv", lines, seed=1)
            print(f"-- {lines:,} lines, {export.stat().st_size / 1e6:.0f} MB", flush=True)
            for run in range(1, RUNS + 1):
                db = tmp / f"shop{run}.db"
                subprocess.run([crm, "staff", "add", os_login(), "--role", "ops", "--db", db], check=True,
                               capture_output=True)
                seconds, rss, summary = peak_mb([crm, "import", export, "--db", db, "--json"])
                cli_seconds, _ = timed(["sqlite3", tmp / f"anchor{run}.db", f".import --csv {export} raw_lines"])
                phases = ", ".join(f"{name} {value:.2f}" for name, value in summary["phases"].items())
                print(f"run {run}: crm-tui import {seconds:6.2f} s (refresh included), sqlite3 CLI .import "
                      f"{cli_seconds:5.2f} s: ratio {seconds / cli_seconds:.2f}x (goal <= 3x); peak RSS {rss:.0f} MB "
                      f"(goal < 300 MB)", flush=True)
                print(f"       phases (s): {phases}; outside them (start-up, opening): "
                      f"{seconds - summary['seconds'] - summary['phases'].get('refresh', 0):.2f}", flush=True)
            print(f"       {summary['rows_read']:,} rows: {summary['imported']:,} imported, {summary['duplicates']:,} "
                  f"duplicates, {summary['rejected']:,} rejected; {summary['customers_created']:,} customers, "
                  f"{summary['orders_created']:,} orders, {summary['products_created']:,} products")
            if utils:
                utils_seconds, _ = timed([utils, "insert", tmp / "utils.db", "raw_lines", export, "--csv"])
                print(f"sqlite-utils insert: {utils_seconds:6.2f} s ({utils_seconds / seconds:.2f}x crm-tui's time)")
            else:
                print("sqlite-utils: not installed (make bench installs it)")
            month_lines, changed = corrected_month(export, tmp / "june.csv")
            again, rss, summary = peak_mb([crm, "import", tmp / "june.csv", "--db", tmp / "shop1.db", "--json"])
            print(f"corrected month: {month_lines:,} lines, {changed} invoices changed, re-imported into the full shop "
                  f"in {again:.2f} s (goal <= 2 s): updated {summary['updated']:,}, unchanged "
                  f"{summary['unchanged']:,}; phases (s): "
                  + ", ".join(f"{name} {value:.2f}" for name, value in summary["phases"].items()), flush=True)


if __name__ == "__main__":
    main()
