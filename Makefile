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

# Every benchmark prints its figures and its goal (bench/BUILD says what each measures).
BENCHMARKS := apply_to_traffic api_latency config_db_vs_sqlite cold_start ingress_scale

bench: setup
	$(BAZEL) build -c opt $(addprefix //bench:,$(BENCHMARKS))
	@for b in $(BENCHMARKS); do \
	  echo "=== bench/$$b ==="; \
	  $(BAZEL) run -c opt --ui_event_filters=-info --noshow_progress //bench:$$b || exit 1; \
	done
