# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SOURCES := $(shell find batchreader models -type f -not -path '*/__pycache__/*') setup.cfg pyproject.toml constraints.txt

.PHONY: install demo test browser lint fixtures benchmark clean

$(STAMP): $(SOURCES)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# a regular (not editable) install: the tests run against the package as users get it
	$(BIN)/python -m pip install --quiet -c constraints.txt '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/batchreader scan samples --out results.csv
	$(BIN)/batchreader score results.csv samples/ground_truth.csv

# The review report's browser test drives Debian's Chromium (never a downloaded browser).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    for try in 1 2; do \
	      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null && break; \
	      sleep 5; done; \
	  else echo "chromium is not installed: the browser test will be skipped (apt-get install chromium)"; fi; }

test: install browser
	$(BIN)/pytest -q

lint: install
	$(BIN)/ruff check batchreader tests benchmarks
	$(BIN)/ruff format --check batchreader tests benchmarks

fixtures: install
	$(BIN)/python benchmarks/make_fixtures.py --mnist ../shared/data/mnist.npz

benchmark: install
	$(BIN)/python benchmarks/accuracy.py --mnist ../shared/data/mnist.npz --pages 12

clean:
	rm -rf $(VENV) build dist *.egg-info results.csv
