# Two commands set everything up on a fresh machine:
#   make review   - install into .venv and open the review UI on seeds/
#   make test     - install into .venv and run the whole test suite
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install review scan test bench clean

$(STAMP): pyproject.toml setup.py dedupe/kernels/_speedups.c
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# The seeds: drafts in seeds/, published copy in seeds/archive/ (see seeds/README.md).
SEED_ARGS := seeds/ --exclude README.md --exclude 'archive/*' --against seeds/archive

review: $(STAMP)
	$(VENV)/bin/dedupe review $(SEED_ARGS)

scan: $(STAMP)
	$(VENV)/bin/dedupe scan $(SEED_ARGS)

test: $(STAMP)
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) bench/bench_scan.py

clean:
	rm -rf $(VENV) .pytest_cache
