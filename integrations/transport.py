"""The request loop every provider client shares: budget, retries, typed errors.

A provider's transport subclasses `ApiTransport` and fills in what differs: where requests
go, how they are authenticated, what rate limit applies and what the provider's errors mean.
The loop itself is the same for all of them:

- take a slot from the provider's rate budget, shared by every worker (never send what the
  provider would refuse); the slot counts from when the answer came, and the response headers
  correct the budget (integrations.ratelimit);
- on a refusal anyway (429, or a provider's own "slow down") block the key for everyone for
  the advertised time, then try again;
- retry 5xx, 408 and transport failures with capped exponential backoff and full jitter;
- never retry any other 4xx; turn it into a typed error.
"""

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import requests

from integrations import calls, http, ratelimit
from integrations.errors import RateLimitedError, TransientError
from integrations.models import Connection
from integrations.ratelimit import Limit, Slot, get_budget

logger = logging.getLogger(__name__)

BACKOFF_BASE = 0.5
BACKOFF_CAP = 20.0
# A slot is held until its answer is stamped; this long at most if it never is (the process
# died): a request cannot reach the provider later than its connect and read timeouts.
HOLD_MARGIN = 1.0


@dataclass(frozen=True)
class DailyQuota:
    """A provider's daily request allowance, as its latest answer told it."""

    limit: int
    remaining: int
    resets_at: datetime  # aware

    @property
    def used(self) -> int:
        return max(self.limit - self.remaining, 0)


class ApiTransport:
    service = "the provider"
    default_limit = Limit(max_requests=10, interval=1.0)
    # Set from the answers' headers by providers with a daily cap (HighLevel); None: no cap,
    # or none seen yet.
    daily: DailyQuota | None = None

    def __init__(
        self,
        connection: Connection,
        *,
        budget=None,
        sleep: Callable[[float], None] = time.sleep,
        max_attempts: int = 5,
        max_wait: float = 60.0,
    ):
        self.connection = connection
        self.budget = budget or get_budget()
        self.sleep = sleep
        self.max_attempts = max_attempts
        self.max_wait = max_wait
        self.limit = self.default_limit
        self.session = http.build_session(self.default_headers())
        self._budget_key: str | None = None
        self._slot: Slot | None = None

    # --- what a provider fills in ---------------------------------------------------------------
    @property
    def base_url(self) -> str:
        raise NotImplementedError

    @property
    def budget_key(self) -> str:
        raise NotImplementedError

    def default_headers(self) -> dict[str, str]:
        return {"Accept": "application/json"}

    def auth_headers(self) -> dict[str, str]:
        """Headers that authenticate one request (may refresh a token first)."""
        raise NotImplementedError

    def check_scope(self, *, write: bool) -> None:
        """Refuse before sending when the connection may not do this."""

    def observe(self, response: requests.Response) -> None:
        """Read rate-limit headers into `self.limit`, and the provider's count of requests in
        its window into `self.note_usage()`."""

    def is_rate_limited(self, response: requests.Response) -> bool:
        return response.status_code == 429

    def retry_after(self, response: requests.Response) -> float:
        seconds = http.retry_after_seconds(response)
        return max(seconds if seconds is not None else self.limit.interval, 0.05)

    def recover_auth(self, response: requests.Response, sent_headers: dict) -> bool:
        """The provider refused our credentials: fix them if we can (refresh) and say so."""
        return False

    def raise_error(self, response: requests.Response) -> None:
        http.raise_for_status(response, service=self.service)

    # --- the loop -------------------------------------------------------------------------------
    def window(self) -> Limit:
        return self.limit

    def key(self) -> str:
        """`budget_key`, worked out once: it may decrypt the credentials."""
        if self._budget_key is None:
            self._budget_key = self.budget_key
        return self._budget_key

    def note_usage(self, used: int) -> None:
        """The provider counts `used` requests (this one included) in its window as it
        answered this one: the budget adds those it did not know of (other clients')."""
        if self._slot is not None:
            self._slot.used = used

    def close(self) -> None:
        """Stamp the last answer now rather than with a next request, and close the session."""
        if self._budget_key is not None:
            try:
                ratelimit.flush(self.budget, self._budget_key)
            except Exception:  # the job is done: the slot then counts until its hold ends
                logger.warning("Could not stamp the last answer for %s.", self.service)
        self.session.close()

    def backoff(self, attempt: int) -> float:
        return random.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1)))  # noqa: S311

    def _backed_off(self, attempt: int) -> bool:
        """Wait before the next attempt and say True; False when `attempt` was the last."""
        if attempt >= self.max_attempts:
            return False
        self.sleep(self.backoff(attempt))
        return True

    def _exchange(self, slot: Slot, method: str, url: str, **kwargs) -> requests.Response:
        try:
            response = self.session.request(method, url, **kwargs)
        except BaseException:
            ratelimit.answered(self.budget, slot)
            raise
        slot.answered_at = time.monotonic()
        return response

    def send(
        self,
        method: str,
        path: str,
        *,
        write: bool = False,
        repeat_unanswered: bool = True,
        **kwargs,
    ) -> requests.Response:
        """Send until success or a final answer; returns the successful response.

        `repeat_unanswered=False`: a request that creates something each time it arrives (a
        note, a task) is not sent again when no answer came (a timeout, a dropped
        connection): the provider may have carried it out, and a blind repeat would create
        it twice. The TransientError goes to the caller, whose retry reads first."""
        self.check_scope(write=write)
        key = self.key()
        hold = _timeout_seconds(kwargs.get("timeout")) + HOLD_MARGIN
        auth_recovered = False
        attempt = 0
        while True:
            attempt += 1
            try:
                headers = self.auth_headers()  # may refresh a token that is due
            except TransientError:  # the token endpoint failed or gave no answer
                if not self._backed_off(attempt):
                    raise
                continue
            slot = ratelimit.reserve(
                self.budget, key, self.window(), hold=hold, max_wait=self.max_wait, sleep=self.sleep
            )
            started = time.monotonic()
            try:
                response = self._exchange(
                    slot, method, f"{self.base_url}{path}", headers=headers, **kwargs
                )
            except TransientError:
                self._report(method, path, None, started, attempt, kwargs)
                if not repeat_unanswered or not self._backed_off(attempt):
                    raise
                continue
            self._report(method, path, response, started, attempt, kwargs)
            self._slot = slot
            try:
                self.observe(response)
            finally:
                self._slot = None
                ratelimit.answered(self.budget, slot)
            status = response.status_code
            if self.is_rate_limited(response):
                wait = self.retry_after(response)
                self.budget.block(key, wait)
                if attempt >= self.max_attempts:
                    raise RateLimitedError(
                        f"{self.service} kept refusing for the rate limit.",
                        retry_after=wait,
                        status=status,
                    )
                continue  # the next reserve() waits out the block
            if status >= 500 or status == 408:
                if not self._backed_off(attempt):
                    http.raise_for_status(response, service=self.service)
                continue
            if status in (401, 403) and not auth_recovered:
                try:
                    auth_recovered = self.recover_auth(response, headers)
                except TransientError:  # the refresh failed for now: like any transient error
                    if not self._backed_off(attempt):
                        raise
                    continue
                if auth_recovered:
                    continue
            if status >= 400:
                self.raise_error(response)
                http.raise_for_status(response, service=self.service)  # if raise_error did not
            return response

    def _report(
        self, method: str, path: str, response, started: float, attempt: int, sent: dict
    ) -> None:
        """One attempt, to the API call observers (`integrations.calls`); with its bodies,
        redacted, only while the connection's body capture is on."""
        if not calls.calls_observed():
            return
        latency_ms = (time.monotonic() - started) * 1000
        status = response.status_code if response is not None else None
        rate_limit, request_id = {}, ""
        if response is not None:
            headers = response.headers
            rate_limit = {k: v for k, v in headers.items() if k.lower().startswith("x-ratelimit")}
            request_id = headers.get("X-Request-Id") or headers.get("X-Trace-Id") or ""
            if status >= 400 and not request_id:
                request_id = _trace_id(response)
        connection = self.connection
        request_body = response_body = ""
        if calls.body_capture_on(connection):
            request_body = calls.body_text(sent.get("json", sent.get("data")))
            response_body = calls.body_text(response.content) if response is not None else ""
        calls.calls_notify(
            calls.ApiCall(
                at=datetime.now(UTC) - timedelta(milliseconds=latency_ms),
                provider=connection.provider,
                connection_id=connection.pk,
                workspace_id=connection.workspace_id,
                method=method.upper(),
                endpoint=calls.endpoint_template(path),
                status=status,
                latency_ms=round(latency_ms, 2),
                error_kind=calls.error_kind_of_status(status),
                attempt=attempt,
                request_id=request_id[:100],
                rate_limit=rate_limit,
                request_body=request_body,
                response_body=response_body,
            )
        )

    def request(self, method: str, path: str, *, write: bool = False, **kwargs) -> dict | list:
        response = self.send(method, path, write=write, **kwargs)
        return response.json() if response.content else {}


def _trace_id(response: requests.Response) -> str:
    """The request id an error body carries (HighLevel: `traceId`), if any."""
    if len(response.content) > 64_000:
        return ""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    value = body.get("traceId") or body.get("requestId") or body.get("request_id") or ""
    return value if isinstance(value, str) else ""


def _timeout_seconds(timeout) -> float:
    """The longest a request with this `timeout` can take to reach the provider."""
    if timeout is None:
        timeout = http.default_timeout()
    if isinstance(timeout, tuple):
        return sum(part for part in timeout if part is not None)
    return 2 * float(timeout)  # requests uses a single number for connect and for read
