# Two commands do all set-up on a fresh machine (Python 3.11 and the package registries):
#   make run   - install, migrate, seed the demo, start web + Celery worker + beat
#   make test  - install what tests need and run the whole suite
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test lint bench check-deploy messages clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e ".[test]"
	touch $@ $(VENV)/.installed

# Links in e-mails and the demo's printed case link point at this server.
SITE_URL ?= http://127.0.0.1:$(PORT)

run: $(VENV)/.installed
	$(BIN)/python manage.py migrate --noinput
	SITE_URL=$(SITE_URL) $(BIN)/python manage.py seed_demo
	PORT=$(PORT) SITE_URL=$(SITE_URL) bin/run

test: $(VENV)/.installed-test
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python manage.py makemigrations --check --dry-run

check-deploy: $(VENV)/.installed
	DJANGO_SETTINGS_MODULE=config.settings.production SECRET_KEY=ci-$$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n') \
	ALLOWED_HOSTS=portal.example ADMIN_URL=staff-area/ \
	$(BIN)/python manage.py check --deploy --fail-level WARNING

# Needs PostgreSQL and Redis (DATABASE_URL names the bench's databases, default portal_bench;
# REDIS_URL) and Debian's wrk; see README "Benchmarks". Not part of `make test`.
bench: $(VENV)/.installed-test
	@command -v wrk >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get install -y -q wrk || { apt-get update -q && apt-get install -y -q wrk; }; \
	  else echo "make bench needs wrk (Debian package): sudo apt-get install -y wrk" >&2; exit 1; fi; }
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python -m pytest bench -q -p no:cacheprovider $(PYTEST_ARGS)

messages: $(VENV)/.installed
	$(BIN)/python manage.py makemessages -l es -l ar --ignore=.venv --ignore=var --ignore=static/vendor --ignore=tests
	$(BIN)/python manage.py compilemessages --ignore=.venv

clean:
	rm -rf var/ $(VENV)
