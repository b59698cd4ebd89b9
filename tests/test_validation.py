"""The validators kept in qmsdoc/compiled_schemas/ are the schemas' own, compiled."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

import qmsdoc.compiled_schemas
from qmsdoc import config, copies, people, schema, validation  # noqa: F401 - their schemas

KEPT = Path(qmsdoc.compiled_schemas.__file__).parent


def test_every_schema_is_kept_compiled_as_it_compiles_now() -> None:
    assert set(validation.SCHEMAS) == {"document", "people", "config", "copies"}
    for name, each in validation.SCHEMAS.items():
        kept = (KEPT / f"{name}.py").read_text(encoding="utf-8")
        assert kept == each.compiled_code(), f"run `make schemas`: {name}.py is out of date"


def test_the_kept_code_is_what_validates() -> None:
    document = validation.SCHEMAS["document"]
    assert document._fast is importlib.import_module(
        "qmsdoc.compiled_schemas.document").validate
    assert not document.is_valid({"number": "QP-01"})


def test_a_schema_changed_after_its_code_was_kept_is_compiled_again(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(validation, "SCHEMAS", {})
    changed = validation.Schema("people", {"type": "object", "required": ["phone"]})
    assert changed.is_valid({"phone": "110"})  # the kept people schema requires people:
    assert not changed.is_valid({"people": []})
    assert [e.message for e in changed.errors({})] == ["'phone' is a required property"]


def test_two_schemas_of_one_name_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(validation, "SCHEMAS", {})
    validation.Schema("people", {"type": "object"})
    with pytest.raises(ValueError, match="two schemas"):
        validation.Schema("people", {"type": "object"})
