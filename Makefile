# The two commands of the README: `make demo` and `make test`. Everything else serves them.
PYTHON ?= python3
PORT ?= 8000
HOST ?= 127.0.0.1
DEMO_TRAFFIC ?= 1
DEMO_RATE ?= 0.5
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python example/manage.py
INSTALLED := $(VENV)/.installed
DEMO_INSTALLED := $(VENV)/.installed-demo
CONSTRAINTS := requirements/constraints.txt
# The demo: the app, the example's server, and the drivers DATABASE_URL and REDIS_URL may name.
DEMO_EXTRAS := postgres,redis,demo

.PHONY: demo test lint lock clean screenshots

# (Re)install only when the dependency list or the pins change: $(call install,EXTRAS).
define install
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11 or newer is needed; set PYTHON=python3.x")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c $(CONSTRAINTS) -e ".[$(1)]"
	@touch $@
endef

# The tests' and the linter's tools (browser driver, schemathesis, ...) come with make test.
$(INSTALLED): pyproject.toml $(CONSTRAINTS)
	$(call install,dev)

$(DEMO_INSTALLED): pyproject.toml $(CONSTRAINTS)
	$(call install,$(DEMO_EXTRAS))

demo: $(DEMO_INSTALLED)
	@mkdir -p var
	$(MANAGE) migrate --noinput -v 0
	$(MANAGE) seed_demo
	@echo ""
	@echo "  Dashboard:    http://$(HOST):$(PORT)/debugging/  (log in as admin / admin-demo-pass)"
	@echo "  Storefront:   http://$(HOST):$(PORT)/shop/"
	@echo "  Shop API:     http://$(HOST):$(PORT)/api/v1/products/"
	@echo "  Django admin: http://$(HOST):$(PORT)/admin/  (flowscope's tables are there too)"
	@echo "  Ingest key:   $${FLOWSCOPE_INGEST_KEY:-flowscope-demo-ingest-key}"
	@echo "  Demo traffic: $(if $(filter 0,$(DEMO_TRAFFIC)),off,on (DEMO_TRAFFIC=0 turns it off))"
	@echo ""
	@# Simulated customers and, with REDIS_URL, a flowscope_writer (requests reach the store
	@# through a Redis stream) in the background, both stopped with the server.
	@pids=""; \
	if [ "$(DEMO_TRAFFIC)" != "0" ]; then \
	    $(MANAGE) simulate_traffic --base-url http://$(HOST):$(PORT) --rate $(DEMO_RATE) \
	        --duration 604800 --wait-for-server 60 > var/demo-traffic.log 2>&1 & \
	    pids="$$pids $$!"; \
	fi; \
	if [ -n "$$REDIS_URL" ] && [ "$${FLOWSCOPE_TRANSPORT:-redis}" = "redis" ]; then \
	    echo "  Writer:       flowscope_writer (log in var/demo-writer.log)"; \
	    $(MANAGE) flowscope_writer > var/demo-writer.log 2>&1 & \
	    pids="$$pids $$!"; \
	fi; \
	trap 'kill $$pids 2>/dev/null' EXIT; \
	trap 'exit 0' INT TERM; \
	$(BIN)/uvicorn ecommerce_project.asgi:application --app-dir example --host $(HOST) --port $(PORT)

test: $(INSTALLED) lint
	$(BIN)/pytest

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The README's pictures of the dashboard, taken by its browser tests on generated data.
screenshots: $(INSTALLED)
	FLOWSCOPE_SCREENSHOTS=docs/screenshots $(BIN)/pytest -q tests/flowscope/dashboard/test_dashboard_browser.py \
		tests/flowscope/dashboard/test_journey_browser.py tests/flowscope/dashboard/test_replay_browser.py

# Re-pin every dependency to the newest versions allowed by pyproject.toml.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[dev,bench,mysql]"
	.lock-venv/bin/python -m pip freeze --exclude-editable > $(CONSTRAINTS)
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
