# Two commands: `make run` and `make test`. Both set everything up from nothing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# `make run PORT=8080 SANDBOX_PORT=8081`: the web app's and the sandboxes' ports. Everything that
# names an address follows them: the sign-in line, the app's idea of where it lives (SITE_URL:
# OAuth redirects, links in e-mails), where "Use sandbox" looks (SANDBOX_URL) and where the
# sandboxes send their webhooks. (Not PORT inside the Procfile: honcho sets its own PORT.)
PORT ?= 8000
SANDBOX_PORT ?= 8001
RUN_ENV := WEB_PORT=$(PORT) SANDBOX_PORT=$(SANDBOX_PORT) \
	SITE_URL=http://127.0.0.1:$(PORT) SANDBOX_URL=http://127.0.0.1:$(SANDBOX_PORT)

.PHONY: run test lint format setup migrate clean mutation bench reliability

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

# First start writes .env with fresh random keys (kept out of git); later starts reuse it.
.env:
	$(BIN)/python -c "import secrets; from cryptography.fernet import Fernet; \
	print('DEBUG=true'); print('SECRET_KEY=' + secrets.token_urlsafe(50)); \
	print('CREDENTIALS_KEYS=' + Fernet.generate_key().decode()); print('SANDBOX_ENABLED=true'); \
	print('SIGNUP_OPEN=true'); print('INTEGRATIONS_ALLOW_PRIVATE_IPS=true')" > .env
	@echo "Wrote .env with new development keys."

migrate: $(STAMP) .env
	$(BIN)/python manage.py migrate --noinput

run: migrate
	$(RUN_ENV) $(BIN)/python manage.py bootstrap_demo
	@echo "Web app: http://127.0.0.1:$(PORT)  ·  admin: http://127.0.0.1:$(PORT)/admin/  ·  sandboxes: http://127.0.0.1:$(SANDBOX_PORT)/health  ·  Ctrl-C stops everything"
	$(RUN_ENV) $(BIN)/honcho start

# Random order (pytest-randomly prints its seed; rerun one with -p randomly --randomly-seed=N)
# and line coverage of the app code, failing under the floor set in pyproject.toml. The
# reliability suite needs PostgreSQL and Redis: `make reliability` (and CI) run it.
test: $(STAMP)
	$(BIN)/pytest --cov -m "not reliability"

# The reliability suite (tests/reliability: killed workers, fault storms, races, webhook
# storms, a database that goes away) on the local PostgreSQL and Redis, with real workers.
# It creates and drops its own test database; QUICK=1 leaves out the tests marked slow.
RELIABILITY_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/contactbridge_reliability
RELIABILITY_REDIS_URL ?= redis://127.0.0.1:6379
reliability: $(STAMP)
	DATABASE_URL=$(RELIABILITY_DATABASE_URL) CELERY_BROKER_URL=$(RELIABILITY_REDIS_URL)/11 \
	CACHE_URL=$(RELIABILITY_REDIS_URL)/12 \
	$(BIN)/pytest tests/reliability --create-db $(if $(QUICK),-m "not slow")

# Every benchmark (bench/run.py): each figure beside its target, bench/results/*.json, under
# 15 minutes on two cores. One script: make bench BENCH=sync; the issue's full sizes: BENCH_ARGS=--full
bench: $(STAMP)
	$(BIN)/python bench/run.py $(BENCH) $(BENCH_ARGS)

# Mutation testing of the security-critical code (see docs/mutation-testing.md): CPU heavy,
# about 15 minutes on two cores; not part of CI. One area: make mutation AREAS=ratelimit
mutation: $(STAMP)
	$(BIN)/python bench/mutation.py $(AREAS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache mutants .coverage
