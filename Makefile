# press-monitor: `make demo` runs the main job offline; `make test` runs the test suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# Test worker processes (pytest-xdist): one per logical CPU. Most of a test's time is spent
# waiting on its subprocesses and servers, so workers overlap those waits. worksteal lets an
# idle worker take queued tests from a busy one, so no worker waits alone at the end.
TEST_WORKERS ?= logical
PYTEST := $(PY) -m pytest -n $(TEST_WORKERS) --dist worksteal

.PHONY: install demo test test-fast lint format bench clean test-deps bytecode


$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/press-monitor demo

# Bytecode of the project's own packages, as an installed package has it: an editable install
# leaves none, and where PYTHONDONTWRITEBYTECODE is set every command and every test's
# subprocess would compile the modules it imports again (a tenth of a command's start-up).
# Python checks each file's time and size, so a stale file is compiled afresh, never used.
PACKAGES := crawler nlp storage alerts web monitor
bytecode: $(STAMP)
	$(PY) -m compileall -q $(PACKAGES)

test: $(STAMP) test-deps bytecode
	$(VENV)/bin/ruff check .
	$(PYTEST)

# Real peers for the end-to-end tests, from Debian's packages: chromium and chromedriver
# (browser test), Dovecot (tip line over IMAP), Redis (cluster tests, on 127.0.0.1:6379; CI's
# .ci/run starts it when it is down), LibreOffice Writer without GUI (report PDF),
# poppler-utils (pdftoppm, pdftotext: the PDF's first page) and fonts-liberation (Liberation
# Serif, metric-compatible with Times New Roman; Liberation Sans for the charts' Vietnamese
# text). Installing needs root; without them those tests are skipped locally and fail on CI.
TEST_PEERS := chromium chromium-driver dovecot-imapd redis-server libreoffice-writer-nogui poppler-utils \
	fonts-liberation libcairo2
test-deps:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ] || [ ! -x /usr/sbin/dovecot ] \
	    || [ ! -x /usr/bin/redis-server ] \
	    || ! command -v soffice >/dev/null || ! command -v pdftoppm >/dev/null \
	    || [ ! -d /usr/share/fonts/truetype/liberation ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      $(TEST_PEERS); \
	  else echo "missing test peers: install $(TEST_PEERS)"; fi; \
	fi


test-fast: $(STAMP) bytecode
	$(PYTEST) -m "not slow"

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: $(STAMP) bytecode
	for b in bench/bench_*.py; do $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) data/demo .pytest_cache
	find $(PACKAGES) -name __pycache__ -type d -prune -exec rm -rf {} +
