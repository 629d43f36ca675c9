"""`/<sandbox>/_control`: knobs validated all-or-nothing, counters, storms and the webhook log."""

from collections.abc import Callable
from dataclasses import asdict, fields
from typing import Any

from sandboxes.kit.delivery import WebhookSender
from sandboxes.kit.kit import FaultKnobs, Faults, RateLimiter, Stats
from sandboxes.kit.web import HTTPError, Request, Response, json_response

_RATES = {"error_rate", "timeout_rate"}


def _coerce(name: str, kind: type, value: Any) -> Any:
    if kind is bool:
        if isinstance(value, bool):
            return value
        raise ValueError(f"{name} must be true or false")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number")
    if kind is int:
        if value != int(value):
            raise ValueError(f"{name} must be a whole number")
        return int(value)
    return float(value)


def apply_knobs(knobs: FaultKnobs, changes: dict) -> list[str]:
    """Validate every change first, then apply all or none; returns the error messages."""
    types = {f.name: f.type for f in fields(knobs)}
    errors: list[str] = []
    updates: dict[str, Any] = {}
    for name, value in changes.items():
        if name not in types:
            errors.append(f"{name} is not a setting of this sandbox")
            continue
        kind = types[name]
        try:
            if kind in (bool, int, float, "bool", "int", "float"):
                kind = {"bool": bool, "int": int, "float": float}.get(kind, kind)
                value = _coerce(name, kind, value)
                if name in _RATES and not 0 <= value <= 1:
                    raise ValueError(f"{name} must be between 0 and 1")
                if not isinstance(value, bool) and value < 0:
                    raise ValueError(f"{name} must not be less than 0")
            elif name == "webhook_url" or name.endswith("_url"):
                if value is not None and not (
                    isinstance(value, str) and value.startswith(("http://", "https://"))
                ):
                    raise ValueError(f"{name} must be an http(s) URL or null")
            elif isinstance(getattr(knobs, name), str) and not isinstance(value, str):
                raise ValueError(f"{name} must be a string")
        except ValueError as error:
            errors.append(str(error))
            continue
        updates[name] = value
    if errors:
        return errors
    for name, value in updates.items():
        setattr(knobs, name, value)
    return []


class ControlPanel:
    """`/<platform>/_control` for one sandbox (refused unless the sandbox runs in test mode).

    GET  /_control            {"knobs", "stats", "storm_remaining", "webhooks_pending", ...extra}
    POST /_control            knob changes, plus the action "rate_limit_storm": N (the next N
                              API requests are refused as the platform refuses them) and any
                              action the sandbox adds through `actions`
    POST /_control/reset      knobs back to the instance's defaults; counters, rate windows,
                              storm and the webhook log cleared. Data is kept.
    GET  /_control/webhooks   the delivery log (?type=...&status=...)
    """

    def __init__(
        self,
        *,
        knobs: Callable[[], FaultKnobs],
        defaults: Callable[[], FaultKnobs],
        set_knobs: Callable[[FaultKnobs], None],
        stats: Stats,
        faults: Faults,
        limiter: RateLimiter,
        webhooks: WebhookSender | None = None,
        actions: dict[str, Callable[[Any], Any]] | None = None,
        extra: Callable[[], dict] | None = None,
    ):
        self.knobs = knobs
        self.defaults = defaults
        self.set_knobs = set_knobs
        self.stats = stats
        self.faults = faults
        self.limiter = limiter
        self.webhooks = webhooks
        self.actions = {"rate_limit_storm": self._storm, **(actions or {})}
        self.extra = extra or dict

    def _storm(self, count: Any) -> dict:
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise HTTPError(422, {"errors": ["rate_limit_storm must be a whole number ≥ 0"]})
        self.faults.start_storm(count)
        return {"rate_limit_storm": count}

    def state(self) -> dict:
        return {
            "knobs": asdict(self.knobs()),
            "stats": self.stats.snapshot(),
            "storm_remaining": self.faults.storm,
            "webhooks_pending": self.webhooks.pending() if self.webhooks else 0,
            **self.extra(),
        }

    def handle(self, request: Request, test_mode: bool) -> Response:
        if not test_mode:
            raise HTTPError(403, {"message": "The control endpoint is off (not in test mode)."})
        sub = request.path.removeprefix("/_control").strip("/")
        if sub == "" and request.method == "GET":
            return json_response(self.state())
        if sub == "" and request.method == "POST":
            body = request.json()
            if not isinstance(body, dict):
                raise HTTPError(422, {"errors": ["the body must be a JSON object"]})
            action_args = {k: body.pop(k) for k in list(body) if k in self.actions}
            errors = apply_knobs(self.knobs(), body)
            if errors:
                raise HTTPError(422, {"errors": errors})
            results = {name: self.actions[name](arg) for name, arg in action_args.items()}
            return json_response({**self.state(), "result": results})
        if sub == "reset" and request.method == "POST":
            self.set_knobs(self.defaults())
            self.stats.clear()
            self.limiter.reset()
            self.faults.reset()
            if self.webhooks:
                self.webhooks.clear_log()
            return json_response(self.state())
        if sub == "webhooks" and request.method == "GET":
            log = (
                self.webhooks.deliveries(request.arg("type"), request.arg("status"))
                if self.webhooks
                else []
            )
            return json_response({"deliveries": log})
        raise HTTPError(404, {"message": f"No control action {request.method} /_control/{sub}"})
