# SPDX-License-Identifier: GPL-2.0
# Makefile: bpf/%.bpf.c -> build/%.bpf.o -> build/%.skel.h -> tools
#
# make            build everything into build/
# make run        install deps, build, load the default profile, show stats
# make check      install deps, build, run every test (root)
# make install    PREFIX=/usr/local DESTDIR=
# make help       the other targets

MODULES := proc oomkill seccomp tcpqueue udp tcp dns syscalls mem fileio http bashline cgroup nat tls sql
READERS := bpfpin-stat bpfpin-events bpfpin-ls bpfpin-top
PIN_OBJS := log paths registry obj percpu cgroup out columns stats events flush lock tool syscalls dns filter pcapng
LOADER_OBJS := bpfpin-load registry probe settings root tree stage lifecycle targets
UNIT_TESTS := test_out test_cgroup test_percpu test_paths test_dns test_stats test_lock test_syscalls test_filter test_content test_targets test_pcapng
STRESS_TESTS := flush-stress
TEST_HELPERS := memhog seccomp-deny tcp-fill udp-fill tcp-peer dns-peer set-comm sys-burst touch-pages file-rw http-peer tcp-hold

SHELL := /bin/bash
VERSION := $(shell cat VERSION)
BUILD ?= build
PREFIX ?= /usr/local
DESTDIR ?=
SBINDIR ?= $(PREFIX)/sbin
BINDIR ?= $(PREFIX)/bin
SYSCONFDIR ?= /etc
MANDIR ?= $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions

CC ?= cc
CLANG ?= clang
LLVM_STRIP ?= llvm-strip
BPFTOOL ?= bpftool
EXTRA_CFLAGS ?=
ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/' \
	-e 's/ppc64le/powerpc/' -e 's/s390x/s390/' -e 's/riscv64/riscv/')

CFLAGS ?= -O2 -g
CFLAGS += -Wall -Wextra -Wvla -Wno-missing-field-initializers -std=gnu11 -I$(BUILD) -Ibpf -Ipin \
	-DBPFPIN_VERSION='"$(VERSION)"' $(if $(WERROR),-Werror) $(EXTRA_CFLAGS)
BPF_CFLAGS := -g -O2 -Wall -target bpf -D__TARGET_ARCH_$(ARCH) -Ibpf -I$(BUILD)
LDLIBS := -lbpf -lelf -lz
# SANITIZE=1 (with BUILD=build/san): AddressSanitizer and UBSan, failing hard
ifeq ($(SANITIZE),1)
CFLAGS += -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
endif

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.SECONDARY:
.PHONY: all run check check-vm check-sanitize lint unit bench fuzz install uninstall clean help deps vmlinux

PIN_LIB := $(BUILD)/libpin.a
TOOLS := $(BUILD)/bpfpin-load $(addprefix $(BUILD)/,$(READERS))
SKELS := $(patsubst %,$(BUILD)/%.skel.h,$(MODULES))
UNITS := $(patsubst %,$(BUILD)/tests/%,$(UNIT_TESTS))
STRESS := $(patsubst %,$(BUILD)/tests/%,$(STRESS_TESTS))
HELPERS := $(patsubst %,$(BUILD)/tests/%,$(TEST_HELPERS))
# man pages live beside their tool, as scdoc
MAN_SRCS := $(wildcard loader/*.scd readers/*.scd)
MANS := $(patsubst %.scd,$(BUILD)/man/%,$(notdir $(MAN_SRCS)))
SYSTEMD_UNITS := bpfpin.service bpfpin-textfile.service bpfpin-textfile.timer

all: $(TOOLS) $(UNITS) $(STRESS) $(HELPERS) $(MANS)

$(BUILD)/man/%: loader/%.scd | $(BUILD)/.deps
	$(call msg,SCDOC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)scdoc < $< > $@
$(BUILD)/man/%: readers/%.scd | $(BUILD)/.deps
	$(call msg,SCDOC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)scdoc < $< > $@


# A missing dependency: install it (as root) or stop naming the package.
$(BUILD)/.deps: scripts/install-deps
	$(Q)mkdir -p $(BUILD)
	$(Q)scripts/install-deps --check 2>/dev/null || scripts/install-deps
	$(Q)touch $@

deps: $(BUILD)/.deps

# The registry of modules, generated from MODULES.
$(BUILD)/modules.h: Makefile | $(BUILD)/.deps
	$(call msg,GEN,$@)
	$(Q){ $(foreach m,$(MODULES),echo '#include "$(m).h"';) \
	  printf '#define BPFPIN_MODULES'; \
	  $(foreach m,$(MODULES),printf ' X($(m))';) echo; } > $@
$(BUILD)/skels.h: Makefile $(SKELS)
	$(call msg,GEN,$@)
	$(Q){ $(foreach m,$(MODULES),echo '#include "$(m).skel.h"';) \
	  printf '#define BPFPIN_SKELS'; \
	  $(foreach m,$(MODULES),printf ' X($(m))';) echo; } > $@

# Syscall names of this architecture, from the compiler's <asm/unistd.h>.
$(BUILD)/syscall_names.h: | $(BUILD)/.deps
	$(call msg,GEN,$@)
	$(Q)echo '#include <asm/unistd.h>' | $(CC) -E -dM -x c - | \
		awk '$$1 == "#define" && $$2 ~ /^__NR_/ && $$3 ~ /^[0-9]+$$/ \
			{ printf "\t[%s] = \"%s\",\n", $$3, substr($$2, 6) }' > $@
$(BUILD)/pin/syscalls.o: $(BUILD)/syscall_names.h

# bpf/vmlinux.h is committed (CO-RE relocates it on any kernel with BTF);
# 'make vmlinux VMLINUX_BTF=/path' regenerates it from another BTF file.
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux
vmlinux:
	$(call msg,GEN,bpf/vmlinux.h)
	$(Q)$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > bpf/vmlinux.h

$(BUILD)/%.bpf.o: bpf/%.bpf.c bpf/%.h bpf/common.bpf.h bpf/net.bpf.h bpf/bpfpin.h bpf/vmlinux.h | $(BUILD)/.deps
	$(call msg,CLANG,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@ 2>/dev/null || true

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf > $@

PIN_HDRS := pin/pin.h pin/records.h bpf/desc.h bpf/bpfpin.h $(BUILD)/modules.h \
	$(wildcard $(foreach m,$(MODULES),bpf/$(m).h scripts/bench/$(m).h))

$(BUILD)/pin/%.o: pin/%.c $(PIN_HDRS) | $(BUILD)/.deps
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(PIN_LIB): $(patsubst %,$(BUILD)/pin/%.o,$(PIN_OBJS))
	$(call msg,AR,$@)
	$(Q)rm -f $@	# a fresh archive: an object gone from PIN_OBJS must not linger
	$(Q)$(AR) rcs $@ $^

$(BUILD)/loader/%.o: loader/%.c loader/loader.h $(PIN_HDRS) $(BUILD)/skels.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Iloader -c $< -o $@

$(BUILD)/bpfpin-load: $(patsubst %,$(BUILD)/loader/%.o,$(LOADER_OBJS)) $(PIN_LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/readers/%.o: readers/%.c $(PIN_HDRS) | $(BUILD)/.deps
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/bpfpin-%: $(BUILD)/readers/bpfpin-%.o $(PIN_LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

# Each module's description table against its BPF object (names, types,
# sizes): a mismatch fails the build, one line per problem.
$(BUILD)/check-tables: scripts/check-tables.c $(PIN_HDRS) $(BUILD)/skels.h
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -DCHECK_BUILD_DIR='"$(BUILD)"' $< $(LDLIBS) -o $@
$(BUILD)/.tables-ok: $(BUILD)/check-tables
	$(call msg,CHECK,tables of $(MODULES))
	$(Q)$< && touch $@
all: $(BUILD)/.tables-ok

$(BUILD)/tests/%: tests/unit/%.c tests/unit/tap.h $(PIN_LIB)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Itests/unit $< $(PIN_LIB) $(LDLIBS) -o $@
# test_targets tests the loader's user-space hook targets: it links them
$(BUILD)/tests/test_targets: tests/unit/test_targets.c tests/unit/tap.h $(BUILD)/loader/targets.o \
		$(BUILD)/loader/settings.o $(PIN_LIB)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Itests/unit -Iloader $< $(BUILD)/loader/targets.o \
		$(BUILD)/loader/settings.o $(PIN_LIB) $(LDLIBS) -o $@

# Test-only BPF programs and the stress tests that load them.
$(BUILD)/tests/%.bpf.o: tests/bpf/%.bpf.c bpf/common.bpf.h bpf/bpfpin.h bpf/vmlinux.h | $(BUILD)/.deps
	$(call msg,CLANG,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@ 2>/dev/null || true

$(BUILD)/tests/flush-stress: tests/stress/flush-stress.c $(BUILD)/tests/flush_stress.skel.h tests/unit/tap.h $(PIN_LIB)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -I$(BUILD)/tests -Itests/unit $< $(PIN_LIB) $(LDLIBS) -o $@

# bpfpin-top's test program: a raw_tp program it runs N times, pinned.
$(BUILD)/tests/top-probe: tests/helpers/top-probe.c $(BUILD)/tests/top_probe.skel.h
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -I$(BUILD)/tests $< $(LDLIBS) -o $@
all: $(BUILD)/tests/top-probe

# Programs the integration tests run to make the kernel act (allocate, deny).
# Fixtures, not product code: never sanitized (a seccomp trap filter would
# also trap the sanitizer runtime's own syscalls).
HELPER_CFLAGS := -O2 -g -Wall -Wextra $(if $(WERROR),-Werror)
$(HELPERS): $(BUILD)/tests/%: tests/helpers/%.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(HELPER_CFLAGS) $< -o $@

$(BUILD)/tests/%.skel.h: $(BUILD)/tests/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf > $@

# libFuzzer on the parsers of untrusted bytes (DNS messages); a crash, a
# hang or a sanitizer report fails it. FUZZ_SECONDS bounds the run.
FUZZ_SECONDS ?= 60
$(BUILD)/fuzz/fuzz_dns: tests/fuzz/fuzz_dns.c pin/dns.c pin/pin.h | $(BUILD)/.deps
	$(call msg,CLANG,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-I$(BUILD) -Ibpf -Ipin tests/fuzz/fuzz_dns.c pin/dns.c -o $@
fuzz: $(BUILD)/fuzz/fuzz_dns
	$(Q)mkdir -p $(BUILD)/fuzz/corpus
	$(Q)$(BUILD)/fuzz/fuzz_dns -max_total_time=$(FUZZ_SECONDS) -timeout=5 \
		-print_final_stats=1 $(BUILD)/fuzz/corpus 2>&1 | grep -E '^(stat::number_of_executed_units|==|SUMMARY|Done)' ; \
		test $${PIPESTATUS[0]} -eq 0

# libFuzzer on ring records: pin_event_decode() and the event writers
# (content events included), every module's types, text, JSON and hex.
$(BUILD)/fuzz/fuzz_events: tests/fuzz/fuzz_events.c $(wildcard pin/*.c pin/*.h bpf/*.h) | $(BUILD)/.deps
	$(call msg,CLANG,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-DBPFPIN_VERSION='"$(VERSION)"' -I$(BUILD) -Ibpf -Ipin tests/fuzz/fuzz_events.c $(patsubst %,pin/%.c,$(PIN_OBJS)) \
		$(LDLIBS) -o $@
fuzz-events: $(BUILD)/fuzz/fuzz_events
	$(Q)mkdir -p $(BUILD)/fuzz/corpus-events
	$(Q)$(BUILD)/fuzz/fuzz_events -max_total_time=$(FUZZ_SECONDS) -timeout=5 -rss_limit_mb=1024 \
		-print_final_stats=1 $(BUILD)/fuzz/corpus-events 2>&1 | grep -E '^(stat::number_of_executed_units|==|SUMMARY|Done)' ; \
		test $${PIPESTATUS[0]} -eq 0
fuzz: fuzz-events
.PHONY: fuzz-events

# Benchmarks: a build of their own (build/bench) with the bench-only module
# and the counting floor, then scripts/bench/run (report in build/bench).
BENCH_TOOLS := bench-work bench-floor bench-fill bench-run bench-stats
BENCH_TOOLS += bench-burst burst.bpf.o bench-delete
BENCH_TOOLS += bench-tls

$(BUILD)/%.bpf.o: scripts/bench/%.bpf.c bpf/common.bpf.h bpf/bpfpin.h bpf/vmlinux.h | $(BUILD)/.deps
	$(call msg,CLANG,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@ 2>/dev/null || true

$(BUILD)/bench-floor: scripts/bench/bench-floor.c $(BUILD)/floor.skel.h $(PIN_LIB)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< $(PIN_LIB) $(LDLIBS) -o $@
# bench-tls is an OpenSSL client and server
$(BUILD)/bench-tls: scripts/bench/bench-tls.c | $(BUILD)/.deps
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -lssl -lcrypto -o $@
$(BUILD)/bench-%: scripts/bench/bench-%.c | $(BUILD)/.deps
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< $(LDLIBS) -o $@

bench:
	$(Q)$(MAKE) --no-print-directory BUILD=$(BUILD)/bench MODULES="$(MODULES) bench" \
		EXTRA_CFLAGS="-Iscripts/bench $(EXTRA_CFLAGS)" \
		all $(addprefix $(BUILD)/bench/,$(BENCH_TOOLS))
	$(Q)BUILD=$(BUILD)/bench scripts/bench/run

run: all
	$(Q)build/bpfpin-load up --profile default
	$(Q)sleep 1
	$(Q)build/bpfpin-stat --top 10
	@echo
	@echo "next: build/bpfpin-ls                       what is loaded, and its health"
	@echo "      build/bpfpin-stat --by container      totals per container"
	@echo "      build/bpfpin-stat --format prom       Prometheus text"
	@echo "      build/bpfpin-events --count 10        the next 10 events"
	@echo "      build/bpfpin-top --top 10             every BPF program on the host: cost, owner"
	@echo "      build/bpfpin-load down                unload everything"

check: all
	$(Q)BUILD=$(BUILD) tests/run

# Static checks: cppcheck (libbpf's macros spelled out in .cppcheck-defs.h)
# and clang-tidy (.clang-tidy). Both must be silent.
LINT_SRCS := $(wildcard pin/*.c loader/*.c readers/*.c)
lint: $(BUILD)/modules.h $(BUILD)/skels.h
	$(call msg,CPPCHECK,$(LINT_SRCS))
	$(Q)cppcheck -q --enable=warning,performance,portability --std=c11 \
		--error-exitcode=1 --inline-suppr --include=.cppcheck-defs.h \
		--suppress=missingIncludeSystem -Ipin -Ibpf -I$(BUILD) -Iloader \
		-D__x86_64__ -DBPFPIN_VERSION='"$(VERSION)"' \
		pin loader readers tests/unit tests/stress
	$(Q)for f in $(LINT_SRCS); do \
		printf '  %-8s %s\n' TIDY $$f; \
		clang-tidy -quiet $$f -- -std=gnu11 -Ipin -Ibpf -I$(BUILD) -Iloader \
			-DBPFPIN_VERSION='"$(VERSION)"' 2>&1 | \
			grep -v 'warnings\? generated' ; \
		test $${PIPESTATUS[0]} -eq 0 || exit 1; \
	done

# The tests on another kernel (KERNEL=, default Debian's newest in /boot)
# in a qemu guest sharing this root read-only: scripts/check-vm. VM_TESTS
# picks BATS files (default: every test, as make check).
check-vm: all
	$(Q)scripts/check-vm $(VM_TESTS)

# The tests again, on a build with AddressSanitizer and UBSan.
check-sanitize:
	$(Q)$(MAKE) --no-print-directory BUILD=$(BUILD)/san SANITIZE=1 all
	$(Q)BUILD=$(BUILD)/san tests/run

unit: $(UNITS)
	$(Q)tests/run --unit

install: all
	$(Q)install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) \
		$(DESTDIR)$(COMPLETIONDIR) $(DESTDIR)$(SYSCONFDIR)/bpfpin
	$(Q)install -m 0755 $(BUILD)/bpfpin-load $(DESTDIR)$(SBINDIR)/
	$(Q)install -m 0755 $(addprefix $(BUILD)/,$(READERS)) $(DESTDIR)$(BINDIR)/
	$(Q)for m in $(MANS); do \
		install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$${m##*.}/; done
	@# units name the installed binaries and config file
	$(Q)for u in $(SYSTEMD_UNITS); do \
		src=systemd/$$u; test -e $$src || src=$$src.in; \
		sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@BINDIR@|$(BINDIR)|g' \
			-e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' $$src > $(DESTDIR)$(UNITDIR)/$$u; \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$$u; done
	$(Q)install -m 0644 systemd/sysusers.d/bpfpin.conf $(DESTDIR)$(SYSUSERSDIR)/
	$(Q)install -m 0644 scripts/bash-completion/bpfpin $(DESTDIR)$(COMPLETIONDIR)/bpfpin-load
	$(Q)for t in $(READERS); do ln -sf bpfpin-load $(DESTDIR)$(COMPLETIONDIR)/$$t; done
	@# an edited config file is kept
	$(Q)test -e $(DESTDIR)$(SYSCONFDIR)/bpfpin/bpfpin.conf || \
		install -m 0644 systemd/bpfpin.conf $(DESTDIR)$(SYSCONFDIR)/bpfpin/

uninstall:
	$(Q)rm -f $(DESTDIR)$(SBINDIR)/bpfpin-load \
		$(addprefix $(DESTDIR)$(BINDIR)/,$(READERS)) \
		$(addprefix $(DESTDIR)$(MANDIR)/man1/,$(addsuffix .1,$(READERS))) \
		$(DESTDIR)$(MANDIR)/man8/bpfpin-load.8 $(DESTDIR)$(MANDIR)/man5/bpfpin.conf.5 \
		$(addprefix $(DESTDIR)$(UNITDIR)/,$(SYSTEMD_UNITS)) \
		$(DESTDIR)$(SYSUSERSDIR)/bpfpin.conf \
		$(addprefix $(DESTDIR)$(COMPLETIONDIR)/,bpfpin-load $(READERS))

clean:
	$(Q)rm -rf $(BUILD)

help:
	@echo "targets:"
	@echo "  all (default)  build the loader, readers and unit tests into $(BUILD)/"
	@echo "  run            load the default profile and show a first snapshot (root)"
	@echo "  check          run the unit and BATS tests (root; installs deps)"
	@echo "  check-sanitize the tests on an ASan+UBSan build (in build/san)"
	@echo "  check-vm       the tests on Debian's kernel in qemu (KERNEL=, VM_TESTS=)"
	@echo "  lint           cppcheck and clang-tidy (.clang-tidy)"
	@echo "  bench          benchmarks; report in build/bench/report.md (root)"
	@echo "  fuzz           libFuzzer on the DNS parser and ring records, FUZZ_SECONDS (60) each"
	@echo "  unit           run the unit tests only"
	@echo "  install        install into DESTDIR/PREFIX ($(PREFIX))"
	@echo "  deps           install missing Debian packages (root)"
	@echo "  vmlinux        regenerate bpf/vmlinux.h from VMLINUX_BTF"
	@echo "  clean          remove $(BUILD)/"
	@echo "variables: V=1 CC CLANG BPFTOOL EXTRA_CFLAGS WERROR=1 PREFIX DESTDIR"
	@echo "           SYSCONFDIR MANDIR UNITDIR SYSUSERSDIR COMPLETIONDIR"
