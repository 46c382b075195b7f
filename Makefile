# docpipe: the two commands that matter are `make demo` and `make test`.
# Every target installs what it needs first (scripts/install-deps.sh, idempotent).
JOBS ?= $(shell nproc)
BUILD ?= build
ASAN_BUILD ?= build-asan
export JOBS BUILD ASAN_BUILD

.PHONY: build demo test unit-test bench clean

# The docpipe binary alone (Release): no tests, no benchmarks.
build:
	@scripts/install-deps.sh build
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DDOCPIPE_TESTS=OFF
	cmake --build $(BUILD) -j$(JOBS) --target docpipe

# The main job on the embedded default: ingest real manuals, then search them.
demo:
	@scripts/install-deps.sh demo
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DDOCPIPE_TESTS=OFF
	cmake --build $(BUILD) -j$(JOBS) --target docpipe
	scripts/demo.sh $(BUILD)/docpipe

# Every test, every stage (scripts/run-tests.sh), from one build under
# ASan+UBSan ($(ASAN_BUILD)/): each source is compiled once.
test:
	scripts/run-tests.sh

# The unit tests against the Release build.
unit-test:
	@scripts/install-deps.sh test
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DDOCPIPE_TESTS=ON
	cmake --build $(BUILD) -j$(JOBS) --target unit_tests
	cd $(BUILD) && ctest --output-on-failure -L unit -j2

bench:
	@scripts/install-deps.sh bench
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DDOCPIPE_TESTS=ON
	cmake --build $(BUILD) -j$(JOBS)
	@for b in bench/*/run.sh; do echo "== $$b"; $$b $(BUILD) || exit 1; done

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
