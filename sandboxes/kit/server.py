"""One process serves every sandbox: `/<provider>/...` goes to that provider's app."""

import json
import logging
import threading
import traceback
from dataclasses import dataclass
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

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
    allow_reuse_address = True
    request_queue_size = 128


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        logger.debug("%s - %s", self.address_string(), format % args)


def serve(host: str, port: int, apps: list[SandboxApp]):
    """Create (but do not start) the HTTP server; returns (httpd, app, base_url)."""
    app = SandboxServer(apps)
    httpd = make_server(
        host, port, app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
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
