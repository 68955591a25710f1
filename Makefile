# The two commands of the README. Each sets up what it needs on a fresh machine:
# a virtual environment, the local CPU torch wheel first (an unpinned torch pulls CUDA), then the
# project pinned by constraints.txt so pip does not spend minutes backtracking.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DATA   ?= data
export HF_HUB_OFFLINE := 1

.PHONY: run test test-fast test-slow setup browser bench clean

run: $(STAMP)
	$(BIN)/assistant --data-dir $(DATA) ingest corpus/ --prune
	$(BIN)/assistant --data-dir $(DATA) serve --port $${PORT:-8000}

test: $(STAMP) browser
	$(BIN)/python -m pytest -m "not slow" -q
	timeout 1200 $(BIN)/python -m pytest -m slow -q

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

bench: $(STAMP)
	$(BIN)/python bench/query.py --chunks 10000
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/feeds.py
	$(BIN)/python bench/data.py
	$(BIN)/python bench/bills.py

clean:
	rm -rf $(VENV) $(DATA) .pytest_cache
