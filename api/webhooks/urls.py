"""Where each app's webhooks go: node-private, in `<home>/webhooks.json` (mode 0600), never in the repository.

A webhook URL often carries a secret token, and the repository is public, so an
app sets its URL on each node that should deliver to it, by a request signed with
its own key (`PUT /api/v1/apps/{id}/webhook`). An app record written before URLs
left the record may still name one: the node delivers to it until the app sets
(or clears) its URL here, but never shows it.
"""
from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from coop.errors import Conflict, IntegrityError

FILE = "webhooks.json"


class WebhookUrls:
    """The webhook URL of each app on this node, with the time of the signed request that set it."""

    def __init__(self, home: Path) -> None:
        self.path = home / FILE
        self._lock = threading.Lock()

    def _read(self) -> dict[str, dict[str, Any]]:
        try:
            found: dict[str, dict[str, Any]] = json.loads(self.path.read_text(encoding="utf-8"))["apps"]
        except FileNotFoundError:
            return {}
        except (ValueError, KeyError, TypeError) as e:
            raise IntegrityError(f"{self.path} is not a webhook settings file: {e}") from e
        return found

    def url(self, app_id: str, record: Mapping[str, Any] | None) -> str | None:
        """Return where the app's webhooks go: the URL it set on this node, else one its (older) record names."""
        entry = self._read().get(app_id)
        if entry is not None:
            url: str | None = entry["url"]
            return url
        return record.get("webhook") if record is not None else None

    def set(self, app_id: str, url: str | None, signed_at: int) -> None:
        """Set (or with None, clear) an app's URL, unless a request signed later already set it."""
        with self._lock:
            entries = self._read()
            previous = entries.get(app_id)
            if previous is not None and previous["signed_at"] > signed_at:
                raise Conflict(f"app {app_id!r} set its webhook URL by a request signed later than this one")
            entries[app_id] = {"url": url, "signed_at": signed_at}
            tmp = self.path.with_name(self.path.name + ".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump({"apps": entries}, f, sort_keys=True, indent=1)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
