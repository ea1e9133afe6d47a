# Two quick-start targets: `make demo` runs the local demo, `make test` runs lint, types and tests.
# Each installs what it needs: uv (pinned, from PyPI) into a private environment under .tools/,
# then the locked project environment into .venv/. Nothing is installed into the system Python
# (Debian and Ubuntu forbid it, PEP 668), so this works on a system, pyenv or Homebrew Python.
PY ?= python3
UV_VERSION := 0.13.9
UV_HOME := .tools/uv-$(UV_VERSION)
UV := $(UV_HOME)/bin/uv
RUN := $(UV) run --locked

.PHONY: demo test lint fmt bench tools contracts live-test

$(UV):
	@echo "installing uv $(UV_VERSION) into $(UV_HOME)/ (private; the system Python is left alone)"
	@rm -rf $(UV_HOME)
	@if $(PY) -m venv $(UV_HOME) >/dev/null 2>&1; then \
		$(UV_HOME)/bin/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"; \
	elif $(PY) -m pip --version >/dev/null 2>&1; then \
		rm -rf $(UV_HOME) && $(PY) -m pip install --quiet --disable-pip-version-check \
			--target $(UV_HOME)/lib "uv==$(UV_VERSION)" && \
		mkdir -p $(UV_HOME)/bin && ln -s ../lib/bin/uv $(UV); \
	else \
		echo "$(PY) has neither venv nor pip: install python3-venv (Debian, Ubuntu)" >&2; exit 1; \
	fi

tools: $(UV)
	@$(UV) sync --locked --quiet --python "$(PY)"

demo: tools
	$(RUN) stripe-qbo-sync demo

lint: tools
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy --strict functions shared local_emulator

test: lint
	$(RUN) pytest

fmt: tools
	$(RUN) ruff format .
	$(RUN) ruff check --fix .

bench: tools
	$(RUN) pytest tests/bench -p no:cacheprovider -s --override-ini addopts=

contracts: tools
	$(RUN) python -m shared.contracts.generate

# Opt-in checks against the real services (README, "The live suite"); every test skips, naming
# what is missing, without credentials.
# QBO: probes and the QBO adapter against a sandbox company (SYNC_LIVE_QBO_*); the fake's answers
# to the same probes are recorded beside them.
# Stripe: STRIPE_TEST_SECRET_KEY (test mode) runs every billing flow through the real API and
# compares what Stripe returns with what the fake serves; the record goes to out/live/stripe/.
live-test: tools
	$(RUN) pytest tests/live -m live -p no:cacheprovider -rs
	SYNC_LIVE_RECORD_FAKE=$${SYNC_LIVE_RECORD_FAKE:-out/live/qbo-fake-answers.json} \
		$(RUN) pytest tests/functional/test_live_probes.py -p no:cacheprovider -q
	@echo "compare: diff out/live/qbo-fake-answers.json out/live/qbo-live-answers.json"
