# daemon.sh: "dnsfailover run" against a real BIND (TSIG) and the HTTP
# fixture, asserted with dig; hooks checked through what they received.
# Sourced by run.sh (run, ok, not_ok, contains, lacks, expect_rc, $BIN,
# $HTTPD, $PROMCHECK, $WORK, $PIDS, cleanup).  Interval 1s, fall 3,
# rise 2, so the whole file takes about a minute.

D=$WORK/daemon
mkdir -p "$D"
DDPORT=$((12000 + ($$ * 13) % 7000 + 20))	# below the ephemeral range
DWPORT=$((PORT + 11))
STOP_DDNS="sh $TOP/tests/fixture/dns.sh stop $D/dns"
DAEMON=""
stop_daemon() { [ -n "$DAEMON" ] && kill "$DAEMON" 2>/dev/null; DAEMON=""; }
trap 'stop_daemon; cleanup; $STOP_DDNS' EXIT INT TERM
if ! sh "$TOP/tests/fixture/dns.sh" start "$D/dns" "$DDPORT" bind \
    >"$D/dns.out" 2>&1; then
	not_ok "run: BIND starts" "$(cat "$D/dns.out")"
	return 0 2>/dev/null || exit 1
fi
cat >"$D/update.key" <"$D/dns/key"
chmod 600 "$D/update.key"

# 127.0.0.2 www primary, .3 failover, .4 api primary, .5 the webhook
# receiver, .6 a site added by a reload, .7 a DNS server that never answers
mkdir -p "$D/web"
"$HTTPD" -d "$D/web" 127.0.0.2:$DWPORT 127.0.0.3:$DWPORT 127.0.0.4:$DWPORT \
    127.0.0.5:$DWPORT 127.0.0.6:$DWPORT 127.0.0.7:$DWPORT 2>"$D/web.err" &
PIDS="$PIDS $!"
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -f "$D/web/httpd.pid" ] && break; sleep 0.1; done
dweb() { a=$1; shift; "$HTTPD" ctl "$D/web" "set $a:$DWPORT $*" >/dev/null; }
dq() { dig +short -p "$DDPORT" @127.0.0.1 "$1" A | sort | tr '\n' ' ' | sed 's/ $//'; }
now_ms() { date +%s%3N; }
# wait_for SECONDS CMD...: polls CMD every 50 ms; true if it held in time
wait_for() {
	_end=$(($(now_ms) + $1 * 1000)); shift
	while [ "$(now_ms)" -lt "$_end" ]; do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}
serves() { [ "$(dq "$1")" = "$2" ]; }
logged() { grep -q "$1" "$D/daemon.log"; }

# The hook lives in a directory whose name a shell would run: posix_spawn
# must take it literally.
HOOKDIR="$D/hooks \$(touch $D/pwned); \`touch $D/pwned2\`"
mkdir -p "$HOOKDIR"
cat >"$HOOKDIR/hook" <<'EOF'
#!/bin/sh
printf 'event=%s site=%s from=%s to=%s addresses=%s argv1=%s reason=%s\n' \
    "$DNSFAILOVER_EVENT" "$DNSFAILOVER_SITE" "$DNSFAILOVER_FROM" \
    "$DNSFAILOVER_TO" "$DNSFAILOVER_ADDRESSES" "$1" "$DNSFAILOVER_REASON" \
    >>"$HOOKLOG"
# a hook that hangs is stopped at notify.timeout
[ "$DNSFAILOVER_EVENT" = both_down ] && exec sleep 60
exit 0
EOF
chmod 755 "$HOOKDIR/hook"
export HOOKLOG="$D/hook.log"
: >"$HOOKLOG"

sitelist() {	# sitelist SITES...: the daemon's sitelist.yaml
	cat <<YAML
dns: {servers: ["127.0.0.1:$DDPORT"], key_file: update.key, timeout: 2s}
defaults: {ttl: 30, interval: 1s, fall: 3, rise: 2, check: {port: $DWPORT, path: /health, timeout: 500ms}, failover: 127.0.0.3}
sites:
YAML
	for s in "$@"; do
		case $s in
		www) echo "  - {name: www.example.test, zone: example.test, primary: 127.0.0.2}" ;;
		api) echo "  - {name: api.example.test, zone: example.test, primary: 127.0.0.4}" ;;
		new) echo "  - {name: new.example.test, zone: example.test, primary: 127.0.0.6}" ;;
		esac
	done
	cat <<YAML
state_file: state
metrics_file: metrics.prom
notify: {exec: "$HOOKDIR/hook", webhook: "http://127.0.0.5:$DWPORT/hook/secret-token", timeout: 1s}
YAML
}
sitelist www api >"$D/sitelist.yaml"

# systemd's notify socket, received by perl-base (always on Debian)
perl -MSocket -e 'socket(S, PF_UNIX, SOCK_DGRAM, 0) or die "socket: $!";
    unlink $ARGV[0]; bind(S, sockaddr_un($ARGV[0])) or die "bind: $!";
    while (defined recv(S, $m, 4096, 0)) {
	open(F, ">>", $ARGV[1]); print F "$m\n"; close(F);
    }' "$D/notify.sock" "$D/notify.out" &
PIDS="$PIDS $!"
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -S "$D/notify.sock" ] && break; sleep 0.1; done
(cd "$D" && umask 077 && NOTIFY_SOCKET="$D/notify.sock" exec "$BIN" -v -c sitelist.yaml run) \
    >/dev/null 2>"$D/daemon.log" &
DAEMON=$!
if wait_for 10 serves www.example.test 127.0.0.2 &&
    wait_for 5 serves api.example.test 127.0.0.4; then
	ok "run: starts and publishes the primaries"
else
	not_ok "run: starts and publishes the primaries" "$(cat "$D/daemon.log")"
fi
wait_for 5 grep -q "up (2/2 ok)" "$D/daemon.log"
if grep -q "^READY=1" "$D/notify.out" 2>/dev/null; then
	ok "run: tells systemd READY=1 (NOTIFY_SOCKET)"
else
	not_ok "run: tells systemd READY=1" "$(cat "$D/notify.out" 2>&1)"
fi

# ---- failover and back ----
# served_within NAME LIMIT_MS SET: SET served within LIMIT_MS from now
served_within() {
	_t0=$(now_ms)
	if wait_for 10 serves www.example.test "$3"; then
		_dt=$(($(now_ms) - _t0))
		if [ "$_dt" -le "$2" ]; then
			ok "$1 in ${_dt} ms (<= $2)"
		else
			not_ok "$1 within $2 ms" "took $_dt ms"
		fi
	else
		not_ok "$1" "$(dq www.example.test)" "$(tail -20 "$D/daemon.log")"
	fi
}
dweb 127.0.0.2 down
# the probe schedule alone accounts for fall x interval = 3 s; +2 s
served_within "run: primary stopped -> failover served" 5000 127.0.0.3
contains "run: the switch is logged with its reason" "$(cat "$D/daemon.log")" \
    "www.example.test: primary 127.0.0.2 down (3/3 failed: connect refused); switched to failover 127.0.0.3"
dweb 127.0.0.2 up
# rise x interval + 2 s
served_within "run: primary back -> restored" 4000 127.0.0.2

# ---- hooks: what they received ----
wait_for 5 grep -q "event=switch site=www.example.test from=failover" "$HOOKLOG"
hooks=$(cat "$HOOKLOG")
contains "exec hook: switch to failover with its fields" "$hooks" \
    "event=switch site=www.example.test from=primary to=failover addresses=127.0.0.3 argv1=switch reason=primary 127.0.0.2 down (3/3 failed: connect refused); switched to failover 127.0.0.3"
contains "exec hook: switch back to primary" "$hooks" \
    "event=switch site=www.example.test from=failover to=primary addresses=127.0.0.2 argv1=switch"
if [ ! -e "$D/pwned" ] && [ ! -e "$D/pwned2" ]; then
	ok "exec hook: run without a shell (the path's \$(...) is not run)"
else
	not_ok "exec hook: run without a shell"
fi
wait_for 5 grep -q '"from":"failover"' "$D/web/bodies.log" 2>/dev/null
bodies=$(cat "$D/web/bodies.log" 2>/dev/null)
contains "webhook: JSON switch event with its fields" "$bodies" \
    '{"event":"switch","site":"www.example.test","from":"primary","to":"failover","addresses":["127.0.0.3"],"reason":"primary 127.0.0.2 down (3/3 failed: connect refused); switched to failover 127.0.0.3","time":"'
contains "webhook: time, timestamp and host" "$bodies" "\"host\":\"$(hostname)\""
contains "webhook: POSTed to its path" "$(cat "$D/web/requests.log")" \
    "local=127.0.0.5:$DWPORT tls=0 sni=- host=127.0.0.5:$DWPORT method=POST path=/hook/secret-token"
lacks "webhook: the URL's token is never logged" "$(cat "$D/daemon.log")" "secret-token"

# ---- metrics ----
wait_for 3 test -s "$D/metrics.prom"
if [ "$(stat -c %a "$D/metrics.prom")" = 644 ]; then
	ok "metrics: the textfile is readable by the collector under umask 077"
else
	not_ok "metrics: the textfile is readable by the collector under umask 077" "mode $(stat -c %a "$D/metrics.prom")"
fi
if "$PROMCHECK" "$D/metrics.prom" 2>"$D/prom.err"; then
	ok "metrics: the textfile parses (strict Prometheus text format)"
else
	not_ok "metrics: the textfile parses" "$(cat "$D/prom.err")"
fi
metric_values() {
	v=$("$PROMCHECK" "$D/metrics.prom" 'dnsfailover_switches_total{site="www.example.test",reason="primary_down"}' \
	    'dnsfailover_switches_total{site="www.example.test",reason="failback"}' \
	    'dnsfailover_site_side{site="www.example.test"}' \
	    'dnsfailover_address_up{site="www.example.test",role="primary",address="127.0.0.2"}' \
	    'dnsfailover_sites' 2>&1 | tr '\n' ' ')
	[ "$v" = "1 1 0 1 2 " ]
}
wait_for 3 metric_values	# written at most once a second
contains "metrics: two switches (down, back), on primary, primary up, 2 sites" "$v" "1 1 0 1 2 "

# ---- flip and release while running ----
run "$BIN" -c "$D/sitelist.yaml" flip www.example.test failover --reason "maintenance
forged: a log line"
expect_rc "run: flip while the daemon runs exits 0" 0
if printf '%s\n' "$err" | grep -q '^forged' || ! printf '%s\n' "$err" | grep -q 'maintenance\\nforged'; then
	not_ok "flip: a newline in --reason cannot forge a log line" "$err"
else
	ok "flip: a newline in --reason cannot forge a log line"
fi
sleep 2.5	# two rounds of a healthy primary
if serves www.example.test 127.0.0.3; then
	ok "run: a flip is not overwritten by the daemon (healthy primary, 2 rounds later)"
else
	not_ok "run: a flip is not overwritten by the daemon" "$(dq www.example.test)"
fi
contains "run: the daemon takes the flip in" "$(cat "$D/daemon.log")" \
    "www.example.test: taking in a change made outside this daemon (held on failover)"
run "$BIN" -c "$D/sitelist.yaml" release www.example.test
expect_rc "run: release while the daemon runs exits 0" 0
# released on failover with the primary up: back at the next round
if wait_for 3 serves www.example.test 127.0.0.2; then
	ok "run: after release the daemon restores the primary within an interval"
else
	not_ok "run: after release the daemon restores the primary" "$(dq www.example.test)"
fi
contains "exec hook: flip event with who and why" "$(cat "$HOOKLOG")" \
    "event=flip site=www.example.test from=primary to=failover addresses=127.0.0.3 argv1=flip reason=flipped to failover by"
contains "exec hook: release event" "$(cat "$HOOKLOG")" "event=release site=www.example.test"

# ---- both down: one event, the hanging hook is stopped ----
# the failover first, confirmed down, so api never switches to it
dweb 127.0.0.3 down
sleep 3.5
dweb 127.0.0.4 down
if wait_for 8 grep -q "event=both_down site=api.example.test" "$HOOKLOG"; then
	ok "run: both down raises both_down"
else
	not_ok "run: both down raises both_down" "$(tail -5 "$D/daemon.log")"
fi
sleep 3		# three more rounds, still both down
n=$(grep -c "event=both_down site=api.example.test" "$HOOKLOG")
if [ "$n" -eq 1 ]; then
	ok "run: a lasting both_down is raised once (rate limit)"
else
	not_ok "run: a lasting both_down is raised once" "raised $n times"
fi
contains "run: a hook over its time limit is stopped" "$(cat "$D/daemon.log")" \
    "still running after 1000 ms; stopping it"
lacks "run: the records stay (fail static)" "$(dq api.example.test)" "127.0.0.3"
dweb 127.0.0.4 up
dweb 127.0.0.3 up

# ---- reload ----
sitelist www new >"$D/sitelist.yaml"
kill -HUP "$DAEMON"
if wait_for 5 logged "reloaded: 2 sites" && wait_for 5 serves new.example.test 127.0.0.6; then
	ok "run: SIGHUP adds a site (published within seconds)"
else
	not_ok "run: SIGHUP adds a site" "$(tail -5 "$D/daemon.log")" "$(dq new.example.test)"
fi
wait_for 3 sh -c "! grep -q api.example.test '$D/state'"
if grep -q "www.example.test" "$D/state" && ! grep -q "api.example.test" "$D/state"; then
	ok "run: SIGHUP removes a site from the state"
else
	not_ok "run: SIGHUP removes a site from the state" "$(grep '^  [a-z]' "$D/state")"
fi

# ---- drift: someone else changes the records; the daemon keeps off ----
printf 'server 127.0.0.1 %s\nzone example.test\nupdate delete new.example.test A\nupdate add new.example.test 30 A 192.0.2.99\nsend\n' "$DDPORT" |
    nsupdate -k "$D/update.key"
dweb 127.0.0.6 down
if wait_for 8 grep -q "event=drift site=new.example.test" "$HOOKLOG"; then
	ok "run: records changed by hand -> drift event, not overwritten"
else
	not_ok "run: records changed by hand -> drift event" "$(tail -5 "$D/daemon.log")"
fi
contains "run: drift leaves the hand-made record" "$(dq new.example.test)" "192.0.2.99"
dweb 127.0.0.6 up
sitelist www new | sed 's/interval: 1s/intervall: 1s/' >"$D/sitelist.yaml"
kill -HUP "$DAEMON"
if wait_for 5 logged "still running the configuration loaded before"; then
	ok "run: a broken sitelist.yaml on SIGHUP is refused"
else
	not_ok "run: a broken sitelist.yaml on SIGHUP is refused" "$(tail -5 "$D/daemon.log")"
fi
contains "run: SIGHUP is told to systemd (RELOADING=1, then READY=1)" \
    "$(tr '\n' ' ' <"$D/notify.out")" "RELOADING=1 READY=1"
if grep -Eq 'sitelist\.yaml:2:[0-9]+: unknown key "intervall", did you mean "interval"' "$D/daemon.log"; then
	ok "run: the reload error has file:line:col"
else
	not_ok "run: the reload error has file:line:col" "$(tail -5 "$D/daemon.log")"
fi
dweb 127.0.0.2 down
if wait_for 10 serves www.example.test 127.0.0.3; then
	ok "run: after a refused reload the old configuration still fails over"
else
	not_ok "run: after a refused reload the old configuration still fails over" "$(tail -5 "$D/daemon.log")"
fi
dweb 127.0.0.2 up
wait_for 10 serves www.example.test 127.0.0.2

# ---- SIGTERM in the middle of a round ----
dweb 127.0.0.2 hang	# every round now waits the 500 ms timeout
sleep 1.2
t0=$(now_ms)
kill -TERM "$DAEMON"
wait "$DAEMON"; rc=$?
dt=$(($(now_ms) - t0))
DAEMON=""
contains "run: STOPPING=1 on the way out" "$(cat "$D/notify.out")" "STOPPING=1"
if [ "$rc" -eq 0 ] && [ "$dt" -lt 3000 ]; then
	ok "run: SIGTERM during a round finishes it and exits 0 (${dt} ms)"
else
	not_ok "run: SIGTERM during a round finishes it and exits 0" "exit $rc after $dt ms"
fi
dweb 127.0.0.2 up
sitelist www new >"$D/sitelist.yaml"
run "$BIN" -c "$D/sitelist.yaml" status
expect_rc "run: the state left by SIGTERM loads (status exits 0)" 0
contains "run: ... and has both sites" "$out" "new.example.test"

# ---- a fresh start while the zone serves the failover ----
# no state, the primary healthy but not confirmed yet: the daemon must
# learn that the failover is published and restore only after rise
printf 'server 127.0.0.1 %s\nzone example.test\nupdate delete www.example.test A\nupdate add www.example.test 30 A 127.0.0.3\nsend\n' "$DDPORT" |
    nsupdate -k "$D/update.key"
rm -f "$D/state"
(cd "$D" && exec "$BIN" -v -c sitelist.yaml run) >/dev/null 2>"$D/daemon2.log" &
DAEMON=$!
if wait_for 5 grep -q "www.example.test: the server publishes 127.0.0.3; deciding from that" "$D/daemon2.log" &&
    wait_for 5 grep -q "www.example.test: primary 127.0.0.2 up (2/2 ok).*restored to primary 127.0.0.2" "$D/daemon2.log"; then
	ok "run: a fresh start on failover learns it and restores only after rise"
else
	not_ok "run: a fresh start on failover learns it and restores only after rise" "$(grep -v probe "$D/daemon2.log")"
fi
lacks "run: ... without publishing the unconfirmed primary first" "$(cat "$D/daemon2.log")" "www.example.test: primary now 127.0.0.2"
stop_daemon
wait_for 3 serves www.example.test 127.0.0.2

# ---- a site waiting for a slow read is decided on its own probes ----
# the first DNS server takes every query and never answers (over UDP a
# bound socket nobody reads, over TCP the fixture's hang: 4 s per
# read and more); meanwhile the site is not probed again (its results wait with
# it) nor decided by a later round: its first decision comes after the
# read, and a dead primary is never counted up (rise 1: one miscounted
# round would be enough)
printf 'server 127.0.0.1 %s\nzone example.test\nupdate delete www.example.test A\nupdate add www.example.test 30 A 127.0.0.3\nsend\n' "$DDPORT" |
    nsupdate -k "$D/update.key"
dweb 127.0.0.2 hang
dweb 127.0.0.7 hang
HOLE=$DWPORT
perl -MIO::Socket::INET -e 'my $s = IO::Socket::INET->new(LocalAddr =>
    "127.0.0.7", LocalPort => $ARGV[0], Proto => "udp") or die "bind: $!";
    sleep 120' "$HOLE" &
HOLEPID=$!
PIDS="$PIDS $HOLEPID"
sed -e "s|servers: \[\"127.0.0.1:$DDPORT\"\]|servers: [\"127.0.0.7:$HOLE\", \"127.0.0.1:$DDPORT\"]|" \
    -e 's/timeout: 2s}/timeout: 4s}/' -e 's/rise: 2/rise: 1/' \
    "$D/sitelist.yaml" >"$D/slow.yaml"
rm -f "$D/state"
(cd "$D" && exec "$BIN" -v -c slow.yaml run) >/dev/null 2>"$D/daemon3.log" &
DAEMON=$!
if wait_for 12 grep -q "www.example.test: the server publishes 127.0.0.3; deciding from that" "$D/daemon3.log"; then
	ok "run: a slow read of a new site's records is waited for"
else
	not_ok "run: a slow read of a new site's records is waited for" "$(grep -v probe "$D/daemon3.log")"
fi
if wait_for 8 grep -q "www.example.test: primary 127.0.0.2 down (3/3 failed: timeout)" "$D/daemon3.log"; then
	ok "run: ... then its rounds go on from its own probes"
else
	not_ok "run: ... then its rounds go on from its own probes" "$(grep -v probe "$D/daemon3.log")"
fi
first=$(grep -n "www.example.test: \(primary\|the server publishes\)" "$D/daemon3.log" | head -1)
contains "run: ... and the site is decided only after it" "$first" "the server publishes"
lacks "run: ... and a dead primary is never counted up meanwhile" "$(cat "$D/daemon3.log")" "primary 127.0.0.2 up"
[ "$(dq www.example.test)" = "127.0.0.3" ] && ok "run: ... nor published" ||
    not_ok "run: ... nor published" "$(dq www.example.test)"
stop_daemon
kill "$HOLEPID" 2>/dev/null
dweb 127.0.0.2 ok
(cd "$D" && exec "$BIN" -c sitelist.yaml check) >/dev/null 2>&1
wait_for 3 serves www.example.test 127.0.0.2

# ---- a webhook that fails is tried three times ----
dweb 127.0.0.5 status 500
: >"$D/web/requests.log"
run "$BIN" -c "$D/sitelist.yaml" flip new.example.test primary
n=$(grep -c "method=POST path=/hook/secret-token" "$D/web/requests.log")
if [ "$n" -eq 3 ]; then
	ok "webhook: HTTP 500 -> three tries"
else
	not_ok "webhook: HTTP 500 -> three tries" "$n POSTs"
fi
contains "webhook: the failure is logged without the token" "$err" \
    "notify: webhook http://127.0.0.5:$DWPORT: flip new.example.test not delivered after 3 tries"
dweb 127.0.0.5 ok

# ---- SIGTERM while a webhook never answers (10 s limit, 3 tries) ----
sitelist www new | sed 's/timeout: 1s}$/timeout: 10s}/' >"$D/slow-hook.yaml"
dweb 127.0.0.5 hang
(cd "$D" && exec "$BIN" -v -c slow-hook.yaml run) >/dev/null 2>"$D/daemon3.log" &
DAEMON=$!
wait_for 10 grep -q "www.example.test: primary 127.0.0.2 up" "$D/daemon3.log"
dweb 127.0.0.2 down
wait_for 10 serves www.example.test 127.0.0.3
sleep 0.5	# the switch event's POST is under way
t0=$(now_ms)
kill -TERM "$DAEMON"
wait "$DAEMON"; rc=$?
dt=$(($(now_ms) - t0))
DAEMON=""
if [ "$rc" -eq 0 ] && [ "$dt" -lt 10000 ]; then
	ok "run: SIGTERM with an unanswered webhook stops within 10 s (${dt} ms)"
else
	not_ok "run: SIGTERM with an unanswered webhook stops within 10 s" "exit $rc after $dt ms" "$(tail -5 "$D/daemon3.log")"
fi
contains "run: ... and logs the event it dropped" "$(cat "$D/daemon3.log")" \
    "notify: stopping; webhook http://127.0.0.5:$DWPORT: switch www.example.test dropped (not delivered)"
dweb 127.0.0.5 ok
dweb 127.0.0.2 up

# ---- a slow reload does not stop the probes ----
# sitelist.yaml becomes a FIFO, so the load after SIGHUP waits until the
# test writes it, as on a slow disk or with a huge file; meanwhile the
# two sites (interval 1s) must go on being probed.
sitelist www api >"$D/slow.yaml"
(cd "$D" && exec "$BIN" -v -S state4 -c slow.yaml run) >/dev/null 2>"$D/daemon4.log" &
DAEMON=$!
wait_for 10 grep -q "api.example.test: primary 127.0.0.4 up" "$D/daemon4.log"
rm -f "$D/slow.yaml"
mkfifo -m 600 "$D/slow.yaml"
: >"$D/web/requests.log"
kill -HUP "$DAEMON"
sleep 3
n=$(grep -c "path=/health" "$D/web/requests.log")
sitelist www new >"$D/slow.yaml" &	# the load reads it now
WRITER=$!
if [ "$n" -ge 4 ]; then
	ok "run: probes go on while a reload loads (${n} in 3 s)"
else
	not_ok "run: probes go on while a reload loads" "$n probes in 3 s" "$(tail -5 "$D/daemon4.log")"
fi
if wait_for 5 grep -q "reloaded: 2 sites" "$D/daemon4.log" &&
    wait_for 5 grep -q "host=new.example.test" "$D/web/requests.log"; then
	ok "run: ... then the new configuration takes effect"
else
	not_ok "run: ... then the new configuration takes effect" "$(tail -5 "$D/daemon4.log")"
fi
kill "$WRITER" 2>/dev/null
stop_daemon
rm -f "$D/slow.yaml"

# ---- a reload while an update hangs on a DNS server that never answers ----
# 127.0.0.5 (hang) takes the TCP connection and never answers: the first
# job (reading what new.example.test publishes) stays in flight for the
# whole dns.timeout; the reload must not wait for it.
dweb 127.0.0.5 hang
sitelist new | sed "s|servers: \[\"127.0.0.1:$DDPORT\"\]|servers: [\"127.0.0.5:$DWPORT\"]|; s|timeout: 2s}|timeout: 20s}|" >"$D/deaddns.yaml"
(cd "$D" && exec "$BIN" -v -S state5 -c deaddns.yaml run) >/dev/null 2>"$D/daemon5.log" &
DAEMON=$!
wait_for 10 grep -q "host=new.example.test" "$D/web/requests.log"
sleep 1	# the read job is in flight by now
sitelist new www | sed "s|servers: \[\"127.0.0.1:$DDPORT\"\]|servers: [\"127.0.0.5:$DWPORT\"]|; s|timeout: 2s}|timeout: 20s}|" >"$D/deaddns.yaml"
t0=$(now_ms)
kill -HUP "$DAEMON"
if wait_for 8 grep -q "reloaded: 2 sites" "$D/daemon5.log"; then
	ok "run: a reload does not wait for an update stuck on a dead DNS server ($(($(now_ms) - t0)) ms)"
else
	not_ok "run: a reload does not wait for an update stuck on a dead DNS server" "$(tail -5 "$D/daemon5.log")"
fi
: >"$D/web/requests.log"
sleep 2
contains "run: ... and probing goes on with the new site" "$(cat "$D/web/requests.log")" "host=www.example.test"
kill -9 "$DAEMON"; wait "$DAEMON" 2>/dev/null; DAEMON=""	# its update hangs
dweb 127.0.0.5 ok

$STOP_DDNS
trap cleanup EXIT INT TERM
