# quakejax: every user-facing target sets itself up (creates .venv and installs) first.
SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# Newest usable interpreter: python3.13, then 3.12 (pyrocko and jax>=0.10 only
# co-install from 3.12 on), then whatever python3 is.  Override with PYTHON=...
PYTHON ?= $(shell for p in python3.13 python3.12 \
	$$HOME/.pyenv/versions/3.13*/bin/python3.13 $$HOME/.pyenv/versions/3.12*/bin/python3.12 \
	python3.11 python3; do \
	  if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys, venv, ensurepip' >/dev/null 2>&1; then \
	    command -v $$p; break; fi; done)

.PHONY: all venv test test-all demo lint docs bench clean

all: test

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "No Python >= 3.11 found; set PYTHON=/path/to/python3"; exit 1; }
	@echo "Using $(PYTHON) ($$($(PYTHON) --version))"
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	@# Reference codes for tests/benchmarks: best effort, tests skip without them.
	@minor=$$($(PY) -c 'import sys; print(sys.version_info[1])'); \
	if [ "$$minor" -ge 12 ]; then \
	  $(PY) -m pip install -q 'pyrocko>=2023.10' || echo "WARNING: pyrocko not installed; its tests will skip"; \
	else echo "NOTE: Python 3.$$minor: pyrocko needs numpy<2 here, skipping it"; fi
	@if ! command -v gfortran >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  (apt-get install -y -q gfortran >/dev/null 2>&1 || (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q gfortran >/dev/null 2>&1)) \
	  || echo "WARNING: could not install gfortran"; fi
	@if command -v gfortran >/dev/null 2>&1; then \
	  $(PY) -m pip install -q okada-wrapper || echo "WARNING: okada-wrapper not installed; its tests will skip"; \
	else echo "WARNING: no gfortran: okada-wrapper not installed; its tests will skip"; fi
	$(PY) -m pip install -q 'cutde>=26.3' || echo "WARNING: cutde not installed; its tests will skip"
	touch $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -q -n 2 --dist loadfile -m "not slow" --durations=8

test-all: $(STAMP)
	$(PY) -m pytest -q -n 2

demo: $(STAMP)
	MPLBACKEND=Agg $(PY) -m quakejax.demo --out demo_output

lint: $(STAMP)
	$(VENV)/bin/ruff check quakejax tests benchmarks experiments
	$(VENV)/bin/ruff format --check quakejax tests benchmarks experiments
	$(VENV)/bin/pyright quakejax

docs: $(STAMP)
	$(VENV)/bin/mkdocs build --strict

bench: $(STAMP)
	$(PY) benchmarks/okada_throughput.py

clean:
	rm -rf $(VENV) site demo_output .pytest_cache
