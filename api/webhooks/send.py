"""One webhook request: its host resolved once, the address checked, and that very address connected to, within one deadline.

Resolving the name again to connect would let it answer a public address to the
check and a private one to the connection (DNS rebinding), so the request goes
to the address that was checked, with the name in the Host header and in TLS
SNI (and the certificate checked against the name). The whole request (connect,
send, read the answer's status and headers) has one deadline: when it passes, a
timer shuts the socket down, so a receiver that trickles its answer a line a
second holds a worker no longer than that.
"""
from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import threading
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

from coop.errors import BadInput

Resolver = Callable[[str, int], list[str]]


def system_resolver(host: str, port: int) -> list[str]:
    """Return the addresses the system resolves a host name to."""
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def checked_address(host: str, port: int, allow_private: bool, resolver: Resolver) -> str:
    """Resolve a webhook host once and return the address to connect to, refusing non-public ones unless allowed."""
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        try:
            addresses = resolver(host, port)
        except OSError as e:
            raise BadInput(f"cannot resolve webhook host {host!r}: {e}") from e
    if not addresses:
        raise BadInput(f"webhook host {host!r} resolves to no address")
    if not allow_private:
        for address in addresses:
            if not ipaddress.ip_address(address.split("%")[0]).is_global:
                raise BadInput(f"webhook host {host!r} resolves to {address}, which is not a public address")
    return addresses[0]


class PinnedConnection(http.client.HTTPConnection):
    """An HTTP(S) connection to one given address, speaking to it under the URL's host name."""

    def __init__(self, host: str, port: int, address: str, tls: bool, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.default_port = 443 if tls else 80  # so the Host header leaves out only the scheme's own port
        self.address = address
        self.tls = tls
        self.aborted = False
        self._lock = threading.Lock()

    def connect(self) -> None:
        """Connect to the checked address (never to what the name resolves to now)."""
        sock = socket.create_connection((self.address, self.port), self.timeout)
        if self.tls:
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=self.host)
        with self._lock:
            self.sock = sock
            if self.aborted:
                raise TimeoutError("the deadline passed while connecting")

    def abort(self) -> None:
        """Shut the socket down, so that whatever reads or writes it returns at once."""
        with self._lock:
            self.aborted = True
            if self.sock is not None:
                try:
                    self.sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass  # already closed by the receiver


def post(url: str, body: bytes, headers: Mapping[str, str], timeout: float, allow_private: bool,
         resolver: Resolver = system_resolver) -> int:
    """POST a body to a webhook URL and return the answer's status, all within `timeout` seconds."""
    parts = urlsplit(url)
    tls = parts.scheme == "https"
    host, port = parts.hostname or "", parts.port or (443 if tls else 80)
    address = checked_address(host, port, allow_private, resolver)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection = PinnedConnection(host, port, address, tls, timeout)
    timer = threading.Timer(timeout, connection.abort)
    timer.daemon = True
    timer.start()
    late = f"the receiver did not answer within {timeout:g} s"
    try:
        connection.request("POST", target, body, dict(headers))
        status = connection.getresponse().status
    except (OSError, http.client.HTTPException) as e:
        if connection.aborted:
            raise TimeoutError(late) from e
        raise
    finally:
        timer.cancel()
        connection.close()
    if connection.aborted:  # a socket shut down mid-headers reads as their end: the answer is cut, not given
        raise TimeoutError(late)
    return status
