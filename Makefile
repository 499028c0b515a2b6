# Two commands: `make demo` and `make test`. Both create .venv and install the project on first use.
#
# Installs do not drift: .venv gets exactly the versions in uv.lock (every package, with hashes, for all extras:
# dev, bench, dask), plus this project editable. uv itself is pinned below and bootstrapped from PyPI into a small
# venv of its own on first use, so a fresh machine needs only Python 3.11.
# To upgrade deliberately: `make lock LOCK_ARGS=--upgrade` (runs `uv lock --upgrade`; or
# `LOCK_ARGS='--upgrade-package NAME'` for one package), then `make test`, and commit uv.lock with the change.
# After editing dependencies in pyproject.toml run `make lock`: installs refuse a lock that no longer matches.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
UV_VERSION := 0.13.9
UV_HOME := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/kuozhong/uv-$(UV_VERSION)
UV := $(UV_HOME)/bin/uv
# Install into .venv with the machine's Python; uv never downloads an interpreter.
UV_ENV := UV_PROJECT_ENVIRONMENT=$(VENV) UV_PYTHON_DOWNLOADS=never
LOCK_ARGS ?=

.PHONY: demo test lint typecheck unit bench serve clean system-deps lock

$(UV):
	rm -rf $(UV_HOME)
	$(PYTHON) -m venv $(UV_HOME)
	$(UV_HOME)/bin/python -m pip install --quiet uv==$(UV_VERSION)

# --locked: install exactly uv.lock, and stop if it no longer matches pyproject.toml (run `make lock`).
# Sync is exact: packages that are not in the lock are removed from .venv (a pip already there is kept).
$(STAMP): pyproject.toml uv.lock | $(UV)
	$(UV_ENV) $(UV) sync --locked --all-extras --python $(PYTHON)
	touch $(STAMP)

lock: | $(UV)
	$(UV_ENV) $(UV) lock --python $(PYTHON) $(LOCK_ARGS)

demo: $(STAMP) system-deps
	$(BIN)/kuozhong demo --out output/demo
	@echo "loan officer's page: make serve, then open http://127.0.0.1:8000/officer (a key: KUOZHONG_ENVIRONMENT=local $(BIN)/kuozhong keys create --role officer)"

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

serve: $(STAMP)  # a developer's machine: local unless the environment says otherwise
	KUOZHONG_ENVIRONMENT=$${KUOZHONG_ENVIRONMENT:-local} $(BIN)/kuozhong serve

clean:
	rm -rf $(VENV) output .pytest_cache .mypy_cache .ruff_cache
