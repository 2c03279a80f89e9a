# citybot: `make test` and `make demo` do all set-up on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8080

.PHONY: install test demo bench lint i18n catalogs migration screenshot clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP) catalogs

catalogs: $(STAMP)
	$(BIN)/python -m bot.i18n_tools compile

test: install
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

demo: install
	$(BIN)/citybot demo --port $(PORT)

# Refresh docs/screenshot.png and docs/screenshot-wechat.png (the README's pictures) from the browser tests.
screenshot: install
	CITYBOT_SCREENSHOT=1 $(BIN)/python -m pytest -q tests/browser/test_demo_loop.py
	CITYBOT_SCREENSHOT=1 $(BIN)/python -m pytest -q tests/browser/test_demo_wechat.py

bench: install
	$(BIN)/python -m bench

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy bot channels services models geo scheduler sandbox bench

i18n: install
	$(BIN)/python -m bot.i18n_tools check

# Regenerate the initial migration from the models (allowed until the first release is tagged).
migration: install
	rm -f migrations/versions/0001_initial_schema.py /tmp/citybot-migration.db
	CITYBOT_DATABASE_URL=sqlite+aiosqlite:////tmp/citybot-migration.db $(BIN)/alembic -c migrations/alembic.ini \
		revision --autogenerate -m "initial schema" --rev-id 0001
	rm -f /tmp/citybot-migration.db

clean:
	rm -rf $(VENV) build *.egg-info
