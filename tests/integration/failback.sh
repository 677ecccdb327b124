#!/bin/sh
# failback.sh: failback control, the flap hold and the history (rules
# 20-22 of doc/rules.md), with real processes: BIND named serving
# example.test, the HTTP fixture as the sites' primaries and failovers,
# dnsfailover check (cron mode) and run (the daemon).  Asserted with dig
# on what BIND serves, the hook's event file, status --json, the metrics
# file and the history (history, history --json through jq).
#
# Usage: DNSFAILOVER=/path/to/dnsfailover HTTPD=build/httpd \
#	sh tests/integration/failback.sh
# Standalone (run.sh and peers.sh may run at the same time): ports
# 20400-20499 and loopback addresses 127.0.0.31-39 only; the addresses
# missing on lo are added and removed again at the end.  Every server and
# daemon started is stopped by its pid in the EXIT trap.  KEEP=1 keeps
# the scratch directory.
#
#	127.0.0.31 .32 .33 .34	primaries of sites m, d, f, x
#	127.0.0.36		the failover of every site
#	127.0.0.39:20453	named
set -u

BIN=${DNSFAILOVER:-$(pwd)/dnsfailover}
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
HTTPD=${HTTPD:-$TOP/build/httpd}
WORK=$(mktemp -d /tmp/dnsfailover-fb.XXXXXX)
PIDS=""
DAEMON=""
ADDED=""
NAMED=""
. "$HERE/lib.sh"

NS=127.0.0.39
DPORT=20453
FOV=127.0.0.36
Z=example.test

cleanup() {
	[ -n "$DAEMON" ] && kill "$DAEMON" 2>/dev/null
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	if [ -n "$NAMED" ]; then
		kill "$NAMED" 2>/dev/null
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$NAMED" 2>/dev/null || break
			sleep 0.2
		done
		kill -9 "$NAMED" 2>/dev/null
	fi
	for a in $ADDED; do ip addr del "$a/32" dev lo 2>/dev/null; done
	if [ -n "${KEEP:-}" ]; then echo "# kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 2' INT TERM

for a in 127.0.0.31 127.0.0.32 127.0.0.33 127.0.0.34 $FOV $NS; do
	ip -br addr show lo | grep -q " $a/" && continue
	if ip addr add "$a/32" dev lo 2>"$WORK/ip.err"; then
		ADDED="$ADDED $a"
	elif [ "$a" = "$NS" ]; then
		echo "Bail out! cannot add $a to lo: $(cat "$WORK/ip.err")"
		exit 1
	fi
done

# ---- BIND ----

B=$WORK/bind
mkdir -p "$B"
SECRET=$(head -c 32 /dev/urandom | base64)
key "$B/site.key" site-key
cat >"$B/$Z.db" <<ZONE
\$TTL 60
@	IN SOA	ns1.$Z. hostmaster.$Z. ( 1 60 60 3600 60 )
@	IN NS	ns1.$Z.
ns1	IN A	$NS
m	IN A	127.0.0.31
d	IN A	127.0.0.32
f	IN A	127.0.0.33
x	IN A	127.0.0.34
ZONE
cat >"$B/named.conf" <<CONF
include "$B/site.key";
options {
	directory "$B";
	pid-file "$B/named.pid";
	session-keyfile "$B/session.key";
	managed-keys-directory "$B";
	listen-on port $DPORT { $NS; };
	listen-on-v6 { none; };
	recursion no;
	allow-query { 127.0.0.0/8; };
	allow-transfer { none; };
	dnssec-validation no;
	notify no;
};
controls { };
zone "$Z" {
	type primary;
	file "$B/$Z.db";
	update-policy { grant site-key zonesub ANY; };
};
CONF
dq() { dig +short +time=2 +tries=1 -p $DPORT @$NS "$1" A | sort | tr '\n' ' ' | sed 's/ $//'; }
serial() { dig +short +time=2 +tries=1 -p $DPORT @$NS $Z SOA | awk '{print $3}'; }
named_ready() { [ -n "$(serial)" ]; }
named -c "$B/named.conf" -g >"$B/named.log" 2>&1 &
NAMED=$!
if ! wait_for 10 named_ready; then
	echo "Bail out! named did not start: $(tail -20 "$B/named.log")"
	exit 1
fi

HTTPD_PORT_BASE=20480 HTTPD_PORT_SPAN=10
if ! httpd_start 127.0.0.31 127.0.0.32 127.0.0.33 127.0.0.34 $FOV; then
	echo "Bail out! the HTTP fixture does not start"
	exit 1
fi
WPORT=$PORT
down() { ctl "$1:$WPORT status 503" >/dev/null; }
up() { ctl "$1:$WPORT ok" >/dev/null; }

# ---- cron mode ----

C=$WORK/cron
mkdir -p "$C"
(umask 077 && cp "$B/site.key" "$C/site.key")
cat >"$C/hook" <<HOOK
#!/bin/sh
printf '%s %s %s\n' "\$DNSFAILOVER_EVENT" "\$DNSFAILOVER_SITE" "\$DNSFAILOVER_REASON" >>"$C/events"
HOOK
chmod 755 "$C/hook"
: >"$C/events"
cat >"$C/s.yaml" <<YAML
dns: {servers: ["$NS:$DPORT"], key_file: site.key, timeout: 2s}
defaults: {ttl: 30, interval: 1s, fall: 2, rise: 2, failover: $FOV,
  check: {port: $WPORT, path: /health, timeout: 500ms}}
state_file: state
metrics_file: metrics.prom
notify: {exec: "$C/hook", timeout: 2s}
sites:
  - {name: m.$Z, zone: $Z, primary: 127.0.0.31, failback: manual}
  - {name: d.$Z, zone: $Z, primary: 127.0.0.32, failback_delay: 3s}
  - {name: f.$Z, zone: $Z, primary: 127.0.0.33, flap: {switches: 2, within: 1h}}
  - {name: x.$Z, zone: $Z, primary: 127.0.0.34}
YAML
run "$BIN" -c "$C/s.yaml" validate
expect_rc "validate: failback, failback_delay and flap are accepted" 0

chk() { (cd "$C" && "$BIN" -c s.yaml check) >"$C/out" 2>"$C/err"; rc=$?; err=$(cat "$C/err"); cat "$C/err" >>"$C/log"; }
js() { (cd "$C" && "$BIN" -c s.yaml status --json) 2>/dev/null | jq -r "$1" 2>/dev/null; }
site_js() { js ".sites[] | select(.name == \"$1\") | $2"; }
count() { grep -c "^$1 $2" "$C/events"; }	# count EVENT SITE
metric() { grep "^$1" "$C/metrics.prom" | awk '{print $2}'; }

chk; chk
same "cron: every site on its primary at first" "$(dq m.$Z) $(dq d.$Z) $(dq f.$Z) $(dq x.$Z)" \
    "127.0.0.31 127.0.0.32 127.0.0.33 127.0.0.34"

# -- manual failback (rule 20) --
down 127.0.0.31
chk; chk
same "manual: the primary down: failover" "$(dq m.$Z)" "$FOV"
up 127.0.0.31
chk; chk; chk; chk
same "manual: the primary up again: the failover stays" "$(dq m.$Z)" "$FOV"
same "manual: failback_ready raised once" "$(count failback_ready m.$Z)" 1
contains "manual: status says it waits" "$( (cd "$C" && "$BIN" -c s.yaml status m.$Z) 2>&1)" "failback"
same "manual: status --json: waiting since a time" \
    "$(site_js m.$Z '.failback.mode, (.failback.waiting_since | type)' | tr '\n' ' ')" "manual number "
same "manual: metric failback_waiting" "$(metric 'dnsfailover_failback_waiting{site="m.example.test"}')" 1
run sh -c "cd '$C' && exec '$BIN' -c s.yaml release m.$Z --reason 'primary verified'"
expect_rc "manual: release" 0
same "manual: release restores the primary" "$(dq m.$Z)" "127.0.0.31"
chk
same "manual: ... and it stays there" "$(dq m.$Z)" "127.0.0.31"
same "manual: status --json: no longer waiting" "$(site_js m.$Z '.failback.waiting_since')" "null"

# -- failback delay, a blip restarts it --
down 127.0.0.32
chk; chk
same "delay: the primary down: failover" "$(dq d.$Z)" "$FOV"
up 127.0.0.32
chk; chk	# rise met: the delay (3 s) starts
same "delay: the primary up: the failover stays for the delay" "$(dq d.$Z)" "$FOV"
sleep 1.5
down 127.0.0.32; chk; up 127.0.0.32	# one failed probe: the delay starts again
chk; chk
sleep 2
chk
same "delay: a blip restarted the delay (3 s not yet since)" "$(dq d.$Z)" "$FOV"
sleep 1.5
chk
same "delay: the primary stayed up for the delay: restored" "$(dq d.$Z)" "127.0.0.32"
same "delay: two switch events, no failback_ready" \
    "$(count switch d.$Z) $(count failback_ready d.$Z)" "2 0"

# -- the flap hold (rule 21) --
down 127.0.0.33; chk; chk
same "flap: switch 1 made" "$(dq f.$Z)" "$FOV"
up 127.0.0.33; chk; chk
same "flap: switch 2 made" "$(dq f.$Z)" "127.0.0.33"
s0=$(serial)
down 127.0.0.33; chk; chk; chk
same "flap: switch 3 (past switches: 2 within 1h) is not made" "$(dq f.$Z)" "127.0.0.33"
same "flap: the zone did not move" "$(serial)" "$s0"
same "flap: a flapping event, once" "$(count flapping f.$Z)" 1
same "flap: status --json: held, reason flapping" \
    "$(site_js f.$Z '"\(.mode) \(.hold.reason)"')" "held flapping"
same "flap: metric flapping" "$(metric 'dnsfailover_flapping{site="f.example.test"}')" 1
run sh -c "cd '$C' && exec '$BIN' -c s.yaml release f.$Z"
expect_rc "flap: release" 0
same "flap: release hands it back: the down primary's site switches" "$(dq f.$Z)" "$FOV"
same "flap: status --json: automatic again" "$(site_js f.$Z '.mode')" "auto"
up 127.0.0.33; chk; chk

# -- flip does not count as a switch --
run sh -c "cd '$C' && exec '$BIN' -c s.yaml flip x.$Z failover"
run sh -c "cd '$C' && exec '$BIN' -c s.yaml release x.$Z"
same "flip and release of x: primary again" "$(dq x.$Z)" "127.0.0.34"
contains "metrics: switches by site and reason" "$(cat "$C/metrics.prom")" \
    'dnsfailover_switches_total{site="f.example.test",reason='

# -- status: the cause of the last change --
down 127.0.0.34; chk; chk
contains "status: the cause of the last change, address and failure" \
    "$( (cd "$C" && "$BIN" -c s.yaml status x.$Z) 2>&1)" "127.0.0.34 down"
contains "status: ... how it failed" "$(site_js x.$Z .last_reason)" "HTTP 503"
up 127.0.0.34; chk; chk

# -- history (rule 22) --
H=$C/state.history
[ -f "$H" ] && ok "history: the log is beside the state file" ||
    not_ok "history: the log is beside the state file" "$(ls -la "$C")"
perm=$(stat -c %a "$H" 2>/dev/null)
case $perm in 600|640) ok "history: mode $perm (no wider than the state file)" ;;
*) not_ok "history: mode" "got $perm" ;; esac
bad=$(jq -c . <"$H" >/dev/null 2>&1 && echo 0 || echo 1)
same "history --json: every line parses with jq" "$bad" 0
run "$BIN" -c "$C/s.yaml" history --json
expect_rc "history --json: exit 0" 0
jl=$(printf '%s\n' "$out" | jq -r 'select(.site == "m.example.test") | .event' | tr '\n' ' ')
same "history: site m's events, oldest first" "$jl" "switch failback_ready release update_applied "
times=$(printf '%s\n' "$out" | jq -r '.ts')
same "history: oldest first throughout" "$(printf '%s\n' "$times" | sort -n | tr '\n' ' ')" \
    "$(printf '%s\n' "$times" | tr '\n' ' ')"
sw=$(printf '%s\n' "$out" | jq -r 'select(.site == "m.example.test" and .event == "switch") | "\(.from) \(.to) \(.serial | type) \(.answer)"')
same "history: a switch says from, to, serial and the server's answer" "$sw" "primary failover number NOERROR"
contains "history: ... and why, with the failing address" \
    "$(printf '%s\n' "$out" | jq -r 'select(.site == "m.example.test" and .event == "switch") | .reason')" "127.0.0.31"
who=$(printf '%s\n' "$out" | jq -r 'select(.site == "m.example.test" and .event == "release") | .who')
if printf %s "$who" | grep -qx '[A-Za-z0-9._-]\{1,\}'; then ok "history: the release names who ($who)"
else not_ok "history: the release names who" "got: $who"; fi
fwho=$(printf '%s\n' "$out" | jq -r 'select(.site == "x.example.test" and .event == "flip") | .who')
same "history: the flip names the same person" "$fwho" "$who"
run "$BIN" -c "$C/s.yaml" history d.$Z
expect_rc "history SITE: exit 0" 0
contains "history SITE: human lines with the cause" "$out" "127.0.0.32"
lacks "history SITE: only that site" "$out" "m.example.test"
run "$BIN" -c "$C/s.yaml" history --since 1h
n_all=$(printf '%s\n' "$out" | grep -c .)
run "$BIN" -c "$C/s.yaml" history --since 30d
same "history --since 30d: whole days too" "$(printf '%s\n' "$out" | grep -c .)" "$n_all"
sleep 2
run "$BIN" -c "$C/s.yaml" history --since 1s
same "history --since 1s: nothing older" "$out" ""
[ "$n_all" -gt 5 ] && ok "history --since 1h: everything ($n_all lines)" ||
    not_ok "history --since 1h: everything" "$n_all lines"
printf 'this is not json\n{"ts": "garbage"\n' >>"$H"
run "$BIN" -c "$C/s.yaml" history
expect_rc "history: garbage lines: still exit 0" 0
contains "history: garbage lines skipped with a warning" "$err" "skipped"
same "history: the good lines still shown" "$(printf '%s\n' "$out" | grep -c .)" "$n_all"
chk	# a new line after the garbage
run "$BIN" -c "$C/s.yaml" history --json
same "history: lines appended after garbage are read" \
    "$(printf '%s\n' "$out" | tail -1 | jq -r '.ts | type')" "number"

# ---- daemon mode: failback delay and flapping, interval 1s ----

R=$WORK/daemon
mkdir -p "$R"
(umask 077 && cp "$B/site.key" "$R/site.key")
: >"$R/events"
sed "s#$C/events#$R/events#" "$C/hook" >"$R/hook"
chmod 755 "$R/hook"
cat >"$R/s.yaml" <<YAML
dns: {servers: ["$NS:$DPORT"], key_file: site.key, timeout: 2s}
defaults: {ttl: 30, interval: 1s, fall: 2, rise: 2, failover: $FOV,
  check: {port: $WPORT, path: /health, timeout: 500ms}}
state_file: state
notify: {exec: "$R/hook", timeout: 2s}
sites:
  - {name: d.$Z, zone: $Z, primary: 127.0.0.32, failback_delay: 4s}
  - {name: f.$Z, zone: $Z, primary: 127.0.0.33, flap: {switches: 2, within: 1h}}
YAML
(cd "$R" && exec "$BIN" -c s.yaml run) 2>"$R/daemon.log" &
DAEMON=$!
wait_for 10 grep -q watching "$R/daemon.log" || not_ok "daemon: starts" "$(cat "$R/daemon.log")"
serves() { [ "$(dq "$1")" = "$2" ]; }
down 127.0.0.32
wait_for 10 serves d.$Z $FOV && ok "daemon delay: failover" || not_ok "daemon delay: failover" "$(dq d.$Z)"
up 127.0.0.32
t0=$(now_ms)
wait_for 15 serves d.$Z 127.0.0.32 && t=$(( $(now_ms) - t0 )) || t=none
# rise 2 at 1 s, then 4 s up: at least 4.5 s after the primary came back
if [ "$t" != none ] && [ "$t" -ge 4500 ]; then ok "daemon delay: restored after the delay ($t ms)"
else not_ok "daemon delay: restored after the delay" "took $t ms"; fi
down 127.0.0.33
wait_for 10 serves f.$Z $FOV && ok "daemon flap: switch 1" || not_ok "daemon flap: switch 1"
up 127.0.0.33
wait_for 10 serves f.$Z 127.0.0.33 && ok "daemon flap: switch 2" || not_ok "daemon flap: switch 2"
down 127.0.0.33
sleep 4
same "daemon flap: switch 3 not made" "$(dq f.$Z)" "127.0.0.33"
same "daemon flap: one flapping event" "$(grep -c '^flapping f.example.test' "$R/events")" 1
run sh -c "cd '$R' && exec '$BIN' -c s.yaml release f.$Z"
expect_rc "daemon flap: release" 0
wait_for 10 serves f.$Z $FOV && ok "daemon flap: released: switched" || not_ok "daemon flap: released: switched" "$(dq f.$Z)"
up 127.0.0.33
kill "$DAEMON"; wait "$DAEMON"; rc=$?; DAEMON=""
same "daemon: SIGTERM: exit 0" "$rc" 0
(cd "$R" && "$BIN" -c s.yaml history --json) >"$R/h.json" 2>/dev/null
same "daemon: history has the flapping hold" \
    "$(jq -r 'select(.event == "flapping") | .site' "$R/h.json")" "f.example.test"

echo "failback: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
