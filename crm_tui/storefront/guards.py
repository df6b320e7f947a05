"""What keeps the web shop's forms safe: the CSRF token and the per-address rate limit."""

import hmac
import secrets
import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from datetime import datetime, timedelta

CSRF_COOKIE = "shop_csrf"
CSRF_FIELD = "csrf_token"


def new_csrf_token() -> str:
    return secrets.token_urlsafe(24)


def csrf_ok(cookie: str | None, submitted: object) -> bool:
    """Double submit: the form's hidden field must equal the cookie this browser was given."""
    return bool(cookie) and isinstance(submitted, str) and hmac.compare_digest(cookie or "", submitted)


class RateLimit:
    """At most `limit` uses per `window` per address; remembers at most `addresses` addresses
    (the least recently seen are forgotten first), so memory stays bounded under a flood."""

    def __init__(self, clock: Callable[[], datetime], limit: int = 5, window: timedelta = timedelta(minutes=10),
                 addresses: int = 10_000):
        self.clock, self.limit, self.window, self.addresses = clock, limit, window, addresses
        self._uses: OrderedDict[str, deque[datetime]] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, address: str) -> bool:
        now = self.clock()
        with self._lock:
            uses = self._uses.pop(address, None) or deque()
            while uses and uses[0] <= now - self.window:
                uses.popleft()
            allowed = len(uses) < self.limit
            if allowed:
                uses.append(now)
            self._uses[address] = uses
            while len(self._uses) > self.addresses:
                self._uses.popitem(last=False)
            return allowed
