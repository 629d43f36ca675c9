"""CS-Cart's error bodies, as `Tygh\\Api\\Response::send()` builds them.

Every non-2xx answer is `{"message": "<Status text>[: <details>]", "messages": [...],
"errors": [...], "status": <code>}`, where errors come first in the joined details and the
lists are present only when not empty. A 401 also carries
`WWW-Authenticate: Basic realm="User email/API key"`.
"""

from sandboxes.kit.kit import status_phrase
from sandboxes.kit.web import HTTPError

REALM = 'Basic realm="User email/API key"'


def phrase(status: int) -> str:
    return "Bandwidth Limit Exceeded" if status == 509 else status_phrase(status)


def body(status: int, *, messages=(), errors=()) -> dict:
    details = [text for text in (*errors, *messages) if text]
    result: dict = {"message": phrase(status) + (": " + ". ".join(details) if details else "")}
    if messages:
        result["messages"] = list(messages)
    if errors:
        result["errors"] = list(errors)
    result["status"] = status
    return result


def api_error(status: int, *, messages=(), errors=()) -> HTTPError:
    headers = {"WWW-Authenticate": REALM} if status == 401 else {}
    return HTTPError(status, body(status, messages=messages, errors=errors), headers)


def required(field: str) -> HTTPError:
    return api_error(400, messages=[f"The {field} field is required"])
