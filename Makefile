# Gatehouse: `make run` (demo on http://127.0.0.1:8000) and `make test`. Nothing else is needed.
VENV ?= .venv
PY := $(VENV)/bin/python
BENCH ?=

.PHONY: run test lint bench install clean

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	@touch $@

install: $(VENV)/.installed

run: install
	$(PY) config/run.py

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: lint
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest --cov --cov-report=term --cov-fail-under=85

bench: install
	$(PY) -m bench $(BENCH)

clean:
	rm -rf $(VENV) .coverage htmlcov staticfiles
