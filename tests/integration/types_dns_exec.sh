# types_dns_exec.sh: the dns and exec check types through "dnsfailover
# probe", "check", "status" and "run", against real BIND and scripts,
# asserted with dig.  Sourced by run.sh (run, ok, not_ok, contains, lacks,
# expect_rc, $BIN, $WORK, $PIDS, cleanup).
#
# BIND A (tests/fixture/dns.sh, 127.0.0.1) is the zone's server and the
# target of the dns checks; BIND B (::1, same port, the same zone file,
# never updated) is the failover of the dns-checked site.  (named listens
# only on addresses the host has, so not on 127.0.0.9.)

T=$WORK/types
mkdir -p "$T/b" "$T/ctl" "$T/bin"
TPORT=$((12000 + ($$ * 13) % 7000 + 40))	# check.sh +0, daemon.sh +20
STOP_TDNS="sh $TOP/tests/fixture/dns.sh stop $T/dns"
TB=""
TDAEMON=""
stop_types() {
	[ -n "$TDAEMON" ] && kill "$TDAEMON" 2>/dev/null
	[ -n "$TB" ] && kill "$TB" 2>/dev/null
	TDAEMON=""; TB=""
	$STOP_TDNS >/dev/null 2>&1
}
trap 'stop_types; cleanup' EXIT INT TERM
if ! sh "$TOP/tests/fixture/dns.sh" start "$T/dns" "$TPORT" bind \
    >"$T/dns.out" 2>&1; then
	not_ok "types: BIND starts" "$(cat "$T/dns.out")"
	return 0 2>/dev/null || exit 1
fi
cat >"$T/t.key" <"$T/dns/key"
chmod 600 "$T/t.key"
cp "$T/dns/bind/example.test.db" "$T/b/example.test.db"
cat >"$T/b/named.conf" <<CONF
options {
	directory "$T/b";
	pid-file "$T/b/named.pid";
	session-keyfile "$T/b/session.key";
	managed-keys-directory "$T/b";
	listen-on { none; };
	listen-on-v6 port $TPORT { ::1; };
	recursion no;
	dnssec-validation no;
	notify no;
};
controls { };
zone "example.test" { type primary; file "$T/b/example.test.db"; };
CONF
named -c "$T/b/named.conf" -g >"$T/b.log" 2>&1 &
TB=$!
tq() { dig +short -p "$TPORT" @"${3:-127.0.0.1}" "$1" "${2:-A}" | sort | tr '\n' ' ' | sed 's/ $//'; }
for _ in $(seq 1 100); do [ "$(tq api.example.test A ::1)" = 192.0.2.11 ] && break; sleep 0.1; done
[ "$(tq api.example.test A ::1)" = 192.0.2.11 ] || not_ok "types: BIND B starts" "$(cat "$T/b.log")"
tupdate() {	# tupdate NAME ADDR: NAME's A RRset on BIND A becomes ADDR
	printf 'server 127.0.0.1 %s\nzone example.test\nupdate delete %s A\nupdate add %s 30 A %s\nsend\n' \
	    "$TPORT" "$1" "$1" "$2" | nsupdate -k "$T/t.key"
}
# has NAME TEXT REGEX: a line of TEXT matches REGEX (grep -E)
has() {
	if printf '%s\n' "$2" | grep -Eq -- "$3"; then ok "$1"; else
		not_ok "$1" "no line matches: $3" "in: $2"
	fi
}

# The exec check: $1/ADDRESS says what to do for that address.
cat >"$T/bin/ctl.sh" <<'EOF'
#!/bin/sh
env | sort >"$1/env.$DNSFAILOVER_ADDRESS"
b=$(cat "$1/$DNSFAILOVER_ADDRESS" 2>/dev/null || echo up)
case $b in
up)	exit 0 ;;
hang)	sleep 100 & echo $! >"$1/grandchild.$DNSFAILOVER_ADDRESS"; exec sleep 100 ;;
leave)	sleep 100 & echo $! >"$1/grandchild.$DNSFAILOVER_ADDRESS"; exit 0 ;;
*)	echo "$b"; exit 1 ;;
esac
EOF
chmod 755 "$T/bin/ctl.sh"
behave() { if [ "$2" = up ]; then rm -f "$T/ctl/$1"; else echo "$2" >"$T/ctl/$1"; fi; }
# dead PIDFILE: the process it names is gone (or a zombie of init's)
dead() {
	_p=$(cat "$1" 2>/dev/null) || return 0
	[ ! -e "/proc/$_p" ] || grep -q '^State:.*Z' "/proc/$_p/status" 2>/dev/null
}

cat >"$T/s.yaml" <<YAML
dns: {servers: ["127.0.0.1:$TPORT"], key_file: t.key, timeout: 2s}
defaults: {ttl: 30, fall: 2, rise: 2}
sites:
  - name: dnsx.example.test
    zone: example.test
    primary: 127.0.0.1
    failover: "::1"
    check: {type: dns, port: $TPORT, timeout: 1s, query: {name: api.example.test, type: A, expect: 192.0.2.11}}
  - name: ex.example.test
    zone: example.test
    primary: 127.0.0.2
    failover: 127.0.0.3
    check: {type: exec, timeout: 1s, command: ["$T/bin/ctl.sh", "$T/ctl"]}
state_file: state
YAML
# probe only: each site one way a dns check fails
cat >"$T/p.yaml" <<YAML
dns: {servers: ["127.0.0.1:$TPORT"], key_file: t.key}
defaults: {primary: 127.0.0.1, failover: "::1"}
sites:
  - {name: wrong.example.test, check: {type: dns, port: $TPORT, query: {name: api.example.test, type: A, expect: 192.0.2.99}}}
  - {name: nx.example.test, check: {type: dns, port: $TPORT, query: {name: nosuch.example.test, type: A}}}
  - {name: other.example.test, check: {type: dns, port: $TPORT, query: {name: www.other.test, type: A}}}
  - {name: nodata.example.test, check: {type: dns, port: $TPORT, query: {name: www.example.test, type: AAAA}}}
  - {name: closed.example.test, check: {type: dns, port: $((TPORT + 1)), query: {name: www.example.test, type: A}}}
  - {name: ns.example.test, check: {type: dns, port: $TPORT, query: {name: example.test, type: NS, expect: NS1.example.test}}}
YAML
tchk() { (cd "$T" && SECRET_OF_THE_MONITOR=s3cret "$BIN" "$@" -c s.yaml check >"$T/out" 2>"$T/err"); rc=$?; out=$(cat "$T/out"); err=$(cat "$T/err"); }
tprobe() { (cd "$T" && SECRET_OF_THE_MONITOR=s3cret "$BIN" -c "$1" probe "$2" >"$T/out" 2>"$T/err"); rc=$?; out=$(cat "$T/out"); err=$(cat "$T/err"); }

# ---- dns: probe ----

tprobe s.yaml dnsx.example.test
expect_rc "types: probe a dns site" 0
has "types: dns probe of BIND A is up" "$out" "^primary +127\.0\.0\.1 +ok "
has "types: dns probe of BIND B (IPv6) is up" "$out" "^failover +::1 +ok "
contains "types: probe describes the query" "$out" "query api.example.test A"
tprobe p.yaml wrong.example.test
has "types: dns answer without expect: expected answer not found" "$out" \
    "^primary +127\.0\.0\.1 +FAIL +expected answer not found .*\(found 192\.0\.2\.11\)"
tprobe p.yaml nx.example.test
has "types: dns NXDOMAIN is a DNS error" "$out" "^primary +127\.0\.0\.1 +FAIL +DNS error .*\(NXDOMAIN\)"
tprobe p.yaml other.example.test
has "types: dns REFUSED (not its zone) is a DNS error" "$out" "^primary +127\.0\.0\.1 +FAIL +DNS error .*\(REFUSED\)"
tprobe p.yaml nodata.example.test
has "types: dns NODATA (no AAAA) is down" "$out" "^primary +127\.0\.0\.1 +FAIL +expected answer not found .*\(no AAAA record in the answer\)"
tprobe p.yaml closed.example.test
has "types: dns to a closed port: connect refused" "$out" "^primary +127\.0\.0\.1 +FAIL +connect refused"
tprobe p.yaml ns.example.test
has "types: dns names compare without case or final dot" "$out" "^primary +127\.0\.0\.1 +ok "

# ---- dns: check, failover driven by the dns check ----

tchk; expect_rc "types: check, first round" 0
[ "$(tq dnsx.example.test)" = "127.0.0.1" ] && ok "types: dns-checked site published on its primary" ||
    not_ok "types: dns-checked site published on its primary" "$(tq dnsx.example.test)" "$err"
tupdate api.example.test 192.0.2.50	# BIND A no longer serves what is expected
tchk
[ "$(tq dnsx.example.test)" = "127.0.0.1" ] && ok "types: dns check failed once (fall 2): unchanged" ||
    not_ok "types: dns check failed once (fall 2): unchanged" "$(tq dnsx.example.test)" "$err"
tchk; expect_rc "types: check, failover round" 0
[ "$(tq dnsx.example.test)" = "" ] && [ "$(tq dnsx.example.test AAAA)" = "::1" ] &&
    ok "types: a failing dns check fails over (dig: no A, AAAA ::1)" ||
    not_ok "types: a failing dns check fails over (dig)" "A $(tq dnsx.example.test) AAAA $(tq dnsx.example.test AAAA)" "$err"
contains "types: ... logged with the reason" "$err" "dnsx.example.test: primary 127.0.0.1 down (2/2 failed: expected answer not found"
tupdate api.example.test 192.0.2.11
tchk; tchk
[ "$(tq dnsx.example.test)" = "127.0.0.1" ] && [ "$(tq dnsx.example.test AAAA)" = "" ] &&
    ok "types: the dns check passes again: restored after rise (dig)" ||
    not_ok "types: the dns check passes again: restored after rise (dig)" "$(tq dnsx.example.test)" "$err"

# ---- exec: probe ----

tprobe s.yaml ex.example.test
has "types: exec primary up" "$out" "^primary +127\.0\.0\.2 +ok "
has "types: exec failover up" "$out" "^failover +127\.0\.0\.3 +ok "
e=$(cat "$T/ctl/env.127.0.0.2" 2>/dev/null)
contains "types: exec gets DNSFAILOVER_ADDRESS" "$e" "DNSFAILOVER_ADDRESS=127.0.0.2"
contains "types: exec gets DNSFAILOVER_FAMILY" "$e" "DNSFAILOVER_FAMILY=4"
contains "types: exec gets DNSFAILOVER_SITE" "$e" "DNSFAILOVER_SITE=ex.example.test"
contains "types: exec gets DNSFAILOVER_HOST" "$e" "DNSFAILOVER_HOST=ex.example.test"
lacks "types: exec gets none of the monitor's environment" "$e" "SECRET_OF_THE_MONITOR"
behave 127.0.0.2 "disk full on /data"
tprobe s.yaml ex.example.test
has "types: exec exit 1: command failed with its first line" "$out" \
    "^primary +127\.0\.0\.2 +FAIL +command failed .*\(exit 1: disk full on /data\)"
behave 127.0.0.2 hang
t0=$(date +%s%3N)
tprobe s.yaml ex.example.test
dt=$(($(date +%s%3N) - t0))
has "types: exec hang: killed at the timeout" "$out" "^primary +127\.0\.0\.2 +FAIL +timeout .*\(killed after 1000 ms\)"
[ "$dt" -lt 3000 ] && ok "types: exec hang: probe returns in about the timeout ($dt ms)" ||
    not_ok "types: exec hang: probe returns in about the timeout" "$dt ms"
sleep 0.2
dead "$T/ctl/grandchild.127.0.0.2" && ok "types: exec hang: what the command started is killed too" ||
    not_ok "types: exec hang: what the command started is killed too" "$(ps -o pid,stat,args -p "$(cat "$T/ctl/grandchild.127.0.0.2")")"

# ---- exec: check and status ----

behave 127.0.0.2 "disk full on /data"
tchk; tchk
[ "$(tq ex.example.test)" = "127.0.0.3" ] && ok "types: a failing exec check fails over (dig)" ||
    not_ok "types: a failing exec check fails over (dig)" "$(tq ex.example.test)" "$err"
contains "types: ... logged with the command's reason" "$err" "ex.example.test: primary 127.0.0.2 down (2/2 failed: command failed: exit 1: disk full on /data)"
(cd "$T" && "$BIN" -c s.yaml status ex.example.test >"$T/out" 2>&1)
contains "types: status shows the command's reason" "$(cat "$T/out")" "exit 1: disk full on /data"
behave 127.0.0.2 up
tchk; tchk
[ "$(tq ex.example.test)" = "127.0.0.2" ] && ok "types: exec check passes again: restored (dig)" ||
    not_ok "types: exec check passes again: restored (dig)" "$(tq ex.example.test)" "$err"

# ---- run: exec checks in the daemon, no zombie, no descriptor leak ----

behave 127.0.0.2 hang
behave 127.0.0.3 leave
sed -e 's/^defaults: {/defaults: {interval: 1s, check: {timeout: 500ms}, /' \
    -e 's/timeout: 1s/timeout: 500ms/' "$T/s.yaml" >"$T/r.yaml"
(cd "$T" && exec "$BIN" -v -c r.yaml run) >/dev/null 2>"$T/daemon.log" &
TDAEMON=$!
sleep 1
# 30 samples over 6 s: the most descriptors in the first and the last
# 1.6 s (each longer than a round), so a leak of one per probe shows
zombies=0; peak=0; fd1=0; fd2=0; i=0
while [ "$i" -lt 30 ]; do
	z=$(ps -o stat= --ppid "$TDAEMON" | grep -c '^Z') || :
	n=$(ps -o pid= --ppid "$TDAEMON" | wc -l)
	f=$(ls "/proc/$TDAEMON/fd" 2>/dev/null | wc -l)
	[ "$z" -gt "$zombies" ] && zombies=$z
	[ "$n" -gt "$peak" ] && peak=$n
	[ "$i" -lt 8 ] && [ "$f" -gt "$fd1" ] && fd1=$f
	[ "$i" -ge 22 ] && [ "$f" -gt "$fd2" ] && fd2=$f
	i=$((i + 1))
	sleep 0.2
done
if kill -0 "$TDAEMON" 2>/dev/null; then ok "types: run with exec checks keeps running"; else
	not_ok "types: run with exec checks keeps running" "$(tail -20 "$T/daemon.log")"; fi
# a zombie between a command's end and the next wake-up is fine; one
# that stays is not: sampled 20 times, never more than the probes in flight
[ "$zombies" -le 2 ] && ok "types: run: no zombies pile up (at most $zombies at a sample)" ||
    not_ok "types: run: no zombies pile up" "$zombies zombies" "$(ps -o pid,stat,args --ppid "$TDAEMON")"
[ "$peak" -le 4 ] && ok "types: run: children bounded (peak $peak)" ||
    not_ok "types: run: children bounded" "peak $peak" "$(ps -o pid,stat,args --ppid "$TDAEMON")"
[ -n "$fd1" ] && [ "$fd1" -ge 3 ] && [ "$fd2" -le "$((fd1 + 2))" ] &&
    ok "types: run: descriptors steady ($fd1 -> $fd2)" ||
    not_ok "types: run: descriptors steady" "$fd1 -> $fd2" "$(ls -l "/proc/$TDAEMON/fd")"
[ "$(tq ex.example.test)" = "127.0.0.3" ] && ok "types: run: a hanging exec check fails over (dig)" ||
    not_ok "types: run: a hanging exec check fails over (dig)" "$(tq ex.example.test)" "$(tail -20 "$T/daemon.log")"
kill "$TDAEMON"; wait "$TDAEMON" 2>/dev/null; TDAEMON=""
sleep 0.3
for a in 127.0.0.2 127.0.0.3; do
	dead "$T/ctl/grandchild.$a" && ok "types: run: nothing a command for $a started outlives it" ||
	    not_ok "types: run: nothing a command for $a started outlives it" "$(ps -o pid,stat,args -p "$(cat "$T/ctl/grandchild.$a")")"
done

stop_types
trap cleanup EXIT INT TERM
