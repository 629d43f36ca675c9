"""Dotted field paths: "email", "billingPerson.name", "contacts.0.Email".

A segment of digits indexes a list (and is also tried as a dict key, so "0" works for both).
Paths compile once into small closures, because the engine reads and writes them for every
rule of every record.
"""

from collections.abc import Callable
from typing import Any

Getter = Callable[[Any], Any]
Setter = Callable[[dict, Any], None]


def split_path(path: str) -> tuple[str, ...]:
    return tuple(path.split("."))


def is_valid_path(path: Any) -> bool:
    return isinstance(path, str) and bool(path) and all(split_path(path))


def compile_getter(path: str) -> Getter:
    """A function record -> value at `path`, or None where any step is missing."""
    parts = split_path(path)
    if len(parts) == 1 and not parts[0].isdigit():
        key = parts[0]

        def get_one(record: Any) -> Any:
            if type(record) is dict:
                return record.get(key)
            return _walk(record, parts)

        return get_one
    if len(parts) == 2 and not parts[0].isdigit() and not parts[1].isdigit():
        first, second = parts

        def get_two(record: Any) -> Any:
            if type(record) is dict:
                inner = record.get(first)
                if type(inner) is dict:
                    return inner.get(second)
            return _walk(record, parts)

        return get_two
    return lambda record: _walk(record, parts)


def _walk(value: Any, parts: tuple[str, ...]) -> Any:
    for part in parts:
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit():
            index = int(part)
            value = value[index] if index < len(value) else None
        else:
            return None
        if value is None:
            return None
    return value


def get_path(record: Any, path: str) -> Any:
    return _walk(record, split_path(path))


def compile_setter(path: str) -> Setter:
    """A function (payload, value) that writes `value` at `path`, creating dicts and lists
    on the way ("contacts.0.Email" makes `{"contacts": [{"Email": value}]}`)."""
    parts = split_path(path)
    if len(parts) == 1:
        key = parts[0]

        def set_one(payload: dict, value: Any) -> None:
            payload[key] = value

        return set_one

    def set_deep(payload: dict, value: Any) -> None:
        _set(payload, parts, value)

    return set_deep


def _set(container: Any, parts: tuple[str, ...], value: Any) -> None:
    for position, part in enumerate(parts):
        last = position == len(parts) - 1
        next_is_index = not last and parts[position + 1].isdigit()
        if isinstance(container, list):
            index = int(part)
            while len(container) <= index:
                container.append(None)
            if last:
                container[index] = value
                return
            if not isinstance(container[index], dict | list):
                container[index] = [] if next_is_index else {}
            container = container[index]
        else:
            if last:
                container[part] = value
                return
            child = container.get(part)
            if not isinstance(child, dict | list):
                child = [] if next_is_index else {}
                container[part] = child
            container = child
