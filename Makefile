# Two commands on a fresh clone: `make demo` (the quickstart) and `make test`.
# Each creates .venv if missing and installs the core and every plugin under plugins/
# into it (editable), pinned by constraints.txt. `make test-browser` renders the report in
# headless Chromium, a system package no registry ships offline (Debian: apt-get install
# -y chromium): kept out of `make test`, and it fails, never skips, without one.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PLUGIN_DIRS := $(patsubst %/pyproject.toml,%,$(wildcard plugins/*/pyproject.toml))
STAMP := $(VENV)/.installed
# The core's tests, then each plugin's own, each in its own pytest session: a plugin's
# tests must pass standing alone, as they do for a user who installs only that plugin.
TEST_DIRS := tests $(addsuffix /tests,$(PLUGIN_DIRS))

.PHONY: install demo test test-browser clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt $(wildcard plugins/*/pyproject.toml)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=23.2"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test]" $(addprefix -e ,$(PLUGIN_DIRS))
	touch $(STAMP)

demo: install
	$(BIN)/ganforge demo

test: install
	@failed=""; for d in $(TEST_DIRS); do \
	  echo "== $$d"; $(BIN)/python -m pytest -q -p no:cacheprovider $$d || failed="$$failed $$d"; \
	done; \
	if [ -n "$$failed" ]; then echo "failed:$$failed"; exit 1; fi

test-browser: install
	$(BIN)/python -m pytest -q -p no:cacheprovider browser_tests

clean:
	rm -rf $(VENV) build dist *.egg-info plugins/*/*.egg-info
