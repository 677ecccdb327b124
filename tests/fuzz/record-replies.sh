#!/bin/sh
# record-replies.sh: remakes the seed corpus of fuzz_dnsreply from real
# servers.  Starts BIND, Knot and PowerDNS on 127.0.0.1
# (tests/fixture/dns.sh), sends each one signed UPDATE per case of
# tests/fuzz/record_replies.c (applied, each prerequisite failure,
# NOTZONE, zone not served, wrong secret, unknown key, unsigned), and
# writes the replies to tests/fuzz/corpus/dnsreply/SERVER-CASE and the
# requests with the run's throwaway key to tests/fuzz/fuzz_dnsreply_req.h.
# Run from the top of the tree: sh tests/fuzz/record-replies.sh
set -eu
W=$(mktemp -d /tmp/dnsfailover-record.XXXXXX)
PORT=$((21000 + $$ % 3000 * 3))	# below the ephemeral range
trap 'sh tests/fixture/dns.sh stop "$W/dns"; rm -rf "$W"' EXIT
PKGS="libcurl ldns yaml-0.1"
# shellcheck disable=SC2046
cc -std=c11 -pthread -Iinclude -D_GNU_SOURCE $(pkg-config --cflags $PKGS) \
    -o "$W/record_replies" tests/fuzz/record_replies.c \
    $(ls src/*.c | grep -v '^src/main\.c$') $(pkg-config --libs $PKGS)
sh tests/fixture/dns.sh start "$W/dns" "$PORT"
mkdir -p tests/fuzz/corpus/dnsreply
rm -f tests/fuzz/corpus/dnsreply/*
"$W/record_replies" "$W/dns/key" tests/fuzz/corpus/dnsreply \
    tests/fuzz/fuzz_dnsreply_req.h "$PORT" bind knot pdns
