#!/bin/sh
# bench/dns.sh: 10,000 records of one zone switched in one call on a
# local BIND (127.0.0.1, a high port), stopped by pid at the end.
set -eu
N=${N:-10000}
BIN=${DNS_BENCH:-build/dns_bench}
W=$(mktemp -d /tmp/dnsfailover-dnsbench.XXXXXX)
PORT=$((30000 + $$ % 2000))	# below the ephemeral range
trap 'sh tests/fixture/dns.sh stop "$W"; rm -rf "$W"' EXIT INT TERM
sh tests/fixture/dns.sh start "$W" "$PORT" bind
${DNS_BENCH_WRAP:-} "$BIN" "$W/key" "$PORT" "$N"
