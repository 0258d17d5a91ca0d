"""Private keys: encrypted at rest, readable only by their owner, never inside the repository."""
from __future__ import annotations

import stat
from pathlib import Path

import pygit2
import pytest

from coop.errors import BadInput, BadSignature, CoopError, NotFound
from coop.keys import KeyPair, KeyStore, b64
from coop.node import Node

PASSPHRASE = "correct horse battery staple"


@pytest.fixture
def key_store(tmp_path: Path) -> KeyStore:
    """Return an empty key store with the cheapest KDF."""
    return KeyStore(tmp_path / "keys", PASSPHRASE, "min")


def test_key_file_is_readable_by_its_owner_only(key_store: KeyStore) -> None:
    key_store.create("alice")

    assert stat.S_IMODE((key_store.directory / "alice.key").stat().st_mode) == 0o600


def test_key_directory_is_closed_to_others(key_store: KeyStore) -> None:
    key_store.create("alice")

    assert stat.S_IMODE(key_store.directory.stat().st_mode) == 0o700


def test_seed_is_not_stored_in_clear(key_store: KeyStore) -> None:
    pair = key_store.create("alice")

    stored = (key_store.directory / "alice.key").read_bytes()

    for form in (pair.seed, pair.seed.hex().encode(), b64(pair.seed).encode()):
        assert form not in stored


def test_key_unlocks_with_the_right_passphrase(key_store: KeyStore) -> None:
    pair = key_store.create("alice")

    unlocked = KeyStore(key_store.directory, PASSPHRASE, "min").unlock("alice")

    assert unlocked.seed == pair.seed


def test_wrong_passphrase_is_refused(key_store: KeyStore) -> None:
    key_store.create("alice")

    with pytest.raises(BadSignature, match="wrong passphrase"):
        KeyStore(key_store.directory, "wrong passphrase", "min").unlock("alice")


def test_empty_passphrase_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="empty passphrase"):
        KeyStore(tmp_path / "keys", "", "min").create("alice")


def test_missing_key_is_not_found(key_store: KeyStore) -> None:
    with pytest.raises(NotFound, match="no key for 'alice'"):
        key_store.unlock("alice")


def test_existing_key_is_not_overwritten(key_store: KeyStore) -> None:
    key_store.create("alice")

    with pytest.raises(CoopError, match="already exists"):
        key_store.create("alice")


def test_key_file_for_an_unsafe_identity_is_refused(key_store: KeyStore) -> None:
    with pytest.raises(BadInput):
        key_store.save(KeyPair.generate("../alice"))


def test_node_keys_live_outside_the_repository(node: Node) -> None:
    repository = node.store.path.resolve()
    key_files = list((node.home / "keys").rglob("*.key"))

    assert key_files
    assert all(repository not in path.resolve().parents for path in key_files)
    assert not list(repository.rglob("*.key"))


def test_no_object_in_the_repository_holds_a_private_key(node: Node) -> None:
    seeds = [node.keys.unlock(handle).seed for handle in node.keys.identities()]
    repository = pygit2.Repository(str(node.store.path))

    contents = [repository[oid].read_raw() for oid in repository]

    assert len(seeds) >= 5
    assert not [seed for seed in seeds for data in contents if seed in data or b64(seed).encode() in data]


def test_a_key_store_derives_each_key_once(key_store: KeyStore, derivations: list[str]) -> None:
    key_store.sub("log").create("node")
    opened = KeyStore(key_store.directory, PASSPHRASE, "min")

    for _ in range(3):
        opened.sub("log").unlock("node")

    assert len(derivations) == 2  # one to seal the new key, one to open it


def test_the_public_half_of_a_held_key_reads_without_the_passphrase(key_store: KeyStore) -> None:
    pair = key_store.create("alice")

    assert KeyStore(key_store.directory, "not the passphrase", "min").public("alice") == pair.public


def test_a_deleted_key_is_gone_from_the_store_and_its_memory(key_store: KeyStore) -> None:
    key_store.create("alice")

    key_store.delete("alice")

    assert not key_store.has("alice")
    with pytest.raises(NotFound):
        key_store.unlock("alice")


def test_an_exported_key_imports_on_another_machine_under_its_passphrase(key_store: KeyStore, tmp_path: Path) -> None:
    pair = key_store.create("alice")
    other = KeyStore(tmp_path / "laptop", "another passphrase", "min")

    imported = other.import_key(key_store.export("alice", "for the trip"), "for the trip")

    assert imported.seed == pair.seed
    assert KeyStore(other.directory, "another passphrase", "min").unlock("alice").seed == pair.seed


def test_an_export_does_not_open_with_another_passphrase(key_store: KeyStore, tmp_path: Path) -> None:
    key_store.create("alice")
    exported = key_store.export("alice", "for the trip")

    with pytest.raises(BadSignature, match="wrong passphrase for the exported key"):
        KeyStore(tmp_path / "laptop", PASSPHRASE, "min").import_key(exported, "guessed")
    assert not (tmp_path / "laptop").exists()


@pytest.mark.parametrize("data", [b'{"box":"AAAA"}', b"[]", b'{"box":"","handle":"a","kdf":{"memlimit":1,"name":"argon2id",'
                                  b'"opslimit":99,"salt":""},"kid":"","public":""}'], ids=["fields missing", "not an object", "odd costs"])
def test_a_file_that_is_not_a_key_file_is_refused_on_import(key_store: KeyStore, data: bytes) -> None:
    with pytest.raises(BadInput, match="not a Coop key file"):
        key_store.import_key(data, "for the trip")


def test_an_import_does_not_replace_a_key_held_already(key_store: KeyStore, tmp_path: Path) -> None:
    source = KeyStore(tmp_path / "phone", PASSPHRASE, "min")
    source.create("alice")
    key_store.create("alice")

    with pytest.raises(CoopError, match="holds a key of 'alice' already"):
        key_store.import_key(source.export("alice", "x"), "x")
