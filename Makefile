# Yiwang task runner. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
PG_URL ?= postgres://postgres@127.0.0.1:5432/yiwang
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?= -n 2

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}'

$(BIN)/activate: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(BIN)/activate

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch node_modules/.package-lock.json

.PHONY: install
install: $(BIN)/activate node_modules/.package-lock.json messages ## Install Python and front-end dependencies

.PHONY: messages
messages: $(BIN)/activate ## Compile translations (zh-hans, zh-hant, en)
	@command -v msgfmt >/dev/null || (apt-get update -qq && apt-get install -y -qq gettext >/dev/null)
	@$(PY) manage.py compilemessages --ignore '.venv' --ignore 'node_modules' -v0

.PHONY: run
run: install ## Install, migrate, load demo data and serve http://127.0.0.1:8000 (SQLite)
	@mkdir -p var
	$(PY) manage.py migrate --no-input -v0
	$(PY) manage.py seed_demo
	$(PY) manage.py runserver $(HOST):$(PORT)

.PHONY: lint
lint: $(BIN)/activate ## ruff format --check, ruff check, mypy on core, bandit, makemigrations --check
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/bandit -q -ll -ii -r yiwang config bench -x '*/tests/*'
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run

.PHONY: fmt
fmt: $(BIN)/activate ## Format and autofix
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

.PHONY: pg
pg: ## Start the local PostgreSQL if it is down (this machine kind)
	@pg_isready -q -h 127.0.0.1 -p 5432 || (command -v pg_ctlcluster >/dev/null && \
		pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start && sleep 2) || true

.PHONY: browser
browser: ## Debian's chromium and a CJK font for the browser tests (apt-get, when missing)
	@test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk)

.PHONY: screenshots
screenshots: install browser ## Screenshots of key pages (1280 and 390 px) into docs/screenshots/
	$(PY) scripts/screenshots.py

.PHONY: test-sqlite
test-sqlite: install browser ## The suite on SQLite
	$(BIN)/pytest $(PYTEST_ARGS)

.PHONY: test-pg
test-pg: install browser pg ## The suite on PostgreSQL (skipped with a notice when none is reachable)
	@if pg_isready -q -h 127.0.0.1 -p 5432; then \
		DATABASE_URL=$(PG_URL) $(BIN)/pytest $(PYTEST_ARGS); \
	else echo "PostgreSQL not reachable on 127.0.0.1:5432: PostgreSQL run skipped"; fi

.PHONY: test
test: install lint test-sqlite test-pg ## Lint, migration check, suite on SQLite and on PostgreSQL

.PHONY: crash
crash: $(BIN)/activate ## Crash test: kill -9 gunicorn and PostgreSQL mid-load (own cluster); docs/crash-consistency.md
	$(PY) tests/crash/run_crash.py

.PHONY: bench
bench: install pg ## Run the benchmarks in bench/ and write docs/performance.md
	$(PY) bench/run.py

.PHONY: clean
clean: ## Remove the virtualenv, node_modules and local data
	rm -rf $(VENV) node_modules var staticfiles
