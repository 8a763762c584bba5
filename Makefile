# The two commands: `make demo` and `make test`. Everything else is a helper for them.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# The Django 6.1 leg needs Python >= 3.12: the first that really runs (a pyenv shim may not),
# from PATH or from pyenv's versions, newest first.
PY_NEW ?= $(shell for c in python3.13 python3.12 \
	$$(ls -d $$(pyenv root 2>/dev/null)/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV); do \
	"$$c" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 \
	&& { command -v "$$c"; break; }; done)
VENV6 := .venv-django6
N ?= 20000
# Where `make demo` (and demo-s3) serves: `make demo PORT=8222`, `make demo ADDR=0.0.0.0`.
PORT ?= 8000
ADDR ?= 127.0.0.1

.PHONY: demo demo-s3 screenshots test test-django52 test-django61 lint bench clean chromium gettext

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]" "Django>=5.2,<5.3"
	touch $@

# demo_setup, then runserver on ADDR:PORT and the collection worker (db_worker) side by side;
# Ctrl-C stops both.
demo: $(VENV)/.installed
	$(PY) -m demo.run --addr $(ADDR) --port $(PORT)

# The same demo with the collected files in a local S3: SeaweedFS (weed mini, loopback only, data in
# var/seaweed/) and django-storages' S3ManifestStaticStorage (config/settings_s3.py). Ctrl-C stops both.
demo-s3: $(VENV)/.installed
	$(PY) -m demo.run_s3 --addr $(ADDR) --port $(PORT)

# The README's screenshots in docs/: starts the demo on SHOTS_PORT (not PORT, so a running
# `make demo` is left alone), takes them with Debian's Chromium, stops it.
SHOTS_PORT ?= 8231
screenshots: $(VENV)/.installed chromium
	$(PY) -m demo.screenshots --port $(SHOTS_PORT)

# ruff, then mypy on the package and the benches ([tool.mypy]) and --strict on the request-free core.
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/mypy --strict inspector/core

# Browser tests drive Debian's Chromium (Playwright's own browser download does not work here).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "== installing Debian's chromium for the browser tests"; \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

# The translations test runs makemessages, which needs GNU gettext (xgettext, msgfmt).
gettext:
	@command -v xgettext >/dev/null 2>&1 || { \
		echo "== installing GNU gettext for the translations test"; \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq gettext >/dev/null; }

# Two pytest sessions per leg, as their settings modules differ: the app's tests (tests/, on the
# standalone tests.settings) with branch coverage of inspector/ and its floor ([tool.coverage.*]
# in pyproject.toml), then the demo's own tests (demo/tests/, on demo.tests.settings).
APP_TESTS := -m pytest --cov
DEMO_TESTS := -m pytest demo/tests --ds=demo.tests.settings

test-django52: $(VENV)/.installed chromium gettext
	@echo "== leg: Django 5.2 on $$($(PY) --version)"
	$(PY) $(APP_TESTS)
	$(PY) $(DEMO_TESTS)

$(VENV6)/.installed: pyproject.toml
	$(PY_NEW) -m venv $(VENV6)
	$(VENV6)/bin/python -m pip install --quiet --upgrade pip
	$(VENV6)/bin/python -m pip install --quiet -e ".[test]" "Django>=6.1,<6.2"
	touch $@

test-django61: chromium gettext
	@if [ -z "$(PY_NEW)" ] || ! "$(PY_NEW)" -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then \
		echo "== leg: Django 6.1 SKIPPED (no Python >= 3.12 found; set PY_NEW=/path/to/python3.12+)"; \
	else \
		$(MAKE) --no-print-directory $(VENV6)/.installed && \
		echo "== leg: Django 6.1 on $$($(VENV6)/bin/python --version)" && \
		$(VENV6)/bin/python $(APP_TESTS) && \
		$(VENV6)/bin/python $(DEMO_TESTS); \
	fi

test: lint test-django52 test-django61
	@echo "== legs run: Django 5.2 ($$($(PY) --version))$$([ -x $(VENV6)/bin/python ] && echo ", Django 6.1 ($$($(VENV6)/bin/python --version))")"

bench: $(VENV)/.installed
	$(PY) bench/run.py --files $(N)
	$(PY) bench/dashboard.py --files $(N)
	$(PY) bench/manifest.py --files $(N)
	$(PY) bench/panel.py --files $(N)
	$(PY) bench/live.py --files $(N)
	$(PY) bench/collect.py --files $(N)

clean:
	rm -rf $(VENV) $(VENV6) var bench-out .pytest_cache .ruff_cache .hypothesis .coverage
