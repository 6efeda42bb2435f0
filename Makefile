# Two commands for a fresh machine (see README):
#   make demo   create/update the virtualenv, install everything, run the CPU quickstart
#   make test   create/update the virtualenv, install everything, run the test suite
# VENV=path picks another virtualenv; WHEEL_CACHE lists read-only mmcv wheel caches.
VENV ?= .venv
PYTHON ?= python3
WHEEL_CACHE ?= ../shared/wheels
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.ultrasam-installed
INSTALL_INPUTS := setup.py $(wildcard requirements/*.txt) tools/misc/install_mmcv.sh

.PHONY: install test demo

install: $(STAMP)

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(PY) $(INSTALL_INPUTS)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements/build.txt
	$(PIP) install -q -r requirements/torch.txt
	$(PIP) install -q -r requirements/runtime.txt -r requirements/demo.txt \
		-r requirements/tests.txt
	bash tools/misc/install_mmcv.sh $(PY) $(WHEEL_CACHE)
	$(PIP) install -q --no-build-isolation -e .
	touch $@

test: install
	$(PY) -m pytest tests

demo: install
	$(PY) tools/demo/quickstart.py --work-dir work_dirs/demo
