# `make demo` and `make test` set up .venv themselves (ferbench + every plugin under plugins/).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.ferbench-installed
PLUGINS := $(wildcard plugins/*/pyproject.toml)

.PHONY: demo test bench lint clean

$(STAMP): pyproject.toml $(PLUGINS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]" $(foreach p,$(PLUGINS),-e $(dir $(p)))
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/ferbench run --model resnet18 --dataset synthfer
	$(BIN)/ferbench leaderboard

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python -m pytest -q benchmarks --benchmark-only

lint: $(STAMP)
	$(BIN)/ruff check ferbench plugins tests benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .benchmarks
