# The two commands of the README, `make run` and `make test`, and `make test-fast` for a quick loop.
.DEFAULT_GOAL := help
.PHONY: help run test test-fast lint bench messages reader token-client clean

VENV := .venv
INSTALLED := $(VENV)/.installed-runtime
INSTALLED_TEST := $(VENV)/.installed-test
# axe-core, which the browser tests inject to check every page's accessibility (package-lock.json pins it).
AXE := node_modules/axe-core/axe.min.js
# The PostgreSQL server the database tests run against; each run creates and drops its own database.
PORT ?= 8000
TIPLINE_TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/postgres
# Test processes side by side (pytest-xdist); each has its own data directory, databases and ports.
TEST_WORKERS ?= 2

help:
	@echo "make run   set up .venv, initialise ./var with a demo, and serve on http://127.0.0.1:$(PORT) with a worker (PORT=N for another)"
	@echo "make test  set up .venv and run make lint, then the whole test suite (SQLite, then PostgreSQL)"
	@echo "make test-fast  the quick loop: the tests on SQLite without the slow, system and browser ones (about 5 minutes on 2 cores)"
	@echo "make lint  ruff (check and format) and mypy, as pyproject.toml configures them"
	@echo "make bench run every benchmark and print its figures (a few minutes; see benchmarks/RESULTS.md)"

# PYTHON=/path/to/python3.12 overrides the search of scripts/find-python.
$(VENV)/bin/python:
	@python="$${PYTHON:-$$(./scripts/find-python)}" && echo "Creating $(VENV) with $$python" && "$$python" -m venv $(VENV)

# Every package comes from a hash-locked list (requirements/*.txt, made by scripts/lock): pip
# refuses a download whose hash differs. The project itself is built with the locked setuptools.
$(INSTALLED): $(VENV)/bin/python pyproject.toml requirements/runtime.txt
	$(VENV)/bin/pip install --quiet --require-hashes -r requirements/runtime.txt
	$(VENV)/bin/pip install --quiet --no-deps --no-build-isolation -e .
	@touch $@

$(INSTALLED_TEST): $(INSTALLED) requirements/test.txt
	$(VENV)/bin/pip install --quiet --require-hashes -r requirements/test.txt
	@touch $@

# scripts/run-demo writes ./tipline.toml (data directory ./var, unless TIPLINE_DATA_DIR says
# otherwise, and a base URL on PORT, which every `tipline` command run here then reads),
# initialises the demo and serves it with a worker beside it, whose demo alerts arrive as
# files under ./var/demo-mail/; scripts/keep-running starts the worker again whenever it
# exits, and it stops when the server does.
run: $(INSTALLED)
	./scripts/run-demo $(PORT)

$(AXE): package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts
	@touch $@

# scripts/provision-tests starts PostgreSQL and Redis when they are installed but stopped, and
# installs chromium and exiftool as root; otherwise it says in one line what is missing.
# Provisioning (apt, services) runs while pip and npm install: neither waits for the other, and a
# provisioning failure (its one line says what to install) stops the installs too.
test:
	@./scripts/provision-tests & provisioning=$$!; \
		$(MAKE) --no-print-directory $(INSTALLED_TEST) $(AXE) & installing=$$!; \
		wait $$provisioning || { kill $$installing 2>/dev/null; exit 1; }; wait $$installing
	$(MAKE) --no-print-directory lint
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --dist worksteal
	TIPLINE_DATABASE_URL=$(TIPLINE_TEST_POSTGRES_URL) $(VENV)/bin/pytest -n $(TEST_WORKERS) --dist worksteal -m "not sqlite_only"

# The quick loop while working: what needs no server process, browser or long wait. `make test`
# (and so CI) still runs everything.
test-fast: $(INSTALLED_TEST)
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --dist worksteal -m "not slow and not system and not browser"

# mypy's Django plugin imports tipline.settings, which wants a data directory: a throwaway one.
lint: $(INSTALLED_TEST)
	$(VENV)/bin/ruff check
	$(VENV)/bin/ruff format --check
	@data=$$(mktemp -d) && TIPLINE_DATA_DIR=$$data $(VENV)/bin/mypy; status=$$?; rm -rf "$$data"; exit $$status

bench: $(INSTALLED_TEST)
	$(VENV)/bin/python benchmarks/crypto.py
	$(VENV)/bin/python benchmarks/hybrid.py
	for database in sqlite postgresql; do \
		$(VENV)/bin/python benchmarks/inbox.py --database $$database && \
		$(VENV)/bin/python benchmarks/submit.py --database $$database && \
		$(VENV)/bin/python benchmarks/files.py --database $$database && \
		$(VENV)/bin/python benchmarks/tokens.py --database $$database && \
		$(VENV)/bin/python benchmarks/alerts.py --database $$database && \
		$(VENV)/bin/python benchmarks/abuse.py --database $$database || exit 1; \
	done

# For translators: gather new strings into tipline/locale/*/django.po, then compile them.
messages: $(INSTALLED)
	cd tipline && TIPLINE_DATA_DIR=$$(mktemp -d) ../$(VENV)/bin/python -c "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'tipline.settings'); django.setup(); from django.core.management import call_command; from tipline.web.languages import MAKEMESSAGES_ARGUMENTS as a; call_command(*a)"
	for po in tipline/locale/*/LC_MESSAGES/django.po; do msgfmt --check -o $${po%.po}.mo $$po; done

reader: $(INSTALLED)
	$(VENV)/bin/python -m tipline.reader.standalone dist/tipline-reader.pyz

# The members' client needs only the standard library: nothing is installed to build it.
token-client: $(VENV)/bin/python
	$(VENV)/bin/python -m tipline.members.standalone dist/tipline-token.pyz

clean:
	rm -rf $(VENV) test-artifacts node_modules
