"""Import and export of a mapping as JSON (to share, back up or start from a file)."""

import json
from collections.abc import Callable
from typing import Any

from mappings.engine.compiler import validate_spec
from mappings.engine.problems import Problem, SpecError, shown

FORMAT = "contactbridge.mapping"
FORMAT_VERSION = 1


def export_mapping(spec: dict) -> str:
    """Pretty JSON with a small envelope naming the format, so imports can check it."""
    envelope = {"format": FORMAT, "format_version": FORMAT_VERSION, "mapping": spec}
    return json.dumps(envelope, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def import_mapping(
    text: str | bytes,
    *,
    options: dict | None = None,
    loads: Callable[[str | bytes], Any] = json.loads,
) -> dict[str, Any]:
    """The spec from exported JSON; raises SpecError with readable problems. A bare spec
    (no envelope) is accepted too. `loads` parses the text: the Django side passes a parser
    that limits size and nesting (integrations.jsonsafe), as a file is untrusted input."""
    try:
        data = loads(text)
    except json.JSONDecodeError as exc:
        raise SpecError(
            [
                Problem(
                    "file",
                    "",
                    f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
                    "invalid_spec",
                )
            ]
        ) from None
    except UnicodeDecodeError:
        raise SpecError(
            [Problem("file", "", "the file is not UTF-8 text", "invalid_spec")]
        ) from None
    except (ValueError, RecursionError) as exc:  # the limits of `loads`, or nesting too deep
        reason = str(exc) if isinstance(exc, ValueError) else "JSON nested too deeply"
        raise SpecError([Problem("file", "", reason, "invalid_spec")]) from None
    if isinstance(data, dict) and "format" in data:
        if data.get("format") != FORMAT:
            raise SpecError(
                [
                    Problem(
                        "format",
                        "",
                        f"not a ContactBridge mapping (format is {shown(data.get('format'))})",
                        "invalid_spec",
                    )
                ]
            )
        if data.get("format_version") != FORMAT_VERSION:
            raise SpecError(
                [
                    Problem(
                        "format_version",
                        "",
                        "this file was written by a newer "
                        f"version (format {shown(data.get('format_version'))})",
                        "invalid_spec",
                    )
                ]
            )
        data = data.get("mapping")
    problems = validate_spec(data, options=options)
    if problems:
        raise SpecError(problems)
    return data
