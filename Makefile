# The two commands of the README: `make run` and `make test`.
VENV := .venv
PY := $(VENV)/bin/python
HOME_DIR ?= ./coop-data
# Demo nodes encrypt their keys with this passphrase; set COOP_PASSPHRASE for a real node.
export COOP_PASSPHRASE ?= demo

.PHONY: run test venv clean bench synapse

$(VENV)/.installed: setup.py
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[test]'
	touch $@

venv: $(VENV)/.installed

run: venv
	@if [ ! -d $(HOME_DIR)/repo.git ]; then \
	  $(VENV)/bin/coop --home $(HOME_DIR) init --name "Harbour Devs" --origin harbour.example/coop --founder amina --demo; \
	fi
	@echo "Coop is at http://127.0.0.1:8000/"
	$(VENV)/bin/coop --home $(HOME_DIR) serve --listen 127.0.0.1:8000

# Synapse (AGPL, test-only) lives in its own cached virtualenv; the chat bridge tests run it.
synapse: venv
	$(PY) tests/api/matrix_harness.py

test: venv synapse
	$(VENV)/bin/pytest -q

bench: venv
	$(PY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
