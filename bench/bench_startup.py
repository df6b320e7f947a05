"""Start-up to the first frame: `crm-tui --db demo.db` next to a bare Textual app, each started as
its own process in a 120x40 pseudo-terminal, measured in the same run, alternately. Goal: the
console's first frame within 1.5x the bare app's. Also printed: when the home screen (search box,
"Welcome, ...") is on screen, which needs the database.

The demo database (2,000 customers; you are its supervisor) is built once in bench/out/.
"""

import fcntl
import os
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

OUT = Path(__file__).parent / "out"
ROUNDS = int(os.environ.get("BENCH_STARTUP_ROUNDS", "9"))
BARE_APP = '''
from textual.app import App
from textual.widgets import Header, Static


class Bare(App):
    def compose(self):
        yield Header()
        yield Static("bare app ready")


Bare().run()
'''


def crm_tui() -> list[str]:
    return [str(Path(sys.executable).with_name("crm-tui"))]


def demo_database() -> Path:
    OUT.mkdir(exist_ok=True)
    path = OUT / "startup-demo.db"
    if not path.exists():
        subprocess.run([*crm_tui(), "demo", "--db", str(path), "--customers", "2000"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return path


def seconds_until(argv: list[str], *markers: bytes, timeout: float = 30.0) -> list[float]:
    """Seconds from starting `argv` in a fresh pseudo-terminal until each marker has been written."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"}
    started = time.perf_counter()
    process = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True)
    os.close(slave)
    seen, times = b"", []
    try:
        for marker in markers:
            while marker not in seen:
                ready, _, _ = select.select([master], [], [], timeout)
                if not ready:
                    raise TimeoutError(f"{argv[0]} wrote no {marker!r} in {timeout:.0f} s: {seen[-300:]!r}")
                seen += os.read(master, 1 << 16)
            times.append(time.perf_counter() - started)
    finally:
        process.kill()
        process.wait()
        os.close(master)
    return times


def main() -> None:
    db = demo_database()
    with tempfile.TemporaryDirectory() as tmp:
        bare = Path(tmp) / "bare_app.py"
        bare.write_text(BARE_APP)
        seconds_until([sys.executable, str(bare)], b"ready")  # warm the file cache for both
        seconds_until([*crm_tui(), "--db", str(db), "--lang", "en"], b"crm-tui", b"Welcome")
        bare_s, first_s, home_s = [], [], []
        for _ in range(ROUNDS):
            bare_s += seconds_until([sys.executable, str(bare)], b"ready")
            first, home = seconds_until([*crm_tui(), "--db", str(db), "--lang", "en"], b"crm-tui", b"Welcome")
            first_s.append(first)
            home_s.append(home)
    anchor = statistics.median(bare_s)
    print(f"start-up, median of {ROUNDS} runs each (120x40 pseudo-terminal, Python {sys.version.split()[0]})")
    print(f"  bare Textual app, first frame   {anchor * 1000:7.0f} ms   (anchor)")
    first, home = statistics.median(first_s), statistics.median(home_s)
    print(f"  crm-tui, first frame            {first * 1000:7.0f} ms   {first / anchor:.2f}x   (goal <= 1.5x)")
    print(f"  crm-tui, home screen ready      {home * 1000:7.0f} ms   {home / anchor:.2f}x")


if __name__ == "__main__":
    main()
