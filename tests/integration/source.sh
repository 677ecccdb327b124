# source.sh: monitor.source and dns.source, the local addresses probes and
# DNS traffic leave from, through "dnsfailover probe", "check" and
# "validate", against real BIND and the fixture (which logs each
# request's peer= and answers per client).  Sourced by run.sh (run, ok,
# not_ok, contains, lacks, expect_rc, $BIN, $HTTPD, $WORK, $PIDS,
# cleanup).
#
# Its own BIND, which takes updates only from 127.0.0.21 with the key,
# and its own fixture, on ports of its own: check.sh +0, daemon.sh +20,
# types_dns_exec.sh +40, types_tcp.sh +60, this file +80.

S=$WORK/source
mkdir -p "$S/web"
SPORT=${SOURCE_PORT:-$((12000 + ($$ * 13) % 7000 + 80))}
SWEB=$((SPORT + 3))
STOP_SDNS="sh $TOP/tests/fixture/dns.sh stop $S/dns"
trap 'cleanup; $STOP_SDNS' EXIT INT TERM

# BIND as dns.sh makes it, then: queries from all of 127/8, updates
# only from 127.0.0.21 and signed (the ARM's "address and key" list)
if sh "$TOP/tests/fixture/dns.sh" start "$S/dns" "$SPORT" bind \
    >"$S/dns.out" 2>&1 && $STOP_SDNS >>"$S/dns.out" 2>&1 &&
    sed -i -e 's/allow-query { 127.0.0.1; };/allow-query { 127.0.0.0\/8; };/' \
    -e 's/update-policy { grant failover-key zonesub ANY; };/allow-update { !{ !127.0.0.21; any; }; key failover-key; };/' \
    "$S/dns/bind/named.conf" &&
    grep -q '127.0.0.21' "$S/dns/bind/named.conf" &&
    sh "$TOP/tests/fixture/dns.sh" resume "$S/dns" "$SPORT" \
    >>"$S/dns.out" 2>&1; then
	ok "source: BIND starts, updates only from 127.0.0.21"
else
	not_ok "source: BIND starts, updates only from 127.0.0.21" \
	    "$(cat "$S/dns.out")"
	return 0 2>/dev/null || exit 1
fi
cat >"$S/k.key" <"$S/dns/key"
chmod 600 "$S/k.key"
"$HTTPD" -d "$S/web" 127.0.0.2:$SWEB 127.0.0.3:$SWEB 2>"$S/web.err" &
PIDS="$PIDS $!"
for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	[ -f "$S/web/httpd.pid" ] && break; sleep 0.1
done
sweb() { a=$1; shift; "$HTTPD" ctl "$S/web" "set $a:$SWEB $*"; }
sq() { dig +short -p "$SPORT" @127.0.0.1 "$1" A | sort | tr '\n' ' ' | sed 's/ $//'; }
srun() { (cd "$S" && "$BIN" -c "$1" "$2" ${3:+"$3"} >"$S/out" 2>"$S/err"); rc=$?; out=$(cat "$S/out"); err=$(cat "$S/err"); }

# sconf FILE MONITOR_SOURCE DNS_SOURCE: the config, sources "" for none
sconf() {
	{
		printf 'dns: {servers: ["127.0.0.1:%s"], key_file: k.key, timeout: 2s' "$SPORT"
		[ -n "$3" ] && printf ', source: %s' "$3"
		printf '}\n'
		[ -n "$2" ] && printf 'monitor: {source: %s}\n' "$2"
		cat <<YAML
defaults: {ttl: 30, fall: 1, rise: 1, check: {port: $SWEB, path: /src, timeout: 1s}}
sites:
  - {name: www.example.test, zone: example.test, primary: 127.0.0.2, failover: 127.0.0.3}
state_file: state.$1
YAML
	} >"$S/$1"
}

# ---- probes leave from monitor.source ----

sconf p21.yaml 127.0.0.21 ""
sconf p22.yaml "[127.0.0.22, \"::1\"]" ""
: >"$S/web/requests.log"
srun p21.yaml probe www.example.test
expect_rc "source: probe from 127.0.0.21" 0
contains "source: the primary is up" "$out" "primary   127.0.0.2                  ok    ok "
contains "source: the server saw the probe come from 127.0.0.21" \
    "$(cat "$S/web/requests.log")" "peer=127.0.0.21 local=127.0.0.2:$SWEB tls=0 sni=- host=www.example.test:$SWEB method=GET path=/src"
contains "source: ... both addresses" \
    "$(cat "$S/web/requests.log")" "peer=127.0.0.21 local=127.0.0.3:$SWEB"

# the server refuses one monitor, not the other
sweb 127.0.0.2 from 127.0.0.21 status 503
sweb 127.0.0.3 from 127.0.0.21 refuse
srun p21.yaml probe www.example.test
contains "source: a 503 for 127.0.0.21 is its probe's result" "$out" \
    "primary   127.0.0.2                  FAIL  HTTP status not expected   503"
contains "source: refused for 127.0.0.21: a reset, the server's fault" "$out" \
    "failover  127.0.0.3                  FAIL  reset"
srun p22.yaml probe www.example.test
contains "source: from 127.0.0.22 the same server is up" "$out" \
    "primary   127.0.0.2                  ok    ok "
contains "source: ... both of them" "$out" "failover  127.0.0.3                  ok    ok "
contains "source: the IPv6 source leaves IPv4 probes to IPv4's" \
    "$(tail -2 "$S/web/requests.log")" "peer=127.0.0.22 "
sweb 127.0.0.2 from 127.0.0.21 default
sweb 127.0.0.3 from 127.0.0.21 default

# check: the probes of a round come from the source too
: >"$S/web/requests.log"
sconf c21.yaml 127.0.0.21 127.0.0.21
srun c21.yaml check
expect_rc "source: check from 127.0.0.21" 0
contains "source: check probes from monitor.source" \
    "$(cat "$S/web/requests.log")" "peer=127.0.0.21 local=127.0.0.2:$SWEB"
lacks "source: ... and from nowhere else" \
    "$(cat "$S/web/requests.log")" "peer=127.0.0.1 "

# ---- DNS traffic leaves from dns.source ----

[ "$(sq www.example.test)" = "127.0.0.2" ] &&
    ok "source: the update from 127.0.0.21 went in" ||
    not_ok "source: the update from 127.0.0.21 went in" "$(sq www.example.test)" "$err"
grep -q "127.0.0.21#[0-9]*/key failover-key: updating zone 'example.test/IN'" \
    "$S/dns/bind.log" && ok "source: BIND saw the update come from 127.0.0.21" ||
    not_ok "source: BIND saw the update come from 127.0.0.21" "$(tail -5 "$S/dns/bind.log")"
sweb 127.0.0.2 down
srun c21.yaml check
[ "$(sq www.example.test)" = "127.0.0.3" ] &&
    ok "source: failover published from 127.0.0.21" ||
    not_ok "source: failover published from 127.0.0.21" "$(sq www.example.test)" "$err"
sweb 127.0.0.2 up

# from 127.0.0.22 the key alone is not enough
sconf c22.yaml 127.0.0.21 127.0.0.22
srun c22.yaml check
lacks "source: from 127.0.0.22 nothing changes" "$(sq www.example.test)" "127.0.0.2"
contains "source: ... BIND refused it" "$err" "REFUSED"
grep -q "127.0.0.22#[0-9]*/key failover-key: update 'example.test/IN' denied" \
    "$S/dns/bind.log" && ok "source: BIND denied the one from 127.0.0.22" ||
    not_ok "source: BIND denied the one from 127.0.0.22" "$(tail -5 "$S/dns/bind.log")"

# ---- the daemon: probes from the source, and from the new one on reload ----

# slogged SECONDS TEXT: whether requests.log gets TEXT in time
slogged() {
	i=0
	while [ "$i" -lt $(($1 * 10)) ]; do
		grep -q "$2" "$S/web/requests.log" && return 0
		sleep 0.1; i=$((i + 1))
	done
	return 1
}
sconf d.yaml 127.0.0.21 127.0.0.21
sed -i "s/fall: 1, rise: 1,/fall: 1, rise: 1, interval: 1s,/; s/timeout: 1s}/timeout: 500ms}/" "$S/d.yaml"
: >"$S/web/requests.log"
(cd "$S" && exec "$BIN" -c d.yaml run) >/dev/null 2>"$S/daemon.log" &
SDAEMON=$!
PIDS="$PIDS $SDAEMON"
slogged 5 "peer=127.0.0.21 local=127.0.0.2:$SWEB" &&
    ok "source: the daemon probes from 127.0.0.21" ||
    not_ok "source: the daemon probes from 127.0.0.21" "$(cat "$S/daemon.log")"
sed -i 's/monitor: {source: 127.0.0.21}/monitor: {source: 127.0.0.22}/' "$S/d.yaml"
kill -HUP "$SDAEMON"
slogged 5 "peer=127.0.0.22 local=127.0.0.2:$SWEB" &&
    ok "source: after a reload, from the new source" ||
    not_ok "source: after a reload, from the new source" "$(cat "$S/daemon.log")"
kill "$SDAEMON" 2>/dev/null
wait "$SDAEMON" 2>/dev/null

# ---- config errors, each at its place ----

cat >"$S/bad.yaml" <<YAML
dns: {source: 192.0.2.7, servers: ["127.0.0.1:$SPORT"], key_file: k.key}
monitor: {source: [127.0.0.21, 127.0.0.22]}
sites:
  - {name: a.test, primary: 127.0.0.2, failover: 127.0.0.3,
     dns: {source: [localhost, "::1"]}}
YAML
srun bad.yaml validate
expect_rc "source: bad sources: exit 78" 78
contains "source: not an address of this host" "$err" \
    "bad.yaml:1:15: source: 192.0.2.7 is not an address of this host"
contains "source: two IPv4 addresses" "$err" \
    "bad.yaml:2:32: source: 127.0.0.21 and 127.0.0.22 are both IPv4 (at most one IPv4 and one IPv6 address)"
contains "source: not an address" "$err" \
    "bad.yaml:5:21: source: invalid IP address \"localhost\" (a source is an address of this host)"
[ "$(printf '%s\n' "$err" | wc -l)" -eq 3 ] &&
    ok "source: three errors, three lines" ||
    not_ok "source: three errors, three lines" "$err"

$STOP_SDNS
trap 'cleanup' EXIT INT TERM
