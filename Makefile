# Two commands do everything on a fresh machine: `make train` and `make test`.
# Each creates the virtual environment .venv when it is missing and installs minidl into it
# (editable) with the extras that command needs; a stamp file remembers what was installed.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip

.PHONY: test test-explore train bench clean

$(PY):
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(VENV)/.stamp-test: setup.cfg pyproject.toml | $(PY)
	$(PIP) install -q -e '.[test]'
	touch $@

$(VENV)/.stamp-train: setup.cfg pyproject.toml | $(PY)
	$(PIP) install -q -e '.[train]'
	touch $@

# The default Hypothesis profile is "ci": derandomized and bounded, so a run is repeatable.
test: $(VENV)/.stamp-test
	HYPOTHESIS_PROFILE=$${HYPOTHESIS_PROFILE:-ci} $(PY) -m pytest -q

# Explore more examples, with fresh randomness each run (run it by hand, never in CI).
test-explore: $(VENV)/.stamp-test
	HYPOTHESIS_PROFILE=explore $(PY) -m pytest -q

train: $(VENV)/.stamp-train
	@if [ -f examples/train_mnist.py ]; then \
		$(PY) examples/train_mnist.py $(ARGS); \
	else \
		echo "examples/train_mnist.py: not built yet (see the open issue for the training example)"; \
	fi

bench: $(VENV)/.stamp-test
	@for f in benchmarks/*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build *.egg-info
