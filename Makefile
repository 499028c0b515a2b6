# Two commands: `make demo` and `make test`. Both create .venv and install the project on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit bench serve clean system-deps

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,bench,dask]'
	touch $(STAMP)

demo: $(STAMP) system-deps
	$(BIN)/kuozhong demo --out output/demo
	@echo "loan officer's page: make serve, then open http://127.0.0.1:8000/officer (a key: $(BIN)/kuozhong keys create --role officer)"

system-deps:
	bash scripts/system-deps.sh

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -q

test: $(STAMP) system-deps
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run_all

serve: $(STAMP)
	$(BIN)/kuozhong serve

clean:
	rm -rf $(VENV) output .pytest_cache .mypy_cache .ruff_cache
