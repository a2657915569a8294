# make setup | run | test | bench
SHELL := /bin/bash
PYTHON := .venv/bin/python
PYTEST_ARGS ?=

.PHONY: setup run test bench

## setup: system packages (only when missing) and the virtualenv (reinstalled only when requirements.txt changes)
setup:
	@scripts/setup_system.sh
	@scripts/setup_venv.sh

## run: migrate, demo sources if absent, load, scheduler + simulator in the background, serve http://127.0.0.1:8050
run: setup
	@scripts/run.sh

## test: every test (a real PostgreSQL is started by the suite)
test: setup
	.venv/bin/pytest -p no:cacheprovider tests $(PYTEST_ARGS)

## bench: ETL and screen benchmarks
bench: setup
	$(PYTHON) -m benchmarks
