# Two entry points do all the set-up on a fresh machine: `make demo` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
MPI_STAMP := $(VENV)/.mpi-installed

.PHONY: demo test lint install

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# MPI, PETSc and SLEPc for the engine on several machines (the tests run it on 2 ranks).
$(MPI_STAMP): $(STAMP) scripts/install-mpi
	bash scripts/install-mpi $(VENV)
	touch $(MPI_STAMP)

demo: $(STAMP)
	$(VENV)/bin/kuzbass demo

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/mypy

test: $(STAMP) $(MPI_STAMP) lint
	bash scripts/test-services
	KUZBASS_REQUIRE_MPI=1 $(VENV)/bin/pytest -n 2
	# The platform's suite again on PostgreSQL: one member one vote must hold on both databases.
	DATABASE_URL=postgresql://postgres@127.0.0.1:5432/kuzbass $(VENV)/bin/pytest -n 2 tests/platform
