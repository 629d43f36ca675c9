"""The only module that talks HTTP to the outside world.

Every session comes from `build_session()` (or `build_oauth_session()`), which gives it a
default connect/read timeout, our User-Agent, no proxy/netrc surprises from the environment,
and an address guard: a user-supplied URL cannot reach a private, loopback, link-local or other
special-purpose address unless settings.INTEGRATIONS_ALLOW_PRIVATE_IPS is on. The guard resolves
the name itself, checks every address and then connects to a checked address, so DNS rebinding
cannot slip past and a refusal never depends on whether a port is open.
Transport failures and HTTP statuses become the typed errors of `integrations.errors` here.
"""

import ipaddress
import json
import logging
import socket
import sys
import time
from email.utils import parsedate_to_datetime

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from requests_oauthlib import OAuth2Session
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util.connection import create_connection

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


# Addresses an integration never calls unless INTEGRATIONS_ALLOW_PRIVATE_IPS is on: every block of
# the IANA IPv4 and IPv6 Special-Purpose Address Registries
# (iana.org/assignments/iana-ipv4-special-registry, .../iana-ipv6-special-registry, as of 2026),
# plus multicast and the deprecated IPv6 site-local block. Some registry blocks are marked
# "globally reachable" (AS112, AMT, anycast services); no API we call lives there, so they are
# refused too. Addresses that carry an IPv4 address inside (IPv4-mapped, NAT64, 6to4, Teredo) are
# decoded in `address_problem()` before this table is read.
SPECIAL_PURPOSE_NETWORKS: tuple[tuple[str, str], ...] = (
    # IPv4 Special-Purpose Address Registry
    ("0.0.0.0/8", "a 'this network' address"),
    ("10.0.0.0/8", "a private-network address"),
    ("100.64.0.0/10", "a carrier-grade NAT (shared) address"),
    ("127.0.0.0/8", "a loopback address"),
    ("169.254.0.0/16", "a link-local address"),
    ("172.16.0.0/12", "a private-network address"),
    ("192.0.0.0/24", "an IETF protocol-assignment address"),
    ("192.0.2.0/24", "a documentation address"),
    ("192.31.196.0/24", "an AS112 DNS address"),
    ("192.52.193.0/24", "an AMT address"),
    ("192.88.99.0/24", "a deprecated 6to4 relay address"),
    ("192.168.0.0/16", "a private-network address"),
    ("192.175.48.0/24", "an AS112 DNS address"),
    ("198.18.0.0/15", "a benchmarking address"),
    ("198.51.100.0/24", "a documentation address"),
    ("203.0.113.0/24", "a documentation address"),
    ("240.0.0.0/4", "a reserved address"),
    ("255.255.255.255/32", "the broadcast address"),
    # IPv4 multicast (its own registry)
    ("224.0.0.0/4", "a multicast address"),
    # IPv6 Special-Purpose Address Registry
    ("::/128", "the unspecified address"),
    ("::1/128", "a loopback address"),
    ("::ffff:0:0/96", "an IPv4-mapped address"),
    ("64:ff9b::/96", "a NAT64 address"),
    ("64:ff9b:1::/48", "a local-use NAT64 address"),
    ("100::/64", "a discard-only address"),
    ("100:0:0:1::/64", "a dummy IPv6 prefix address"),
    ("2001::/23", "an IETF protocol-assignment address"),
    ("2001::/32", "a Teredo address"),
    ("2001:db8::/32", "a documentation address"),
    ("2002::/16", "a 6to4 address"),
    ("2620:4f:8000::/48", "an AS112 DNS address"),
    ("3fff::/20", "a documentation address"),
    ("5f00::/16", "an SRv6 SID address"),
    ("fc00::/7", "a unique-local (private) address"),
    ("fe80::/10", "a link-local address"),
    # Deprecated site-local (RFC 3879) and IPv6 multicast
    ("fec0::/10", "a site-local address"),
    ("ff00::/8", "a multicast address"),
)
_SPECIAL_PURPOSE = sorted(
    ((ipaddress.ip_network(network), reason) for network, reason in SPECIAL_PURPOSE_NETWORKS),
    key=lambda entry: -entry[0].prefixlen,  # the most specific block names the reason
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV6_GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def address_problem(ip: IPAddress) -> str | None:
    """Why `ip` may not be called ("a loopback address"), or None for a public address."""
    if ip.version == 6:
        # These reach an IPv4 address: what counts is that address.
        inner = ip.ipv4_mapped or (
            ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF) if ip in _NAT64 else None
        )
        if inner is not None:
            problem = address_problem(inner)
            return f"{problem} ({inner}) in IPv6 form" if problem else None
        # Tunnels (deprecated, and able to wrap a private IPv4): never, but say what is inside.
        tunnel = (ip.sixtofour, "a 6to4 address") if ip.sixtofour else None
        if ip.teredo:
            tunnel = (ip.teredo[1], "a Teredo address")
        if tunnel:
            inner, kind = tunnel
            problem = address_problem(inner)
            return f"{kind} wrapping {inner}, {problem}" if problem else kind
    for network, reason in _SPECIAL_PURPOSE:
        if ip in network:
            return reason
    # Safety nets for blocks added to the registries after the table above was written.
    if ip.version == 6 and ip not in _IPV6_GLOBAL_UNICAST:
        return "an address outside the IPv6 global unicast range"
    if not ip.is_global or ip.is_multicast:
        return "a special-purpose address"
    return None


def check_address(host: str, address: str) -> None:
    """Raise BlockedAddressError unless `address` (what `host` resolved to) may be called."""
    ip = ipaddress.ip_address(address.split("%")[0])
    problem = address_problem(ip)
    if problem:
        raise BlockedAddressError(
            f"{host} resolves to {address}, {problem}: address not allowed. ContactBridge "
            "only calls public addresses; an administrator can allow private ones with "
            "INTEGRATIONS_ALLOW_PRIVATE_IPS=true."
        )


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, in the resolver's order, without duplicates."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _guarded_connect(conn: HTTPConnection) -> socket.socket:
    """Resolve, check every address, then connect to a checked address (never to the name).

    All checks happen before the first packet is sent, so a refused address gives the same
    error whether or not anything listens there: the guard cannot be used to scan ports. And
    as the socket is opened to the address that was checked, DNS rebinding cannot swap it.
    """
    try:
        addresses = resolve(conn._dns_host, conn.port)
    except socket.gaierror as exc:
        raise NameResolutionError(conn.host, conn, exc) from exc
    if not addresses:
        raise NewConnectionError(conn, f"{conn.host} resolves to no address.")
    for address in addresses:
        check_address(conn.host, address)
    last_error: OSError | None = None
    for address in addresses:
        try:
            sock = create_connection(
                (address, conn.port),
                conn.timeout,
                source_address=conn.source_address,
                socket_options=conn.socket_options,
            )
        except OSError as exc:
            last_error = exc
            continue
        sys.audit("http.client.connect", conn, conn.host, conn.port)
        return sock
    if isinstance(last_error, TimeoutError):
        raise ConnectTimeoutError(
            conn, f"Connection to {conn.host} timed out. (connect timeout={conn.timeout})"
        ) from last_error
    raise NewConnectionError(
        conn, f"Failed to establish a new connection: {last_error}"
    ) from last_error


class _GuardedHTTPConnection(HTTPConnection):
    def _new_conn(self):
        if settings.INTEGRATIONS_ALLOW_PRIVATE_IPS:
            return super()._new_conn()
        return _guarded_connect(self)


class _GuardedHTTPSConnection(HTTPSConnection):
    def _new_conn(self):
        if settings.INTEGRATIONS_ALLOW_PRIVATE_IPS:
            return super()._new_conn()
        return _guarded_connect(self)


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
        if kwargs.get("timeout") is None:
            # Not setdefault: requests-oauthlib passes timeout=None for token requests, which
            # would let a token endpoint that never answers hold a worker for ever.
            kwargs["timeout"] = default_timeout()
        started = time.monotonic()
        try:
            response = super().request(method, url, *args, **kwargs)
        except IntegrationError:
            raise
        except requests.exceptions.SSLError as exc:
            raise PermanentError(f"TLS failed for {_host(url)}: {_reason(exc)}") from None
        except requests.exceptions.ConnectTimeout:
            connect, _ = _timeout_parts(kwargs["timeout"])
            raise TransientError(
                f"Could not connect to {_host(url)}: timed out after {_seconds(connect)}."
            ) from None
        except requests.exceptions.Timeout:
            raise TransientError(
                f"{_host(url)} did not answer: timed out after "
                f"{describe_timeout(kwargs['timeout'])}."
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


def _timeout_parts(timeout) -> tuple[float | None, float | None]:
    if isinstance(timeout, tuple | list):
        return timeout[0], timeout[1]
    return timeout, timeout


def _seconds(value: float | None) -> str:
    return "no limit" if value is None else f"{value:g} s"


def describe_timeout(timeout) -> str:
    """A requests timeout for people: `(5, 30)` reads "30 s (connect 5 s)"."""
    connect, read = _timeout_parts(timeout)
    if connect == read:
        return _seconds(read)
    return f"{_seconds(read)} (connect {_seconds(connect)})"


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
