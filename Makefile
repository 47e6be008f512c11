# Two commands do everything on a fresh machine: `make train` and `make test`.
# Each creates the virtual environment .venv when it is missing and installs minidl into it
# (editable) with the extras that command needs; a stamp file remembers what was installed.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip

.PHONY: test test-explore train train-dist train-lm bench lint lessons explorer-screenshot clean

$(PY):
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip

# The tests also install the optional extras of `make train` (tqdm, matplotlib), so that both
# the progress bar and the curves are exercised (their fallbacks are tested by hiding them),
# and mpi4py + Open MPI, so that the distributed tests run real MPI jobs.
$(VENV)/.stamp-test: setup.cfg pyproject.toml Makefile | $(PY)
	$(PIP) install -q -e '.[test,train,distributed]'
	touch $@

$(VENV)/.stamp-train: setup.cfg pyproject.toml | $(PY)
	$(PIP) install -q -e '.[train]'
	touch $@

# The default Hypothesis profile is "ci": derandomized and bounded, so a run is repeatable.
test: $(VENV)/.stamp-test
	HYPOTHESIS_PROFILE=$${HYPOTHESIS_PROFILE:-ci} $(PY) -m pytest -q

# The linter and import sorter (settings in pyproject.toml), on everything in the repository.
lint: $(VENV)/.stamp-dev
	$(VENV)/bin/ruff check .

$(VENV)/.stamp-dev: setup.cfg pyproject.toml | $(PY)
	$(PIP) install -q -e '.[dev]'
	touch $@

# Explore more examples, with fresh randomness each run (run it by hand, never in CI).
test-explore: $(VENV)/.stamp-test
	HYPOTHESIS_PROFILE=explore $(PY) -m pytest -q

# Train the example classifier (MNIST; e.g. make train ARGS="--dataset fashion-mnist --model mlp").
# Outputs go to runs/<dataset>-<model>/; `make train ARGS="... --resume"` continues a run.
# minidl's BLAS threads follow the machine's load unless told otherwise (MINIDL_NUM_THREADS=1,
# or set_num_threads): README, "Performance", "Threads, and a machine that is busy".
train: $(VENV)/.stamp-train
	$(PY) examples/train_mnist.py $(ARGS)

# Data-parallel training on NP processes, started by MPI (README, "Distributed training"):
# make train-dist NP=2 ARGS="--epochs 3". One BLAS thread per rank; --oversubscribe lets NP
# exceed the cores; MPIEXEC_ARGS="-H host1,host2" spreads the ranks over machines.
NP ?= 2
MPIEXEC_ARGS ?=
train-dist: $(VENV)/.stamp-dist
	$(VENV)/bin/mpiexec -n $(NP) --oversubscribe \
		$$([ "$$(id -u)" = 0 ] && echo --allow-run-as-root) $(MPIEXEC_ARGS) \
		$(PY) examples/train_ddp.py $(ARGS)

# Train the character-level GPT of examples/char_gpt.py on Debian's word list (apt-get install
# wamerican); make train-lm ARGS="--model lstm" trains the LSTM, ARGS="--resume" continues a run.
# Outputs go to runs/char-<model>/.
train-lm: $(VENV)/.stamp-train
	$(PY) examples/char_gpt.py $(ARGS)

$(VENV)/.stamp-dist: setup.cfg pyproject.toml | $(PY)
	$(PIP) install -q -e '.[train,distributed]'
	touch $@

# Run every lesson in full (one at a time, one BLAS thread: each script fixes its threads, so the
# tables reproduce), keep each one's results in examples/results/<lesson>.json, and regenerate the
# README's lesson tables from them (examples/_readme_tables.py). Figures go to runs/lessons/.
# Takes about an hour on a busy 2-core machine; `make lessons LESSONS="schedules"` runs a few.
LESSONS ?= saddle_point quadratic optimizers gradient_descent_variants schedules hparam_search \
	normalization regularization initialization gradients hessian batch_size kfold losses \
	adaptive batchnorm_effects
lessons: $(VENV)/.stamp-train
	@for l in $(LESSONS); do echo "== examples/$$l.py"; \
		$(PY) examples/$$l.py --out runs/lessons --json examples/results/$$l.json || exit 1; done
	$(PY) examples/_readme_tables.py

# The README's picture of the explorer page (a small MLP, stopped in its backward pass), taken
# by headless Chromium (apt-get install chromium): look at it after changing minidl/explorer_page.
explorer-screenshot: $(VENV)/.stamp-test
	$(PY) examples/explore_mlp.py --screenshot docs/explorer-mlp.png

# Benchmarks print medians of interleaved runs (and PyTorch's column when torch is installed:
# pip install torch==2.13.0). All but memory.py take --json FILE to keep results.
BENCHMARKS := overhead training_step busy_machine conv_kernels memory gpu distributed char_lm
bench: $(VENV)/.stamp-bench
	@for b in $(BENCHMARKS); do echo "== benchmarks/$$b.py"; $(PY) benchmarks/$$b.py || exit 1; done

$(VENV)/.stamp-bench: setup.cfg pyproject.toml | $(PY)
	$(PIP) install -q -e '.[test,bench,distributed]'
	touch $@

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build *.egg-info
