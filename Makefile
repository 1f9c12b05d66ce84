# Two commands set everything up on a fresh machine:
#   make review   - install what the review UI needs into .venv and open it on seeds/
#   make test     - install the test tools too and run the whole test suite
# Both install the pinned versions of constraints.txt, with the venv's own pip (the one Python ships: what a
# user following the README has), so the suite sees the install users get.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install -q -c constraints.txt
RUNTIME := $(VENV)/.installed-runtime
TESTING := $(VENV)/.installed-test

.PHONY: install install-review deps lint review scan test bench docs constraints clean

$(PY):
	python3 -m venv $(VENV)

# the runtime dependencies and the semantic extra (the review shows restatements by default): no test tools
$(RUNTIME): pyproject.toml setup.py constraints.txt dedupe/kernels/_speedups.c | $(PY)
	$(PIP) -e '.[semantic]'
	touch $@

# the rest: pytest and its plugins, ruff, mypy, the CI-format validators, pyspark
$(TESTING): $(RUNTIME)
	$(PIP) -e '.[semantic,test]'
	touch $@

install-review: $(RUNTIME)
install: $(TESTING)

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

lint: $(TESTING)
	$(VENV)/bin/ruff check dedupe tests bench scripts
	$(VENV)/bin/mypy --strict dedupe

# The seeds: drafts in seeds/, published copy in seeds/archive/ (see seeds/README.md).
SEED_ARGS := seeds/ --exclude README.md --exclude 'archive/*' --against seeds/archive

review: $(RUNTIME)
	$(VENV)/bin/dedupe review $(SEED_ARGS)

scan: $(RUNTIME)
	$(VENV)/bin/dedupe scan $(SEED_ARGS)

# The suite runs on every core (pytest-xdist), a test module per worker at a time (--dist loadfile), so a
# module's Redis server, cluster or Spark session is started once.
test: $(TESTING) deps lint
	$(PY) -m pytest -q -n auto --dist loadfile

bench: $(TESTING)
	$(PY) bench/bench_scan.py

# regenerate every generated example in README.md and docs/ (command outputs, the review screen, docs/cli.md)
docs: $(TESTING)
	$(PY) scripts/docs_examples.py

# re-pin constraints.txt from the test venv (after changing the dependencies in pyproject.toml)
constraints: $(TESTING)
	{ sed -n '/^#/p' constraints.txt; $(PY) -m pip freeze --exclude-editable | grep -v '^dedupe-newsroom'; } > constraints.txt.new
	mv constraints.txt.new constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache
