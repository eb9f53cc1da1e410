# Two commands for a fresh machine:
#   make demo   — the platform with demo data on http://127.0.0.1:5000 (SQLite, tasks in-process, mail to the outbox)
#   make test   — everything the tests need, then the tests (PostgreSQL and Redis on their standard local ports)
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
# The project is installed into the venv (pip install -e .): no PYTHONPATH is needed.
export FLASK_APP := touchpoints
PYTEST_ARGS ?=

.PHONY: demo test venv test-deps lint format bench check-migrations clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[test]'
	touch $@

venv: $(VENV)/.installed

demo: venv
	TOUCHPOINTS_ENV=demo $(VENV)/bin/flask db upgrade
	TOUCHPOINTS_ENV=demo $(VENV)/bin/flask demo load
	@echo "Платформа: http://127.0.0.1:5000  (вход: registrar@murmansk-tourism.example.org / demo)"
	TOUCHPOINTS_ENV=demo TOUCHPOINTS_INPROCESS_BEAT=1 $(VENV)/bin/flask run --host 127.0.0.1 --port 5000

# System packages the tests need: Chromium for the browser journeys, fonts with Cyrillic for PDFs,
# Pango for WeasyPrint, poppler for reading PDFs back. Installed only when missing.
test-deps:
	@command -v chromium >/dev/null && command -v docker-compose >/dev/null && fc-list | grep -qi "liberation serif" && ldconfig -p | grep -q libpango-1.0 \
	  || { if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	       chromium fonts-liberation2 fonts-dejavu-core libpango-1.0-0 libpangoft2-1.0-0 poppler-utils docker-compose >/dev/null; \
	       else echo "Установите chromium fonts-liberation2 libpango-1.0-0 poppler-utils (apt-get)"; exit 1; fi; }

# Byte code is written even where the environment says not to: the tests start many Python
# processes (xdist workers, Celery workers, CLI runs), and each would compile the project again.
test: venv test-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	PYTHONDONTWRITEBYTECODE= $(VENV)/bin/pytest -n 2 $(PYTEST_ARGS)

lint:
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

format:
	$(VENV)/bin/ruff format . && $(VENV)/bin/ruff check --fix .

bench: venv
	$(PY) -m bench

clean:
	rm -rf $(VENV) instance .pytest_cache
