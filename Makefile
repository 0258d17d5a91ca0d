# The two commands of the README: `make run` and `make test`.
VENV := .venv
PY := $(VENV)/bin/python
HOME_DIR ?= ./coop-data
# Demo nodes encrypt their keys with this passphrase; set COOP_PASSPHRASE for a real node.
export COOP_PASSPHRASE ?= demo

.PHONY: run test venv clean bench synapse

# Running needs the runtime packages only; the test extras come with `make test`.
$(VENV)/.installed-run: setup.py
	test -x $(PY) || python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed-run
	$(VENV)/bin/pip install -q -e '.[test]'
	touch $@

venv: $(VENV)/.installed-run

run: venv
	@if [ ! -d $(HOME_DIR)/repo.git ]; then \
	  $(VENV)/bin/coop --home $(HOME_DIR) init --name "Harbour Devs" --origin harbour.example/coop --founder amina --demo; \
	fi
	@echo "The demo's keys open with the passphrase '$(COOP_PASSPHRASE)': export COOP_PASSPHRASE=$(COOP_PASSPHRASE) in the terminal you use."
	@echo "Try, once it serves: $(VENV)/bin/coop --home $(HOME_DIR) --as chen proposal vote p-hosting-2027 agree"
	$(VENV)/bin/coop --home $(HOME_DIR) serve --listen 127.0.0.1:8000

# Synapse (AGPL, test-only) lives in its own cached virtualenv; the chat bridge tests run it.
synapse: $(VENV)/.installed-test
	$(PY) tests/api/matrix_harness.py

# The linter and the type checker go first: a finding fails the target before any test runs.
test: $(VENV)/.installed-test synapse
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest -q

bench: venv
	$(PY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .mypy_cache .ruff_cache
