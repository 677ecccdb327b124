#!/bin/sh
# tests/soak/soak.sh: the daemon under random faults for SOAK_MINUTES.
# Run by "make soak" (not part of "make check").
#
#	DNSFAILOVER=BIN HTTPD=FIXTURE [SOAK_MINUTES=10] [SOAK_SEED=N]
#	    [SOAK_SITES=1000] sh tests/soak/soak.sh
#
# "dnsfailover run" with SOAK_SITES sites at interval 1s (fall 2, rise 2,
# check timeout 800ms, expect_body OK) against BIND (tests/fixture/dns.sh)
# and the HTTP fixture.  The sites live in 32 pods of four loopback
# addresses (two primaries, two failovers) shared by about 30 sites each,
# in six shapes (one or two primaries, one or two failovers, one or two
# records).  A driver fed by a seeded random source (an LCG; the seed is
# printed and SOAK_SEED replays the same faults) runs steps; each step
# changes 1-4 addresses and at most one thing per pod, and may also do:
#
#	bind	BIND is stopped, the addresses change while it is away, and
#		it is started again on its journal (updates must be retried)
#	hup	SIGHUP with a good file (a changed ttl, or one site's
#		failover list changed), or with a broken one (the daemon
#		must say so and keep its configuration)
#	flip	a site is flipped to a side (sometimes --for 2s) or released
#	kill9	the daemon is killed with SIGKILL 0-2.5 s after the changes
#		and started again on the state file it left (a temporary
#		file it left must be gone after the restart); in the first
#		half only: the second half runs one daemon, whose RSS and
#		descriptors from its start to the end are the figures
#
# Up behaviours: ok, slow 5 ms a byte, 302 with the body.  Down: refused,
# 503, 404, reset, close, garbage, hang, slow 2 s a byte (the timeout).
# After each step a quiet period, then the oracle (oracle.awk) compares
# what BIND serves for every record (one AXFR) with what rules 3, 4, 6
# and 12 say; a difference still there CONVERGE seconds after the step is
# a wrong DNS state.  RSS and descriptors of the daemon (sockets, i.e.
# probes in flight, apart) are recorded at every check.  The end prints
# the figures; the exit status is 1 if any state was wrong, a reload was
# not answered, a flip failed, the daemon died or a site is in drift,
# with the seed and the first differences and their history.
#
# For debugging: SOAK_STEP=bind|hup|badhup|kill9|flip|addr makes every
# step that kind; SOAK_TAMPER=1 changes a record behind the daemon's back
# at step 2 (the oracle must report it); SOAK_KEEP=1 keeps the work
# directory (it is kept anyway when the soak fails).
#
# Every process started here is stopped by its pid when the script ends.
set -eu

BIN=${DNSFAILOVER:-$(pwd)/dnsfailover}
HTTPD=${HTTPD:-$(pwd)/build/httpd}
MINUTES=${SOAK_MINUTES:-10}
SITES=${SOAK_SITES:-1000}
SEED=${SOAK_SEED:-}
[ -n "$SEED" ] || SEED=$(( ($(date +%s) * 31 + $$) % 2147483647 ))
case $SEED in
*[!0-9]*) echo "soak: SOAK_SEED must be a number, not $SEED" >&2; exit 64 ;;
esac
PODS=32			# 4 addresses each; 16 pods per fixture process
QUIET=5			# seconds after a step before the first look
CONVERGE=20		# seconds after a step by which BIND must be right
TOP=$(cd "$(dirname "$0")/../.." && pwd)
ORACLE=$TOP/tests/soak/oracle.awk
W=$(mktemp -d /tmp/dnsfailover-soak.XXXXXX)
chmod 755 "$W"
DPORT=$((16000 + $$ % 1000 * 2))	# below the ephemeral range
WPORT=$((DPORT + 1))
PIDS=""
DAEMON=""
NF=$(( (PODS + 15) / 16 ))

for t in dig named awk; do
	command -v "$t" >/dev/null 2>&1 || { echo "soak: needs $t" >&2; exit 1; }
done
[ -x "$BIN" ] || { echo "soak: no daemon at $BIN" >&2; exit 1; }
[ -x "$HTTPD" ] || { echo "soak: no fixture at $HTTPD" >&2; exit 1; }

cleanup() {
	set +e
	[ -z "$DAEMON" ] || kill "$DAEMON" 2>/dev/null
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	sh "$TOP/tests/fixture/dns.sh" stop "$W/dns" 2>/dev/null || true
	if [ "${SOAK_KEEP:-0}" = 1 ] || [ "${FAILED:-0}" != 0 ]; then
		echo "soak: work directory kept: $W"
	else
		rm -rf "$W"
	fi
}
trap cleanup EXIT
trap 'exit 2' INT TERM

now() { date +%s; }
log() { echo "soak: [$(date +%H:%M:%S)] $*"; }
event() { echo "$(date +%H:%M:%S) step $STEP $*" >>"$W/events"; }

# ---- the seeded random source: an LCG, RS its state ----
RS=$((SEED % 2147483648))
rnd() {	# rnd N: R = 0..N-1
	RS=$(( (RS * 1103515245 + 12345) % 2147483648 ))
	R=$(( (RS / 65536) % $1 ))
}

# ---- addresses: pod k has p1 p2 (primaries), f1 f2 (failovers) ----
addr() {	# addr POD 1..4
	case $2 in
	1) echo "127.10.$1.1" ;; 2) echo "127.10.$1.2" ;;
	3) echo "127.20.$1.1" ;; 4) echo "127.20.$1.2" ;;
	esac
}
UPB="ok|slow 5|status 302 OK"
DOWNB="down|status 503|status 404|reset|close|garbage|hang|slow 2000"
pick() {	# pick "A|B|C": B = one of them
	_n=$(echo "$1" | awk -F'|' '{print NF}')
	rnd "$_n"
	B=$(echo "$1" | awk -F'|' -v i=$((R + 1)) '{print $i}')
}
setaddr() {	# setaddr POD J CLASS BEHAVIOUR
	_a=$(addr "$1" "$2")
	"$HTTPD" ctl "$W/web$(($1 / 16))" "set $_a:$WPORT $4" >/dev/null
	eval "_old=\$C_$1_$2"
	if [ "$_old" != "$3" ]; then eval "LC_$1_$2=$(now)"; fi
	eval "C_$1_$2=\$3"
}

# ---- the sites: NAME POD P F NREC in $W/sites ----
awk -v n="$SITES" -v pods="$PODS" 'BEGIN {
	for (i = 1; i <= n; i++) {
		k = (i - 1) % pods; v = int((i - 1) / pods) % 6
		p1 = "127.10." k ".1"; p2 = "127.10." k ".2"
		f1 = "127.20." k ".1"; f2 = "127.20." k ".2"
		if (v == 0) { p = p1; f = f1; r = 1 }
		if (v == 1) { p = p1 "," p2; f = f1; r = 1 }
		if (v == 2) { p = p2; f = f1 "," f2; r = 1 }
		if (v == 3) { p = p1 "," p2; f = f1 "," f2; r = 1 }
		if (v == 4) { p = p1; f = f2; r = 1 }
		if (v == 5) { p = p2; f = f1 "," f2; r = 2 }
		printf "s%d.example.test %d %s %s %d\n", i, k, p, f, r
	}
}' >"$W/sites"
TTL=30

sitelist() {	# the daemon's sitelist.yaml from $W/sites and $TTL
	awk -v dport="$DPORT" -v wport="$WPORT" -v ttl="$TTL" 'BEGIN {
		printf "dns: {servers: [\"127.0.0.1:%s\"], key_file: update.key, timeout: 3s}\n", dport
		printf "defaults: {ttl: %s, interval: 1s, fall: 2, rise: 2, check: {port: %s, path: /health, expect_body: OK, timeout: 800ms}}\n", ttl, wport
		print "state_file: state"
		print "max_parallel: 1000"
		print "sites:"
	}
	{
		gsub(/,/, ", ", $3); gsub(/,/, ", ", $4)
		rec = $5 == 2 ? ", records: [" $1 ", www." $1 "]" : ""
		printf "  - {name: %s, zone: example.test, primary: [%s], failover: [%s]%s}\n", $1, $3, $4, rec
	}' "$W/sites"
}

# ---- BIND, the fixtures, the daemon ----
sh "$TOP/tests/fixture/dns.sh" start "$W/dns" "$DPORT" bind >"$W/dns.out" 2>&1 ||
    { cat "$W/dns.out"; exit 1; }
cat "$W/dns/key" >"$W/update.key"
chmod 600 "$W/update.key"
bind_stop() { sh "$TOP/tests/fixture/dns.sh" stop "$W/dns"; }
bind_start() { sh "$TOP/tests/fixture/dns.sh" resume "$W/dns" "$DPORT" >/dev/null; }

j=0
while [ "$j" -lt "$NF" ]; do
	mkdir -p "$W/web$j"
	set --
	k=$((j * 16))
	while [ "$k" -lt $(( (j + 1) * 16 )) ] && [ "$k" -lt "$PODS" ]; do
		for i in 1 2 3 4; do set -- "$@" "$(addr $k $i):$WPORT"; done
		k=$((k + 1))
	done
	"$HTTPD" -d "$W/web$j" "$@" 2>>"$W/web.err" &
	PIDS="$PIDS $!"
	j=$((j + 1))
done
for j in $(seq 0 $((NF - 1))); do
	for _ in $(seq 1 50); do [ -f "$W/web$j/httpd.pid" ] && break; sleep 0.1; done
done
k=0
while [ "$k" -lt "$PODS" ]; do
	for i in 1 2 3 4; do eval "C_${k}_$i=u; LC_${k}_$i=0"; done
	k=$((k + 1))
done

sitelist >"$W/sitelist.yaml"
cp "$W/sitelist.yaml" "$W/good.yaml"
INCARN=0
start_daemon() {
	INCARN=$((INCARN + 1))
	(cd "$W" && exec "$BIN" -c sitelist.yaml run) 2>>"$W/daemon.log" &
	DAEMON=$!
	echo "$(date +%H:%M:%S) daemon $INCARN pid $DAEMON" >>"$W/daemon.log"
}
start_daemon
T0=$(now)
END=$((T0 + MINUTES * 60))
HALF=$((T0 + MINUTES * 30))
log "seed $SEED (replay: SOAK_SEED=$SEED), $SITES sites, $PODS pods, $MINUTES min, work $W"

# ---- the oracle ----
: >"$W/events"
awk '{print $1, "auto", "-"}' "$W/sites" >"$W/model"
CHECKS=0; WRONG=0; AMBIG=0; FAILED=0; SHOWN=0; CONVMAX=0
health() {
	k=0
	while [ "$k" -lt "$PODS" ]; do
		for i in 1 2 3 4; do eval "echo \"$(addr $k $i) \$C_${k}_$i\""; done
		k=$((k + 1))
	done >"$W/health"
}
serves() {	# the zone as BIND serves it now, in $W/served
	dig +noall +answer +time=2 +tries=1 -p "$DPORT" @127.0.0.1 \
	    example.test AXFR >"$W/served" 2>/dev/null &&
	    grep -q SOA "$W/served"
}
compare() {	# compare [UNCERTAIN]: the oracle's verdict in $W/verdict
	: >"$W/none"
	serves || { echo "SUMMARY sites=0 wrong=-1 ambiguous=0" >"$W/verdict"; return; }
	awk -f "$ORACLE" -v out="$W/model.new" "$W/health" "$W/sites" \
	    "$W/model" "$W/served" "${1:-$W/none}" >"$W/verdict"
}
measure() {	# RSS (kB), sockets and other fds of the daemon, to $W/res
	_rss=$(awk '/^VmRSS/ {print $2}' "/proc/$DAEMON/status" 2>/dev/null || echo 0)
	_fd=$(ls -l "/proc/$DAEMON/fd" 2>/dev/null |
	    awk '/ -> / { if ($NF ~ /^socket:/) s++; else o++ } END { print s + 0, o + 0 }')
	echo "$INCARN $(($(now) - T0)) $_rss $_fd" >>"$W/res"
}
check() {	# check T_STEP [UNCERTAIN]: waits until BIND is right or CONVERGE
	health
	sleep "$QUIET"
	while :; do
		compare "${2:-}"
		if grep -q '^SUMMARY.* wrong=0 ' "$W/verdict"; then
			break
		fi
		[ "$(now)" -lt $(($1 + CONVERGE)) ] || break
		kill -0 "$DAEMON" 2>/dev/null || break
		sleep 1
	done
	_dt=$(($(now) - $1))
	[ "$_dt" -le "$CONVMAX" ] || CONVMAX=$_dt
	CHECKS=$((CHECKS + 1))
	_w=$(sed -n 's/^SUMMARY.* wrong=\([-0-9]*\) .*/\1/p' "$W/verdict")
	_a=$(sed -n 's/^SUMMARY.* ambiguous=\([0-9]*\).*/\1/p' "$W/verdict")
	AMBIG=$((AMBIG + _a))
	if [ "$_w" = -1 ]; then
		FAILED=$((FAILED + 1)); WRONG=$((WRONG + 1))
		log "check $CHECKS: BIND gave no zone transfer"
	elif [ "$_w" -gt 0 ]; then
		FAILED=$((FAILED + 1)); WRONG=$((WRONG + _w))
		log "check $CHECKS (step $STEP): $_w wrong DNS states"
		explain
	fi
	[ ! -s "$W/model.new" ] || mv "$W/model.new" "$W/model"
	measure
}
explain() {	# the first differences, with their pods' history
	grep '^WRONG' "$W/verdict" | head -5 | while read -r _ s rest; do
		echo "  $s $rest"
		pod=$(awk -v s="$s" '$1 == s {print $2}' "$W/sites")
		echo "  history of pod $pod:"
		grep -E "pod $pod( |$)|site $s( |$)|daemon|bind|hup" "$W/events" | tail -12 | sed 's/^/    /'
		echo "  daemon log for $s:"
		grep -F "$s:" "$W/daemon.log" | tail -6 | sed 's/^/    /'
	done
}

# the start: every address up; the primaries are published after rise
STEP=0
check "$(($(now) + 40))"
if [ "$FAILED" -ne 0 ]; then
	log "the daemon never published the primaries; its log:"
	tail -20 "$W/daemon.log"
	exit 1
fi
log "start: every site on its primaries ($(tail -1 "$W/res" | awk '{print "rss " $3 " kB, fds " $5 " + " $4 " sockets"}'))"

# ---- the steps ----
NADDR=0; NBIND=0; NHUPG=0; NHUPB=0; NFLIP=0; NREL=0; NKILL=0
TOUCHED=""
touched() { case " $TOUCHED " in *" $1 "*) return 0 ;; esac; return 1; }
freepod() {	# POD = a pod not touched in this step
	while :; do
		rnd "$PODS"; POD=$R
		touched "$POD" || break
	done
	TOUCHED="$TOUCHED $POD"
}
addr_faults() {	# addr_faults N: N pods, one address each
	_i=0
	while [ "$_i" -lt "$1" ]; do
		freepod
		rnd 4; _j=$((R + 1))
		eval "_c=\$C_${POD}_$_j"
		rnd 10
		if { [ "$_c" = u ] && [ "$R" -lt 6 ]; } || { [ "$_c" = d ] && [ "$R" -lt 3 ]; }; then
			pick "$DOWNB"; _c=d
		else
			pick "$UPB"; _c=u
		fi
		setaddr "$POD" "$_j" "$_c" "$B"
		event "pod $POD $(addr $POD $_j) $B ($_c)"
		NADDR=$((NADDR + 1))
		_i=$((_i + 1))
	done
}
site_in_free_pod() {	# SITE, SPOD: a site of a pod not touched in this step
	freepod
	rnd $(( (SITES - POD + PODS - 1) / PODS ))
	SITE="s$((POD + 1 + R * PODS)).example.test"
	SPOD=$POD
}
model_set() {	# model_set SITE MODE PREV
	awk -v s="$1" -v m="$2" -v p="$3" '$1 == s {$2 = m; if (p != "") $3 = p} {print}' \
	    "$W/model" >"$W/model.tmp" && mv "$W/model.tmp" "$W/model"
}
release_site() {	# release_site SITE
	(cd "$W" && "$BIN" -q -c sitelist.yaml release "$1") >>"$W/cli.log" 2>&1 ||
	    { log "release $1 failed: $(tail -3 "$W/cli.log")"; FAILED=$((FAILED + 1)); }
	model_set "$1" auto ""
	event "site $1 pod $SPOD release"
	NREL=$((NREL + 1))
}
do_flip() {	# a held site released, or a site flipped
	_held=$(awk '$2 == "held" {print $1}' "$W/model")
	rnd 2
	if [ -n "$_held" ] && [ "$R" = 0 ]; then
		rnd "$(echo "$_held" | wc -l)"
		SITE=$(echo "$_held" | sed -n "$((R + 1))p")
		SPOD=$(awk -v s="$SITE" '$1 == s {print $2}' "$W/sites")
		if ! touched "$SPOD"; then
			TOUCHED="$TOUCHED $SPOD"
			release_site "$SITE"
			return
		fi
	fi
	site_in_free_pod
	if [ "$(awk -v s="$SITE" '$1 == s {print $2}' "$W/model")" = held ]; then
		release_site "$SITE"
		return
	fi
	rnd 2
	if [ "$R" = 0 ]; then _side=primary; _col=3; else _side=failover; _col=4; fi
	_set=$(awk -v s="$SITE" -v c=$_col '$1 == s {print $c}' "$W/sites")
	_set=$(echo "$_set" | tr ',' '\n' | sort | tr '\n' ',' | sed 's/,$//')
	rnd 3
	if [ "$R" = 0 ]; then _for="--for 2s"; _mode=for; else _for=""; _mode=held; fi
	# shellcheck disable=SC2086
	(cd "$W" && "$BIN" -q -c sitelist.yaml flip "$SITE" "$_side" $_for --reason soak) >>"$W/cli.log" 2>&1 ||
	    { log "flip $SITE failed: $(tail -3 "$W/cli.log")"; FAILED=$((FAILED + 1)); }
	model_set "$SITE" "$_mode" "$_set"
	event "site $SITE pod $SPOD flip $_side $_for"
	NFLIP=$((NFLIP + 1))
}
do_hup_good() {
	rnd 2
	if [ "$R" = 0 ]; then
		TTL=$((20 + (TTL - 19) % 40))
		event "hup ttl $TTL"
	else
		# one auto site's failover list, in a pod nothing else touches
		while :; do
			site_in_free_pod
			[ "$(awk -v s="$SITE" '$1 == s {print $2}' "$W/model")" = auto ] && break
		done
		rnd 3
		_f1="127.20.$SPOD.1"; _f2="127.20.$SPOD.2"
		case $R in 0) _f=$_f1 ;; 1) _f=$_f2 ;; 2) _f="$_f1,$_f2" ;; esac
		awk -v s="$SITE" -v f="$_f" '$1 == s {$4 = f} {print}' "$W/sites" >"$W/sites.tmp"
		mv "$W/sites.tmp" "$W/sites"
		event "hup site $SITE pod $SPOD failover $_f"
	fi
	sitelist >"$W/good.yaml"
	_n=$(grep -c "reloaded:" "$W/daemon.log" || true)
	cp "$W/good.yaml" "$W/sitelist.yaml"
	kill -HUP "$DAEMON"
	_t=$(($(now) + 20))
	while [ "$(grep -c "reloaded:" "$W/daemon.log" || true)" -le "$_n" ]; do
		if [ "$(now)" -gt "$_t" ]; then
			log "SIGHUP with a good file: no \"reloaded:\" in 20 s"
			FAILED=$((FAILED + 1)); break
		fi
		sleep 0.2
	done
	NHUPG=$((NHUPG + 1))
}
do_hup_bad() {
	rnd 3
	case $R in
	0) sed 's/interval: 1s/intervall: 1s/' "$W/good.yaml" ;;
	1) sed '0,/127\.10\.0\.1/s//127.10.0.300/' "$W/good.yaml" ;;
	2) cat "$W/good.yaml"; sed -n '6p' "$W/good.yaml" ;;	# a duplicate site
	esac >"$W/sitelist.yaml"
	_n=$(grep -c "has errors; still running the configuration" "$W/daemon.log" || true)
	kill -HUP "$DAEMON"
	_t=$(($(now) + 20))
	while [ "$(grep -c "has errors; still running the configuration" "$W/daemon.log" || true)" -le "$_n" ]; do
		if [ "$(now)" -gt "$_t" ]; then
			log "SIGHUP with a broken file: not refused in 20 s"
			FAILED=$((FAILED + 1)); break
		fi
		sleep 0.2
	done
	cp "$W/good.yaml" "$W/sitelist.yaml"
	event "hup broken ($R)"
	NHUPB=$((NHUPB + 1))
}
do_kill9() {	# during address faults; UNC: addresses a stale state may hold
	addr_faults "$1"
	rnd 26; sleep "$((R / 10)).$((R % 10))"
	KILLED=0
	if [ "$(now)" -ge "$HALF" ]; then
		# the second half runs one daemon: its RSS and descriptors
		# from start to end are the figures
		event "no kill -9 in the second half"
		return
	fi
	_old=$DAEMON
	kill -9 "$DAEMON"; wait "$DAEMON" 2>/dev/null || true
	# what a kill during a save leaves; the next run must remove it
	[ -e "$W/state.tmp.$_old" ] || echo "half a state" >"$W/state.tmp.$_old"
	_t=$(now)
	start_daemon
	event "daemon kill -9 $((R / 10)).$((R % 10)) s after the faults (pid $_old), restarted as $DAEMON"
	: >"$W/uncertain"
	k=0
	while [ "$k" -lt "$PODS" ]; do
		for i in 1 2 3 4; do
			eval "_lc=\$LC_${k}_$i"
			[ $((_t - _lc)) -gt 70 ] || addr "$k" "$i" >>"$W/uncertain"
		done
		k=$((k + 1))
	done
	NKILL=$((NKILL + 1))
	OLDPID=$_old
	KILLED=1
}

while [ "$(now)" -lt "$END" ]; do
	STEP=$((STEP + 1))
	TOUCHED=""
	UNC=""
	for j in $(seq 0 $((NF - 1))); do : >"$W/web$j/requests.log"; done
	rnd 4; nf=$((R + 1))
	rnd 100
	case ${SOAK_STEP:-} in
	bind) R=0 ;; hup) R=10 ;; badhup) R=20 ;; kill9) R=27 ;; flip) R=35 ;; addr) R=99 ;;
	esac
	if [ "$R" -lt 10 ]; then
		bind_stop
		event "bind stopped"
		addr_faults "$nf"
		rnd 4; sleep $((R + 2))
		bind_start
		event "bind started"
		NBIND=$((NBIND + 1))
	elif [ "$R" -lt 20 ]; then
		do_hup_good
		addr_faults "$nf"
	elif [ "$R" -lt 27 ]; then
		do_hup_bad
		addr_faults "$nf"
	elif [ "$R" -lt 35 ]; then
		do_kill9 "$nf"
		[ "$KILLED" = 0 ] || UNC=$W/uncertain
	elif [ "$R" -lt 55 ]; then
		do_flip
		rnd 3; [ "$R" != 0 ] || do_flip
		addr_faults "$nf"
	else
		addr_faults "$nf"
	fi
	if [ "${SOAK_TAMPER:-0}" = 1 ] && [ "$STEP" = 2 ]; then
		# the oracle's own test: a record changed behind the daemon's
		# back must be reported as a wrong DNS state
		printf 'server 127.0.0.1 %s\nzone example.test\nupdate delete s1.example.test A\nupdate add s1.example.test 30 A 192.0.2.99\nsend\n' "$DPORT" |
		    nsupdate -k "$W/update.key"
		event "site s1.example.test tampered with (SOAK_TAMPER)"
	fi
	check "$(now)" "$UNC"
	if [ -n "$UNC" ] && ls "$W"/state.tmp."$OLDPID" >/dev/null 2>&1; then
		log "the temporary file of the killed daemon is still there"
		FAILED=$((FAILED + 1))
	fi
	if ! kill -0 "$DAEMON" 2>/dev/null; then
		log "the daemon died; its log:"
		tail -20 "$W/daemon.log"
		FAILED=$((FAILED + 1))
		start_daemon
	fi
	if [ $((STEP % 10)) = 0 ]; then
		log "step $STEP: $CHECKS checks, $WRONG wrong, $(tail -1 "$W/res" | awk '{print "rss " $3 " kB, fds " $5 " + " $4 " sockets"}')"
	fi
done

# ---- the figures ----
(cd "$W" && "$BIN" -c sitelist.yaml status --json) >"$W/status.json" 2>/dev/null || true
DRIFT=$(grep -o '"mode":"drift"' "$W/status.json" | wc -l)
PENDING=$(grep -o '"pending":{' "$W/status.json" | wc -l)
[ "$DRIFT" = 0 ] || FAILED=$((FAILED + 1))
NFAULT=$((NADDR + NBIND + NHUPG + NHUPB + NFLIP + NREL + NKILL))
echo
echo "soak: seed $SEED, $SITES sites, $(( ($(now) - T0) / 60 )) min, $STEP steps"
echo "faults injected: $NFAULT (address $NADDR, bind restart $NBIND, sighup good $NHUPG, sighup broken $NHUPB, flip $NFLIP, release $NREL, kill -9 $NKILL)"
echo "checks made: $CHECKS (every record of every site each; slowest convergence ${CONVMAX} s after its step)"
echo "wrong DNS states: $WRONG (ambiguous after kill -9, accepted: $AMBIG)"
echo "sites in drift at the end: $DRIFT, pending: $PENDING"
echo "daemon log: $(grep -c 'kept pending' "$W/daemon.log" || true) updates kept pending and retried, $(grep -c 'reloaded:' "$W/daemon.log" || true) reloads, $(grep -c 'has errors; still running' "$W/daemon.log" || true) refused, $(grep -c 'temporary file' "$W/daemon.log" || true) removals of a killed daemon's temporary file"
awk '
	{ if (!($1 in first)) { first[$1] = $0; n++; ord[n] = $1 }
	  last[$1] = $0
	  if (!($1 in smin) || $4 < smin[$1]) smin[$1] = $4
	  if ($4 > smax[$1]) smax[$1] = $4 }
	END {
		for (i = 1; i <= n; i++) {
			k = ord[i]
			split(first[k], a, " "); split(last[k], b, " ")
			printf "daemon %d, %d s to %d s: RSS %d -> %d kB; fds other than sockets %d -> %d; sockets (probes in flight) %d -> %d (%d..%d)\n", \
			    k, a[2], b[2], a[3], b[3], a[5], b[5], a[4], b[4], smin[k], smax[k]
		}
	}' "$W/res"
awk '{ if (!($1 in t0)) t0[$1] = $2
	  if ($2 - t0[$1] >= 120 && !($1 in w)) { w[$1] = $3; wt[$1] = $2 - t0[$1] }
	  last[$1] = $3; age[$1] = $2 - t0[$1] }
	END { for (k in w) printf "daemon %d after 2 min of warm-up: RSS %d kB, %d s later %d kB\n", k, w[k], age[k] - wt[k], last[k] }' "$W/res" | sort -n -k2
awk '{ m = int($2 / 60); if (!(m in seen)) { seen[m] = 1; s = s sprintf(" %d:%d", m, $3) } }
	END { print "RSS (kB) at the first check of each minute:" s }' "$W/res"
if [ "$FAILED" -ne 0 ]; then
	echo "soak: FAILED ($FAILED); replay with SOAK_SEED=$SEED"
	exit 1
fi
echo "soak: OK (seed $SEED)"
