#!/bin/sh
# demo.sh: dnsfailover end to end on loopback, in under a minute.
# A throwaway BIND (zone example.test, TSIG key made now) and two web
# servers: primary 127.0.0.2, failover 127.0.0.3.  Everything started
# here is stopped by its pid at the end, whatever happens.
set -eu
BIN=${DNSFAILOVER:-./dnsfailover}
HTTPD=${HTTPD:-build/httpd}
TOP=$(pwd)
W=$(mktemp -d /tmp/dnsfailover-demo.XXXXXX)
DPORT=$((19000 + $$ % 900 * 2))	# below the ephemeral range
WPORT=$((DPORT + 1))
WEB=""
DAEMON=""
cleanup() {
	[ -n "$DAEMON" ] && kill "$DAEMON" 2>/dev/null
	[ -n "$WEB" ] && kill "$WEB" 2>/dev/null
	sh "$TOP/tests/fixture/dns.sh" stop "$W/dns" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT INT TERM

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '   dig www.example.test A: %s\n' \
    "$(dig +short -p "$DPORT" @127.0.0.1 www.example.test A | tr '\n' ' ')"; }
check() { printf '$ dnsfailover check\n'; "$BIN" -c "$W/sitelist.yaml" check || true; show; }

say "starting BIND on 127.0.0.1:$DPORT and web servers on 127.0.0.2/.3:$WPORT"
sh "$TOP/tests/fixture/dns.sh" start "$W/dns" "$DPORT" bind
cp "$W/dns/key" "$W/update.key"
"$HTTPD" -d "$W" "127.0.0.2:$WPORT" "127.0.0.3:$WPORT" &
WEB=$!
sleep 0.3
cat >"$W/sitelist.yaml" <<YAML
dns: {servers: ["127.0.0.1:$DPORT"], key_file: update.key}
defaults: {ttl: 30, fall: 2, rise: 2, check: {port: $WPORT, path: /health, timeout: 1s}}
sites:
  - {name: www.example.test, zone: example.test, primary: 127.0.0.2, failover: 127.0.0.3}
state_file: state
YAML
sed 's/^/   /' "$W/sitelist.yaml"
show

say "round 1: the configured primary replaces the zone's old address"
check
say "round 2: both web servers answer; nothing to do"
check

say "the primary web server stops (connection refused)"
"$HTTPD" ctl "$W" "set 127.0.0.2:$WPORT down"
check
say "second failed round: fall is 2, so it switches"
check

say "the primary comes back"
"$HTTPD" ctl "$W" "set 127.0.0.2:$WPORT up"
check
say "second good round: rise is 2, so it is restored"
check

say "on-call flips the site to the failover for 10 minutes"
printf '$ dnsfailover flip www.example.test failover --for 10m --reason "demo"\n'
"$BIN" -c "$W/sitelist.yaml" flip www.example.test failover --for 10m \
    --reason "demo"
show
check
printf '$ dnsfailover status\n'
"$BIN" -c "$W/sitelist.yaml" status | sed 's/^/   /'

say "and hands it back"
printf '$ dnsfailover release www.example.test\n'
"$BIN" -c "$W/sitelist.yaml" release www.example.test
show

say "the daemon: each site probed every second (interval: 1s, fall 2)"
sed 's/fall: 2, rise: 2/interval: 1s, fall: 2, rise: 2/; s/timeout: 1s/timeout: 500ms/' \
    "$W/sitelist.yaml" >"$W/daemon.yaml"
printf '$ dnsfailover run &\n'
"$BIN" -c "$W/daemon.yaml" run 2>"$W/daemon.log" &
DAEMON=$!
sleep 2.5
"$HTTPD" ctl "$W" "set 127.0.0.2:$WPORT down"
say "the primary stops; the daemon switches within about two seconds"
t0=$(date +%s%3N)
while [ "$(dig +short -p "$DPORT" @127.0.0.1 www.example.test A)" != 127.0.0.3 ]; do
	[ $(($(date +%s%3N) - t0)) -lt 10000 ] || break
	sleep 0.05
done
printf '   failover served %s ms after the primary stopped\n' "$(($(date +%s%3N) - t0))"
show
"$HTTPD" ctl "$W" "set 127.0.0.2:$WPORT up"
say "the primary comes back; restored after two good probes"
sleep 2.5
show
kill "$DAEMON"
wait "$DAEMON" || true
DAEMON=""
printf '   the daemon said:\n'
sed 's/^/   /' "$W/daemon.log"

say "done: every server stopped, $W removed"
