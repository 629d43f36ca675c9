"""A tiny request/response/router layer for the sandbox apps (stdlib only, WSGI)."""

import json
import re
from collections.abc import Callable
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs


class HTTPError(Exception):
    """Raise from a handler to answer with `status` and a JSON (or text) body."""

    def __init__(self, status: int, payload: Any = None, headers: dict[str, str] | None = None):
        super().__init__(status, payload)
        self.status = status
        self.payload = payload
        self.headers = headers or {}

    def to_response(self) -> "Response":
        if self.payload is None:
            return Response(self.status, b"", self.headers)
        if isinstance(self.payload, str | bytes):
            body = self.payload.encode() if isinstance(self.payload, str) else self.payload
            return Response(self.status, body, {"Content-Type": "text/plain", **self.headers})
        return json_response(self.payload, self.status, self.headers)


class Request:
    def __init__(self, environ: dict, path: str):
        self.environ = environ
        self.method = environ["REQUEST_METHOD"].upper()
        self.path = path or "/"
        self.query: dict[str, list[str]] = parse_qs(
            environ.get("QUERY_STRING", ""), keep_blank_values=True
        )
        self.headers: dict[str, str] = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            self.headers["content-type"] = environ["CONTENT_TYPE"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        self.body: bytes = environ["wsgi.input"].read(length) if length > 0 else b""
        self.route_params: dict[str, str] = {}

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)

    def json(self, *, required: bool = True) -> Any:
        if not self.body:
            if required:
                raise HTTPError(400, {"statusCode": 400, "message": "Request body is required"})
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            raise HTTPError(400, {"statusCode": 400, "message": "Body is not valid JSON"}) from None

    def form(self) -> dict[str, str]:
        parsed = parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)
        return {key: values[0] for key, values in parsed.items()}


class Response:
    def __init__(self, status: int = 200, body: bytes = b"", headers: dict[str, str] | None = None):
        self.status = status
        self.body = body
        self.headers = dict(headers or {})

    def status_line(self) -> str:
        try:
            phrase = HTTPStatus(self.status).phrase
        except ValueError:
            phrase = "Unknown"
        return f"{self.status} {phrase}"


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(data, separators=(",", ":")).encode()
    return Response(
        status, body, {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
    )


def html_response(html: str, status: int = 200) -> Response:
    return Response(status, html.encode(), {"Content-Type": "text/html; charset=utf-8"})


def redirect(location: str, status: int = 302) -> Response:
    return Response(status, b"", {"Location": location})


Handler = Callable[..., Response]


class Router:
    """Routes `METHOD /path/{param}` to handlers; a trailing slash is optional everywhere."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern, Handler]] = []

    def route(self, method: str, pattern: str) -> Callable[[Handler], Handler]:
        def decorator(handler: Handler) -> Handler:
            self.add(method, pattern, handler)
            return handler

        return decorator

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern.rstrip("/") or "")
        self._routes.append((method.upper(), re.compile(f"^{regex}/?$"), handler))

    def dispatch(self, request: Request, not_found: Callable[[Request], Response]) -> Response:
        allowed = []
        for method, regex, handler in self._routes:
            match = regex.match(request.path)
            if not match:
                continue
            if method != request.method:
                allowed.append(method)
                continue
            request.route_params = match.groupdict()
            return handler(request, **request.route_params)
        if allowed:
            return json_response(
                {"statusCode": 405, "message": f"Cannot {request.method} {request.path}"},
                405,
                {"Allow": ", ".join(sorted(set(allowed)))},
            )
        return not_found(request)
