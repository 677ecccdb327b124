# lib.sh: what the integration scripts share (run.sh, peers.sh).  Sourced;
# the caller sets $WORK (a scratch directory it removes) and $PIDS (the
# servers it started, stopped by pid in its EXIT trap), and $HTTPD for
# httpd_start.  Results are TAP-like lines; $passed and $failed count them.

passed=0
failed=0

ok() { passed=$((passed + 1)); echo "ok - $1"; }
not_ok() {
	failed=$((failed + 1))
	echo "not ok - $1"
	shift
	for line in "$@"; do echo "#   $line"; done
}

# run CMD...: sets $rc, $out (stdout) and $err (stderr)
run() {
	"$@" >"$WORK/out" 2>"$WORK/err"
	rc=$?
	out=$(cat "$WORK/out")
	err=$(cat "$WORK/err")
}

# expect_rc NAME WANT_RC: checks $rc
expect_rc() {
	if [ "$rc" -eq "$2" ]; then ok "$1"; else
		not_ok "$1" "exit status $rc, expected $2" "stdout: $out" \
		    "stderr: $err"
	fi
}

# contains NAME HAYSTACK NEEDLE
contains() {
	case $2 in
	*"$3"*) ok "$1" ;;
	*) not_ok "$1" "expected to find: $3" "in: $2" ;;
	esac
}

# lacks NAME HAYSTACK NEEDLE
lacks() {
	case $2 in
	*"$3"*) not_ok "$1" "must not contain: $3" "in: $2" ;;
	*) ok "$1" ;;
	esac
}

# same NAME GOT WANT: the two strings are equal
same() {
	if [ "$2" = "$3" ]; then ok "$1"; else
		not_ok "$1" "got:      $2" "expected: $3"
	fi
}

# key FILE NAME [SECRET]: a key file as tsig-keygen writes it, mode 0600
# ($SECRET unless one is given)
key() {
	(umask 077 && printf 'key "%s" {\n\talgorithm hmac-sha256;\n\tsecret "%s";\n};\n' \
	    "$2" "${3:-$SECRET}" >"$1")
}

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

# httpd_start ADDR...: starts the HTTP fixture in $WORK/httpd on one free
# port for every ADDR ($PORT), between $HTTPD_PORT_BASE and
# $HTTPD_PORT_BASE + $HTTPD_PORT_SPAN - 1 (default 20000..29999).
httpd_start() {
	mkdir -p "$WORK/httpd"
	for try in 1 2 3 4 5 6 7 8; do
		PORT=$((${HTTPD_PORT_BASE:-20000} + ($$ * 7 + try * 101) % ${HTTPD_PORT_SPAN:-10000}))
		args=""
		for a in "$@"; do args="$args $a:$PORT"; done
		rm -f "$WORK/httpd/httpd.pid"
		# shellcheck disable=SC2086
		"$HTTPD" -d "$WORK/httpd" $args 2>"$WORK/httpd/err" &
		hp=$!
		PIDS="$PIDS $hp"
		for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
			[ -f "$WORK/httpd/httpd.pid" ] && return 0
			kill -0 "$hp" 2>/dev/null || break
			sleep 0.1
		done
	done
	echo "cannot start the HTTP fixture: $(cat "$WORK/httpd/err")"
	return 1
}
# ctl 'ADDR:PORT BEHAVIOUR...': changes what the fixture does there
ctl() { "$HTTPD" ctl "$WORK/httpd" "set $1"; }
