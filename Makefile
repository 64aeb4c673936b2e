# Two commands on a fresh machine: `make run` (install, then screen the example file) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint bench accuracy serve clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,dask]'  # dask: the Dask engine's tests run too
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/screen watchlist info
	$(BIN)/screen file examples/counterparties.csv --output examples/counterparties.screened.csv || [ $$? -eq 1 ]
	@column -s, -t < examples/counterparties.screened.csv 2>/dev/null | cut -c1-200 || cat examples/counterparties.screened.csv

lint: $(STAMP)
	$(BIN)/ruff check .

test: $(STAMP) lint
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_matcher.py

accuracy: $(STAMP)
	$(BIN)/python benchmarks/accuracy.py

serve: $(STAMP)
	$(BIN)/screen serve

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
