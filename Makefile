# A thin wrapper over meson.  `make` builds, `make run` runs the demo,
# `make check` runs the fast suites, `make bench` the benchmarks.

BUILD ?= build
SANBUILD ?= build-sanitize
PYTHON ?= /usr/bin/python3
NINJA ?= ninja

.PHONY: all deps run check check-slow check-sanitize bench clean

all: deps $(BUILD)/build.ninja
	$(NINJA) -C $(BUILD)

deps:
	@sh scripts/install-deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD) -Dwerror=true

run: all
	$(PYTHON) scripts/demo.py $(BUILD)

check: all
	@sh scripts/run-tests.sh $(BUILD) fast

check-slow: all
	@sh scripts/run-tests.sh $(BUILD) slow

check-sanitize: deps
	test -f $(SANBUILD)/build.ninja || \
	    meson setup $(SANBUILD) -Dwerror=true -Db_sanitize=address,undefined \
	        -Db_lundef=false
	$(NINJA) -C $(SANBUILD)
	@ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	    sh scripts/run-tests.sh $(SANBUILD) fast

bench: all
	meson test -C $(BUILD) --benchmark --verbose

clean:
	rm -rf $(BUILD) $(SANBUILD)
