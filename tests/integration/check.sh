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
chk -n; expect_rc "check -n: the round that would switch: exit 0" 0
contains "check -n: says what it would do" "$err" "would switch to failover 127.0.0.3"
lacks "check -n: ... not that it did" "$err" "switched to"
[ "$(q www.example.test)" = "127.0.0.2" ] && ok "check -n: nothing sent" ||
    not_ok "check -n: nothing sent" "$(q www.example.test)"
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

# a primary that answers with a 200 KiB header line is down, not "local"
web 127.0.0.2 longheader 204800
chk; chk; chk
[ "$(q www.example.test)" = "127.0.0.3" ] && ok "check: a 200 KiB header line counts against the primary" ||
    not_ok "check: a 200 KiB header line counts against the primary" "$(q www.example.test)" "$err"
contains "check: ... logged as a bad response" "$err" "www.example.test: primary 127.0.0.2 down (3/3 failed: bad response)"
web 127.0.0.2 ok
chk; chk
[ "$(q www.example.test)" = "127.0.0.2" ] && ok "check: ... and restored once it answers well" ||
    not_ok "check: ... and restored once it answers well" "$(q www.example.test)" "$err"

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
chk
lacks "check: a lasting both-down is not logged every round" "$err" "every primary and failover address is down"
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
(cd "$C" && "$BIN" -c s.yaml status www.example.test) >"$C/status.out" 2>&1
contains "status: in drift, what the server served beside the last published" \
    "$(cat "$C/status.out")" "the server served 192.0.2.99; last published 127.0.0.2"
(cd "$C" && "$BIN" -c s.yaml status --json) >"$C/status.json" 2>&1
same "status --json: drift_served" \
    "$(jq -r '.sites[] | select(.name == "www.example.test") | .drift_served' "$C/status.json")" "192.0.2.99"

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
held_by=$(sed -n 's/.*failover, held by \([^ :]*\).*/\1/p' "$C/out")
if printf %s "$held_by" | grep -qx '[A-Za-z0-9._-]\{1,\}'; then ok "status: ... a user name ($held_by)"
else not_ok "status: ... a user name" "got: $held_by"; fi
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

# text a person typed is shown escaped: no forged lines, no terminal escapes
fl flip www.example.test failover --reason "$(printf 'line1\nforged  up\033[2J')"
expect_rc "flip: a reason with control characters is taken" 0
fl status www.example.test
if grep -q '^forged' "$C/out" || grep -q "$(printf '\033')" "$C/out"; then
	not_ok "status: a newline or ESC in a reason is escaped" "$(cat -v "$C/out")"
else
	ok "status: a newline or ESC in a reason is escaped"
fi
contains "status: the escaped reason is shown whole" "$(cat "$C/out")" 'line1\nforged  up\x1b[2J'
lacks "log: no ESC from a reason" "$err" "$(printf '\033')"
fl release www.example.test
# a reason is kept whole or refused, never cut
r160=$(printf 'r%0159d' 0)
fl flip www.example.test failover --reason "${r160}x"
expect_rc "flip: a reason over 160 bytes is refused" 64
contains "flip: the refusal says why" "$err" "--reason: 161 bytes is longer than the 160 allowed"
[ "$(q www.example.test)" = "127.0.0.2" ] && ok "flip: a refused reason changes nothing" ||
    not_ok "flip: a refused reason changes nothing" "$(q www.example.test)" "$err"
fl release www.example.test --reason "${r160}x"
expect_rc "release: a reason over 160 bytes is refused" 64
fl flip www.example.test failover --reason "$r160"
expect_rc "flip: a 160-byte reason is taken" 0
contains "flip: a 160-byte reason is logged whole" "$err" "$r160"
fl status www.example.test
contains "status: a 160-byte reason is shown whole" "$(cat "$C/out")" ": $r160"
fl status --json www.example.test
[ "$(jq -r '.sites[0].hold.reason' "$C/out")" = "$r160" ] && ok "status --json: the reason whole" ||
    not_ok "status --json: the reason whole" "$(cat "$C/out")"
fl release www.example.test

# a round in which no probe can run (out of descriptors) is the tool's
# failure: said with its cause, exit 75, counts for no site, in status
counters() { grep -o 'ok: [0-9]*, fail: [0-9]*' "$C/state" | tr '\n' ' '; }
before=$(counters)
cp "$C/state" "$C/state.blind0"
for n in 4 5 6 7 8 9 10 11 12; do	# the fds a round needs before probing
	cp "$C/state.blind0" "$C/state"
	(cd "$C" && sh -c "ulimit -n $n; exec \"$BIN\" -c s.yaml check" >"$C/out" 2>"$C/err"); rc=$?
	grep -q "no probe could run" "$C/err" && break
done
err=$(cat "$C/err")
expect_rc "check: no probe could run -> exit 75 (ulimit -n $n)" 75
contains "check: no probe could run -> an error with the cause" "$err" "error: no probe could run (cannot open a socket: Too many open files)"
[ "$(counters)" = "$before" ] && [ -n "$before" ] && ok "check: a blind round moves no counter" ||
    not_ok "check: a blind round moves no counter" "$(cat "$C/state")"
fl status
contains "status: a blind monitor is raised" "$(cat "$C/out")" "MONITOR   no probe could run since"
fl status --json
[ "$(jq -r '.probing.blind' "$C/out")" = "true" ] && ok "status --json: probing.blind" ||
    not_ok "status --json: probing.blind" "$(cat "$C/out")"
chk; expect_rc "check: probes run again -> exit 0" 0
contains "check: the end of a blind spell is logged" "$err" "probes run again"
fl status
lacks "status: the monitor line is gone once probes run" "$(cat "$C/out")" "MONITOR"
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

# ---- the state file: stale temporary files, a damaged file ----

# (own state file and an exec hook; the DNS records are the ones above)
cat >"$C/hook" <<'EOF'
#!/bin/sh
printf 'event=%s site=%s reason=%s\n' "$DNSFAILOVER_EVENT" "$DNSFAILOVER_SITE" \
    "$DNSFAILOVER_REASON" >>"$HOOKLOG"
EOF
chmod 755 "$C/hook"
export HOOKLOG="$C/hook.log"
: >"$HOOKLOG"
sed -e 's|^state_file: state$|state_file: st/state|' "$C/s.yaml" >"$C/sb.yaml"
echo "notify: {exec: \"$C/hook\", timeout: 2s}" >>"$C/sb.yaml"
mkdir -p "$C/st"
chb() { (cd "$C" && "$BIN" "$@" -c sb.yaml check >"$C/out" 2>"$C/err"); rc=$?; out=$(cat "$C/out"); err=$(cat "$C/err"); }
web 127.0.0.2 up; web 127.0.0.3 up; web 127.0.0.4 up; web 127.0.0.5 up
chb; chb

# defect 6: what a save killed before its rename left is removed by the
# next holder of the lock; names that are not exactly state.tmp.DIGITS stay
for f in state.tmp.4242 state.tmp.1 state.tmp.x7 state.tmp. xstate.tmp.5 \
    metrics.prom.tmp.9 state.lock.tmp.3; do
	echo junk >"$C/st/$f"
done
chb
left=$(cd "$C/st" && ls | grep '^state\.tmp\.[0-9][0-9]*$' | tr '\n' ' ')
[ -z "$left" ] && ok "check: stale state.tmp.PID files removed" ||
    not_ok "check: stale state.tmp.PID files removed" "left: $left" "$err"
kept=$(cd "$C/st" && ls state.tmp.x7 state.tmp. xstate.tmp.5 metrics.prom.tmp.9 \
    state.lock.tmp.3 2>&1 | wc -l)
[ "$kept" -eq 5 ] && ok "check: other files beside the state are left alone" ||
    not_ok "check: other files beside the state are left alone" "$(ls -A "$C/st")"
contains "check: the removal is logged" "$err" "removed 2 temporary files"
rm -f "$C/st/"*tmp*

# kill -9 during rounds, bounded: whatever they leave, the next run removes
# (the kills are spread over the time a round takes, the save at its end)
t0=$(date +%s%N); chb; t1=$(date +%s%N)
us=$(((t1 - t0) / 1000))
killed_left=0
for i in $(seq 1 30); do
	(cd "$C" && exec "$BIN" -c sb.yaml check >/dev/null 2>&1) &
	kp=$!
	sleep "$(printf '%d.%06d' $((us * i / 25 / 1000000)) $((us * i / 25 % 1000000)))"
	kill -9 "$kp" 2>/dev/null; wait "$kp" 2>/dev/null
	n=$(cd "$C/st" && ls | grep -c '^state\.tmp\.') || :
	killed_left=$((killed_left > n ? killed_left : n))
done
echo "# kill -9 x30 over a ${us} us round: at most $killed_left temporary files left"
chb
n=$(cd "$C/st" && ls | grep -c '\.tmp\.') || :
[ "$n" -eq 0 ] && ok "check: kill -9 x30 -> no .tmp. file after the next run" ||
    not_ok "check: kill -9 x30 -> no .tmp. file after the next run" "$(ls -A "$C/st")"

# a damaged state file never stops the protection: www on failover
# (published), then the file truncated, then garbled
web 127.0.0.2 down
chb; chb; chb
[ "$(q www.example.test)" = "127.0.0.3" ] && ok "state: www on failover before the damage" ||
    not_ok "state: www on failover before the damage" "$(q www.example.test)" "$err"
broken_case() {	# broken_case NAME: $C/st/state is damaged; one check
	: >"$HOOKLOG"
	nb=$(ls "$C/st" | grep -c '^state\.broken\.') || :
	(cd "$C" && "$BIN" -c sb.yaml status >"$C/out" 2>"$C/err"); rc=$?
	err=$(cat "$C/err")
	expect_rc "status: $1 state -> exit 1" 1
	contains "status: $1 state says the next check moves it aside" "$err" "is damaged; the next check"
	[ -f "$C/st/state" ] && ok "status: $1 state is left where it is" ||
	    not_ok "status: $1 state is left where it is" "$(ls -A "$C/st")"
	chb -n
	expect_rc "check -n: $1 state -> exit 1" 1
	[ -f "$C/st/state" ] && ok "check -n: $1 state is left where it is" ||
	    not_ok "check -n: $1 state is left where it is" "$(ls -A "$C/st")"
	chb
	expect_rc "check: $1 state -> the round runs, exit 1" 1
	echo "$err" | sed 's/^/# /' >>"$C/broken-rounds.log"
	nb2=$(ls "$C/st" | grep -c '^state\.broken\.[0-9]\{8\}T[0-9]\{6\}Z') || :
	[ "$nb2" -eq $((nb + 1)) ] && [ -f "$C/st/state" ] &&
	    ok "check: $1 state moved aside as state.broken.TIMESTAMP, a new one saved" ||
	    not_ok "check: $1 state moved aside as state.broken.TIMESTAMP, a new one saved" "$(ls -A "$C/st")" "$err"
	contains "check: $1 state: the damage with its position" "$err" "st/state:"
	contains "check: $1 state: the error names the new file" "$err" "error: st/state is damaged: moved aside to st/state.broken."
	[ "$(q www.example.test)" = "127.0.0.3" ] && ok "check: $1 state: www stays on failover (as published)" ||
	    not_ok "check: $1 state: www stays on failover (as published)" "$(q www.example.test)" "$err"
	[ "$(q api.example.test)" = "127.0.0.4 127.0.0.5" ] && ok "check: $1 state: api stays on its primaries" ||
	    not_ok "check: $1 state: api stays on its primaries" "$(q api.example.test)" "$err"
	contains "check: $1 state: the exec hook gets state_broken" "$(cat "$HOOKLOG")" \
	    "event=state_broken site= reason=the state file is damaged (st/state:"
	grep -q '^    side: failover' "$C/st/state" &&
	    ok "check: $1 state: the new state has www on failover" ||
	    not_ok "check: $1 state: the new state has www on failover" "$(cat "$C/st/state")"
	chb
	expect_rc "check: $1 state: the next round is normal again" 0
}
head -c "$(($(wc -c <"$C/st/state") * 2 / 3))" "$C/st/state" >"$C/st/t" && mv "$C/st/t" "$C/st/state"
broken_case truncated
sed -i '3s/.*/sites: [garbage, {/' "$C/st/state"
broken_case garbled
# and the monitoring goes on: api's primaries fail -> failover
web 127.0.0.4 down; web 127.0.0.5 down
chb; chb; chb
[ "$(q api.example.test)" = "127.0.0.3" ] && ok "check: after a damaged state, failures still fail over" ||
    not_ok "check: after a damaged state, failures still fail over" "$(q api.example.test)" "$err"
web 127.0.0.2 up; web 127.0.0.4 up; web 127.0.0.5 up

$STOP_DNS
trap cleanup EXIT INT TERM
