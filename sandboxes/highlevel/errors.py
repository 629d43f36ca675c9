"""HighLevel's error bodies (NestJS style), raised from handlers as HTTPError.

Shapes follow common-schemas.json: 400 `{statusCode, message}`, 401 `{statusCode, message,
error}`, 422 `{statusCode, message: [...], error}`; 403/404/429 follow the same pattern. The
API layer adds `traceId` to every body."""

from sandboxes.kit.web import HTTPError

INVALID_JWT = "Invalid JWT"
SCOPE_MISSING = "The token is not authorized for this scope."
WRONG_LOCATION = "The token does not have access to this location."
WRONG_AUTH_CLASS = (
    "This authClass type is not allowed to access this scope. "
    "Please verify your IAM configuration if this is not the case."
)


def bad_request(message: str, **extra) -> HTTPError:
    return HTTPError(400, {"statusCode": 400, "message": message, **extra})


def unauthorized(message: str = INVALID_JWT) -> HTTPError:
    if message == INVALID_JWT:
        # The live body for a bad or expired token has no `error` key.
        return HTTPError(401, {"statusCode": 401, "message": message})
    return HTTPError(401, {"statusCode": 401, "message": message, "error": "Unauthorized"})


def forbidden(message: str = WRONG_LOCATION) -> HTTPError:
    return HTTPError(403, {"statusCode": 403, "message": message, "error": "Forbidden"})


def unprocessable(messages: list[str]) -> HTTPError:
    return HTTPError(
        422, {"statusCode": 422, "message": list(messages), "error": "Unprocessable Entity"}
    )


def not_found(status: int, what: str) -> HTTPError:
    """`status` is the configured not-found status: 400 (default) or 404."""
    if status == 404:
        return HTTPError(
            404, {"statusCode": 404, "message": f"{what} not found", "error": "Not Found"}
        )
    return bad_request(f"{what} not found")


def too_many_requests(headers: dict[str, str]) -> HTTPError:
    body = {"statusCode": 429, "message": "Too Many Requests", "error": "Too Many Requests"}
    return HTTPError(429, body, headers)
