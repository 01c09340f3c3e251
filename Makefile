# A thin wrapper around CMake. `make demo` and `make test` do all set-up
# themselves on a fresh Debian 12 machine (as root: packages are installed).
BUILD      ?= build
BUILD_ASAN ?= build-asan
BUILD_FUZZ ?= build-fuzz
BUILD_DEB  ?= build-deb
FUZZ_SECONDS ?= 60
JOBS       ?= $(shell nproc)
P2PF       := $(BUILD)/app/p2pfractal

.PHONY: all deps build man build-asan build-fuzz install deb fuzz demo test test-fast test-asan chaos bench bench-all format format-check clean

all: build

deps:
	./scripts/install-deps.sh

$(BUILD)/Makefile: CMakeLists.txt
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD)/Makefile
	cmake --build $(BUILD) -j $(JOBS)

# The man page, from the program's help texts (help2man): build/doc/p2pfractal.1.
man: build
	cmake --build $(BUILD) --target man

$(BUILD_ASAN)/Makefile: CMakeLists.txt
	cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DP2PF_SANITIZE=ON

build-asan: deps $(BUILD_ASAN)/Makefile
	cmake --build $(BUILD_ASAN) -j $(JOBS)

$(BUILD_FUZZ)/Makefile: CMakeLists.txt
	CC=clang cmake -S . -B $(BUILD_FUZZ) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_C_COMPILER=clang -DP2PF_FUZZ=ON

# Install the binary, its palettes and docs into the build's
# CMAKE_INSTALL_PREFIX (default /usr/local; PREFIX=DIR overrides it, and
# DESTDIR stages the tree as usual). The installed binary finds its palettes
# beside itself, under any prefix.
install: build
	cmake --install $(BUILD) $(if $(PREFIX),--prefix $(PREFIX))

$(BUILD_DEB)/Makefile: CMakeLists.txt cmake/install.cmake
	cmake -S . -B $(BUILD_DEB) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr \
	  -DCMAKE_SKIP_INSTALL_ALL_DEPENDENCY=ON

# A Debian package (CPack, cmake/install.cmake) installing under /usr, with
# its library dependencies from dpkg-shlibdeps; prints its file name.
# Builds only what it installs (not the tests: CPack's install step is told
# not to build everything first), in a tree of its own (build-deb/).
deb: deps $(BUILD_DEB)/Makefile
	cmake --build $(BUILD_DEB) -j $(JOBS) --target installable
	cd $(BUILD_DEB) && cpack -G DEB
	@echo "deb: $$(ls -t $(BUILD_DEB)/p2pfractal_*.deb | head -n 1)"

# The libFuzzer targets (clang, ASan + UBSan; tests/fuzz).
build-fuzz: deps $(BUILD_FUZZ)/Makefile
	cmake --build $(BUILD_FUZZ) -j $(JOBS) --target fuzzers

# Each fuzz target for FUZZ_SECONDS (one at a time) on a scratch copy of
# its seed corpus; fails if any crashes. FUZZ_TARGETS picks some.
fuzz: build-fuzz
	./scripts/fuzz $(BUILD_FUZZ) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# The main job: four local peers (one render thread each) render the
# default image together -- in windows when there is a display (they stay
# open until Ctrl-C), headless otherwise (`make demo HEADLESS=1` forces it).
# Every peer writes the whole image; the script checks that all four are
# the same file and copies it to demo.png.
demo: build
	./scripts/demo $(if $(HEADLESS),--headless)

# Every test, in a normal build and under AddressSanitizer + UBSan.
test: test-fast test-asan

test-fast: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-asan: build-asan
	cd $(BUILD_ASAN) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j $(JOBS)

# Chaos runs (not part of `make test`; ~15 min): 50 seeds of
# tests/test_chaos.c one after the other, each 8 peers with the master, the
# root and others SIGKILLed and joiners started mid-job; the last line says
# "chaos: P of 50 passed", and any failure fails the target.
# P2PF_CHAOS_SEED=S replays the 50 from S; a failed run keeps its logs.
chaos: build
	P2PF_CHAOS_RUNS=$${P2PF_CHAOS_RUNS:-50} $(BUILD)/tests/test_chaos

# Kernel benchmark (not a test): every variant beside the naive loop.
bench: build
	$(P2PF) bench kernel

# Every end-to-end figure of docs/BENCHMARKS.md (~12 min on 2 vCPUs, a
# 100k-node simulation included: ~3 GB), as tables, bench.json and the
# plots in docs/. Run it on a quiet machine.
bench-all: build
	bench/run.sh --json bench.json --plot

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

# Every C file in the formatting voice of .clang-format (CI runs this).
format-check: deps
	clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_DEB)
