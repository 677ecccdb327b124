#!/bin/sh
# peers.sh: several monitors agree before a switch (rules 13-17 of
# doc/rules.md), with real processes: one BIND named serving the site's
# zone example.test and the votes zone _dnsfailover.example.test (a TSIG
# key per monitor, each allowed to write only its own names), the HTTP
# fixture as the site's primary and failover, and three monitors m1, m2,
# m3, each with its own sitelist.yaml, state and keys, its probes leaving
# from its own address.  Asserted with dig on what BIND serves, exit
# codes, the hooks' event files and status --json.
#
# Usage: DNSFAILOVER=/path/to/dnsfailover HTTPD=build/httpd \
#	sh tests/integration/peers.sh
# Standalone (run.sh may run at the same time): ports 20300-20399 and
# loopback addresses 127.0.0.21-29 only; the addresses missing on lo are
# added and removed again at the end.  Every server and daemon started is
# stopped by its pid in the EXIT trap.
#
#	127.0.0.21 .22 .23	m1 m2 m3: probe (and DNS) source addresses
#	127.0.0.24		an address where no DNS server answers
#	127.0.0.25:20380	the site's primary web server
#	127.0.0.26:20380	the site's failover web server
#	127.0.0.29:20353	named
set -u

BIN=${DNSFAILOVER:-$(pwd)/dnsfailover}
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
HTTPD=${HTTPD:-$TOP/build/httpd}
WORK=$(mktemp -d /tmp/dnsfailover-peers.XXXXXX)
PIDS=""		# servers
DAEMONS=""	# dnsfailover run, case 12
ADDED=""	# addresses this script put on lo
NAMED=""
. "$HERE/lib.sh"

NS=127.0.0.29
DPORT=20353
DEADPORT=20354
PRI=127.0.0.25
FOV=127.0.0.26
SITE=www.example.test
Z=example.test
VZ=_dnsfailover.example.test

stop_pid() {	# stop_pid PID: SIGTERM, then SIGKILL after 5 s
	kill "$1" 2>/dev/null || return 0
	for _ in $(seq 1 50); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -9 "$1" 2>/dev/null
}
cleanup() {
	for p in $DAEMONS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	[ -n "$NAMED" ] && stop_pid "$NAMED"
	for a in $ADDED; do ip addr del "$a/32" dev lo 2>/dev/null; done
	if [ -n "${KEEP:-}" ]; then echo "# kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 2' INT TERM

for a in 127.0.0.21 127.0.0.22 127.0.0.23 127.0.0.24 $PRI $FOV $NS; do
	ip -br addr show lo | grep -q " $a/" && continue
	if ip addr add "$a/32" dev lo 2>"$WORK/ip.err"; then
		ADDED="$ADDED $a"
	elif [ "$a" = "$NS" ]; then
		echo "Bail out! cannot add $a to lo: $(cat "$WORK/ip.err")"
		exit 1
	fi
done

# ---- BIND: the site's zone and the votes zone ----

tsig_secret() { head -c 32 /dev/urandom | base64; }
B=$WORK/bind
mkdir -p "$B"
for k in site-key m1-votes m2-votes m3-votes; do
	key "$B/$k.key" "$k" "$(tsig_secret)"
done
cat >"$B/$Z.db" <<ZONE
\$TTL 60
@	IN SOA	ns1.$Z. hostmaster.$Z. ( 1 60 60 3600 60 )
@	IN NS	ns1.$Z.
ns1	IN A	$NS
www	IN A	$PRI
ZONE
cat >"$B/$VZ.db" <<ZONE
\$TTL 60
@	IN SOA	ns1.$Z. hostmaster.$Z. ( 1 60 60 3600 60 )
@	IN NS	ns1.$Z.
ZONE
{
	for k in site-key m1-votes m2-votes m3-votes; do
		echo "include \"$B/$k.key\";"
	done
	cat <<CONF
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
zone "$VZ" {
	type primary;
	file "$B/$VZ.db";
	update-policy {
CONF
	for m in m1 m2 m3; do
		printf '\t\tgrant %s-votes subdomain %s.%s. TXT;\n' $m $m $VZ
		printf '\t\tgrant %s-votes subdomain _hold.%s. TXT;\n' $m $VZ
	done
	cat <<CONF
	};
	allow-transfer { key m1-votes; key m2-votes; key m3-votes; };
};
CONF
} >"$B/named.conf"

dq() {	# dq NAME [TYPE]: what named serves, sorted, on one line
	dig +short +time=2 +tries=1 -p $DPORT @$NS "$1" "${2:-A}" | sort |
	    tr '\n' ' ' | sed 's/ $//'
}
serial() { dig +short +time=2 +tries=1 -p $DPORT @$NS "$1" SOA | awk '{print $3}'; }
named_ready() { [ -n "$(serial $VZ)" ] && [ -n "$(serial $Z)" ]; }

if ! named-checkconf "$B/named.conf" >"$B/check.out" 2>&1 ||
    ! named-checkzone "$Z" "$B/$Z.db" >>"$B/check.out" 2>&1 ||
    ! named-checkzone "$VZ" "$B/$VZ.db" >>"$B/check.out" 2>&1; then
	echo "Bail out! the BIND config: $(cat "$B/check.out")"
	exit 1
fi
named -c "$B/named.conf" -g >"$B/named.log" 2>&1 &
NAMED=$!
if ! wait_for 10 named_ready; then
	echo "Bail out! named did not start: $(tail -20 "$B/named.log")"
	kill "$NAMED" 2>/dev/null
	exit 1
fi
ok "fixture: named serves $Z and $VZ on $NS:$DPORT"

# The server's policy, checked by hand with nsupdate and dig: each votes
# key writes its own names and _hold's, no one else's; each can transfer
# the votes zone, by AXFR and by IXFR from a serial.
nsup() {	# nsup KEYNAME LINE...: a signed update from 127.0.0.21; sets $rc
	k=$1; shift
	{
		echo "server $NS $DPORT"
		echo "local 127.0.0.21"
		for l in "$@"; do echo "$l"; done
		echo send
	} | nsupdate -t 3 -k "$B/$k.key" >"$WORK/nsup.out" 2>&1
	rc=$?
	out=$(cat "$WORK/nsup.out")
	err=""
}
nsup m1-votes "zone $VZ" "update add m1.$VZ 60 TXT \"v=1\" \"beat=0\""
expect_rc "fixture: m1-votes writes m1.$VZ" 0
nsup m1-votes "zone $VZ" "update add x.m1.$VZ 60 TXT \"v=1\""
expect_rc "fixture: m1-votes writes below m1.$VZ" 0
nsup m1-votes "zone $VZ" "update add x._hold.$VZ 60 TXT \"v=1\""
expect_rc "fixture: m1-votes writes below _hold.$VZ" 0
nsup m1-votes "zone $VZ" "update add m2.$VZ 60 TXT \"v=1\""
expect_rc "fixture: m1-votes may not write m2.$VZ (exit 2)" 2
contains "fixture: ... refused" "$out" "REFUSED"
nsup m1-votes "zone $VZ" "update add x.m2.$VZ 60 TXT \"v=1\""
expect_rc "fixture: m1-votes may not write below m2.$VZ" 2
nsup m1-votes "zone $VZ" "update add m1.$VZ 60 HINFO \"a\" \"b\""
expect_rc "fixture: m1-votes may write only TXT" 2
nsup m2-votes "zone $VZ" "update delete m1.$VZ TXT"
expect_rc "fixture: m2-votes may not delete m1's heartbeat" 2
nsup m1-votes "zone $Z" "update add www.$Z 60 A 127.0.0.99"
expect_rc "fixture: a votes key may not touch the site's zone" 2
nsup site-key "zone $VZ" "update add m1.$VZ 60 TXT \"v=1\""
expect_rc "fixture: the site key may not write votes" 2
same "fixture: the site's record is untouched" "$(dq www.$Z)" "$PRI"
s0=$(serial $VZ)
nsup m2-votes "zone $VZ" "update add m2.$VZ 60 TXT \"v=1\" \"beat=0\""
dig -b 127.0.0.22 -k "$B/m2-votes.key" -p $DPORT @$NS $VZ "IXFR=$s0" \
    +noall +answer >"$WORK/ixfr" 2>&1
# an incremental answer: SOA new, SOA old, (deletions), SOA new, additions, SOA new
if [ "$(awk '$4 == "SOA" {print $7}' "$WORK/ixfr" | tr '\n' ' ')" = "$((s0 + 1)) $s0 $((s0 + 1)) $((s0 + 1)) " ] &&
    grep -q "^m2\.$VZ\..*TXT.*beat=0" "$WORK/ixfr" &&
    ! grep -q "^m1\.$VZ\." "$WORK/ixfr"; then
	ok "fixture: IXFR from serial $s0 signed with m2-votes is incremental"
else
	not_ok "fixture: IXFR from serial $s0 signed with m2-votes is incremental" "$(cat "$WORK/ixfr")"
fi
dig -b 127.0.0.23 -k "$B/m3-votes.key" -p $DPORT @$NS $VZ AXFR +noall +answer >"$WORK/axfr" 2>&1
grep -q "^m1\.$VZ\." "$WORK/axfr" && grep -q "^m2\.$VZ\." "$WORK/axfr" &&
    ok "fixture: AXFR signed with m3-votes" ||
    not_ok "fixture: AXFR signed with m3-votes" "$(cat "$WORK/axfr")"
dig -p $DPORT @$NS $VZ AXFR +noall +answer >"$WORK/axfr" 2>&1
contains "fixture: an unsigned AXFR is refused" "$(cat "$WORK/axfr")" "Transfer failed"
dig -p $DPORT @$NS $Z AXFR +noall +answer >"$WORK/axfr" 2>&1
contains "fixture: the site's zone does not transfer" "$(cat "$WORK/axfr")" "Transfer failed"
# back to an empty votes zone (through the servers' policy: each its own)
nsup m1-votes "zone $VZ" "update delete m1.$VZ TXT" "update delete x.m1.$VZ TXT" \
    "update delete x._hold.$VZ TXT"
nsup m2-votes "zone $VZ" "update delete m2.$VZ TXT"
[ "$(dig -k "$B/m1-votes.key" -p $DPORT @$NS $VZ AXFR +noall +answer | awk '$4 == "TXT"' | wc -l)" = 0 ] &&
    ok "fixture: the votes zone is empty again" ||
    not_ok "fixture: the votes zone is empty again"

# ---- the web servers: the site's primary and failover ----

HTTPD_PORT_BASE=20380 HTTPD_PORT_SPAN=10
if ! httpd_start $PRI $FOV; then
	echo "Bail out! the HTTP fixture does not start"
	exit 1
fi
WPORT=$PORT
# cutoff MONITOR...: the primary refuses those monitors' probes (by their
# source address); heal MONITOR...: answers them as everyone else again
src() { echo "127.0.0.2${1#m}"; }
cutoff() { for m in "$@"; do ctl "$PRI:$WPORT from $(src "$m") refuse" >/dev/null; done; }
heal() { for m in "$@"; do ctl "$PRI:$WPORT from $(src "$m") default" >/dev/null; done; }

# ---- the monitors m1 m2 m3 ----

# sitelist MONITOR [DNS_SERVER]: the monitor's sitelist.yaml, on stdout
sitelist() {
	cat <<YAML
dns: {servers: ["${2:-$NS:$DPORT}"], key_file: site.key, timeout: 2s}
defaults: {ttl: 30, interval: 1s, fall: 3, rise: 2, check: {port: $WPORT, path: /health, timeout: 500ms}}
sites:
  - {name: $SITE, zone: $Z, primary: $PRI, failover: $FOV}
state_file: state
notify: {exec: "$WORK/$1/hook", timeout: 2s}
monitor:
  id: $1
  peers: [m1, m2, m3]
  quorum: 2
  zone: $VZ
  fresh: 4s
  key_file: votes.key
  source: $(src "$1")
YAML
}
for m in m1 m2 m3; do
	mkdir -p "$WORK/$m"
	sitelist $m >"$WORK/$m/s.yaml"
	(umask 077 && cp "$B/site-key.key" "$WORK/$m/site.key" &&
	    cp "$B/$m-votes.key" "$WORK/$m/votes.key")
	cat >"$WORK/$m/hook" <<HOOK
#!/bin/sh
printf '%s %s %s\n' "\$DNSFAILOVER_EVENT" "\$DNSFAILOVER_SITE" "\$DNSFAILOVER_REASON" >>"$WORK/$m/events"
HOOK
	chmod 755 "$WORK/$m/hook"
	: >"$WORK/$m/events"
	: >"$WORK/$m/log"
done

# chk MONITOR [WRAPPER...]: one "check" of that monitor (with $CONF, default
# s.yaml); $rc, $err, and rc_MONITOR; its stderr is kept in MONITOR/log
chk() {
	_m=$1; shift
	(cd "$WORK/$_m" && exec "$@" "$BIN" -c "${CONF:-s.yaml}" check) \
	    >"$WORK/$_m/out" 2>"$WORK/$_m/err"
	rc=$?
	eval "rc_$_m=$rc"
	err=$(cat "$WORK/$_m/err")
	out=$(cat "$WORK/$_m/out")
	{ echo "== check rc=$rc $(date +%T.%3N)"; echo "$err"; } >>"$WORK/$_m/log"
}
# round MONITOR...: one check of each, in turn
round() { for _r in "$@"; do chk "$_r"; done; }
# together MONITOR...: one check of each, all started at the same instant
together() {
	_pids=""
	for _r in "$@"; do
		(
			cd "$WORK/$_r" && "$BIN" -c s.yaml check >out 2>err
			echo $? >rc
		) &
		_pids="$_pids $!"
	done
	for _p in $_pids; do wait "$_p"; done
	for _r in "$@"; do
		eval "rc_$_r=$(cat "$WORK/$_r/rc")"
		{ echo "== check (together) rc=$(cat "$WORK/$_r/rc") $(date +%T.%3N)"
		    cat "$WORK/$_r/err"; } >>"$WORK/$_r/log"
	done
}
# rounds_until N CMD...: up to N rounds of "$ROUND" (default: m1 m2 m3 in
# turn) until CMD holds; $rounds says how many it took
rounds_until() {
	_n=$1; shift
	rounds=0
	while [ "$rounds" -lt "$_n" ]; do
		rounds=$((rounds + 1))
		# shellcheck disable=SC2086
		${ROUND:-round m1 m2 m3}
		"$@" && return 0
	done
	return 1
}
serves() { [ "$(dq $SITE)" = "$1" ]; }
# the TXT records of the votes zone, one "OWNER DATA" a line (AXFR, m1's key)
votes() {
	dig -k "$B/m1-votes.key" -p $DPORT @$NS $VZ AXFR +noall +answer |
	    awk '$4 == "TXT" { o = $1; $1 = $2 = $3 = $4 = ""; sub(/^ +/, ""); print o, $0 }'
}
# H: the label of the site's names in the votes zone (vote.h): base32hex
# of the first 10 octets of SHA-256 of the name
H=$(printf %s $SITE | sha256sum | cut -c1-20 | xxd -r -p | basenc --base32hex | tr 'A-Z' 'a-z')
view() { dq "$H.$1.$VZ" TXT; }		# view MONITOR: its TXT record
beat() { dq "$1.$VZ" TXT | sed -n 's/.*"beat=\([0-9]*\)".*/\1/p'; }
# events: counted from a mark, over every monitor's events file
mark() { for m in m1 m2 m3; do wc -l <"$WORK/$m/events" >"$WORK/$m/mark"; done; }
new_events() {	# new_events [MONITOR...]: the lines since the mark
	for m in ${*:-m1 m2 m3}; do
		tail -n +$(($(cat "$WORK/$m/mark") + 1)) "$WORK/$m/events" |
		    sed "s/^/$m: /"
	done
}
count() { _e=$1; shift; new_events "$@" | grep -c "^m[0-9]: $_e "; }	# count EVENT [MONITOR...]
js() { (cd "$WORK/$1" && "$BIN" -c s.yaml status --json) 2>/dev/null | jq -r "$2" 2>/dev/null; }
logs() {	# the last checks' stderr of each monitor, for a failure report
	for m in m1 m2 m3; do echo "$m: $(tail -6 "$WORK/$m/log" | tr '\n' '|')"; done
}

# ---- 11. bad monitor: sections: exit 78, FILE:LINE:COL each ----
# (the wanted messages are all in monitor-mistakes.expected)

mistake() {	# mistake FILE LINE6..LINE11: a sitelist whose monitor: is that
	_f=$WORK/bad/$1; shift
	{
		echo "dns: {servers: [\"$NS:$DPORT\"], key_file: site.key}"
		echo "defaults: {interval: 1s, check: {timeout: 500ms}}"
		echo "sites:"
		echo "  - {name: $SITE, zone: $Z, primary: $PRI, failover: $FOV}"
		echo "monitor:"
		for l in "$@"; do echo "$l"; done
	} >"$_f"
}
mkdir -p "$WORK/bad"
cp "$WORK/m1/site.key" "$WORK/m1/votes.key" "$WORK/bad/"
mistake quorum.yaml "  id: m1" "  peers: [m1, m2, m3]" "  quorum: 4" "  zone: $VZ" \
    "  fresh: 4s" "  key_file: votes.key"
mistake notpeer.yaml "  id: m4" "  peers: [m1, m2, m3]" "  quorum: 2" "  zone: $VZ" \
    "  fresh: 4s" "  key_file: votes.key"
mistake duppeer.yaml "  id: m1" "  peers: [m1, m2, m1]" "  quorum: 2" "  zone: $VZ" \
    "  fresh: 4s" "  key_file: votes.key"
mistake fresh.yaml "  id: m1" "  peers: [m1, m2, m3]" "  quorum: 2" "  zone: $VZ" \
    "  fresh: 1s" "  key_file: votes.key"
mistake nozone.yaml "  id: m1" "  peers: [m1, m2, m3]" "  quorum: 2" \
    "  fresh: 4s" "  key_file: votes.key"
mistake badid.yaml "  id: M_1" "  peers: [m1, m2, m3]" "  quorum: 2" "  zone: $VZ" \
    "  fresh: 4s" "  key_file: votes.key"
: >"$WORK/bad/all.err"
allrc=""
for f in quorum notpeer duppeer fresh nozone badid; do
	(cd "$WORK/bad" && "$BIN" validate -c $f.yaml >$f.out 2>$f.err)
	allrc="$allrc $?"
	cat "$WORK/bad/$f.err" >>"$WORK/bad/all.err"
	cat "$WORK/bad/$f.out" >>"$WORK/bad/all.out"
done
same "11: each bad monitor: section exits 78" "$allrc" " 78 78 78 78 78 78"
if diff -u "$HERE/monitor-mistakes.expected" "$WORK/bad/all.err" >"$WORK/bad/diff"; then
	ok "11: the messages, FILE:LINE:COL, exactly"
else
	not_ok "11: the messages, FILE:LINE:COL, exactly" "$(cat "$WORK/bad/diff")"
fi
same "11: nothing on stdout" "$(cat "$WORK/bad/all.out")" ""
(cd "$WORK/bad" && "$BIN" -c quorum.yaml check >check.out 2>check.err)
rc=$? out=$(cat "$WORK/bad/check.out") err=$(cat "$WORK/bad/check.err")
expect_rc "11: check with a bad monitor: exits 78" 78
[ -e "$WORK/bad/state" ] && not_ok "11: ... and saves nothing" || ok "11: ... and saves nothing"

# ---- the monitors' configuration is accepted ----

for m in m1 m2 m3; do
	run sh -c "cd '$WORK/$m' && exec '$BIN' -c s.yaml validate"
	expect_rc "$m: sitelist.yaml with monitor: validates" 0
done
if [ "$rc" -ne 0 ] && [ -z "${PEERS_FORCE:-}" ]; then
	echo "Bail out! the monitors' configuration is refused: $err"
	exit 1
fi
