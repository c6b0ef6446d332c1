# The two commands: `make run` (the bot, or a local console without a token) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements.lock
PIP_TOOLS := pip-tools==7.6.2

.PHONY: run test install lock migrate lint typecheck bench clean

# Exactly the locked versions (checked against their hashes), then the bot itself without
# resolving anything again.
$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

# Re-resolve pyproject.toml's ranges to the newest versions and pin them with hashes.
lock:
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet $(PIP_TOOLS)
	.lock-venv/bin/pip-compile --quiet --upgrade --generate-hashes --allow-unsafe \
	  --extra dev --strip-extras --no-emit-index-url --no-emit-find-links \
	  -o $(LOCK) pyproject.toml
	rm -rf .lock-venv

install: $(STAMP)

migrate: $(STAMP)
	$(BIN)/trainbot db upgrade

run: migrate
	$(BIN)/trainbot run

test: $(STAMP)
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: $(STAMP)
	for f in bench/*.py; do \
	  case $$f in */_*.py|*/screenshot.py) continue;; esac; \
	  echo "== $$f"; $(BIN)/python $$f || exit 1; \
	done

clean:
	rm -rf $(VENV) .lock-venv .pytest_cache .mypy_cache .ruff_cache
