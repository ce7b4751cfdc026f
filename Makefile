# SCORE Assistant — the two commands that matter: `make serve` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install serve test bench index lint clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# The CPU build of torch first: otherwise pip resolves sentence-transformers to a multi-GB CUDA build.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

index: install
	$(BIN)/score-assistant ingest --if-stale

# `serve` builds the index itself when it is missing or stale (a bad file is reported, not fatal).
serve: install
	$(BIN)/score-assistant serve --host $(HOST) --port $(PORT)

test: install
	$(BIN)/python -m pytest

bench: index
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/bench_http.py

lint: install
	$(BIN)/ruff check assistant tests benchmarks

clean:
	rm -rf index/current index/build-* .pytest_cache
