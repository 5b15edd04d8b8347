# Two set-up commands on a fresh machine: `make demo` and `make test` (see README).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UNSPIN := $(VENV)/bin/unspin
EXTRAS := kenlm,screen,serve,trace,train,test

.PHONY: install system-deps knowledge demo test test-fast bench train fuzz clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[$(EXTRAS)]"
	touch $@

# As root with apt-get (a fresh machine, a container, CI) `make install` / `make test` first add the Debian
# packages below; elsewhere the tests that need them are skipped with a reason naming `make system-deps`.
SYSTEM_DEPS := $(shell [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && echo system-deps)
DEBIAN_PACKAGES := chromium chromium-driver redis-server mythes-en-us wordnet-base

install: $(SYSTEM_DEPS) $(VENV)/.installed

# Debian packages some features and tests use: browser tests (chromium), Redis-backed LSH (redis-server), the
# spinner's and trainer's other thesauri (mythes-en-us, wordnet-base). Idempotent and silent when all are there;
# a failed apt-get only warns (the tests that need the package then skip and say so).
system-deps:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  missing=""; for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	  if [ -n "$$missing" ]; then \
	    echo "system-deps: apt-get install$$missing"; \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; } \
	      >/dev/null 2>&1 || echo "system-deps: WARNING: apt-get failed; tests that need$$missing will be skipped"; \
	  fi; \
	else echo "system-deps: needs root and apt-get; install $(DEBIAN_PACKAGES) yourself"; fi

knowledge: install
	$(UNSPIN) knowledge build

demo: install knowledge
	@echo "== unspin check (findings: at most ~1 false finding per 1,000 clean words)"
	$(UNSPIN) check examples/spun-news.txt examples/original-news.txt || true
	@echo "== unspin check --review (suspects too: borderline spans for a person to judge)"
	$(UNSPIN) check --review examples/spun-news.txt | grep -v '^    ' || true
	$(UNSPIN) check --review --format html examples/spun-news.txt > demo-report.html || true
	@echo "== unspin restore (findings only)"
	$(UNSPIN) restore examples/spun-news.txt || true
	@echo "HTML report written to demo-report.html"

test: install
	$(PY) -m pytest

# everything but the tests marked slow (browser, cluster, subprocess kill, training)
test-fast: install
	$(PY) -m pytest -m "not slow"

bench: install
	$(UNSPIN) bench --out benchmarks/results/bench.json

train: install
	$(UNSPIN) train --words 50000 --dev-words 20000 --calib-words 60000

# Coverage-guided fuzzing (atheris) of the tokenizer, check, list parsers, spintax and readers, one target at a
# time on one core; FUZZ_SECONDS is the base budget per target (cheap targets get 2x). Refreshes tests/fuzz_corpus/.
FUZZ_SECONDS ?= 60
fuzz: install
	FUZZ_SECONDS=$(FUZZ_SECONDS) $(PY) fuzz/run_fuzz.py

# 100 concurrent clients for 60 s against `unspin serve` on loopback (valid, oversized, malformed requests).
.PHONY: load
load: install
	$(PY) tests/loadgen.py --seconds 60 --clients 100 --json benchmarks/results/load.json

clean:
	rm -rf $(VENV) build dist *.egg-info src/*.egg-info demo-report.html
