# `make demo` and `make test` set up .venv themselves (ferbench + every plugin under plugins/).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.ferbench-installed
PLUGINS := $(wildcard plugins/*/pyproject.toml)

.PHONY: demo test bench lint leaderboard clean

$(STAMP): pyproject.toml $(PLUGINS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]" $(foreach p,$(PLUGINS),-e $(dir $(p)))
	touch $(STAMP)

# The demo's leaderboard goes beside its scratch store (runs/leaderboard), never to leaderboard/.
demo: $(STAMP)
	$(BIN)/ferbench run --model resnet18 --dataset synthfer
	$(BIN)/ferbench leaderboard

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python -m pytest -q benchmarks --benchmark-only

# Regenerate the published leaderboard from its run store (on purpose only); rows on the
# converged resnet18's splits get a paired difference against it.
BASELINE := resnet18 (batch_size=32, epochs=60)
leaderboard: $(STAMP)
	$(BIN)/ferbench leaderboard --db leaderboard/runs.sqlite --output leaderboard \
		--baseline "$(BASELINE)"

lint: $(STAMP)
	$(BIN)/ruff check ferbench plugins tests benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .benchmarks
