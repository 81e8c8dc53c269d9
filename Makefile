# Two entry points for a fresh clone (Linux, Python 3.11): `make demo` runs the main job, `make test` the tests.
# Each creates .venv when it is missing.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
# A local mirror of the published data files, used instead of the network when present (CI sets it too).
FACELAB_MIRROR ?= $(if $(wildcard ../shared/data/SHA256SUMS),$(abspath ../shared/data),)
export FACELAB_MIRROR

.PHONY: demo test test-slow env export clean
env: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q torch==2.14.1 torchvision==0.29.1
	$(BIN)/python -m pip install -q -e ".[dev]"
	# MTCNN weights ship in this wheel; it pins an old torch, so no deps (see pyproject.toml)
	$(BIN)/python -m pip install -q --no-deps facenet-pytorch==2.6.0
	touch $@

demo: $(VENV)/.installed
	$(BIN)/facelab-lfw

test: $(VENV)/.installed
	$(BIN)/nbdev-test --timing

test-slow: $(VENV)/.installed
	$(BIN)/nbdev-test --timing --flags slow

export: $(VENV)/.installed
	$(BIN)/nbdev-export && $(BIN)/nbdev-clean && $(BIN)/python tools/readme.py
