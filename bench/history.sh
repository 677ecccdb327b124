#!/bin/sh
# bench/history.sh: "dnsfailover history SITE --since 1h" over a history
# of 1,000,000 entries (1,000 sites, 30 days, about 280 MB, written by
# history_append() through bench/history_bench.c with a history_size of
# 1 GiB, so nothing rotates), beside what one would run without it on the
# same file in the same run: grep -F '"site":"SITE"' FILE | tail, and
# jq -c 'select(.site=="SITE")'.  Median of RUNS runs each, the file in
# the page cache.  Also checks that history answers what grep and awk
# find.  Run by "make bench"; prints a table.
#
#   HISTORY_BENCH  build/history_bench (bench/history_bench.c)
#   DNSFAILOVER    the binary
#   LINES SITES DAYS RUNS  default 1000000 1000 30 5
set -eu

GEN=${HISTORY_BENCH:-build/history_bench}
BIN=${DNSFAILOVER:-./dnsfailover}
LINES=${LINES:-1000000}
SITES=${SITES:-1000}
DAYS=${DAYS:-30}
RUNS=${RUNS:-5}
SITE=site7.example.test
W=$(mktemp -d /tmp/dnsfailover-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT INT TERM

umask 077
printf 'key "bench" {\n\talgorithm hmac-sha256;\n\tsecret "%s";\n};\n' \
    "$(head -c 32 /dev/urandom | base64)" >"$W/bench.key"
umask 022
awk -v n="$SITES" -v w="$W" 'BEGIN {
	print "dns: {servers: [192.0.2.53], key_file: bench.key}"
	print "state_file: " w "/state"
	print "sites:"
	for (i = 0; i < n; i++)
		printf "  - {name: site%d.example.test, zone: example.test, " \
		    "primary: [192.0.2.%d], failover: 203.0.113.%d}\n", i,
		    i % 250 + 1, i % 250 + 1
}' >"$W/sitelist.yaml"
H="$W/state.history"

set -- $("$GEN" "$H" "$LINES" "$SITES" "$DAYS")
echo "history_bench: $1 entries, $(($2 / 1000000)) MB in $3 s with" \
    "history_append ($(echo "$1 $3" | awk '{ printf "%d", $1 / $2 }')/s)"

# the median of RUNS timings of a shell command, in seconds
median() {
	i=0
	: >"$W/times"
	while [ "$i" -lt "$RUNS" ]; do
		t0=$(date +%s%N)
		sh -c "$1" >"$W/out" 2>"$W/err" || { cat "$W/err"; exit 1; }
		t1=$(date +%s%N)
		echo "$(((t1 - t0) / 1000))" >>"$W/times"
		i=$((i + 1))
	done
	sort -n "$W/times" | awk -v n="$RUNS" \
	    'NR == int((n + 1) / 2) { printf "%.3f\n", $1 / 1e6 }'
}

# answers: the same lines as grep and awk find (the hour's boundary falls
# in the generator's gap)
DF="'$BIN' -c '$W/sitelist.yaml'"
since=$(($(date +%s%3N) - 3600000))
recent() {
	awk -v s="$since" 'match($0, /"ts":[0-9]+/) &&
	    substr($0, RSTART + 5, RLENGTH - 5) + 0 >= s'
}
answer() {	# answer WHAT ARGS WANT: history ARGS --json prints WANT
	sh -c "$DF history $2 --json" | cmp -s - "$3" ||
	    { echo "history $2: wrong answer ($1)"; exit 1; }
}
grep -F "\"site\":\"$SITE\"" "$H" >"$W/want.site"
recent <"$W/want.site" >"$W/want.site.1h"
recent <"$H" >"$W/want.1h"
answer "one site, an hour" "$SITE --since 1h" "$W/want.site.1h"
answer "every site, an hour" "--since 1h" "$W/want.1h"
answer "one site" "$SITE" "$W/want.site"
echo "answers checked: $SITE $(wc -l <"$W/want.site.1h") entries in the" \
    "last hour, $(wc -l <"$W/want.site") in all;" \
    "every site $(wc -l <"$W/want.1h") in the last hour"

base=$(median "$DF history $SITE --since 1h")
row() {	# row LABEL SECONDS
	printf '%-46s %8s %8s\n' "$1" "$2" \
	    "$(echo "$2 $base" | awk '{ printf "%.1f", $1 / $2 }')"
}
echo
printf '%-46s %8s %8s\n' "$1 entries, $(($2 / 1000000)) MB, $RUNS runs" \
    "median s" ratio
row "dnsfailover history SITE --since 1h" "$base"
row "dnsfailover history --since 1h (every site)" \
    "$(median "$DF history --since 1h")"
row "dnsfailover history SITE (all 30 days)" "$(median "$DF history $SITE")"
row "dnsfailover history, no file (start, config)" \
    "$(median "$DF -S '$W/none' history")"
row "grep -F '\"site\":\"SITE\"' FILE | tail" \
    "$(median "grep -F '\"site\":\"$SITE\"' '$H' | tail")"
row "jq -c 'select(.site==\"SITE\")' FILE" \
    "$(median "jq -c 'select(.site==\"$SITE\")' '$H'")"
awk -v b="$base" 'BEGIN { if (b >= 1) { print "history --since 1h: " b \
    " s, not under a second"; exit 1 } }'
