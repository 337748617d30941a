# Two commands do all the set-up on a fresh machine:
#   make run   - create/reuse .venv, install the runtime, start the app
#   make test  - create/reuse .venv, install runtime + dev tools and Debian's chromium, lint, test
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501

.PHONY: run test lint bench chromium clean

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

# app_pages/serve.py: `streamlit run app.py` with the libraries loaded and the lessons' programs
# compiled in the background at start, so the first learner does not wait for them.
run: $(VENV)/.runtime
	$(PY) -m app_pages.serve --server.port $(PORT)

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .

test: $(VENV)/.dev chromium lint
	$(PY) -m pytest

bench: $(VENV)/.dev
	$(PY) -m bench.mf_vs_surprise

clean:
	rm -rf $(VENV) .pytest_cache .jax_cache test-artifacts
