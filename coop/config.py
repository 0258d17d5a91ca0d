"""Node settings: one table of every setting with its default and help.

A value comes from, in order: the command line, the environment (`COOP_` + the
upper-case name), the node's `node.toml`, the default here.
"""
from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w

from coop.errors import BadInput


@dataclass(frozen=True)
class Setting:
    """One setting: its default, its type and what it is for."""

    default: Any
    help: str
    kind: type = str


SETTINGS: dict[str, Setting] = {
    "home": Setting("./coop-data", "Data directory of the node: repo.git, index.sqlite, keys/, node.toml."),
    "database_url": Setting("", "Index database URL; empty means SQLite at <home>/index.sqlite (e.g. postgresql://user@host/coop)."),
    "node_name": Setting("", "This node's name: signs its commits and appears in keys/allowed_signers."),
    "identity": Setting("", "Default identity (handle) for commands when --as is not given."),
    "listen": Setting("127.0.0.1:8000", "Address the HTTP server listens on."),
    "public_url": Setting("", "Address people reach the co-op's node at, e.g. https://coop.example: join links point there. "
                              "In a member's own home (`coop join`), the node it joined."),
    "demo": Setting(False, "A demo node (`coop init --demo`): its people are made up, so it holds their keys and may make more "
                           "(`coop member add`, `coop learner join` without --public-key); a real co-op invites.", bool),
    "kdf_cost": Setting("interactive", "Argon2id cost for encrypting private keys: min, interactive, moderate or sensitive."),
    "max_body": Setting(65536, "Largest accepted HTTP request body in bytes.", int),
    "threads": Setting(8, "Worker threads of the HTTP server.", int),
}
NODE_FILE = "node.toml"
TRUE = ("1", "true", "yes", "on")
FALSE = ("0", "false", "no", "off")


@dataclass(frozen=True)
class Config:
    """Resolved settings of one node."""

    values: Mapping[str, Any]

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    @property
    def home(self) -> Path:
        """Return the node's data directory."""
        return Path(self.values["home"])


def load(overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Resolve every setting from overrides, environment, node.toml and defaults."""
    env = os.environ if environ is None else environ
    given = {k: v for k, v in (overrides or {}).items() if v is not None}
    unknown = set(given) - set(SETTINGS)
    if unknown:
        raise BadInput(f"unknown settings: {', '.join(sorted(unknown))}")
    home = Path(given.get("home") or env.get("COOP_HOME") or SETTINGS["home"].default)
    values = resolve(SETTINGS, given, env, read_node_file(home))
    values["home"] = str(home)
    return Config(values)


def resolve(table: Mapping[str, Setting], given: Mapping[str, Any], environ: Mapping[str, str],
            stored: Mapping[str, Any]) -> dict[str, Any]:
    """Take each setting of a table from `given`, else COOP_<NAME>, else node.toml, else its default."""
    values: dict[str, Any] = {}
    for name, setting in table.items():
        if name in given:
            raw = given[name]
        elif f"COOP_{name.upper()}" in environ:
            raw = environ[f"COOP_{name.upper()}"]
        else:
            raw = stored.get(name, setting.default)
        values[name] = convert(name, raw, setting.kind)
    return values


def convert(name: str, raw: Any, kind: type) -> Any:
    """Turn a setting's text or value into its kind; numbers are never negative."""
    if kind is bool:
        if isinstance(raw, bool):
            return raw
        if str(raw).strip().lower() in TRUE + FALSE:
            return str(raw).strip().lower() in TRUE
        raise BadInput(f"setting {name} is true or false, got {raw!r}")
    try:
        value = kind(raw)
    except (TypeError, ValueError) as e:
        raise BadInput(f"setting {name} must be a {kind.__name__}, got {raw!r}") from e
    if kind in (int, float) and value < 0:
        raise BadInput(f"setting {name} cannot be negative")
    return value


def read_node_file(home: Path) -> dict[str, Any]:
    """Return the settings stored in <home>/node.toml (empty if there is none)."""
    path = home / NODE_FILE
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as e:
        raise BadInput(f"{path} is not valid TOML: {e}") from e


def write_node_file(home: Path, values: Mapping[str, Any]) -> None:
    """Write node settings atomically."""
    unknown = set(values) - set(SETTINGS)
    if unknown:
        raise BadInput(f"unknown settings: {', '.join(sorted(unknown))}")
    path = home / NODE_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(tomli_w.dumps(dict(values)))
    os.replace(tmp, path)
