# Two quick-start targets: `make demo` runs the local demo, `make test` runs lint, types and tests.
# Each bootstraps uv (from PyPI) and the locked environment by itself.
PY ?= python3
UV := $(PY) -m uv

.PHONY: demo test lint fmt bench tools

tools:
	@$(PY) -m uv --version >/dev/null 2>&1 || $(PY) -m pip install --quiet "uv==0.13.9"
	@$(UV) sync --locked --quiet

demo: tools
	$(UV) run --locked python -m local_emulator demo

lint: tools
	$(UV) run --locked ruff check .
	$(UV) run --locked ruff format --check .
	$(UV) run --locked mypy --strict functions shared

test: lint
	$(UV) run --locked pytest

fmt: tools
	$(UV) run --locked ruff format .
	$(UV) run --locked ruff check --fix .

bench: tools
	$(UV) run --locked pytest tests/bench -p no:cacheprovider -s --override-ini addopts=
