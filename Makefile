# Antenna: `make demo` runs the portal, `make test` runs the tests. Both need only Python 3.11+.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml bench/pyproject.toml requirements.lock | cksum | cut -d' ' -f1)

.PHONY: demo test install lint check messages clean e2e screenshots bench bench-smoke

$(STAMP): pyproject.toml bench/pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@# The benchmark package (bench/) too: `make test` runs its tests (bench/tests).
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[test]' -e ./bench
	@# Compile the message catalogues when GNU gettext is here (the .mo files are committed too).
	@if command -v msgfmt >/dev/null; then cd src/antenna && ../../$(BIN)/antenna compilemessages -v0; fi
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP)
	@# The local connector sandboxes jobs with bubblewrap; without it production refuses them.
	@test -x "$${ANTENNA_BWRAP:-/usr/bin/bwrap}" || echo "note: bubblewrap is missing: local jobs are refused unless ANTENNA_DEBUG=1 (apt-get install bubblewrap); see docs/security.md"

demo: $(STAMP)
	$(BIN)/antenna demo

test: $(STAMP)
	$(BIN)/pytest -q $(PYTEST_ARGS)

BENCH_STAMP := $(VENV)/.installed-bench-$(shell cat pyproject.toml bench/pyproject.toml requirements.lock | cksum | cut -d' ' -f1)

$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -c requirements.lock -e './bench[plots,load,profile]'
	@rm -f $(VENV)/.installed-bench-*
	@touch $(BENCH_STAMP)

# Benchmarks (the antenna-bench package in bench/, figures in docs/benchmarks.md): placement on
# real traces (bench/traces), API under load and scale on PostgreSQL. About 30 minutes on
# 2 cores; `make bench-smoke` is a quick run.
bench: $(BENCH_STAMP)
	bash bench/run_all.sh

bench-smoke: $(BENCH_STAMP)
	bash bench/run_all.sh --smoke

e2e: $(STAMP)
	$(BIN)/pytest -q e2e

screenshots: $(STAMP)
	$(BIN)/antenna screenshots

lint: $(STAMP)
	$(BIN)/ruff check src bench e2e
	$(BIN)/mypy
	$(BIN)/lint-imports

check: $(STAMP)
	$(BIN)/antenna check
	$(BIN)/antenna makemigrations --check --dry-run

messages: $(STAMP)
	cd src/antenna && ../../$(BIN)/antenna makemessages -l fr -l nl -l de --ignore='tests/*' && ../../$(BIN)/antenna compilemessages

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
