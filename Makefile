# From a fresh clone: `make site` builds the checked site into site/, `make test` runs the tests.
VENV    := .venv
BIN     := $(VENV)/bin
READY   := $(VENV)/.installed
PYTHON  ?= python3
export NO_MKDOCS_2_WARNING := 1
export DISABLE_MKDOCS_2_WARNING := true

.PHONY: help setup check site view serve test lint schemas bench clean
.DEFAULT_GOAL := help

# `make help` lists the targets with the text after `##` on their line.
help:  ## 列出这些命令
	@awk 'BEGIN {FS = ":.*## "} /^[a-z]+:.*## / {printf "  make %-7s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(READY): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[site,pdf,dev,bench]'
	$(BIN)/python -m compileall -q qmsdoc
	touch $(READY)

setup: $(READY)  ## 建立 .venv 并安装固定版本的依赖（需要能访问 PyPI 或其内网镜像）

check: $(READY)  ## 运行全部检查（qmsdoc check）
	$(BIN)/qmsdoc check

site: $(READY)  ## 先检查，再生成员工网站到 site/（qmsdoc build）
	$(BIN)/qmsdoc build

view:  ## 在 http://127.0.0.1:8000/ 查看生成好的 site/（先 make site）
	$(PYTHON) -m http.server --directory site --bind 127.0.0.1 8000

serve: $(READY)  ## 编制人预览工作区中的文字（含草稿），保存后自动刷新
	$(BIN)/mkdocs serve --livereload --dirty

test: $(READY)  ## 运行全部测试
	$(BIN)/pytest

lint: $(READY)  ## 代码检查（ruff、mypy）
	$(BIN)/ruff check qmsdoc hooks tests bench
	$(BIN)/mypy qmsdoc

schemas: $(READY)  ## 元数据结构改动后，重新生成校验代码（qmsdoc/compiled_schemas/）
	$(BIN)/python -m qmsdoc.compiled_schemas

# Options: make bench BENCH_ARGS="--baseline REV | --baseline none, --no-peers, --regenerate,
#   --only builds|preview|sizes (only that part), --sizes 250:2500,… (or none),
#   --repo PATH (another bench repository; generated with --documents N --commits N)"
bench: $(READY)  ## 性能基准
	$(BIN)/python -m compileall -q qmsdoc
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:  ## 删除 .venv 和生成的网站
	rm -rf $(VENV) site site.lock site.staging-* site.previous-*
