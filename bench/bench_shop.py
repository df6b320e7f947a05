"""The web shop's server on one core: `crm-tui shop serve` start-up to its first page, and
requests per second for the catalogue page and the callback form (no goal yet: the figures).

Anchor: a bare Starlette app answering "ok" from the same uvicorn (one worker, one core), so
the ratio shows what the shop's own work (database, templates, session, visit log) costs.
"""

import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx2

REQUESTS = int(os.environ.get("BENCH_SHOP_REQUESTS", "600"))
CLIENTS = 8
BARE = """
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
app = Starlette(routes=[Route("/", lambda r: PlainTextResponse("ok"))])
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, started: float, proc: subprocess.Popen) -> float:
    while True:
        try:
            if httpx2.get(url, timeout=1).status_code == 200:
                return time.perf_counter() - started
        except httpx2.TransportError:
            pass
        if proc.poll() is not None:
            raise RuntimeError(proc.stderr.read().decode() if proc.stderr else "the server stopped")
        time.sleep(0.01)


def hammer(base: str, path: str, form: bool) -> float:
    """Requests per second from CLIENTS threads, each with its own session (and CSRF cookie)."""
    per_client = REQUESTS // CLIENTS
    clients = [httpx2.Client(base_url=base) for n in range(CLIENTS)]
    for client in clients:
        client.get("/terms")

    def run(client: httpx2.Client, n: int) -> None:
        for k in range(per_client):
            if form:  # one address for all: the shop is started with a --form-limit above the run's
                token = client.cookies.get("shop_csrf", "")
                client.post(path, data={"csrf_token": token, "phone": f"6{n:02d}{k:06d}"})
            else:
                client.get(path)

    threads = [threading.Thread(target=run, args=(c, n)) for n, c in enumerate(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    for client in clients:
        client.close()
    return per_client * CLIENTS / seconds


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "shop.db"
        subprocess.run([sys.executable, "-m", "crm_tui", "demo", "--db", str(db), "--customers", "2000"],
                       check=True, capture_output=True)
        port = free_port()
        started = time.perf_counter()
        shop = subprocess.Popen(["taskset", "-c", "0", sys.executable, "-m", "crm_tui", "shop", "serve", "--db",
                                 str(db), "--port", str(port), "--log-dir", str(Path(tmp) / "logs"),
                                 "--form-limit", "100000"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        bare = None
        try:
            startup = wait_for(f"http://127.0.0.1:{port}/", started, shop)
            bare_port = free_port()
            (Path(tmp) / "bare.py").write_text(BARE)
            bare = subprocess.Popen(["taskset", "-c", "0", sys.executable, "-m", "uvicorn", "--app-dir", tmp,
                                     "bare:app", "--port", str(bare_port), "--log-level", "warning"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            wait_for(f"http://127.0.0.1:{bare_port}/", time.perf_counter(), bare)
            base = f"http://127.0.0.1:{port}"
            page = httpx2.get(base + "/").text
            assert re.search(r"stock|light", page)
            catalogue = hammer(base, "/", form=False)
            callbacks = hammer(base, "/callback", form=True)
            anchor = hammer(f"http://127.0.0.1:{bare_port}", "/", form=False)
        finally:
            for proc in (shop, bare):
                if proc is not None:
                    proc.terminate()
                    proc.wait(10)
    print(f"shop serve: first page {startup:.2f} s after the command started (goal < 2 s)")
    print(f"catalogue page: {catalogue:,.0f} requests/s on one core; callback form: {callbacks:,.0f} requests/s "
          f"(each a write: the callback and the visit log)")
    print(f"anchor: bare Starlette 'ok' on the same uvicorn, one core: {anchor:,.0f} requests/s; "
          f"catalogue/anchor = {anchor / catalogue:.1f}x slower, callback/anchor = {anchor / callbacks:.1f}x slower")


if __name__ == "__main__":
    main()
