#!/bin/sh
# bench/peers.sh: what several monitors cost (issue 12).  Run by "make
# bench"; prints a table.  Each figure is beside its peer in the same run:
# one monitor alone, doing the same work at the same time.
#
# reaction: BIND and the HTTP fixture on loopback.  Site ra is watched by
#   one daemon alone; site rb by three daemons (monitor: quorum 2 of
#   m1 m2 m3); both sites have the same primary and failover addresses,
#   interval 1s, fall 3, rise 2.  TRIALS times (default 20): wait a random
#   part of a second, stop the primary (one fixture command, so both see
#   the same failure at the same instant), poll BIND with dig until each
#   site serves the failover; then bring the primary back and wait until
#   both are restored.
# load: SITES sites (default 1,000) at interval 10s, against nginx (sites
#   share 100 primary and 100 failover addresses) and, for the last
#   OUTAGE sites (default 100), a primary on the HTTP fixture.  Three
#   daemons with monitor: (quorum 2) against one named, one daemon alone
#   with the same sites against a second named.  Each named's statistics
#   channel counts what it was asked (UPDATE messages, queries by type,
#   transfers) over WINDOW seconds (default 60) with everything up, then
#   over WINDOW seconds from the instant the OUTAGE primaries go down;
#   and the CPU time and peak RSS of m1 beside those of the lone daemon.
#
# Addresses: 127.0.0.1 (named, both), 127.0.0.2-3 (the fixture, reaction),
# 127.0.1.1-100 and 127.0.2.1-100 (nginx), 127.0.3.1 (the fixture, load);
# ports 16000-17999 by pid.  Every server and daemon is stopped by its pid
# when the script ends.  KEEP=1 keeps the scratch directory.
set -eu

BIN=${DNSFAILOVER:-$(pwd)/dnsfailover}
HTTPD=${HTTPD:-$(pwd)/build/httpd}
PARTS=${PARTS:-reaction load}
TRIALS=${TRIALS:-20}
SITES=${SITES:-1000}
OUTAGE=${OUTAGE:-100}
WINDOW=${WINDOW:-60}
TOP=$(pwd)
W=$(mktemp -d /tmp/dnsfailover-pbench.XXXXXX)
chmod 755 "$W"
BASE=$((16000 + $$ % 400 * 5))	# below the ephemeral range
APORT=$BASE			# named A (the monitors' votes zone too)
BPORT=$((BASE + 1))		# named B (the lone monitor, load)
ASTATS=$((BASE + 2))
BSTATS=$((BASE + 3))
WPORT=$((BASE + 4))
PIDS=""
NAMEDS=""
VERBOSE=-v	# the load part logs without: a line per probe is not idle
NGINX_PID=""
Z=example.test
VZ=_dnsfailover.example.test

cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	for p in $NAMEDS; do kill "$p" 2>/dev/null || true; done
	if [ -n "$NGINX_PID" ]; then
		kill -QUIT "$NGINX_PID" 2>/dev/null || true
		sleep 0.5
		kill -9 "$NGINX_PID" 2>/dev/null || true
	fi
	if [ -n "${KEEP:-}" ]; then echo "# kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 2' INT TERM

now_ms() { date +%s%3N; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
maxof() { sort -n | tail -1; }
ratio() { echo "scale=2; $1 / $2" | bc; }

# ---- the DNS servers ----

key() {	# key FILE NAME
	(umask 077 && printf 'key "%s" {\n\talgorithm hmac-sha256;\n\tsecret "%s";\n};\n' \
	    "$2" "$(head -c 32 /dev/urandom | base64)" >"$1")
}
mkdir -p "$W/keys"
for k in site-key m1-votes m2-votes m3-votes; do key "$W/keys/$k.key" $k; done

# zonefile PRIMARY_OF_SITE_I...: the site zone, every record published
# as its primary (so no daemon has anything to publish at start)
zonefile() {
	echo "\$TTL 60"
	echo "@	IN SOA	ns1.$Z. hostmaster.$Z. ( 1 60 60 3600 60 )"
	echo "@	IN NS	ns1.$Z."
	echo "ns1	IN A	127.0.0.1"
	echo "ra	IN A	127.0.0.2"
	echo "rb	IN A	127.0.0.2"
	i=1
	while [ "$i" -le "$SITES" ]; do
		if [ "$i" -gt $((SITES - OUTAGE)) ]; then
			echo "s$i	IN A	127.0.3.1"
		else
			echo "s$i	IN A	127.0.1.$(( (i - 1) % 100 + 1 ))"
		fi
		i=$((i + 1))
	done
}
# named_start DIR PORT STATSPORT: one named with the site zone and the
# votes zone (each monitor's key writes its own names and _hold's)
named_start() {
	_d=$1
	mkdir -p "$_d"
	zonefile >"$_d/$Z.db"
	printf '$TTL 60\n@ IN SOA ns1.%s. hostmaster.%s. ( 1 60 60 3600 60 )\n@ IN NS ns1.%s.\n' \
	    $Z $Z $Z >"$_d/$VZ.db"
	{
		for k in site-key m1-votes m2-votes m3-votes; do
			echo "include \"$W/keys/$k.key\";"
		done
		cat <<CONF
options {
	directory "$_d";
	pid-file "$_d/named.pid";
	session-keyfile "$_d/session.key";
	managed-keys-directory "$_d";
	listen-on port $2 { 127.0.0.1; };
	listen-on-v6 { none; };
	recursion no;
	allow-query { 127.0.0.0/8; };
	allow-transfer { none; };
	dnssec-validation no;
	notify no;
};
controls { };
statistics-channels { inet 127.0.0.1 port $3 allow { 127.0.0.1; }; };
zone "$Z" {
	type primary;
	file "$_d/$Z.db";
	update-policy { grant site-key zonesub ANY; };
};
zone "$VZ" {
	type primary;
	file "$_d/$VZ.db";
	max-ixfr-ratio unlimited;
	update-policy {
		grant m1-votes subdomain m1.$VZ. TXT; grant m1-votes subdomain _hold.$VZ. TXT;
		grant m2-votes subdomain m2.$VZ. TXT; grant m2-votes subdomain _hold.$VZ. TXT;
		grant m3-votes subdomain m3.$VZ. TXT; grant m3-votes subdomain _hold.$VZ. TXT;
	};
	allow-transfer { key m1-votes; key m2-votes; key m3-votes; };
};
CONF
	} >"$_d/named.conf"
	named -c "$_d/named.conf" -g >"$_d/named.log" 2>&1 &
	NAMEDS="$NAMEDS $!"
	for _ in $(seq 1 100); do
		dig +short +time=1 +tries=1 -p "$2" @127.0.0.1 $VZ SOA 2>/dev/null |
		    grep -q hostmaster && return 0
		sleep 0.1
	done
	echo "named did not start: $(tail -5 "$_d/named.log")" >&2
	exit 1
}
named_start "$W/namedA" $APORT $ASTATS
named_start "$W/namedB" $BPORT $BSTATS

# stats STATSPORT: "UPDATE QUERY IXFR AXFR SOA A TXT" as counted so far
stats() {
	curl -s "http://127.0.0.1:$1/json/v1/server" | jq -r \
	    '[.opcodes.UPDATE, .opcodes.QUERY, .qtypes.IXFR, .qtypes.AXFR,
	      .qtypes.SOA, .qtypes.A, .qtypes.TXT] | map(. // 0) | @tsv'
}
# delta BEFORE AFTER SECONDS: per-minute rates of each column
delta() {
	printf '%s\n%s\n' "$1" "$2" | awk -v s="$3" '
	    NR == 1 { for (i = 1; i <= NF; i++) a[i] = $i }
	    NR == 2 { for (i = 1; i <= NF; i++) printf "%s%.1f", (i > 1 ? " " : ""), ($i - a[i]) * 60 / s; print "" }'
}
col() { echo "$1" | awk -v c="$2" '{print $c}'; }

# daemon DIR: starts "dnsfailover run" there (sitelist.yaml); pid in $DAEMON
daemon() {
	(cd "$1" && exec "$BIN" $VERBOSE -c sitelist.yaml run) 2>"$1/daemon.log" &
	DAEMON=$!
	PIDS="$PIDS $DAEMON"
}
# monitor_dir DIR ID PORT: a monitor's directory (keys) and its sitelist
# head; the sites follow on stdin
monitor_dir() {
	mkdir -p "$1"
	(umask 077 && cp "$W/keys/site-key.key" "$1/site.key")
	{
		echo "dns: {servers: [\"127.0.0.1:$3\"], key_file: site.key, timeout: 10s}"
		echo "state_file: state"
		if [ "$2" != alone ]; then
			(umask 077 && cp "$W/keys/$2-votes.key" "$1/votes.key")
			echo "monitor: {id: $2, peers: [m1, m2, m3], quorum: 2, zone: $VZ, fresh: ${FRESH}, key_file: votes.key}"
		fi
		cat
	} >"$1/sitelist.yaml"
}
wait_watching() {	# wait_watching DIR...
	for _d in "$@"; do
		for _ in $(seq 1 200); do
			grep -q "watching" "$_d/daemon.log" && break
			sleep 0.1
		done
	done
}

# ---- reaction time ----
if echo "$PARTS" | grep -q reaction; then
	R=$W/reaction
	mkdir -p "$R/web"
	"$HTTPD" -d "$R/web" "127.0.0.2:$WPORT" "127.0.0.3:$WPORT" 2>"$R/web.err" &
	PIDS="$PIDS $!"
	for _ in $(seq 1 50); do [ -f "$R/web/httpd.pid" ] && break; sleep 0.1; done
	rsites() {
		echo "defaults: {ttl: 30, interval: 1s, fall: 3, rise: 2, check: {port: $WPORT, path: /health, timeout: 500ms}}"
		echo "sites:"
		echo "  - {name: $1.$Z, zone: $Z, primary: 127.0.0.2, failover: 127.0.0.3}"
	}
	FRESH=4s
	rsites ra | monitor_dir "$R/alone" alone $APORT
	daemon "$R/alone"; RA=$DAEMON
	RB=""
	for m in m1 m2 m3; do
		rsites rb | monitor_dir "$R/$m" $m $APORT
		daemon "$R/$m"; RB="$RB $DAEMON"
	done
	wait_watching "$R/alone" "$R/m1" "$R/m2" "$R/m3"
	# both: "ra-set rb-set" as BIND serves them now
	both() {
		dig +noall +answer +tries=1 +time=1 -p $APORT @127.0.0.1 ra.$Z A rb.$Z A |
		    awk '{s[$1] = s[$1] $5} END {print s["ra.'$Z'."] " " s["rb.'$Z'."]}'
	}
	wait_both() {	# wait_both RA_SET RB_SET SECONDS: sets $ta $tb (ms from $t0)
		ta="" tb=""
		_end=$(($(now_ms) + $3 * 1000))
		while [ -z "$ta" ] || [ -z "$tb" ]; do
			_s=$(both)
			_n=$(now_ms)
			[ -z "$ta" ] && [ "${_s% *}" = "$1" ] && ta=$((_n - t0))
			[ -z "$tb" ] && [ "${_s#* }" = "$2" ] && tb=$((_n - t0))
			[ "$_n" -lt "$_end" ] || return 1
		done
	}
	t0=$(now_ms)
	wait_both 127.0.0.2 127.0.0.2 10
	sleep 5	# rise, and every monitor's view published
	: >"$R/alone.ms"; : >"$R/peers.ms"; : >"$R/back.ms"
	i=0
	while [ "$i" -lt "$TRIALS" ]; do
		sleep "0.$(awk -v s="$$$i" 'BEGIN {srand(s); printf "%03d", int(rand() * 1000)}')"
		t0=$(now_ms)
		"$HTTPD" ctl "$R/web" "set 127.0.0.2:$WPORT refuse" >/dev/null
		if ! wait_both 127.0.0.3 127.0.0.3 20; then
			echo "reaction: trial $i: no switch in 20 s (ra ${ta:-none}, rb ${tb:-none})" >&2
			exit 1
		fi
		echo "$ta" >>"$R/alone.ms"; echo "$tb" >>"$R/peers.ms"
		t0=$(now_ms)
		"$HTTPD" ctl "$R/web" "set 127.0.0.2:$WPORT ok" >/dev/null
		if ! wait_both 127.0.0.2 127.0.0.2 20; then
			echo "reaction: trial $i: no restore in 20 s" >&2
			exit 1
		fi
		echo "$ta $tb" >>"$R/back.ms"
		sleep 3	# every view back to primary
		i=$((i + 1))
	done
	# shellcheck disable=SC2086
	kill $RA $RB
	RA_MED=$(median <"$R/alone.ms"); RA_MAX=$(maxof <"$R/alone.ms")
	RB_MED=$(median <"$R/peers.ms"); RB_MAX=$(maxof <"$R/peers.ms")
	BA_MED=$(awk '{print $1}' "$R/back.ms" | median)
	BB_MED=$(awk '{print $2}' "$R/back.ms" | median)
	echo "reaction: one monitor (ms): $(tr '\n' ' ' <"$R/alone.ms")"
	echo "reaction: three, quorum 2 (ms): $(tr '\n' ' ' <"$R/peers.ms")"
	echo "reaction: swaps refused as made by a peer: $(cat "$R"/m?/daemon.log | grep -c 'already made by a peer' || true)"
fi

# ---- load: 3 x SITES sites against 1 x SITES sites ----
if echo "$PARTS" | grep -q load; then
	L=$W/load
	mkdir -p "$L/tmp" "$L/web"
	{
		echo "worker_processes 1;"
		echo "pid $L/nginx.pid;"
		echo "error_log $L/error.log warn;"
		echo "events { worker_connections 4096; }"
		echo "http {"
		echo "  access_log off;"
		echo "  client_body_temp_path $L/tmp; proxy_temp_path $L/tmp;"
		echo "  fastcgi_temp_path $L/tmp; uwsgi_temp_path $L/tmp;"
		echo "  scgi_temp_path $L/tmp;"
		echo "  server {"
		for a in $(seq 1 100); do
			echo "    listen 127.0.1.$a:$WPORT; listen 127.0.2.$a:$WPORT;"
		done
		echo "    location / { return 200 \"OK\\n\"; }"
		echo "  }"
		echo "}"
	} >"$L/nginx.conf"
	nginx -p "$L" -c "$L/nginx.conf" -e "$L/error.log"
	for _ in $(seq 1 50); do [ -s "$L/nginx.pid" ] && break; sleep 0.1; done
	NGINX_PID=$(cat "$L/nginx.pid")
	"$HTTPD" -d "$L/web" "127.0.3.1:$WPORT" 2>"$L/web.err" &
	PIDS="$PIDS $!"
	for _ in $(seq 1 50); do [ -f "$L/web/httpd.pid" ] && break; sleep 0.1; done
	lsites() {
		echo "defaults: {ttl: 30, interval: 10s, fall: 3, rise: 2, check: {port: $WPORT, path: /, timeout: 2s}}"
		echo "sites:"
		i=1
		while [ "$i" -le "$SITES" ]; do
			a=$(( (i - 1) % 100 + 1 ))
			if [ "$i" -gt $((SITES - OUTAGE)) ]; then p=127.0.3.1; else p=127.0.1.$a; fi
			echo "  - {name: s$i.$Z, zone: $Z, primary: $p, failover: 127.0.2.$a}"
			i=$((i + 1))
		done
	}
	FRESH=30s
	VERBOSE=
	lsites | monitor_dir "$L/alone" alone $BPORT
	daemon "$L/alone"; LA=$DAEMON
	LB=""
	for m in m1 m2 m3; do
		lsites | monitor_dir "$L/$m" $m $APORT
		daemon "$L/$m"; LB="$LB $DAEMON"
		[ $m = m1 ] && M1=$DAEMON
	done
	s0a=$(stats $ASTATS); s0b=$(stats $BSTATS); w0=$(now_ms)
	wait_watching "$L/alone" "$L/m1" "$L/m2" "$L/m3"
	sleep 35	# start-up: the first views of every site, rise
	s1a=$(stats $ASTATS); s1b=$(stats $BSTATS); w1=$(now_ms)
	tck=$(getconf CLK_TCK)
	cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
	c1a=$(cpu $LA); c1m=$(cpu $M1)
	sleep "$WINDOW"
	s2a=$(stats $ASTATS); s2b=$(stats $BSTATS); w2=$(now_ms)
	c2a=$(cpu $LA); c2m=$(cpu $M1)
	"$HTTPD" ctl "$L/web" "set 127.0.3.1:$WPORT refuse" >/dev/null
	sleep "$WINDOW"
	s3a=$(stats $ASTATS); s3b=$(stats $BSTATS); w3=$(now_ms)
	c3a=$(cpu $LA); c3m=$(cpu $M1)
	last=s$SITES.$Z
	served_a=$(dig +short -p $APORT @127.0.0.1 $last A)
	served_b=$(dig +short -p $BPORT @127.0.0.1 $last A)
	rss() { awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
	RSS_A=$(rss $LA); RSS_M=$(rss $M1)
	# shellcheck disable=SC2086
	kill $LA $LB
	START_P=$(delta "$s0a" "$s1a" $(( (w1 - w0) / 1000 )))
	START_A=$(delta "$s0b" "$s1b" $(( (w1 - w0) / 1000 )))
	UP_P=$(delta "$s1a" "$s2a" $(( (w2 - w1) / 1000 )))
	UP_A=$(delta "$s1b" "$s2b" $(( (w2 - w1) / 1000 )))
	OUT_P=$(delta "$s2a" "$s3a" $(( (w3 - w2) / 1000 )))
	OUT_A=$(delta "$s2b" "$s3b" $(( (w3 - w2) / 1000 )))
	cpupct() { echo "scale=3; ($2 - $1) / $tck / ($3 / 1000) * 100" | bc; }
	CPU_UP_A=$(cpupct "$c1a" "$c2a" $((w2 - w1))); CPU_UP_M=$(cpupct "$c1m" "$c2m" $((w2 - w1)))
	CPU_OUT_A=$(cpupct "$c2a" "$c3a" $((w3 - w2))); CPU_OUT_M=$(cpupct "$c2m" "$c3m" $((w3 - w2)))
	echo "load: per minute, UPDATE QUERY IXFR AXFR SOA A TXT"
	echo "load:   start-up  three: $START_P; alone: $START_A"
	echo "load:   all up    three: $UP_P; alone: $UP_A"
	echo "load:   outage    three: $OUT_P; alone: $OUT_A"
	echo "load: $last after the outage: three $served_a, alone $served_b"
	echo "load: switches made: $(cat "$L"/m?/daemon.log | grep 'switched to failover' | grep -vc 'already made by a peer' || true);" \
	    "swaps refused, found made by a peer: $(cat "$L"/m?/daemon.log | grep -c 'already made by a peer' || true)"
fi

echo
echo "| several monitors (issue 12) | three, quorum 2 | one alone, same run | ratio |"
echo "|---|---|---|---|"
if [ -n "${RA_MED:-}" ]; then
	echo "| primary refused -> BIND serves failover, $TRIALS trials (1s, fall 3), median | $RB_MED ms | $RA_MED ms | $(ratio "$RB_MED" "$RA_MED") |"
	echo "| ... max | $RB_MAX ms | $RA_MAX ms | $(ratio "$RB_MAX" "$RA_MAX") |"
	echo "| primary back -> restored (rise 2), median | $BB_MED ms | $BA_MED ms | $(ratio "$BB_MED" "$BA_MED") |"
fi
if [ -n "${UP_P:-}" ]; then
	echo "| $SITES sites at 10 s, all up: UPDATEs/min (all monitors) | $(col "$UP_P" 1) | $(col "$UP_A" 1) | |"
	echo "| ... queries/min (of them IXFR, AXFR, SOA, A) | $(col "$UP_P" 2) ($(col "$UP_P" 3), $(col "$UP_P" 4), $(col "$UP_P" 5), $(col "$UP_P" 6)) | $(col "$UP_A" 2) ($(col "$UP_A" 3), $(col "$UP_A" 4), $(col "$UP_A" 5), $(col "$UP_A" 6)) | |"
	echo "| $OUTAGE-site outage, the minute after: UPDATEs/min | $(col "$OUT_P" 1) | $(col "$OUT_A" 1) | |"
	echo "| ... queries/min (of them IXFR, AXFR, SOA, A) | $(col "$OUT_P" 2) ($(col "$OUT_P" 3), $(col "$OUT_P" 4), $(col "$OUT_P" 5), $(col "$OUT_P" 6)) | $(col "$OUT_A" 2) ($(col "$OUT_A" 3), $(col "$OUT_A" 4), $(col "$OUT_A" 5), $(col "$OUT_A" 6)) | |"
	echo "| CPU of one daemon (m1), all up | $CPU_UP_M % | $CPU_UP_A % | $(ratio "$CPU_UP_M" "$CPU_UP_A") |"
	echo "| ... during the outage minute | $CPU_OUT_M % | $CPU_OUT_A % | $(ratio "$CPU_OUT_M" "$CPU_OUT_A") |"
	echo "| peak RSS of one daemon | $RSS_M MiB | $RSS_A MiB | $(ratio "$RSS_M" "$RSS_A") |"
fi
