# Two commands set everything up on a fresh machine:
#   make review   - install into .venv and open the review UI on seeds/
#   make test     - install into .venv and run the whole test suite
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install deps lint review scan test bench clean

$(STAMP): pyproject.toml setup.py dedupe/kernels/_speedups.c
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip "setuptools>=77"
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# System services the tests start themselves: redis-server (index tests, a 3-node
# cluster), tmux (the review UI driven in a real terminal), Java 17 (the Spark engine).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
deps:
	@missing=""; \
	command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server"; \
	command -v redis-cli >/dev/null 2>&1 || missing="$$missing redis-tools"; \
	command -v tmux >/dev/null 2>&1 || missing="$$missing tmux"; \
	command -v java >/dev/null 2>&1 || missing="$$missing openjdk-17-jre-headless"; \
	if [ -n "$$missing" ]; then \
	    echo "installing:$$missing"; \
	    $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

lint: $(STAMP)
	$(VENV)/bin/ruff check dedupe tests bench scripts
	$(VENV)/bin/mypy dedupe

# The seeds: drafts in seeds/, published copy in seeds/archive/ (see seeds/README.md).
SEED_ARGS := seeds/ --exclude README.md --exclude 'archive/*' --against seeds/archive

review: $(STAMP)
	$(VENV)/bin/dedupe review $(SEED_ARGS)

scan: $(STAMP)
	$(VENV)/bin/dedupe scan $(SEED_ARGS)

# The suite runs on every core (pytest-xdist), a test module per worker at a time (--dist loadfile), so a
# module's Redis server, cluster or Spark session is started once.
test: $(STAMP) deps lint
	$(PY) -m pytest -q -n auto --dist loadfile

bench: $(STAMP)
	$(PY) bench/bench_scan.py

clean:
	rm -rf $(VENV) .pytest_cache
