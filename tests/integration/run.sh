#!/bin/sh
# Integration tests: the dnsfailover binary as a user runs it.
#
# Usage: DNSFAILOVER=/path/to/dnsfailover sh tests/integration/run.sh
# Run from the top of the source tree.  Cases start real servers (BIND
# named, web servers) on loopback; every server a case starts is stopped
# by its pid in the EXIT trap.
set -u

BIN=${DNSFAILOVER:-$(pwd)/dnsfailover}
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
WORK=$(mktemp -d /tmp/dnsfailover-it.XXXXXX)
PIDS=""
. "$HERE/lib.sh"

cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

SECRET=$(head -c 32 /dev/urandom | base64)

# ---- command line ----

run "$BIN" --help
expect_rc "--help exits 0" 0
contains "--help lists validate" "$out" "validate"
contains "--help lists probe" "$out" "probe SITE"
contains "--help lists flip" "$out" "flip SITE... primary|failover"
contains "--help shows the global options" "$out" "-c FILE"
run "$BIN" validate --for 1h -c "$TOP/etc/sitelist.yaml.example"
expect_rc "a command option on the wrong command: usage error 64" 64
run "$BIN" --version
expect_rc "--version exits 0" 0
contains "--version names the version and libraries" "$out" "dnsfailover 0.1.0 (libcurl"
run "$BIN"
expect_rc "no command: usage error 64" 64
run "$BIN" frobnicate
expect_rc "unknown command: usage error 64" 64
contains "unknown command is named" "$err" "unknown command frobnicate"
run "$BIN" --frob validate
expect_rc "unknown option: usage error 64" 64
run "$BIN" validate -c
expect_rc "option without its argument: usage error 64" 64
run "$BIN" validate extra -c "$TOP/etc/sitelist.yaml.example"
expect_rc "validate with an argument: usage error 64" 64

# ---- validate ----

run "$BIN" validate -c "$TOP/etc/sitelist.yaml.example"
expect_rc "the example validates" 0
contains "validate prints configuration OK" "$out" "configuration OK"
contains "validate prints a summary" "$out" "2 sites, 1 zone"
contains "summary names the key" "$out" "key failover-key (hmac-sha256)"
run "$BIN" -c "$TOP/etc/sitelist.yaml.example" validate
expect_rc "global option before the command" 0

cp "$HERE/ten-mistakes.yaml" "$WORK/"
key "$WORK/ten.key" failover-key
(cd "$WORK" && "$BIN" validate -c ten-mistakes.yaml >out 2>err)
rc=$?
out=$(cat "$WORK/out")
err=$(cat "$WORK/err")
expect_rc "ten mistakes: exit 78" 78
if diff -u "$HERE/ten-mistakes.expected" "$WORK/err" >"$WORK/diff"; then
	ok "ten mistakes: ten FILE:LINE:COL lines, exactly"
else
	not_ok "ten mistakes: ten FILE:LINE:COL lines, exactly" \
	    "$(cat "$WORK/diff")"
fi
[ -z "$out" ] && ok "nothing on stdout on errors" ||
    not_ok "nothing on stdout on errors" "$out"

run "$BIN" validate -c "$WORK/missing.yaml"
expect_rc "missing sitelist.yaml: exit 78" 78
contains "missing sitelist.yaml is named" "$err" "$WORK/missing.yaml: cannot read: No such file or directory"

cat >"$WORK/s.yaml" <<YAML
dns: {servers: [127.0.0.1], key_file: s.key}
sites:
  - {name: a.test, primary: 127.0.0.2, failover: 127.0.0.3}
YAML
key "$WORK/s.key" s-key
chmod 644 "$WORK/s.key"
run "$BIN" validate -c "$WORK/s.yaml"
expect_rc "key file readable by others: exit 78" 78
contains "key file permission error names file and line" "$err" \
    "s.yaml:1:39: key file $WORK/s.key is accessible by group or others (mode 0644); run: chmod 600 $WORK/s.key"
lacks "key file permission error hides the secret" "$out$err" "$SECRET"
chmod 600 "$WORK/s.key"
run "$BIN" -v validate -c "$WORK/s.yaml"
expect_rc "private key file: exit 0" 0
lacks "validate never prints the secret" "$out$err" "$SECRET"

printf 'key "s-key" { algorithm hmac-sha384; secret "%s"; };\n' "$SECRET" >"$WORK/s.key"
run "$BIN" validate -c "$WORK/s.yaml"
expect_rc "hmac-sha384 key: exit 78" 78
contains "hmac-sha384 refused with the reason" "$err" "cannot sign with it"
lacks "hmac-sha384 error hides the secret" "$out$err" "$SECRET"

printf 'sites: []\n\377\n' >"$WORK/utf.yaml"
run "$BIN" validate -c "$WORK/utf.yaml"
expect_rc "invalid UTF-8: exit 78" 78
contains "invalid UTF-8 has its position" "$err" "utf.yaml:2:1: invalid UTF-8 (byte 0xff)"

# ---- probe, against the HTTP fixture on loopback ----

HTTPD=${HTTPD:-$TOP/build/httpd}


if httpd_start 127.0.0.2 127.0.0.3 "[::1]"; then
	key "$WORK/p.key" p-key
	cat >"$WORK/p.yaml" <<YAML
dns: {servers: [127.0.0.1], key_file: p.key}
defaults: {check: {port: $PORT, path: /health, timeout: 1s}}
sites:
  - {name: a.test, primary: [127.0.0.2, "::1"], failover: 127.0.0.3}
YAML
	ctl "127.0.0.3:$PORT status 503"
	run "$BIN" probe -c "$WORK/p.yaml" A.TEST.
	expect_rc "probe: exit 0 when it could probe" 0
	contains "probe: a line per address, primary ok" "$out" "primary   127.0.0.2                  ok    ok                         200"
	contains "probe: IPv6 address probed" "$out" "primary   ::1                        ok"
	contains "probe: failover FAIL with reason and status" "$out" "failover  127.0.0.3                  FAIL  HTTP status not expected   503"
	contains "probe: the server saw the site's name" "$(cat "$WORK/httpd/requests.log")" "local=127.0.0.3:$PORT tls=0 sni=- host=a.test:$PORT method=GET path=/health"
	run "$BIN" probe -c "$WORK/p.yaml" nosuch.test
	expect_rc "probe: unknown site is a usage error" 64
	contains "probe: unknown site named" "$err" "unknown site nosuch.test"
	run "$BIN" probe -c "$WORK/p.yaml"
	expect_rc "probe: no site is a usage error" 64
	run "$BIN" probe -c "$WORK/ten-mistakes.yaml" a.test
	expect_rc "probe: bad configuration is exit 78" 78
	ctl "127.0.0.3:$PORT ok"
	run sh -c "ulimit -n 5; exec \"$BIN\" probe -c \"$WORK/p.yaml\" a.test"
	expect_rc "probe: out of descriptors still exits 0" 0
	contains "probe: out of descriptors is a local error" "$out" "FAIL  local error"
	lacks "probe: out of descriptors is never a connect failure" "$out" "connect refused"
else
	not_ok "probe: the HTTP fixture starts"
fi

# ---- check, against BIND and the fixture ----

if [ -n "${PORT:-}" ]; then
	. "$HERE/check.sh"
fi

# ---- run (the daemon), against BIND and the fixture ----

if [ -n "${PORT:-}" ]; then
	. "$HERE/daemon.sh"
	. "$HERE/types_dns_exec.sh"
	. "$HERE/types_tcp.sh"
	. "$HERE/source.sh"
fi

# ---- the votes zone's transfer, against BIND, Knot and PowerDNS ----

. "$HERE/xfr.sh"

# ---- install ----

if make -s -C "$TOP" install DESTDIR="$WORK/root" PREFIX=/usr BIN="$BIN" \
    >"$WORK/install.log" 2>&1 &&
    [ -x "$WORK/root/usr/sbin/dnsfailover" ] &&
    [ -f "$WORK/root/usr/share/man/man8/dnsfailover.8" ] &&
    [ -f "$WORK/root/usr/share/man/man5/sitelist.yaml.5" ] &&
    [ -f "$WORK/root/usr/share/doc/dnsfailover/sitelist.yaml.example" ]; then
	ok "make install DESTDIR PREFIX puts binary, man pages and example"
else
	not_ok "make install DESTDIR PREFIX puts binary, man pages and example" \
	    "$(cat "$WORK/install.log")" "$(find "$WORK/root" 2>/dev/null)"
fi

# the systemd units, installed as they would be, checked by systemd itself
if make -s -C "$TOP" install PREFIX="$WORK/prefix" SYSCONFDIR="$WORK/prefix/etc" \
    BIN="$BIN" >"$WORK/install2.log" 2>&1; then
	U=$WORK/prefix/lib/systemd/system
	if (cd "$WORK" && systemd-analyze verify --man=no "$U/dnsfailover.service" \
	    "$U/dnsfailover-check.service" "$U/dnsfailover-check.timer") \
	    >"$WORK/verify.log" 2>&1 && [ ! -s "$WORK/verify.log" ]; then
		ok "systemd-analyze verify: the three units are clean"
	else
		not_ok "systemd-analyze verify: the three units are clean" "$(cat "$WORK/verify.log")"
	fi
	grep -q "^ExecStart=$WORK/prefix/sbin/dnsfailover -c $WORK/prefix/etc/dnsfailover/sitelist.yaml run\$" \
	    "$U/dnsfailover.service" && grep -q "^Type=notify" "$U/dnsfailover.service" &&
	    [ -f "$WORK/prefix/lib/sysusers.d/dnsfailover.conf" ] &&
	    ok "make install: units with the installed paths, sysusers.d entry" ||
	    not_ok "make install: units with the installed paths, sysusers.d entry" "$(cat "$U/dnsfailover.service")"
else
	not_ok "make install PREFIX: units" "$(cat "$WORK/install2.log")"
fi

echo "integration: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
