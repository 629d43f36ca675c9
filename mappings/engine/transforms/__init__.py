"""Transforms: small pure functions a rule chains on its value. Importing this package
registers every transform (see registry.py for the contract)."""

from mappings.engine.transforms import coerce, contact, lists, text  # noqa: F401 - registers
from mappings.engine.transforms.registry import (
    REGISTRY,
    Arg,
    ArgError,
    BuildContext,
    TransformInfo,
    build_transform,
    is_empty,
    transform_catalogue,
)

__all__ = [
    "REGISTRY",
    "Arg",
    "ArgError",
    "BuildContext",
    "TransformInfo",
    "build_transform",
    "is_empty",
    "transform_catalogue",
]
