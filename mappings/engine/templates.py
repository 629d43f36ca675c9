"""Templates such as "{first_name} {last_name}": text with field paths in braces.

"{{" and "}}" are literal braces. A missing field renders as nothing; when *every* field a
template names is empty the result is None (no value), so a required rule reports a problem
instead of writing a blank or a lone separator.
"""

import re
from collections.abc import Callable
from typing import Any

from mappings.engine.paths import compile_getter, is_valid_path
from mappings.engine.problems import TransformError, shown

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


class TemplateError(ValueError):
    pass


def parse_template(text: str) -> list[str | tuple[str]]:
    """Literal strings and (path,) tuples; raises TemplateError for stray braces or bad paths."""
    parts: list[str | tuple[str]] = []
    literal = []
    position = 0
    for match in _TOKEN.finditer(text):
        literal.append(text[position : match.start()])
        position = match.end()
        token = match.group(0)
        if token == "{{":
            literal.append("{")
        elif token == "}}":
            literal.append("}")
        elif match.group(1) is not None:
            path = match.group(1).strip()
            if not is_valid_path(path):
                raise TemplateError(f"{{{match.group(1)}}} is not a field path")
            parts.append("".join(literal))
            literal = []
            parts.append((path,))
        else:
            raise TemplateError(
                f"unmatched {shown(token)} at position {match.start()} (write {token * 2})"
            )
    literal.append(text[position:])
    parts.append("".join(literal))
    return [part for part in parts if part != ""]


def template_fields(text: str) -> list[str]:
    return [part[0] for part in parse_template(text) if isinstance(part, tuple)]


def to_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    raise TransformError(f"cannot put a {type(value).__name__} into text")


def compile_template(
    text: str, extra: dict[str, Callable[[Any, Any], Any]] | None = None
) -> Callable[[Any, Any], str | None]:
    """(value, record) -> rendered text or None. `extra` names pseudo-fields (e.g. "value",
    the value flowing through a transform chain) that are read from the chain, not the record."""
    extra = extra or {}
    pieces: list[tuple[bool, Any]] = []
    for part in parse_template(text):
        if isinstance(part, tuple):
            path = part[0]
            pieces.append((True, extra.get(path) or _record_reader(path)))
        else:
            pieces.append((False, part))
    pieces_t = tuple(pieces)

    def render(value: Any, record: Any) -> str | None:
        out = []
        found = False
        has_fields = False
        for is_field, piece in pieces_t:
            if is_field:
                has_fields = True
                text_value = to_text(piece(value, record))
                if text_value.strip():
                    found = True
                out.append(text_value)
            else:
                out.append(piece)
        if has_fields and not found:
            return None
        return "".join(out).strip()

    return render


def _record_reader(path: str) -> Callable[[Any, Any], Any]:
    get = compile_getter(path)
    return lambda value, record: get(record)
