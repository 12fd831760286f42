# The two commands: `make run` (the embedded demo) and `make test` (the suite).
# Nothing needs to be installed but Python 3.11; everything goes into .venv.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# `make run PORT=8001` (or PORT in the environment) if 8000 is taken;
# BIND_HOST=0.0.0.0 to try it from a phone on the LAN (add the machine's
# address to ALLOWED_HOSTS).
PORT ?= 8000
BIND_HOST ?= 127.0.0.1
# Extra arguments for pytest: `make test PYTEST_ARGS="-k worker -x"`.
PYTEST_ARGS ?=

.PHONY: run test install lint format bench clean

# One install for everything (runtime + dev extra): `make run` on a fresh clone
# is followed by `make test` often enough that a second install would cost more
# than the few test packages do.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# Embedded mode (docs/decisions/0001-embedded-mode.md): SQLite under var/,
# the file-system Celery broker, gunicorn + one worker with beat. Uses
# DATABASE_URL / CELERY_BROKER_URL instead when they are set.
run: $(STAMP)
	@mkdir -p "$${NAVIGATOR_VAR_DIR:-var}"
	@echo "==> Migrating the database"
	@$(PY) manage.py migrate --noinput --verbosity 1
	@echo "==> Loading demo data (seed_demo; safe to repeat)"
	@$(PY) manage.py seed_demo
	@echo "==> Collecting static files (served by whitenoise)"
	@$(PY) manage.py collectstatic --noinput --verbosity 0
	@$(PY) manage.py run_embedded --host $(BIND_HOST) --port $(PORT)

# The whole suite. PostgreSQL + Redis when DATABASE_URL / CELERY_BROKER_URL
# point at them (as .ci/run does); SQLite otherwise, where the tests that need
# a real service skip and say so.
test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache --no-logo

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Benchmarks: every tests/perf/bench_*.py, run as a script from the repo root,
# one after the other: bench_seed.py first (it re-creates and seeds the
# database the others measure), then the rest by name; results go in
# docs/performance.md. Numbers are only
# comparable on PostgreSQL, so DATABASE_URL=postgres://... is required. Use a
# scratch database (a benchmark may drop and re-create it); each script's
# docstring says what else it needs (e.g. CELERY_BROKER_URL=redis://...):
#   make bench DATABASE_URL=postgres://postgres@127.0.0.1:5432/nav_bench \
#              CELERY_BROKER_URL=redis://127.0.0.1:6379/8
bench: $(STAMP)
	@case "$$DATABASE_URL" in \
	  postgres://*|postgresql://*|pgsql://*) ;; \
	  *) echo "make bench: set DATABASE_URL=postgres://... (benchmarks run on PostgreSQL only)" >&2; exit 2 ;; \
	esac
	@set -e; found=0; \
	for script in tests/perf/bench_seed.py $$(ls tests/perf/bench_*.py | grep -v '/bench_seed\.py$$'); do \
	  [ -f "$$script" ] || continue; found=1; \
	  echo "==> $$script"; \
	  PYTHONPATH="$(CURDIR)$${PYTHONPATH:+:$$PYTHONPATH}" $(PY) "$$script"; \
	done; \
	[ "$$found" = 1 ] || { echo "make bench: no tests/perf/bench_*.py found" >&2; exit 2; }

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
