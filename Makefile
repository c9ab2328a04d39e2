# Build, lint and test backupops.veeam. Needs GNU make and python3 (3.11); everything else is
# installed into .venv by `make venv` (make demo: .venv-demo). make test-compat also needs Python
# 3.10 and 3.13 (on PATH or in pyenv: tox.ini). `make help` lists the targets.

PYTHON ?= python3
VENV = .venv
BIN = $(CURDIR)/$(VENV)/bin
VENV_STAMP = $(VENV)/.requirements.stamp
# make demo's own small venv: ansible-core and the runtime and simulator requirements only
DEMO_VENV = .venv-demo
DEMO_BIN = $(CURDIR)/$(DEMO_VENV)/bin
DEMO_STAMP = $(DEMO_VENV)/.requirements.stamp

# build/ is git-ignored. build/collections is a collection root: ansible_collections/backupops/veeam
# there is a symlink to this checkout, so ansible, ansible-playbook and ansible-test find the
# collection without a copy.
COLLECTIONS = $(CURDIR)/build/collections
COLLECTION_LINK = $(COLLECTIONS)/ansible_collections/backupops/veeam

# Python the sanity tests run on (controller and modules alike).
SANITY_PYTHON ?= 3.11
SANITY_ARGS ?=
PYTEST_ARGS ?=
DEMO_ARGS ?=

# `make simulator` (by hand, in the foreground)
SIM_EM_PORT ?= 9398
SIM_VSPC_PORT ?= 1280
SIM_VBR_PORT ?= 9419
SIM_STATE_DIR ?= build/simulator
SIM_ARGS ?=

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# Run in the collection link: ansible-test decides what it tests from the path it is run in.
# os.getcwd() resolves the symlink to the checkout, so name the content root explicitly too.
# (That is also why sanity runs with --local: --venv delegates to a child ansible-test whose
# content root is os.getcwd(), the checkout, which has no ansible_collections parent. With
# --requirements, --local still installs each sanity test's requirements into a venv of its own
# under ~/.ansible/test/venv, so nothing is added to $(VENV).)
IN_COLLECTION = cd $(COLLECTION_LINK) && ANSIBLE_TEST_CONTENT_ROOT=$(COLLECTION_LINK)
TEST_ENV = PATH="$(BIN):$$PATH" ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS)

# $(call pytest,DIR,EXTRA ENV): pytest on DIR; a missing or empty DIR (pytest's exit code 5,
# "no tests collected") passes with a note, every other failure fails.
define pytest
	@if [ ! -d $(1) ]; then echo "$(1): absent, no tests to run"; exit 0; fi; \
	rc=0; $(TEST_ENV) $(2) $(BIN)/python -m pytest $(1) $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "$(1): no tests collected yet"; exit 0; fi; \
	exit $$rc
endef

.PHONY: java help venv install collection-link sanity units lint changelog-lint integration test \
	demo simulator build clean distclean bench bench-agent bench-action bench-machines bench-inventory bench-sessions bench-events docs docs-check test-compat

help:
	@echo "make venv         create $(VENV) with requirements.txt + requirements-dev.txt"
	@echo "make install      link the checkout into build/collections (alias: collection-link)"
	@echo "make test         sanity + units + lint + integration + test-compat"
	@echo "make sanity       ansible-test sanity on Python $(SANITY_PYTHON) (SANITY_ARGS=--test pylint ...)"
	@echo "make units        pytest tests/unit"
	@echo "make lint         ansible-lint + antsibull-changelog lint"
	@echo "make integration  pytest tests/integration (starts the simulator)"
	@echo "make test-compat  units + compat integration tests on ansible-core 2.16 and the newest, sanity on the newest (tox.ini)"
	@echo "make demo         start the simulator, run playbooks/demo.yml against it, stop it (own small venv $(DEMO_VENV))"
	@echo "make simulator    run the simulator in the foreground (EM :$(SIM_EM_PORT), VSPC :$(SIM_VSPC_PORT), VBR :$(SIM_VBR_PORT))"
	@echo "make bench        side by side with uri playbooks and loops, and every job at 5 000 to 50 000 (bench_scale.py), append to bench/RESULTS.md"
	@echo "make bench-agent  time agent job / session listing at --scale 5000, append to bench/RESULTS.md"
	@echo "make bench-action time 20 jobs started and awaited, parallel 4 vs 1, append to bench/RESULTS.md"
	@echo "make bench-sessions time veeam_session_info of the last 24 h with tasks, 500 runs of 20 machines, every API, append to bench/RESULTS.md"
	@echo "make bench-events one poll of the EDA source on 5 000 jobs with ~500 runs ended since the last poll, append to bench/RESULTS.md"
	@echo "make bench-machines fresh_backup on 50 hosts vs ping, one machine lookup vs a bare GET, append to bench/RESULTS.md"
	@echo "make bench-inventory ansible-inventory with the machines plugin at 5 000 machines (--scale 2500), append to bench/RESULTS.md"
	@echo "make docs         regenerate the module and role reference in docs/reference (antsibull-docs)"
	@echo "make build        ansible-galaxy collection build into build/dist"
	@echo "make clean        remove build/, tests/output and caches (distclean: and $(VENV), $(DEMO_VENV), .tox)"

venv: $(VENV_STAMP)

# Re-runs only when a requirements file changed (or the venv is gone).
$(VENV_STAMP): requirements.txt requirements-dev.txt tests/veeamsim/requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -r requirements-dev.txt
	$(MAKE) --no-print-directory java
	touch $@

# ansible-rulebook (requirements-dev.txt, for tests/integration/test_rulebook.py) needs a Java 17+ runtime: Debian's
# default-jre-headless is installed with apt-get only when no java is found.
java:
	@command -v java >/dev/null 2>&1 || test -n "$$JAVA_HOME" || { \
		echo "java: no Java runtime found, installing default-jre-headless (ansible-rulebook needs Java 17+)"; \
		if [ "$$(id -u)" = 0 ]; then apt-get update -q && apt-get install -y -q default-jre-headless; \
		else sudo apt-get update -q && sudo apt-get install -y -q default-jre-headless; fi; }

install collection-link:
	mkdir -p $(dir $(COLLECTION_LINK))
	ln -sfn $(CURDIR) $(COLLECTION_LINK)

sanity: venv install
	$(IN_COLLECTION) $(TEST_ENV) $(BIN)/ansible-test sanity --requirements --local \
		--python $(SANITY_PYTHON) $(SANITY_ARGS)

units: venv install
	$(call pytest,tests/unit,PYTHONPATH=$(COLLECTIONS))

lint: venv install changelog-lint docs-check
	$(IN_COLLECTION) $(TEST_ENV) $(BIN)/ansible-lint

# The reference in docs/reference is generated from the plugins' and roles' own documentation.
DOCS_GENERATE = $(TEST_ENV) $(BIN)/antsibull-docs collection --use-current --squash-hierarchy

docs: venv install
	rm -rf docs/reference && mkdir -p docs/reference
	$(DOCS_GENERATE) --dest-dir docs/reference backupops.veeam

# Fails when the documentation has markup errors, or docs/reference is older than the code (run make docs).
docs-check: venv install
	$(IN_COLLECTION) $(TEST_ENV) $(BIN)/antsibull-docs lint-collection-docs --plugin-docs --skip-rstcheck .
	rm -rf build/docs-check && mkdir -p build/docs-check
	$(DOCS_GENERATE) --dest-dir build/docs-check backupops.veeam
	diff -r docs/reference build/docs-check || { echo "docs/reference is out of date: run make docs" >&2; exit 1; }

changelog-lint: venv
	$(BIN)/antsibull-changelog lint

integration: venv install
	$(call pytest,tests/integration,PYTHONPATH=$(CURDIR)/tests:$(COLLECTIONS))

# The unit tests and the integration tests marked compat on the oldest supported and the newest
# ansible-core, each in a tox virtualenv of its own on its own Python (tox.ini; README.md says more).
test-compat: venv install
	TOX=$(BIN)/tox bash tests/scripts/test-compat.sh

# Each step fails the run; make stops at the first failure (use make -k to see them all).
test: sanity units lint integration test-compat

# The demo needs none of the development tools: its venv has requirements-demo.txt only, so a fresh
# clone shows output in seconds. Re-runs pip only when a requirements file changed.
$(DEMO_STAMP): requirements-demo.txt requirements.txt tests/veeamsim/requirements.txt
	test -x $(DEMO_BIN)/python || $(PYTHON) -m venv $(DEMO_VENV)
	@echo "demo: installing requirements-demo.txt (ansible-core, the runtime and simulator requirements) into $(DEMO_VENV)"
	$(DEMO_BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-demo.txt
	touch $@

demo: $(DEMO_STAMP) install
	PATH="$(DEMO_BIN):$$PATH" DEMO_PYTHON=$(DEMO_BIN)/python COLLECTIONS=$(COLLECTIONS) \
		bash tests/scripts/demo.sh $(DEMO_ARGS)

simulator: venv install
	mkdir -p $(SIM_STATE_DIR)
	PYTHONPATH=$(CURDIR)/tests $(BIN)/python -m veeamsim --ready-file $(SIM_STATE_DIR)/ready.json \
		--em-port $(SIM_EM_PORT) --vspc-port $(SIM_VSPC_PORT) --vbr-port $(SIM_VBR_PORT) --state-dir $(SIM_STATE_DIR) \
		$(SIM_ARGS)

bench: venv install
	$(TEST_ENV) $(BIN)/python bench/bench_compare.py --rounds 5 --write
	$(TEST_ENV) $(BIN)/python bench/bench_scale.py --rounds 3 --write

bench-agent: venv install
	$(TEST_ENV) $(BIN)/python bench/bench_agent_info.py --scale 5000 --rounds 5 --write

bench-action: venv install
	$(TEST_ENV) $(BIN)/python bench/bench_job_action.py --rounds 3 --write

bench-machines: venv install
	$(TEST_ENV) $(BIN)/python bench/bench_machines.py --rounds 5 --write

bench-inventory: venv install
	$(TEST_ENV) $(BIN)/python bench/bench_inventory.py --scale 2500 --rounds 3 --write

bench-sessions: venv install
	$(TEST_ENV) $(BIN)/python bench/bench_session_info.py --rounds 3 --write

bench-events: venv install
	$(TEST_ENV) PYTHONPATH=$(COLLECTIONS) $(BIN)/python bench/bench_events.py --rounds 3 --write

build: venv
	$(BIN)/ansible-galaxy collection build --force --output-path build/dist

clean:
	rm -rf build tests/output .pytest_cache
	find . \( -path ./$(VENV) -o -path ./$(DEMO_VENV) -o -path ./.tox \) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) $(DEMO_VENV) .tox
