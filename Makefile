# docpipe — the two commands that matter: `make demo` and `make test`.
# Every target installs the Debian packages it needs first (idempotent).
JOBS ?= $(shell nproc)
BUILD ?= build
ASAN_BUILD ?= build-asan
CTEST_ARGS ?= --output-on-failure

.PHONY: deps build build-tests build-asan test unit-test demo bench clean

deps:
	@scripts/install-deps.sh build

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS)

# What `make test` runs in the Release build: the binary and the end-to-end
# tests (the unit tests run in the sanitizer build).
build-tests: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS) --target docpipe e2e_tests

# Unit tests with AddressSanitizer + UndefinedBehaviorSanitizer. -O0 without
# debug info: ASan at -O1 compiles 2-3 times slower, the tests run about as fast.
build-asan: deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS="-O0 -g0" -DDOCPIPE_SANITIZE=ON -DDOCPIPE_UNIT_TESTS_ONLY=ON
	cmake --build $(ASAN_BUILD) -j$(JOBS) --target unit_tests

# Every test once: unit tests under ASan+UBSan, everything else (end-to-end,
# deployment checks) against the Release build. `make unit-test` runs the unit
# tests in the Release build too.
test:
	@scripts/install-deps.sh test
	$(MAKE) build-tests build-asan
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest $(CTEST_ARGS) -L unit -j2
	# unit_tests is not built here, so gtest discovery stands in unit_tests_NOT_BUILT for it.
	cd $(BUILD) && ctest $(CTEST_ARGS) -LE unit -E '^unit_tests_NOT_BUILT$$' -j2

unit-test: build
	cd $(BUILD) && ctest $(CTEST_ARGS) -L unit -j2

demo:
	@scripts/install-deps.sh demo
	$(MAKE) build
	scripts/demo.sh $(BUILD)/docpipe

bench:
	@scripts/install-deps.sh bench
	$(MAKE) build
	@for b in bench/*/run.sh; do echo "== $$b"; $$b $(BUILD) || exit 1; done

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
