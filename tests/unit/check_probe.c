/*
 * check_probe.c: the probe engine and its http, https and tcp types
 * against the real fixture (tests/fixture/httpd.c).
 * Every reason comes from a server behaviour, not from a mock.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "probe.h"
#include "unit.h"
#include "util.h"

static const char *const listeners[] = {
	"127.0.0.2", "127.0.0.3", "127.0.0.4", "::1",
	"127.0.0.2/tls", "127.0.0.3/tls",
};

static const struct status_range ok_range = { 200, 399 };

static void
setup(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	unit_httpd_start(listeners, sizeof(listeners) / sizeof(listeners[0]));
}

static void
teardown(void)
{
	unit_httpd_stop();
	curl_global_cleanup();
}

/* Sets the behaviour of ADDR (plain) or ADDR with tls. */
static void
behave(const char *addr, int tls, const char *what)
{
	int v6 = strchr(addr, ':') != NULL;

	if (v6)
		unit_httpd_set("[%s]:%d %s", addr, unit_httpd_port() + tls, what);
	else
		unit_httpd_set("%s:%d %s", addr, unit_httpd_port() + tls, what);
}

static struct check_spec
spec(enum check_type type)
{
	struct check_spec c;

	memset(&c, 0, sizeof(c));
	c.type = type;
	c.port = (uint16_t)(unit_httpd_port() + (type == CHECK_HTTPS));
	c.http.path = "/health";
	c.http.method = HTTP_GET;
	c.http.expect = &ok_range;
	c.http.nexpect = 1;
	c.http.body_limit = 64 * 1024;
	c.timeout_ms = 1000;
	c.http.tls_verify = true;
	return c;
}

/* One probe of addr under host with check c. */
static struct probe_result
probe1(const char *host, const char *addr, const struct check_spec *c)
{
	char err[PARSE_ERRLEN];
	struct probe_result r;
	struct probe_req q;
	struct addr a;
	struct prober *p = prober_new(10);

	ck_assert_int_eq(addr_parse(addr, &a, err, sizeof(err)), 0);
	memset(&q, 0, sizeof(q));
	q.host = host;
	q.addr = &a;
	q.check = c;
	probe_run(p, &q, 1, &r);
	prober_free(p);
	return r;
}

/* n requests for the same host, address and check. */
static void
fill(struct probe_req *q, size_t n, const struct addr *a,
    const struct check_spec *c)
{
	size_t i;

	memset(q, 0, n * sizeof(*q));
	for (i = 0; i < n; i++) {
		q[i].host = "site.test";
		q[i].addr = a;
		q[i].check = c;
	}
}

#define ASSERT_REASON(r, want) ck_assert_msg((r).reason == (want), \
	"reason \"%s\", wanted \"%s\" (%s)", probe_reason_str((r).reason), \
	probe_reason_str(want), (r).detail)

START_TEST(test_ok_and_what_the_server_sees)
{
	struct check_spec c = spec(CHECK_HTTP);
	struct probe_result r;
	char *log, want[128];

	c.http.expect_body = "OK";
	behave("127.0.0.3", 0, "ok all OK here");
	r = probe1("site.test", "127.0.0.3", &c);
	ASSERT_REASON(r, PROBE_OK);
	ck_assert_int_eq(r.http_status, 200);
	ck_assert(probe_counts(&r));
	/* the connection went to .3 while Host carried the site's name */
	log = unit_httpd_log();
	snprintf(want, sizeof(want), "local=127.0.0.3:%d tls=0 sni=- "
	    "host=site.test:%d method=GET path=/health "
	    "ua=dnsfailover/0.1.0\n", unit_httpd_port(), unit_httpd_port());
	ck_assert_msg(strstr(log, want) != NULL, "%s not in %s", want, log);
	free(log);
}
END_TEST

START_TEST(test_ipv6)
{
	struct check_spec c = spec(CHECK_HTTP);
	struct probe_result r;
	char *log, want[64];

	behave("::1", 0, "ok");
	r = probe1("site.test", "::1", &c);
	ASSERT_REASON(r, PROBE_OK);
	log = unit_httpd_log();
	snprintf(want, sizeof(want), "local=[::1]:%d ", unit_httpd_port());
	ck_assert_msg(strstr(log, want) != NULL, "%s not in %s", want, log);
	free(log);
}
END_TEST

START_TEST(test_https_host_and_sni)
{
	struct check_spec c = spec(CHECK_HTTPS);
	struct probe_result r;
	char *ca = xasprintf("%s/certs/ca.pem", unit_httpd_dir()), *log;
	char want[160];

	c.http.ca_file = ca;
	behave("127.0.0.2", 1, "ok");
	r = probe1("www.a.test", "127.0.0.2", &c);
	ASSERT_REASON(r, PROBE_OK);
	log = unit_httpd_log();
	snprintf(want, sizeof(want), "local=127.0.0.2:%d tls=1 "
	    "sni=www.a.test host=www.a.test:%d method=GET",
	    unit_httpd_port() + 1, unit_httpd_port() + 1);
	ck_assert_msg(strstr(log, want) != NULL, "%s not in %s", want, log);
	free(log);
	free(ca);
}
END_TEST

START_TEST(test_connect_refused)
{
	struct check_spec c = spec(CHECK_HTTP);
	struct probe_result r;

	behave("127.0.0.4", 0, "down");
	r = probe1("site.test", "127.0.0.4", &c);
	ASSERT_REASON(r, PROBE_CONNECT_REFUSED);
	ck_assert(probe_counts(&r));
	behave("127.0.0.4", 0, "up");
	r = probe1("site.test", "127.0.0.4", &c);
	ASSERT_REASON(r, PROBE_OK);
}
END_TEST

START_TEST(test_connect_timeout)
{
	struct check_spec c = spec(CHECK_HTTP);
	struct probe_result r;

	c.timeout_ms = 500;
	behave("127.0.0.4", 0, "blackhole");
	r = probe1("site.test", "127.0.0.4", &c);
	behave("127.0.0.4", 0, "up");
	ASSERT_REASON(r, PROBE_CONNECT_TIMEOUT);
	ck_assert_uint_ge(r.total_ms, 450);
	ck_assert_uint_le(r.total_ms, 1200);
}
END_TEST

START_TEST(test_timeout)
{
	struct check_spec c = spec(CHECK_HTTP);
	struct probe_result r;

	c.timeout_ms = 500;
	behave("127.0.0.2", 0, "hang");
	r = probe1("site.test", "127.0.0.2", &c);
	ASSERT_REASON(r, PROBE_TIMEOUT);
	ck_assert_uint_le(r.total_ms, 1200);
	/* TLS never finished after TCP connected: a timeout too */
	c = spec(CHECK_HTTPS);
	c.timeout_ms = 500;
	behave("127.0.0.2", 1, "stall");
	r = probe1("a.test", "127.0.0.2", &c);
	ASSERT_REASON(r, PROBE_TIMEOUT);
}
END_TEST

/* A slow server cannot stretch a probe beyond its timeout. */
START_TEST(test_slow_server_bounded)
{
	struct check_spec c = spec(CHECK_HTTP);
	struct probe_result r;

	c.timeout_ms = 600;
	c.http.expect_body = "END";
	behave("127.0.0.2", 0, "slow 200 body that ends with END");
	r = probe1("site.test", "127.0.0.2", &c);
	ASSERT_REASON(r, PROBE_TIMEOUT);
	ck_assert_uint_le(r.total_ms, 1300);
	behave("127.0.0.2", 0, "slow 50 END");
	r = probe1("site.test", "127.0.0.2", &c);
	ASSERT_REASON(r, PROBE_OK);
}
END_TEST

START_TEST(test_tls_error)
{
	struct check_spec c = spec(CHECK_HTTPS);
	struct probe_result r;

	behave("127.0.0.3", 1, "plain");
	r = probe1("a.test", "127.0.0.3", &c);
	ASSERT_REASON(r, PROBE_TLS_ERROR);
	ck_assert(probe_counts(&r));
}
END_TEST

START_TEST(test_certificate_error)
{
	struct check_spec c = spec(CHECK_HTTPS);
	char *ca = xasprintf("%s/certs/ca.pem", unit_httpd_dir());
	char *other = xasprintf("%s/certs/other.pem", unit_httpd_dir());
	struct probe_result r;

	behave("127.0.0.2", 1, "ok");
	c.http.ca_file = other;		/* unknown issuer */
	r = probe1("a.test", "127.0.0.2", &c);
	ASSERT_REASON(r, PROBE_CERT_ERROR);
	c.http.ca_file = ca;			/* right CA, wrong name */
	r = probe1("wrong.test", "127.0.0.2", &c);
	ASSERT_REASON(r, PROBE_CERT_ERROR);
	c.http.ca_file = other;		/* verification off: accepted */
	c.http.tls_verify = false;
	r = probe1("wrong.test", "127.0.0.2", &c);
	ASSERT_REASON(r, PROBE_OK);
	free(ca);
	free(other);
}
END_TEST

START_TEST(test_http_status)
{
	static const struct status_range some[] = { { 200, 200 },
	    { 300, 302 } };
	struct check_spec c = spec(CHECK_HTTP);
	struct probe_result r;

	behave("127.0.0.2", 0, "status 503 down for maintenance");
	r = probe1("site.test", "127.0.0.2", &c);
	ASSERT_REASON(r, PROBE_HTTP_STATUS);
	ck_assert_int_eq(r.http_status, 503);
	ck_assert_str_eq(r.detail, "HTTP 503");
	/* a redirect is not followed; expect_status judges it */
	behave("127.0.0.2", 0, "status 301");
	r = probe1("site.test", "127.0.0.2", &c);
	ASSERT_REASON(r, PROBE_OK);
	c.http.expect = some;
	c.http.nexpect = 2;
	behave("127.0.0.2", 0, "status 302");
	r = probe1("site.test", "127.0.0.2", &c);
	ASSERT_REASON(r, PROBE_OK);
	behave("127.0.0.2", 0, "status 204");
	r = probe1("site.test", "127.0.0.2", &c);
	ASSERT_REASON(r, PROBE_HTTP_STATUS);
	ck_assert_int_eq(r.http_status, 204);
}
END_TEST

START_TEST(test_body)
{
	struct check_spec c = spec(CHECK_HTTP);
	struct probe_result r;

	c.http.expect_body = "MARKER";
	c.http.body_limit = 100000;
	/* across curl's 16 KiB chunks, inside the limit */
	behave("127.0.0.2", 0, "pad 16381 MARKER");
	r = probe1("site.test", "127.0.0.2", &c);
	ASSERT_REASON(r, PROBE_OK);
	/* ends exactly at the limit: found */
	behave("127.0.0.2", 0, "pad 99994 MARKER");
	r = probe1("site.test", "127.0.0.2", &c);
	ASSERT_REASON(r, PROBE_OK);
	/* one byte past it: not found */
	behave("127.0.0.2", 0, "pad 99995 MARKER");
	r = probe1("site.test", "127.0.0.2", &c);
	ASSERT_REASON(r, PROBE_BODY_MISSING);
	ck_assert_str_eq(r.detail, "\"MARKER\" not in the first 100000 bytes");
	behave("127.0.0.2", 0, "ok short");
	r = probe1("site.test", "127.0.0.2", &c);
	ASSERT_REASON(r, PROBE_BODY_MISSING);
	ck_assert_str_eq(r.detail, "\"MARKER\" not in the 5-byte body");
}
END_TEST

/* An endless body costs nothing: the probe stops at the limit. */
START_TEST(test_endless_body)
{
	struct check_spec c = spec(CHECK_HTTP);
	struct probe_result r;

	behave("127.0.0.2", 0, "endless");
	r = probe1("site.test", "127.0.0.2", &c);
	ASSERT_REASON(r, PROBE_OK);
	ck_assert_uint_lt(r.total_ms, 900);	/* stopped, not timed out */
	c.http.expect_body = "never";
	r = probe1("site.test", "127.0.0.2", &c);
	ASSERT_REASON(r, PROBE_BODY_MISSING);
	ck_assert_uint_lt(r.total_ms, 900);
}
END_TEST

START_TEST(test_reset)
{
	struct check_spec c = spec(CHECK_HTTP);
	struct probe_result r;

	behave("127.0.0.2", 0, "close");
	r = probe1("site.test", "127.0.0.2", &c);
	ASSERT_REASON(r, PROBE_RESET);
	behave("127.0.0.2", 0, "reset");
	r = probe1("site.test", "127.0.0.2", &c);
	ASSERT_REASON(r, PROBE_RESET);
	ck_assert(probe_counts(&r));
	/* another service took the port: the server's fault, not ours */
	behave("127.0.0.2", 0, "garbage");
	r = probe1("site.test", "127.0.0.2", &c);
	ASSERT_REASON(r, PROBE_BAD_RESPONSE);
	ck_assert(probe_counts(&r));
}
END_TEST

/*
 * Too large or malformed answers count against the server: a header line
 * of 100 KiB or more once ended as a local error (curl says "out of
 * memory"), so such a primary was never counted down.
 */
START_TEST(test_header_line_too_large)
{
	struct check_spec c = spec(CHECK_HTTP);
	char *ca = xasprintf("%s/certs/ca.pem", unit_httpd_dir());
	struct probe_result r;

	behave("127.0.0.2", 0, "longheader 204800");
	r = probe1("site.test", "127.0.0.2", &c);
	ASSERT_REASON(r, PROBE_BAD_RESPONSE);
	ck_assert(probe_counts(&r));
	ck_assert_str_eq(r.detail, "header too large, a line over 100 KiB");
	/* over TLS, and with a body to look for */
	c = spec(CHECK_HTTPS);
	c.http.ca_file = ca;
	c.http.expect_body = "OK";
	behave("127.0.0.2", 1, "longheader 102400");
	r = probe1("a.test", "127.0.0.2", &c);
	ASSERT_REASON(r, PROBE_BAD_RESPONSE);
	ck_assert(probe_counts(&r));
	/* just under curl's limit: an answer like any other */
	behave("127.0.0.2", 1, "longheader 102000");
	r = probe1("a.test", "127.0.0.2", &c);
	ASSERT_REASON(r, PROBE_OK);
	free(ca);
}
END_TEST

START_TEST(test_header_block_too_large)
{
	struct check_spec c = spec(CHECK_HTTP);
	struct probe_result r;

	behave("127.0.0.2", 0, "manyheaders 400");	/* 400 KB */
	r = probe1("site.test", "127.0.0.2", &c);
	ASSERT_REASON(r, PROBE_BAD_RESPONSE);
	ck_assert(probe_counts(&r));
	ck_assert_str_eq(r.detail, "header too large, over 300 KiB in all");
	behave("127.0.0.2", 0, "manyheaders 250");
	r = probe1("site.test", "127.0.0.2", &c);
	ASSERT_REASON(r, PROBE_OK);
}
END_TEST

START_TEST(test_malformed_answers)
{
	struct check_spec c = spec(CHECK_HTTP);
	struct probe_result r;

	behave("127.0.0.2", 0, "badstatus");		/* "HTTP/1.1 abc" */
	r = probe1("site.test", "127.0.0.2", &c);
	ASSERT_REASON(r, PROBE_BAD_RESPONSE);
	ck_assert(probe_counts(&r));
	behave("127.0.0.2", 0, "badchunk");
	r = probe1("site.test", "127.0.0.2", &c);
	ASSERT_REASON(r, PROBE_BAD_RESPONSE);
	ck_assert(probe_counts(&r));
	ck_assert_msg(strstr(r.detail, "chunked") != NULL, "%s", r.detail);
	behave("127.0.0.2", 0, "noise");		/* binary, not HTTP */
	r = probe1("site.test", "127.0.0.2", &c);
	ASSERT_REASON(r, PROBE_BAD_RESPONSE);
	ck_assert(probe_counts(&r));
	/* Content-Length 100, 2 bytes, close: cut off inside the body */
	c.http.expect_body = "MISSING";
	behave("127.0.0.2", 0, "short 100");
	r = probe1("site.test", "127.0.0.2", &c);
	ASSERT_REASON(r, PROBE_RESET);
	ck_assert(probe_counts(&r));
	/* the status alone was asked for: known before the cut */
	c.http.expect_body = NULL;
	r = probe1("site.test", "127.0.0.2", &c);
	ASSERT_REASON(r, PROBE_OK);
}
END_TEST

START_TEST(test_garbage_instead_of_tls)
{
	struct check_spec c = spec(CHECK_HTTPS);
	char *ca = xasprintf("%s/certs/ca.pem", unit_httpd_dir());
	struct probe_result r;

	c.http.ca_file = ca;
	behave("127.0.0.3", 1, "noise");
	r = probe1("a.test", "127.0.0.3", &c);
	ASSERT_REASON(r, PROBE_TLS_ERROR);
	ck_assert(probe_counts(&r));
	/* TLS is fine, what it carries is not HTTP */
	behave("127.0.0.3", 1, "garbage");
	r = probe1("a.test", "127.0.0.3", &c);
	ASSERT_REASON(r, PROBE_BAD_RESPONSE);
	ck_assert(probe_counts(&r));
	behave("127.0.0.3", 1, "badstatus");
	r = probe1("a.test", "127.0.0.3", &c);
	ASSERT_REASON(r, PROBE_BAD_RESPONSE);
	behave("127.0.0.3", 1, "ok");
	free(ca);
}
END_TEST

/* Our own CA file cannot be read: the monitor's fault, never the site's. */
START_TEST(test_bad_ca_file_is_local)
{
	struct check_spec c = spec(CHECK_HTTPS);
	char *notca = xasprintf("%s/requests.log", unit_httpd_dir());
	struct probe_result r;

	behave("127.0.0.2", 1, "ok");
	c.http.ca_file = "/nonexistent/ca.pem";
	r = probe1("a.test", "127.0.0.2", &c);
	ASSERT_REASON(r, PROBE_LOCAL_ERROR);
	ck_assert(!probe_counts(&r));
	ck_assert_msg(strstr(r.detail, "/nonexistent/ca.pem") != NULL, "%s",
	    r.detail);
	c.http.ca_file = notca;		/* a file, but no certificate in it */
	r = probe1("a.test", "127.0.0.2", &c);
	ASSERT_REASON(r, PROBE_LOCAL_ERROR);
	ck_assert(!probe_counts(&r));
	free(notca);
}
END_TEST

/*
 * A proxy in the environment is not used: a probe tests the configured
 * address, not whatever a proxy reaches under the site's name.
 */
START_TEST(test_environment_proxy_ignored)
{
	struct check_spec c = spec(CHECK_HTTP);
	struct probe_result r;

	behave("127.0.0.2", 0, "ok");
	ck_assert_int_eq(setenv("http_proxy", "http://127.0.0.9:1", 1), 0);
	ck_assert_int_eq(setenv("ALL_PROXY", "http://127.0.0.9:1", 1), 0);
	r = probe1("site.test", "127.0.0.2", &c);
	unsetenv("http_proxy");
	unsetenv("ALL_PROXY");
	ASSERT_REASON(r, PROBE_OK);
}
END_TEST

/* The scan the engine runs on bodies; the fuzz target checks it more. */
START_TEST(test_scan_across_chunks)
{
	static const char body[] = "xxMARKERyy";
	struct probe_scan sc;
	size_t i;

	probe_scan_init(&sc, "MARKER");
	for (i = 0; i + 1 < sizeof(body) - 1; i++)	/* byte by byte */
		ck_assert(!probe_scan_feed(&sc, body + i, 1) == (i < 7));
	probe_scan_free(&sc);
	probe_scan_init(&sc, "MARKER");
	ck_assert(!probe_scan_feed(&sc, "MAR", 3));
	ck_assert(!probe_scan_feed(&sc, "", 0));
	ck_assert(probe_scan_feed(&sc, "KER", 3));
	ck_assert(probe_scan_feed(&sc, "zz", 2));	/* stays true */
	probe_scan_free(&sc);
	probe_scan_init(&sc, "M");
	ck_assert(!probe_scan_feed(&sc, "xx", 2));
	ck_assert(probe_scan_feed(&sc, "xM", 2));
	probe_scan_free(&sc);
}
END_TEST

START_TEST(test_head_headers_tcp)
{
	static const struct http_header h[] = { { "X-Test", "1" },
	    { "User-Agent", "custom-agent" } };
	struct check_spec c = spec(CHECK_HTTP);
	struct probe_result r;
	char *log;

	behave("127.0.0.3", 0, "ok");
	c.http.method = HTTP_HEAD;
	c.http.headers = h;
	c.http.nheaders = 2;
	r = probe1("site.test", "127.0.0.3", &c);
	ASSERT_REASON(r, PROBE_OK);
	log = unit_httpd_log();
	ck_assert_msg(strstr(log, "method=HEAD path=/health ua=custom-agent")
	    != NULL, "%s", log);
	free(log);
	c = spec(CHECK_TCP);
	r = probe1("site.test", "127.0.0.3", &c);
	ASSERT_REASON(r, PROBE_OK);
	behave("127.0.0.4", 0, "down");
	r = probe1("site.test", "127.0.0.4", &c);
	behave("127.0.0.4", 0, "up");
	ASSERT_REASON(r, PROBE_CONNECT_REFUSED);
}
END_TEST

/*
 * Many probes through few slots: every result belongs to its own
 * address (each address answers a status of its own).
 */
START_TEST(test_attribution)
{
	static const char *const addrs[] = { "127.0.0.2", "127.0.0.3",
	    "::1" };
	static const struct status_range any = { 200, 299 };
	struct check_spec c = spec(CHECK_HTTP);
	struct probe_req q[300];
	struct probe_result r[300];
	struct addr a[3];
	char err[PARSE_ERRLEN], what[32];
	struct prober *p = prober_new(7);
	size_t i;

	c.http.expect = &any;
	for (i = 0; i < 3; i++) {
		snprintf(what, sizeof(what), "status %zu", 201 + i);
		behave(addrs[i], 0, what);
		ck_assert_int_eq(addr_parse(addrs[i], &a[i], err,
		    sizeof(err)), 0);
	}
	for (i = 0; i < 300; i++)
		fill(&q[i], 1, &a[(i * 7) % 3], &c);
	probe_run(p, q, 300, r);
	for (i = 0; i < 300; i++) {
		ASSERT_REASON(r[i], PROBE_OK);
		ck_assert_int_eq(r[i].http_status, 201 + (int)((i * 7) % 3));
	}
	prober_free(p);
}
END_TEST

/* Queued probes do not time out: the timeout starts with the transfer. */
START_TEST(test_queue_time_not_counted)
{
	struct check_spec c = spec(CHECK_HTTP);
	struct probe_req q[12];
	struct probe_result r[12];
	struct addr a;
	char err[PARSE_ERRLEN];
	struct prober *p = prober_new(2);
	size_t i;

	ck_assert_uint_eq(prober_parallel(p), 2);
	c.timeout_ms = 1000;
	c.http.expect_body = "OK";
	behave("127.0.0.2", 0, "slow 150 OK");	/* ~300 ms a probe */
	ck_assert_int_eq(addr_parse("127.0.0.2", &a, err, sizeof(err)), 0);
	fill(q, 12, &a, &c);
	probe_run(p, q, 12, r);		/* ~1.8 s in all */
	for (i = 0; i < 12; i++)
		ASSERT_REASON(r[i], PROBE_OK);
	prober_free(p);
}
END_TEST

/* Out of descriptors: local errors, which never count against a site. */
START_TEST(test_fd_exhaustion_is_local)
{
	struct check_spec c = spec(CHECK_HTTP);
	struct probe_req q[3];
	struct probe_result r[3];
	struct addr a;
	char err[PARSE_ERRLEN];
	struct prober *p = prober_new(10);
	struct rlimit rl;
	size_t i;
	int fd;

	behave("127.0.0.2", 0, "ok");
	ck_assert_int_eq(addr_parse("127.0.0.2", &a, err, sizeof(err)), 0);
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	rl.rlim_cur = 64;		/* soft only: valgrind keeps the hard one */
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	while ((fd = dup(0)) != -1)	/* fill the table */
		;
	ck_assert_int_eq(errno, EMFILE);
	fill(q, 3, &a, &c);
	probe_run(p, q, 3, r);
	for (i = 0; i < 3; i++) {
		ASSERT_REASON(r[i], PROBE_LOCAL_ERROR);
		ck_assert(!probe_counts(&r[i]));
		ck_assert_msg(strstr(r[i].detail, "Too many open files") !=
		    NULL, "%s", r[i].detail);
	}
	prober_free(p);
}
END_TEST

START_TEST(test_parallel_sized_to_fd_limit)
{
	struct rlimit rl;
	struct prober *p;

	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	rl.rlim_cur = 100;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	p = prober_new(200);
	ck_assert_uint_eq(prober_parallel(p), 68);
	prober_free(p);
}
END_TEST

START_TEST(test_reason_strings)
{
	ck_assert_str_eq(probe_reason_str(PROBE_CONNECT_REFUSED),
	    "connect refused");
	ck_assert_str_eq(probe_reason_str(PROBE_LOCAL_ERROR), "local error");
	ck_assert_str_eq(probe_reason_str(PROBE_CERT_ERROR),
	    "certificate error");
}
END_TEST

/* ---- the asynchronous interface (the daemon) ---- */

static void
count_done(void *arg, const struct probe_req *req, struct probe_result *res)
{
	(void)req;
	(void)res;
	(*(int *)arg)++;
}

/*
 * A refused connect ends inside the first curl_multi_perform: the step
 * must return with the news instead of sleeping its whole timeout (the
 * daemon once slept a minute on a site whose probes were all back).
 */
START_TEST(test_step_returns_on_quick_end)
{
	struct check_spec c = spec(CHECK_HTTP);
	struct prober *p = prober_new(4);
	struct curl_waitfd w;
	struct probe_result r;
	struct probe_req q;
	char err[PARSE_ERRLEN];
	struct addr a;
	int pipefd[2], done = 0;
	uint64_t t0;

	behave("127.0.0.4", 0, "down");
	ck_assert_int_eq(pipe(pipefd), 0);
	ck_assert_int_eq(addr_parse("127.0.0.4", &a, err, sizeof(err)), 0);
	memset(&q, 0, sizeof(q));
	q.host = "a.test";
	q.addr = &a;
	q.check = &c;
	prober_submit(p, &q, &r, count_done, &done);
	ck_assert_uint_eq(prober_busy(p), 1);
	memset(&w, 0, sizeof(w));
	w.fd = pipefd[0];
	w.events = CURL_WAIT_POLLIN;
	t0 = mono_ms();
	while (done == 0 && mono_ms() - t0 < 5000)
		prober_step(p, 5000, &w, 1);
	ck_assert_int_eq(done, 1);
	ck_assert_msg(mono_ms() - t0 < 1000, "took %llu ms",
	    (unsigned long long)(mono_ms() - t0));
	ck_assert_msg(r.reason == PROBE_CONNECT_REFUSED, "%s: %s",
	    probe_reason_str(r.reason), r.detail);
	ck_assert_uint_eq(prober_busy(p), 0);
	behave("127.0.0.4", 0, "up");
	prober_free(p);
	close(pipefd[0]);
	close(pipefd[1]);
}
END_TEST

/* Idle, the step waits for an extra descriptor and says it is ready. */
START_TEST(test_step_wakes_on_extra_fd)
{
	struct prober *p = prober_new(4);
	struct curl_waitfd w;
	int pipefd[2], n;
	uint64_t t0;

	ck_assert_int_eq(pipe(pipefd), 0);
	ck_assert_int_eq(write(pipefd[1], "x", 1), 1);
	memset(&w, 0, sizeof(w));
	w.fd = pipefd[0];
	w.events = CURL_WAIT_POLLIN;
	t0 = mono_ms();
	n = prober_step(p, 5000, &w, 1);
	ck_assert_int_eq(n, 1);
	ck_assert(w.revents & CURL_WAIT_POLLIN);
	ck_assert(mono_ms() - t0 < 1000);
	prober_free(p);
	close(pipefd[0]);
	close(pipefd[1]);
}
END_TEST

/* Submitted while others run: each done once, each result its own. */
START_TEST(test_submit_while_running)
{
	struct check_spec c = spec(CHECK_HTTP);
	struct prober *p = prober_new(2);
	struct probe_result r[6];
	struct probe_req q[6];
	char err[PARSE_ERRLEN];
	struct addr a[2];
	int done = 0, i;

	behave("127.0.0.2", 0, "up");
	behave("127.0.0.3", 0, "status 503");
	ck_assert_int_eq(addr_parse("127.0.0.2", &a[0], err, sizeof(err)), 0);
	ck_assert_int_eq(addr_parse("127.0.0.3", &a[1], err, sizeof(err)), 0);
	memset(q, 0, sizeof(q));
	for (i = 0; i < 6; i++) {
		q[i].host = "a.test";
		q[i].addr = &a[i % 2];
		q[i].check = &c;
	}
	for (i = 0; i < 3; i++)
		prober_submit(p, &q[i], &r[i], count_done, &done);
	prober_step(p, 100, NULL, 0);
	for (i = 3; i < 6; i++)
		prober_submit(p, &q[i], &r[i], count_done, &done);
	while (prober_busy(p) > 0)
		prober_step(p, 1000, NULL, 0);
	ck_assert_int_eq(done, 6);
	for (i = 0; i < 6; i++)
		ck_assert_int_eq(r[i].reason, (i % 2 ? PROBE_HTTP_STATUS :
		    PROBE_OK));
	behave("127.0.0.3", 0, "ok");
	prober_free(p);
}
END_TEST

/* ---- tcp send / expect (banner checks) ---- */

static struct check_spec
tcp_spec(const char *send, const char *expect)
{
	struct check_spec c = spec(CHECK_TCP);

	c.timeout_ms = 500;
	c.tcp.send = send;
	c.tcp.nsend = send ? strlen(send) : 0;
	c.tcp.expect = expect;
	c.tcp.read_limit = CHECK_TCP_READ_LIMIT;
	return c;
}

START_TEST(test_tcp_banner)
{
	struct check_spec c = tcp_spec(NULL, "220 ");
	struct probe_result r;
	uint64_t t0;

	/* SMTP: the greeting holds the text */
	behave("127.0.0.2", 0, "banner 220 mail.a.test ESMTP");
	t0 = mono_ms();
	r = probe1("a.test", "127.0.0.2", &c);
	ASSERT_REASON(r, PROBE_OK);
	ck_assert_msg(mono_ms() - t0 < 400, "waited for more than the text");
	/* another greeting: not there (the server then stays silent) */
	behave("127.0.0.2", 0, "banner 554 go away");
	r = probe1("a.test", "127.0.0.2", &c);
	ASSERT_REASON(r, PROBE_EXPECT_MISSING);
	ck_assert_str_eq(r.detail, "\"220 \" not in the 13 bytes read, then "
	    "nothing more");
	/* another protocol altogether */
	c.tcp.expect = "* OK";
	behave("127.0.0.2", 0, "banner SSH-2.0-OpenSSH_9.2");
	r = probe1("a.test", "127.0.0.2", &c);
	ASSERT_REASON(r, PROBE_EXPECT_MISSING);
	/* a server that says nothing at all */
	behave("127.0.0.2", 0, "stall");
	r = probe1("a.test", "127.0.0.2", &c);
	ASSERT_REASON(r, PROBE_TIMEOUT);
	ck_assert_str_eq(r.detail, "no answer in 500 ms");
	ck_assert(probe_counts(&r));
	/* accepted, then reset */
	behave("127.0.0.2", 0, "rst");
	r = probe1("a.test", "127.0.0.2", &c);
	ASSERT_REASON(r, PROBE_RESET);
	behave("127.0.0.2", 0, "up");
}
END_TEST

START_TEST(test_tcp_send_then_expect)
{
	struct check_spec c = tcp_spec("PING\r\n", "+PONG");
	struct probe_result r;

	/* Redis: the answer comes only after the request */
	behave("127.0.0.2", 0, "reply +PONG");
	r = probe1("a.test", "127.0.0.2", &c);
	ASSERT_REASON(r, PROBE_OK);
	c.tcp.send = NULL;		/* nothing sent: nothing answered */
	c.tcp.nsend = 0;
	r = probe1("a.test", "127.0.0.2", &c);
	ASSERT_REASON(r, PROBE_TIMEOUT);
	/* binary noise, then the close */
	c.tcp.send = "PING\r\n";
	c.tcp.nsend = 6;
	c.timeout_ms = 3000;
	behave("127.0.0.2", 0, "noise");
	r = probe1("a.test", "127.0.0.2", &c);
	ASSERT_REASON(r, PROBE_EXPECT_MISSING);
	ck_assert_msg(strstr(r.detail, "before the close") != NULL, "%s",
	    r.detail);
	/* closed before a byte (the fixture reads a request head first) */
	c.tcp.send = "PING\r\n\r\n";
	c.tcp.nsend = 8;
	behave("127.0.0.2", 0, "close");
	r = probe1("a.test", "127.0.0.2", &c);
	ASSERT_REASON(r, PROBE_RESET);
	/* refused: as without send and expect */
	behave("127.0.0.2", 0, "down");
	r = probe1("a.test", "127.0.0.2", &c);
	ASSERT_REASON(r, PROBE_CONNECT_REFUSED);
	behave("127.0.0.2", 0, "up");
}
END_TEST

/* The first read_limit bytes only: an endless stream without the text. */
START_TEST(test_tcp_read_limit)
{
	struct check_spec c = tcp_spec(NULL, "never there");
	struct probe_result r;

	c.tcp.read_limit = 100;
	behave("127.0.0.2", 0, "pad 4000 never there");
	r = probe1("a.test", "127.0.0.2", &c);
	/* the fixture answers HTTP only after a request: nothing read */
	ASSERT_REASON(r, PROBE_TIMEOUT);
	c.tcp.send = "GET / HTTP/1.0\r\n\r\n";
	c.tcp.nsend = strlen(c.tcp.send);
	r = probe1("a.test", "127.0.0.2", &c);
	ASSERT_REASON(r, PROBE_EXPECT_MISSING);
	ck_assert_str_eq(r.detail, "\"never there\" not in the 100 bytes "
	    "read (the limit)");
	c.tcp.read_limit = CHECK_TCP_READ_LIMIT;
	r = probe1("a.test", "127.0.0.2", &c);
	ASSERT_REASON(r, PROBE_OK);
	behave("127.0.0.2", 0, "up");
}
END_TEST

/* tcp (own sockets) and http (curl) in one run, both waited on at once. */
START_TEST(test_tcp_and_http_together)
{
	struct check_spec t = tcp_spec(NULL, "220 "), h = spec(CHECK_HTTP);
	struct prober *p = prober_new(8);
	struct probe_result r[40];
	struct probe_req q[40];
	char err[PARSE_ERRLEN];
	struct addr a[2];
	uint64_t t0;
	int i;

	behave("127.0.0.2", 0, "banner 220 ready");
	behave("127.0.0.3", 0, "ok");
	ck_assert_int_eq(addr_parse("127.0.0.2", &a[0], err, sizeof(err)), 0);
	ck_assert_int_eq(addr_parse("127.0.0.3", &a[1], err, sizeof(err)), 0);
	memset(q, 0, sizeof(q));
	for (i = 0; i < 40; i++) {
		q[i].host = "a.test";
		q[i].addr = &a[i % 2];
		q[i].check = i % 2 ? &h : &t;
	}
	t0 = mono_ms();
	probe_run(p, q, 40, r);
	for (i = 0; i < 40; i++)
		ASSERT_REASON(r[i], PROBE_OK);
	ck_assert_msg(mono_ms() - t0 < 2000, "took %llu ms",
	    (unsigned long long)(mono_ms() - t0));
	behave("127.0.0.2", 0, "up");
	prober_free(p);
}
END_TEST

/* ---- monitor.source: probes leave from a chosen address ---- */

/* One probe of addr with check c, from source (NULL: none). */
static struct probe_result
probe_from(const char *source, const char *addr, const struct check_spec *c)
{
	char err[PARSE_ERRLEN];
	struct probe_result r;
	struct probe_req q;
	struct addr a, src;
	struct prober *p = prober_new(4);

	ck_assert_int_eq(addr_parse(addr, &a, err, sizeof(err)), 0);
	if (source != NULL) {
		ck_assert_int_eq(addr_parse(source, &src, err, sizeof(err)), 0);
		if (src.family == AF_INET)
			prober_set_source(p, &src, NULL);
		else
			prober_set_source(p, NULL, &src);
	}
	memset(&q, 0, sizeof(q));
	q.host = "src.a.test";
	q.addr = &a;
	q.check = c;
	probe_run(p, &q, 1, &r);
	prober_free(p);
	return r;
}

/* Whether requests.log has a line with peer and the text after it. */
static void
assert_logged(const char *peer, const char *fmt, ...)
{
	char rest[256], want[320], *log;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rest, sizeof(rest), fmt, ap);
	va_end(ap);
	snprintf(want, sizeof(want), "peer=%s %s", peer, rest);
	log = unit_httpd_log();
	if (strstr(log, want) == NULL)
		fprintf(stderr, "requests.log:\n%s", log);
	ck_assert_msg(strstr(log, want) != NULL, "\"%s\" not in "
	    "requests.log", want);
	free(log);
}

/* The peer= of the last request for path, in buf ("" if none). */
static void
peer_of(const char *path, char *buf, size_t size)
{
	char want[128], *log = unit_httpd_log(), *line, *end;

	buf[0] = '\0';
	snprintf(want, sizeof(want), " path=%s ", path);
	for (line = log; *line != '\0'; line = *end ? end + 1 : end) {
		end = line + strcspn(line, "\n");
		if (strncmp(line, "peer=", 5) == 0 && (size_t)(end - line) >
		    strlen(want) && memmem(line, (size_t)(end - line), want,
		    strlen(want)) != NULL)
			snprintf(buf, size, "%.*s", (int)strcspn(line + 5, " "),
			    line + 5);
	}
	free(log);
}

START_TEST(test_source_http_https_tcp)
{
	struct check_spec h = spec(CHECK_HTTP), s = spec(CHECK_HTTPS),
	    t = tcp_spec("GET /src-tcp HTTP/1.0\r\n\r\n", "200");
	struct probe_result r;
	int port = unit_httpd_port();
	char *ca = xasprintf("%s/certs/ca.pem", unit_httpd_dir());
	char peer[64];

	h.http.path = "/src-http";
	r = probe_from("127.0.0.21", "127.0.0.3", &h);
	ASSERT_REASON(r, PROBE_OK);
	assert_logged("127.0.0.21", "local=127.0.0.3:%d tls=0 sni=- "
	    "host=src.a.test:%d method=GET path=/src-http", port, port);
	s.http.path = "/src-https";
	s.http.ca_file = ca;
	r = probe_from("127.0.0.21", "127.0.0.3", &s);
	ASSERT_REASON(r, PROBE_OK);
	assert_logged("127.0.0.21", "local=127.0.0.3:%d tls=1 sni=src.a.test "
	    "host=src.a.test:%d method=GET path=/src-https", port + 1, port + 1);
	r = probe_from("127.0.0.21", "127.0.0.3", &t);
	ASSERT_REASON(r, PROBE_OK);
	assert_logged("127.0.0.21", "local=127.0.0.3:%d tls=0 sni=- host=- "
	    "method=GET path=/src-tcp", port);
	/* without a source the kernel chooses */
	h.http.path = "/src-none";
	r = probe_from(NULL, "127.0.0.3", &h);
	ASSERT_REASON(r, PROBE_OK);
	peer_of("/src-none", peer, sizeof(peer));
	ck_assert_msg(peer[0] != '\0' && strcmp(peer, "127.0.0.21") != 0,
	    "peer \"%s\"", peer);
	free(ca);
}
END_TEST

/* An IPv4 source leaves an IPv6 target alone, and the other way round. */
START_TEST(test_source_other_family_unbound)
{
	struct check_spec h = spec(CHECK_HTTP);
	struct probe_result r;
	int port = unit_httpd_port();
	char peer[64];

	h.http.path = "/src-v6";
	r = probe_from("127.0.0.21", "::1", &h);
	ASSERT_REASON(r, PROBE_OK);
	assert_logged("::1", "local=[::1]:%d tls=0 sni=- host=src.a.test:%d "
	    "method=GET path=/src-v6", port, port);
	h.http.path = "/src-v4";
	r = probe_from("::1", "127.0.0.3", &h);
	ASSERT_REASON(r, PROBE_OK);
	peer_of("/src-v4", peer, sizeof(peer));
	ck_assert_msg(strncmp(peer, "127.", 4) == 0, "peer \"%s\"", peer);
}
END_TEST

/* The fixture answers per client: one source's probe fails, not another's. */
START_TEST(test_source_per_client_answers)
{
	struct check_spec h = spec(CHECK_HTTP), t = tcp_spec(NULL, "220 ");
	struct probe_result r;
	int port = unit_httpd_port();

	unit_httpd_set("127.0.0.3:%d from 127.0.0.21 status 503", port);
	r = probe_from("127.0.0.21", "127.0.0.3", &h);
	ASSERT_REASON(r, PROBE_HTTP_STATUS);
	ck_assert_int_eq(r.http_status, 503);
	ck_assert(probe_counts(&r));
	r = probe_from("127.0.0.22", "127.0.0.3", &h);
	ASSERT_REASON(r, PROBE_OK);
	unit_httpd_set("127.0.0.3:%d from 127.0.0.21 refuse", port);
	r = probe_from("127.0.0.21", "127.0.0.3", &h);
	ck_assert_msg(r.reason == PROBE_RESET || r.reason ==
	    PROBE_CONNECT_REFUSED, "reason %s (%s)",
	    probe_reason_str(r.reason), r.detail);
	ck_assert(probe_counts(&r));
	r = probe_from("127.0.0.22", "127.0.0.3", &h);
	ASSERT_REASON(r, PROBE_OK);
	unit_httpd_set("127.0.0.3:%d from 127.0.0.21 default", port);
	r = probe_from("127.0.0.21", "127.0.0.3", &h);
	ASSERT_REASON(r, PROBE_OK);

	/* tcp: a banner for everyone but .21, which is refused */
	behave("127.0.0.2", 0, "banner 220 ready");
	unit_httpd_set("127.0.0.2:%d from 127.0.0.21 refuse", port);
	r = probe_from("127.0.0.21", "127.0.0.2", &t);
	ck_assert_msg(r.reason == PROBE_RESET || r.reason ==
	    PROBE_CONNECT_REFUSED, "reason %s (%s)",
	    probe_reason_str(r.reason), r.detail);
	ck_assert(probe_counts(&r));
	r = probe_from("127.0.0.22", "127.0.0.2", &t);
	ASSERT_REASON(r, PROBE_OK);
	unit_httpd_set("127.0.0.2:%d from 127.0.0.21 default", port);
	behave("127.0.0.2", 0, "up");
}
END_TEST

/* A source this host does not have: the monitor's fault, not the server's. */
START_TEST(test_source_bind_failure_is_local)
{
	struct check_spec h = spec(CHECK_HTTP), t = tcp_spec(NULL, NULL);
	struct probe_result r;

	r = probe_from("192.0.2.77", "127.0.0.3", &h);
	ASSERT_REASON(r, PROBE_LOCAL_ERROR);
	ck_assert(!probe_counts(&r));
	ck_assert_msg(strncmp(r.detail, "cannot bind to source 192.0.2.77: ",
	    34) == 0, "%s", r.detail);
	r = probe_from("192.0.2.77", "127.0.0.3", &t);
	ASSERT_REASON(r, PROBE_LOCAL_ERROR);
	ck_assert(!probe_counts(&r));
	ck_assert_str_eq(r.detail, "cannot bind to source 192.0.2.77: "
	    "Cannot assign requested address");
}
END_TEST

START_TEST(test_describe)
{
	struct check_spec t = tcp_spec("QUIT\r\n", "220 "), h = spec(CHECK_HTTPS);
	char err[PARSE_ERRLEN], buf[256];
	struct probe_req q;
	struct addr a;

	ck_assert_int_eq(addr_parse("127.0.0.2", &a, err, sizeof(err)), 0);
	memset(&q, 0, sizeof(q));
	q.host = "a.test";
	q.addr = &a;
	q.check = &t;
	t.port = 25;
	probe_describe(&q, buf, sizeof(buf));
	ck_assert_str_eq(buf, "connect to port 25, send \"QUIT\\r\\n\", expect "
	    "\"220 \"");
	q.check = &h;
	h.port = 8443;
	probe_describe(&q, buf, sizeof(buf));
	ck_assert_str_eq(buf, "GET https://a.test:8443/health");
}
END_TEST

/* ---- cert_warn: the fixture's certificate lives one day ---- */

START_TEST(test_cert_warn)
{
	struct check_spec c = spec(CHECK_HTTPS);
	char *ca = xasprintf("%s/certs/ca.pem", unit_httpd_dir());
	struct probe_result r;
	int64_t now = (int64_t)time(NULL);

	behave("127.0.0.2", 1, "ok");
	c.http.ca_file = ca;
	/* not asked: nothing read */
	r = probe1("a.test", "127.0.0.2", &c);
	ASSERT_REASON(r, PROBE_OK);
	ck_assert_int_eq(r.cert_expires, 0);
	ck_assert(!r.cert_expiring);
	/* within two days: up, and expiring */
	c.http.cert_warn_ms = 2 * 86400000ULL;
	r = probe1("a.test", "127.0.0.2", &c);
	ASSERT_REASON(r, PROBE_OK);
	ck_assert_msg(r.cert_expires > now + 86400 - 3600 &&
	    r.cert_expires <= now + 86400 + 60, "expires %lld, now %lld",
	    (long long)r.cert_expires, (long long)now);
	ck_assert(r.cert_expiring);
	/* an hour's warning: a day to go is not expiring */
	c.http.cert_warn_ms = 3600000;
	r = probe1("a.test", "127.0.0.2", &c);
	ASSERT_REASON(r, PROBE_OK);
	ck_assert(r.cert_expires > now);
	ck_assert(!r.cert_expiring);
	/* a certificate that does not verify stays a certificate error */
	c.http.cert_warn_ms = 2 * 86400000ULL;
	r = probe1("wrong.test", "127.0.0.2", &c);
	ASSERT_REASON(r, PROBE_CERT_ERROR);
	free(ca);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("probe");
	TCase *tc = tcase_create("probe");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_ok_and_what_the_server_sees);
	tcase_add_test(tc, test_ipv6);
	tcase_add_test(tc, test_https_host_and_sni);
	tcase_add_test(tc, test_connect_refused);
	tcase_add_test(tc, test_connect_timeout);
	tcase_add_test(tc, test_timeout);
	tcase_add_test(tc, test_slow_server_bounded);
	tcase_add_test(tc, test_tls_error);
	tcase_add_test(tc, test_certificate_error);
	tcase_add_test(tc, test_http_status);
	tcase_add_test(tc, test_body);
	tcase_add_test(tc, test_endless_body);
	tcase_add_test(tc, test_reset);
	tcase_add_test(tc, test_header_line_too_large);
	tcase_add_test(tc, test_header_block_too_large);
	tcase_add_test(tc, test_malformed_answers);
	tcase_add_test(tc, test_garbage_instead_of_tls);
	tcase_add_test(tc, test_bad_ca_file_is_local);
	tcase_add_test(tc, test_environment_proxy_ignored);
	tcase_add_test(tc, test_scan_across_chunks);
	tcase_add_test(tc, test_head_headers_tcp);
	tcase_add_test(tc, test_attribution);
	tcase_add_test(tc, test_queue_time_not_counted);
	tcase_add_test(tc, test_fd_exhaustion_is_local);
	tcase_add_test(tc, test_parallel_sized_to_fd_limit);
	tcase_add_test(tc, test_reason_strings);
	tcase_add_test(tc, test_step_returns_on_quick_end);
	tcase_add_test(tc, test_step_wakes_on_extra_fd);
	tcase_add_test(tc, test_submit_while_running);
	tcase_add_test(tc, test_tcp_banner);
	tcase_add_test(tc, test_tcp_send_then_expect);
	tcase_add_test(tc, test_tcp_read_limit);
	tcase_add_test(tc, test_tcp_and_http_together);
	tcase_add_test(tc, test_describe);
	tcase_add_test(tc, test_source_http_https_tcp);
	tcase_add_test(tc, test_source_other_family_unbound);
	tcase_add_test(tc, test_source_per_client_answers);
	tcase_add_test(tc, test_source_bind_failure_is_local);
	tcase_add_test(tc, test_cert_warn);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
