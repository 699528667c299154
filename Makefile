# Antenna: `make demo` runs the portal, `make test` runs the tests. Both need only Python 3.11+.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml requirements.lock | cksum | cut -d' ' -f1)

.PHONY: demo test install lint check messages clean e2e screenshots

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[test]'
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/antenna demo

test: $(STAMP)
	$(BIN)/pytest -q $(PYTEST_ARGS)

e2e: $(STAMP)
	$(BIN)/pytest -q e2e

screenshots: $(STAMP)
	$(BIN)/antenna screenshots

lint: $(STAMP)
	$(BIN)/ruff check src
	$(BIN)/mypy

check: $(STAMP)
	$(BIN)/antenna check
	$(BIN)/antenna makemigrations --check --dry-run

messages: $(STAMP)
	cd src/antenna && ../../$(BIN)/antenna makemessages -l fr -l nl -l de --ignore='tests/*' && ../../$(BIN)/antenna compilemessages

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
