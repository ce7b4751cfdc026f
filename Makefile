# SCORE Assistant — the two commands that matter: `make serve` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install serve test bench bench-scale index lint clean

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

# HTTP load: Locust, headless, 30 s at 10 then at 50 clients (benchmarks/load.py; figures in benchmarks/results/).
bench: index
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/curated_match.py
	$(BIN)/python benchmarks/library.py
	$(BIN)/python benchmarks/export.py
	$(BIN)/python benchmarks/reader_cost.py
	$(BIN)/python benchmarks/load.py

# Scale (long: about an hour on 2 cores): a synthetic 50,000-chunk index (size, RSS, warm ask), flat FAISS
# search at 50k/200k/1M vectors, ingest throughput and memory up to a 20 MB text, ONNX against PyTorch.
bench-scale: install
	$(BIN)/python benchmarks/scale.py
	$(BIN)/python benchmarks/ingest_scale.py
	$(BIN)/python benchmarks/onnx_embedding.py

lint: install
	$(BIN)/ruff check assistant tests benchmarks

clean:
	rm -rf index/current index/build-* .pytest_cache
