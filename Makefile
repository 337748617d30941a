# Two commands do all the set-up on a fresh machine:
#   make run   - create/reuse .venv, install the runtime, start the app
#   make serve-class - the same, served to the local network for a class (no error details shown)
#   make test  - create/reuse .venv, install runtime + dev tools, Debian's chromium and the npm test
#                tools (axe-core, from package-lock.json), lint, test
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501
# The address learners type, printed at start-up: this computer's first network address. Setting
# it also keeps Streamlit from asking a server on the internet for the public IP address, which
# it does for a 0.0.0.0 server without one.
CLASS_HOST ?= $(or $(shell hostname -I 2>/dev/null | awk '{print $$1}'),$(shell hostname))

.PHONY: run serve-class test lint bench chromium clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.runtime: requirements.txt | $(PY)
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install -q -r requirements.txt -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

# The browser tests drive Debian's chromium (Playwright's own browser download cannot work offline).
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; \
	fi

# The accessibility tests inject axe-core into the browser from node_modules/ (never from a CDN).
# `npm ci` installs exactly package-lock.json; `make run` needs none of it.
node_modules/.installed: package.json package-lock.json
	@if ! command -v npm >/dev/null; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq npm; \
	fi
	npm ci --no-audit --no-fund --ignore-scripts
	touch $@

# app_pages/serve.py: `streamlit run app.py` with the libraries loaded and the lessons' programs
# compiled in the background at start, so the first learner does not wait for them.
run: $(VENV)/.runtime
	$(PY) -m app_pages.serve --server.port $(PORT)

# Every network interface; learners see a plain message when a page fails, the traceback is logged here.
serve-class: $(VENV)/.runtime
	$(PY) -m app_pages.serve --server.port $(PORT) --server.address 0.0.0.0 \
		--browser.serverAddress $(CLASS_HOST) --client.showErrorDetails none

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .

test: $(VENV)/.dev chromium node_modules/.installed lint
	$(PY) -m pytest

bench: $(VENV)/.dev
	$(PY) -m bench.mf_vs_surprise

clean:
	rm -rf $(VENV) .pytest_cache .jax_cache test-artifacts node_modules
