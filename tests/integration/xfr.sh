# xfr.sh: the votes zone's transfer (dnsxfr_fetch, through
# build/xfrtool) against BIND, Knot and PowerDNS with a TSIG key: AXFR,
# IXFR from an older serial, IXFR when up to date, answers over many
# messages (each signed, chained), a wrong key.  Sourced by run.sh (run,
# ok, not_ok, contains, lacks, expect_rc, $WORK, cleanup).
#
# Its own servers, on ports of its own: check.sh +0, daemon.sh +20,
# types_dns_exec.sh +40, types_tcp.sh +60, this file +80 (XFR_PORT
# overrides).

X=$WORK/xfr
mkdir -p "$X"
XTOOL=${XFRTOOL:-$TOP/build/xfrtool}
XPORT=${XFR_PORT:-$((12000 + ($$ * 13) % 7000 + 80))}
STOP_XDNS="sh $TOP/tests/fixture/dns.sh stop $X/dns"
trap 'cleanup; $STOP_XDNS' EXIT INT TERM

# xupd PORT LINE...: one signed update of example.test
xupd() {
	p=$1
	shift
	{ echo "server 127.0.0.1 $p"; echo "zone example.test";
	    for l in "$@"; do echo "update $l"; done; echo send; } |
	    nsupdate -k "$X/dns/key" >"$X/nsupdate.out" 2>&1
}
# xfr PORT [SERIAL] [KEYFILE]: xfrtool into $rc, $out, $err
xfr() {
	run "$XTOOL" "127.0.0.1:$1" "${3:-$X/dns/key}" example.test ${2:+"$2"}
}
# in_order NAME TEXT LINE1 LINE2: LINE1 comes before LINE2 in TEXT
in_order() {
	a=$(printf '%s\n' "$2" | grep -nxF -- "$3" | head -1 | cut -d: -f1)
	b=$(printf '%s\n' "$2" | grep -nxF -- "$4" | head -1 | cut -d: -f1)
	if [ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ]; then ok "$1"; else
		not_ok "$1" "expected, in this order: $3" "then: $4" "in: $2"
	fi
}

xfr_server() {	# xfr_server NAME PORT
	n=$1
	p=$2
	xupd "$p" 'add a1.example.test. 60 TXT "v=1" "beat=1"' ||
	    not_ok "$n: nsupdate (serial 2)" "$(cat "$X/nsupdate.out")"
	xupd "$p" 'delete a1.example.test. TXT' \
	    'add a1.example.test. 60 TXT "v=1" "beat=2"' \
	    'add a2.example.test. 60 TXT "v=1" "a b" "q\"z"' ||
	    not_ok "$n: nsupdate (serial 3)" "$(cat "$X/nsupdate.out")"

	xfr "$p"
	expect_rc "$n: AXFR exits 0" 0
	contains "$n: AXFR is the whole zone at serial 3" "$out" "full 3
"
	contains "$n: AXFR has the heartbeat as now" "$out" \
	    '+ a1.example.test "v=1" "beat=2"'
	contains "$n: AXFR decodes the strings" "$out" \
	    '+ a2.example.test "v=1" "a b" "q\"z"'
	lacks "$n: AXFR has no old record" "$out" 'beat=1'
	lacks "$n: AXFR keeps only TXT (no A)" "$out" 'www'

	xfr "$p" 2
	expect_rc "$n: IXFR from 2 exits 0" 0
	case $n:$out in
	pdns:full\ 3*)
		ok "pdns: IXFR from 2 answered in AXFR form (PowerDNS 4.7 sends the zone)"
		contains "pdns: that AXFR form has the zone now" "$out" \
		    '+ a1.example.test "v=1" "beat=2"'
		;;
	*)
		contains "$n: IXFR from 2 is incremental to 3" "$out" \
		    "incremental 3
"
		in_order "$n: IXFR deletes the old heartbeat, then adds the new" \
		    "$out" '- a1.example.test "v=1" "beat=1"' \
		    '+ a1.example.test "v=1" "beat=2"'
		contains "$n: IXFR adds the view" "$out" \
		    '+ a2.example.test "v=1" "a b" "q\"z"'
		;;
	esac

	xfr "$p" 3
	expect_rc "$n: IXFR when up to date exits 0" 0
	contains "$n: IXFR when up to date: uptodate 3, no change" "$out" \
	    "uptodate 3
# messages 1,"

	xfr "$p" 9
	expect_rc "$n: IXFR from a serial ahead of the server fails" 1
	contains "$n: ... saying so" "$err" \
	    "127.0.0.1:$p: the server's serial 3 is behind ours 9"

	xfr "$p" 2 "$X/wrong.key"
	expect_rc "$n: a wrong key fails" 1
	contains "$n: a wrong key: the error names the server" "$err" \
	    "xfrtool: 127.0.0.1:$p: NOTAUTH"
	lacks "$n: a wrong key: no secret in the error" "$err" \
	    "$(cat "$X/dns/key.secret")"
	lacks "$n: a wrong key: not the other secret either" "$err" \
	    "$(sed -n 's/.*secret "\(.*\)".*/\1/p' "$X/wrong.key")"

	# four updates of 400 TXT records: serial 7, about 96 KB of zone
	for b in 0 1 2 3; do
		set --
		for i in $(seq $((b * 400 + 1)) $((b * 400 + 400))); do
			set -- "$@" "add big$i.example.test. 60 TXT \"v=1\" \"padding-padding-padding-$i\""
		done
		xupd "$p" "$@" ||
		    not_ok "$n: nsupdate (400 records)" "$(cat "$X/nsupdate.out")"
	done
	xfr "$p"
	expect_rc "$n: AXFR over many messages exits 0" 0
	nm=$(printf '%s\n' "$out" | sed -n 's/^# messages \([0-9]*\),.*/\1/p')
	nc=$(printf '%s\n' "$out" | grep -c '^+ ')
	if [ "${nm:-0}" -gt 1 ] && [ "$nc" -eq 1602 ]; then
		ok "$n: AXFR over $nm messages, every one signed and chained: 1602 TXT"
	else
		not_ok "$n: AXFR over many messages: 1602 TXT" "messages $nm, adds $nc" "$err"
	fi
	xfr "$p" 3
	expect_rc "$n: IXFR from 3 over many messages exits 0" 0
	nm=$(printf '%s\n' "$out" | sed -n 's/^# messages \([0-9]*\),.*/\1/p')
	kind=$(printf '%s\n' "$out" | head -1)
	nc=$(printf '%s\n' "$out" | grep -c '^+ big')
	if [ "$nc" -eq 1600 ]; then
		ok "$n: IXFR from 3 over $nm messages: $kind, the 1600 new records"
	else
		not_ok "$n: IXFR from 3 over many messages" "$kind, $nc adds" "$err"
	fi
}

(umask 077 && printf 'key "failover-key" {\n\talgorithm hmac-sha256;\n\tsecret "%s";\n};\n' \
    "$(head -c 32 /dev/urandom | base64)" >"$X/wrong.key")
if ! [ -x "$XTOOL" ]; then
	not_ok "xfr: $XTOOL is built (make build/xfrtool)"
elif ! sh "$TOP/tests/fixture/dns.sh" start "$X/dns" "$XPORT" \
    >"$X/dns.out" 2>&1; then
	not_ok "xfr: BIND, Knot and PowerDNS start" "$(cat "$X/dns.out")"
else
	xfr_server bind "$XPORT"
	xfr_server knot $((XPORT + 1))
	xfr_server pdns $((XPORT + 2))
fi
$STOP_XDNS >/dev/null 2>&1
trap cleanup EXIT INT TERM
