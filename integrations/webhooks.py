"""Public webhook endpoints: verify, store once, answer fast. The work happens in a task."""

from importlib import import_module

from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from integrations.inbox import webhook_event_store, webhook_rejection_count
from integrations.providers import PROVIDER_KEYS, WebhookRejected

MAX_BODY_BYTES = 1_000_000


def _verifier(provider: str):
    if provider not in PROVIDER_KEYS:
        raise Http404("No such provider.")
    try:
        return import_module(f"integrations.providers.{provider}.webhooks")
    except ModuleNotFoundError:
        raise Http404("This provider sends no webhooks.") from None


@csrf_exempt
@require_POST
def receive(request, provider: str):
    verifier = _verifier(provider)
    if len(request.body) > MAX_BODY_BYTES:
        webhook_rejection_count(provider=provider, reason="too_large")
        return JsonResponse({"error": "Body too large."}, status=413)
    try:
        event = verifier.verify(request.body, request.headers)
    except WebhookRejected as rejected:
        webhook_rejection_count(provider=provider, reason=rejected.reason)
        return JsonResponse({"error": str(rejected)}, status=401)
    _, created = webhook_event_store(
        provider=provider,
        event_id=event.event_id,
        event_type=event.event_type,
        payload=event.payload,
        connection=event.connections[0] if len(event.connections) == 1 else None,
    )
    return JsonResponse({"status": "received" if created else "duplicate"})
