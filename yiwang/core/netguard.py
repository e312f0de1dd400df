"""SSRF guard for every server-side fetch of a URL that a user (or another system) supplied.

Webhooks, data ingestion from URLs and OIDC discovery all fetch URLs the platform does not control.
Such a URL must not reach the platform's own network: loopback, private ranges, link-local (the
cloud metadata service at 169.254.169.254), CGNAT, multicast, reserved space, and every IPv6 form
that tunnels to them.

``check_public_url`` parses and normalises the URL, refuses what is not plainly a public http(s)
address, resolves the host once and checks EVERY address the resolver returns. It returns a
``ResolvedUrl`` whose ``ip`` is the address to connect to: connecting there (with the original
host in the Host header and TLS SNI) prevents DNS rebinding, where a second lookup would answer
with an internal address.

``safe_fetch`` is a small HTTP client built on that: it connects to the pinned address, re-checks
every redirect (at most ``max_redirects``), caps the body and the total time, and never uses proxy
settings from the environment.

Refusals are ``UrlRefused`` (a ``ValidationFailed``, HTTP 422) with the stable codes
``url_invalid``, ``url_scheme_refused``, ``url_credentials_refused``, ``url_port_refused``,
``url_private_address`` and ``url_unresolvable``; failures of the remote side are ``FetchFailed``
(HTTP 502) with ``url_too_many_redirects``, ``url_response_too_large``, ``url_timeout`` and
``url_fetch_failed``. Messages never include the resolved addresses (they would help map the
internal network).

Policy decisions:
- only canonical dotted-quad IPv4 literals are accepted; decimal, octal, hex and short forms
  (``2130706433``, ``0x7f000001``, ``017700000001``, ``127.1``) are refused as ``url_invalid``,
  because resolvers and browsers read them differently;
- IPv4-mapped, IPv4-compatible, 6to4, Teredo, site-local and unique-local IPv6 addresses are
  refused whatever IPv4 address they carry; NAT64 (``64:ff9b::/96``) is judged by its IPv4 part;
- a single trailing dot (``example.com.``) is removed; host names are normalised with IDNA
  (UTS #46), so full-width and other look-alike spellings meet the same checks;
- backslashes, whitespace and control characters anywhere in the URL are refused (parsers
  disagree about them).
"""

from __future__ import annotations

import http.client
import ipaddress
import re
import socket
import ssl
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote, urljoin, urlsplit

import idna
from django.utils.translation import gettext as _

from yiwang.core.errors import DomainError, ValidationFailed

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[..., list[tuple[Any, ...]]]

DEFAULT_SCHEMES: Final = frozenset({"https", "http"})
DEFAULT_PORTS: Final = frozenset({80, 443, 8080, 8443})
DEFAULT_MAX_BYTES: Final = 10 * 1024 * 1024
DEFAULT_TIMEOUT: Final = 10.0
DEFAULT_MAX_REDIRECTS: Final = 3
_REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})
_CHUNK: Final = 64 * 1024
_USER_AGENT: Final = "Yiwang-Fetch/1"
_CREDENTIAL_HEADERS: Final = frozenset({"authorization", "cookie", "proxy-authorization"})
# Set by safe_fetch itself (or by http.client from the body): callers cannot override them.
_CONTROLLED_HEADERS: Final = frozenset(
    {"host", "content-length", "transfer-encoding", "accept-encoding", "connection"}
)

_BLOCKED_NETWORKS: Final[tuple[IPNetwork, ...]] = tuple(
    ipaddress.ip_network(n)
    for n in (
        # IPv4 special-purpose registry (RFC 6890 and successors)
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",  # CGNAT
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local, cloud metadata
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",  # 6to4 relay anycast
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, broadcast
        # IPv6
        "::/96",  # unspecified, loopback, IPv4-compatible
        "::ffff:0:0/96",  # IPv4-mapped
        "64:ff9b:1::/48",  # local-use NAT64
        "100::/64",  # discard
        "2001::/23",  # IETF protocol assignments, Teredo (2001::/32)
        "2001:db8::/32",
        "2002::/16",  # 6to4
        "3fff::/20",  # documentation
        "5f00::/16",  # SRv6 SIDs
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local
        "ff00::/8",  # multicast
    )
)
_NAT64: Final = ipaddress.IPv6Network("64:ff9b::/96")
_FORBIDDEN_CHARACTERS = re.compile(r"[\x00-\x20\x7f\\]")
_NUMERIC_LABEL = re.compile(r"[0-9]+|0x[0-9a-f]*")


class UrlRefused(ValidationFailed):
    """The URL may not be fetched: malformed, not http(s), or not a public address."""

    title = "URL refused"


class FetchFailed(DomainError):
    """The remote side misbehaved or failed: too many redirects, too big, too slow, unreachable."""

    status = 502
    default_code = "url_fetch_failed"
    title = "Fetch failed"


@dataclass(frozen=True)
class ResolvedUrl:
    """A checked URL and the address to connect to."""

    url: str  # normalised: no credentials, no fragment, IDNA host, percent-encoded path
    scheme: str
    host: str  # ASCII host name or IP literal (no brackets, no trailing dot)
    port: int
    ip: str  # the pinned address: connect here, not to a fresh lookup of ``host``
    addresses: tuple[str, ...]  # every address the resolver returned (all checked)
    target: str  # path and query for the request line

    @property
    def host_header(self) -> str:
        """The Host header value: the host, with the port when it is not the scheme's default."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"

    @property
    def origin(self) -> tuple[str, str, int]:
        """(scheme, host, port): credentials headers never cross from one origin to another."""
        return (self.scheme, self.host, self.port)


def _refuse(code: str, message: str, field_name: str, **details: Any) -> UrlRefused:
    return UrlRefused(code, message, field=field_name, details=details)


def _invalid(field_name: str, reason: str) -> UrlRefused:
    return _refuse("url_invalid", _("网址格式不正确。"), field_name, reason=reason)


def is_public_address(
    address: IPAddress | str, *, extra_allowed_networks: Iterable[IPNetwork] = ()
) -> bool:
    """Whether ``address`` is a public unicast address that a server-side fetch may reach.

    ``extra_allowed_networks`` are allowed whatever they are (tests, or an explicitly trusted
    internal service).
    """
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    for network in extra_allowed_networks:
        if ip.version == network.version and ip in network:
            return True
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            return False
        if ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
            return is_public_address(embedded, extra_allowed_networks=extra_allowed_networks)
        if ip.ipv4_mapped is not None or ip.sixtofour is not None or ip.teredo is not None:
            return False
        if ip.is_site_local:
            return False
    if any(ip.version == network.version and ip in network for network in _BLOCKED_NETWORKS):
        return False
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def _normalise_host(
    raw_host: str, bracketed: bool, field_name: str
) -> tuple[str, IPAddress | None]:
    """(ASCII host, IP when the host is an IP literal)."""
    if bracketed:
        try:
            ip6 = ipaddress.IPv6Address(raw_host)
        except ValueError as exc:
            raise _invalid(field_name, "ipv6_literal") from exc
        if ip6.scope_id:
            raise _invalid(field_name, "ipv6_zone")
        return str(ip6), ip6
    host = raw_host[:-1] if raw_host.endswith(".") else raw_host
    if not host or host.endswith(".") or "%" in host:
        raise _invalid(field_name, "host")
    try:
        host = idna.encode(host, uts46=True).decode("ascii").lower()
    except (idna.IDNAError, UnicodeError, ValueError) as exc:
        raise _invalid(field_name, "host") from exc
    labels = host.split(".")
    if _NUMERIC_LABEL.fullmatch(labels[-1]):
        # It "ends in a number": an IPv4 address to browsers and resolvers. Only the canonical
        # dotted quad is accepted; 2130706433, 0x7f000001, 0177.0.0.1 and 127.1 are refused.
        try:
            ip4 = ipaddress.IPv4Address(host)
        except ValueError as exc:
            raise _invalid(field_name, "ambiguous_ip_literal") from exc
        return str(ip4), ip4
    return host, None


def _resolve(host: str, port: int, resolver: Resolver, field_name: str) -> tuple[IPAddress, ...]:
    def unresolvable() -> UrlRefused:
        return _refuse("url_unresolvable", _("无法解析网址中的主机名。"), field_name)

    try:
        answers = resolver(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError) as exc:
        raise unresolvable() from exc
    addresses: list[IPAddress] = []
    for family, _type, _proto, _canonname, sockaddr in answers or ():
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        try:
            ip = ipaddress.ip_address(sockaddr[0])
        except ValueError as exc:
            raise unresolvable() from exc
        if ip not in addresses:
            addresses.append(ip)
    if not addresses:
        raise unresolvable()
    return tuple(addresses)


def check_public_url(
    url: str,
    *,
    resolver: Resolver = socket.getaddrinfo,
    allowed_schemes: Iterable[str] = DEFAULT_SCHEMES,
    allowed_ports: Iterable[int] = DEFAULT_PORTS,
    extra_allowed_networks: Iterable[IPNetwork] = (),
    field: str = "url",
) -> ResolvedUrl:
    """Check that ``url`` is a public http(s) URL and pin the address to connect to.

    ``resolver`` has the signature of ``socket.getaddrinfo`` (tests pass a table-backed one).
    Raises ``UrlRefused`` (see the module doc) on the first problem found.
    """
    if not isinstance(url, str) or not url or len(url) > 2048:
        raise _invalid(field, "length")
    if _FORBIDDEN_CHARACTERS.search(url):
        raise _invalid(field, "characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise _invalid(field, "syntax") from exc
    scheme = parts.scheme.lower()
    if scheme not in set(allowed_schemes):
        raise _refuse(
            "url_scheme_refused",
            _("只允许 http 或 https 网址。"),
            field,
            scheme=scheme[:20],
        )
    netloc = parts.netloc
    if "@" in netloc or parts.username is not None or parts.password is not None:
        raise _refuse("url_credentials_refused", _("网址中不能包含用户名或密码。"), field)
    raw_host = parts.hostname
    if not netloc or not raw_host:
        raise _invalid(field, "host")
    host, literal = _normalise_host(raw_host, netloc.startswith("["), field)
    if port is None:
        port = 443 if scheme == "https" else 80
    if port not in set(allowed_ports):
        raise _refuse("url_port_refused", _("不允许访问该端口。"), field, port=port)

    addresses = (literal,) if literal is not None else _resolve(host, port, resolver, field)
    extra = tuple(extra_allowed_networks)
    if not all(is_public_address(ip, extra_allowed_networks=extra) for ip in addresses):
        raise _refuse(
            "url_private_address",
            _("网址指向内部或保留的网络地址，不允许访问。"),
            field,
        )

    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
    query = quote(parts.query, safe="/%:@!$&'()*+,;=-._~?")
    target = f"{path}?{query}" if query else path
    shown_host = f"[{host}]" if ":" in host else host
    default_port = 443 if scheme == "https" else 80
    authority = shown_host if port == default_port else f"{shown_host}:{port}"
    return ResolvedUrl(
        url=f"{scheme}://{authority}{target}",
        scheme=scheme,
        host=host,
        port=port,
        ip=str(addresses[0]),
        addresses=tuple(str(a) for a in addresses),
        target=target,
    )


# --- fetching -------------------------------------------------------------------------------------


class PinnedHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection to ``pinned_ip`` that still speaks to ``host`` (Host header)."""

    def __init__(self, host: str, port: int, *, pinned_ip: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.pinned_ip = pinned_ip

    def connect(self) -> None:
        """Open the TCP connection to the pinned address, never to a new lookup of the host."""
        self.sock = socket.create_connection((self.pinned_ip, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class PinnedHTTPSConnection(PinnedHTTPConnection):
    """HTTPS to ``pinned_ip``; SNI and certificate checks use ``host``."""

    default_port = 443

    def __init__(
        self,
        host: str,
        port: int,
        *,
        pinned_ip: str,
        timeout: float,
        context: ssl.SSLContext | None = None,
    ) -> None:
        super().__init__(host, port, pinned_ip=pinned_ip, timeout=timeout)
        self.ssl_context = context or ssl.create_default_context()

    def connect(self) -> None:
        """Connect to the pinned address, then verify TLS against the host name."""
        super().connect()
        self.sock = self.ssl_context.wrap_socket(self.sock, server_hostname=self.host)


Opener = Callable[[ResolvedUrl, float, "ssl.SSLContext | None"], http.client.HTTPConnection]


def pinned_opener(
    resolved: ResolvedUrl, timeout: float, ssl_context: ssl.SSLContext | None = None
) -> http.client.HTTPConnection:
    """The default opener: a connection to ``resolved.ip`` speaking to ``resolved.host``."""
    if resolved.scheme == "https":
        return PinnedHTTPSConnection(
            resolved.host,
            resolved.port,
            pinned_ip=resolved.ip,
            timeout=timeout,
            context=ssl_context,
        )
    return PinnedHTTPConnection(
        resolved.host, resolved.port, pinned_ip=resolved.ip, timeout=timeout
    )


@dataclass(frozen=True)
class FetchResult:
    """The final response of ``safe_fetch``."""

    url: str  # the URL that answered, after redirects
    status: int
    headers: Mapping[str, str]
    body: bytes
    redirects: tuple[str, ...] = ()  # URLs redirected to, in order


def _failed(code: str, message: str, **details: Any) -> FetchFailed:
    return FetchFailed(code, message, details=details)


def _too_large(max_bytes: int) -> FetchFailed:
    return _failed("url_response_too_large", _("对方返回的内容过大。"), max_bytes=max_bytes)


def _read_body(
    response: http.client.HTTPResponse, *, max_bytes: int, deadline: float, sock: Any
) -> bytes:
    declared = response.getheader("Content-Length")
    if declared is not None and declared.strip().isdigit() and int(declared) > max_bytes:
        raise _too_large(max_bytes)
    chunks: list[bytes] = []
    received = 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _failed("url_timeout", _("访问对方网址超时。"))
        if sock is not None:
            sock.settimeout(remaining)
        chunk = response.read1(min(_CHUNK, max_bytes + 1 - received))
        if not chunk:
            return b"".join(chunks)
        received += len(chunk)
        if received > max_bytes:
            raise _too_large(max_bytes)
        chunks.append(chunk)


def safe_fetch(
    url: str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    timeout: float = DEFAULT_TIMEOUT,
    method: str = "GET",
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    max_redirects: int = DEFAULT_MAX_REDIRECTS,
    resolver: Resolver = socket.getaddrinfo,
    allowed_schemes: Iterable[str] = DEFAULT_SCHEMES,
    allowed_ports: Iterable[int] = DEFAULT_PORTS,
    extra_allowed_networks: Iterable[IPNetwork] = (),
    ssl_context: ssl.SSLContext | None = None,
    opener: Opener = pinned_opener,
    field: str = "url",
) -> FetchResult:
    """Fetch a user-supplied URL safely; returns the final response with its whole (capped) body.

    Each hop goes through ``check_public_url`` and connects to the pinned address. Redirects
    (301, 302, 303, 307, 308) are followed at most ``max_redirects`` times, each target checked
    again; 301–303 turn a non-GET request into a body-less GET, and credentials headers are
    dropped when the origin changes. ``timeout`` bounds the whole fetch, redirects included;
    ``max_bytes`` bounds the body (checked against Content-Length first, then while reading).
    ``opener`` makes the connection (tests and special transports); ``ssl_context`` defaults to
    the system trust store.
    """
    check: dict[str, Any] = {
        "resolver": resolver,
        "allowed_schemes": frozenset(allowed_schemes),
        "allowed_ports": frozenset(allowed_ports),
        "extra_allowed_networks": tuple(extra_allowed_networks),
        "field": field,
    }
    deadline = time.monotonic() + timeout
    current = check_public_url(url, **check)
    request_headers = {
        k: v for k, v in (headers or {}).items() if k.lower() not in _CONTROLLED_HEADERS
    }
    if not any(k.lower() == "user-agent" for k in request_headers):
        request_headers["User-Agent"] = _USER_AGENT
    request_headers["Accept-Encoding"] = "identity"  # the size cap applies to what we keep
    request_headers["Connection"] = "close"
    redirects: list[str] = []
    method = method.upper()

    for hop in range(max_redirects + 1):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _failed("url_timeout", _("访问对方网址超时。"))
        connection = opener(current, remaining, ssl_context)
        try:
            connection.request(method, current.target, body=body, headers=request_headers)
            sock = connection.sock  # getresponse() may hand it over to the response
            response = connection.getresponse()
            location = response.getheader("Location")
            if response.status in _REDIRECTS and location:
                response.close()
                if hop == max_redirects:
                    raise _failed(
                        "url_too_many_redirects",
                        _("网址重定向次数过多。"),
                        max_redirects=max_redirects,
                    )
                following = check_public_url(urljoin(current.url, location.strip()), **check)
                if following.origin != current.origin:
                    request_headers = {
                        k: v
                        for k, v in request_headers.items()
                        if k.lower() not in _CREDENTIAL_HEADERS
                    }
                if response.status in (301, 302, 303) and method not in ("GET", "HEAD"):
                    method, body = "GET", None
                redirects.append(following.url)
                current = following
                continue
            content = (
                b""
                if method == "HEAD"
                else _read_body(response, max_bytes=max_bytes, deadline=deadline, sock=sock)
            )
            return FetchResult(
                url=current.url,
                status=response.status,
                headers={k: v for k, v in response.getheaders()},
                body=content,
                redirects=tuple(redirects),
            )
        except DomainError:
            raise
        except TimeoutError as exc:
            raise _failed("url_timeout", _("访问对方网址超时。")) from exc
        except (OSError, http.client.HTTPException, ValueError) as exc:
            raise _failed("url_fetch_failed", _("无法访问对方网址。")) from exc
        finally:
            connection.close()
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises
