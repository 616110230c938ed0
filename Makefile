# Two entry points do all the set-up on a fresh machine: `make demo` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint install

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/kuzbass demo

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/mypy

test: $(STAMP) lint
	bash scripts/test-services
	$(VENV)/bin/pytest -n 2
	# The platform's suite again on PostgreSQL: one member one vote must hold on both databases.
	DATABASE_URL=postgresql://postgres@127.0.0.1:5432/kuzbass $(VENV)/bin/pytest -n 2 tests/platform
