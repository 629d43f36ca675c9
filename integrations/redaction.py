"""Keep secrets out of anything a person or a log file can read.

Three layers: `redact()` scrubs values under secret-looking keys in dicts, headers and URLs;
`remember_secret()` records every credential value this process decrypts; and
`RedactingLogFilter` scrubs both known secret values and secret-looking patterns from every
log record, as a last line of defence against a careless log call.
"""

import logging
import re
import threading
from collections import OrderedDict
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

REDACTED = "[redacted]"
_SECRET_NAME_PARTS = (
    "secret",
    "token",
    "password",
    "passwd",
    "authorization",
    "apikey",
    "api_key",
    "api-key",
    "applicationkey",
    "privatekey",
    "private_key",
    "signature",
    "cookie",
    "credential",
)
_SECRET_EXACT_NAMES = {"code", "key", "client_secret", "securecurl"}


def is_secret_name(name: str) -> bool:
    lowered = str(name).lower()
    return lowered in _SECRET_EXACT_NAMES or any(part in lowered for part in _SECRET_NAME_PARTS)


def redact(value: Any) -> Any:
    """A copy of `value` with every value under a secret-looking key replaced."""
    if isinstance(value, dict):
        return {k: (REDACTED if is_secret_name(k) else redact(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(item) for item in value]
    return value


def redact_headers(headers) -> dict[str, str]:
    return {k: (REDACTED if is_secret_name(k) else v) for k, v in dict(headers).items()}


def redact_url(url: str) -> str:
    parts = urlsplit(url)
    if not parts.query and not parts.password:
        return url
    query = urlencode(
        [(k, REDACTED if is_secret_name(k) else v) for k, v in parse_qsl(parts.query, True)]
    )
    netloc = parts.netloc
    if parts.password:
        netloc = netloc.replace(f":{parts.password}@", f":{REDACTED}@")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


# Values decrypted by this process, newest last; bounded so a long-lived worker stays small.
_known_secrets: "OrderedDict[str, None]" = OrderedDict()
_known_lock = threading.Lock()
_MAX_KNOWN_SECRETS = 2000
_MIN_SECRET_LENGTH = 6  # shorter values (ports, "true") would scrub innocent text


def remember_secret(value: Any) -> None:
    if not isinstance(value, str) or len(value) < _MIN_SECRET_LENGTH:
        return
    with _known_lock:
        _known_secrets[value] = None
        _known_secrets.move_to_end(value)
        while len(_known_secrets) > _MAX_KNOWN_SECRETS:
            _known_secrets.popitem(last=False)


_PATTERNS = [
    (re.compile(r"(?i)\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=\-]{6,}"), r"\1 " + REDACTED),
    (
        re.compile(
            r"(?i)\b([\w-]*(?:secret|token|password|api_?key|applicationkey|privatekey)[\w-]*)"
            r"(\"?\s*[=:]\s*\"?)([^\s&\"',}]{4,})"
        ),
        r"\1\2" + REDACTED,
    ),
]


def scrub_text(text: str) -> str:
    with _known_lock:
        known = list(_known_secrets)
    for secret in known:
        if secret in text:
            text = text.replace(secret, REDACTED)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        scrubbed = scrub_text(message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        if record.exc_info and not record.exc_text:
            record.exc_text = scrub_text(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = scrub_text(record.exc_text)
        return True
