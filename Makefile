# Two commands set everything up on a fresh machine:
#   make review   - install into .venv and open the review UI on seeds/
#   make test     - install into .venv and run the whole test suite
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install review scan test bench clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

review: $(STAMP)
	$(VENV)/bin/dedupe review seeds/

scan: $(STAMP)
	$(VENV)/bin/dedupe scan seeds/

test: $(STAMP)
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) bench/bench_scan.py

clean:
	rm -rf $(VENV) .pytest_cache
