# check.sh: "dnsfailover check" against a real BIND (TSIG) and the HTTP
# fixture on 127.0.0.x, asserted with dig.  Sourced by run.sh, which
# provides run, ok, not_ok, contains, lacks, expect_rc, $BIN, $HTTPD,
# $WORK, $PIDS and the EXIT trap.

C=$WORK/check
mkdir -p "$C"
DPORT=$((12000 + ($$ * 13) % 7000))	# below the ephemeral range
STOP_DNS="sh $TOP/tests/fixture/dns.sh stop $C/dns"
if ! sh "$TOP/tests/fixture/dns.sh" start "$C/dns" "$DPORT" bind \
    >"$C/dns.out" 2>&1; then
	not_ok "check: BIND starts" "$(cat "$C/dns.out")"
	return 0 2>/dev/null || exit 1
fi
trap 'cleanup; $STOP_DNS' EXIT INT TERM
cat >"$C/pdns.key" <"$C/dns/key"
chmod 600 "$C/pdns.key"

# the web servers: 127.0.0.2 and ::1 primary, 127.0.0.3 failover, .4, .5
mkdir -p "$C/web"
WPORT=$((PORT + 7))
"$HTTPD" -d "$C/web" 127.0.0.2:$WPORT 127.0.0.3:$WPORT 127.0.0.4:$WPORT \
    127.0.0.5:$WPORT 127.0.0.6:$WPORT "[::1]:$WPORT" 2>"$C/web.err" &
PIDS="$PIDS $!"
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -f "$C/web/httpd.pid" ] && break; sleep 0.1; done
web() { a=$1; shift; "$HTTPD" ctl "$C/web" "set $a:$WPORT $*"; }
web6() { "$HTTPD" ctl "$C/web" "set [::1]:$WPORT $*"; }
q() { dig +short -p "$DPORT" @127.0.0.1 "$1" "${2:-A}" | sort | tr '\n' ' ' | sed 's/ $//'; }
ttl() { dig +noall +answer -p "$DPORT" @127.0.0.1 "$1" A | awk '{print $2}' | head -1; }
serial() { dig +short -p "$DPORT" @127.0.0.1 example.test SOA | awk '{print $3}'; }

cat >"$C/s.yaml" <<YAML
dns: {servers: ["127.0.0.1:$DPORT"], key_file: pdns.key, timeout: 2s}
defaults: {ttl: 30, fall: 3, rise: 2, check: {port: $WPORT, timeout: 1s}}
sites:
  - {name: www.example.test, zone: example.test, primary: 127.0.0.2, failover: 127.0.0.3}
  - {name: api.example.test, zone: example.test, primary: [127.0.0.4, 127.0.0.5], failover: 127.0.0.3}
  - {name: v6.example.test, zone: example.test, primary: [127.0.0.6, "::1"], failover: 127.0.0.3}
state_file: state
YAML
chk() { (cd "$C" && "$BIN" "$@" -c s.yaml check >"$C/out" 2>"$C/err"); rc=$?; out=$(cat "$C/out"); err=$(cat "$C/err"); }

# round 1 publishes the configured primaries (the zone had others), then
# everything is healthy: nothing more is sent
chk; expect_rc "check: first round" 0
contains "check: first round publishes the primary" "$(q www.example.test)" "127.0.0.2"
chk; chk
s1=$(serial)
chk; expect_rc "check: healthy round" 0
[ "$(serial)" = "$s1" ] && ok "check: healthy -> nothing sent (serial $s1)" ||
    not_ok "check: healthy -> nothing sent" "serial $s1 -> $(serial)"
contains "check: v6 site publishes AAAA" "$(q v6.example.test AAAA)" "::1"

# primary down: unchanged for fall-1 rounds, failover after fall
web 127.0.0.2 down
chk; chk
[ "$(q www.example.test)" = "127.0.0.2" ] && ok "check: unchanged after fall-1 failed rounds" ||
    not_ok "check: unchanged after fall-1 failed rounds" "$(q www.example.test)"
chk; expect_rc "check: failover round" 0
[ "$(q www.example.test)" = "127.0.0.3" ] && ok "check: failover A record after fall rounds" ||
    not_ok "check: failover A record after fall rounds" "$(q www.example.test)" "$err"
[ "$(ttl www.example.test)" = "30" ] && ok "check: with the configured TTL" ||
    not_ok "check: with the configured TTL" "$(ttl www.example.test)"
contains "check: the log says why" "$err" "www.example.test: primary 127.0.0.2 down (3/3 failed: connect refused); switched to failover 127.0.0.3"

# back: restored after rise rounds
web 127.0.0.2 up
chk
[ "$(q www.example.test)" = "127.0.0.3" ] && ok "check: still failover after rise-1" ||
    not_ok "check: still failover after rise-1" "$(q www.example.test)"
chk
[ "$(q www.example.test)" = "127.0.0.2" ] && ok "check: restored after rise rounds" ||
    not_ok "check: restored after rise rounds" "$(q www.example.test)" "$err"

# a pool member down leaves the RRset; the other stays
web 127.0.0.4 status 503
chk; e1=$err; chk; e2=$err; chk
[ "$(q api.example.test)" = "127.0.0.5" ] && ok "check: pool member down leaves the RRset" ||
    not_ok "check: pool member down leaves the RRset" "$(q api.example.test)" "$e1" "$e2" "$err"
web 127.0.0.4 ok

# IPv6 primary with an IPv4-only failover: AAAA deleted, then restored
web 127.0.0.6 down; web6 down
chk; chk; chk
[ "$(q v6.example.test AAAA)" = "" ] && [ "$(q v6.example.test)" = "127.0.0.3" ] &&
    ok "check: failover deletes the AAAA RRset" ||
    not_ok "check: failover deletes the AAAA RRset" "A $(q v6.example.test) AAAA $(q v6.example.test AAAA)" "$err"
web 127.0.0.6 up; web6 up
chk; chk
[ "$(q v6.example.test AAAA)" = "::1" ] && [ "$(q v6.example.test)" = "127.0.0.6" ] &&
    ok "check: restore brings the AAAA back" ||
    not_ok "check: restore brings the AAAA back" "A $(q v6.example.test) AAAA $(q v6.example.test AAAA)" "$err"

# two sites in one zone failing together: one UPDATE message
web 127.0.0.2 down; web 127.0.0.4 down; web 127.0.0.5 down
chk; chk; chk -v
contains "check: two sites, one zone, one message" "$err" "zone example.test: 2 records, 1 messages, applied"
[ "$(q www.example.test)" = "127.0.0.3" ] && [ "$(q api.example.test)" = "127.0.0.3" ] &&
    ok "check: both sites on failover" ||
    not_ok "check: both sites on failover" "$(q www.example.test) / $(q api.example.test)"

# both down: nothing changes, both_down logged
web 127.0.0.3 down
chk; chk; chk
expect_rc "check: both down is not an error" 0
[ "$(q www.example.test)" = "127.0.0.3" ] && ok "check: both down -> records left as they are" ||
    not_ok "check: both down -> records left as they are" "$(q www.example.test)"
contains "check: both down logged" "$err" "every primary and failover address is down"
web 127.0.0.3 up; web 127.0.0.2 up; web 127.0.0.4 up; web 127.0.0.5 up
chk; chk

# DNS server stopped during a failover: 75, pending, applied once back
[ "$(q www.example.test)" = "127.0.0.2" ] || chk
$STOP_DNS
web 127.0.0.2 down
chk; chk; chk
expect_rc "check: DNS server down -> exit 75" 75
contains "check: the change is kept pending" "$(cat "$C/state")" "pending: {want: [\"127.0.0.3\"]"
sh "$TOP/tests/fixture/dns.sh" resume "$C/dns" "$DPORT" >/dev/null 2>&1
chk
expect_rc "check: server back -> applied" 0
[ "$(q www.example.test)" = "127.0.0.3" ] && ok "check: pending change applied by the next round" ||
    not_ok "check: pending change applied by the next round" "$(q www.example.test)" "$err"
web 127.0.0.2 up; chk; chk

# a record changed behind our back is not overwritten: drift
printf 'server 127.0.0.1 %s\nzone example.test\nupdate delete www.example.test A\nupdate add www.example.test 30 A 192.0.2.99\nsend\n' "$DPORT" |
    nsupdate -k "$C/pdns.key"
web 127.0.0.2 down
chk; chk; chk
[ "$(q www.example.test)" = "192.0.2.99" ] && ok "check: a record changed by others is not overwritten" ||
    not_ok "check: a record changed by others is not overwritten" "$(q www.example.test)" "$err"
contains "check: drift recorded" "$(cat "$C/state")" "drift: true"
contains "check: drift logged" "$err" "changed by someone else"

# flip writes unconditionally (ending the drift), holds, release hands back
web 127.0.0.2 up
fl() { (cd "$C" && "$BIN" -c s.yaml "$@" >"$C/out" 2>"$C/err"); rc=$?; err=$(cat "$C/err"); }
fl flip www.example.test failover --reason "db migration"
expect_rc "flip: exit 0" 0
[ "$(q www.example.test)" = "127.0.0.3" ] && ok "flip: the failover is published over the drift" ||
    not_ok "flip: the failover is published over the drift" "$(q www.example.test)" "$err"
contains "flip: logged with who and why" "$err" "www.example.test: held on failover by"
contains "flip: and the reason" "$err" ": db migration"
lacks "flip: drift is over" "$(cat "$C/state")" "drift: true"
chk; chk; chk
fl status
contains "status: a held site says by whom and why" "$(cat "$C/out")" "failover, held by"
contains "status: and the reason" "$(cat "$C/out")" ": db migration"
contains "status: every address with its health" "$(cat "$C/out")" "primary   127.0.0.2                  up"
fl status --json
if jq -e '.sites[] | select(.name == "www.example.test") | .mode == "held" and .hold.reason == "db migration" and .published == ["127.0.0.3"]' "$C/out" >/dev/null; then
	ok "status --json: valid JSON with the hold"
else
	not_ok "status --json: valid JSON with the hold" "$(cat "$C/out")"
fi
[ "$(q www.example.test)" = "127.0.0.3" ] && ok "flip: held for several rounds with the primary healthy" ||
    not_ok "flip: held for several rounds with the primary healthy" "$(q www.example.test)" "$err"
fl release 'w*.example.test'
expect_rc "release: exit 0" 0
[ "$(q www.example.test)" = "127.0.0.2" ] && ok "release: the healthy primary is restored" ||
    not_ok "release: the healthy primary is restored" "$(q www.example.test)" "$err"
contains "release: logged" "$err" "www.example.test: released by"
# (whole seconds: a 4 s hold ends 3-4 s from now; a round must fit before)
fl flip www.example.test failover --for 4s
[ "$(q www.example.test)" = "127.0.0.3" ] && ok "flip --for: flipped" ||
    not_ok "flip --for: flipped" "$(q www.example.test)" "$err"
chk
[ "$(q www.example.test)" = "127.0.0.3" ] && ok "flip --for: held before it expires" ||
    not_ok "flip --for: held before it expires" "$(q www.example.test)"
sleep 4.2
chk
[ "$(q www.example.test)" = "127.0.0.2" ] && ok "flip --for: expired, back to the rules" ||
    not_ok "flip --for: expired, back to the rules" "$(q www.example.test)" "$err"
contains "flip --for: expiry logged" "$err" "hold expired"
fl flip nosuch.example.test failover
expect_rc "flip: unknown site is a usage error" 64
fl flip www.example.test sideways
expect_rc "flip: unknown side is a usage error" 64

# a second check while one holds the lock: 75 at once
(cd "$C" && exec flock state.lock sleep 2) &
holder=$!
sleep 0.3
chk
expect_rc "check: concurrent check -> exit 75" 75
contains "check: concurrent check says why" "$err" "holds"
wait "$holder"

# kill -9 at random moments: the state file always loads
bad=0
for i in $(seq 1 50); do
	(cd "$C" && exec "$BIN" -c s.yaml check >/dev/null 2>&1) &
	kp=$!
	sleep "0.0$((i % 10))"
	kill -9 "$kp" 2>/dev/null; wait "$kp" 2>/dev/null
	chk -n
	[ "$rc" -eq 1 ] && bad=$((bad + 1))
done
[ "$bad" -eq 0 ] && ok "check: kill -9 x50 -> the state always loads" ||
    not_ok "check: kill -9 x50 -> the state always loads" "$bad failures" "$err"

# release refuses to adopt records that disagree
cat >"$C/s3.yaml" <<YAML
dns: {servers: ["127.0.0.1:$DPORT"], key_file: pdns.key, timeout: 2s}
defaults: {ttl: 30, fall: 3, rise: 2, check: {port: $WPORT, timeout: 1s}}
sites:
  - {name: multi.example.test, zone: example.test, records: [multi.example.test, multi2.example.test], primary: 127.0.0.4, failover: 127.0.0.3}
state_file: state3
YAML
(cd "$C" && "$BIN" -c s3.yaml check >/dev/null 2>&1)
printf 'server 127.0.0.1 %s\nzone example.test\nupdate delete multi2.example.test A\nupdate add multi2.example.test 30 A 192.0.2.77\nsend\n' "$DPORT" |
    nsupdate -k "$C/pdns.key"
(cd "$C" && "$BIN" -c s3.yaml release multi.example.test >"$C/out" 2>"$C/err"); rc=$?
err=$(cat "$C/err")
expect_rc "release: records that disagree -> exit 75" 75
contains "release: says which records differ" "$err" "multi.example.test and multi2.example.test serve different addresses"

# root running a command next to a daemon that runs as its own user:
# the state and its lock stay the state directory owner's
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	mkdir -p "$C/owned"
	chown nobody "$C/owned"
	(cd "$C" && "$BIN" -c s.yaml -S owned/state check >/dev/null 2>&1)
	if [ "$(stat -c %U "$C/owned/state")" = nobody ] &&
	    [ "$(stat -c %U "$C/owned/state.lock")" = nobody ]; then
		ok "state: root keeps the state and lock the directory owner's"
	else
		not_ok "state: root keeps the state and lock the directory owner's" "$(ls -l "$C/owned")"
	fi
else
	echo "# skipped: state ownership under root (not root)"
fi

# canaries all failing: nothing moves
cp "$C/state" "$C/state.before"
sed "s|^state_file: state|state_file: state\ncanaries: [\"http://127.0.0.1:$((WPORT + 1))/\"]|" "$C/s.yaml" >"$C/s2.yaml"
(cd "$C" && "$BIN" -c s2.yaml check >"$C/out" 2>"$C/err"); rc=$?
err=$(cat "$C/err")
contains "check: canaries failing -> isolated" "$err" "every canary failed"
# (the alert time moves: the isolation is told once per notify.repeat)
if grep -v 'last_change\|^alerts:' "$C/state" | cmp -s - "$(grep -v 'last_change\|^alerts:' "$C/state.before" >"$C/b"; echo "$C/b")"; then
	ok "check: canaries failing -> no counter moves"
	grep -q "^alerts: {monitor_isolated: [1-9]" "$C/state" ||
	    not_ok "check: canaries failing -> isolation alert recorded" "$(head -4 "$C/state")"
else
	not_ok "check: canaries failing -> no counter moves" "$(diff "$C/state.before" "$C/state")"
fi

$STOP_DNS
trap cleanup EXIT INT TERM
