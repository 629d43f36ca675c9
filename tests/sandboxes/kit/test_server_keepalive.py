"""The sandbox server speaks HTTP/1.1 with persistent connections: a `requests.Session` sends
many requests over one TCP connection, bodies and answers stay in step on it, and stopping
the server does not wait for (or leak) the connections clients keep open."""

import http.client
import json
import socket
import threading
import time
from types import SimpleNamespace

import pytest
import requests

from sandboxes.kit.server import SandboxApp, SandboxOptions, start_in_thread, stop
from sandboxes.kit.web import Request, Response, json_response

TIMEOUT = 5


class EchoSandbox(SandboxApp):
    """Answers with what it was asked: method, path, query, headers, body and WSGI keys."""

    name = "echo"

    def handle(self, request: Request) -> Response:
        if request.path == "/slow":
            time.sleep(float(request.arg("seconds", "1")))
        if request.path == "/truncated":  # declares more than it sends, as a broken server
            return Response(200, b"short", {"Content-Length": "100"})
        environ = request.environ
        keys = (
            "REQUEST_METHOD",
            "PATH_INFO",
            "QUERY_STRING",
            "CONTENT_TYPE",
            "CONTENT_LENGTH",
            "SERVER_NAME",
            "SERVER_PORT",
            "SERVER_PROTOCOL",
            "REMOTE_ADDR",
            "wsgi.url_scheme",
        )
        return json_response(
            {
                "method": request.method,
                "path": request.path,
                "query": request.query,
                "body": request.body.decode(),
                "header": request.header("x-probe"),
                "environ": {key: environ.get(key) for key in keys},
            }
        )


@pytest.fixture
def server():
    httpd, app, base_url = start_in_thread([EchoSandbox(SandboxOptions())])
    accepted = []
    get_request = httpd.get_request

    def counting_get_request():
        connection = get_request()
        accepted.append(connection[1])
        return connection

    httpd.get_request = counting_get_request  # serve_forever looks it up per connection
    stopped = threading.Event()

    def stop_server():
        if not stopped.is_set():
            stopped.set()
            stop(httpd, app)

    yield SimpleNamespace(
        root=base_url,
        url=base_url + "/echo",
        port=httpd.server_port,
        accepted=accepted,
        stop=stop_server,
    )
    stop_server()


def _raw(server, request: bytes) -> tuple[bytes, bool]:
    """Send `request` on a new connection; returns what came back and whether the server
    closed the connection (False: still open after a second of silence)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT) as sock:
        sock.sendall(request)
        sock.settimeout(1)
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except TimeoutError:
            return received, False
        return received, True


def test_a_session_sends_many_requests_over_one_connection(server):
    with requests.Session() as session:
        for n in range(20):
            if n % 4 == 0:  # a body the app never reads (/health) must not spill over
                answer = session.post(f"{server.root}/health", data=b"x" * 5000, timeout=TIMEOUT)
                assert answer.json()["status"] == "ok"
            elif n % 4 == 1:
                payload = {"n": n, "text": "é" * n}
                answer = session.post(f"{server.url}/things", json=payload, timeout=TIMEOUT)
                echoed = answer.json()
                assert echoed["method"] == "POST" and echoed["path"] == "/things"
                assert json.loads(echoed["body"]) == payload
            elif n % 4 == 2:
                answer = session.head(f"{server.url}/things", timeout=TIMEOUT)
                assert answer.content == b"" and int(answer.headers["Content-Length"]) > 0
            else:
                answer = session.get(
                    f"{server.url}/things/{n}?page={n}", headers={"X-Probe": str(n)}
                )
                echoed = answer.json()
                assert echoed["path"] == f"/things/{n}" and echoed["query"] == {"page": [str(n)]}
                assert echoed["header"] == str(n) and echoed["body"] == ""
            assert answer.status_code == 200
            assert "close" not in answer.headers.get("Connection", "").lower()
    assert len(server.accepted) == 1


def test_the_app_gets_a_complete_environ(server):
    with requests.Session() as session:
        session.get(f"{server.root}/health", timeout=TIMEOUT)  # the environ of a reused connection
        answer = session.put(
            f"{server.url}/a%20b/?x=1&y=",
            data=b"name=value",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=TIMEOUT,
        )
    assert answer.json()["environ"] == {
        "REQUEST_METHOD": "PUT",
        "PATH_INFO": "/echo/a b/",
        "QUERY_STRING": "x=1&y=",
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": "10",
        "SERVER_NAME": answer.json()["environ"]["SERVER_NAME"],
        "SERVER_PORT": str(server.port),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
    }
    assert answer.json()["body"] == "name=value"
    assert len(server.accepted) == 1


def test_pipelined_requests_are_answered_in_order(server):
    requests_ = (
        b"".join(f"GET /echo/p{n} HTTP/1.1\r\nHost: x\r\n\r\n".encode() for n in range(3))
        + b"GET /echo/last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    received, closed = _raw(server, requests_)
    assert closed
    assert received.count(b"HTTP/1.1 200 OK") == 4
    paths = [b'"path":"/p0"', b'"path":"/p1"', b'"path":"/p2"', b'"path":"/last"']
    positions = [received.index(path) for path in paths]
    assert positions == sorted(positions)


def test_the_client_can_ask_for_the_connection_to_close(server):
    received, closed = _raw(server, b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert (
        closed and b"Connection: close" in received and received.endswith(b'"sandboxes":["echo"]}')
    )
    received, closed = _raw(server, b"GET /health HTTP/1.0\r\n\r\n")  # 1.0 closes by default
    assert closed and b" 200 OK" in received
    received, closed = _raw(server, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    assert not closed and b" 200 OK" in received  # 1.1 keeps it open


def test_a_chunked_body_is_refused_and_the_connection_closed(server):
    request = (
        b"POST /echo/things HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n0\r\n\r\n"
    )
    received, closed = _raw(server, request)
    assert received.startswith(b"HTTP/1.1 411 ") and closed


def test_an_answer_shorter_than_its_length_closes_the_connection(server):
    received, closed = _raw(server, b"GET /echo/truncated HTTP/1.1\r\nHost: x\r\n\r\n")
    assert b"Content-Length: 100\r\n" in received and received.endswith(b"\r\n\r\nshort")
    assert closed  # so the client sees the truncation instead of waiting for the rest


def test_a_request_the_client_gave_up_on_does_not_break_the_session(server):
    with requests.Session() as session:
        with pytest.raises(requests.ReadTimeout):
            session.get(f"{server.url}/slow?seconds=1", timeout=0.2)
        for n in range(3):
            answer = session.get(f"{server.url}/after/{n}", timeout=TIMEOUT)
            assert answer.json()["path"] == f"/after/{n}"
    assert len(server.accepted) == 2  # the timed-out connection is dropped, the next one kept


def test_stop_returns_promptly_and_closes_idle_kept_alive_connections(server):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT)
    connection.request("GET", "/health")
    assert connection.getresponse().read()
    with requests.Session() as session:
        assert session.get(f"{server.root}/health", timeout=TIMEOUT).status_code == 200
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 2
    connection.sock.settimeout(2)
    assert connection.sock.recv(1) == b""  # the server ended the idle connection
    connection.close()
