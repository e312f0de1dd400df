"""The SSRF guard: user-supplied URLs never reach the platform's own network.

No traffic leaves the machine. ``check_public_url`` is tested with a table-backed resolver (a test
double of the operating system's resolver, not of our code). ``safe_fetch`` is tested against a
local HTTP(S) server on 127.0.0.1: names such as ``public.example`` resolve to it through the table,
and only for those tests is 127.0.0.1/32 passed as an explicitly allowed network. A guard-rail
opener makes every test fail, instead of connecting, should the guard ever let an address other
than 127.0.0.1 through.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from yiwang.core.netguard import (
    FetchFailed,
    ResolvedUrl,
    UrlRefused,
    check_public_url,
    is_public_address,
    pinned_opener,
    safe_fetch,
)

LOOPBACK_ONLY = [ipaddress.ip_network("127.0.0.1/32")]


def table_resolver(table: dict[str, list[str]], calls: list[str] | None = None):
    """A getaddrinfo look-alike answering from ``table`` (host → addresses)."""

    def resolve(host, port, family=0, type=0, proto=0, flags=0):
        if calls is not None:
            calls.append(host)
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        answers = []
        for address in table[host]:
            if ipaddress.ip_address(address.split("%")[0]).version == 4:
                answers.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)))
            else:
                answers.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0)))
        return answers

    return resolve


def no_lookup(*args, **kwargs):
    raise AssertionError("an IP literal must not be looked up")


PUBLIC = {"public.example": ["93.184.215.14"], "xn--fsqu00a.xn--fiqs8s": ["203.119.25.1"]}


def refused(url: str, code: str, resolver=None, **kwargs) -> UrlRefused:
    with pytest.raises(UrlRefused) as caught:
        check_public_url(url, resolver=resolver or table_resolver(PUBLIC), **kwargs)
    assert caught.value.code == code, caught.value
    assert caught.value.status == 422
    return caught.value


# --- check_public_url -------------------------------------------------------------------------


def test_it_accepts_a_public_url_and_pins_the_address_to_connect_to():
    calls: list[str] = []

    checked = check_public_url(
        "https://Public.Example/path/页面?q=一网#frag", resolver=table_resolver(PUBLIC, calls)
    )

    assert checked == ResolvedUrl(
        url="https://public.example/path/%E9%A1%B5%E9%9D%A2?q=%E4%B8%80%E7%BD%91",
        scheme="https",
        host="public.example",
        port=443,
        ip="93.184.215.14",
        addresses=("93.184.215.14",),
        target="/path/%E9%A1%B5%E9%9D%A2?q=%E4%B8%80%E7%BD%91",
    )
    assert checked.host_header == "public.example"
    assert calls == ["public.example"]


def test_it_normalises_chinese_and_full_width_host_names_with_idna():
    calls: list[str] = []
    resolver = table_resolver({**PUBLIC, "example.com": ["93.184.215.14"]}, calls)

    assert check_public_url("http://例子.中国/", resolver=resolver).host == "xn--fsqu00a.xn--fiqs8s"
    assert (
        check_public_url("http://ｅｘａｍｐｌｅ．ｃｏｍ/", resolver=resolver).host == "example.com"
    )
    assert calls == ["xn--fsqu00a.xn--fiqs8s", "example.com"]


def test_a_trailing_dot_is_removed_before_the_checks():
    checked = check_public_url("http://public.example.:8080/", resolver=table_resolver(PUBLIC))

    assert checked.host == "public.example"
    assert checked.host_header == "public.example:8080"
    assert checked.url == "http://public.example:8080/"


def test_public_ip_literals_are_accepted_without_a_lookup():
    v4 = check_public_url("http://1.1.1.1/", resolver=no_lookup)
    v6 = check_public_url("https://[2606:4700:4700::1111]:8443/x", resolver=no_lookup)

    assert v4.ip == "1.1.1.1"
    assert v6.ip == "2606:4700:4700::1111"
    assert v6.host_header == "[2606:4700:4700::1111]:8443"
    assert v6.url == "https://[2606:4700:4700::1111]:8443/x"


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "gopher://public.example:70/_GET",
        "ftp://public.example/",
        "dict://public.example:11211/stat",
        "javascript:alert(1)",
        "data:text/html,<script>",
        "ldap://public.example/",
        "//public.example/no-scheme",
        "public.example/no-scheme",
    ],
)
def test_it_refuses_schemes_other_than_http_and_https(url):
    error = refused(url, "url_scheme_refused")

    assert error.field == "url"
    assert "http" in error.message


def test_the_allowed_schemes_can_be_narrowed():
    refused("http://public.example/", "url_scheme_refused", allowed_schemes={"https"})


@pytest.mark.parametrize(
    "url",
    [
        "http://user:pass@public.example/",
        "http://user@public.example/",
        "http://:@public.example/",
        "http://public.example:80@evil.example/",
    ],
)
def test_it_refuses_credentials_in_the_url(url):
    refused(url, "url_credentials_refused")


PRIVATE_ADDRESSES = [
    "127.0.0.1",
    "127.255.255.254",
    "10.0.0.5",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata
    "100.64.0.1",  # CGNAT
    "0.0.0.0",
    "0.1.2.3",
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    "198.18.0.1",
    "192.0.0.8",
    "192.0.2.1",
    "::1",
    "::",
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:8.8.8.8",  # mapped: refused even when the IPv4 part is public
    "::127.0.0.1",  # IPv4-compatible
    "2002:7f00:1::1",  # 6to4
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "64:ff9b:1::a00:1",  # local-use NAT64
    "fc00::1",
    "fd12:3456:789a::1",  # unique local
    "fe80::1",
    "fe80::1%2",  # link-local with a zone
    "fec0::1",  # site-local
    "ff02::1",
    "2001:db8::1",
    "100::1",
]


@pytest.mark.parametrize("address", PRIVATE_ADDRESSES)
def test_it_refuses_a_host_that_resolves_to_an_internal_or_reserved_address(address):
    error = refused(
        "http://innocent.example/",
        "url_private_address",
        table_resolver({"innocent.example": [address]}),
    )

    assert address.split("%")[0] not in error.message
    assert address.split("%")[0] not in str(error.details)


@pytest.mark.parametrize("address", PRIVATE_ADDRESSES)
def test_no_internal_address_is_public(address):
    assert not is_public_address(address)


@pytest.mark.parametrize(
    "address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "64:ff9b::808:808"]
)
def test_public_addresses_are_public(address):
    assert is_public_address(address)


@pytest.mark.parametrize(
    "answers",
    [["93.184.215.14", "10.0.0.1"], ["10.0.0.1", "93.184.215.14"], ["8.8.8.8", "::1"]],
)
def test_every_address_the_resolver_returns_is_checked(answers):
    refused(
        "http://mixed.example/", "url_private_address", table_resolver({"mixed.example": answers})
    )


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://127.0.0.1:8080/admin",
        "http://0.0.0.0/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[0:0:0:0:0:ffff:7f00:1]/",
        "http://[::]/",
        "http://①②⑦.0.0.1/",  # circled digits normalise to 127.0.0.1
        "http://１２７.０.０.１/",  # full-width digits too
    ],
)
def test_it_refuses_internal_ip_literals_without_a_lookup(url):
    refused(url, "url_private_address", resolver=no_lookup)


@pytest.mark.parametrize(
    "url",
    [
        "http://2130706433/",  # decimal
        "http://0x7f000001/",  # hex
        "http://017700000001/",  # octal
        "http://127.1/",  # short form
        "http://0177.0.0.1/",
        "http://0x7f.0.0.1/",
        "http://127.0.0.01/",
        "http://0/",
        "http://0x/",
        "http://public.example.123/",
    ],
)
def test_it_refuses_ip_literals_written_in_ambiguous_forms(url):
    error = refused(url, "url_invalid", resolver=no_lookup)

    assert error.details["reason"] == "ambiguous_ip_literal"


@pytest.mark.parametrize("host", ["localhost", "LOCALHOST", "localhost."])
def test_localhost_in_any_spelling_is_internal(host):
    refused(
        f"http://{host}/",
        "url_private_address",
        table_resolver({"localhost": ["127.0.0.1", "::1"]}),
    )


@pytest.mark.parametrize(
    "url",
    [
        "",
        "http://" + "a" * 2100 + ".example/",
        "http://evil.example\\@public.example/",
        "http://public.example\\admin/",
        "http://exa mple.example/",
        "http://public.example/\r\nX-Injected: 1",
        "http://public.example/\x00",
        "http://a_b.example/",
        "http:///path",
        "http://public.example:99999/",
        "http://public.example:port/",
        "http://[fe80::1%25eth0]/",
        "http://[::1/",
        "http://public..example/",
        "http://public.example../",
    ],
)
def test_it_refuses_malformed_urls(url):
    refused(url, "url_invalid", resolver=no_lookup)


def test_a_url_that_is_not_a_string_is_invalid():
    refused(None, "url_invalid", resolver=no_lookup)


def test_it_refuses_ports_outside_the_allowed_set():
    refused("http://public.example:22/", "url_port_refused")
    refused("http://public.example:6379/", "url_port_refused")
    assert (
        check_public_url(
            "http://public.example:9000/", resolver=table_resolver(PUBLIC), allowed_ports={9000}
        ).port
        == 9000
    )


def test_an_unknown_host_or_an_empty_answer_is_unresolvable():
    refused("http://nowhere.example/", "url_unresolvable")
    refused("http://empty.example/", "url_unresolvable", table_resolver({"empty.example": []}))


def test_an_explicitly_allowed_network_lets_an_internal_address_through():
    checked = check_public_url(
        "http://public.example/",
        resolver=table_resolver({"public.example": ["127.0.0.1"]}),
        extra_allowed_networks=LOOPBACK_ONLY,
    )

    assert checked.ip == "127.0.0.1"
    refused(
        "http://public.example/",
        "url_private_address",
        table_resolver({"public.example": ["127.0.0.2"]}),
        extra_allowed_networks=LOOPBACK_ONLY,
    )


def test_the_field_name_can_be_chosen():
    assert refused("ftp://x/", "url_scheme_refused", field="webhook_url").field == "webhook_url"


# --- safe_fetch against a local server -----------------------------------------------------------


class Recorder:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.lock = threading.Lock()


def make_handler(recorder: Recorder):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep test output quiet
            pass

        def _record(self, body: bytes = b"") -> None:
            with recorder.lock:
                recorder.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "host": self.headers.get("Host"),
                        "authorization": self.headers.get("Authorization"),
                        "body": body,
                    }
                )

        def _send(self, status: int, body: bytes = b"", headers: dict | None = None, length=True):
            self.send_response(status)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            if length:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            self._route(self.rfile.read(length))

        def do_GET(self):
            self._route(b"")

        def _route(self, body: bytes) -> None:
            self._record(body)
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path == "/ok":
                self._send(200, "你好".encode(), {"Content-Type": "text/plain; charset=utf-8"})
            elif url.path == "/redirect":
                self._send(int(query.get("status", "302")), headers={"Location": query["to"]})
            elif url.path.startswith("/chain/"):
                left = int(url.path.rsplit("/", 1)[1])
                target = f"/chain/{left - 1}" if left else None
                if target:
                    self._send(302, headers={"Location": target})
                else:
                    self._send(200, b"end of chain")
            elif url.path == "/big":
                self._send(200, b"x" * int(query["n"]))
            elif url.path == "/big-unannounced":
                self._send(200, b"x" * int(query["n"]), length=False)  # ends when the socket closes
            elif url.path == "/slow":
                self.send_response(200)
                self.end_headers()
                for _ in range(40):  # at most 2 s, then stop on its own
                    try:
                        self.wfile.write(b"x")
                        self.wfile.flush()
                    except OSError:
                        return
                    time.sleep(0.05)
            else:
                self._send(404, b"not found")

    return Handler


class LocalServer:
    def __init__(self, tls_context: ssl.SSLContext | None = None) -> None:
        self.recorder = Recorder()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(self.recorder))
        self.httpd.daemon_threads = True
        self.httpd.handle_error = lambda request, address: None
        if tls_context is not None:
            self.httpd.socket = tls_context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def requests(self) -> list[dict]:
        return self.recorder.requests

    def __enter__(self) -> LocalServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def running_server() -> Iterator[LocalServer]:
    with LocalServer() as running:
        yield running


@pytest.fixture
def server(running_server) -> LocalServer:
    running_server.requests.clear()
    return running_server


def loopback_only_opener(resolved, timeout, ssl_context):
    """Guard rail: the real opener, but only ever towards the local test server."""
    assert resolved.ip == "127.0.0.1", f"the guard let {resolved.ip} through"
    return pinned_opener(resolved, timeout, ssl_context)


LOCAL_NAMES = {
    "public.example": ["127.0.0.1"],
    "other.example": ["127.0.0.1"],
    "internal.example": ["10.0.0.5"],
}


def fetch(server: LocalServer, path: str, host: str = "public.example", **kwargs):
    options = {
        "resolver": table_resolver(LOCAL_NAMES),
        "allowed_ports": {80, 443, server.port},
        "extra_allowed_networks": LOOPBACK_ONLY,
        "opener": loopback_only_opener,
        "timeout": 5.0,
    }
    options.update(kwargs)
    return safe_fetch(f"http://{host}:{server.port}{path}", **options)


def test_safe_fetch_refuses_loopback_and_sends_nothing(server):
    with pytest.raises(UrlRefused) as caught:
        safe_fetch(f"http://127.0.0.1:{server.port}/ok", allowed_ports={server.port})

    assert caught.value.code == "url_private_address"
    assert server.requests == []


def test_safe_fetch_refuses_a_name_resolving_to_loopback_when_no_network_is_allowed(server):
    with pytest.raises(UrlRefused) as caught:
        fetch(server, "/ok", extra_allowed_networks=())

    assert caught.value.code == "url_private_address"
    assert server.requests == []


def test_safe_fetch_connects_to_the_pinned_address_and_speaks_to_the_host(server):
    result = fetch(server, "/ok")

    assert result.status == 200
    assert result.body.decode() == "你好"
    assert result.url == f"http://public.example:{server.port}/ok"
    assert result.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert server.requests[0]["host"] == f"public.example:{server.port}"


def test_safe_fetch_resolves_once_per_hop_so_dns_rebinding_cannot_swap_the_address(server):
    calls: list[str] = []
    answers = iter([["127.0.0.1"], ["127.0.0.2"], ["127.0.0.2"]])  # 127.0.0.2: nothing listens

    def rebinding(host, port, **kwargs):
        calls.append(host)
        return table_resolver({host: next(answers)})(host, port)

    result = fetch(server, "/ok", resolver=rebinding)

    assert result.status == 200
    assert calls == ["public.example"]


def test_a_redirect_to_the_metadata_service_is_refused_before_connecting(server):
    with pytest.raises(UrlRefused) as caught:
        fetch(server, "/redirect?to=http://169.254.169.254/latest/meta-data/")

    assert caught.value.code == "url_private_address"
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    ("target", "code"),
    [
        ("http://internal.example/", "url_private_address"),
        ("http://[::1]/", "url_private_address"),
        ("http://2130706433/", "url_invalid"),
        ("file:///etc/passwd", "url_scheme_refused"),
        ("gopher://public.example/", "url_scheme_refused"),
        ("http://user:pw@public.example/", "url_credentials_refused"),
        ("http://public.example:22/", "url_port_refused"),
    ],
)
def test_every_redirect_target_is_checked_again(server, target, code):
    with pytest.raises(UrlRefused) as caught:
        fetch(server, f"/redirect?to={target}")

    assert caught.value.code == code
    assert len(server.requests) == 1


def test_it_follows_up_to_three_redirects(server):
    result = fetch(server, "/chain/3")

    assert result.body == b"end of chain"
    assert [urlsplit(u).path for u in result.redirects] == ["/chain/2", "/chain/1", "/chain/0"]


def test_a_fourth_redirect_is_refused(server):
    with pytest.raises(FetchFailed) as caught:
        fetch(server, "/chain/4")

    assert caught.value.code == "url_too_many_redirects"
    assert caught.value.status == 502
    assert len(server.requests) == 4


def test_credentials_are_not_carried_to_another_origin(server):
    same = fetch(server, "/redirect?to=/ok", headers={"Authorization": "Bearer s3cret"})
    assert same.status == 200
    assert [r["authorization"] for r in server.requests] == ["Bearer s3cret", "Bearer s3cret"]

    server.requests.clear()
    other = f"http://other.example:{server.port}/ok"
    fetch(server, f"/redirect?to={other}", headers={"Authorization": "Bearer s3cret"})

    assert [r["authorization"] for r in server.requests] == ["Bearer s3cret", None]
    assert server.requests[1]["host"] == f"other.example:{server.port}"


def test_a_303_after_a_post_becomes_a_get_without_the_body(server):
    result = fetch(server, "/redirect?status=303&to=/ok", method="POST", body=b'{"event":"x"}')

    assert result.status == 200
    assert [(r["method"], r["body"]) for r in server.requests] == [
        ("POST", b'{"event":"x"}'),
        ("GET", b""),
    ]


def test_a_307_keeps_the_method_and_body(server):
    fetch(server, "/redirect?status=307&to=/ok", method="POST", body=b"payload")

    assert [(r["method"], r["body"]) for r in server.requests] == [
        ("POST", b"payload"),
        ("POST", b"payload"),
    ]


def test_a_body_announced_as_too_large_is_refused_without_reading_it(server):
    with pytest.raises(FetchFailed) as caught:
        fetch(server, f"/big?n={2 * 1024 * 1024}", max_bytes=1024 * 1024)

    assert caught.value.code == "url_response_too_large"


def test_a_body_that_grows_too_large_is_cut_off(server):
    with pytest.raises(FetchFailed) as caught:
        fetch(server, f"/big-unannounced?n={300 * 1024}", max_bytes=100 * 1024)

    assert caught.value.code == "url_response_too_large"


def test_a_body_at_the_limit_is_returned_whole(server):
    assert len(fetch(server, "/big-unannounced?n=5000", max_bytes=5000).body) == 5000
    assert len(fetch(server, "/big?n=5000", max_bytes=5000).body) == 5000


def test_a_server_that_trickles_its_body_runs_into_the_overall_timeout(server):
    started = time.monotonic()
    with pytest.raises(FetchFailed) as caught:
        fetch(server, "/slow", timeout=0.5)

    assert caught.value.code == "url_timeout"
    assert time.monotonic() - started < 10  # the overall timeout, not the trickle, ended it


def test_a_closed_port_is_a_fetch_failure(server):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]

    with pytest.raises(FetchFailed) as caught:
        safe_fetch(
            f"http://public.example:{free_port}/",
            resolver=table_resolver(LOCAL_NAMES),
            allowed_ports={free_port},
            extra_allowed_networks=LOOPBACK_ONLY,
            opener=loopback_only_opener,
            timeout=2,
        )

    assert caught.value.code == "url_fetch_failed"


# --- HTTPS: the pinned address with the host name's certificate --------------------------------


def _certificate_authority():
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Yiwang test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "public.example")]))
        .issuer_name(ca_name)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("public.example")]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    return (
        ca_cert.public_bytes(pem).decode(),
        leaf_cert.public_bytes(pem),
        leaf_key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
    )


@pytest.fixture(scope="module")
def tls_material(tmp_path_factory):
    ca_pem, cert_pem, key_pem = _certificate_authority()
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(cert_pem)
    (folder / "key.pem").write_bytes(key_pem)
    return ca_pem, folder / "cert.pem", folder / "key.pem"


@pytest.fixture
def tls_server(tls_material) -> Iterator[tuple[LocalServer, ssl.SSLContext]]:
    ca_pem, cert_path, key_path = tls_material
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert_path, key_path)
    client_context = ssl.create_default_context(cadata=ca_pem)
    with LocalServer(tls_context=server_context) as running:
        yield running, client_context


def fetch_tls(server: LocalServer, context: ssl.SSLContext, host: str, path: str):
    return safe_fetch(
        f"https://{host}:{server.port}{path}",
        resolver=table_resolver(LOCAL_NAMES),
        allowed_ports={server.port},
        extra_allowed_networks=LOOPBACK_ONLY,
        ssl_context=context,
        opener=loopback_only_opener,
        timeout=5,
    )


def test_https_connects_to_the_pinned_address_and_verifies_the_host_names_certificate(tls_server):
    server, context = tls_server

    result = fetch_tls(server, context, "public.example", "/ok")

    assert result.body.decode() == "你好"
    assert server.requests[0]["host"] == f"public.example:{server.port}"


def test_https_refuses_a_certificate_for_another_name(tls_server):
    server, context = tls_server

    with pytest.raises(FetchFailed) as caught:
        fetch_tls(server, context, "other.example", "/ok")

    assert caught.value.code == "url_fetch_failed"
    assert isinstance(caught.value.__cause__, ssl.SSLCertVerificationError)
    assert server.requests == []
