# ICARE-TOM: `make demo` runs the whole system on embedded services; `make test` runs the suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: install demo test browser lint format check bench clean-var

# The install builds the ingest's compiled helpers (setup.py, Cython as a build requirement);
# a changed .pyx is rebuilt by the next install.
$(INSTALLED): pyproject.toml setup.py $(wildcard brokers/fink/*.pyx)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,planning]'
	touch $(INSTALLED)

install: $(INSTALLED)

demo: install
	$(BIN)/python manage.py prepare_demo
	EMAIL_URL="$${EMAIL_URL:-smtp://127.0.0.1:$${ICARE_MAIL_PORT:-1025}}" \
		PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho --procfile Procfile.demo start

# The ingest tests run a second time without the compiled helpers (ICARE_PURE_PYTHON=1), so
# the pure-Python fallback cannot rot.
PURE_PYTHON_TESTS := tests/brokers/fink $(wildcard tests/brokers/test_ingest_*.py)

# Two workers (pytest-xdist; pytest-django gives each its own test database, the Kafka and
# browser tests start their servers on free ports per worker). TEST_WORKERS=0: one process.
TEST_WORKERS ?= 2

test: install browser
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)
	ICARE_PURE_PYTHON=1 $(BIN)/python -m pytest -q -n $(TEST_WORKERS) $(PURE_PYTHON_TESTS)

# The browser tests use Debian's chromium. Installed here when missing and we may (root with
# apt-get); otherwise tests/e2e skip and say why.
browser:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
		|| echo "chromium could not be installed: the browser tests will skip"; \
	fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: install
	$(BIN)/python manage.py makemigrations --check --dry-run

bench: install
	$(BIN)/python bench/run_all.py $(BENCH_ARGS)  # BENCH_ARGS=--short for the smaller runs

clean-var:
	rm -rf var
