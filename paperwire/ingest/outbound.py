"""The rules every outbound HTTP request obeys (harvests, submissions, the summariser).

- **http and https only**, on the first request and on every redirect (``file:``, ``javascript:``,
  ``ftp:`` ... are refused before anything is sent).
- **Public addresses only**: each hop's host is resolved once, every address it resolves to is
  checked, and the connection is made to the very address that was checked, so neither a redirect
  nor a DNS answer that changes between check and connect can reach loopback, private, link-local,
  shared, multicast or reserved addresses. An operator allows the networks of their own mirrors
  with ``PAPERWIRE_FETCH_ALLOW_PRIVATE`` (``AddressPolicy``).
- **A total deadline** per request: resolving, connecting, TLS, sending and every read share one
  clock (``deadline``), so a server that drips one byte a second cannot hold a request past it.
- **A size cap**: the body is streamed and the request is refused as soon as it passes the cap
  (``read_capped``), never held whole first.

``FetchRefused`` is what these rules raise; callers turn it into their own error (a
``SourceError`` for a harvest, a logged miss for the summariser).
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import ssl
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

SCHEMES = ("http", "https")
# 32 MiB: an arXiv API page of 2,000 entries is about 6 MB, an OAI-PMH page of 1,000 records 3 MB.
MAX_BYTES = 32 * 1024 * 1024
ALLOW_SETTING = "PAPERWIRE_FETCH_ALLOW_PRIVATE"
_Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_Address = ipaddress.IPv4Address | ipaddress.IPv6Address
# When the request running in this thread (or task) must be over, time.monotonic(); None: no limit.
_DEADLINE: ContextVar[float | None] = ContextVar("paperwire_fetch_deadline", default=None)
# getaddrinfo has no timeout of its own: it runs here, and the caller waits only until its deadline.
_RESOLVER = ThreadPoolExecutor(max_workers=4, thread_name_prefix="paperwire-resolve")


class FetchRefused(Exception):
    """A request these rules refuse: a scheme, an address, a size or a deadline. Never retried."""


def parse_networks(value: str | None) -> tuple[_Network, ...]:
    """``"127.0.0.1, 10.0.0.0/8"`` as networks; ``ValueError`` names an entry that is not one."""
    entries = [item.strip() for item in (value or "").split(",") if item.strip()]
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def check_scheme(url: str | httpx.URL) -> None:
    """``FetchRefused`` unless ``url`` is an http or https address with a host."""
    try:
        parsed = url if isinstance(url, httpx.URL) else httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise FetchRefused(f"not a valid address: {exc}") from None
    if parsed.scheme not in SCHEMES:
        shown = parsed.scheme or "none"
        raise FetchRefused(f"only http and https addresses are fetched, not {shown}:")
    if not parsed.host:
        raise FetchRefused("the address has no host")


def _kind(address: _Address) -> str | None:
    """What makes ``address`` non-public ("loopback", "private" ...), or None when it is public."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for kind in ("loopback", "link_local", "multicast", "unspecified", "reserved", "private"):
        if getattr(address, f"is_{kind}"):
            return kind.replace("_", "-")
    return None if address.is_global else "non-public"


@dataclass(frozen=True)
class AddressPolicy:
    """Public addresses, plus the networks the operator allows (``PAPERWIRE_FETCH_ALLOW_PRIVATE``)."""

    allowed: tuple[_Network, ...] = ()

    @classmethod
    def from_setting(cls, value: str | None) -> AddressPolicy:
        return cls(parse_networks(value))

    def refusal(self, host: str, address: str) -> str | None:
        """Why ``host`` may not be reached at ``address``, or None when it may."""
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        kind = _kind(ip)
        if kind is None or any(ip in network for network in self.allowed):
            return None
        where = host if host == address else f"{host} ({address})"
        return f"{where} is a {kind} address, which is not fetched unless {ALLOW_SETTING} allows it"


def _left(timeout: float | None, problem: type[Exception]) -> float | None:
    """``timeout`` cut to the time left before this request's deadline."""
    end = _DEADLINE.get()
    if end is None:
        return timeout
    left = end - time.monotonic()
    if left <= 0:
        raise problem("the request's deadline passed")
    return left if timeout is None else min(timeout, left)


class _BoundedStream(httpcore.NetworkStream):
    """A connection whose every read and write ends by the request's deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        left = _left(timeout, httpcore.ConnectTimeout)
        return _BoundedStream(self._inner.start_tls(ssl_context, server_hostname, left))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _GuardedBackend(httpcore.NetworkBackend):
    """Resolves each host once, checks every address against the policy, connects to a checked one."""

    def __init__(self, policy: AddressPolicy) -> None:
        self._policy = policy
        self._plain = httpcore.SyncBackend()

    def _resolve(self, host: str, port: int, timeout: float | None) -> list[str]:
        job = _RESOLVER.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
        try:
            found = job.result(timeout=timeout)
        except FutureTimeout:
            raise httpcore.ConnectTimeout(f"resolving {host} took too long") from None
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from None
        return list(dict.fromkeys(str(info[4][0]) for info in found))

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = self._resolve(host, port, _left(timeout, httpcore.ConnectTimeout))
        for address in addresses:
            problem = self._policy.refusal(host, address)
            if problem:
                raise FetchRefused(problem)
        failure: Exception = httpcore.ConnectError(f"{host} has no address")
        for address in addresses:
            try:
                stream = self._plain.connect_tcp(
                    address,
                    port,
                    _left(timeout, httpcore.ConnectTimeout),
                    local_address,
                    socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
                continue
            return _BoundedStream(stream)
        raise failure

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        raise FetchRefused("unix sockets are not fetched")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class GuardedTransport(httpx.HTTPTransport):
    """httpx's own transport with the guarded network backend under its connection pool. Proxies
    from the environment are not used (the address checked must be the address reached)."""

    def __init__(self, policy: AddressPolicy) -> None:
        super().__init__(trust_env=False)
        # The pool httpx builds for these arguments, plus the network backend (httpcore's own
        # extension point, which httpx does not expose).
        limits = httpx.Limits()
        self._pool = httpcore.ConnectionPool(
            # SSL_CERT_FILE / SSL_CERT_DIR still name the trusted CAs: only proxies are left out.
            ssl_context=httpx.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_GuardedBackend(policy),
        )


def _check_hop(request: httpx.Request) -> None:
    try:
        check_scheme(request.url)
    except FetchRefused as exc:
        raise FetchRefused(f"{request.url}: {exc}") from None


def guarded_client(
    policy: AddressPolicy,
    *,
    timeout: float,
    headers: dict[str, str] | None = None,
    follow_redirects: bool = True,
) -> httpx.Client:
    """An httpx client under these rules (scheme checked on every hop, addresses on every
    connection); ``timeout`` bounds each socket operation, ``deadline`` the whole request."""
    return httpx.Client(
        transport=GuardedTransport(policy),
        timeout=timeout,
        headers=headers,
        follow_redirects=follow_redirects,
        trust_env=False,
        event_hooks={"request": [_check_hop]},
    )


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[float]:
    """Every request made inside must be over ``seconds`` from now (an earlier deadline already
    in force stays); yields the deadline as a ``time.monotonic()`` value."""
    end = time.monotonic() + seconds
    outer = _DEADLINE.get()
    if outer is not None:
        end = min(end, outer)
    token = _DEADLINE.set(end)
    try:
        yield end
    finally:
        _DEADLINE.reset(token)


def read_capped(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    max_bytes: int = MAX_BYTES,
    **kwargs: Any,
) -> httpx.Response:
    """``client.request`` with the body streamed and refused (``FetchRefused`` naming the cap; the
    caller names the address) as soon as it passes ``max_bytes``; the answer comes back fully read. A declared
    ``Content-Length`` above the cap is refused before any of the body is read."""
    check_scheme(url)
    request = client.build_request(method, url, **kwargs)
    response = client.send(request, stream=True)
    try:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise FetchRefused(_too_big(max_bytes, f"it announces {declared} bytes"))
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > max_bytes:
                raise FetchRefused(_too_big(max_bytes, "its body is longer"))
            _left(None, httpcore.ReadTimeout)
    except httpcore.ReadTimeout as exc:  # the deadline, seen between two chunks
        raise httpx.ReadTimeout(str(exc), request=request) from None
    finally:
        response.close()
    # The body as decoded (gzip, deflate ...): the headers that described the encoded one go.
    drop = {"content-encoding", "content-length", "transfer-encoding"}
    headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in drop]
    return httpx.Response(
        response.status_code,
        headers=headers,
        content=bytes(body),
        request=response.request,
        history=response.history,
        extensions={k: v for k, v in response.extensions.items() if k != "network_stream"},
    )


def _too_big(max_bytes: int, why: str) -> str:
    return f"the answer is larger than the {max_bytes:,}-byte limit ({why})"
