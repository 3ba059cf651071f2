# The two set-up commands of the README. Both build .venv from nothing but python3 and are idempotent:
# the environment is rebuilt only when pyproject.toml changes.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.stamp-$(shell cksum pyproject.toml | cut -d' ' -f1)
EXTRAS ?= dev,bayes,playground,bench
# torch==2.13.0 is a benchmark peer and test reference only; pip finds the CPU wheel on disk when present.
PIP_FIND := $(if $(wildcard /opt/wheels),--find-links /opt/wheels,)

.PHONY: env demo test lint bench browser clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q $(PIP_FIND) -e '.[$(EXTRAS)]'
	rm -f $(VENV)/.stamp-* && touch $@

env: $(STAMP)

demo: env
	$(BIN)/reglab demo

lint: env
	$(BIN)/ruff check src tests benchmarks

# Browser tests drive Debian's chromium through Playwright (which cannot download its own browser
# here). As root with apt available, install it once; otherwise the browser tests skip and say why.
browser:
	@test -x /usr/bin/chromium || { if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium not installed and not root: browser tests will be skipped"; fi; }

test: env lint browser
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

bench: env
	for b in benchmarks/*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache .ruff_cache
