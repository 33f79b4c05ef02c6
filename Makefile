# One-command set-up and tests. `make test` creates .venv if absent, installs
# the pinned stack and this package, applies the MMAction2 packaging fix
# (vtd_mm/compat.py) and runs the test suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.vtd_mm-installed
PYTEST_ARGS ?=

.PHONY: install test lint bench demo clean-venv

$(STAMP): requirements.txt setup.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -r requirements.txt
	$(PY) -m pip install --no-build-isolation --no-deps -e .
	$(PY) -c 'from vtd_mm.compat import install_drn_placeholder as f; print("mmaction DRN placeholder:", f() or "present")'
	touch $(STAMP)

install: $(STAMP)

test: install
	$(PY) -m pytest tests $(PYTEST_ARGS)

lint: install
	$(PY) -m ruff check .

bench: install
	$(PY) tools/analysis/benchmark_clip.py --arch ViT-B-16 --num-classes 400

demo: install
	$(PY) tools/demo/run_demo.py

clean-venv:
	rm -rf $(VENV)
