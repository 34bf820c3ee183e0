# The two set-up commands of the README: `make lab` (the workbench on the example data)
# and `make test` (the whole test suite). Each creates the environment first when needed;
# `make test` and `make hub` also install JupyterHub's proxy from npm (package-lock.json).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
NPM_STAMP := node_modules/.installed-stamp
PORT ?= 8888

.PHONY: lab test app hub env clean-env

env: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "the workbench needs Python 3.11 or newer; run: make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

# configurable-http-proxy, JupyterHub's proxy (Node.js 18+); without npm the team-server test skips (fails under CI)
$(NPM_STAMP): package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: the team server needs Node.js and npm (Debian: apt-get install nodejs npm)"; fi

lab: $(STAMP)  ## JupyterLab on the example data, opening the coding notebook
	$(BIN)/jupyter lab --port $(PORT) $(ROOT_FLAG) notebooks/01_code_threads.ipynb

test: $(STAMP) $(NPM_STAMP)  ## lint, types, then the whole test suite (SQLite, PostgreSQL, notebooks, browser, the team server)
	$(BIN)/ruff check workbench tests benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest

app: $(STAMP)  ## the Voila coder app for lay coders, on this machine only, behind a token
	$(BIN)/workbench app --port $(PORT)

hub: $(STAMP) $(NPM_STAMP)  ## the team server: make hub SUPERVISOR=name [PROJECT=postgresql://user@host/db]
	@test -n "$(SUPERVISOR)" || { echo "name the supervisor: make hub SUPERVISOR=name"; exit 2; }
	$(BIN)/workbench hub --supervisor $(SUPERVISOR) $(if $(PROJECT),--project $(PROJECT),)

clean-env:
	rm -rf $(VENV)
