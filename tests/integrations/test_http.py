import json
import logging
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


def test_a_slow_server_becomes_a_transient_error(local_server, settings):
    settings.INTEGRATIONS_ALLOW_PRIVATE_IPS = True
    settings.INTEGRATIONS_READ_TIMEOUT = 0.3
    with pytest.raises(TransientError, match="did not answer"):
        http.build_session().get(f"{local_server}/slow")


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
