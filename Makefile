PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run setup test lint format bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python requirements.txt requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

# `make run` and `make setup` are for trying synthgov out: DEBUG on (demo users, static files
# served by runserver) unless DEBUG is set. Production leaves DEBUG off (see the README's table).
## run: install, migrate, load demo data, create the admin, start q2 cluster + server
run: export DEBUG ?= 1
run: $(STAMP)
	$(BIN)/python manage.py bootstrap
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	bash scripts/run.sh

## setup: install, migrate, load demo data, create the admin (no servers)
setup: export DEBUG ?= 1
setup: $(STAMP)
	$(BIN)/python manage.py bootstrap

## test: the whole suite; against DATABASE_URL when it is set, else SQLite
test: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP)
	$(BIN)/python -m bench $(if $(N),--n $(N)) $(if $(SCENARIOS),--scenarios $(SCENARIOS))

clean:
	rm -rf $(VENV) var/test-media .pytest_cache
