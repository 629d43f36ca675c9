import json
import logging
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
import responses

from integrations import http
from integrations.errors import (
    AuthError,
    BlockedAddressError,
    ConfigError,
    NotFoundError,
    PermanentError,
    RateLimitedError,
    TransientError,
    ValidationFailedError,
)


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.startswith("/slow"):
            time.sleep(1.5)
        body = json.dumps({"path": self.path, "ua": self.headers.get("User-Agent")}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # the timeout test hangs up on purpose; a traceback here is noise


@pytest.fixture(scope="module")
def local_server():
    server = _QuietServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_private_addresses_are_refused_when_not_allowed(local_server, settings):
    settings.INTEGRATIONS_ALLOW_PRIVATE_IPS = False
    with pytest.raises(BlockedAddressError, match="loopback"):
        http.build_session().get(f"{local_server}/anything")


def test_hostnames_are_checked_after_resolution_not_by_name(local_server, settings):
    settings.INTEGRATIONS_ALLOW_PRIVATE_IPS = False
    port = local_server.rsplit(":", 1)[1]
    with pytest.raises(BlockedAddressError, match=r"127\.0\.0\.1"):
        http.build_session().get(f"http://localhost:{port}/")


def test_private_addresses_are_reachable_when_allowed(local_server, settings):
    settings.INTEGRATIONS_ALLOW_PRIVATE_IPS = True
    response = http.build_session().get(f"{local_server}/hello")
    assert response.json()["path"] == "/hello"
    assert response.json()["ua"].startswith("ContactBridge/")


def test_a_slow_server_becomes_a_transient_error_that_says_the_seconds(local_server, settings):
    settings.INTEGRATIONS_ALLOW_PRIVATE_IPS = True
    settings.INTEGRATIONS_CONNECT_TIMEOUT = 5
    settings.INTEGRATIONS_READ_TIMEOUT = 0.3
    with pytest.raises(TransientError) as raised:
        http.build_session().get(f"{local_server}/slow")
    assert str(raised.value).endswith("did not answer: timed out after 0.3 s (connect 5 s).")


@pytest.mark.parametrize(
    ("timeout", "text"),
    [
        ((5.0, 30.0), "30 s (connect 5 s)"),
        ((3, 3), "3 s"),
        (2.5, "2.5 s"),
        ((5, None), "no limit (connect 5 s)"),
    ],
)
def test_timeouts_read_as_seconds_not_tuples(timeout, text):
    assert http.describe_timeout(timeout) == text


def test_a_closed_port_becomes_a_transient_error(settings):
    settings.INTEGRATIONS_ALLOW_PRIVATE_IPS = True
    with pytest.raises(TransientError, match="Could not connect"):
        http.build_session().get("http://127.0.0.1:9/")


@pytest.mark.parametrize("url", ["ftp://example.com/file", "file:///etc/passwd", "example.com"])
def test_only_http_urls_are_allowed(url):
    with pytest.raises(ConfigError):
        http.build_session().get(url)


def test_oauth_sessions_get_the_same_guard(local_server, settings):
    settings.INTEGRATIONS_ALLOW_PRIVATE_IPS = False
    session = http.build_oauth_session(
        client_id="abc", token={"access_token": "t", "token_type": "Bearer"}
    )
    with pytest.raises(BlockedAddressError):
        session.get(f"{local_server}/")


def test_log_lines_carry_no_secret_query_values(local_server, settings, caplog):
    settings.INTEGRATIONS_ALLOW_PRIVATE_IPS = True
    with caplog.at_level(logging.DEBUG):
        http.build_session({"Authorization": "Bearer top-secret-token"}).get(
            f"{local_server}/x?token=secret_in_query&page=2"
        )
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "page=2" in text
    assert "secret_in_query" not in text and "top-secret-token" not in text


@responses.activate
def test_every_request_gets_a_default_timeout():
    responses.get("https://api.example.com/ok", json={})
    http.build_session().get("https://api.example.com/ok")
    assert responses.calls[0].request.req_kwargs["timeout"] == http.default_timeout()


@responses.activate
def test_token_requests_get_the_default_timeout_too():
    """requests-oauthlib sends token requests with timeout=None: the default still applies."""
    responses.post("https://auth.example.com/token", json={"access_token": "a", "expires_in": 60})
    session = http.build_oauth_session(client_id="c")
    session.refresh_token("https://auth.example.com/token", refresh_token="r")
    assert responses.calls[0].request.req_kwargs["timeout"] == http.default_timeout()


@responses.activate
@pytest.mark.parametrize(
    ("status", "error"),
    [
        (500, TransientError),
        (503, TransientError),
        (408, TransientError),
        (401, AuthError),
        (403, AuthError),
        (404, NotFoundError),
        (400, ValidationFailedError),
        (422, ValidationFailedError),
        (418, PermanentError),
    ],
)
def test_raise_for_status_maps_statuses_to_typed_errors(status, error):
    responses.get("https://api.example.com/x", status=status, json={"message": "nope"})
    response = requests.get("https://api.example.com/x", timeout=1)
    with pytest.raises(error) as raised:
        http.raise_for_status(response, service="Example")
    assert raised.value.status == status
    assert "Example answered" in str(raised.value)


@responses.activate
def test_429_carries_retry_after_seconds():
    responses.get("https://api.example.com/x", status=429, headers={"Retry-After": "7"})
    response = requests.get("https://api.example.com/x", timeout=1)
    with pytest.raises(RateLimitedError) as raised:
        http.raise_for_status(response)
    assert raised.value.retry_after == 7.0


@responses.activate
def test_error_excerpts_never_echo_secret_fields():
    responses.get("https://api.example.com/x", status=400, json={"access_token": "leaky-token-1"})
    response = requests.get("https://api.example.com/x", timeout=1)
    with pytest.raises(ValidationFailedError) as raised:
        http.raise_for_status(response)
    assert "leaky-token-1" not in str(raised.value)


@responses.activate
def test_connection_errors_from_the_transport_are_transient():
    responses.get("https://api.example.com/x", body=requests.exceptions.ConnectionError("reset"))
    with pytest.raises(TransientError):
        http.build_session().get("https://api.example.com/x")


@responses.activate
def test_success_passes_through():
    responses.get("https://api.example.com/x", json={"ok": True})
    response = http.build_session().get("https://api.example.com/x")
    assert http.raise_for_status(response).json() == {"ok": True}


# --- The address guard, with resolution faked (no DNS, no network) ---------------------------

FAKE_HOST = "api.example.test"

REFUSED = [
    # IPv4: private, loopback, link-local, CGNAT, "this network", IETF, documentation,
    # benchmarking, relay, multicast, reserved, broadcast
    "10.0.0.1",
    "172.16.0.1",
    "172.31.255.254",
    "192.168.1.1",
    "127.0.0.1",
    "127.1.2.3",
    "169.254.169.254",
    "100.64.0.1",
    "100.127.255.254",
    "0.0.0.0",
    "0.1.2.3",
    "192.0.0.1",
    "192.0.0.170",
    "192.0.2.10",
    "198.51.100.7",
    "203.0.113.9",
    "198.18.0.1",
    "198.19.255.254",
    "192.88.99.1",
    "192.31.196.1",
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    # IPv6: unspecified, loopback, link-local, unique-local, site-local, multicast, discard,
    # documentation, benchmarking, SRv6, IPv4-compatible
    "::",
    "::1",
    "fe80::1",
    "fe80::1%eth0",
    "fc00::1",
    "fd12:3456::1",
    "fec0::1",
    "ff02::1",
    "ff0e::1",
    "100::1",
    "2001:db8::1",
    "3fff::1",
    "2001:2::1",
    "5f00::1",
    "::a00:1",
    # IPv4 inside IPv6: mapped, NAT64 (well-known and local-use), 6to4, Teredo
    "::ffff:10.0.0.1",
    "::ffff:127.0.0.1",
    "::ffff:169.254.169.254",
    "::ffff:100.64.0.1",
    "64:ff9b::a00:1",
    "64:ff9b::7f00:1",
    "64:ff9b:1::808:808",
    "2002:0a00:0001::1",
    "2002:7f00:0001::",
    "2002:5db8:d70e::1",  # 6to4 of a public address: tunnels are refused anyway
    "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # Teredo, client 10.0.0.1
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo, client 192.0.2.45
]

ALLOWED = [
    "93.184.215.14",
    "8.8.8.8",
    "1.1.1.1",
    "2606:4700:4700::1111",
    "2a00:1450:4001:80b::200e",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",  # NAT64 of a public address
]


@pytest.fixture
def fake_dns(monkeypatch):
    """Make FAKE_HOST resolve to whatever a test puts in the returned list."""
    answers: list[str] = []
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host != FAKE_HOST:
            return real(host, port, *args, **kwargs)
        return [
            (
                socket.AF_INET6 if ":" in address else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (address, port, 0, 0) if ":" in address else (address, port),
            )
            for address in answers
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


@pytest.fixture
def no_sockets(monkeypatch):
    """Fail the test if anything opens a connection."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"a connection was attempted: {args}")

    monkeypatch.setattr(http, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)


@pytest.mark.parametrize("address", REFUSED)
def test_special_purpose_addresses_are_refused_before_connecting(
    address, fake_dns, no_sockets, settings
):
    settings.INTEGRATIONS_ALLOW_PRIVATE_IPS = False
    fake_dns.append(address)
    with pytest.raises(BlockedAddressError, match="address not allowed") as raised:
        http.build_session().get(f"https://{FAKE_HOST}/contacts")
    assert address in str(raised.value)


@pytest.mark.parametrize(
    ("address", "says"),
    [
        ("100.64.0.1", "carrier-grade NAT"),
        ("::ffff:10.0.0.1", "private-network address (10.0.0.1)"),
        ("64:ff9b::7f00:1", "loopback address (127.0.0.1)"),
        ("2002:0a00:0001::1", "6to4 address wrapping 10.0.0.1, a private-network address"),
        ("2001:0:4136:e378:8000:63bf:f5ff:fffe", "Teredo address wrapping 10.0.0.1"),
        ("198.18.0.1", "benchmarking"),
        ("2001:db8::1", "documentation"),
    ],
)
def test_a_refusal_says_what_kind_of_address_it_was(address, says):
    with pytest.raises(BlockedAddressError, match=re.escape(says)):
        http.check_address(FAKE_HOST, address)


def test_one_special_address_among_public_ones_refuses_the_host(fake_dns, no_sockets, settings):
    # DNS rebinding / round robin: every answer is checked, not just the first.
    settings.INTEGRATIONS_ALLOW_PRIVATE_IPS = False
    fake_dns.extend(["8.8.8.8", "10.1.2.3"])
    with pytest.raises(BlockedAddressError, match=r"10\.1\.2\.3"):
        http.build_session().get(f"http://{FAKE_HOST}/")


@pytest.mark.parametrize("address", ALLOWED)
def test_public_addresses_are_called_at_the_checked_address(
    address, fake_dns, local_server, monkeypatch, settings
):
    settings.INTEGRATIONS_ALLOW_PRIVATE_IPS = False
    fake_dns.append(address)
    dialled = []
    real_create_connection = http.create_connection
    server_port = int(local_server.rsplit(":", 1)[1])

    def create_connection(target, *args, **kwargs):
        # The "internet" here is the local test server; record where the guard dialled.
        dialled.append(target)
        return real_create_connection(("127.0.0.1", server_port), *args, **kwargs)

    monkeypatch.setattr(http, "create_connection", create_connection)
    response = http.build_session().get(f"http://{FAKE_HOST}:8080/hello")
    assert response.json()["path"] == "/hello"
    assert dialled == [(address, 8080)]


def test_a_refusal_reads_the_same_whether_or_not_the_port_is_open(local_server, settings):
    # Were the check made after connecting, "connection refused" would tell closed ports
    # from open ones; refused addresses must all look alike.
    settings.INTEGRATIONS_ALLOW_PRIVATE_IPS = False
    open_port = int(local_server.rsplit(":", 1)[1])
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()
    messages = []
    for port in (open_port, closed_port):
        with pytest.raises(BlockedAddressError) as raised:
            http.build_session().get(f"http://127.0.0.1:{port}/")
        messages.append(str(raised.value))
    assert messages[0] == messages[1]
    assert "address not allowed" in messages[0]


def test_a_connect_timeout_says_the_connect_seconds(fake_dns, monkeypatch, settings):
    settings.INTEGRATIONS_ALLOW_PRIVATE_IPS = False
    settings.INTEGRATIONS_CONNECT_TIMEOUT = 5
    fake_dns.append("8.8.8.8")

    def time_out(*args, **kwargs):
        raise TimeoutError("timed out")

    monkeypatch.setattr(http, "create_connection", time_out)
    with pytest.raises(TransientError) as raised:
        http.build_session().get(f"https://{FAKE_HOST}/")
    assert str(raised.value) == f"Could not connect to {FAKE_HOST}: timed out after 5 s."


def test_an_unknown_host_is_a_transient_error(no_sockets, monkeypatch, settings):
    settings.INTEGRATIONS_ALLOW_PRIVATE_IPS = False

    def fail(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fail)
    with pytest.raises(TransientError, match="Could not connect"):
        http.build_session().get(f"https://{FAKE_HOST}/")
