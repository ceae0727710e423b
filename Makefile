# Voronka: `make run` serves the demo with a supervised worker (it runs the scheduler too); `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_SIZE ?= small
export VORONKA_DATA_DIR ?= $(CURDIR)/var

.PHONY: install run serve worker demo test test-fast lint bench clean locale

$(BIN)/voronka: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(BIN)/voronka

install: $(BIN)/voronka

$(VORONKA_DATA_DIR)/.demo-built: | $(BIN)/voronka
	$(BIN)/voronka migrate
	$(BIN)/voronka demo --size $(DEMO_SIZE) --seed 42
	@touch $@

run: install $(VORONKA_DATA_DIR)/.demo-built
	$(BIN)/voronka migrate
	@echo "Voronka: http://$(HOST):$(PORT)  (users: admin, head, lead1, manager1 ... password: demo). Ctrl-C stops."
	@trap 'kill 0' INT TERM EXIT; \
	  $(BIN)/voronka worker --supervise & \
	  $(BIN)/voronka serve --host $(HOST) --port $(PORT) & \
	  wait

demo: install
	$(BIN)/voronka migrate
	$(BIN)/voronka demo --size $(DEMO_SIZE) --seed 42 --reset --yes

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check src tests bench

bench: install
	$(BIN)/python -m bench $(BENCH_ARGS)

locale: install
	cd src/voronka && ../../$(BIN)/django-admin compilemessages --settings voronka.settings

clean:
	rm -rf $(VENV) var test-artifacts
