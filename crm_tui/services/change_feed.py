"""What other connections changed, pushed to the screens that show it: PostgreSQL's LISTEN/NOTIFY.

The database notifies a channel per topic (migration 0012's statement triggers on the callback
queue and the inbox); one thread per console listens on its own connection and calls each
subscriber of the topic. SQLite has no such thing: `subscribe` returns None and the screen polls.
If the listening connection is lost, the thread connects again and tells every subscriber once
(something may have changed meanwhile), so nothing is missed silently.
"""

import threading
from collections.abc import Callable

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

TOPICS = {"queue": "crm_tui_queue", "inbox": "crm_tui_inbox"}
RECONNECT_SECONDS = 2.0


class ChangeFeed:
    def __init__(self, engine: Engine):
        self._url = engine.url
        self._subscribers: dict[str, list[Callable[[], None]]] = {topic: [] for topic in TOPICS}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._listening = threading.Event()
        self._thread: threading.Thread | None = None
        self.failure: str | None = None  # the last reason the listening connection was lost

    @property
    def live(self) -> bool:
        return self._url.get_backend_name() == "postgresql"

    def subscribe(self, topic: str, changed: Callable[[], None]) -> Callable[[], None] | None:
        """Call `changed` (in the feed's thread) whenever `topic` changes; returns what ends the
        subscription, or None when this database cannot push changes (poll instead)."""
        if not self.live:
            return None
        with self._lock:
            self._subscribers[topic].append(changed)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="crm-tui change feed", daemon=True)
                self._thread.start()

        def end() -> None:
            with self._lock:
                if changed in self._subscribers[topic]:
                    self._subscribers[topic].remove(changed)
        return end

    def wait_listening(self, timeout: float) -> bool:
        return self._listening.wait(timeout)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _tell(self, topics) -> None:
        with self._lock:
            callbacks = [c for topic in topics for c in self._subscribers.get(topic, [])]
        for changed in callbacks:
            changed()

    def _run(self) -> None:
        import psycopg

        channels = {channel: topic for topic, channel in TOPICS.items()}
        conninfo = make_url(self._url).set(drivername="postgresql").render_as_string(hide_password=False)
        first = True
        while not self._stop.is_set():
            try:
                with psycopg.connect(conninfo, autocommit=True) as conn:
                    for channel in channels:
                        conn.execute(f"LISTEN {channel}")
                    self._listening.set()
                    if not first:
                        self._tell(TOPICS)  # reconnected: whatever changed meanwhile is shown
                    first = False
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=0.5):  # returns at the timeout to see _stop
                            self._tell([channels[note.channel]])
            except psycopg.Error as exc:
                self._listening.clear()
                self.failure = str(exc).strip()
                self._stop.wait(RECONNECT_SECONDS)
