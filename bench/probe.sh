#!/bin/sh
# bench/probe.sh: the probe engine against nginx on loopback, with
# ApacheBench as the floor.  Run by "make bench"; prints a table.
#
#   N sites (default 10000), each with one primary and one failover
#   address: 2N HTTP probes in one round.  Sites share 100 primary
#   addresses (127.0.1.1-100) and 100 failover addresses (127.0.2.1-100),
#   as real hosting does.  Then H (default 2000) HTTPS probes with full
#   handshakes (nginx session cache and tickets off; no client reuse).
#
# nginx listens on those explicit addresses only and is stopped by its
# pid when the script ends, whatever happens.
set -eu

N=${N:-10000}
H=${H:-2000}
BIN=${PROBE_BENCH:-build/probe_bench}
WRAP=${BENCH_WRAP:-}	# e.g. "perf record -g -o /tmp/perf.data"
SKIP_AB=${SKIP_AB:-}
TOP=$(pwd)
W=$(mktemp -d /tmp/dnsfailover-bench.XXXXXX)
chmod 755 "$W"
NGINX_PID=""

cleanup() {
	if [ -n "$NGINX_PID" ]; then
		kill -QUIT "$NGINX_PID" 2>/dev/null || true
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$NGINX_PID" 2>/dev/null || break
			sleep 0.2
		done
		kill -9 "$NGINX_PID" 2>/dev/null || true
	fi
	rm -rf "$W"
}
trap cleanup EXIT INT TERM

PORT=$((10000 + $$ % 1000 * 2))	# below the ephemeral range
TPORT=$((PORT + 1))

sh "$TOP/tests/fixture/mkcerts.sh" "$W/certs"
umask 077
printf 'key "bench" {\n\talgorithm hmac-sha256;\n\tsecret "%s";\n};\n' \
    "$(head -c 32 /dev/urandom | base64)" >"$W/bench.key"
umask 022

# ---- nginx ----
{
	echo "worker_processes 2;"
	echo "worker_rlimit_nofile 65536;"
	echo "pid $W/nginx.pid;"
	echo "error_log $W/error.log warn;"
	echo "events { worker_connections 16384; multi_accept on; }"
	echo "http {"
	echo "  access_log off;"
	echo "  client_body_temp_path $W/tmp; proxy_temp_path $W/tmp;"
	echo "  fastcgi_temp_path $W/tmp; uwsgi_temp_path $W/tmp;"
	echo "  scgi_temp_path $W/tmp;"
	echo "  ssl_session_cache off; ssl_session_tickets off;"
	echo "  ssl_certificate $W/certs/server.pem;"
	echo "  ssl_certificate_key $W/certs/server.key;"
	echo "  server {"
	for i in $(seq 1 100); do
		echo "    listen 127.0.1.$i:$PORT; listen 127.0.2.$i:$PORT;"
		echo "    listen 127.0.1.$i:$TPORT ssl; listen 127.0.2.$i:$TPORT ssl;"
	done
	echo "    location / { return 200 \"OK\\n\"; }"
	echo "  }"
	echo "}"
} >"$W/nginx.conf"
mkdir -p "$W/tmp"
nginx -p "$W" -c "$W/nginx.conf" -e "$W/error.log"
for _ in $(seq 1 50); do [ -s "$W/nginx.pid" ] && break; sleep 0.1; done
NGINX_PID=$(cat "$W/nginx.pid")

# ---- sitelist.yaml ----
sitelist() {	# sitelist FILE COUNT TYPE PORT
	{
		echo "dns: {servers: [127.0.0.1], key_file: bench.key}"
		echo "max_parallel: 200"
		echo "defaults: {check: {type: $3, port: $4, path: /health, ca_file: certs/ca.pem, timeout: 10s}, interval: 60s}"
		echo "sites:"
		awk -v n="$2" 'BEGIN { for (i = 0; i < n; i++)
		    printf "  - {name: site%d.example.test, primary: 127.0.1.%d, failover: 127.0.2.%d}\n",
		    i, i % 100 + 1, i % 100 + 1 }'
	} >"$1"
}
sitelist "$W/http.yaml" "$N" http "$PORT"
sitelist "$W/https.yaml" "$((H / 2))" https "$TPORT"

measure() {	# measure LABEL CMD...: wall, CPU, peak RSS via GNU time
	shift
	/usr/bin/time -f "%e %U %S %M" -o "$W/time" "$@" >"$W/out" 2>&1 ||
	    { cat "$W/out"; return 1; }
	set -- $(cat "$W/time")
	printf '%s %s %s\n' "$1" "$(echo "$2 + $3" | bc)" "$4"
}

if [ -n "${BENCH_HOOK:-}" ]; then	# experiments: run a command here
	W=$W TPORT=$TPORT PORT=$PORT sh -c "$BENCH_HOOK"
	exit 0
fi

# warm-up (page cache, nginx workers)
"$BIN" "$W/http.yaml" >/dev/null
ab -q -n 2000 -c 200 "http://127.0.1.1:$PORT/health" >/dev/null

# shellcheck disable=SC2086
P=$(measure probe $WRAP "$BIN" "$W/http.yaml")
PLINE=$(cat "$W/out")
A=$(measure ab ab -n "$((2 * N))" -c 200 "http://127.0.1.1:$PORT/health")
AFAIL=$(awk '/^Failed requests:/ { print $3 }' "$W/out")
# shellcheck disable=SC2086
S=$(measure probe $WRAP "$BIN" "$W/https.yaml")
SLINE=$(cat "$W/out")
SA=$(measure ab ab -n "$H" -c 200 -f TLS1.3 "https://127.0.1.1:$TPORT/health")

echo "probe round:  $PLINE"
echo "ab (HTTP):    $((2 * N)) requests, -c 200, failed ${AFAIL:-?}"
echo "probe HTTPS:  $SLINE"
echo
printf '%-28s %10s %10s %12s\n' "run" "wall s" "cpu s" "peak RSS MiB"
row() { set -- "$1" $2; printf '%-28s %10s %10s %12.1f\n' "$1" "$2" "$3" "$(echo "$4 / 1024" | bc -l)"; }
row "dnsfailover $((2 * N)) HTTP" "$P"
row "ab -n $((2 * N)) -c 200" "$A"
row "dnsfailover $H HTTPS" "$S"
row "ab -n $H -c 200 HTTPS" "$SA"
pw=$(echo "$P" | cut -d' ' -f1); aw=$(echo "$A" | cut -d' ' -f1)
sw=$(echo "$S" | cut -d' ' -f1)
echo
echo "HTTP wall ratio dnsfailover/ab: $(echo "scale=2; $pw / $aw" | bc)  (target <= 1.5)"
echo "HTTPS probes per second (whole process): $(echo "scale=0; $H / $sw" | bc)  (target >= 800)"
