/*
 * check_dnsxfr.c: the votes zone's transfer, judged with no network
 * (dnsxfr_judge): answers built and signed here with ldns as a server
 * would, each next message's MAC chained to the one before (RFC 8945
 * 5.3.1); and dnsio_stream + dnsxfr_fetch against a fake TCP server in
 * this process that plays such an answer back.  The real servers are
 * tests/integration/xfr.sh's.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "dnsio.h"
#include "dnsxfr.h"
#include "keyfile.h"
#include "unit.h"
#include "util.h"

#define ZONE	"example.test"
#define ID	0x1234
#define MAXMSG	8

static const struct tsig_key key = { (char *)"failover-key",
    TSIG_HMAC_SHA256, (char *)UNIT_SECRET, 1 };

#define SOA(n)	"example.test. 60 IN SOA ns1.example.test. " \
		"h.example.test. " #n " 60 60 3600 60"

enum how {
	SIGNED,		/* chained to the message before (or the request) */
	UNSIGNED,
	TO_REQUEST,	/* a later message signed against the request MAC */
	FLIPPED,	/* signed, then one octet of a TXT string changed */
	BADTIME		/* NOTAUTH, TSIG error BADTIME */
};

struct ans {
	uint8_t		*req;
	size_t		 reqlen;
	ldns_rdf	*reqmac, *mac;
	uint8_t		*w[MAXMSG];
	size_t		 len[MAXMSG];
	size_t		 n;
	struct xfr_result r;
	char		 err[512];
};

static void
ans_init(struct ans *a, bool have_serial, uint32_t serial)
{
	ldns_pkt *q = NULL;

	memset(a, 0, sizeof(*a));
	ck_assert_int_eq(dnsxfr_request(ZONE, have_serial, serial, ID, &key,
	    &a->req, &a->reqlen, a->err, sizeof(a->err)), 0);
	ck_assert_int_eq(ldns_wire2pkt(&q, a->req, a->reqlen), LDNS_STATUS_OK);
	a->reqmac = ldns_rdf_clone(ldns_rr_rdf(ldns_pkt_tsig(q), 3));
	ldns_pkt_free(q);
}

static void
ans_clear(struct ans *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->w[i]);
	free(a->req);
	ldns_rdf_deep_free(a->reqmac);
	ldns_rdf_deep_free(a->mac);
	dnsxfr_clear(&a->r);
}

/* Appends one message with records rrs (NULL-terminated). */
static void
ans_add(struct ans *a, uint16_t id, const char *qtype, enum how how,
    const char *const *rrs)
{
	ldns_pkt *p = ldns_pkt_new();
	ldns_rr *rr;
	char q[64];
	size_t i;
	uint8_t *w;

	ldns_pkt_set_id(p, id);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_aa(p, true);
	ldns_pkt_set_rcode(p, how == BADTIME ? LDNS_RCODE_NOTAUTH :
	    LDNS_RCODE_NOERROR);
	if (qtype != NULL) {
		snprintf(q, sizeof(q), ZONE ". IN %s", qtype);
		ck_assert_int_eq(ldns_rr_new_question_frm_str(&rr, q, NULL,
		    NULL), LDNS_STATUS_OK);
		ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, rr);
	}
	for (i = 0; rrs != NULL && rrs[i] != NULL; i++) {
		ck_assert_msg(ldns_rr_new_frm_str(&rr, rrs[i], 0, NULL,
		    NULL) == LDNS_STATUS_OK, "%s", rrs[i]);
		ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
	}
	if (how != UNSIGNED) {
		ck_assert_int_eq(ldns_pkt_tsig_sign_next(p, key.name,
		    key.secret, 300, "hmac-sha256.", how == TO_REQUEST ||
		    a->mac == NULL ? a->reqmac : a->mac, a->n > 0),
		    LDNS_STATUS_OK);
		ldns_rdf_deep_free(a->mac);
		a->mac = ldns_rdf_clone(ldns_rr_rdf(ldns_pkt_tsig(p), 3));
	}
	if (how == BADTIME)
		ldns_rdf_deep_free(ldns_rr_set_rdf(ldns_pkt_tsig(p),
		    ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, 18), 5));
	ck_assert_int_eq(ldns_pkt2wire(&w, p, &a->len[a->n]), LDNS_STATUS_OK);
	if (how == FLIPPED) {
		uint8_t *z = memmem(w, a->len[a->n], "beat", 4);

		ck_assert_ptr_nonnull(z);
		z[0] = 'B';
	}
	a->w[a->n++] = w;
	ldns_pkt_free(p);
}

static int
ans_judge(struct ans *a, uint64_t now)
{
	return dnsxfr_judge(a->req, a->reqlen, (const uint8_t *const *)a->w,
	    a->len, a->n, ZONE, &key, now, &a->r, a->err, sizeof(a->err));
}

static void
change_is(const struct xfr_result *r, size_t i, bool add, const char *owner,
    const char *s0, const char *s1)
{
	ck_assert_uint_gt(r->n, i);
	ck_assert_int_eq(r->c[i].add, add);
	ck_assert_str_eq(r->c[i].owner, owner);
	ck_assert_uint_eq(r->c[i].txt.n, s1 ? 2 : 1);
	ck_assert_str_eq(r->c[i].txt.s[0], s0);
	if (s1)
		ck_assert_str_eq(r->c[i].txt.s[1], s1);
}

static void
fails_with(struct ans *a, const char *what)
{
	ck_assert_int_eq(ans_judge(a, (uint64_t)time(NULL)), -1);
	ck_assert_msg(strstr(a->err, what) != NULL, "err \"%s\", expected "
	    "\"%s\"", a->err, what);
	ck_assert_uint_eq(a->r.n, 0);
	ck_assert_ptr_null(a->r.c);
}

/* ---- the request ---- */

START_TEST(test_request)
{
	uint8_t *w;
	size_t len;
	ldns_pkt *p = NULL;
	ldns_rr *soa;
	char err[128];

	ck_assert_int_eq(dnsxfr_request(ZONE, true, 41, 7, &key, &w, &len,
	    err, sizeof(err)), 0);
	ck_assert_int_eq(ldns_wire2pkt(&p, w, len), LDNS_STATUS_OK);
	ck_assert_uint_eq(ldns_pkt_id(p), 7);
	ck_assert(!ldns_pkt_rd(p));
	ck_assert_int_eq(ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_question(p),
	    0)), LDNS_RR_TYPE_IXFR);
	ck_assert_uint_eq(ldns_pkt_nscount(p), 1);
	soa = ldns_rr_list_rr(ldns_pkt_authority(p), 0);
	ck_assert_int_eq(ldns_rr_get_type(soa), LDNS_RR_TYPE_SOA);
	ck_assert_uint_eq(ldns_rdf2native_int32(ldns_rr_rdf(soa, 2)), 41);
	ck_assert(ldns_pkt_tsig_verify(p, w, len, key.name, key.secret, NULL));
	ldns_pkt_free(p);
	free(w);
	p = NULL;
	ck_assert_int_eq(dnsxfr_request(ZONE, false, 0, 8, NULL, &w, &len,
	    err, sizeof(err)), 0);
	ck_assert_int_eq(ldns_wire2pkt(&p, w, len), LDNS_STATUS_OK);
	ck_assert_int_eq(ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_question(p),
	    0)), LDNS_RR_TYPE_AXFR);
	ck_assert_uint_eq(ldns_pkt_nscount(p), 0);
	ck_assert_ptr_null(ldns_pkt_tsig(p));
	ldns_pkt_free(p);
	free(w);
}
END_TEST

/* ---- answers ---- */

START_TEST(test_uptodate)
{
	static const char *const m1[] = { SOA(5), NULL };
	struct ans a;

	ans_init(&a, true, 5);
	ans_add(&a, ID, "IXFR", SIGNED, m1);
	ck_assert_int_eq(ans_judge(&a, (uint64_t)time(NULL)), 0);
	ck_assert_int_eq(a.r.kind, XFR_UPTODATE);
	ck_assert_uint_eq(a.r.serial, 5);
	ck_assert_uint_eq(a.r.n, 0);
	ck_assert_uint_eq(a.r.messages, 1);
	ans_clear(&a);
}
END_TEST

/* Two steps, 5 -> 6 -> 7, split across two messages mid-sequence. */
START_TEST(test_incremental_two_messages)
{
	static const char *const m1[] = { SOA(7), SOA(5),
	    "A1.Example.Test. 60 IN TXT \"v=1\" \"beat=1\"",
	    SOA(6),
	    "a1.example.test. 60 IN TXT \"v=1\" \"beat=2\"",
	    "www.example.test. 60 IN A 192.0.2.1", NULL };
	static const char *const m2[] = { SOA(6),
	    "a1.example.test. 60 IN TXT \"v=1\" \"beat=2\"",
	    SOA(7),
	    "a1.example.test. 60 IN TXT \"v=1\" \"beat=3\"",
	    "x.a2.example.test. 60 IN TXT \"a \\\"b\\\"\" \"\\009\"",
	    SOA(7), NULL };
	struct ans a;

	ans_init(&a, true, 5);
	ans_add(&a, ID, "IXFR", SIGNED, m1);
	ans_add(&a, ID, NULL, SIGNED, m2);	/* no question: allowed */
	ck_assert_int_eq(ans_judge(&a, (uint64_t)time(NULL)), 0);
	ck_assert_int_eq(a.r.kind, XFR_INCREMENTAL);
	ck_assert_uint_eq(a.r.serial, 7);
	ck_assert_uint_eq(a.r.messages, 2);
	ck_assert_uint_eq(a.r.bytes, a.len[0] + a.len[1]);
	ck_assert_uint_eq(a.r.n, 5);	/* the A record is not kept */
	change_is(&a.r, 0, false, "a1.example.test", "v=1", "beat=1");
	change_is(&a.r, 1, true, "a1.example.test", "v=1", "beat=2");
	change_is(&a.r, 2, false, "a1.example.test", "v=1", "beat=2");
	change_is(&a.r, 3, true, "a1.example.test", "v=1", "beat=3");
	change_is(&a.r, 4, true, "x.a2.example.test", "a \"b\"", "\t");
	ans_clear(&a);
}
END_TEST

START_TEST(test_axfr_form)
{
	static const char *const m1[] = { SOA(9),
	    "example.test. 60 IN NS ns1.example.test.",
	    "a1.example.test. 60 IN TXT \"v=1\" \"beat=9\"", NULL };
	static const char *const m2[] = {
	    "h._hold.example.test. 60 IN TXT \"v=1\"", SOA(9), NULL };
	struct ans a;

	ans_init(&a, true, 5);		/* IXFR asked, the zone answered */
	ans_add(&a, ID, "IXFR", SIGNED, m1);
	ans_add(&a, ID, "IXFR", SIGNED, m2);
	ck_assert_int_eq(ans_judge(&a, (uint64_t)time(NULL)), 0);
	ck_assert_int_eq(a.r.kind, XFR_FULL);
	ck_assert_uint_eq(a.r.serial, 9);
	ck_assert_uint_eq(a.r.n, 2);
	change_is(&a.r, 0, true, "a1.example.test", "v=1", "beat=9");
	change_is(&a.r, 1, true, "h._hold.example.test", "v=1", NULL);
	ans_clear(&a);

	ans_init(&a, false, 0);		/* an AXFR */
	ans_add(&a, ID, "AXFR", SIGNED, m1);
	ans_add(&a, ID, "AXFR", SIGNED, m2);
	ck_assert_int_eq(ans_judge(&a, (uint64_t)time(NULL)), 0);
	ck_assert_int_eq(a.r.kind, XFR_FULL);
	ck_assert_uint_eq(a.r.n, 2);
	ans_clear(&a);
}
END_TEST

static const char *const inc1[] = { SOA(7), SOA(5),
    "a1.example.test. 60 IN TXT \"v=1\" \"beat=1\"", SOA(7), NULL };
static const char *const inc2[] = {
    "a1.example.test. 60 IN TXT \"v=1\" \"beat=2\"", SOA(7), NULL };

START_TEST(test_bad_mac_second)
{
	struct ans a;

	ans_init(&a, true, 5);
	ans_add(&a, ID, "IXFR", SIGNED, inc1);
	ans_add(&a, ID, "IXFR", FLIPPED, inc2);
	fails_with(&a, "signature does not verify");
	ans_clear(&a);

	/* signed right, but chained to the request, not to message 1 */
	ans_init(&a, true, 5);
	ans_add(&a, ID, "IXFR", SIGNED, inc1);
	ans_add(&a, ID, "IXFR", TO_REQUEST, inc2);
	fails_with(&a, "signature does not verify");
	ans_clear(&a);
}
END_TEST

START_TEST(test_unsigned_message)
{
	struct ans a;

	ans_init(&a, true, 5);
	ans_add(&a, ID, "IXFR", SIGNED, inc1);
	ans_add(&a, ID, "IXFR", UNSIGNED, inc2);
	fails_with(&a, "not signed");
	ans_clear(&a);

	ans_init(&a, true, 5);		/* the first one, REFUSED */
	ans_add(&a, ID, "IXFR", UNSIGNED, NULL);
	ldns_write_uint16(a.w[0] + 2, 0x8005);	/* QR, REFUSED */
	fails_with(&a, "REFUSED, not signed");
	ans_clear(&a);
}
END_TEST

START_TEST(test_wrong_id)
{
	struct ans a;

	ans_init(&a, true, 5);
	ans_add(&a, ID + 1, "IXFR", SIGNED, inc1);
	fails_with(&a, "wrong message id 4661 (sent 4660)");
	ans_clear(&a);

	ans_init(&a, true, 5);		/* in a later message */
	ans_add(&a, ID, "IXFR", SIGNED, inc1);
	ans_add(&a, ID + 1, "IXFR", SIGNED, inc2);
	fails_with(&a, "wrong message id");
	ans_clear(&a);
}
END_TEST

START_TEST(test_outside_zone)
{
	static const char *const m1[] = { SOA(7), SOA(5),
	    "a1.example.org. 60 IN TXT \"v=1\"", SOA(7), SOA(7), NULL };
	static const char *const m2[] = { SOA(7), SOA(5), SOA(7),
	    "test. 60 IN TXT \"v=1\"", SOA(7), NULL };
	struct ans a;

	ans_init(&a, true, 5);
	ans_add(&a, ID, "IXFR", SIGNED, m1);
	fails_with(&a, "record a1.example.org outside the zone");
	ans_clear(&a);
	ans_init(&a, true, 5);
	ans_add(&a, ID, "IXFR", SIGNED, m2);
	fails_with(&a, "record test outside the zone");
	ans_clear(&a);
}
END_TEST

START_TEST(test_truncated)
{
	static const char *const axfr1[] = { SOA(9),
	    "a1.example.test. 60 IN TXT \"v=1\"", NULL };
	struct ans a;

	ans_init(&a, true, 5);		/* the second message missing */
	ans_add(&a, ID, "IXFR", SIGNED, inc1);
	fails_with(&a, "answer ends before its closing SOA (1 messages, 4 "
	    "records)");
	ans_clear(&a);

	ans_init(&a, true, 5);
	ans_add(&a, ID, "IXFR", SIGNED, axfr1);
	fails_with(&a, "answer ends before its closing SOA (1 messages, 2 "
	    "records)");
	ans_clear(&a);

	ans_init(&a, true, 5);		/* a message after the end */
	ans_add(&a, ID, "IXFR", SIGNED, inc1);
	ans_add(&a, ID, "IXFR", SIGNED, inc2);
	ans_add(&a, ID, "IXFR", SIGNED, inc2);
	fails_with(&a, "messages after the closing SOA");
	ans_clear(&a);

	ans_init(&a, true, 5);		/* a record after the end */
	ans_add(&a, ID, "IXFR", SIGNED, (const char *const[]){ SOA(7),
	    SOA(5), SOA(7), SOA(7), "a.example.test. 60 IN TXT \"x\"",
	    NULL });
	fails_with(&a, "records after the closing SOA");
	ans_clear(&a);

	ans_init(&a, true, 5);		/* the server behind us */
	ans_add(&a, ID, "IXFR", SIGNED, (const char *const[]){ SOA(4), NULL });
	fails_with(&a, "the server's serial 4 is behind ours 5");
	ans_clear(&a);

	ans_init(&a, true, 5);		/* no record at all */
	ans_add(&a, ID, "IXFR", SIGNED, NULL);
	fails_with(&a, "answer ends before its closing SOA");
	ans_clear(&a);

	ans_init(&a, true, 5);		/* cut mid-message */
	ans_add(&a, ID, "IXFR", SIGNED, inc1);
	a.len[0] -= 40;
	fails_with(&a, "malformed message");
	ans_clear(&a);
}
END_TEST

START_TEST(test_badtime)
{
	struct ans a;

	ans_init(&a, true, 5);
	ans_add(&a, ID, "IXFR", BADTIME, NULL);
	fails_with(&a, "NOTAUTH, TSIG error BADTIME (server time ");
	ans_clear(&a);

	/* a good answer, judged 301 s later: outside the fudge */
	ans_init(&a, true, 5);
	ans_add(&a, ID, "IXFR", SIGNED, inc1);
	ck_assert_int_eq(ans_judge(&a, (uint64_t)time(NULL) + 301), -1);
	ck_assert_msg(strstr(a.err, "outside the fudge") != NULL, "%s", a.err);
	ans_clear(&a);
}
END_TEST

START_TEST(test_other_checks)
{
	static const char *const m1[] = { SOA(7), SOA(6), SOA(7), SOA(7),
	    NULL };
	static const char *const m2[] = { SOA(7), SOA(5), SOA(6), SOA(8),
	    SOA(7), NULL };
	static const char *const m3[] = {
	    "a1.example.test. 60 IN TXT \"v=1\"", SOA(7), NULL };
	struct ans a;

	ans_init(&a, true, 5);
	ans_add(&a, ID, "AXFR", SIGNED, inc1);
	fails_with(&a, "question not echoed");
	ans_clear(&a);

	ans_init(&a, true, 5);		/* changes from another serial */
	ans_add(&a, ID, "IXFR", SIGNED, m1);
	fails_with(&a, "changes from serial 6, not from ours 5");
	ans_clear(&a);

	ans_init(&a, true, 5);		/* a gap: 5->6, then 8->... */
	ans_add(&a, ID, "IXFR", SIGNED, m2);
	fails_with(&a, "changes from serial 8 follow those to 6");
	ans_clear(&a);

	ans_init(&a, true, 5);
	ans_add(&a, ID, "IXFR", SIGNED, m3);
	fails_with(&a, "answer not starting with the SOA");
	ans_clear(&a);

	ans_init(&a, false, 0);		/* an AXFR closed by another SOA */
	ans_add(&a, ID, "AXFR", SIGNED, (const char *const[]){ SOA(7),
	    SOA(8), NULL });
	fails_with(&a, "zone ends with serial 8, not 7");
	ans_clear(&a);

	ans_init(&a, true, 5);		/* not a DNS message */
	a.w[0] = (uint8_t *)xstrdup("junk");
	a.len[0] = 4;
	a.n = 1;
	fails_with(&a, "malformed message");
	ans_clear(&a);
}
END_TEST

/* ---- over TCP: a fake server plays an answer back ---- */

struct fake {
	int		 lfd;
	struct ans	*a;
	bool		 cut;		/* close before the last message */
};

static void *
fake_serve(void *arg)
{
	struct fake *f = arg;
	uint8_t hdr[2], buf[512];
	size_t i, n;
	int fd;

	if ((fd = accept(f->lfd, NULL, NULL)) == -1)
		return NULL;
	if (read(fd, hdr, 2) == 2) {
		n = (size_t)hdr[0] << 8 | hdr[1];
		if (n <= sizeof(buf) && read(fd, buf, n) == (ssize_t)n &&
		    n == f->a->reqlen)
			(void)0;	/* the request, as dnsxfr_request made */
	}
	for (i = 0; i < f->a->n - (f->cut ? 1 : 0); i++) {
		hdr[0] = (uint8_t)(f->a->len[i] >> 8);
		hdr[1] = (uint8_t)f->a->len[i];
		if (write(fd, hdr, 2) != 2 ||
		    write(fd, f->a->w[i], f->a->len[i]) !=
		    (ssize_t)f->a->len[i])
			break;
	}
	close(fd);
	return NULL;
}

static int
fake_listen(int *port)
{
	struct sockaddr_in in;
	socklen_t len = sizeof(in);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&in, 0, sizeof(in));
	in.sin_family = AF_INET;
	in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&in, sizeof(in)), 0);
	ck_assert_int_eq(listen(fd, 4), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&in, &len), 0);
	*port = ntohs(in.sin_port);
	return fd;
}

/*
 * The stream through dnsio_stream and the checks, one message at a
 * time.  The fake answers any ID with the answer built for ID, so
 * dnsxfr_fetch's random ID is refused; dnsio_stream with a judge of
 * its own drives it here instead.
 */
struct drive {
	struct ans	*a;
	size_t		 got;
};

static int
drive_got(void *arg, const uint8_t *m, size_t len)
{
	struct drive *d = arg;

	ck_assert_uint_lt(d->got, d->a->n);
	ck_assert_uint_eq(len, d->a->len[d->got]);
	ck_assert_int_eq(memcmp(m, d->a->w[d->got], len), 0);
	return ++d->got == d->a->n ? 1 : 0;
}

START_TEST(test_stream_tcp)
{
	struct dns_server sv;
	struct dns_conf dns;
	struct fake f;
	struct drive d = { NULL, 0 };
	struct ans a;
	pthread_t th;
	int port;
	char err[256];

	ans_init(&a, true, 5);
	ans_add(&a, ID, "IXFR", SIGNED, inc1);
	ans_add(&a, ID, "IXFR", SIGNED, inc2);	/* only the stream counts */
	f.lfd = fake_listen(&port);
	f.a = &a;
	f.cut = false;
	dns = unit_dns_conf(&sv, port, &key, 2000);
	ck_assert_int_eq(pthread_create(&th, NULL, fake_serve, &f), 0);
	d.a = &a;
	ck_assert_int_eq(dnsio_stream(&sv, a.req, a.reqlen, mono_ms() + 2000,
	    10, 1 << 20, drive_got, &d, err, sizeof(err)), DNSIO_OK);
	ck_assert_uint_eq(d.got, 2);
	pthread_join(th, NULL);

	/* closed before the end */
	f.cut = true;
	d.got = 0;
	ck_assert_int_eq(pthread_create(&th, NULL, fake_serve, &f), 0);
	ck_assert_int_eq(dnsio_stream(&sv, a.req, a.reqlen, mono_ms() + 2000,
	    10, 1 << 20, drive_got, &d, err, sizeof(err)), DNSIO_UNREACHABLE);
	ck_assert_str_eq(err, "connection closed after 1 messages, before "
	    "the answer's end");
	pthread_join(th, NULL);

	/* too many messages */
	f.cut = false;
	d.got = 0;
	ck_assert_int_eq(pthread_create(&th, NULL, fake_serve, &f), 0);
	ck_assert_int_eq(dnsio_stream(&sv, a.req, a.reqlen, mono_ms() + 2000,
	    1, 1 << 20, drive_got, &d, err, sizeof(err)), DNSIO_BADREPLY);
	ck_assert_str_eq(err, "answer longer than 1 messages or 1048576 "
	    "bytes");
	pthread_join(th, NULL);

	/* dnsxfr_fetch: its random ID is not the fake's, and the error
	 * names the server */
	ck_assert_int_eq(pthread_create(&th, NULL, fake_serve, &f), 0);
	ck_assert_int_eq(dnsxfr_fetch(&dns, ZONE, true, 5, &a.r, err,
	    sizeof(err)), -1);
	ck_assert_msg(strncmp(err, "127.0.0.1:", 10) == 0 && strstr(err,
	    ": wrong message id ") != NULL, "%s", err);
	ck_assert_ptr_null(strstr(err, UNIT_SECRET));
	pthread_join(th, NULL);
	close(f.lfd);

	/* nobody listening: the next server (none), each named */
	ck_assert_int_eq(dnsxfr_fetch(&dns, ZONE, true, 5, &a.r, err,
	    sizeof(err)), -1);
	ck_assert_msg(strstr(err, "unreachable over TCP (connect)") != NULL,
	    "%s", err);
	ans_clear(&a);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("dnsxfr");
	TCase *wire = tcase_create("wire"), *io = tcase_create("tcp");

	tcase_add_test(wire, test_request);
	tcase_add_test(wire, test_uptodate);
	tcase_add_test(wire, test_incremental_two_messages);
	tcase_add_test(wire, test_axfr_form);
	tcase_add_test(wire, test_bad_mac_second);
	tcase_add_test(wire, test_unsigned_message);
	tcase_add_test(wire, test_wrong_id);
	tcase_add_test(wire, test_outside_zone);
	tcase_add_test(wire, test_truncated);
	tcase_add_test(wire, test_badtime);
	tcase_add_test(wire, test_other_checks);
	suite_add_tcase(s, wire);
	tcase_add_test(io, test_stream_tcp);
	suite_add_tcase(s, io);
	return unit_run(s);
}
