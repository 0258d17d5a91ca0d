"""Settings of the HTTP server: one table with defaults and help, read like the node's own.

A value comes from the environment (`COOP_` + the upper-case name), then the
node's `node.toml`, then the default here. The body size limit and the number of
threads are node settings (`max_body`, `threads` in coop/config.py).
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coop.config import Setting, read_node_file, resolve
from coop.errors import BadInput

SETTINGS: dict[str, Setting] = {
    "cors_origins": Setting("*", "Origins of allied web apps allowed to call the API from a browser: '*' or a comma-separated list."),
    "rate_reads": Setting(1200, "Reads (GET, HEAD, OPTIONS) one client may make per minute; 0 for no limit.", int),
    "rate_writes": Setting(60, "Writes (POST) one client may make per minute; 0 for no limit.", int),
    "answers_kept": Setting(512, "Read answers kept until the next commit, by URL (0 to build every answer anew).", int),
    "proxies": Setting(0, "How many reverse proxies stand in front of the server (their X-Forwarded-For is trusted).", int),
    "webhook_allow_private": Setting(False, "Deliver webhooks to loopback and private addresses too (development and tests).", bool),
    "webhook_timeout": Setting(5.0, "Seconds one webhook request may take in all: connect, send and the answer's headers.", float),
    "webhook_backoff": Setting(2.0, "Seconds before the first retry of a failed delivery; doubled for each retry after.", float),
    "webhook_backoff_max": Setting(3600.0, "Longest wait between two attempts of one delivery, in seconds.", float),
    "webhook_attempts": Setting(25, "Attempts after which a delivery is given up and marked failed.", int),
    "webhook_poll": Setting(1.0, "Seconds between two looks at the repository for commits made outside this server.", float),
    "webhook_workers": Setting(4, "Deliveries made at the same time (to different apps); at least 2.", int),
    "webhook_per_owner": Setting(2, "Deliveries at the same time to the apps of one owner; fewer than webhook_workers.", int),
}


@dataclass(frozen=True)
class ApiSettings:
    """Resolved settings of the HTTP server."""

    values: Mapping[str, Any]

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def cors_origins(self) -> frozenset[str]:
        """Return the allowed browser origins ('*' for any)."""
        return frozenset(o.strip() for o in self.values["cors_origins"].split(",") if o.strip())


def load(home: Path, overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> ApiSettings:
    """Resolve every server setting from overrides, environment, node.toml and defaults."""
    env = os.environ if environ is None else environ
    given = dict(overrides or {})
    unknown = set(given) - set(SETTINGS)
    if unknown:
        raise BadInput(f"unknown server settings: {', '.join(sorted(unknown))}")
    values = resolve(SETTINGS, given, env, read_node_file(home))
    if not 1 <= values["webhook_per_owner"] < values["webhook_workers"]:
        raise BadInput(f"webhook_per_owner ({values['webhook_per_owner']}) must be at least 1 and below webhook_workers "
                       f"({values['webhook_workers']}), so that one owner's slow receivers never hold every worker")
    return ApiSettings(values)
