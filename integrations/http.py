"""The only module that talks HTTP to the outside world.

Every session comes from `build_session()` (or `build_oauth_session()`), which gives it a
default connect/read timeout, our User-Agent, no proxy/netrc surprises from the environment,
and a connection-time check of the peer address: a user-supplied URL cannot reach a private,
loopback or link-local address (checked on the socket itself, so DNS rebinding cannot slip
past) unless settings.INTEGRATIONS_ALLOW_PRIVATE_IPS is on.
Transport failures and HTTP statuses become the typed errors of `integrations.errors` here.
"""

import ipaddress
import json
import logging
import time
from email.utils import parsedate_to_datetime

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from requests_oauthlib import OAuth2Session
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from integrations.errors import (
    AuthError,
    BlockedAddressError,
    ConfigError,
    IntegrationError,
    NotFoundError,
    PermanentError,
    RateLimitedError,
    TransientError,
    ValidationFailedError,
)
from integrations.redaction import redact, redact_url

logger = logging.getLogger(__name__)

BODY_EXCERPT_CHARS = 500


def _address_problem(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_private:
        return "a private-network address"
    if ip.is_multicast or ip.is_reserved or ip.is_unspecified:
        return "a reserved address"
    return None


def _check_peer(sock, host: str) -> None:
    if settings.INTEGRATIONS_ALLOW_PRIVATE_IPS:
        return
    peer = sock.getpeername()[0]
    ip = ipaddress.ip_address(peer.split("%")[0])
    if getattr(ip, "ipv4_mapped", None):
        ip = ip.ipv4_mapped
    problem = _address_problem(ip)
    if problem:
        sock.close()
        raise BlockedAddressError(
            f"{host} resolves to {peer}, {problem}. ContactBridge only calls public "
            "addresses; an administrator can allow private ones with "
            "INTEGRATIONS_ALLOW_PRIVATE_IPS=true."
        )


class _GuardedHTTPConnection(HTTPConnection):
    def _new_conn(self):
        sock = super()._new_conn()
        _check_peer(sock, self.host)
        return sock


class _GuardedHTTPSConnection(HTTPSConnection):
    def _new_conn(self):
        sock = super()._new_conn()
        _check_peer(sock, self.host)
        return sock


class _GuardedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class GuardedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _GuardedHTTPConnectionPool,
            "https": _GuardedHTTPSConnectionPool,
        }


def default_timeout() -> tuple[float, float]:
    return (settings.INTEGRATIONS_CONNECT_TIMEOUT, settings.INTEGRATIONS_READ_TIMEOUT)


class _SessionMixin:
    """Timeouts, logging and error mapping for every request a session sends."""

    def _setup(self) -> None:
        self.trust_env = False  # no proxies or .netrc picked up from the environment
        self.headers["User-Agent"] = settings.INTEGRATIONS_USER_AGENT
        adapter = GuardedAdapter(pool_connections=4, pool_maxsize=16)
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    def request(self, method, url, *args, **kwargs):
        if not str(url).lower().startswith(("http://", "https://")):
            raise ConfigError(f"Only http and https URLs can be called, not {redact_url(url)!r}.")
        kwargs.setdefault("timeout", default_timeout())
        started = time.monotonic()
        try:
            response = super().request(method, url, *args, **kwargs)
        except IntegrationError:
            raise
        except requests.exceptions.SSLError as exc:
            raise PermanentError(f"TLS failed for {_host(url)}: {_reason(exc)}") from None
        except requests.exceptions.Timeout:
            raise TransientError(
                f"{_host(url)} did not answer within {kwargs['timeout']} seconds."
            ) from None
        except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema) as exc:
            raise ConfigError(f"That URL is not valid: {_reason(exc)}") from None
        except requests.exceptions.ConnectionError as exc:
            raise TransientError(f"Could not connect to {_host(url)}: {_reason(exc)}") from None
        except requests.exceptions.RequestException as exc:
            raise TransientError(f"Request to {_host(url)} failed: {_reason(exc)}") from None
        elapsed_ms = (time.monotonic() - started) * 1000
        response.elapsed_ms = elapsed_ms
        logger.info(
            "%s %s -> %s in %.0f ms",
            method.upper(),
            redact_url(url),
            response.status_code,
            elapsed_ms,
        )
        return response


class Session(_SessionMixin, requests.Session):
    def __init__(self) -> None:
        super().__init__()
        self._setup()


class OAuthSession(_SessionMixin, OAuth2Session):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._setup()


def build_session(headers: dict[str, str] | None = None) -> Session:
    session = Session()
    if headers:
        session.headers.update(headers)
    return session


def build_oauth_session(**kwargs) -> OAuthSession:
    """A requests-oauthlib session with this module's guard, timeouts and error mapping."""
    return OAuthSession(**kwargs)


def _host(url: str) -> str:
    return requests.utils.urlparse(url).netloc or url


def _reason(exc: Exception) -> str:
    # requests nests urllib3's reason several levels deep; the innermost one reads best.
    reason = exc
    while reason.args and isinstance(reason.args[0], Exception):
        reason = reason.args[0]
    text = str(getattr(reason, "reason", None) or reason)
    return text[:300]


def body_excerpt(response: requests.Response) -> str:
    """The start of a response body, with secret-looking JSON fields removed."""
    try:
        return json.dumps(redact(response.json()))[:BODY_EXCERPT_CHARS]
    except ValueError:
        return response.text[:BODY_EXCERPT_CHARS]


def retry_after_seconds(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def raise_for_status(response: requests.Response, *, service: str = "") -> requests.Response:
    """Return the response if it is a success, else raise the matching typed error."""
    status = response.status_code
    if status < 400:
        return response
    who = service or _host(response.url)
    excerpt = body_excerpt(response)
    message = f"{who} answered {status}: {excerpt}" if excerpt else f"{who} answered {status}."
    if status == 429:
        raise RateLimitedError(
            message, retry_after=retry_after_seconds(response), status=status, body=excerpt
        )
    if status >= 500 or status == 408:
        raise TransientError(message, status=status, body=excerpt)
    if status in (401, 403):
        raise AuthError(message, status=status, body=excerpt)
    if status == 404:
        raise NotFoundError(message, status=status, body=excerpt)
    if status in (400, 422):
        raise ValidationFailedError(message, status=status, body=excerpt)
    raise PermanentError(message, status=status, body=excerpt)
