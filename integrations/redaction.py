"""Keep secrets out of anything a person or a log file can read.

Three layers: `redact()` scrubs values under secret-looking keys in dicts, headers and URLs;
`remember_secret()` records every credential value this process decrypts; and
`RedactingLogFilter` scrubs both known secret values and secret-looking patterns from every
log record, as a last line of defence against a careless log call.
Django's error reports (the DEBUG 500 page, the error e-mail to ADMINS) go through
`SecretSafeExceptionReporter` and `SecretSafeExceptionReporterFilter`, which apply the same rules
to settings, request data and the local variables of every traceback frame.
"""

import logging
import re
import threading
from collections import OrderedDict
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.utils.datastructures import MultiValueDict
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

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


# --- Django's error reports ---------------------------------------------------------------------
# Variable names that hold keys or signatures without saying "secret": signing_key, keys, sig.
_SECRET_VARIABLE = re.compile(r"(^|_)(keys?|sig|hmac|creds?|pwd|pass)($|_)", re.IGNORECASE)
# A query parameter anywhere in a text (also after an HTML-escaped "&amp;").
_QUERY_PARAM = re.compile(r"([?&;])([^=&;?/\s'\"<>]+)=([^&\s'\"<>]*)")
# The password in scheme://user:password@host.
_URL_PASSWORD = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^/\s:@'\"]*:)([^@\s/'\"]+)@", re.IGNORECASE)
_MAX_DEPTH = 6


def is_secret_variable(name: str) -> bool:
    return is_secret_name(name) or bool(_SECRET_VARIABLE.search(str(name)))


def scrub_report_text(text: str) -> str:
    """`scrub_text()`, plus secret query parameters and URL passwords anywhere in the text."""
    text = scrub_text(text)
    text = _QUERY_PARAM.sub(
        lambda m: f"{m[1]}{m[2]}={REDACTED}" if is_secret_name(m[2]) else m[0], text
    )
    return _URL_PASSWORD.sub(r"\1" + REDACTED + "@", text)


class SecretSafeExceptionReporterFilter(SafeExceptionReporterFilter):
    """Hide secrets in error reports, with DEBUG on too.

    On top of Django's rules (settings named like API/AUTH/TOKEN/KEY/SECRET/PASS/SIGNATURE) it
    hides settings and request data under any name `is_secret_name()` knows, passwords in URLs
    and secret query parameters, every local variable named like a credential, secret, token,
    password, signature or key, values under secret-looking keys in any dict (a decrypted
    credentials dict included), and any text that contains a credential this process decrypted.
    """

    hidden_settings = re.compile(
        r"API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HMAC|CREDENTIAL|PRIVATE|COOKIE|WEBHOOK|DSN",
        flags=re.IGNORECASE,
    )

    def is_active(self, request) -> bool:
        # Django's filter switches itself off under DEBUG; a development database with real
        # credentials, or DEBUG left on by mistake, must not put them on the page.
        return True

    def cleanse_setting(self, key, value):
        if isinstance(key, str) and is_secret_name(key):
            return self.cleansed_substitute
        cleansed = super().cleanse_setting(key, value)
        if key == "QUERY_STRING" and isinstance(cleansed, str):
            return scrub_report_text(f"?{cleansed}")[1:]
        return scrub_report_text(cleansed) if isinstance(cleansed, str) else cleansed

    def get_cleansed_multivaluedict(self, request, multivaluedict):
        cleansed = super().get_cleansed_multivaluedict(request, multivaluedict).copy()
        for name in list(cleansed):
            if is_secret_variable(name):
                cleansed[name] = self.cleansed_substitute
        return cleansed

    def get_post_parameters(self, request):
        if request is None:
            return {}
        return self.get_cleansed_multivaluedict(request, super().get_post_parameters(request))

    def get_traceback_frame_variables(self, request, tb_frame):
        variables = super().get_traceback_frame_variables(request, tb_frame)
        return [
            (name, self.cleansed_substitute if is_secret_variable(name) else self._cleanse(value))
            for name, value in variables
        ]

    def _cleanse(self, value: Any, depth: int = 0) -> Any:
        if depth > _MAX_DEPTH:
            return value
        if isinstance(value, str):
            return scrub_report_text(value)
        if isinstance(value, MultiValueDict):
            return self.get_cleansed_multivaluedict(None, value)
        if isinstance(value, dict):
            return {
                k: self.cleansed_substitute
                if isinstance(k, str) and is_secret_variable(k)
                else self._cleanse(v, depth + 1)
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [self._cleanse(item, depth + 1) for item in value]
        if isinstance(value, tuple | set | frozenset):
            return tuple(self._cleanse(item, depth + 1) for item in value)
        # Any other object is shown by its repr: judge that (a __repr__ that prints a secret).
        try:
            text = repr(value)
        except Exception:  # a broken __repr__ must not break the error page
            return value
        scrubbed = scrub_report_text(text)
        return value if scrubbed == text else scrubbed


class SecretSafeExceptionReporter(ExceptionReporter):
    """Django's reporter, with GET parameters cleansed and a last scrub of the whole report."""

    def get_traceback_data(self):
        data = super().get_traceback_data()
        if "request_GET_items" in data:
            data["request_GET_items"] = [
                (k, self.filter.cleansed_substitute if is_secret_variable(k) else v)
                for k, v in data["request_GET_items"]
            ]
        return data

    def get_traceback_html(self):
        return scrub_report_text(super().get_traceback_html())

    def get_traceback_text(self):
        return scrub_report_text(super().get_traceback_text())
