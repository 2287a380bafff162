# The two commands of the README: `make demo` and `make test`. Everything else serves them.
PYTHON ?= python3
PORT ?= 8000
HOST ?= 127.0.0.1
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python example/manage.py
INSTALLED := $(VENV)/.installed
CONSTRAINTS := requirements/constraints.txt

.PHONY: demo test lint lock clean

# (Re)install only when the dependency list or the pins change.
$(INSTALLED): pyproject.toml $(CONSTRAINTS)
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11 or newer is needed; set PYTHON=python3.x")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c $(CONSTRAINTS) -e ".[dev]"
	@touch $@

demo: $(INSTALLED)
	@mkdir -p var
	$(MANAGE) migrate --noinput -v 0
	$(MANAGE) seed_demo
	@echo ""
	@echo "  Shop API:     http://$(HOST):$(PORT)/api/v1/products/"
	@echo "  Django admin: http://$(HOST):$(PORT)/admin/"
	@echo ""
	$(BIN)/uvicorn ecommerce_project.asgi:application --app-dir example --host $(HOST) --port $(PORT)

test: $(INSTALLED) lint
	$(BIN)/pytest

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Re-pin every dependency to the newest versions allowed by pyproject.toml.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	.lock-venv/bin/python -m pip freeze --exclude-editable > $(CONSTRAINTS)
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
