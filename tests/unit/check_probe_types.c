/*
 * check_probe_types.c: the dns and exec check types, each driven
 * through its ops table by a small poll() loop here (as the engine
 * would), and through the engine.  The dns type talks to a responder
 * inside the test (a unit test of one module); the exec type runs
 * scripts the test writes.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "probe_type.h"
#include "unit.h"
#include "util.h"

/* ---- driving one or many probes as the engine would ---- */

/* What run_start() gives each task as its IPv4 source (NULL: none). */
static const struct addr	*run_source4;

struct run {
	const struct probe_ops	*ops;
	struct probe_task	 t;
	struct probe_result	 res;
	bool			 over;
};

static void
run_start(struct run *r, const struct probe_ops *ops,
    const struct probe_req *req)
{
	memset(r, 0, sizeof(*r));
	r->ops = ops;
	r->t.req = req;
	r->t.res = &r->res;
	r->t.start_ms = mono_ms();
	r->t.deadline_ms = r->t.start_ms + req->check->timeout_ms;
	r->t.source4 = run_source4;
	r->over = ops->start(&r->t) == 1;
}

/* Runs every one of runs[0..n) to its end, all at once. */
static void
drive(struct run *runs, size_t n)
{
	struct pollfd *pf = xcalloc(n * PROBE_MAXFDS, sizeof(*pf));
	size_t *owner = xcalloc(n * PROBE_MAXFDS, sizeof(*owner));
	size_t i, k, left;
	int j, m, wait;
	uint64_t now;

	for (;;) {
		now = mono_ms();
		wait = 1000;
		for (i = k = left = 0; i < n; i++) {
			struct probe_fd f[PROBE_MAXFDS];

			if (runs[i].over)
				continue;
			left++;
			if (runs[i].t.deadline_ms <= now)
				wait = 0;
			else if (runs[i].t.deadline_ms - now < (uint64_t)wait)
				wait = (int)(runs[i].t.deadline_ms - now);
			m = runs[i].ops->fds(&runs[i].t, f);
			ck_assert_int_le(m, PROBE_MAXFDS);
			for (j = 0; j < m; j++, k++) {
				pf[k].fd = f[j].fd;
				pf[k].events = f[j].events;
				pf[k].revents = 0;
				owner[k] = i;
			}
		}
		if (left == 0)
			break;
		ck_assert_int_ge(poll(pf, k, wait), 0);
		now = mono_ms();
		for (i = 0; i < n; i++) {
			bool ready = false;

			for (j = 0; j < (int)k; j++)
				if (owner[j] == i && pf[j].revents != 0)
					ready = true;
			if (runs[i].over)
				continue;
			if (now >= runs[i].t.deadline_ms) {
				ck_assert_int_eq(runs[i].ops->advance(
				    &runs[i].t, now, true), 1);
				runs[i].over = true;
			} else if (ready)
				runs[i].over = runs[i].ops->advance(&runs[i].t,
				    now, false) == 1;
		}
	}
	for (i = 0; i < n; i++)
		runs[i].ops->clear(&runs[i].t);
	free(pf);
	free(owner);
}

static struct probe_result
drive1(const struct probe_ops *ops, const struct probe_req *req)
{
	struct run r;

	run_start(&r, ops, req);
	drive(&r, 1);
	return r.res;
}

/* Whether this process has no child left, alive or a zombie. */
static bool
no_children(void)
{
	pid_t r = waitpid(-1, NULL, WNOHANG);

	return r == -1 && errno == ECHILD;
}

static int
fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

/* ---- a DNS responder on 127.0.0.1, in a child process ---- */

#define NS_ADDR	"127.0.0.1"

static pid_t	ns_pid = -1;
static int	ns_port;
static char	ns_mode[32];
static char	ns_log[64];	/* if set: the first 6 bytes of each query */
static char	ns_only[64];	/* if set: others are REFUSED */

static int
bind_on(int type, int port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, type, 0), one = 1;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, NS_ADDR, &sa.sin_addr);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd == -1 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	return fd;
}

static void
push(ldns_pkt *p, const char *rr)
{
	ldns_rr *r = NULL;

	if (ldns_rr_new_frm_str(&r, rr, 60, NULL, NULL) != LDNS_STATUS_OK)
		abort();
	ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, r);
}

/* The reply to query q in mode (over tcp or not); NULL: say nothing. */
static ldns_pkt *
ns_answer(const ldns_pkt *q, bool tcp)
{
	ldns_pkt *p = ldns_pkt_new();
	const ldns_rr *qr = ldns_rr_list_rr(ldns_pkt_question(q), 0);

	ldns_pkt_set_id(p, ldns_pkt_id(q));
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_aa(p, true);
	if (strcmp(ns_mode, "otherq") == 0)
		push(p, "other.example.test. IN A 192.0.2.10");
	ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, ldns_rr_clone(qr));
	if (strcmp(ns_mode, "otherq") == 0) {	/* question: other. only */
		ldns_rr *x = ldns_rr_list_pop_rr(ldns_pkt_question(p));

		ldns_rr_set_owner(x, ldns_dname_new_frm_str("other.test."));
		ldns_rr_list_push_rr(ldns_pkt_question(p), x);
	}
	if (strcmp(ns_mode, "nxdomain") == 0)
		ldns_pkt_set_rcode(p, LDNS_RCODE_NXDOMAIN);
	else if (strcmp(ns_mode, "servfail") == 0)
		ldns_pkt_set_rcode(p, LDNS_RCODE_SERVFAIL);
	else if (strcmp(ns_mode, "tc") == 0 && !tcp)
		ldns_pkt_set_tc(p, true);
	else if (strcmp(ns_mode, "wrong") == 0 || strcmp(ns_mode, "tc") == 0)
		push(p, tcp ? "www.example.test. IN A 192.0.2.10" :
		    "www.example.test. IN A 192.0.2.99");
	else if (strcmp(ns_mode, "nodata") != 0) {
		push(p, "www.example.test. IN CNAME Target.Example.TEST.");
		push(p, "target.example.test. IN A 192.0.2.11");
		push(p, "target.example.test. IN A 192.0.2.10");
		push(p, "www.example.test. IN AAAA 2001:db8::10");
		push(p, "www.example.test. IN TXT \"hello world\"");
		push(p, "www.example.test. IN MX 10 Mail.Example.Test.");
	}
	return p;
}

/* Sends the reply to wire (len) to fd: over UDP to peer, or framed. */
static void
ns_reply(int fd, const uint8_t *wire, size_t len, bool tcp,
    const struct sockaddr_storage *peer, socklen_t plen)
{
	ldns_pkt *q = NULL, *p;
	uint8_t *out = NULL, hdr[2];
	size_t olen = 0;

	if (ns_log[0] != '\0' && len >= 6) {
		int lfd = open(ns_log, O_WRONLY | O_APPEND | O_CREAT, 0600);

		(void)!write(lfd, wire, 6);
		close(lfd);
	}
	if (strcmp(ns_mode, "silent") == 0 ||
	    ldns_wire2pkt(&q, wire, len) != LDNS_STATUS_OK)
		return;
	if (ns_only[0] != '\0') {
		char who[INET6_ADDRSTRLEN] = "";

		inet_ntop(AF_INET, &((const struct sockaddr_in *)
		    (const void *)peer)->sin_addr, who, sizeof(who));
		if (strcmp(who, ns_only) != 0) {
			p = ldns_pkt_new();
			ldns_pkt_set_id(p, ldns_pkt_id(q));
			ldns_pkt_set_qr(p, true);
			ldns_pkt_set_rcode(p, LDNS_RCODE_REFUSED);
			goto send;
		}
	}
	if (strcmp(ns_mode, "garbage") == 0) {
		uint8_t g[40] = { wire[0], wire[1], 0x81, 0x80, 0, 1, 0, 1 };

		memset(g + 8, 0xff, sizeof(g) - 8);
		sendto(fd, g, sizeof(g), 0, (const void *)peer, plen);
		ldns_pkt_free(q);
		return;
	}
	p = ns_answer(q, tcp);
	if (strcmp(ns_mode, "wrongid") == 0) {	/* a stray refusal first */
		ldns_pkt_set_id(p, (uint16_t)(ldns_pkt_id(q) ^ 0x5a5a));
		ldns_pkt_set_rcode(p, LDNS_RCODE_REFUSED);
		ldns_pkt2wire(&out, p, &olen);
		sendto(fd, out, olen, 0, (const void *)peer, plen);
		free(out);
		ldns_pkt_set_id(p, ldns_pkt_id(q));
		ldns_pkt_set_rcode(p, LDNS_RCODE_NOERROR);
	}
send:
	ldns_pkt2wire(&out, p, &olen);
	hdr[0] = (uint8_t)(olen >> 8);
	hdr[1] = (uint8_t)olen;
	if (tcp && write(fd, hdr, 2) != 2)
		olen = 0;
	if (tcp)
		(void)!write(fd, out, olen);
	else
		sendto(fd, out, olen, 0, (const void *)peer, plen);
	free(out);
	ldns_pkt_free(p);
	ldns_pkt_free(q);
}

static void
ns_tcp(int lfd)
{
	uint8_t buf[2 + 65535];
	size_t got = 0, want = 2;
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);
	ssize_t n;
	int fd = accept(lfd, (struct sockaddr *)&peer, &plen);

	if (fd == -1)
		return;
	while (got < want && (n = read(fd, buf + got, want - got)) > 0)
		if ((got += (size_t)n) == 2)
			want = 2 + ((size_t)buf[0] << 8 | buf[1]);
	if (got == want && got > 2)
		ns_reply(fd, buf + 2, got - 2, true, &peer, plen);
	if (strcmp(ns_mode, "silent") != 0)	/* silent: held open */
		close(fd);
}

static void
ns_serve(int ufd, int tfd)
{
	struct pollfd pf[2] = { { ufd, POLLIN, 0 }, { tfd, POLLIN, 0 } };
	struct sockaddr_storage peer;
	uint8_t buf[65535];
	socklen_t plen;
	ssize_t n;

	for (;;) {
		if (poll(pf, 2, -1) == -1)
			continue;
		if (pf[0].revents & POLLIN) {
			plen = sizeof(peer);
			n = recvfrom(ufd, buf, sizeof(buf), 0,
			    (struct sockaddr *)&peer, &plen);
			if (n > 0)
				ns_reply(ufd, buf, (size_t)n, false, &peer,
				    plen);
		}
		if (pf[1].revents & POLLIN)
			ns_tcp(tfd);
	}
}

/* Starts the responder in mode; ns_port is where it listens. */
static void
ns_start(const char *mode)
{
	int ufd = -1, tfd = -1, tries;

	str_copy(ns_mode, mode, sizeof(ns_mode));
	for (tries = 0; tries < 200; tries++) {
		ns_port = 12000 + (int)((getpid() * 13 + tries * 41) % 15000);
		if ((ufd = bind_on(SOCK_DGRAM, ns_port)) == -1)
			continue;
		if ((tfd = bind_on(SOCK_STREAM, ns_port)) != -1 &&
		    listen(tfd, 16) == 0)
			break;
		close(ufd);
		if (tfd != -1)
			close(tfd);
		ufd = tfd = -1;
	}
	ck_assert_int_ne(tfd, -1);
	if ((ns_pid = fork()) == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		ns_serve(ufd, tfd);
		_exit(0);
	}
	close(ufd);
	close(tfd);
}

static void
ns_stop(void)
{
	if (ns_pid > 0) {
		kill(ns_pid, SIGKILL);
		waitpid(ns_pid, NULL, 0);
	}
	ns_pid = -1;
}

/* ---- dns ---- */

static struct check_spec	dspec;
static struct addr		daddr;
static struct probe_req		dreq;
static uint64_t			dtimeout = 1500;	/* ms */

static void
dns_req(const char *name, uint16_t qtype, const char *expect, bool tcp)
{
	char err[PARSE_ERRLEN];

	memset(&dspec, 0, sizeof(dspec));
	dspec.type = CHECK_DNS;
	dspec.port = (uint16_t)ns_port;
	dspec.timeout_ms = dtimeout;
	dspec.dns.name = name;
	dspec.dns.qtype = qtype;
	dspec.dns.expect = expect;
	dspec.dns.tcp = tcp;
	ck_assert_int_eq(addr_parse(NS_ADDR, &daddr, err, sizeof(err)), 0);
	memset(&dreq, 0, sizeof(dreq));
	dreq.host = "www.example.test";
	dreq.addr = &daddr;
	dreq.check = &dspec;
}

static struct probe_result
dns1(const char *mode, uint16_t qtype, const char *expect, bool tcp)
{
	struct probe_result r;

	ns_start(mode);
	dns_req("www.example.test", qtype, expect, tcp);
	r = drive1(&probe_dns_ops, &dreq);
	ns_stop();
	return r;
}

#define ck_reason(r, want, text) do {					\
	ck_assert_msg((r).reason == (want), "reason %s (%s), want %s",	\
	    probe_reason_str((r).reason), (r).detail,			\
	    probe_reason_str(want));					\
	ck_assert_str_eq((r).detail, (text));				\
} while (0)

/* A source: the server sees it (and answers only it), UDP and TCP. */
START_TEST(test_dns_from_source)
{
	char err[PARSE_ERRLEN];
	struct probe_result r;
	struct addr src;
	int tcp;

	str_copy(ns_only, "127.0.0.21", sizeof(ns_only));
	for (tcp = 0; tcp < 2; tcp++) {
		run_source4 = NULL;
		r = dns1("ok", LDNS_RR_TYPE_A, "192.0.2.10", tcp);
		ck_reason(r, PROBE_DNS_RCODE, "REFUSED");
		ck_assert_int_eq(addr_parse("127.0.0.21", &src, err,
		    sizeof(err)), 0);
		run_source4 = &src;
		r = dns1("ok", LDNS_RR_TYPE_A, "192.0.2.10", tcp);
		ck_reason(r, PROBE_OK, "");
		ck_assert_int_eq(addr_parse("127.0.0.22", &src, err,
		    sizeof(err)), 0);
		r = dns1("ok", LDNS_RR_TYPE_A, "192.0.2.10", tcp);
		ck_reason(r, PROBE_DNS_RCODE, "REFUSED");
		/* not this host's: the monitor's fault */
		ck_assert_int_eq(addr_parse("192.0.2.77", &src, err,
		    sizeof(err)), 0);
		r = dns1("ok", LDNS_RR_TYPE_A, "192.0.2.10", tcp);
		ck_reason(r, PROBE_LOCAL_ERROR, "cannot bind to source "
		    "192.0.2.77: Cannot assign requested address");
	}
	run_source4 = NULL;
	ns_only[0] = '\0';
}
END_TEST

START_TEST(test_dns_answer)
{
	struct probe_result r;

	r = dns1("ok", LDNS_RR_TYPE_A, "192.0.2.10", false);
	ck_reason(r, PROBE_OK, "");
	ck_assert_uint_lt(r.total_ms, 1000);	/* not the timeout */
	r = dns1("ok", LDNS_RR_TYPE_A, NULL, false);		/* any */
	ck_reason(r, PROBE_OK, "");
	r = dns1("ok", LDNS_RR_TYPE_AAAA, "2001:DB8:0::10", false);
	ck_reason(r, PROBE_OK, "");
	r = dns1("ok", LDNS_RR_TYPE_CNAME, "target.example.test", false);
	ck_reason(r, PROBE_OK, "");
	r = dns1("ok", LDNS_RR_TYPE_MX, "10 mail.example.test.", false);
	ck_reason(r, PROBE_OK, "");
	r = dns1("ok", LDNS_RR_TYPE_TXT, "hello world", false);
	ck_reason(r, PROBE_OK, "");
	r = dns1("ok", LDNS_RR_TYPE_TXT, "\"hello world\"", false);
	ck_reason(r, PROBE_OK, "");
}
END_TEST

START_TEST(test_dns_expect_missing)
{
	struct probe_result r;

	r = dns1("wrong", LDNS_RR_TYPE_A, "192.0.2.10", false);
	ck_reason(r, PROBE_EXPECT_MISSING, "found 192.0.2.99");
	r = dns1("ok", LDNS_RR_TYPE_A, "192.0.2.12", false);
	ck_reason(r, PROBE_EXPECT_MISSING, "found 192.0.2.11, 192.0.2.10");
	r = dns1("ok", LDNS_RR_TYPE_TXT, "Hello world", false);	/* exact */
	ck_reason(r, PROBE_EXPECT_MISSING, "found \"hello world\"");
	r = dns1("ok", LDNS_RR_TYPE_AAAA, "192.0.2.10", false);
	ck_reason(r, PROBE_EXPECT_MISSING, "found 2001:db8::10");
	/* NOERROR without the type asked (NODATA) is down */
	r = dns1("nodata", LDNS_RR_TYPE_A, NULL, false);
	ck_reason(r, PROBE_EXPECT_MISSING, "no A record in the answer");
	r = dns1("ok", LDNS_RR_TYPE_SRV, NULL, false);
	ck_reason(r, PROBE_EXPECT_MISSING, "no SRV record in the answer");
}
END_TEST

START_TEST(test_dns_rcode)
{
	struct probe_result r;

	r = dns1("nxdomain", LDNS_RR_TYPE_A, NULL, false);
	ck_reason(r, PROBE_DNS_RCODE, "NXDOMAIN");
	r = dns1("servfail", LDNS_RR_TYPE_A, "192.0.2.10", false);
	ck_reason(r, PROBE_DNS_RCODE, "SERVFAIL");
	ck_assert(probe_counts(&r));
}
END_TEST

START_TEST(test_dns_silence_and_refusal)
{
	struct probe_result r;

	dtimeout = 700;
	r = dns1("silent", LDNS_RR_TYPE_A, NULL, false);
	ck_reason(r, PROBE_TIMEOUT, "no answer in 700 ms");
	ck_assert_uint_ge(r.total_ms, 690);
	ck_assert_uint_lt(r.total_ms, 900);
	r = dns1("silent", LDNS_RR_TYPE_A, NULL, true);	/* connected */
	ck_reason(r, PROBE_TIMEOUT, "no answer in 700 ms");
	/* nobody on the port: ICMP port unreachable, UDP and TCP */
	ns_port = 9;
	dns_req("www.example.test", LDNS_RR_TYPE_A, NULL, false);
	r = drive1(&probe_dns_ops, &dreq);
	ck_assert_int_eq(r.reason, PROBE_CONNECT_REFUSED);
	ck_assert_uint_lt(r.total_ms, 300);
	dspec.dns.tcp = true;
	r = drive1(&probe_dns_ops, &dreq);
	ck_assert_int_eq(r.reason, PROBE_CONNECT_REFUSED);
	dtimeout = 1500;
}
END_TEST

START_TEST(test_dns_bad_replies)
{
	struct probe_result r;

	r = dns1("garbage", LDNS_RR_TYPE_A, NULL, false);
	ck_assert_int_eq(r.reason, PROBE_BAD_RESPONSE);
	ck_assert_msg(strncmp(r.detail, "malformed reply", 15) == 0, "%s",
	    r.detail);
	r = dns1("otherq", LDNS_RR_TYPE_A, NULL, false);
	ck_reason(r, PROBE_BAD_RESPONSE, "a reply to another question");
}
END_TEST

START_TEST(test_dns_wrong_id_ignored)
{
	struct probe_result r;

	r = dns1("wrongid", LDNS_RR_TYPE_A, "192.0.2.10", false);
	ck_reason(r, PROBE_OK, "");
	ck_assert_uint_lt(r.total_ms, 1000);	/* not the timeout */
}
END_TEST

START_TEST(test_dns_tcp)
{
	struct probe_result r;

	/* truncated over UDP: asked again over TCP, which answers right */
	r = dns1("tc", LDNS_RR_TYPE_A, "192.0.2.10", false);
	ck_reason(r, PROBE_OK, "");
	ck_assert_uint_lt(r.total_ms, 1000);	/* not the timeout */
	r = dns1("ok", LDNS_RR_TYPE_A, "192.0.2.10", true);
	ck_reason(r, PROBE_OK, "");
	r = dns1("nxdomain", LDNS_RR_TYPE_A, NULL, true);
	ck_reason(r, PROBE_DNS_RCODE, "NXDOMAIN");
}
END_TEST

START_TEST(test_dns_describe_and_fds)
{
	char buf[160], want[160];
	int before;
	size_t i;

	ns_start("ok");
	dns_req("www.example.test", LDNS_RR_TYPE_A, "192.0.2.10\n", false);
	probe_dns_ops.describe(&dreq, buf, sizeof(buf));
	snprintf(want, sizeof(want), "query www.example.test A over UDP port "
	    "%d, expect 192.0.2.10\\n", ns_port);
	ck_assert_str_eq(buf, want);
	dns_req("www.example.test", LDNS_RR_TYPE_A, "192.0.2.10", false);
	before = fd_count();
	for (i = 0; i < 200; i++) {
		struct probe_result r = drive1(&probe_dns_ops, &dreq);

		ck_reason(r, PROBE_OK, "");
	}
	ck_assert_int_eq(fd_count(), before);
	ns_stop();
}
END_TEST

START_TEST(test_dns_query_shape)
{
	uint8_t *b;
	char *log;
	size_t len, i, j, same = 0;

	snprintf(ns_log, sizeof(ns_log), "/tmp/dnsfailover-unit-ids.%d",
	    (int)getpid());
	unlink(ns_log);
	ns_start("ok");
	dns_req("www.example.test", LDNS_RR_TYPE_A, NULL, false);
	for (i = 0; i < 20; i++) {
		struct probe_result r = drive1(&probe_dns_ops, &dreq);

		ck_reason(r, PROBE_OK, "");
	}
	ns_stop();
	ck_assert_int_eq(file_read(ns_log, &log, &len), 0);
	unlink(ns_log);
	ns_log[0] = '\0';
	ck_assert_uint_eq(len, 20 * 6);
	b = (uint8_t *)log;
	for (i = 0; i < 20; i++) {
		ck_assert_int_eq(b[6 * i + 2] & 0x81, 0);	/* QR, RD off */
		ck_assert_int_eq(b[6 * i + 4] << 8 | b[6 * i + 5], 1);
		for (j = 0; j < i; j++)
			same += memcmp(b + 6 * i, b + 6 * j, 2) == 0;
	}
	ck_assert_uint_le(same, 1);	/* random IDs: a repeat is rare */
	free(log);
}
END_TEST

START_TEST(test_dns_many_at_once)
{
	struct run runs[50];
	uint64_t t0;
	size_t i;

	ns_start("silent");
	dtimeout = 700;
	dns_req("www.example.test", LDNS_RR_TYPE_A, NULL, false);
	dtimeout = 1500;
	t0 = mono_ms();
	for (i = 0; i < 50; i++)
		run_start(&runs[i], &probe_dns_ops, &dreq);
	drive(runs, 50);
	ck_assert_uint_lt(mono_ms() - t0, 1500);
	for (i = 0; i < 50; i++)
		ck_assert_int_eq(runs[i].res.reason, PROBE_TIMEOUT);
	ns_stop();
}
END_TEST

/* ---- exec ---- */

static struct check_spec	xspec;
static struct addr		xaddr;
static struct probe_req		xreq;
static const char		*xargv[4];

static void
exec_req(const char *script, uint64_t timeout_ms)
{
	char err[PARSE_ERRLEN];

	memset(&xspec, 0, sizeof(xspec));
	xspec.type = CHECK_EXEC;
	xspec.port = 8443;
	xspec.timeout_ms = timeout_ms;
	xargv[0] = script;
	xargv[1] = unit_tmpdir();
	xargv[2] = NULL;
	xspec.exec.argv = xargv;
	xspec.exec.argc = 2;
	ck_assert_int_eq(addr_parse("2001:db8::7", &xaddr, err, sizeof(err)),
	    0);
	memset(&xreq, 0, sizeof(xreq));
	xreq.host = "www.example.test";
	xreq.addr = &xaddr;
	xreq.check = &xspec;
}

/* Runs script (the body of a /bin/sh script; $1 is the directory). */
static struct probe_result
exec1(const char *body, uint64_t timeout_ms)
{
	char *text = xasprintf("#!/bin/sh\n%s\n", body);
	char *path = unit_write("check.sh", text, 0755);
	struct probe_result r;

	exec_req(path, timeout_ms);
	r = drive1(&probe_exec_ops, &xreq);
	ck_assert_msg(no_children(), "a child is left");
	free(text);
	free(path);
	return r;
}

START_TEST(test_exec_status)
{
	struct probe_result r;

	r = exec1("exit 0", 2000);
	ck_reason(r, PROBE_OK, "");
	r = exec1("echo ok; echo 'and more' >&2; exit 0", 2000);
	ck_reason(r, PROBE_OK, "");
	r = exec1("echo; echo 'disk full on /data' >&2; echo second; exit 2",
	    2000);
	ck_reason(r, PROBE_EXIT_STATUS, "exit 2: disk full on /data");
	r = exec1("exit 1", 2000);
	ck_reason(r, PROBE_EXIT_STATUS, "exit 1");
	r = exec1("printf 'bad\\033[31m\\r\\n'; exit 1", 2000);
	ck_reason(r, PROBE_EXIT_STATUS, "exit 1: bad\\x1b[31m");
	r = exec1("echo dying; kill -9 $$", 2000);
	ck_reason(r, PROBE_EXIT_STATUS, "killed by signal 9: dying");
	ck_assert(probe_counts(&r));
}
END_TEST

START_TEST(test_exec_environment)
{
	struct probe_result r;
	char *path, *env;
	size_t len;

	setenv("UNIT_SECRET_VAR", "must not be seen", 1);
	/* the shell itself adds PWD */
	r = exec1("env | grep -v ^PWD= | sort >\"$1/env\"", 2000);
	ck_reason(r, PROBE_OK, "");
	path = xasprintf("%s/env", unit_tmpdir());
	ck_assert_int_eq(file_read(path, &env, &len), 0);
	ck_assert_str_eq(env, "DNSFAILOVER_ADDRESS=2001:db8::7\n"
	    "DNSFAILOVER_FAMILY=6\n"
	    "DNSFAILOVER_HOST=www.example.test\n"
	    "DNSFAILOVER_PORT=8443\n"
	    "DNSFAILOVER_SITE=www.example.test\n"
	    "DNSFAILOVER_TIMEOUT_MS=2000\n"
	    "PATH=/usr/sbin:/usr/bin:/sbin:/bin\n");
	free(env);
	free(path);
}
END_TEST

START_TEST(test_exec_no_descriptor_leaks_in)
{
	struct probe_result r;
	char *path, *fds;
	size_t len;
	int fd = open("/dev/null", O_RDONLY);	/* not close-on-exec */

	ck_assert_int_ge(fd, 3);
	r = exec1("ls /proc/self/fd | sort -n | tr '\\n' ' ' >\"$1/fds\"",
	    2000);
	ck_reason(r, PROBE_OK, "");
	path = xasprintf("%s/fds", unit_tmpdir());
	ck_assert_int_eq(file_read(path, &fds, &len), 0);
	ck_assert_str_eq(fds, "0 1 2 3 ");	/* 3: ls's own directory */
	close(fd);
	free(fds);
	free(path);
}
END_TEST

/* Whether pid is gone (or a zombie nobody of ours must reap). */
static bool
gone(pid_t pid)
{
	char path[64], *stat, *p;
	size_t len;
	bool dead;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (file_read(path, &stat, &len) == -1)
		return true;
	p = strrchr(stat, ')');
	dead = p != NULL && p[1] == ' ' && p[2] == 'Z';
	free(stat);
	return dead;
}

START_TEST(test_exec_hang_killed_with_its_children)
{
	struct probe_result r;
	char *path, *pid;
	size_t len;
	int i;

	r = exec1("sleep 100 & echo $! >\"$1/child\"; echo waiting; "
	    "exec sleep 100", 500);
	ck_reason(r, PROBE_TIMEOUT, "killed after 500 ms");
	ck_assert_uint_ge(r.total_ms, 490);
	ck_assert_uint_lt(r.total_ms, 800);
	path = xasprintf("%s/child", unit_tmpdir());
	ck_assert_int_eq(file_read(path, &pid, &len), 0);
	for (i = 0; i < 100 && !gone((pid_t)strtol(pid, NULL, 10)); i++)
		usleep(10000);
	ck_assert_msg(gone((pid_t)strtol(pid, NULL, 10)),
	    "the command's own child %s survived", pid);
	free(pid);
	/* what a command that ended left running is stopped too */
	r = exec1("sleep 100 & echo $! >\"$1/child\"; exit 0", 2000);
	ck_reason(r, PROBE_OK, "");
	ck_assert_int_eq(file_read(path, &pid, &len), 0);
	for (i = 0; i < 100 && !gone((pid_t)strtol(pid, NULL, 10)); i++)
		usleep(10000);
	ck_assert_msg(gone((pid_t)strtol(pid, NULL, 10)),
	    "the command's own child %s survived its end", pid);
	free(pid);
	free(path);
}
END_TEST

START_TEST(test_exec_output_bounded)
{
	struct probe_result r;
	uint64_t t0 = mono_ms();

	/* megabytes after the reason: judged by its status, read bounded */
	r = exec1("echo 'first line'; head -c 3000000 /dev/zero | tr '\\0' x;"
	    " exit 3", 3000);
	ck_reason(r, PROBE_EXIT_STATUS, "exit 3: first line");
	/* endless output: our end closes at the cap, SIGPIPE ends it */
	r = exec1("exec yes", 3000);
	ck_reason(r, PROBE_EXIT_STATUS,
	    "killed by signal 13 (output over 65536 bytes): y");
	ck_assert_uint_lt(mono_ms() - t0, 2000);
	/* a long first line: kept to 150 bytes */
	r = exec1("printf '%0300d\\n' 0; exit 4", 3000);
	ck_assert_int_eq(r.reason, PROBE_EXIT_STATUS);
	ck_assert_uint_eq(strlen(r.detail), strlen("exit 4: ") + 150);
}
END_TEST

START_TEST(test_exec_cannot_start_is_local)
{
	struct probe_result r;
	char *path;

	exec_req("/nonexistent/check", 1000);
	r = drive1(&probe_exec_ops, &xreq);
	ck_reason(r, PROBE_LOCAL_ERROR,
	    "cannot run /nonexistent/check: No such file or directory");
	ck_assert(!probe_counts(&r));
	path = unit_write("noexec.sh", "#!/bin/sh\nexit 0\n", 0644);
	exec_req(path, 1000);
	r = drive1(&probe_exec_ops, &xreq);
	ck_assert_int_eq(r.reason, PROBE_LOCAL_ERROR);
	ck_assert_ptr_nonnull(strstr(r.detail, "Permission denied"));
	ck_assert(no_children());
	free(path);
}
END_TEST

START_TEST(test_exec_many_runs_no_leak)
{
	struct probe_result r;
	char *path = unit_write("t.sh", "#!/bin/sh\necho no; exit 1\n",
	    0755);
	int before = fd_count(), i;

	exec_req(path, 2000);
	for (i = 0; i < 200; i++) {
		r = drive1(&probe_exec_ops, &xreq);
		ck_reason(r, PROBE_EXIT_STATUS, "exit 1: no");
	}
	ck_assert_int_eq(fd_count(), before);
	ck_assert(no_children());
	free(path);
}
END_TEST

START_TEST(test_exec_many_at_once)
{
	char *path = unit_write("hang.sh", "#!/bin/sh\nsleep 100 &\n"
	    "exec sleep 100\n", 0755);
	struct run runs[50];
	uint64_t t0 = mono_ms();
	int before = fd_count();
	size_t i;

	exec_req(path, 1000);
	for (i = 0; i < 50; i++)
		run_start(&runs[i], &probe_exec_ops, &xreq);
	drive(runs, 50);
	ck_assert_uint_lt(mono_ms() - t0, 2500);	/* one timeout, not 50 */
	for (i = 0; i < 50; i++)
		ck_reason(runs[i].res, PROBE_TIMEOUT, "killed after 1000 ms");
	ck_assert(no_children());
	ck_assert_int_eq(fd_count(), before);
	free(path);
}
END_TEST

START_TEST(test_exec_cleared_early)
{
	char *path = unit_write("hang.sh", "#!/bin/sh\nexec sleep 100\n",
	    0755);
	struct run r;

	exec_req(path, 5000);
	run_start(&r, &probe_exec_ops, &xreq);
	ck_assert(!r.over);
	probe_exec_ops.clear(&r.t);	/* the engine gave up on it */
	ck_assert(no_children());
	free(path);
}
END_TEST

/* ---- through the engine ---- */

START_TEST(test_engine_dns)
{
	struct check_spec c[3];
	struct probe_result res[3];
	struct probe_req q[3];
	struct prober *p = prober_new(10);
	size_t i;

	ns_start("ok");
	dns_req("www.example.test", LDNS_RR_TYPE_A, "192.0.2.10", false);
	for (i = 0; i < 3; i++) {
		c[i] = dspec;
		q[i] = dreq;
		q[i].check = &c[i];
	}
	c[1].dns.expect = "192.0.2.12";
	c[2].port = 9;		/* nothing listens */
	probe_run(p, q, 3, res);
	ck_reason(res[0], PROBE_OK, "");
	ck_reason(res[1], PROBE_EXPECT_MISSING, "found 192.0.2.11, 192.0.2.10");
	ck_assert_int_eq(res[2].reason, PROBE_CONNECT_REFUSED);
	prober_free(p);
	ns_stop();
}
END_TEST

START_TEST(test_engine_exec)
{
	char *path = unit_write("hang.sh", "#!/bin/sh\n"
	    "[ \"$DNSFAILOVER_ADDRESS\" = 2001:db8::7 ] || exit 3\n"
	    "sleep 100 &\nexec sleep 100\n", 0755);
	struct probe_result res[30];
	struct probe_req q[30];
	int before = fd_count();
	struct prober *p = prober_new(50);
	uint64_t t0;
	size_t i;

	exec_req(path, 1000);
	for (i = 0; i < 30; i++)
		q[i] = xreq;
	t0 = mono_ms();
	probe_run(p, q, 30, res);
	ck_assert_uint_lt(mono_ms() - t0, 2500);	/* one timeout, not 30 */
	for (i = 0; i < 30; i++)
		ck_reason(res[i], PROBE_TIMEOUT, "killed after 1000 ms");
	ck_assert(no_children());
	prober_free(p);
	ck_assert_int_eq(fd_count(), before);
	free(path);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("probe_types");
	TCase *dns = tcase_create("dns"), *ex = tcase_create("exec");
	TCase *en = tcase_create("engine");

	signal(SIGPIPE, SIG_IGN);	/* as the daemon does */
	tcase_set_timeout(dns, 30);
	tcase_add_test(dns, test_dns_answer);
	tcase_add_test(dns, test_dns_expect_missing);
	tcase_add_test(dns, test_dns_rcode);
	tcase_add_test(dns, test_dns_silence_and_refusal);
	tcase_add_test(dns, test_dns_bad_replies);
	tcase_add_test(dns, test_dns_wrong_id_ignored);
	tcase_add_test(dns, test_dns_tcp);
	tcase_add_test(dns, test_dns_describe_and_fds);
	tcase_add_test(dns, test_dns_query_shape);
	tcase_add_test(dns, test_dns_many_at_once);
	tcase_add_test(dns, test_dns_from_source);
	suite_add_tcase(s, dns);
	tcase_add_checked_fixture(ex, unit_tmpdir_setup, unit_tmpdir_teardown);
	tcase_set_timeout(ex, 30);
	tcase_add_test(ex, test_exec_status);
	tcase_add_test(ex, test_exec_environment);
	tcase_add_test(ex, test_exec_no_descriptor_leaks_in);
	tcase_add_test(ex, test_exec_hang_killed_with_its_children);
	tcase_add_test(ex, test_exec_output_bounded);
	tcase_add_test(ex, test_exec_cannot_start_is_local);
	tcase_add_test(ex, test_exec_many_runs_no_leak);
	tcase_add_test(ex, test_exec_many_at_once);
	tcase_add_test(ex, test_exec_cleared_early);
	suite_add_tcase(s, ex);
	tcase_add_checked_fixture(en, unit_tmpdir_setup, unit_tmpdir_teardown);
	tcase_set_timeout(en, 30);
	tcase_add_test(en, test_engine_dns);
	tcase_add_test(en, test_engine_exec);
	suite_add_tcase(s, en);
	return unit_run(s);
}
