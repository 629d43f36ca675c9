"""Validate request and response bodies against HighLevel's OpenAPI specs (shared/specs).

    validate_response("contacts", "GET", "/contacts/{contactId}", 200, body)
    validate_request("contacts-v3", "POST", "/contacts/", body)

`spec` names a file in <specs>/highlevel/ ("contacts", "contacts-v3", "oauth"). The specs
folder is Path(settings.BASE_DIR).parent / "shared" / "specs" unless SPECS_DIR says
otherwise. `$ref`s are resolved across files (../common/common-schemas.json) with
`referencing`; OpenAPI 3.0's `nullable: true` is rewritten to JSON Schema's null type
first. A status or operation the spec does not document is a failure, so the sandbox
cannot drift from the spec unnoticed; a documented status without a schema has nothing to
check and passes.
"""

import json
import os
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from tests.support import skip_unless


class ContractError(AssertionError):
    """A body that does not match the spec, or an operation/status the spec lacks."""


def specs_dir() -> Path:
    override = os.environ.get("SPECS_DIR")
    return Path(override) if override else Path(settings.BASE_DIR).parent / "shared" / "specs"


def specs_dir_or_skip() -> Path:
    """The specs folder; skips the test when it is missing, but fails under CI."""
    folder = specs_dir()
    skip_unless(folder.is_dir(), f"the OpenAPI specs folder {folder} is missing (set SPECS_DIR)")
    return folder


def _json_schema(node: Any) -> Any:
    """OpenAPI 3.0 -> JSON Schema: `nullable: true` becomes a null alternative."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    result = {key: _json_schema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable") is True:
        if isinstance(result.get("type"), str):
            result["type"] = [result["type"], "null"]
            if "enum" in result:
                result["enum"] = [*result["enum"], None]
        else:
            result = {"anyOf": [result, {"type": "null"}]}
    return result


@cache
def _load(folder: str) -> tuple[Registry, dict[str, dict]]:
    resources, documents = [], {}
    for path in sorted(Path(folder).rglob("*.json")):
        document = _json_schema(json.loads(path.read_text()))
        uri = path.resolve().as_uri()
        documents[uri] = document
        resources.append((uri, Resource.from_contents(document, default_specification=DRAFT7)))
    return Registry().with_resources(resources), documents


def _pointer(*parts: str) -> str:
    escaped = (part.replace("~", "~0").replace("/", "~1") for part in parts)
    return quote("/" + "/".join(escaped), safe="/~")


def _operation(spec: str, method: str, path_template: str) -> tuple[str, str, dict]:
    folder = specs_dir_or_skip()
    _, documents = _load(str(folder.resolve()))
    uri = (folder / "highlevel" / f"{spec}.json").resolve().as_uri()
    if uri not in documents:
        raise ContractError(f"There is no spec called {spec!r} in {folder / 'highlevel'}.")
    paths = documents[uri]["paths"]
    candidates = (path_template, path_template.rstrip("/"), path_template.rstrip("/") + "/")
    path = next((p for p in candidates if p in paths), None)
    operation = paths.get(path, {}).get(method.lower()) if path else None
    if operation is None:
        raise ContractError(f"{method.upper()} {path_template} is not an operation of {spec}.json.")
    return uri, path, operation


def _validate(uri: str, fragment: str, instance: Any, what: str) -> None:
    registry, _ = _load(str(specs_dir().resolve()))
    validator = Draft7Validator({"$ref": f"{uri}#{fragment}"}, registry=registry)
    problems = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    if problems:
        lines = [
            f"  {'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message}"
            for e in problems[:10]
        ]
        raise ContractError(f"{what} does not match the spec:\n" + "\n".join(lines))


def validate_response(spec: str, method: str, path_template: str, status: int, body: Any) -> None:
    uri, path, operation = _operation(spec, method, path_template)
    response = operation["responses"].get(str(status))
    what = f"{method.upper()} {path} -> {status} ({spec})"
    if response is None:
        documented = ", ".join(operation["responses"])
        raise ContractError(f"{what}: the status is not documented (documented: {documented}).")
    media = (response.get("content") or {}).get("application/json")
    if not media or "schema" not in media:
        return
    fragment = _pointer(
        "paths",
        path,
        method.lower(),
        "responses",
        str(status),
        "content",
        "application/json",
        "schema",
    )
    _validate(uri, fragment, body, what)


def validate_request(spec: str, method: str, path_template: str, body: Any) -> None:
    uri, path, operation = _operation(spec, method, path_template)
    what = f"{method.upper()} {path} request ({spec})"
    content = (operation.get("requestBody") or {}).get("content") or {}
    if not content:
        if body not in (None, {}):
            raise ContractError(f"{what}: the operation takes no body.")
        return
    media_type = next(iter(content))
    fragment = _pointer(
        "paths", path, method.lower(), "requestBody", "content", media_type, "schema"
    )
    _validate(uri, fragment, body, what)
