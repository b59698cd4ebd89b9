"""Each schema's validator, compiled by fastjsonschema and kept as a module (see
:mod:`qmsdoc.validation`). Made by ``make schemas`` (``python -m qmsdoc.compiled_schemas``);
a test fails while one differs from what its schema compiles to now."""
