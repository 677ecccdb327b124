#!/bin/sh
# bench/config.sh: loading sitelist.yaml of 10,000, 50,000 and 100,000
# sites (about 100 bytes a site: one zone, distinct names, two primaries
# and a failover), against libyaml alone parsing the same file into a
# document; and the 100,000-level "[[[...]]]" file that used to take a
# minute.  Run by "make bench"; prints a table.  No network: validate
# only reads files.
#
#   CONFIG_BENCH  build/config_bench (bench/config_bench.c)
#   DNSFAILOVER   the binary, for "validate" as a user runs it
#   SIZES         default "10000 50000 100000" (the first is the base)
set -eu

BENCH=${CONFIG_BENCH:-build/config_bench}
BIN=${DNSFAILOVER:-build/dnsfailover}
SIZES=${SIZES:-10000 50000 100000}
W=$(mktemp -d /tmp/dnsfailover-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT INT TERM

umask 077
printf 'key "bench" {\n\talgorithm hmac-sha256;\n\tsecret "%s";\n};\n' \
    "$(head -c 32 /dev/urandom | base64)" >"$W/bench.key"
umask 022

sitelist() {	# sitelist FILE COUNT
	awk -v n="$2" 'BEGIN {
		print "dns: {servers: [192.0.2.53], key_file: bench.key}"
		print "defaults: {check: {path: /health}}"
		print "sites:"
		for (i = 0; i < n; i++)
			printf "  - {name: site%d.example.test, zone: example.test, " \
			    "primary: [192.0.2.%d, 198.51.100.%d], failover: " \
			    "203.0.113.%d}\n", i, i % 250 + 1, i % 250 + 1, i % 250 + 1
	}' >"$1"
}

# validate, whole process: wall s, CPU s, peak RSS KiB (GNU time)
validate() {
	/usr/bin/time -f "%e %U %S %M" -o "$W/time" "$BIN" validate -c "$1" \
	    >"$W/out" 2>&1 || { cat "$W/out"; return 1; }
	awk '{ printf "%s %.2f %d\n", $1, $2 + $3, $4 }' "$W/time"
}

printf '%-8s %6s | %-21s | %-21s | %-19s\n' "" "" "libyaml alone" \
    "config_load" "validate (process)"
printf '%-8s %6s | %10s %10s | %10s %10s | %6s %6s %5s\n' sites MB \
    "wall s" "cpu s" "wall s" "cpu s" "wall s" "cpu s" "MiB"
base=""
for n in $SIZES; do
	sitelist "$W/s$n.yaml" "$n"
	"$BIN" validate -c "$W/s$n.yaml" >/dev/null	# warm the page cache
	set -- $("$BENCH" "$W/s$n.yaml" 3) $(validate "$W/s$n.yaml")
	# sites bytes ywall ycpu lwall lcpu | vwall vcpu vrss
	printf '%-8s %6.1f | %10s %10s | %10s %10s | %6s %6s %5d\n' "$1" \
	    "$(echo "$2" | awk '{ print $1 / 1e6 }')" "$3" "$4" "$5" "$6" \
	    "$7" "$8" "$(($9 / 1024))"
	echo "$1 $4 $6" >>"$W/rows"
	[ -n "$base" ] || base="$1 $4 $6"
done
echo
awk -v base="$base" 'BEGIN { split(base, b, " ") }
    { printf "%d sites: config_load / libyaml alone (CPU) %.2f; " \
	  "per-site CPU vs %d sites: %.2f (1.00 = linear)\n", $1, $3 / $2,
	  b[1], ($3 / $1) / (b[3] / b[1]) }' "$W/rows"

# 100,000 levels of nesting, 200 KB: refused at level 65, at once
awk 'BEGIN { for (i = 0; i < 100000; i++) printf "["
    for (i = 0; i < 100000; i++) printf "]"; print "" }' >"$W/deep.yaml"
t0=$(date +%s%N)
"$BIN" validate -c "$W/deep.yaml" >"$W/out" 2>&1 && rc=0 || rc=$?
t1=$(date +%s%N)
echo
echo "100,000 levels of [ (200 KB): exit $rc in $(((t1 - t0) / 1000000)) ms:" \
    "$(sed "s|$W/||" "$W/out")"
