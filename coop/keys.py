"""Ed25519 keys (pynacl only) and the node's key store, encrypted at rest.

pynacl is the only path to signatures: libsodium refuses small-order and
non-canonical public keys and malleable signatures, which OpenSSL-based libraries
have been seen to accept.
"""
from __future__ import annotations

import base64
import getpass
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import nacl.bindings
import nacl.exceptions
import nacl.pwhash
import nacl.secret
import nacl.signing
import nacl.utils

from coop import canonical
from coop.errors import BadInput, BadSignature, Conflict, NotFound
from coop.ids import check_id

Kid = str

KDF_COSTS = {
    # name: (opslimit, memlimit); "min" exists so tests and demos do not spend seconds per key.
    "sensitive": (nacl.pwhash.argon2id.OPSLIMIT_SENSITIVE, nacl.pwhash.argon2id.MEMLIMIT_SENSITIVE),
    "moderate": (nacl.pwhash.argon2id.OPSLIMIT_MODERATE, nacl.pwhash.argon2id.MEMLIMIT_MODERATE),
    "interactive": (nacl.pwhash.argon2id.OPSLIMIT_INTERACTIVE, nacl.pwhash.argon2id.MEMLIMIT_INTERACTIVE),
    "min": (nacl.pwhash.argon2id.OPSLIMIT_MIN, nacl.pwhash.argon2id.MEMLIMIT_MIN),
}


def b64(data: bytes) -> str:
    """Encode bytes as standard base64 text."""
    return base64.b64encode(data).decode("ascii")


def unb64(text: object, what: str, length: int | None = None) -> bytes:
    """Decode strict standard base64, optionally of an exact length, or raise BadInput."""
    if not isinstance(text, str):
        raise BadInput(f"{what} must be a base64 string")
    try:
        data = base64.b64decode(text, validate=True)
    except (ValueError, TypeError) as e:
        raise BadInput(f"{what} is not valid base64") from e
    if b64(data) != text:
        raise BadInput(f"{what} is not in canonical base64")
    if length is not None and len(data) != length:
        raise BadInput(f"{what} must be {length} bytes, got {len(data)}")
    return data


def kid_of(public: bytes) -> Kid:
    """Return the short key id that names a public key in signatures and records."""
    return hashlib.sha256(public).hexdigest()[:16]


@dataclass(frozen=True)
class PublicKey:
    """A validated ed25519 public key: 32 bytes, a canonical point of large order."""

    raw: bytes

    def __post_init__(self) -> None:
        if len(self.raw) != 32:
            raise BadInput(f"an ed25519 public key is 32 bytes, got {len(self.raw)}")
        if not nacl.bindings.crypto_core_ed25519_is_valid_point(self.raw):
            raise BadInput("public key is not a valid ed25519 point (small order or non-canonical)")

    @classmethod
    def from_b64(cls, text: object) -> PublicKey:
        """Parse a base64 public key as found in member records."""
        return cls(unb64(text, "public key", 32))

    @property
    def kid(self) -> Kid:
        """Return this key's id."""
        return kid_of(self.raw)

    def to_b64(self) -> str:
        """Return the base64 text of the key."""
        return b64(self.raw)

    def verify(self, message: bytes, signature: bytes) -> None:
        """Raise BadSignature unless the signature is a valid one over the message."""
        if len(signature) != 64:
            raise BadSignature(f"an ed25519 signature is 64 bytes, got {len(signature)}")
        try:
            nacl.signing.VerifyKey(self.raw).verify(message, signature)
        except nacl.exceptions.BadSignatureError as e:
            raise BadSignature("signature does not verify") from e


@dataclass(frozen=True)
class KeyPair:
    """A private signing key with the public half and the identity it belongs to."""

    handle: str
    seed: bytes

    @classmethod
    def generate(cls, handle: str) -> KeyPair:
        """Make a fresh random key for an identity."""
        return cls(handle, nacl.utils.random(32))

    @property
    def public(self) -> PublicKey:
        """Return the public key."""
        return PublicKey(bytes(nacl.signing.SigningKey(self.seed).verify_key))

    @property
    def kid(self) -> Kid:
        """Return the key id."""
        return self.public.kid

    def sign(self, message: bytes) -> bytes:
        """Return the 64-byte ed25519 signature of a message."""
        return nacl.signing.SigningKey(self.seed).sign(message).signature


Derive = Callable[[bytes, int, int], bytes]  # (salt, opslimit, memlimit) -> the 32-byte key that seals a key file


def passphrase_kdf(passphrase: str) -> Derive:
    """Return how a passphrase seals key files: argon2id over each file's salt (slow on purpose, so never on the write path)."""
    if not passphrase:
        raise BadInput("an empty passphrase is not allowed")
    secret = passphrase.encode("utf-8")
    return lambda salt, opslimit, memlimit: nacl.pwhash.argon2id.kdf(nacl.secret.SecretBox.KEY_SIZE, secret, salt,
                                                                     opslimit=opslimit, memlimit=memlimit)


def seal(pair: KeyPair, derive: Derive, kdf_cost: str) -> bytes:
    """Return a key file's bytes: the seed in a SecretBox under the derived key, with the salt, costs and public key in clear."""
    opslimit, memlimit = KDF_COSTS[kdf_cost]
    salt = nacl.utils.random(nacl.pwhash.argon2id.SALTBYTES)
    box = nacl.secret.SecretBox(derive(salt, opslimit, memlimit)).encrypt(pair.seed)
    return canonical.encode({
        "box": b64(bytes(box)),
        "handle": pair.handle,
        "kdf": {"memlimit": memlimit, "name": "argon2id", "opslimit": opslimit, "salt": b64(salt)},
        "kid": pair.kid,
        "public": pair.public.to_b64(),
    })


def unseal(data: bytes, derive: Derive, what: str) -> KeyPair:
    """Open a key file's bytes, checking that the seed inside gives the public key it names."""
    record = key_record(data, what)
    kdf = record["kdf"]
    secret = derive(unb64(kdf["salt"], "salt", nacl.pwhash.argon2id.SALTBYTES), kdf["opslimit"], kdf["memlimit"])
    try:
        seed = nacl.secret.SecretBox(secret).decrypt(unb64(record["box"], "key box"))
    except nacl.exceptions.CryptoError as e:
        raise BadSignature(f"wrong passphrase for {what}") from e
    pair = KeyPair(check_id(record["handle"], "identity"), seed)
    if pair.public.to_b64() != record["public"]:
        raise BadSignature(f"{what} does not match its public key")
    return pair


def key_record(data: bytes, what: str) -> dict[str, Any]:
    """Return the fields of a key file, refusing one that is not (a file from elsewhere, or damaged)."""
    record = canonical.decode(data)
    kdf = record.get("kdf") if isinstance(record, dict) else None
    if (not isinstance(kdf, dict) or not all(isinstance(record.get(f), str) for f in ("box", "handle", "kid", "public"))
            or (kdf.get("opslimit"), kdf.get("memlimit")) not in KDF_COSTS.values() or kdf.get("name") != "argon2id"):
        raise BadInput(f"{what} is not a Coop key file")
    return cast(dict[str, Any], record)


def write_private(path: Path, data: bytes) -> None:
    """Write a file only its owner can read (mode 0600 from the start), whole or not at all: temporary file, fsync, rename."""
    tmp = path.with_name(path.stem + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class KeyStore:
    """Private keys of one node, one encrypted file per identity, never inside the repository."""

    def __init__(self, directory: Path, passphrase: str | None = None, kdf_cost: str = "interactive") -> None:
        if kdf_cost not in KDF_COSTS:
            raise BadInput(f"unknown kdf cost {kdf_cost!r}; one of {', '.join(KDF_COSTS)}")
        self.directory = directory
        self.kdf_cost = kdf_cost
        self._passphrase = passphrase
        self._unlocked: dict[str, KeyPair] = {}
        self._subs: dict[str, KeyStore] = {}

    def sub(self, name: str) -> KeyStore:
        """Return the key store in a subdirectory (keys of another role), the same one each time so its keys unlock once."""
        if name not in self._subs:
            self._subs[name] = KeyStore(self.directory / check_id(name, "key store"), self._passphrase, self.kdf_cost)
        return self._subs[name]

    def _path(self, handle: str) -> Path:
        return self.directory / f"{check_id(handle, 'identity')}.key"

    def passphrase(self) -> str:
        """Return the passphrase from the constructor, COOP_PASSPHRASE or a prompt."""
        if self._passphrase is None:
            self._passphrase = os.environ.get("COOP_PASSPHRASE")
        if self._passphrase is None:
            self._passphrase = getpass.getpass(f"Passphrase for the keys in {self.directory}: ")
        if not self._passphrase:
            raise BadInput("an empty passphrase is not allowed")
        return self._passphrase

    def _derive(self, salt: bytes, opslimit: int, memlimit: int) -> bytes:
        """Derive the key that seals a key file of this store from its passphrase."""
        return passphrase_kdf(self.passphrase())(salt, opslimit, memlimit)

    def identities(self) -> list[str]:
        """List the identities this node holds keys for."""
        if not self.directory.is_dir():
            return []
        return sorted(p.stem for p in self.directory.glob("*.key"))

    def has(self, handle: str) -> bool:
        """Tell whether this node holds a key for the identity."""
        return self._path(handle).exists()

    def public(self, handle: str) -> PublicKey:
        """Return the public half of a key held here, read from its file without the passphrase."""
        path = self._path(handle)
        if not path.exists():
            raise NotFound(f"this node holds no key for {handle!r} (looked in {self.directory})")
        return PublicKey.from_b64(key_record(path.read_bytes(), f"the key file {path}")["public"])

    def create(self, handle: str) -> KeyPair:
        """Generate, encrypt and save a new key for an identity that has none yet."""
        path = self._path(handle)
        if path.exists():
            raise Conflict(f"a key for {handle!r} already exists at {path}")
        pair = KeyPair.generate(handle)
        self.save(pair)
        return pair

    def save(self, pair: KeyPair) -> None:
        """Encrypt a key with argon2id + SecretBox and write it with mode 0600."""
        data = seal(pair, self._derive, self.kdf_cost)
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_private(self._path(pair.handle), data)
        self._unlocked[pair.handle] = pair

    def unlock(self, handle: str) -> KeyPair:
        """Decrypt the key of an identity (once per process) and return it."""
        if handle in self._unlocked:
            return self._unlocked[handle]
        path = self._path(handle)
        if not path.exists():
            raise NotFound(f"this node holds no key for {handle!r} (looked in {self.directory})")
        pair = unseal(path.read_bytes(), self._derive, f"the key of {handle!r}")
        if pair.handle != handle:
            raise BadSignature(f"key file for {handle!r} holds the key of {pair.handle!r}")
        self._unlocked[handle] = pair
        return pair

    def delete(self, handle: str) -> None:
        """Remove an identity's key from this store: it signs nothing from here on."""
        self._path(handle).unlink(missing_ok=True)
        self._unlocked.pop(handle, None)

    def export(self, handle: str, passphrase: str) -> bytes:
        """Return an identity's key as a key file sealed under another passphrase, to carry it to another machine."""
        return seal(self.unlock(handle), passphrase_kdf(passphrase), self.kdf_cost)

    def import_key(self, data: bytes, passphrase: str) -> KeyPair:
        """Open a key exported from another machine and keep it here, under this store's passphrase."""
        pair = unseal(data, passphrase_kdf(passphrase), "the exported key")
        if self.has(pair.handle):
            raise Conflict(f"this machine holds a key of {pair.handle!r} already ({self._path(pair.handle)}): "
                           "import into another --home, or revoke and remove that one first")
        self.save(pair)
        return pair
