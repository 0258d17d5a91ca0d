"""A small Matrix client-server API client: what the bridge needs, with backoff and rate limits.

Every call retries when the homeserver is unreachable, answers 5xx or rate-limits
(429 with `retry_after_ms`), waiting longer each time up to a ceiling; other
errors are raised as `MatrixError`.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import quote

import requests

from coop.errors import MatrixError

CLIENT = "/_matrix/client/v3"
BACKOFF_FIRST = 0.5
BACKOFF_MAX = 30.0


class Matrix:
    """A Matrix client with an access token; `sleep` and `log` are replaceable for tests and the CLI."""

    def __init__(self, homeserver: str, token: str | None = None, session: requests.Session | None = None,
                 sleep: Callable[[float], None] = time.sleep, log: Callable[[str], None] = lambda line: None,
                 backoff_max: float = BACKOFF_MAX) -> None:
        self.base = homeserver.rstrip("/")
        self.token = token
        self.http = session or requests.Session()
        self.sleep = sleep
        self.log = log
        self.backoff_max = backoff_max
        self.txn = int(time.time() * 1000)

    def call(self, method: str, path: str, body: Mapping[str, Any] | None = None,
             params: Mapping[str, Any] | None = None, http_timeout: float = 30.0) -> dict[str, Any]:
        """Send one request, waiting out outages and rate limits; return the JSON answer."""
        wait = BACKOFF_FIRST
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        while True:
            try:
                answer = self.http.request(method, self.base + path, json=body, params=params,
                                           headers=headers, timeout=http_timeout)
            except requests.RequestException as e:
                self.log(f"homeserver unreachable ({type(e).__name__}); retrying in {wait:.1f}s")
            else:
                if answer.status_code < 400:
                    return answer.json()
                error = _error(answer)
                if answer.status_code == 429:
                    wait = max(wait, error.get("retry_after_ms", 0) / 1000)
                    self.log(f"rate-limited; retrying in {wait:.1f}s")
                elif answer.status_code < 500:
                    raise MatrixError(answer.status_code, error.get("errcode", "?"), error.get("error", answer.text[:200]))
                else:
                    self.log(f"homeserver answered {answer.status_code}; retrying in {wait:.1f}s")
            self.sleep(wait)
            wait = min(wait * 2, self.backoff_max)

    # -- the calls the bridge makes --------------------------------------------------------

    def login(self, user: str, password: str) -> str:
        """Log in with a password and keep the access token."""
        answer = self.call("POST", f"{CLIENT}/login", {"type": "m.login.password",
                                                        "identifier": {"type": "m.id.user", "user": user},
                                                        "password": password})
        self.token = answer["access_token"]
        return self.token

    def whoami(self) -> str:
        """Return the bridge's own Matrix user ID."""
        return self.call("GET", f"{CLIENT}/account/whoami")["user_id"]

    def join(self, room: str) -> str:
        """Join a room by alias or ID and return its ID."""
        return self.call("POST", f"{CLIENT}/join/{quote(room, safe='')}", {})["room_id"]

    def sync(self, since: str | None, timeout_ms: int = 0) -> dict[str, Any]:
        """Return the next /sync batch after `since` (None: the first sync)."""
        params: dict[str, Any] = {"timeout": timeout_ms}
        if since:
            params["since"] = since
        return self.call("GET", f"{CLIENT}/sync", params=params, http_timeout=timeout_ms / 1000 + 30)

    def messages_before(self, room_id: str, token: str, limit: int = 100) -> Iterator[dict[str, Any]]:
        """Yield a room's events backwards from a pagination token, newest first, to the room's start."""
        while token:
            page = self.call("GET", f"{CLIENT}/rooms/{quote(room_id, safe='')}/messages",
                             params={"dir": "b", "limit": limit, "from": token})
            yield from page.get("chunk", [])
            if not page.get("chunk") or page.get("end") in (None, token):
                return
            token = page["end"]

    def send(self, room_id: str, text: str) -> str:
        """Post a plain-text message; return its event ID."""
        self.txn += 1
        path = f"{CLIENT}/rooms/{quote(room_id, safe='')}/send/m.room.message/{self.txn}"
        return self.call("PUT", path, {"msgtype": "m.notice", "body": text})["event_id"]

    def direct_room(self, user_id: str) -> str:
        """Open a direct-message room with one user (for the links no one else may see) and return its ID."""
        return self.call("POST", f"{CLIENT}/createRoom", {"invite": [user_id], "is_direct": True,
                                                          "preset": "trusted_private_chat"})["room_id"]


def _error(answer: requests.Response) -> dict[str, Any]:
    try:
        found = answer.json()
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}
