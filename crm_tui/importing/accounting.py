"""Where every input row ends up: the import summary and the reject file."""

import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from crm_tui.services.safe_csv import csv_writer


@dataclass
class ImportSummary:
    rows_read: int = 0
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    rejected: int = 0
    customers_created: int = 0
    customers_updated: int = 0
    products_created: int = 0
    orders_created: int = 0
    order_lines_created: int = 0
    adjustment_lines: int = 0  # imported lines that are adjustments, not sales (also in imported)
    adjustment_cents: int = 0
    unknown_country_rows: int = 0  # rows kept with their country unknown
    reject_file: str | None = None
    seconds: float = 0.0
    # Where the time went: plan, load (reading and writing the rows), settle (corrections and
    # facts from history), rollups, commit; and reading (the reader process's own CPU time).
    phases: dict[str, float] = field(default_factory=dict)
    committed: bool = False
    warnings: list[str] = field(default_factory=list)
    files: list[dict] = field(default_factory=list)

    JSON_KEYS = ("rows_read", "imported", "updated", "unchanged", "duplicates", "rejected", "customers_created",
                 "customers_updated", "products_created", "orders_created", "order_lines_created", "reject_file",
                 "seconds")

    def count_lines(self, new_lines: int, written_new: int, old_lines: int, written_old: int) -> None:
        """Lines of new orders not written were duplicates; of orders already there, unchanged."""
        self.imported += written_new + written_old
        self.order_lines_created += written_new + written_old
        self.duplicates += new_lines - written_new
        self.unchanged += old_lines - written_old

    def accounted(self) -> int:
        return self.imported + self.updated + self.unchanged + self.duplicates + self.rejected

    def as_json(self) -> dict:
        data = asdict(self)
        return {key: data[key] for key in self.JSON_KEYS} | {
            "adjustments": {"lines": self.adjustment_lines, "amount": f"{self.adjustment_cents / 100:.2f}"},
            "unknown_country_rows": self.unknown_country_rows, "committed": self.committed,
            "phases": {name: round(seconds, 3) for name, seconds in self.phases.items()},
            "warnings": self.warnings}


class RejectLog:
    """Rejected rows, streamed to a CSV (file, line, column, value, reason, row)."""

    HEADER = ("file", "line", "column", "value", "reason", "row")

    def __init__(self, target: Path | None, summary: ImportSummary, delimiter: str = ","):
        self.target = target
        self.summary = summary
        self._tmp = tempfile.NamedTemporaryFile("w", newline="", encoding="utf-8", suffix=".csv", delete=False,
                                                prefix="crm-tui-rejects-",
                                                dir=str(target.parent) if target else None)
        self._writer = csv_writer(self._tmp)
        self._writer.writerow(self.HEADER)
        self.examples: list[str] = []

    def reject(self, file: str, line: int, column: str, value: str, reason: str, row: list[str] | None = None) -> None:
        self.summary.rejected += 1
        self._writer.writerow((file, line, column, value, reason, "|".join(row) if row else ""))
        if len(self.examples) < 5:
            where = f"{file}, line {line}" + (f", column {column}" if column else "")
            self.examples.append(f"{where}: {reason}")

    def close(self) -> str | None:
        """Keep the file only when something was rejected; returns its path."""
        self._tmp.close()
        tmp = Path(self._tmp.name)
        if self.summary.rejected == 0:
            tmp.unlink(missing_ok=True)
            return None
        target = self.target or Path.cwd() / tmp.name
        shutil.move(tmp, target)
        return str(target)
