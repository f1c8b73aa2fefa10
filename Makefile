# Two entry points: `make scan` (install, then scan the bundled example) and
# `make test` (install with test extras, then lint, type-check and run the suite).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install install-test scan scan-fixed test lint typecheck docs new-rule clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet .

install-test: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test,semgrep]"

scan: install
	$(BIN)/prodready scan examples/call-center; test $$? -le 1

scan-fixed: install
	$(BIN)/prodready scan examples/call-center-fixed

lint: install-test
	$(BIN)/ruff check analyzer tests bench
	$(BIN)/ruff format --check analyzer tests bench
	$(BIN)/mypy analyzer

test: install-test lint
	$(BIN)/python -m pytest -q

docs: install-test
	$(BIN)/python -m analyzer.tools.docs README.md

# make new-rule CODE=K8S019 NAME=pod-without-owner-label [KIND=..] [CHECKLIST=ID,..]
#               [SEVERITY=..] [REPOSITORY=1]: the catalog entry and the check's stub, then docs
new-rule: install-test
	$(BIN)/python -m analyzer.tools.new_rule "$(CODE)" "$(NAME)" \
	    $(if $(KIND),--kind "$(KIND)") $(if $(CHECKLIST),--checklist "$(CHECKLIST)") \
	    $(if $(SEVERITY),--severity "$(SEVERITY)") $(if $(REPOSITORY),--repository)
	$(BIN)/python -m analyzer.tools.docs README.md

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
