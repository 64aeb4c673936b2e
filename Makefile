# Two commands on a fresh machine: `make run` (install, then screen the example file) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# ICU=wheel (default): PyICU comes prebuilt (pyicu-wheels, through packaging/pyicu); ICU=source compiles it
# from PyPI's sdist against the system ICU (needs the Debian packages libicu-dev, pkg-config and g++).
ICU ?= wheel

.PHONY: install run test lint bench bench-full accuracy serve clean

$(STAMP): pyproject.toml packaging/pyicu/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
# A compiled PyICU and pyicu-wheels both install the icu module: switching, remove the other first (pip
# would otherwise delete the new icu files while uninstalling the old distribution).
ifeq ($(ICU),wheel)
	$(BIN)/pip show pyicu 2>/dev/null | grep -q '^Version: .*+wheels' || $(BIN)/pip uninstall --quiet --yes pyicu
	$(BIN)/pip install --quiet ./packaging/pyicu
else
	! $(BIN)/pip show pyicu 2>/dev/null | grep -q '^Version: .*+wheels' || $(BIN)/pip uninstall --quiet --yes pyicu pyicu-wheels
endif
	$(BIN)/pip install --quiet -e '.[test,dask,yente-client]'  # dask, yente-client: their tests run too
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/screen watchlist info
	$(BIN)/screen file examples/counterparties.csv --output examples/counterparties.screened.csv || [ $$? -eq 1 ]
	@$(BIN)/python -c 'import csv,sys; rows=list(csv.reader(open(sys.argv[1], encoding="utf-8"))); w=[max(len(r[i]) for r in rows) for i in range(7)]; [print("  ".join(c.ljust(n) for c, n in zip(r[:7], w))) for r in rows]' examples/counterparties.screened.csv

lint: $(STAMP)
	$(BIN)/ruff check .

test: $(STAMP) lint  # with a throwaway PostgreSQL server when PostgreSQL is installed (scripts/with-postgres)
	scripts/with-postgres $(BIN)/python -m pytest -q

bench: $(STAMP)  # the quick ones, a few minutes in all; bench-full for the issue-5 figures
	$(BIN)/python benchmarks/bench_matcher.py --quick
	$(BIN)/python benchmarks/bench_single.py --quick
	$(BIN)/python benchmarks/bench_batch.py --quick

bench-full: $(STAMP)  # every benchmark at full size: about half an hour (the 1M-name list compiles once)
	$(BIN)/python benchmarks/bench_matcher.py
	$(BIN)/python benchmarks/bench_single.py
	$(BIN)/python benchmarks/bench_batch.py
	$(BIN)/python benchmarks/bench_http.py
	$(BIN)/python benchmarks/bench_scale.py

accuracy: $(STAMP)
	$(BIN)/python benchmarks/accuracy.py

serve: $(STAMP)
	$(BIN)/screen serve

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
