# types_tcp.sh: tcp banner checks (send, expect) and https cert_warn
# through "dnsfailover probe" and "check", against real BIND and the
# fixture, asserted with dig.  Sourced by run.sh (run, ok, not_ok,
# contains, lacks, expect_rc, $BIN, $HTTPD, $WORK, $PIDS, cleanup).
#
# Its own BIND and its own fixture (line protocols on 127.0.0.2 and .3,
# TLS on 127.0.0.4), on ports of its own: check.sh +0, daemon.sh +20,
# types_dns_exec.sh +40, this file +60.

K=$WORK/types-tcp
mkdir -p "$K/web"
KPORT=$((12000 + ($$ * 13) % 7000 + 60))
KWEB=$((KPORT + 3))
STOP_KDNS="sh $TOP/tests/fixture/dns.sh stop $K/dns"
trap 'cleanup; $STOP_KDNS' EXIT INT TERM
if ! sh "$TOP/tests/fixture/dns.sh" start "$K/dns" "$KPORT" bind \
    >"$K/dns.out" 2>&1; then
	not_ok "tcp: BIND starts" "$(cat "$K/dns.out")"
	return 0 2>/dev/null || exit 1
fi
cat >"$K/k.key" <"$K/dns/key"
chmod 600 "$K/k.key"
sh "$TOP/tests/fixture/mkcerts.sh" "$K/certs"
"$HTTPD" -d "$K/web" -c "$K/certs/server.pem" -k "$K/certs/server.key" \
    127.0.0.2:$KWEB 127.0.0.3:$KWEB 127.0.0.4:$KWEB/tls 2>"$K/web.err" &
PIDS="$PIDS $!"
for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	[ -f "$K/web/httpd.pid" ] && break; sleep 0.1
done
kweb() { a=$1; shift; "$HTTPD" ctl "$K/web" "set $a:$KWEB $*"; }
kq() { dig +short -p "$KPORT" @127.0.0.1 "$1" A | sort | tr '\n' ' ' | sed 's/ $//'; }
kchk() { (cd "$K" && "$BIN" -c k.yaml check "$@" >"$K/out" 2>"$K/err"); rc=$?; out=$(cat "$K/out"); err=$(cat "$K/err"); }
kprobe() { (cd "$K" && "$BIN" -c k.yaml probe "$1" >"$K/out" 2>"$K/err"); rc=$?; out=$(cat "$K/out"); err=$(cat "$K/err"); }

cat >"$K/k.yaml" <<YAML
dns: {servers: ["127.0.0.1:$KPORT"], key_file: k.key, timeout: 2s}
defaults: {ttl: 30, fall: 2, rise: 2, check: {port: $KWEB, timeout: 1s}}
sites:
  - name: smtp.example.test
    zone: example.test
    primary: 127.0.0.2
    failover: 127.0.0.3
    check: {type: tcp, send: "QUIT\\r\\n", expect: "220 "}
  - name: redis.example.test
    zone: example.test
    primary: 127.0.0.2
    failover: 127.0.0.3
    check: {type: tcp, send: "PING\\r\\n", expect: "+PONG"}
  - name: tls.example.test
    zone: example.test
    primary: 127.0.0.4
    failover: 127.0.0.3
    check: {type: https, port: $KWEB, ca_file: certs/ca.pem, cert_warn: 2d}
  - name: far.example.test
    zone: example.test
    primary: 127.0.0.4
    failover: 127.0.0.3
    check: {type: https, port: $KWEB, ca_file: certs/ca.pem, cert_warn: 1h}
state_file: state
YAML

# ---- probe ----

kweb 127.0.0.2 banner 220 mail.example.test ESMTP
kweb 127.0.0.3 banner 554 not now
kprobe smtp.example.test
expect_rc "tcp: probe a banner site" 0
contains "tcp: probe describes send and expect" "$out" \
    "smtp.example.test: connect to port $KWEB, send \"QUIT\\r\\n\", expect \"220 \""
contains "tcp: the right banner is up" "$out" "primary   127.0.0.2                  ok    ok "
contains "tcp: another banner is down, with what was read" "$out" \
    "failover  127.0.0.3                  FAIL  expected answer not found"
kweb 127.0.0.2 reply +PONG
kweb 127.0.0.3 stall
kprobe redis.example.test
contains "tcp: send then expect: the answer to PING is up" "$out" "primary   127.0.0.2                  ok    ok "
contains "tcp: a silent server is a timeout" "$out" "failover  127.0.0.3                  FAIL  timeout "
kweb 127.0.0.3 rst
kprobe redis.example.test
contains "tcp: a reset is a reset" "$out" "failover  127.0.0.3                  FAIL  reset "

kweb 127.0.0.4 ok
kprobe tls.example.test
contains "https: cert_warn 2d: the one-day certificate is up" "$out" "primary   127.0.0.4                  ok    ok "
# the exact notAfter, as openssl reads it
na=$(openssl x509 -in "$K/certs/server.pem" -noout -enddate | sed 's/^notAfter=//')
d=$(date -u -d "$na" +%Y-%m-%dT%H:%M:%SZ)
contains "https: cert_warn 2d: probe shows the expiry, within cert_warn" "$out" \
    "certificate expires $d"
contains "https: cert_warn 2d: ... and says it is within" "$out" ", within cert_warn 2d"
kprobe far.example.test
contains "https: cert_warn 1h: the expiry is shown" "$out" "certificate expires $d"
lacks "https: cert_warn 1h: a day to go is not within" "$out" "within cert_warn"

# ---- check: a wrong banner fails over, as dig sees ----

kweb 127.0.0.2 banner 220 mail.example.test ESMTP
kweb 127.0.0.3 banner 220 backup.example.test ESMTP
kchk smtp.example.test
expect_rc "tcp: check, first round" 0
[ "$(kq smtp.example.test)" = "127.0.0.2" ] && ok "tcp: banner site published on its primary (dig)" ||
    not_ok "tcp: banner site published on its primary (dig)" "$(kq smtp.example.test)" "$err"
# the port still accepts, but the greeting is wrong: plain tcp would
# call this up
kweb 127.0.0.2 banner 421 too busy
kchk smtp.example.test
[ "$(kq smtp.example.test)" = "127.0.0.2" ] && ok "tcp: one wrong banner (fall 2): unchanged" ||
    not_ok "tcp: one wrong banner (fall 2): unchanged" "$(kq smtp.example.test)" "$err"
kchk smtp.example.test
[ "$(kq smtp.example.test)" = "127.0.0.3" ] && ok "tcp: a wrong banner fails over (dig)" ||
    not_ok "tcp: a wrong banner fails over (dig)" "$(kq smtp.example.test)" "$err"
contains "tcp: ... logged with the reason" "$err" \
    "smtp.example.test: primary 127.0.0.2 down (2/2 failed: expected answer not found"
kweb 127.0.0.2 banner 220 mail.example.test ESMTP
kchk smtp.example.test; kchk smtp.example.test
[ "$(kq smtp.example.test)" = "127.0.0.2" ] && ok "tcp: the banner is right again: restored after rise (dig)" ||
    not_ok "tcp: the banner is right again: restored after rise (dig)" "$(kq smtp.example.test)" "$err"
# send matters: PONG comes only after PING
kweb 127.0.0.2 reply +PONG
kweb 127.0.0.3 reply +PONG
kchk redis.example.test
[ "$(kq redis.example.test)" = "127.0.0.2" ] && ok "tcp: send then expect: published on its primary (dig)" ||
    not_ok "tcp: send then expect: published on its primary (dig)" "$(kq redis.example.test)" "$err"
# a certificate that expires soon keeps the address up
kchk tls.example.test
expect_rc "https: check with cert_warn" 0
[ "$(kq tls.example.test)" = "127.0.0.4" ] && ok "https: an expiring certificate stays published (dig)" ||
    not_ok "https: an expiring certificate stays published (dig)" "$(kq tls.example.test)" "$err"

# ---- rule 19: cert_expiring, told once per notify.repeat; status and
# the metrics show the date ----
cat >"$K/hook" <<'EOF'
#!/bin/sh
printf '%s %s %s\n' "$DNSFAILOVER_EVENT" "$DNSFAILOVER_SITE" "$DNSFAILOVER_REASON" >>"$CERTLOG"
EOF
chmod 755 "$K/hook"
export CERTLOG="$K/cert.log"
: >"$CERTLOG"
cat >"$K/c.yaml" <<YAML
dns: {servers: ["127.0.0.1:$KPORT"], key_file: k.key, timeout: 2s}
defaults: {ttl: 30, fall: 2, rise: 2, check: {port: $KWEB, timeout: 1s}}
sites:
  - name: tls.example.test
    zone: example.test
    primary: 127.0.0.4
    failover: 127.0.0.3
    check: {type: https, port: $KWEB, ca_file: certs/ca.pem, cert_warn: 2d}
state_file: cstate
metrics_file: c.prom
notify: {exec: "$K/hook", repeat: 1h}
YAML
kc() { (cd "$K" && "$BIN" -c c.yaml "$@" >"$K/out" 2>"$K/err"); rc=$?; out=$(cat "$K/out"); err=$(cat "$K/err"); }
kc check
expect_rc "cert_warn: check exits 0 (the address stays up)" 0
contains "cert_warn: the log says it, with the date" "$err" \
    "tls.example.test: the certificate of primary 127.0.0.4 expires $d"
kc check
kc check
n=$(grep -c "^cert_expiring tls.example.test the certificate of primary 127.0.0.4 expires $d (in " "$CERTLOG")
[ "$n" -eq 1 ] && ok "cert_warn: cert_expiring told once in three rounds (repeat 1h)" ||
    not_ok "cert_warn: cert_expiring told once in three rounds (repeat 1h)" "$(cat "$CERTLOG")"
kc status
contains "cert_warn: status shows the expiry date" "$out" "certificate expires $d"
kc status --json
contains "cert_warn: status --json has cert_expires" "$out" "\"cert_expires\":$(date -u -d "$na" +%s)"
contains "cert_warn: the metric has the expiry" "$(cat "$K/c.prom")" \
    "dnsfailover_address_cert_expiry_timestamp_seconds{site=\"tls.example.test\",role=\"primary\",address=\"127.0.0.4\"} $(date -u -d "$na" +%s)"
"$PROMCHECK" "$K/c.prom" >"$K/prom.out" 2>&1 && ok "cert_warn: the metrics file is valid" ||
    not_ok "cert_warn: the metrics file is valid" "$(cat "$K/prom.out")"

$STOP_KDNS >/dev/null 2>&1
trap cleanup EXIT INT TERM
