# dnsfailover: GNU make.  "make check" installs what is missing (Debian),
# builds and runs every test; see README.md.

PREFIX	?= /usr/local
SBINDIR	?= $(PREFIX)/sbin
MANDIR	?= $(PREFIX)/share/man
DOCDIR	?= $(PREFIX)/share/doc/dnsfailover
SYSCONFDIR ?= /etc
UNITDIR	?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d

CC	?= cc
PKGS	 = libcurl ldns yaml-0.1 jansson
WARN	 = -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
	   -Wmissing-prototypes
ifdef CI
WARN	+= -Werror
endif
CFLAGS	?= -O2 -g
CPPFLAGS += -Iinclude -D_GNU_SOURCE
ALL_CFLAGS = -std=c11 -pthread $(WARN) $(CFLAGS) $(SAN) \
	   $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS	+= $(shell pkg-config --libs $(PKGS) 2>/dev/null) -pthread

# "make asan" builds the same tree with sanitizers into build/asan.
BUILD	?= build
BIN	?= dnsfailover

SRCS	 = $(wildcard src/*.c)
LIBSRCS	 = $(filter-out src/main.c,$(SRCS))
OBJS	 = $(SRCS:src/%.c=$(BUILD)/%.o)
LIBOBJS	 = $(LIBSRCS:src/%.c=$(BUILD)/%.o)
UNITS	 = $(patsubst tests/unit/%.c,$(BUILD)/%,\
	   $(filter-out tests/unit/unit.c,$(wildcard tests/unit/check_*.c)))

# Debian packages the build and the tests need ("make deps").
DEPS_DEB = gcc libc6-dev make pkg-config libcurl4-openssl-dev libldns-dev libjansson-dev \
	   libyaml-dev check mandoc libssl-dev openssl \
	   bind9 bind9-dnsutils knot knot-dnsutils pdns-server \
	   pdns-backend-sqlite3 sqlite3 jq systemd procps faketime

.PHONY: all check unit integration lint-man lint-layers asan fuzz bench bench-deps deps \
	valgrind-daemon soak \
	install clean demo

all: $(BIN) etc/example.key

$(BIN): $(OBJS)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(OBJS) $(LDLIBS)

$(BUILD)/%.o: src/%.c $(wildcard include/*.h) | $(BUILD)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD):
	mkdir -p $@

# The example configuration names this key.  git cannot store mode 0600,
# and a published secret must never be deployed, so each checkout makes a
# random one (the format tsig-keygen writes).
etc/example.key:
	umask 077 && printf 'key "failover-key" {\n\talgorithm hmac-sha256;\n\tsecret "%s";\n};\n' \
	    "$$(head -c 32 /dev/urandom | base64)" > $@.tmp && mv $@.tmp $@

# ---- tests ----

# The HTTP(S) server the probe tests talk to (tests/fixture/httpd.c).
FIXTURE	= $(BUILD)/httpd
$(FIXTURE): tests/fixture/httpd.c | $(BUILD)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $< \
	    $$(pkg-config --cflags --libs openssl)

# A strict Prometheus text format checker (promtool is not in Debian 12).
PROMCHECK = $(BUILD)/promcheck
$(PROMCHECK): tests/fixture/promcheck.c | $(BUILD)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $<

# dnsxfr_fetch() from the command line, for tests/integration/xfr.sh.
XFRTOOL	= $(BUILD)/xfrtool
$(XFRTOOL): tests/fixture/xfrtool.c $(LIBOBJS) | $(BUILD)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $< $(LIBOBJS) $(LDLIBS)

CHECK_CFLAGS = $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   = $(shell pkg-config --libs check 2>/dev/null)

$(BUILD)/check_%: tests/unit/check_%.c tests/unit/unit.c tests/unit/unit.h \
		$(LIBOBJS)
	$(CC) $(CPPFLAGS) -Itests/unit $(ALL_CFLAGS) $(CHECK_CFLAGS) -o $@ \
	    $< tests/unit/unit.c $(LIBOBJS) $(LDLIBS) $(CHECK_LIBS)

check: deps
	$(MAKE) all $(UNITS) $(FIXTURE) $(PROMCHECK) $(XFRTOOL)
	$(MAKE) lint-man lint-layers unit integration

unit: $(UNITS) $(FIXTURE)
	@rc=0; for t in $(UNITS); do \
	    HTTPD=$(abspath $(FIXTURE)) ./$$t || rc=1; \
	done; exit $$rc

integration: $(BIN) etc/example.key $(FIXTURE) $(PROMCHECK) $(XFRTOOL)
	PROMCHECK=$(abspath $(PROMCHECK)) sh tests/fixture/promcheck-test.sh
	@mkdir -p $(BUILD)
	@export DNSFAILOVER=$(abspath $(BIN)) HTTPD=$(abspath $(FIXTURE)) \
	    PROMCHECK=$(abspath $(PROMCHECK)) XFRTOOL=$(abspath $(XFRTOOL)); \
	echo "tests/integration/run.sh, peers.sh and failback.sh, side by side"; \
	sh tests/integration/run.sh >$(BUILD)/integration.log 2>&1 & a=$$!; \
	sh tests/integration/peers.sh >$(BUILD)/peers.log 2>&1 & b=$$!; \
	sh tests/integration/failback.sh >$(BUILD)/failback.log 2>&1 & c=$$!; \
	wait $$a; ra=$$?; wait $$b; rb=$$?; wait $$c; rc=$$?; \
	echo "==== run.sh (exit $$ra)"; cat $(BUILD)/integration.log; \
	echo "==== peers.sh (exit $$rb)"; cat $(BUILD)/peers.log; \
	echo "==== failback.sh (exit $$rc)"; cat $(BUILD)/failback.log; \
	[ $$ra -eq 0 ] && [ $$rb -eq 0 ] && [ $$rc -eq 0 ]

# Warning level: STYLE notes such as "referenced manual not found" depend
# on which manuals the host has installed, not on the pages.
lint-man:
	mandoc -Tlint -Wwarning man/dnsfailover.8 man/sitelist.yaml.5
	@echo "man pages: mandoc -Tlint -Wwarning clean"

# The modules' layering (doc/design.md): no include reaches up.
lint-layers:
	sh tests/lint/layers.sh

asan: deps
	$(MAKE) BUILD=build/asan BIN=build/asan/dnsfailover \
	    SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	    CFLAGS="-O1 -g" check

# The README's first command: failover and restore on loopback.
demo: deps
	$(MAKE) all $(FIXTURE)
	DNSFAILOVER=$(abspath $(BIN)) HTTPD=$(abspath $(FIXTURE)) sh tests/demo.sh

# Benchmarks (not part of "make check"): figures in bench/README.md.
BENCH_DEB = nginx apache2-utils time bc curl jq
$(BUILD)/%_bench: bench/%_bench.c $(LIBOBJS)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $< $(LIBOBJS) $(LDLIBS)

bench: deps
	$(MAKE) DEPS_DEB="$(BENCH_DEB)" deps
	$(MAKE) $(BUILD)/probe_bench $(BUILD)/dns_bench $(BUILD)/config_bench \
	    $(BUILD)/history_bench
	PROBE_BENCH=$(BUILD)/probe_bench sh bench/probe.sh
	DNS_BENCH=$(BUILD)/dns_bench sh bench/dns.sh
	$(MAKE) all $(FIXTURE)
	CONFIG_BENCH=$(BUILD)/config_bench DNSFAILOVER=$(abspath $(BIN)) \
	    sh bench/config.sh
	DNSFAILOVER=$(abspath $(BIN)) HTTPD=$(abspath $(FIXTURE)) sh bench/daemon.sh
	DNSFAILOVER=$(abspath $(BIN)) HTTPD=$(abspath $(FIXTURE)) sh bench/peers.sh
	HISTORY_BENCH=$(BUILD)/history_bench DNSFAILOVER=$(abspath $(BIN)) \
	    sh bench/history.sh

# The daemon under valgrind for VALGRIND_SECONDS (default 600) with a
# reload every 20 s (bench/daemon.sh); not part of "make check".
valgrind-daemon: deps
	$(MAKE) DEPS_DEB="valgrind" deps
	$(MAKE) all $(FIXTURE)
	PARTS=valgrind DNSFAILOVER=$(abspath $(BIN)) HTTPD=$(abspath $(FIXTURE)) \
	    sh bench/daemon.sh

# Coverage-guided fuzzing (clang's libFuzzer); CI runs every target for
# FUZZ_SECONDS on its seed corpus in tests/fuzz/corpus/TARGET and fails on
# a crash, leak or UB.  New inputs found go to build/fuzz/corpus-TARGET.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= config keyfile state dnsreply probe votes xfr
FUZZ_DEB = clang libclang-rt-14-dev
FUZZ_FLAGS = -g -O1 -fsanitize=fuzzer,address,undefined
fuzz: etc/example.key
	$(MAKE) DEPS_DEB="$(DEPS_DEB) $(FUZZ_DEB)" deps
	mkdir -p build/fuzz
	for t in $(FUZZ_TARGETS); do \
	    clang $(CPPFLAGS) $(FUZZ_FLAGS) \
	        $$(pkg-config --cflags $(PKGS)) -o build/fuzz/fuzz_$$t \
	        tests/fuzz/fuzz_$$t.c $(LIBSRCS) $(LDLIBS) || exit 1; \
	done
	for t in $(FUZZ_TARGETS); do \
	    mkdir -p build/fuzz/corpus-$$t; \
	    echo "fuzz_$$t: $(FUZZ_SECONDS) s"; \
	    build/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) \
	        -print_final_stats=1 build/fuzz/corpus-$$t \
	        tests/fuzz/corpus/$$t >build/fuzz/fuzz_$$t.log 2>&1 || \
	        { tail -60 build/fuzz/fuzz_$$t.log; exit 1; }; \
	    grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units)' \
	        build/fuzz/fuzz_$$t.log | tail -2; \
	done

# The soak (not part of "make check"): the daemon with 1,000 sites under
# seeded random faults for SOAK_MINUTES (default 10); SOAK_SEED replays.
SOAK_MINUTES ?= 10
soak: deps
	$(MAKE) all $(FIXTURE)
	DNSFAILOVER=$(abspath $(BIN)) HTTPD=$(abspath $(FIXTURE)) \
	    SOAK_MINUTES=$(SOAK_MINUTES) SOAK_SEED=$(SOAK_SEED) \
	    sh tests/soak/soak.sh

# Installs what is missing with apt-get as root; otherwise says how.
deps:
	@missing=""; \
	if command -v dpkg-query >/dev/null 2>&1; then \
	    for p in $(DEPS_DEB); do \
	        dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
	            grep -q '^install ok installed' || missing="$$missing $$p"; \
	    done; \
	else \
	    for p in $(PKGS) check; do \
	        pkg-config --exists $$p || missing="$$missing $$p"; \
	    done; \
	    command -v mandoc >/dev/null || missing="$$missing mandoc"; \
	    if [ -n "$$missing" ]; then \
	        echo "missing:$$missing (install them with your package manager)"; \
	        exit 1; \
	    fi; \
	fi; \
	if [ -n "$$missing" ]; then \
	    if [ "$$(id -u)" = 0 ]; then \
	        echo "installing:$$missing"; \
	        apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	            apt-get install -y -qq --no-install-recommends $$missing; \
	    else \
	        echo "missing Debian packages; run as root:"; \
	        echo "  apt-get install$$missing"; \
	        exit 1; \
	    fi; \
	fi

install: $(BIN)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(DOCDIR)
	install -m 755 $(BIN) $(DESTDIR)$(SBINDIR)/dnsfailover
	install -m 644 man/dnsfailover.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 644 man/sitelist.yaml.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 644 etc/sitelist.yaml.example $(DESTDIR)$(DOCDIR)/
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR)
	for u in dnsfailover.service dnsfailover-check.service \
	    dnsfailover-check.timer; do \
		sed -e 's|@SBINDIR@|$(SBINDIR)|g' \
		    -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' etc/$$u \
		    >$(DESTDIR)$(UNITDIR)/$$u && \
		chmod 644 $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done
	install -m 644 etc/dnsfailover.sysusers \
	    $(DESTDIR)$(SYSUSERSDIR)/dnsfailover.conf

clean:
	rm -rf build dnsfailover
