"""The transform registry: name -> how to build the function, plus what the editor shows.

A transform is built once per rule from its args (`build(args, context)`) into a function
`(value, record) -> value`. Built functions return None for None unless the transform exists
to supply a value (`default`, `first_non_empty`, `template`), and raise `TransformError` when
they cannot produce a correct value. Every transform carries an example that the tests run,
so the editor never documents behaviour the code does not have.
"""

import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import phonenumbers

from mappings.engine.paths import is_valid_path
from mappings.engine.problems import shown
from mappings.engine.regex import PatternError, compile_pattern

TransformFn = Callable[[Any, Any], Any]


class ArgError(ValueError):
    """A transform's args are wrong; the message names the arg."""


@dataclass(frozen=True)
class BuildContext:
    default_region: str = "US"
    timezone: str = "UTC"


@dataclass(frozen=True)
class Arg:
    name: str
    type: str  # string, integer, boolean, list, object, any, regex, timezone, region, paths
    required: bool = False
    default: Any = None
    choices: tuple[Any, ...] = ()
    help: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "required": self.required,
            "default": self.default,
            "choices": list(self.choices),
            "help": self.help,
        }


@dataclass(frozen=True)
class TransformInfo:
    name: str
    label: str
    description: str
    args: tuple[Arg, ...]
    # {"input": ..., "args": {...}, "output": ...} or {"input":..., "error": "..."}; may hold
    # "record" for transforms that read other fields.
    examples: tuple[dict[str, Any], ...]
    build: Callable[[dict[str, Any], BuildContext], TransformFn] = field(repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "description": self.description,
            "args": [arg.as_dict() for arg in self.args],
            "examples": [dict(example) for example in self.examples],
        }


REGISTRY: dict[str, TransformInfo] = {}


def register(
    name: str,
    label: str,
    description: str,
    examples: list[dict[str, Any]],
    args: tuple[Arg, ...] = (),
) -> Callable:
    def decorator(build: Callable[[dict[str, Any], BuildContext], TransformFn]) -> Callable:
        REGISTRY[name] = TransformInfo(name, label, description, args, tuple(examples), build)
        return build

    return decorator


_TYPE_CHECKS: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "list": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
    "any": lambda v: True,
    "regex": lambda v: isinstance(v, str),
    "timezone": lambda v: isinstance(v, str),
    "region": lambda v: isinstance(v, str),
    "paths": lambda v: isinstance(v, list) and bool(v) and all(is_valid_path(p) for p in v),
}

_TYPE_WORDS = {
    "string": "a string",
    "integer": "a whole number",
    "boolean": "true or false",
    "list": "a list",
    "object": "an object",
    "regex": "a regular expression",
    "timezone": "a time zone name",
    "region": "a two-letter region code",
    "paths": "a non-empty list of field paths",
}


def check_args(info: TransformInfo, args: Any) -> dict[str, Any]:
    """Args with defaults filled in; raises ArgError naming the first wrong arg."""
    if args is None:
        args = {}
    if not isinstance(args, dict):
        raise ArgError("args must be an object")
    known = {arg.name: arg for arg in info.args}
    unknown = sorted(set(args) - set(known))
    if unknown:
        raise ArgError(f"unknown arg {shown(unknown[0])} (known: {', '.join(known) or 'none'})")
    clean: dict[str, Any] = {}
    for arg in info.args:
        if arg.name not in args or args[arg.name] is None:
            if arg.required:
                raise ArgError(f"arg {shown(arg.name)} is required")
            clean[arg.name] = arg.default
            continue
        value = args[arg.name]
        if not _TYPE_CHECKS[arg.type](value):
            raise ArgError(f"arg {shown(arg.name)} must be {_TYPE_WORDS[arg.type]}")
        if arg.choices and value not in arg.choices:
            choices = ", ".join(shown(c) for c in arg.choices)
            raise ArgError(f"arg {shown(arg.name)} must be one of {choices}")
        if arg.type == "regex":
            try:
                compile_pattern(value)
            except PatternError as exc:
                raise ArgError(f"arg {shown(arg.name)}: {exc}") from None
        elif arg.type == "timezone":
            check_timezone(value, arg.name)
        elif arg.type == "region":
            check_region(value, arg.name)
        clean[arg.name] = value
    return clean


def check_timezone(name: str, what: str = "timezone") -> None:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ArgError(f"{what} {shown(name)} is not a known time zone") from None


def check_region(region: str, what: str = "region") -> None:
    if region.upper() not in phonenumbers.SUPPORTED_REGIONS:
        raise ArgError(f"{what} {shown(region)} is not a known phone region (e.g. US, GB, DE)")


def build_transform(name: Any, args: Any, context: BuildContext) -> TransformFn:
    """The compiled function for one transform step; raises ArgError when it cannot be built."""
    info = REGISTRY.get(name) if isinstance(name, str) else None
    if info is None:
        raise ArgError(f"unknown transform {shown(name)}")
    return info.build(check_args(info, args), context)


def transform_catalogue() -> list[dict[str, Any]]:
    """Every transform with its label, args, description and examples, for the editor."""
    return [REGISTRY[name].as_dict() for name in sorted(REGISTRY)]


def is_empty(value: Any) -> bool:
    """None, blank text and empty lists/objects count as "no value"."""
    if value is None:
        return True
    if type(value) is str:
        return not value or value.isspace()
    if isinstance(value, list | dict | tuple):
        return not value
    return False
