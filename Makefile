# csim: `make demo` runs the seed's simple-fanout end to end; `make test` runs every test.
# Both first install what is missing (tools/setup.sh, Debian packages by name).
BAZEL ?= bazel
CSIM := bazel-bin/cli/csim
DEMO_FILE ?= testdata/simple-fanout.yaml

.PHONY: all setup build demo test bench clean-state

all: build

setup:
	@tools/setup.sh

build: setup
	$(BAZEL) build //cli:csim

demo: build
	$(CSIM) demo $(DEMO_FILE)

test: setup
	tools/run_tests.sh

bench: setup
	$(BAZEL) run -c opt //bench:apply_to_traffic
