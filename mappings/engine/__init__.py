"""The mapping engine: pure Python, no Django (the Django side stores specs and calls this).

mapping = compile_mapping(spec, options={"default_region": "US", "custom_fields": [...]})
result = mapping.apply(record, current=target_now, previous=record_last_seen)
result.payload, result.changes, result.problems, result.skipped_rules, result.skipped_reason
"""

from mappings.engine.compiler import (
    CompiledMapping,
    Result,
    append_value,
    compile_mapping,
    validate_spec,
)
from mappings.engine.conditions import OPERATORS, operator_catalogue
from mappings.engine.customfields import custom_field_paths
from mappings.engine.drift import check_drift, used_fields
from mappings.engine.portable import export_mapping, import_mapping
from mappings.engine.problems import (
    Change,
    Problem,
    SkippedRule,
    SkipRule,
    SpecError,
    TransformError,
)
from mappings.engine.transforms import REGISTRY, transform_catalogue

__all__ = [
    "OPERATORS",
    "REGISTRY",
    "Change",
    "CompiledMapping",
    "Problem",
    "Result",
    "SkipRule",
    "SkippedRule",
    "SpecError",
    "TransformError",
    "append_value",
    "check_drift",
    "compile_mapping",
    "custom_field_paths",
    "export_mapping",
    "import_mapping",
    "operator_catalogue",
    "transform_catalogue",
    "used_fields",
    "validate_spec",
]
