# Two entry points for a fresh clone (Linux, Python 3.11): `make demo` runs the main job, `make test` the tests.
# Each creates .venv when it is missing.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
# A local mirror of the published data files, used instead of the network when present (CI sets it too).
FACELAB_MIRROR ?= $(if $(wildcard ../shared/data/SHA256SUMS),$(abspath ../shared/data),)
export FACELAB_MIRROR

.PHONY: demo test test-slow bench env export clean browser notebooks docs
env: $(VENV)/.installed

# Chapter 08 drives the exported page in headless Chromium. Installed from Debian when missing and possible (root,
# apt-get); otherwise the browser tests say why they are skipped.
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	    (apt-get install -y -q chromium chromium-driver >/dev/null || (apt-get update -q >/dev/null && apt-get install -y -q chromium chromium-driver >/dev/null)) \
	    || echo "make browser: could not install chromium and chromium-driver; chapter 08's browser tests will be skipped"; }

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q torch==2.14.1 torchvision==0.29.1
	$(BIN)/python -m pip install -q -e ".[dev,dlib]"
	# MTCNN weights ship in this wheel; it pins an old torch, so no deps (see pyproject.toml)
	$(BIN)/python -m pip install -q --no-deps facenet-pytorch==2.6.0
	touch $@

# With the mirror at hand, the main job also trains on the people of celeba299 and glint24 outside LFW's test folds
# (celeba299 has no public download; see chapter 06).
comma := ,
DEMO_ARGS ?= $(if $(wildcard $(FACELAB_MIRROR)/celeba299_aligned112.tgz),--extra celeba299$(comma)glint24,)

# then its ONNX export beside it (the checkpoint's sha256 inside), which `facelab verify` answers with, without PyTorch
demo: $(VENV)/.installed
	$(BIN)/facelab lfw --resume $(DEMO_ARGS)
	$(BIN)/facelab export-onnx --overwrite

# The loss benchmark of chapter 06 (its recorded table: nbs/results/loss_bench_6min.csv, about 1 h 45 min on 2 cores):
# each loss trains the same backbone for the same wall-clock budget, once per seed,
# one run after another, each also scored on the dense protocol (every pair among the test people's photos).
BENCH_MINUTES ?= 6
BENCH_LOSSES ?= ce,arcface,cosface,subcenter,pml_arcface
BENCH_SEEDS ?= 1,2,3
BENCH_ARGS ?= $(DEMO_ARGS)
bench: $(VENV)/.installed
	$(BIN)/facelab bench --losses $(BENCH_LOSSES) --seeds $(BENCH_SEEDS) --dense --minutes $(BENCH_MINUTES) --out runs/bench --resume $(BENCH_ARGS)

# One process per notebook: a chapter's exported cells re-register its classes in the package's registries (losses,
# embedders, evaluation sets), and one notebook's definitions must not leak into the next one's tests.
TEST_FLAGS ?=
run_tests = @failed=; for nb in nbs/*.ipynb; do $(BIN)/nbdev-test $$nb --timing $(TEST_FLAGS) || failed="$$failed $$nb"; done; \
	  if [ -n "$$failed" ]; then echo "nbdev-test failed on:$$failed"; exit 1; fi; echo "All notebooks passed."
test: $(VENV)/.installed browser
	$(run_tests)

test-slow: TEST_FLAGS = --flags slow
test-slow: $(VENV)/.installed browser
	$(run_tests)

# Every chapter run at full size (IN_TEST unset; `slow` cells skipped, as in `make test`), its outputs stored in the
# notebook so that the figures and tables show on GitHub and in the docs; chapters 07 and 08 use the main job's model.
# NB="0[45]_" runs only the notebooks whose names match.
NB ?= .
notebooks: $(VENV)/.installed runs/lfw/model.pth
	FACELAB_MODEL=$(abspath runs/lfw/model.pth) $(BIN)/python tools/notebooks.py "$(NB)"
	$(BIN)/nbdev-clean

runs/lfw/model.pth: | $(VENV)/.installed
	$(MAKE) demo

# The course as a static site in _docs/ (nbconvert, from the stored outputs; the published site is quarto's: deploy.yaml)
docs: $(VENV)/.installed
	$(BIN)/python tools/docs.py _docs

# the modules from the notebooks, and the verbs' options read from them into facelab/cli_spec.json (chapter 90)
export: $(VENV)/.installed
	$(BIN)/nbdev-export && $(BIN)/nbdev-clean && $(BIN)/python -c "from facelab.cli import write_cli_spec; write_cli_spec()" && $(BIN)/python tools/readme.py
