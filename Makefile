# ktls-helper — the one build entry.
#
#   make                 libktls (static + shared + libktls.pc) and the tools, into build/
#   make demo            kernel TLS you can watch (in a QEMU microVM when this kernel has none)
#   make check           install missing packages, build with gcc and clang, run every test
#                        under prove (the kernel tests in the microVM)
#   make check-asan      the test suite built with AddressSanitizer + UndefinedBehaviorSanitizer
#   make certs           the test PKI in build/certs (certs/gen.sh)
#   make bench           kTLS against userspace, side by side: build/bench/ (see bench/README.md)
#   make bench-smoke     every benchmark program briefly (CI)
#   make attack          each hostile-client attack for 30 s against ktls-server --www: a
#                        fresh client's worst download time and the server's memory growth
#   make fuzz            libFuzzer targets (tests/fuzz/README.md); fuzz-smoke for CI,
#                        fuzz-coverage for what they reach of lib/
#   make valgrind        handshake and interop tests under valgrind memcheck
#   make install         PREFIX=/usr/local DESTDIR= : header, libraries, pkg-config, tools,
#                        man pages
#   make clean
#
# Variables: CC (default gcc; CC=clang works), BUILD (default build), CFLAGS (default -O2 -g),
# PREFIX, DESTDIR. One test program: build/tests/NAME [-l | -t TEST] (see README.md).

ifeq ($(origin CC),default)
CC := gcc
endif
BUILD ?= build
PREFIX ?= /usr/local
CFLAGS ?= -O2 -g
VERSION := 0.1.0
SOVERSION := 0

# libktls needs LIB_PKGS; the tools add libmnl, which only tools/diag (libdiag.a) uses.
LIB_PKGS := libsodium libcrypto
TOOL_PKGS := $(LIB_PKGS) libmnl
# Recursive (=) on purpose: pkg-config runs when a recipe needs these, which is after
# `make check` has installed the packages on a fresh machine.
PKG_CFLAGS = $(shell pkg-config --cflags $(TOOL_PKGS))
LIB_LIBS = $(shell pkg-config --libs $(LIB_PKGS))
MNL_LIBS = $(shell pkg-config --libs libmnl)
PKG_LIBS = $(shell pkg-config --libs $(TOOL_PKGS))

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla
BASE_CFLAGS = -std=c17 -D_GNU_SOURCE $(WARN) $(CFLAGS) -MMD -MP
LIB_INCLUDES := -Ilib/include -Ilib -Ilib/core -Ilib/kernel
LIB_CFLAGS = $(BASE_CFLAGS) -fPIC -fvisibility=hidden $(LIB_INCLUDES) $(PKG_CFLAGS)
TEST_CFLAGS = $(BASE_CFLAGS) -Wno-missing-prototypes $(LIB_INCLUDES) -Itests -Itools $(PKG_CFLAGS)
TOOL_CFLAGS = $(BASE_CFLAGS) -Ilib/include -Itools -I$(BUILD)/gen $(PKG_CFLAGS)

# lib/core: the sans-I/O engine; lib/kernel: kernel TLS; lib/*.c: the driver (DESIGN.md)
LIB_SRCS := $(wildcard lib/core/*.c lib/kernel/*.c lib/*.c)
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
STATIC_LIB := $(BUILD)/lib/libktls.a
SHARED_LIB := $(BUILD)/lib/libktls.so.$(VERSION)
PC_FILE := $(BUILD)/lib/pkgconfig/libktls.pc

# tools/NAME.c is a program. tools/LIB/*.c is a tool library, $(BUILD)/tools/libLIB.a with
# its header tools/LIB/LIB.h (common: the clock, the JSON escaper, epoll interest, --version).
# TOOL_ARCHIVES_<tool> lists what a tool links, users before what they use; TOOL_LDLIBS_<tool>
# the system libraries beyond libktls's.
TOOL_SRCS := $(wildcard tools/*.c)
TOOLS := $(TOOL_SRCS:tools/%.c=$(BUILD)/bin/%)
TOOL_LIB_NAMES := common cli httpd httpget diag
TOOL_LIBS := $(TOOL_LIB_NAMES:%=$(BUILD)/tools/lib%.a)
tool_archives = $(foreach a,$(1),$(BUILD)/tools/lib$(a).a)
TOOL_ARCHIVES_ktls-client := httpget httpd cli common
TOOL_ARCHIVES_ktls-server := httpd cli common
TOOL_ARCHIVES_ktls-check := common
TOOL_ARCHIVES_ktls-diag := diag common
TOOL_LDLIBS_ktls-diag = $(MNL_LIBS)

# tests/NAME.c is a test program unless it is a helper program (harness_sample, www_records, attack) the tests run.
TEST_SUPPORT_SRCS := $(wildcard tests/support/*.c)
TEST_SUPPORT_OBJS := $(TEST_SUPPORT_SRCS:%.c=$(BUILD)/obj/%.o)
TEST_AUX := harness_sample www_records attack
TEST_SRCS := $(filter-out $(TEST_AUX:%=tests/%.c),$(wildcard tests/*.c))
TEST_BINS := $(TEST_SRCS:tests/%.c=$(BUILD)/tests/%)
TEST_AUX_BINS := $(TEST_AUX:%=$(BUILD)/tests/%)
TEST_SCRIPTS := $(wildcard tests/*.sh)
# Tests of the tool libraries link their archives (as the tools do) and what those need.
TEST_ARCHIVES_http_test := httpd
TEST_ARCHIVES_httpd_test := httpd cli common
TEST_ARCHIVES_httpget_test := httpget httpd cli common
TEST_ARCHIVES_cli_test := cli
TEST_ARCHIVES_tools_common_test := common
TEST_ARCHIVES_diag_test := diag common
TEST_LDLIBS_diag_test = $(MNL_LIBS)
TEST_ARCHIVES_kernel/ktls_test := diag common
TEST_LDLIBS_kernel/ktls_test = $(MNL_LIBS)
# tests/kernel/NAME.c need a kernel with kTLS: tests/kernel_test.sh runs them here or in the VM.
KERNEL_TEST_SRCS := $(wildcard tests/kernel/*.c)
KERNEL_TEST_BINS := $(KERNEL_TEST_SRCS:tests/%.c=$(BUILD)/tests/%)

# Scripts that boot the microVM (kernel tests): run by `make check`, not by check-asan.
VM_TEST_SCRIPTS := $(filter tests/kernel_test.sh tests/kernel_newest_test.sh tests/kernel_fallback_test.sh \
	tests/vm_test.sh tests/vm_kernels_test.sh \
	tests/www_kernel_test.sh tests/www_attack_kernel_test.sh tests/www_attack_kernel_newest_test.sh,$(TEST_SCRIPTS))
RUN_SCRIPTS ?= $(TEST_SCRIPTS)
CERTS ?= $(BUILD)/certs

# CI must not pass by skipping: there a skipped test counts as failed (see tests/harness.h).
STRICT := $(if $(filter true 1,$(CI)),1,0)
PROVE_ENV = KTLS_TEST_STRICT=$(STRICT) KTLS_BUILD=$(BUILD) KTLS_CERTS=$(CERTS) \
	HARNESS_SAMPLE=$(BUILD)/tests/harness_sample

.PHONY: all lib tools tests examples check check-build check-clang check-asan run-tests certs deps demo \
	bench bench-smoke attack \
	install uninstall clean
.DELETE_ON_ERROR:
.SECONDARY:
.SECONDEXPANSION:

all: lib tools

lib: $(STATIC_LIB) $(SHARED_LIB) $(PC_FILE)

tools: $(TOOLS)

tests: $(TEST_BINS) $(TEST_AUX_BINS) $(KERNEL_TEST_BINS)

$(BUILD)/obj/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) -c $< -o $@

$(BUILD)/obj/tests/%.o: tests/%.c
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -c $< -o $@

$(STATIC_LIB): $(LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

$(SHARED_LIB): $(LIB_OBJS)
	@mkdir -p $(@D)
	$(CC) -shared -Wl,-soname,libktls.so.$(SOVERSION) -Wl,--no-undefined $(CFLAGS) $(LDFLAGS) \
		$^ -o $@ $(LIB_LIBS)
	ln -sf libktls.so.$(VERSION) $(BUILD)/lib/libktls.so.$(SOVERSION)
	ln -sf libktls.so.$(VERSION) $(BUILD)/lib/libktls.so

# pkg-config file: $(call write_pc,FILE,LIBDIR,INCLUDEDIR). The one in build/ points into the
# build tree (for use without installing); `make install` writes one for PREFIX.
define write_pc
	@mkdir -p $(dir $(1))
	printf '%s\n' 'libdir=$(2)' 'includedir=$(3)' '' \
		'Name: libktls' \
		'Description: TLS 1.3 handshake in userspace, record layer in the Linux kernel (kTLS)' \
		'Version: $(VERSION)' 'Requires.private: $(LIB_PKGS)' \
		'Libs: -L$${libdir} -lktls' 'Cflags: -I$${includedir}' > $(1)
endef

$(PC_FILE): Makefile
	$(call write_pc,$@,$(abspath $(BUILD)/lib),$(abspath lib/include))

$(BUILD)/obj/tools/%.o: tools/%.c
	@mkdir -p $(@D)
	$(CC) $(TOOL_CFLAGS) -c $< -o $@

# ktls-check reads what kTLS needs from kernel-cfg/*.config, compiled in as a table.
$(BUILD)/gen/kernel_cfg.h: kernel-cfg/ktls.config kernel-cfg/ktls-optional.config
	@mkdir -p $(@D)
	{ echo '/* generated from kernel-cfg/ by the Makefile */'; \
	  echo 'static const struct { const char *name; int required; } kernel_cfg[] = {'; \
	  sed -n 's/^\(CONFIG_[A-Z0-9_]*\)=.*/\t{ "\1", 1 },/p' kernel-cfg/ktls.config; \
	  sed -n 's/^\(CONFIG_[A-Z0-9_]*\)=.*/\t{ "\1", 0 },/p' kernel-cfg/ktls-optional.config; \
	  echo '};'; } > $@

$(BUILD)/obj/tools/ktls-check.o: $(BUILD)/gen/kernel_cfg.h

# One archive per tool library: the objects of tools/LIB/*.c.
define tool_lib_rule
$(BUILD)/tools/lib$(1).a: $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard tools/$(1)/*.c))
	@mkdir -p $$(@D)
	rm -f $$@
	ar rcs $$@ $$^
endef
$(foreach l,$(TOOL_LIB_NAMES),$(eval $(call tool_lib_rule,$(l))))

$(BUILD)/bin/%: $(BUILD)/obj/tools/%.o $$(call tool_archives,$$(TOOL_ARCHIVES_$$*)) $(STATIC_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ $(LIB_LIBS) $(TOOL_LDLIBS_$*)

$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(TEST_SUPPORT_OBJS) \
		$$(call tool_archives,$$(TEST_ARCHIVES_$$*)) $(STATIC_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ $(LIB_LIBS) $(TEST_LDLIBS_$*)

deps:
	@bash tools/deps.sh

certs: deps
	@bash certs/gen.sh $(CERTS)

# Kernel TLS you can watch: here when this kernel has kTLS (as root), else in the microVM.
demo: deps
	@$(MAKE) --no-print-directory all
	@bash certs/gen.sh $(CERTS)
	@KTLS_BUILD=$(BUILD) sh tools/demo.sh

# The full check: packages, a gcc build, a clang build (warnings are errors in both), then
# every test program and test script under prove.
check: deps
	@$(MAKE) --no-print-directory check-build
	@$(MAKE) --no-print-directory check-clang
	@bash certs/gen.sh $(CERTS)
	@$(MAKE) --no-print-directory run-tests

check-build: all tests examples

# examples/*.c, each built the way a user builds it: against an installed libktls (a staged
# `make install` under $(BUILD)/stage) through pkg-config. tests/examples_test.sh runs them.
EXAMPLE_SRCS := $(wildcard examples/*.c)
EXAMPLE_BINS := $(EXAMPLE_SRCS:examples/%.c=$(BUILD)/examples/%)
STAGE := $(abspath $(BUILD)/stage)
STAGE_PC = PKG_CONFIG_PATH=$(STAGE)/usr/local/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$(STAGE) \
	pkg-config

examples: $(EXAMPLE_BINS)

$(STAGE)/usr/local/lib/pkgconfig/libktls.pc: $(STATIC_LIB) $(SHARED_LIB) lib/include/ktls.h
	@$(MAKE) --no-print-directory install DESTDIR=$(STAGE) PREFIX=/usr/local >/dev/null

$(BUILD)/examples/%: examples/%.c $(STAGE)/usr/local/lib/pkgconfig/libktls.pc
	@mkdir -p $(@D)
	$(CC) -std=c17 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(LDFLAGS) $< -o $@ \
		$$($(STAGE_PC) --cflags --libs libktls) -Wl,-rpath,$(STAGE)/usr/local/lib

check-clang:
	@$(MAKE) --no-print-directory CC=clang BUILD=$(BUILD)/clang all tests

# The host tests, then the VM scripts VM_JOBS at a time (TCG VMs wait on the emulator more than
# they use the CPUs: two at once keep the kernel part under 10 minutes on a busy 2-CPU machine),
# the longest (www_kernel_test.sh) first. Both always run; either failing fails the target.
VM_JOBS ?= 2
RUN_VM_SCRIPTS = $(filter tests/www_kernel_test.sh,$(RUN_SCRIPTS)) \
	$(filter-out tests/www_kernel_test.sh,$(filter $(VM_TEST_SCRIPTS),$(RUN_SCRIPTS)))
run-tests:
	@rc=0; \
	$(PROVE_ENV) prove --timer $(TEST_BINS) $(filter-out $(VM_TEST_SCRIPTS),$(RUN_SCRIPTS)) || rc=1; \
	$(if $(strip $(RUN_VM_SCRIPTS)),$(PROVE_ENV) prove --timer -j$(VM_JOBS) $(RUN_VM_SCRIPTS) || rc=1;) \
	exit $$rc

# The host test suite, tools included, under ASan + UBSan (the kernel tests in the VM stay in
# `make check`).
check-asan: deps
	@bash certs/gen.sh $(CERTS)
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/asan CERTS=$(CERTS) \
		RUN_SCRIPTS="$(filter-out $(VM_TEST_SCRIPTS),$(TEST_SCRIPTS))" \
		CFLAGS="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
		LDFLAGS="-fsanitize=address,undefined" all tests examples run-tests

install: all
	install -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/bin
	install -m 644 lib/include/ktls.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 $(STATIC_LIB) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(SHARED_LIB) $(DESTDIR)$(PREFIX)/lib/
	ln -sf libktls.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libktls.so.$(SOVERSION)
	ln -sf libktls.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libktls.so
	$(call write_pc,$(DESTDIR)$(PREFIX)/lib/pkgconfig/libktls.pc,$(PREFIX)/lib,$(PREFIX)/include)
	$(if $(TOOLS),install -m 755 $(TOOLS) $(DESTDIR)$(PREFIX)/bin/)
	install -d $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man3 \
		$(DESTDIR)$(PREFIX)/share/man/man8
	install -m 644 man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 man/*.3 $(DESTDIR)$(PREFIX)/share/man/man3/
	install -m 644 man/*.8 $(DESTDIR)$(PREFIX)/share/man/man8/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/include/ktls.h $(DESTDIR)$(PREFIX)/lib/libktls.* \
		$(DESTDIR)$(PREFIX)/lib/pkgconfig/libktls.pc $(TOOLS:$(BUILD)/bin/%=$(DESTDIR)$(PREFIX)/bin/%) \
		$(patsubst man/%,$(DESTDIR)$(PREFIX)/share/man/man1/%,$(wildcard man/*.1)) \
		$(patsubst man/%,$(DESTDIR)$(PREFIX)/share/man/man3/%,$(wildcard man/*.3)) \
		$(patsubst man/%,$(DESTDIR)$(PREFIX)/share/man/man8/%,$(wildcard man/*.8))

clean:
	rm -rf $(BUILD)

# ==== bench (owned by bench/; see bench/README.md) =======================================
# bench/NAME.c is a program, build/bench/ktls-bench-NAME; bench/common.c is linked into each.
# They link libktls (static) and, for the OpenSSL baselines, libssl.
#   make bench        the whole benchmark (kernel parts in the microVM unless this kernel
#                     has kTLS and we are root): CSV, Markdown and SVG under build/bench/
#   make bench-smoke  every program with tiny sizes, about a minute; fails if anything fails
BENCH_SRCS := $(filter-out bench/common.c,$(wildcard bench/*.c))
BENCH_BINS := $(BENCH_SRCS:bench/%.c=$(BUILD)/bench/ktls-bench-%)
BENCH_COMMON_OBJS := $(BUILD)/obj/bench/common.o
BENCH_CFLAGS = $(BASE_CFLAGS) -Ilib/include -Ibench $(PKG_CFLAGS) $(shell pkg-config --cflags libssl)
BENCH_LIBS = $(shell pkg-config --libs libssl) $(PKG_LIBS)

# ktls-bench-aead measures lib/core/aead itself (its private header)
$(BUILD)/obj/bench/aead.o: BENCH_CFLAGS += -Ilib -Ilib/core
$(BUILD)/obj/bench/%.o: bench/%.c
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -c $< -o $@

$(BUILD)/bench/ktls-bench-%: $(BUILD)/obj/bench/%.o $(BENCH_COMMON_OBJS) $(STATIC_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ $(BENCH_LIBS)

bench: deps
	@$(MAKE) --no-print-directory all $(BENCH_BINS)
	@bash certs/gen.sh $(CERTS)
	@KTLS_BUILD=$(BUILD) KTLS_CERTS=$(CERTS) bash bench/run.sh $(BENCH_ARGS)

# Each attack of tests/attack.c for 30 s against ktls-server --www, a fresh client timed
# meanwhile: prints, per attack, its worst download time and the server's memory growth.
attack: deps
	@$(MAKE) --no-print-directory all tests
	@bash certs/gen.sh $(CERTS)
	@ATTACK_SECS=$${ATTACK_SECS:-30} KTLS_BUILD=$(BUILD) KTLS_CERTS=$(CERTS) \
		bash tests/www_attack_test.sh

bench-smoke: deps
	@$(MAKE) --no-print-directory all $(BENCH_BINS)
	@bash certs/gen.sh $(CERTS)
	@KTLS_BUILD=$(BUILD) KTLS_CERTS=$(CERTS) bash bench/run.sh --smoke $(BENCH_ARGS)
# ==== end bench ============================================================================

# ==== fuzz and valgrind (owned by tests/fuzz/; see tests/fuzz/README.md) ==================
# tests/fuzz/NAME.c is a libFuzzer target, build/fuzz/fuzz-NAME, seeded from
# tests/fuzz/corpus/NAME/; tests/fuzz/support/*.c is linked into each. They and a copy of
# lib/ are built with clang, -fsanitize=fuzzer (libclang-rt-14-dev), ASan and UBSan.
#   make fuzz          each target FUZZ_SECONDS (default 60) on a copy of its corpus; fails on
#                      any finding (crash, leak, timeout), which is kept in build/fuzz/findings/
#   make fuzz-smoke    the same for 10 s per target (CI)
#   make fuzz-corpus   re-record the seeds from real handshakes (needs openssl)
#   make fuzz-coverage each target FUZZ_COV_SECONDS (default 60, -seed=1) from its seeds, then
#                      the seeds and what the run added replayed through build/fuzz/cov/cov-NAME
#                      (clang source-based coverage, tests/fuzz/coverage/replay.c as main):
#                      lib/ line and function coverage and the handshake handlers reached
#   make valgrind      handshake_test and interop_test (no sanitizers) under valgrind memcheck
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_BUILD := $(BUILD)/fuzz
FUZZ_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS = -std=c17 -D_GNU_SOURCE $(WARN) -Wno-missing-prototypes -O1 -g $(FUZZ_FLAGS) \
	-fsanitize=fuzzer-no-link -MMD -MP $(LIB_INCLUDES) -Itests/fuzz -Itests -Itools $(PKG_CFLAGS)
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,%,$(filter-out tests/fuzz/gen_corpus.c,$(wildcard tests/fuzz/*.c)))
FUZZ_BINS := $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz-%)
FUZZ_LIB_OBJS := $(LIB_SRCS:%.c=$(FUZZ_BUILD)/obj/%.o)
FUZZ_SUPPORT_SRCS := $(wildcard tests/fuzz/support/*.c) tests/support/engine_pair.c
FUZZ_SUPPORT_OBJS := $(patsubst %.c,$(FUZZ_BUILD)/obj/%.o,$(FUZZ_SUPPORT_SRCS))
FUZZ_COV_SECONDS ?= 60
FUZZ_COV_BUILD := $(FUZZ_BUILD)/cov
FUZZ_COV_CFLAGS = -std=c17 -D_GNU_SOURCE $(WARN) -Wno-missing-prototypes -O0 -g \
	-fprofile-instr-generate -fcoverage-mapping -MMD -MP $(LIB_INCLUDES) -Itests/fuzz -Itests -Itools \
	$(PKG_CFLAGS)
FUZZ_COV_BINS := $(FUZZ_TARGETS:%=$(FUZZ_COV_BUILD)/cov-%)
FUZZ_COV_OBJS := $(patsubst %.c,$(FUZZ_COV_BUILD)/obj/%.o,$(LIB_SRCS) \
	$(FUZZ_SUPPORT_SRCS) tests/fuzz/coverage/replay.c)
# Targets over a tool library link its objects, built the same way.
FUZZ_TOOL_OBJS_http := $(FUZZ_BUILD)/obj/tools/httpd/http.o
FUZZ_TOOL_OBJS_netlink := $(FUZZ_BUILD)/obj/tools/diag/diag.o $(FUZZ_BUILD)/obj/tools/common/json.o
FUZZ_COV_TOOL_OBJS_http := $(FUZZ_TOOL_OBJS_http:$(FUZZ_BUILD)/obj/%=$(FUZZ_COV_BUILD)/obj/%)
FUZZ_COV_TOOL_OBJS_netlink := $(FUZZ_TOOL_OBJS_netlink:$(FUZZ_BUILD)/obj/%=$(FUZZ_COV_BUILD)/obj/%)
VALGRIND_TESTS ?= handshake_test interop_test
VALGRIND := valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite \
	--trace-children=no --child-silent-after-fork=no --track-fds=no

.PHONY: fuzz fuzz-smoke fuzz-build fuzz-corpus fuzz-coverage valgrind

$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_BUILD)/fuzz-%: $(FUZZ_BUILD)/obj/tests/fuzz/%.o $$(FUZZ_TOOL_OBJS_$$*) $(FUZZ_SUPPORT_OBJS) \
		$(FUZZ_LIB_OBJS)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer $^ -o $@ $(PKG_LIBS)

$(FUZZ_COV_BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_COV_CFLAGS) -c $< -o $@

$(FUZZ_COV_BUILD)/cov-%: $(FUZZ_COV_BUILD)/obj/tests/fuzz/%.o $$(FUZZ_COV_TOOL_OBJS_$$*) \
		$(FUZZ_COV_OBJS)
	$(FUZZ_CC) -fprofile-instr-generate $^ -o $@ $(PKG_LIBS)

$(FUZZ_BUILD)/gen_corpus: $(FUZZ_BUILD)/obj/tests/fuzz/gen_corpus.o $(FUZZ_SUPPORT_OBJS) $(FUZZ_LIB_OBJS)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link $^ -o $@ $(PKG_LIBS)

fuzz-build: $(FUZZ_BINS)

fuzz: deps
	@$(MAKE) --no-print-directory fuzz-build
	@bash tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-smoke: deps
	@$(MAKE) --no-print-directory fuzz-build
	@bash tests/fuzz/run.sh $(FUZZ_BUILD) 10 $(FUZZ_TARGETS)

fuzz-coverage: deps
	@$(MAKE) --no-print-directory fuzz-build $(FUZZ_COV_BINS)
	@FUZZ_COV_SECONDS=$(FUZZ_COV_SECONDS) bash tests/fuzz/coverage.sh $(FUZZ_BUILD) $(FUZZ_TARGETS)

fuzz-corpus: deps
	@$(MAKE) --no-print-directory $(FUZZ_BUILD)/gen_corpus
	$(FUZZ_BUILD)/gen_corpus tests/fuzz/corpus

valgrind: deps
	@bash certs/gen.sh $(CERTS)
	@$(MAKE) --no-print-directory $(VALGRIND_TESTS:%=$(BUILD)/tests/%)
	@rc=0; for t in $(VALGRIND_TESTS); do \
		echo "== valgrind $(BUILD)/tests/$$t"; \
		KTLS_TEST_STRICT=$(STRICT) KTLS_BUILD=$(BUILD) KTLS_CERTS=$(CERTS) \
		KTLS_TEST_TIMEOUT_SCALE=20 $(VALGRIND) $(BUILD)/tests/$$t || rc=1; \
	done; exit $$rc

-include $(shell find $(FUZZ_BUILD)/obj $(FUZZ_COV_BUILD)/obj -name '*.d' 2>/dev/null)
# ==== end fuzz and valgrind ==================================================================

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
