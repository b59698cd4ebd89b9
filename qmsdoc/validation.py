"""JSON Schema validation: fast when the data is right, detailed when it is not.

fastjsonschema compiles a schema to Python code, so valid data (the common
case) costs microseconds; jsonschema, loaded only when needed, then lists
every problem with its path for the messages.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import fastjsonschema

if TYPE_CHECKING:
    from jsonschema import ValidationError


class Schema:
    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = {"$schema": "http://json-schema.org/draft-07/schema#", **schema}

    @functools.cached_property
    def _fast(self) -> Any:
        """Compiled on first use: a check that finds every text in its caches validates none."""
        return fastjsonschema.compile(self.schema)

    def is_valid(self, data: Any) -> bool:
        try:
            self._fast(data)
        except fastjsonschema.JsonSchemaException:
            return False
        return True

    def errors(self, data: Any) -> list[ValidationError]:
        """Every problem in ``data``, in a stable order; empty when it is valid."""
        if self.is_valid(data):
            return []
        from jsonschema import Draft7Validator, FormatChecker

        validator = Draft7Validator(self.schema, format_checker=FormatChecker())
        return sorted(validator.iter_errors(data), key=lambda e: (list(map(str, e.path)), str(e)))
