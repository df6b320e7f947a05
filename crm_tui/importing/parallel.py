"""Transaction-line files read in a second process while this one writes.

Reading a CSV and resolving its rows is Python work; writing them is SQLite's. On two cores
they overlap: a reader process parses and resolves (through its own connection, which sees
the shop as it was before the import, i.e. what is "already there") and streams the writes
through a pipe; this process applies them in the import's one transaction, so the import
still commits as a whole or not at all.

The reader is forked before this process opens any connection (SQLite must not be carried
across fork) and waits for the first free ids, which are read only once the write lock is
held. If either process dies, the other sees the pipe break: the import fails and nothing
is written.
"""

import multiprocessing
import time
import traceback
from dataclasses import asdict
from multiprocessing.connection import Connection as Pipe

from crm_tui.db import make_engine
from crm_tui.importing.accounting import ImportSummary, RejectLog
from crm_tui.importing.bulk import Writes
from crm_tui.importing.shop_writer import ShopWriter, WriterCounts
from crm_tui.importing.sniff import UnreadableFile

AVAILABLE = "fork" in multiprocessing.get_all_start_methods()


class ReaderFailed(RuntimeError):
    """The reading process failed or died: nothing was written; the message is one sentence."""


class _PipedWrites:
    def __init__(self, pipe: Pipe):
        self.pipe = pipe

    def insert(self, table, columns, rows) -> None:
        if rows:
            self.pipe.send(("insert", table, columns, rows))

    def execute(self, sql, params=None) -> None:
        self.pipe.send(("execute", sql, params))

    def lines(self, new_order_lines, older_order_lines, replace) -> None:
        self.pipe.send(("lines", new_order_lines, older_order_lines, replace))

    def touch_order(self, order_id: int) -> None:
        self.pipe.send(("touch_order", order_id))


class _PipedRejects:
    def __init__(self, pipe: Pipe):
        self.pipe = pipe

    def reject(self, *args) -> None:
        self.pipe.send(("reject", *args))


class ReaderProcess:
    def __init__(self, url: str, import_files):
        """import_files(writer, summary, rejects, progress) loads every file (runs in the child)."""
        context = multiprocessing.get_context("fork")
        self.pipe, child_end = context.Pipe()
        self.process = context.Process(target=self._main, args=(url, import_files, child_end, self.pipe),
                                       daemon=True, name="crm-tui-import-reader")
        self.process.start()
        child_end.close()

    @staticmethod
    def _main(url: str, import_files, pipe: Pipe, parent_end: Pipe) -> None:
        # The fork copied the writer's end too: closed here, a writer that dies (even kill -9)
        # ends this process's wait with EOF instead of leaving it behind forever.
        parent_end.close()
        try:
            kind, ids, shop_zone, sku_case = pipe.recv()
            assert kind == "start"
            engine = make_engine(url)
            with engine.connect() as conn:
                summary = ImportSummary()
                writer = ShopWriter(conn, _PipedWrites(pipe), shop_zone, ids=ids, sku_case=sku_case)
                import_files(writer, summary, _PipedRejects(pipe),
                             lambda *state: pipe.send(("progress", *state)))
                writer.finish()
            pipe.send(("done", summary.rows_read, summary.warnings, summary.files, asdict(writer.counts),
                       time.process_time()))
        except UnreadableFile as exc:
            pipe.send(("unreadable", str(exc)))
        except (BrokenPipeError, EOFError):
            pass  # the writing process is gone: nothing to tell
        except BaseException as exc:
            pipe.send(("failed", "".join(traceback.format_exception_only(exc)).strip()))
        finally:
            pipe.close()

    def run(self, writes: Writes, summary: ImportSummary, rejects: RejectLog, shop_zone: str, sku_case: str,
            ids: dict[str, int], progress) -> WriterCounts:
        """Apply the reader's writes until it is done. The write lock must already be held (the
        first free ids were read under it)."""
        try:
            self.pipe.send(("start", ids, shop_zone, sku_case))
            while True:
                message = self.pipe.recv()
                kind = message[0]
                if kind == "lines":
                    writes.lines(message[1], message[2], message[3])
                elif kind == "insert":
                    writes.insert(*message[1:])
                elif kind == "execute":
                    writes.execute(*message[1:])
                elif kind == "touch_order":
                    writes.touch_order(message[1])
                elif kind == "reject":
                    rejects.reject(*message[1:])
                elif kind == "progress":
                    if progress:
                        progress(*message[1:])
                elif kind == "done":
                    _, rows_read, warnings, files, counts, reading = message
                    summary.phases["reading"] = reading
                    summary.rows_read += rows_read
                    summary.warnings.extend(warnings)
                    summary.files.extend(files)
                    return WriterCounts(**counts)
                elif kind == "unreadable":
                    raise UnreadableFile(message[1])
                else:
                    raise ReaderFailed(f"The import's reader process failed ({message[1]}): nothing was written.")
        except (EOFError, BrokenPipeError):
            raise ReaderFailed("The import's reader process died: nothing was written; run the import again.") from None
        finally:
            self.pipe.close()
            self.process.join(timeout=5)
            if self.process.is_alive():
                self.process.kill()
