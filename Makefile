# The two set-up commands of the README: `make lab` (the workbench on the example data)
# and `make test` (the whole test suite). Each creates the environment first when needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
PORT ?= 8888

.PHONY: lab test app env clean-env

env: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "the workbench needs Python 3.11 or newer; run: make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

lab: $(STAMP)  ## JupyterLab on the example data, opening the coding notebook
	$(BIN)/jupyter lab --port $(PORT) $(ROOT_FLAG) notebooks/01_code_threads.ipynb

test: $(STAMP)  ## the whole test suite (SQLite, PostgreSQL, notebooks, browser)
	$(BIN)/python -m pytest

app: $(STAMP)  ## the Voila coder app for lay coders
	$(BIN)/voila notebooks/coder_app.ipynb --port $(PORT) --Voila.ip=127.0.0.1

clean-env:
	rm -rf $(VENV)
