# oci-harden — build, test, install.
#   make            build bin/oci-harden, bin/oci-hardenctl, bin/oci-harden-hook
#   make check      unit tests (Catch2) + integration tests against real runc/crun/engines
#   make demo       one hardened container and one refused one, end to end
#   make demo-learn record a workload, learn its seccomp profile, enforce it (issue 15)
#   make bench      what oci-harden adds to a container start (not part of check)
#   make install    PREFIX=/usr/local DESTDIR=
#   make lint       clang-tidy and cppcheck on shim/ and hooks/ (tools/lint.sh)
#   make mutate     the mutation check: each rule's refusals, then its rewrites, turned off in turn;
#                   the unit tests must fail for each (tools/mutate.sh; its own build-mutate/)
#   make golden-update  rewrite tests/golden/*-hardened from the captured configs, for review
#   make fuzz       each libFuzzer target in tests/fuzz for FUZZ_SECONDS [FUZZ_SEED] (tools/fuzz.sh)
# Options: SANITIZE=address,undefined  DEBUG=1
#   SANITIZE builds its objects in build-san/ (not build/) and its binaries into bin/, which then
#   hold sanitizer builds until the next plain `make` relinks them (bin/.flavour records which);
#   `make unit SANITIZE=address,undefined` runs only the unit tests under the sanitizers.

# `make` alone builds the three binaries (the flavour stamp below would otherwise be the first goal).
.DEFAULT_GOAL := all

PREFIX   ?= /usr/local
DESTDIR  ?=
BINDIR   := $(PREFIX)/bin
SHAREDIR := $(PREFIX)/share/oci-harden
MANDIR   := $(PREFIX)/share/man
SYSCONFDIR ?= /etc

CXX      ?= g++
VERSION  := $(shell cat VERSION 2>/dev/null || echo 0.1.0)
B        := $(if $(SANITIZE),build-san,build)

WARN     := -Wall -Wextra -Werror
HARDEN   := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
OPT      := $(if $(DEBUG),-O0 -g,$(if $(SANITIZE),-O1 -g,-O2 -g))
# Any sanitizer report is fatal (UBSan would otherwise print and go on).
# GCC 12's -Wmaybe-uninitialized reports false positives inside <bits/std_function.h> (the
# std::function in std::regex) once ASan instruments it; it stays on in the normal build.
CXX_IS_CLANG := $(shell $(CXX) --version 2>/dev/null | grep -q clang && echo 1)
SAN      := $(if $(SANITIZE),-fsanitize=$(SANITIZE) -fno-sanitize-recover=all -fno-omit-frame-pointer \
              $(if $(CXX_IS_CLANG),,-Wno-maybe-uninitialized),)
# spdlog (shim/host/runc_log.cc: the diagnostic logger, writing runc's --log format) and fmt,
# both header-only: nothing to link, static or shared, and nothing to load at start. Their price
# is code size, about 190 KB per binary (bench/results.md, issue 16 item 5).
SPDLOG   := -DSPDLOG_HEADER_ONLY -DSPDLOG_FMT_EXTERNAL -DFMT_HEADER_ONLY
CPPFLAGS += -I. -I$(B)/gen -DOCI_HARDEN_VERSION='"$(VERSION)"' $(SPDLOG)
CXXFLAGS += -std=c++17 $(OPT) $(WARN) $(HARDEN) $(SAN) -MD -MP
LDHARDEN := -pie -Wl,-z,relro,-z,now
# The runtime is on every container's start path, and on a machine where each page fault and
# each mapping is dear (bench/results.md) the dynamic loader cost more than the work itself.
# oci-harden and oci-hardenctl are therefore linked as static PIEs: glibc, libstdc++, yajl,
# libseccomp and libcap-ng (Debian ships archives of all of them) are inside the binary; ASLR,
# full RELRO and the non-executable stack stay. The price: a glibc security update reaches them
# only when they are rebuilt. The link warns that libcap-ng's capng_change_id calls getpwuid and
# initgroups, which need glibc's shared NSS modules at run time; oci-harden uses only libcap-ng's
# name table and never calls it. oci-harden-hook is a static PIE too since it reads mountinfo
# with shim/core/mountinfo instead of libmount (issue 14: it is on every container's start).
# LIBC_SHARED_LIBS (libc shared, everything else static) is left for build/oci-harden-dynlibc.
# Sanitizer builds link everything dynamically (the sanitizer runtimes require it).
ifeq ($(SANITIZE),)
STATIC_LINK      := -static-pie
RUNTIME_LIBS     := -lyajl_s -lseccomp -lcap-ng
LIBC_SHARED_LIBS := -Wl,-Bstatic -lyajl_s -lseccomp -lcap-ng -Wl,-Bdynamic -static-libstdc++ -static-libgcc
else
STATIC_LINK      :=
RUNTIME_LIBS     := -lyajl -lseccomp -lcap-ng
LIBC_SHARED_LIBS := $(RUNTIME_LIBS)
endif
LDFLAGS  += $(LDHARDEN) $(SAN)
MOUNT_LIBS := $(shell pkg-config --libs mount 2>/dev/null || echo -lmount)
MOUNT_CFLAGS := $(shell pkg-config --cflags mount 2>/dev/null)

SECCOMP_DEFAULT ?= profiles/seccomp-default.json
SECCOMP_GROUPS ?= profiles/seccomp-capability-groups.json
EMBEDDED := profiles/policy-default.json $(SECCOMP_DEFAULT) $(SECCOMP_GROUPS) \
            profiles/engine-seccomp-docker.json profiles/engine-seccomp-podman.json

LIB_SRCS  := $(filter-out shim/cli/main.cc shim/cli/hardenctl_main.cc,$(wildcard shim/*/*.cc shim/core/rules/*.cc))
LIB_OBJS  := $(LIB_SRCS:%.cc=$(B)/%.o) $(B)/gen/embedded.o
HOOK_SRCS := $(wildcard hooks/*.cc)
HOOK_LIB_SRCS := $(filter-out hooks/hook_main.cc,$(HOOK_SRCS))
TEST_SRCS := $(wildcard tests/unit/*/*_test.cc) tests/unit/main.cc
TEST_OBJS := $(TEST_SRCS:%.cc=$(B)/%.o)

BINS := bin/oci-harden bin/oci-hardenctl $(if $(HOOK_SRCS),bin/oci-harden-hook,)

# bin/ is shared by plain and sanitizer builds: bin/.flavour changes when the kind of build does,
# so switching SANITIZE (or DEBUG) on or off relinks the binaries from the right objects.
FLAVOUR := $(if $(SANITIZE),sanitize=$(SANITIZE),plain)$(if $(DEBUG), debug,)
STAMP_GOALS := $(if $(MAKECMDGOALS),$(filter-out clean lint fuzz $(B)/%,$(MAKECMDGOALS)),all)
ifneq ($(STAMP_GOALS),)
$(shell mkdir -p bin && { [ "$$(cat bin/.flavour 2>/dev/null)" = "$(FLAVOUR)" ] || echo "$(FLAVOUR)" > bin/.flavour; })
endif
bin/.flavour:
	@mkdir -p $(@D)
	echo "$(FLAVOUR)" > $@

.PHONY: all check unit integration demo demo-learn bench install uninstall clean lint fuzz mutate golden-update
FUZZ_SECONDS ?= 60
FUZZ_SEED ?=
all: $(BINS)

$(B)/gen/embedded.cc: $(EMBEDDED) tools/embed.sh Makefile
	@mkdir -p $(@D)
	sh tools/embed.sh $(EMBEDDED) > $@.tmp && mv $@.tmp $@

$(B)/gen/%.o: $(B)/gen/%.cc
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) -c $< -o $@

$(B)/hooks/%.o: hooks/%.cc
	@mkdir -p $(@D)
	$(CXX) $(CPPFLAGS) $(MOUNT_CFLAGS) $(CXXFLAGS) -c $< -o $@

$(B)/%.o: %.cc
	@mkdir -p $(@D)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) -c $< -o $@

$(B)/liboci-harden.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

bin/oci-harden: $(B)/shim/cli/main.o $(B)/liboci-harden.a bin/.flavour
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) $(LDFLAGS) $(STATIC_LINK) $(filter-out bin/.flavour,$^) $(RUNTIME_LIBS) -o $@

bin/oci-hardenctl: $(B)/shim/cli/hardenctl_main.o $(B)/liboci-harden.a bin/.flavour
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) $(LDFLAGS) $(STATIC_LINK) $(filter-out bin/.flavour,$^) $(RUNTIME_LIBS) -lz -o $@

bin/oci-harden-hook: $(HOOK_SRCS:%.cc=$(B)/%.o) $(B)/liboci-harden.a bin/.flavour
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) $(LDFLAGS) $(STATIC_LINK) $(filter-out bin/.flavour,$^) $(RUNTIME_LIBS) -o $@

$(B)/unit-tests: $(TEST_OBJS) $(HOOK_LIB_SRCS:%.cc=$(B)/%.o) $(B)/liboci-harden.a
	$(CXX) $(CXXFLAGS) $(LDFLAGS) $^ -lyajl -lseccomp -lcap-ng $(MOUNT_LIBS) -lz -o $@

unit: $(B)/unit-tests
	$(B)/unit-tests

integration: all
	SKIP_UNIT=1 bash tests/run-all.sh

# The test command: on a fresh Debian machine it installs what it needs first (idempotent, quick
# when everything is there), then builds, then unit tests and integration; the last line is
# "N passed, N failed".
check:
	bash tools/install-deps.sh
	$(MAKE) all $(B)/unit-tests
	OCIH_UNIT_TESTS=$(B)/unit-tests OCIH_SANITIZE=$(SANITIZE) bash tests/run-all.sh

demo:
	bash tools/install-deps.sh
	$(MAKE) all
	bash tests/demo.sh

demo-learn:
	bash tools/install-deps.sh
	$(MAKE) all
	bash tests/demo_learn.sh

# The benchmark's tools: the in-process harness and the stopwatch (bench/run.sh names both).
# $(B)/oci-harden-dynlibc is oci-harden linked as it was before the static PIE (libc and libm
# shared, the rest static), for part 5's side-by-side start-up figures.
BENCH_TOOLS := $(B)/harden-bench $(B)/bench-timeit $(B)/seccomp-cost $(if $(SANITIZE),,$(B)/oci-harden-dynlibc)
$(B)/oci-harden-dynlibc: $(B)/shim/cli/main.o $(B)/liboci-harden.a
	$(CXX) $(CXXFLAGS) $(LDFLAGS) $^ $(LIBC_SHARED_LIBS) -o $@
$(B)/harden-bench: $(B)/bench/harden_bench.o $(B)/liboci-harden.a
	$(CXX) $(CXXFLAGS) $(LDFLAGS) $(STATIC_LINK) $^ $(RUNTIME_LIBS) -o $@
$(B)/seccomp-cost: $(B)/bench/seccomp_cost.o $(B)/liboci-harden.a
	$(CXX) $(CXXFLAGS) $(LDFLAGS) $(STATIC_LINK) $^ $(RUNTIME_LIBS) -o $@
$(B)/bench-timeit: $(B)/bench/timeit.o
	$(CXX) $(CXXFLAGS) $(LDFLAGS) $^ -o $@

bench: all $(BENCH_TOOLS)
	bash bench/run.sh

clean:
	rm -rf $(B) bin build-mutate

-include $(shell find $(B) -name '*.d' 2>/dev/null)

MANPAGES := $(wildcard man/*.8 man/*.5)
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SHAREDIR)/deploy $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5
	install -m 0755 $(BINS) $(DESTDIR)$(BINDIR)/
	install -m 0644 profiles/*.json $(DESTDIR)$(SHAREDIR)/
	cp -R deploy/. $(DESTDIR)$(SHAREDIR)/deploy/
	for m in $(filter %.8,$(MANPAGES)); do install -m 0644 $$m $(DESTDIR)$(MANDIR)/man8/; done
	for m in $(filter %.5,$(MANPAGES)); do install -m 0644 $$m $(DESTDIR)$(MANDIR)/man5/; done
	install -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/oci-harden
	# The policy is the administrator's: installed once, never overwritten.
	[ -e $(DESTDIR)$(SYSCONFDIR)/oci-harden/policy.json ] || \
	  install -m 0644 profiles/policy-default.json $(DESTDIR)$(SYSCONFDIR)/oci-harden/policy.json
	-chown root:root $(DESTDIR)$(SYSCONFDIR)/oci-harden $(DESTDIR)$(SYSCONFDIR)/oci-harden/policy.json 2>/dev/null
	# The logrotate file is a conffile: installed where none is, an administrator's edited one kept
	# (the shipped one stays in $(SHAREDIR)/deploy/logrotate.d to compare with).
	install -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/logrotate.d
	[ -e $(DESTDIR)$(SYSCONFDIR)/logrotate.d/oci-harden ] || \
	  install -m 0644 deploy/logrotate.d/oci-harden $(DESTDIR)$(SYSCONFDIR)/logrotate.d/oci-harden

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(notdir $(BINS)))
	rm -rf $(DESTDIR)$(SHAREDIR)
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(filter %.8,$(MANPAGES))))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(filter %.5,$(MANPAGES))))
	@echo "uninstall: $(SYSCONFDIR)/oci-harden/policy.json is the administrator's and was kept"
	@echo "uninstall: $(SYSCONFDIR)/logrotate.d/oci-harden is a conffile and was kept"

# Fuzzing and static checks (issue 6). tools/fuzz.sh builds the libFuzzer targets through the
# rule below with B=build-fuzz CXX=clang++ SANITIZE=fuzzer-no-link,address,undefined.
$(B)/fuzz/%: $(B)/tests/fuzz/%.o $(B)/liboci-harden.a
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) $(LDFLAGS) -fsanitize=fuzzer $^ -lyajl -lseccomp -lcap-ng -lz -o $@

fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_SEED=$(FUZZ_SEED) bash tools/fuzz.sh

lint:
	bash tools/lint.sh

# The mutation check (tools/mutate.sh): only the rule table is rebuilt per mutant, with a switch
# no other build passes, and linked ahead of the library into build-mutate/.
mutate: export MUTATE_CXX = $(CXX)
mutate: export MUTATE_CPPFLAGS = $(CPPFLAGS)
mutate: export MUTATE_CXXFLAGS = $(CXXFLAGS)
mutate: export MUTATE_LDFLAGS = $(LDFLAGS)
mutate: export MUTATE_LINK = $(TEST_OBJS) $(HOOK_LIB_SRCS:%.cc=$(B)/%.o) $(B)/liboci-harden.a -lyajl -lseccomp -lcap-ng $(MOUNT_LIBS) -lz
mutate: export MUTATE_DIR = build-mutate
mutate: $(B)/unit-tests bin/oci-hardenctl
	bash tools/mutate.sh

# The expected hardened outputs of the captured engine configs, written by the golden test itself
# (same code path); review `git diff tests/golden` before committing.
golden-update: $(B)/unit-tests
	OCI_HARDEN_GOLDEN_UPDATE=1 $(B)/unit-tests "golden: the whole hardened output*"
	git status --short tests/golden
