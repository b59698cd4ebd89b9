"""``python -m qmsdoc.compiled_schemas``: write every schema's compiled module again."""

from pathlib import Path

from .. import config, copies, people, schema  # noqa: F401 - each defines its schema
from ..validation import SCHEMAS

for name, each in SCHEMAS.items():
    (Path(__file__).parent / f"{name}.py").write_text(each.compiled_code(), encoding="utf-8")
    print(f"qmsdoc/compiled_schemas/{name}.py")
