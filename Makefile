# Two set-up commands on a fresh machine: `make demo` and `make test` (see README).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UNSPIN := $(VENV)/bin/unspin
EXTRAS := kenlm,screen,serve,trace,test

.PHONY: install system-deps knowledge demo test test-fast bench train fuzz clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[$(EXTRAS)]"
	touch $@

install: $(VENV)/.installed

# Debian packages some features and tests use (browser tests, redis-backed LSH, cross-thesaurus benchmarks).
system-deps:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  missing=""; for p in chromium chromium-driver redis-server mythes-en-us wordnet-base; do \
	    dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	  if [ -n "$$missing" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi; \
	else echo "system-deps: not root or no apt-get; browser/redis tests may be skipped"; fi

knowledge: install
	$(UNSPIN) knowledge build

demo: install knowledge
	@echo "== unspin check (default: at most ~1 false finding per 1,000 clean words)"
	$(UNSPIN) check examples/spun-news.txt examples/original-news.txt | grep -v '^    ' || true
	@echo "== unspin check --review (borderline spans too, with evidence)"
	$(UNSPIN) check --review examples/spun-news.txt || true
	$(UNSPIN) check --review --format html examples/spun-news.txt > demo-report.html || true
	@echo "== unspin restore --review"
	$(UNSPIN) restore --review examples/spun-news.txt || true
	@echo "HTML report written to demo-report.html"

test: install
	$(PY) -m pytest

bench: install
	$(UNSPIN) bench --out benchmarks/results/bench.json

train: install
	$(UNSPIN) train

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
