"""`crm-tui import` of a 1,000,000-line transaction export, against its anchors, in one run.

Anchors: the sqlite3 CLI's `.import` of the same file into one raw table (the physical limit:
no validation, no normalisation, no indexes) and `sqlite-utils insert --csv` (what a Python
user would reach for). Goal: crm-tui within 3x the sqlite3 CLI, far ahead of sqlite-utils,
peak memory under 300 MB.
"""

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.retail_export import write_export
from crm_tui.settings import os_login

LINES = int(os.environ.get("BENCH_IMPORT_LINES", "1000000"))


def timed(command: list[str], **kwargs) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=True, **kwargs)
    return time.perf_counter() - started, result


def main() -> None:
    bin_dir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        export = write_export(tmp / "export.csv", LINES, seed=1)
        size_mb = export.stat().st_size / 1e6
        env = dict(os.environ)
        db = tmp / "shop.db"
        subprocess.run([bin_dir / "crm-tui", "staff", "add", os_login(), "--role", "ops", "--db", db], env=env,
                       check=True, capture_output=True)
        # The load itself (roll-ups included), then the marketing refresh an import runs by default,
        # timed apart: the first is what the goal is about.
        crm_seconds, result = timed([bin_dir / "crm-tui", "import", export, "--db", db, "--json", "--no-refresh"],
                                    env=env)
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        summary = json.loads(result.stdout)
        refresh_seconds, _ = timed([bin_dir / "crm-tui", "marketing", "refresh", "--db", db], env=env)

        cli_seconds, _ = timed(["sqlite3", tmp / "anchor.db", ".import --csv " + str(export) + " raw_lines"])
        utils = shutil.which("sqlite-utils", path=str(bin_dir))
        utils_seconds = None
        if utils:
            utils_seconds, _ = timed([utils, "insert", tmp / "utils.db", "raw_lines", export, "--csv"])

    print(f"file: {summary['rows_read']:,} lines, {size_mb:.0f} MB "
          f"({summary['duplicates']:,} duplicate lines, {summary['customers_created']:,} customers, "
          f"{summary['orders_created']:,} orders)")
    print(f"crm-tui import:          {crm_seconds:6.2f} s  {summary['rows_read'] / crm_seconds:>10,.0f} rows/s  "
          f"peak RSS {peak_mb:.0f} MB (goal < 300 MB)")
    print(f"then segments and offers refreshed in {refresh_seconds:.2f} s (crm-tui import does it unless "
          f"--no-refresh; with it the import takes {(crm_seconds + refresh_seconds) / cli_seconds:.2f}x the sqlite3 CLI)")
    print(f"sqlite3 CLI .import:     {cli_seconds:6.2f} s  ratio crm-tui/sqlite3 = {crm_seconds / cli_seconds:.2f}x "
          f"(goal <= 3x)")
    if utils_seconds:
        print(f"sqlite-utils insert:     {utils_seconds:6.2f} s  ratio sqlite-utils/crm-tui = "
              f"{utils_seconds / crm_seconds:.2f}x")
    else:
        print("sqlite-utils: not installed (make bench installs it)")


if __name__ == "__main__":
    main()
