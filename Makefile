# From a fresh clone: `make site` builds the checked site into site/, `make test` runs the tests.
VENV    := .venv
BIN     := $(VENV)/bin
READY   := $(VENV)/.installed
PYTHON  ?= python3
export NO_MKDOCS_2_WARNING := 1
export DISABLE_MKDOCS_2_WARNING := true

.PHONY: setup check site serve test lint bench clean

$(READY): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[site,pdf,dev,bench]'
	$(BIN)/python -m compileall -q qmsdoc
	touch $(READY)

setup: $(READY)

check: $(READY)
	$(BIN)/qmsdoc check

site: $(READY)
	$(BIN)/qmsdoc build

serve: $(READY)
	$(BIN)/mkdocs serve --livereload

test: $(READY)
	$(BIN)/pytest

lint: $(READY)
	$(BIN)/ruff check qmsdoc hooks tests bench
	$(BIN)/mypy qmsdoc

# Options: make bench BENCH_ARGS="--baseline REV | --baseline none, --no-peers, --regenerate"
bench: $(READY)
	$(BIN)/python -m compileall -q qmsdoc
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) site site.lock site.staging-* site.previous-*
