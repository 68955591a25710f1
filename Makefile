# The two commands of the README. Each sets up what it needs on a fresh machine:
# a virtual environment, the local CPU torch wheel first (an unpinned torch pulls CUDA), then the
# project pinned by constraints.txt so pip does not spend minutes backtracking.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DATA   ?= data
export HF_HUB_OFFLINE := 1

.PHONY: run test test-fast test-slow setup browser postgres bench clean

run: $(STAMP)
	$(BIN)/assistant --data-dir $(DATA) ingest corpus/ --prune
	$(BIN)/assistant --data-dir $(DATA) serve --port $${PORT:-8000}

test: $(STAMP) browser postgres
	$(BIN)/python -m pytest -m "not slow" -q
	timeout 2400 $(BIN)/python -m pytest -m slow -q

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow" -q

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

# Browser tests drive Debian's Chromium (Playwright's own download cannot work offline); the
# accessibility audit injects axe-core from npm, pinned in tests/a11y/package-lock.json (reinstalled
# when the lock file is newer than the installed copy).
browser:
	@test -x /usr/bin/chromium || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }
	@test tests/a11y/node_modules/.package-lock.json -nt tests/a11y/package-lock.json || npm ci --prefix tests/a11y --no-audit --no-fund --silent

# The Postgres contract tests start Debian's server themselves (tests/pg_support.py: initdb in a
# temporary directory, a free loopback port); this only makes sure the package is there.
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq postgresql >/dev/null; }

bench: $(STAMP)
	$(BIN)/python bench/query.py --chunks 10000
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/feeds.py
	$(BIN)/python bench/data.py
	$(BIN)/python bench/bills.py

clean:
	rm -rf $(VENV) $(DATA) .pytest_cache
