"""How the address guard connects once every address passed: to each checked address in
turn, with the request's connect timeout and socket options, and with errors that say what
happened. (The refusals themselves are in test_http.py.)"""

import socket
import sys

import pytest

from integrations import http
from integrations.errors import BlockedAddressError, TransientError
from tests.integrations.test_http import FAKE_HOST, fake_dns, local_server  # noqa: F401


@pytest.fixture
def guarded(settings):
    settings.INTEGRATIONS_ALLOW_PRIVATE_IPS = False
    settings.INTEGRATIONS_CONNECT_TIMEOUT = 4


@pytest.fixture
def dial(monkeypatch, local_server):  # noqa: F811
    """Record every connection the guard opens; `refuse` lists addresses that fail, the rest
    reach the local test server (standing in for the internet)."""
    calls: list[dict] = []
    refuse: set[str] = set()
    real = http.create_connection
    port = int(local_server.rsplit(":", 1)[1])

    def create_connection(target, timeout=None, **kwargs):
        calls.append({"target": target, "timeout": timeout, **kwargs})
        if target[0] in refuse:
            raise ConnectionRefusedError(111, "Connection refused")
        return real(("127.0.0.1", port), timeout, **kwargs)

    monkeypatch.setattr(http, "create_connection", create_connection)
    return calls, refuse


def test_a_refused_address_falls_through_to_the_next_checked_one(
    guarded,
    fake_dns,  # noqa: F811
    dial,
):
    calls, refuse = dial
    fake_dns.extend(["8.8.8.8", "1.1.1.1"])
    refuse.add("8.8.8.8")
    response = http.build_session().get(f"http://{FAKE_HOST}:8080/next")
    assert response.json()["path"] == "/next"
    assert [call["target"] for call in calls] == [("8.8.8.8", 8080), ("1.1.1.1", 8080)]


def test_the_connect_timeout_and_socket_options_reach_the_socket(
    guarded,
    fake_dns,  # noqa: F811
    dial,
):
    calls, _ = dial
    fake_dns.append("8.8.8.8")
    http.build_session().get(f"http://{FAKE_HOST}:8080/")
    [call] = calls
    assert call["timeout"] == 4  # the connect part of the (connect, read) timeout
    assert call["source_address"] is None
    assert (socket.IPPROTO_TCP, socket.TCP_NODELAY, 1) in call["socket_options"]


def test_when_every_address_refuses_the_error_says_so(
    guarded,
    fake_dns,  # noqa: F811
    dial,
):
    calls, refuse = dial
    fake_dns.extend(["8.8.8.8", "1.1.1.1"])
    refuse.update(fake_dns)
    with pytest.raises(TransientError, match=f"Could not connect to {FAKE_HOST}") as raised:
        http.build_session().get(f"http://{FAKE_HOST}:8080/")
    assert "refused" in str(raised.value).lower()
    assert len(calls) == 2  # both were tried


def test_a_name_without_addresses_is_an_error_not_a_connection(
    guarded,
    fake_dns,  # noqa: F811
    dial,
):
    calls, _ = dial  # fake_dns left empty: the name resolves to nothing
    with pytest.raises(TransientError, match=f"Could not connect to {FAKE_HOST}") as raised:
        http.build_session().get(f"http://{FAKE_HOST}:8080/")
    assert "resolves to no address" in str(raised.value)
    assert calls == []


def test_a_refusal_names_the_host_that_was_asked_for(guarded, fake_dns):  # noqa: F811
    fake_dns.append("10.9.8.7")
    with pytest.raises(Exception, match=rf"^{FAKE_HOST} resolves to 10\.9\.8\.7, "):
        http.build_session().get(f"http://{FAKE_HOST}/")


def test_the_refusal_says_what_to_do_about_it():
    with pytest.raises(BlockedAddressError) as raised:
        http.check_address(FAKE_HOST, "10.1.2.3")
    assert str(raised.value) == (
        f"{FAKE_HOST} resolves to 10.1.2.3, a private-network address: address not allowed. "
        "ContactBridge only calls public addresses; an administrator can allow private ones "
        "with INTEGRATIONS_ALLOW_PRIVATE_IPS=true."
    )


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        # Outside 2000::/3 and in no table row: the safety net for future registry blocks.
        ("4000::1", "an address outside the IPv6 global unicast range"),
        ("e000::1", "an address outside the IPv6 global unicast range"),
        # A tunnel to a public address is refused for being a tunnel, nothing more.
        ("2002:5db8:d70e::1", "a 6to4 address"),
    ],
)
def test_the_reason_is_exact(address, reason):
    with pytest.raises(BlockedAddressError) as raised:
        http.check_address(FAKE_HOST, address)
    assert str(raised.value).startswith(f"{FAKE_HOST} resolves to {address}, {reason}: ")


_AUDITED: list[tuple] = []
_AUDITING = False


def _audit(event, args):
    if _AUDITING and event == "http.client.connect":
        _AUDITED.append(args)


sys.addaudithook(_audit)  # hooks cannot be removed: this one records only inside the test


def test_a_guarded_connection_is_audited_like_http_clients(
    guarded,
    fake_dns,  # noqa: F811
    dial,
):
    global _AUDITING
    fake_dns.append("8.8.8.8")
    _AUDITED.clear()
    _AUDITING = True
    try:
        http.build_session().get(f"http://{FAKE_HOST}:8080/")
    finally:
        _AUDITING = False
    [(conn, host, port)] = _AUDITED
    assert (host, port) == (FAKE_HOST, 8080) and conn.host == FAKE_HOST


def test_an_unknown_name_says_which_name_and_why(guarded, monkeypatch):
    def fail(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fail)
    with pytest.raises(TransientError) as raised:
        http.build_session().get(f"https://{FAKE_HOST}/")
    assert f"'{FAKE_HOST}'" in str(raised.value)
    assert "Name or service not known" in str(raised.value)
