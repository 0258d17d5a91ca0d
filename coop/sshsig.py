"""SSH signatures (OpenSSH PROTOCOL.sshsig) for git commits, made and checked with pynacl.

Commits signed this way pass a plain `git verify-commit` with an allowed_signers
file, while the node checks them itself without shelling out to ssh-keygen.
"""
from __future__ import annotations

import base64
import hashlib
import struct
from dataclasses import dataclass

from coop.errors import BadSignature
from coop.keys import KeyPair, PublicKey

MAGIC = b"SSHSIG"
VERSION = 1
NAMESPACE = "git"
KEY_TYPE = b"ssh-ed25519"
BEGIN = "-----BEGIN SSH SIGNATURE-----"
END = "-----END SSH SIGNATURE-----"
HASHES = {"sha256": hashlib.sha256, "sha512": hashlib.sha512}


def _string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def ssh_public_blob(public: PublicKey) -> bytes:
    """Return the SSH wire encoding of an ed25519 public key."""
    return _string(KEY_TYPE) + _string(public.raw)


def ssh_public_line(public: PublicKey) -> str:
    """Return the `ssh-ed25519 AAAA...` text form of a public key."""
    return f"ssh-ed25519 {base64.b64encode(ssh_public_blob(public)).decode('ascii')}"


def allowed_signers_line(principal: str, public: PublicKey) -> str:
    """Return one allowed_signers line that lets the key sign commits for the principal."""
    return f'{principal} namespaces="{NAMESPACE}" {ssh_public_line(public)}'


def _signed_data(message: bytes, namespace: str, hash_name: str) -> bytes:
    digest = HASHES[hash_name](message).digest()
    return MAGIC + _string(namespace.encode()) + _string(b"") + _string(hash_name.encode()) + _string(digest)


def sign(pair: KeyPair, message: bytes, namespace: str = NAMESPACE) -> str:
    """Return the armored SSHSIG of a message, without a trailing newline (libgit2 needs that)."""
    signature = pair.sign(_signed_data(message, namespace, "sha512"))
    blob = (
        MAGIC + struct.pack(">I", VERSION) + _string(ssh_public_blob(pair.public))
        + _string(namespace.encode()) + _string(b"") + _string(b"sha512")
        + _string(_string(KEY_TYPE) + _string(signature))
    )
    text = base64.b64encode(blob).decode("ascii")
    lines = [text[i:i + 70] for i in range(0, len(text), 70)]
    return "\n".join([BEGIN, *lines, END])


@dataclass(frozen=True)
class SshSignature:
    """A parsed SSHSIG: who signed, in which namespace, with which hash."""

    public: PublicKey
    namespace: str
    hash_name: str
    signature: bytes


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise BadSignature("SSH signature is truncated")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def string(self) -> bytes:
        (length,) = struct.unpack(">I", self.take(4))
        return self.take(length)


def parse(armored: str | bytes) -> SshSignature:
    """Parse an armored SSHSIG strictly: version 1, ed25519, no trailing bytes."""
    text = armored.decode("ascii", "replace") if isinstance(armored, bytes) else armored
    lines = [line.strip() for line in text.strip().splitlines()]
    if len(lines) < 3 or lines[0] != BEGIN or lines[-1] != END:
        raise BadSignature("not an armored SSH signature")
    try:
        blob = base64.b64decode("".join(lines[1:-1]), validate=True)
    except ValueError as e:
        raise BadSignature("SSH signature is not valid base64") from e
    reader = _Reader(blob)
    if reader.take(6) != MAGIC:
        raise BadSignature("SSH signature lacks the SSHSIG magic")
    (version,) = struct.unpack(">I", reader.take(4))
    if version != VERSION:
        raise BadSignature(f"SSH signature version {version} is not supported")
    key_reader = _Reader(reader.string())
    if key_reader.string() != KEY_TYPE:
        raise BadSignature("only ssh-ed25519 commit signatures are accepted")
    public = PublicKey(key_reader.string())
    namespace = reader.string().decode("utf-8", "replace")
    reader.string()  # reserved: ignored by the protocol
    hash_name = reader.string().decode("ascii", "replace")
    sig_reader = _Reader(reader.string())
    if sig_reader.string() != KEY_TYPE:
        raise BadSignature("signature type does not match the key type")
    signature = sig_reader.string()
    if reader.pos != len(blob) or key_reader.pos != len(key_reader.data) or sig_reader.pos != len(sig_reader.data):
        raise BadSignature("SSH signature has trailing bytes")
    if hash_name not in HASHES:
        raise BadSignature(f"SSH signature hash {hash_name!r} is not accepted")
    return SshSignature(public, namespace, hash_name, signature)


def verify(armored: str | bytes, message: bytes, namespace: str = NAMESPACE) -> PublicKey:
    """Check an SSHSIG over a message and return the key that made it."""
    sig = parse(armored)
    if sig.namespace != namespace:
        raise BadSignature(f"SSH signature namespace is {sig.namespace!r}, expected {namespace!r}")
    sig.public.verify(_signed_data(message, namespace, sig.hash_name), sig.signature)
    return sig.public
