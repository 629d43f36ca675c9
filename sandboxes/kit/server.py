"""One process serves every sandbox: `/<provider>/...` goes to that provider's app."""

import contextlib
import io
import json
import logging
import socket
import sys
import threading
import traceback
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.handlers import BaseHandler, FileWrapper
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from sandboxes.kit import look
from sandboxes.kit.web import HTTPError, Request, Response, json_response

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SandboxOptions:
    state_dir: Path | None = None  # None keeps state in memory only
    seed: int = 0  # how many deterministic customers/contacts to create on first start
    random_seed: int = 1  # drives every generated value, so two runs with one seed agree
    test_mode: bool = True  # enables /<provider>/_control (fault injection); off = refused
    # Where the app under test listens: webhooks go to {webhook_base}/webhooks/<provider>/ from
    # the start (None: no webhook URL until one is set through /_control).
    webhook_base: str | None = None


class SandboxApp:
    """Base of each provider's sandbox app. Subclasses set `name` and implement `handle`."""

    name = ""

    def __init__(self, options: SandboxOptions):
        self.options = options
        self.base_url = ""

    def bind(self, base_url: str) -> None:
        """Called once the server knows its address; `base_url` ends in `/<name>`."""
        self.base_url = base_url

    def state_path(self) -> Path | None:
        if self.options.state_dir is None:
            return None
        self.options.state_dir.mkdir(parents=True, exist_ok=True)
        return self.options.state_dir / f"{self.name}.sqlite3"

    def default_webhook_url(self) -> str | None:
        if not self.options.webhook_base:
            return None
        return f"{self.options.webhook_base.rstrip('/')}/webhooks/{self.name}/"

    def describe(self) -> dict:
        """The JSON line printed at start: base URL and credentials in the provider's terms."""
        return {"provider": self.name, "base_url": self.base_url}

    def handle(self, request: Request) -> Response:
        raise NotImplementedError

    def close(self) -> None:
        """Stop background threads (webhook delivery) and close the store."""


class SandboxServer:
    def __init__(self, apps: list[SandboxApp]):
        self.apps = {app.name: app for app in apps}

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "/") or "/"
        head, _, rest = path.lstrip("/").partition("/")
        try:
            if head in ("", "health"):
                response = json_response({"status": "ok", "sandboxes": sorted(self.apps)})
            elif head == "_kit" and (asset := look.asset(rest.strip("/"))):
                response = asset  # the sandbox pages' stylesheet and favicon
            elif head in self.apps and rest.strip("/") == "_describe":
                response = self._describe(self.apps[head])
            elif head in self.apps:
                response = self.apps[head].handle(Request(environ, "/" + rest))
            else:
                response = json_response(
                    {"statusCode": 404, "message": f"No sandbox is mounted at /{head}"}, 404
                )
        except HTTPError as error:
            response = error.to_response()
        except Exception:
            logger.error(
                "Sandbox error on %s %s\n%s",
                environ["REQUEST_METHOD"],
                path,
                traceback.format_exc(),
            )
            response = json_response({"statusCode": 500, "message": "Internal Server Error"}, 500)
        headers = [("Content-Length", str(len(response.body))), *response.headers.items()]
        start_response(response.status_line(), headers)
        return [response.body]

    @staticmethod
    def _describe(app: SandboxApp) -> Response:
        """`GET /<name>/_describe`: what the start-up line printed, so the web app can offer
        "Use sandbox" without reading the sandbox's stdout. Test mode only: it holds secrets."""
        if not app.options.test_mode:
            raise HTTPError(403, {"message": "Sandbox credentials are only served in test mode."})
        return json_response(app.describe())

    def bind(self, base_url: str) -> None:
        for name, app in self.apps.items():
            app.bind(f"{base_url}/{name}")

    def close(self) -> None:
        for app in self.apps.values():
            app.close()


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    block_on_close = False  # never wait for handler threads (keep-alive ones idle for long)
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, *args, **kwargs):
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def process_request(self, request, client_address):
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def server_close(self):
        """Stop listening and end the open (mostly idle keep-alive) connections, so their
        threads finish now instead of when their idle timeout runs out."""
        super().server_close()
        with self._connections_lock:
            for connection in self._connections:
                with contextlib.suppress(OSError):  # already closed
                    connection.shutdown(socket.SHUT_RDWR)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("%s - %s", self.address_string(), format % args)


_ERROR_BODY = b"A server error occurred.  Please contact the administrator."


class _KeepAliveHandler(_QuietHandler):
    """HTTP/1.1 with persistent connections: a client's `requests.Session` sends all its
    requests over one connection instead of connecting for each (wsgiref speaks HTTP/1.0 and
    closes after every answer).

    Each request's body is read in full (exactly Content-Length bytes) before the app runs, so
    whatever the app reads, the next request starts where it should. Chunked request bodies
    are refused (411) and the connection closed. The app's answer is buffered and sent in one
    write with its Content-Length; a HEAD answer goes without its body. The connection is
    closed when the client asks (`Connection: close`, or HTTP/1.0 without keep-alive), when
    the app's Content-Length does not match its body (a deliberately truncated answer), when
    the app answers `Connection: close`, and after `timeout` idle seconds."""

    protocol_version = "HTTP/1.1"
    timeout = 30  # seconds a connection may idle (or stall mid-request) before it is dropped
    disable_nagle_algorithm = True  # small answers on a kept-alive connection go out at once

    handle = BaseHTTPRequestHandler.handle  # one request after another until closed

    def handle_one_request(self):
        self.close_connection = True
        try:
            self.raw_requestline = self.rfile.readline(65537)
            if not self.raw_requestline:
                return  # the client closed the connection
            if len(self.raw_requestline) > 65536:
                self.requestline = self.request_version = self.command = ""
                self.send_error(414)
                return
            if not self.parse_request():
                return  # parse_request answered with the error
            self._check_connection_header()
            body = self._read_body()
            if body is None:
                return
            self._respond(body)
        except OSError:  # idle too long (TimeoutError), the client went away, or server_close()
            self.close_connection = True

    def _check_connection_header(self) -> None:
        tokens = {
            token.strip().lower()
            for value in self.headers.get_all("Connection", [])
            for token in value.split(",")
        }
        if self.request_version >= "HTTP/1.1":
            self.close_connection = "close" in tokens
        else:  # HTTP/1.0 (or 0.9): closes unless it asks to keep the connection
            self.close_connection = "keep-alive" not in tokens

    def _read_body(self) -> bytes | None:
        """The request body (exactly Content-Length bytes), or None after answering an error."""
        if self.headers.get_all("Transfer-Encoding"):
            self.send_error(411, "Chunked request bodies are not supported; send Content-Length")
            self.close_connection = True
            return None
        lengths = {value.strip() for value in self.headers.get_all("Content-Length", [])}
        if not lengths:
            return b""
        length = lengths.pop()
        if lengths or not length.isdigit():
            self.send_error(400, "Bad Content-Length")
            self.close_connection = True
            return None
        body = self.rfile.read(int(length))
        if len(body) < int(length):  # the client hung up mid-body
            self.close_connection = True
            return None
        return body

    def _environ(self, body: bytes) -> dict:
        """The WSGI environ wsgiref would build for this request (its ServerHandler starts
        from a copy of os.environ, then the CGI variables, then the wsgi.* keys)."""
        environ = BaseHandler.os_environ.copy()
        environ.update(self.get_environ())
        environ["wsgi.input"] = io.BytesIO(body)
        environ["wsgi.errors"] = sys.stderr
        environ["wsgi.version"] = (1, 0)
        environ["wsgi.run_once"] = False
        environ["wsgi.url_scheme"] = "http"
        environ["wsgi.multithread"] = True
        environ["wsgi.multiprocess"] = False
        environ["wsgi.file_wrapper"] = FileWrapper
        return environ

    def _run_app(self, environ: dict) -> tuple[str, list[tuple[str, str]], bytes]:
        answer: list = []
        chunks: list[bytes] = []

        def start_response(status, headers, exc_info=None):
            if answer and not exc_info:
                raise AssertionError("start_response called twice without exc_info")
            answer[:] = [status, list(headers)]
            return chunks.append

        try:
            result = self.server.get_app()(environ, start_response)
            try:
                chunks.extend(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
            if not answer:
                raise AssertionError("the app returned without calling start_response")
            return answer[0], answer[1], b"".join(chunks)
        except Exception:
            logger.error(
                "Sandbox server error on %s %s\n%s",
                self.command,
                self.path,
                traceback.format_exc(),
            )
            return "500 Internal Server Error", [("Content-Type", "text/plain")], _ERROR_BODY

    def _respond(self, body: bytes) -> None:
        status, headers, content = self._run_app(self._environ(body))
        declared = None
        lines = [f"{self.protocol_version} {status}\r\n"]
        for name, value in headers:
            lowered = name.lower()
            if lowered == "content-length":
                declared = value.strip()  # written below, once
            elif lowered == "connection":
                if "close" in value.lower():
                    self.close_connection = True
            elif lowered not in ("keep-alive", "transfer-encoding"):  # hop-by-hop: ours
                lines.append(f"{name}: {value}\r\n")
        if declared is None:
            declared = str(len(content))
        elif declared != str(len(content)):
            self.close_connection = True  # the app sends a broken length on purpose: end there
        lines.append(f"Content-Length: {declared}\r\n")
        if not any(name.lower() == "date" for name, _ in headers):
            lines.append(f"Date: {self.date_time_string()}\r\n")
        if not any(name.lower() == "server" for name, _ in headers):
            lines.append(f"Server: {self.version_string()}\r\n")
        if self.close_connection:
            lines.append("Connection: close\r\n")
        elif self.request_version < "HTTP/1.1":
            lines.append("Connection: keep-alive\r\n")
        lines.append("\r\n")
        head = "".join(lines).encode("iso-8859-1")
        self.wfile.write(head if self.command == "HEAD" else head + content)
        self.log_request(status.split(" ", 1)[0], len(content))


def serve(host: str, port: int, apps: list[SandboxApp]):
    """Create (but do not start) the HTTP server; returns (httpd, app, base_url)."""
    app = SandboxServer(apps)
    httpd = make_server(
        host, port, app, server_class=_ThreadingWSGIServer, handler_class=_KeepAliveHandler
    )
    base_url = f"http://{host}:{httpd.server_port}"
    app.bind(base_url)
    return httpd, app, base_url


def start_in_thread(apps: list[SandboxApp], host: str = "127.0.0.1", port: int = 0):
    """Serve in a daemon thread (tests); returns (httpd, app, base_url). Stop with stop()."""
    httpd, app, base_url = serve(host, port, apps)
    thread = threading.Thread(target=httpd.serve_forever, name="sandbox", daemon=True)
    thread.start()
    return httpd, app, base_url


def stop(httpd, app: SandboxServer) -> None:
    httpd.shutdown()
    httpd.server_close()
    app.close()


def describe_lines(app: SandboxServer) -> list[str]:
    return [json.dumps(sandbox.describe(), sort_keys=True) for sandbox in app.apps.values()]
