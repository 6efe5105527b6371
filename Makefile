# Fresh-machine set-up and the two jobs the README names: `make demo` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

.PHONY: setup demo test bench
setup: $(STAMP)

demo: setup
	$(VENV)/bin/drumtabber-data validate tabs alignments
	$(VENV)/bin/drumtabber-data show tabs/example_shuffle.txt --format tab
	$(VENV)/bin/drumtabber-data show tabs/may3beta_tab.txt --format csv | head -n 8
	$(VENV)/bin/drumtabber-data align alignments/may3beta.toml | head -n 8
	$(VENV)/bin/drumtabber-data align alignments/example_odd_meter.toml | tail -n 4

# pytest exits 5 when it collects no tests; that is not a failure of the code.
test: setup
	$(PY) -m pytest -q; rc=$$?; if [ $$rc -eq 5 ]; then exit 0; else exit $$rc; fi

bench: setup
	$(PY) benchmarks/validate_speed.py
