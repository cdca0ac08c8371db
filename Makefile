# The two commands: `make run` and `make test`. Both create .venv on first use.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: run test lint bench bench-peer messages install

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall whenever the dependencies change.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $@

install: $(STAMP)

# First run only: a random secret key, and DEBUG on for the local server.
.env: | $(BIN)/python
	$(BIN)/python -c 'import secrets; print("DEBUG=True\nSECRET_KEY=" + secrets.token_urlsafe(50))' > $@
	@echo "wrote .env (DEBUG=True and a random SECRET_KEY)"

run: $(STAMP) .env
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Benchmarks print ratios against baselines measured in the same run (not part of make test).
bench: $(STAMP)
	$(BIN)/python -m bench.all

# The door scan against pretix's check-in on the local PostgreSQL 15 (installs pretix into
# .venv-peer on first use, wrk if missing; needs root for apt and the cluster).
bench-peer: $(STAMP)
	$(BIN)/python -m bench.peer

# Needs GNU gettext (apt-get install gettext); the compiled .mo files are committed.
messages: $(STAMP)
	$(BIN)/python manage.py makemessages -l en --ignore=.venv --ignore=.venv-peer --ignore=tests --ignore=bench
	$(BIN)/python manage.py compilemessages -l en --ignore=.venv --ignore=.venv-peer
