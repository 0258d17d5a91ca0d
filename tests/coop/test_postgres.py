"""The index on a real PostgreSQL server (COOP_DATABASE_URL) gives the same rows as on SQLite."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import peewee
import pytest

# The whole node, made by the wiring: every area's index tables must read the same on PostgreSQL, not the kernel's alone.
from api.wiring import create_node, open_node

POSTGRES_BIN = sorted(Path("/usr/lib/postgresql").glob("*/bin"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def as_server_user(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its tools as the postgres user when we are root."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """Start a throwaway PostgreSQL on 127.0.0.1 for this module; stop and delete it afterwards."""
    if not POSTGRES_BIN:
        pytest.fail("PostgreSQL is not installed (.ci/run installs the Debian package postgresql)")
    bin_dir = POSTGRES_BIN[-1]
    # Not under pytest's temporary directory: its parent is private to root, and the server runs as postgres.
    data = Path(tempfile.mkdtemp(prefix="coop-pg-"))
    if os.geteuid() == 0:
        shutil.chown(data, "postgres", "postgres")
    port = free_port()
    subprocess.run(as_server_user([str(bin_dir / "initdb"), "-D", str(data), "-U", "coop", "--auth=trust", "-E", "UTF8"]),
                   check=True, capture_output=True)
    options = f"-c listen_addresses=127.0.0.1 -c port={port} -k {data} -c fsync=off"
    subprocess.run(as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-w", "-l", str(data / "log"), "start"]),
                   check=True, capture_output=True)
    try:
        subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "coop", "-d", "postgres", "-c", "CREATE DATABASE coop"],
                       check=True, capture_output=True)
        yield f"postgresql://coop@127.0.0.1:{port}/coop"
    finally:
        subprocess.run(as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"]), capture_output=True)
        shutil.rmtree(data, ignore_errors=True)


def test_a_node_made_with_a_database_url_keeps_its_index_there(postgres_url: str, home: Path) -> None:
    node = create_node({"home": str(home), "database_url": postgres_url}, "Test Co-op", "coop.example/test", "alice")

    assert isinstance(node.index.db, peewee.PostgresqlDatabase)
    assert any(node.index.dump().values()), "the index on PostgreSQL was not filled"
    node.index.db.close()


def test_index_on_postgresql_has_the_same_rows_as_on_sqlite(postgres_url: str, home: Path) -> None:
    node = create_node({"home": str(home), "database_url": postgres_url}, "Test Co-op", "coop.example/test", "alice")
    node.add_member("bob", ["member"], ["python"])
    node.add_member("carol", ["learner"], ["design"], author="bob")
    on_postgres = node.index.dump()
    node.index.db.close()
    on_sqlite = open_node({"home": str(home)})
    on_sqlite.refresh()
    assert on_sqlite.index.dump() == on_postgres


def test_index_rebuild_on_postgresql_gives_identical_rows(postgres_url: str, tmp_path: Path) -> None:
    node = create_node({"home": str(tmp_path / "n"), "database_url": postgres_url}, "Test Co-op", "coop.example/test", "alice")
    node.add_member("bob", ["member"], ["python"])
    before = node.index.dump()
    node.index.rebuild(node.store)
    assert node.index.dump() == before
