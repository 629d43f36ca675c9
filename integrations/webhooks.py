"""Public webhook endpoints: check, verify, store once, answer fast. The work happens in tasks.

Anyone can post here, so nothing a body holds may cause a 500: what is not a JSON document we
could read is refused (400/413/415, as JSON, and counted) before the provider's verifier sees
it, and a verifier that fails anyway is logged and answered 400. A provider whose webhooks
cannot prove their sender (Shift4Shop) is not called from here: the event is stored
unconfirmed and the worker reads it back (integrations.inbox).

While the database is unavailable (a restart, a failover) nothing can be stored, so the
answer is 503 with Retry-After: every provider retries a 5xx, and a delivery is answered
2xx only once it is committed. A broker that is down after the commit is no reason to
refuse: the stored row is handed out by the sweep (`webhook_targets_sweep`) instead.
"""

import functools
import json
import logging

from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from integrations.inbox import webhook_event_store, webhook_rejection_count
from integrations.jsonsafe import nesting_depth
from integrations.providers.base import UnknownProvider, WebhookRejected
from integrations.providers.registry import get_provider
from integrations.tasks import webhook_event_process

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1_000_000
# Real webhook bodies nest a few levels; json.loads recurses once per level.
MAX_DEPTH = 64
# What the database raises when it is gone (connection refused or terminated, "not
# accepting connections", a closed connection reused), as opposed to a bad query.
DATABASE_DOWN = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 10


class Refused(Exception):
    def __init__(self, reason: str, message: str, status: int = 400):
        super().__init__(message)
        self.reason, self.status = reason, status


def _verifier(provider: str):
    try:
        verify = get_provider(provider).verify_webhook
    except UnknownProvider:
        raise Http404("No such provider.") from None
    if verify is None:
        raise Http404("This provider sends no webhooks.")
    return verify


def _is_json(content_type: str) -> bool:
    media_type = content_type.partition(";")[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


def _body(request) -> bytes:
    try:
        return request.body
    except RequestDataTooBig:  # past DATA_UPLOAD_MAX_MEMORY_SIZE
        raise Refused("too_large", "Body too large.", 413) from None


def check_body(body: bytes, content_type: str) -> None:
    """Raise Refused unless `body` is a JSON document worth giving to a verifier: every
    provider posts application/json (charset optional), UTF-8, nested a few levels at most.
    Whether it parses is the verifier's to say (and to count as "malformed")."""
    if len(body) > MAX_BODY_BYTES:
        raise Refused("too_large", "Body too large.", 413)
    if not body.strip():
        raise Refused("empty", "The body is empty: expected a JSON document.")
    if not _is_json(content_type):
        raise Refused("content_type", "Send the webhook as application/json.", 415)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused("not_utf8", "The body is not UTF-8 text.") from None
    if nesting_depth(text) > MAX_DEPTH:
        raise Refused("too_deep", f"The JSON is nested deeper than {MAX_DEPTH} levels.")


def check_storable(payload) -> None:
    """What a verifier vouched for is stored as JSON, in PostgreSQL's jsonb too, which refuses
    NaN/Infinity, half a surrogate pair and NUL characters: refuse them here, not with a 500.
    (A NUL is looked for as its escape: a literal backslash-u0000 text is refused as well.)"""
    try:
        text = json.dumps(payload, allow_nan=False, ensure_ascii=False)
        text.encode("utf-8")
    except (ValueError, UnicodeEncodeError):
        raise Refused(
            "unstorable", "The JSON holds NaN, Infinity or half a surrogate pair."
        ) from None
    if "\\u0000" in text:
        raise Refused("unstorable", "The JSON holds a NUL character.")


def unavailable_while_database_is_down(view):
    """503 + Retry-After instead of Django's 500 page when the database is gone: the sender
    retries later and nothing is lost, as nothing was acknowledged."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except DATABASE_DOWN as error:
            logger.warning(
                "Webhook %s answered 503: the database is unavailable (%s)",
                request.path,
                type(error).__name__,
            )
            response = JsonResponse(
                {"error": "Temporarily unavailable: send this webhook again later."}, status=503
            )
            response["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return response

    return wrapped


def _enqueue(stored) -> None:
    """Hand the stored event to a worker. It is committed already, so a broker that is down
    must not turn the answer into an error (the sender would retry a delivery we hold): the
    sweep finds rows nobody was told about (`webhook_targets_due`)."""
    try:
        webhook_event_process.delay_on_commit(stored.pk)
    except Exception:
        logger.exception("Webhook event %s is stored but could not be enqueued", stored.pk)


@csrf_exempt
@require_POST
@unavailable_while_database_is_down
def receive(request, provider: str):
    verifier = _verifier(provider)
    try:
        body = _body(request)
        check_body(body, request.content_type or "")
        event = verifier(body, request.headers)
        check_storable(event.payload)
    except Refused as refused:
        webhook_rejection_count(provider=provider, reason=refused.reason)
        return JsonResponse({"error": str(refused)}, status=refused.status)
    except WebhookRejected as rejected:
        webhook_rejection_count(provider=provider, reason=rejected.reason)
        return JsonResponse({"error": str(rejected)}, status=rejected.status)
    except DATABASE_DOWN:
        raise  # not the body's fault: 503 (above), and the sender tries again
    except Exception:
        # A verifier bug must not become a 500 that the sender retries for days.
        logger.exception("The %s webhook verifier failed", provider)
        webhook_rejection_count(provider=provider, reason="verifier_error")
        return JsonResponse({"error": "Could not read this webhook."}, status=400)
    stored, created = webhook_event_store(
        provider=provider,
        event_id=event.event_id,
        event_type=event.event_type,
        payload=event.payload,
        connections=event.connections,
        needs_confirmation=event.needs_confirmation,
    )
    if created:
        _enqueue(stored)
    return JsonResponse({"status": "received" if created else "duplicate"})
