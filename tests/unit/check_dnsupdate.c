/*
 * check_dnsupdate.c: RFC 2136 updates with TSIG.
 *
 * "wire": messages built without a network, checked against the
 * hmac-sha256 vectors of shared/testdata/tsig/vectors.json (copied below;
 * made by dnspython and checked with ldns).
 * "interop": the same matrix against BIND, Knot and PowerDNS, started by
 * tests/fixture/dns.sh on 127.0.0.1, every result read back with dig;
 * and with a server before them that answers what must not decide: a
 * BIND with another secret (BADSIG), or a fake server in this process
 * (an unsigned REFUSED, a reply with another message ID).
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "dnsio.h"
#include "dnsquery.h"
#include "dnsupdate.h"
#include "keyfile.h"
#include "unit.h"
#include "util.h"

/* ---- wire ---- */

static const char v1_hex[] = "123428000001000100020001076578616d706c6504746573740000060001037777"
    "77c00c00010001000000000004c000020ac01e000100ff000000000000c01e0001000100"
    "00003c0004c63364140c6661696c6f7665722d6b65790000fa00ff00000000003d0b686d"
    "61632d7368613235360000006553f100012c0020c60830d482d0d513780772e8f4a83b6b"
    "9f7903d796903bf796c07f165eabcfe4123400000000";
static const char v2_hex[] = "1234a8000001000000000001076578616d706c65047465737400000600010c6661"
    "696c6f7665722d6b65790000fa00ff00000000003d0b686d61632d736861323536000000"
    "6553f101012c0020f22438b479ee11cb00e0e6e3a73ba695d1ace221301cdf614c06a6d0"
    "312bb5d8123400000000";
static const char v3_hex[] = "432128000001000100020001076578616d706c6504746573740000060001037777"
    "77c00c00ff00ff000000000000c01e000100fe000000000004c6336414c01e0001000100"
    "00003c0004c000020a0c6661696c6f7665722d6b65790000fa00ff00000000003d0b686d"
    "61632d7368613235360000006553f164012c0020cff35d4d43a38e4483ca1678fadc7921"
    "47f2286a1ddb5c39828fd9fb6965d61e432100000000";
static const char v4_hex[] = "4321a8080001000000000001076578616d706c65047465737400000600010c6661"
    "696c6f7665722d6b65790000fa00ff00000000003d0b686d61632d736861323536000000"
    "6553f164012c00202a72aaad76d4b29a936783e66ebd05904bd38667e60794ad4c7d9f3a"
    "b465e6f9432100000000";

static size_t
unhex(const char *h, uint8_t *out)
{
	size_t i, n = strlen(h) / 2;
	unsigned v;

	for (i = 0; i < n; i++) {
		sscanf(h + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
	return n;
}

static const struct tsig_key vkey = { (char *)"failover-key",
    TSIG_HMAC_SHA256, (char *)UNIT_SECRET, 1 };

/* v1 without its TSIG RR: what our builder must produce, byte for byte. */
START_TEST(test_build_matches_vector)
{
	static const char *const old[] = { "192.0.2.10" };
	static const char *const new[] = { "198.51.100.20" };
	const struct du_prereq pre = { DU_PRE_EQUALS, { DU_TYPE_A, old, 1 } };
	const struct du_rrset set = { DU_TYPE_A, new, 1 };
	const struct du_change c = { "www.example.test", 60, &pre, 1, &set, 1 };
	uint8_t v1[512], *wire;
	size_t vlen = unhex(v1_hex, v1), len, tsig_at;
	char err[128];

	ck_assert_int_eq(dnsupdate_build("example.test", &c, 1, 0x1234, NULL,
	    &wire, &len, err, sizeof(err)), 0);
	tsig_at = 78;		/* where v1's TSIG RR starts */
	ck_assert_uint_eq(len, tsig_at);
	v1[11] = 0;		/* ARCOUNT without the TSIG */
	ck_assert_mem_eq(wire, v1, len);
	free(wire);
	/* signed: same body, a TSIG that verifies, and a chained reply */
	ck_assert_int_eq(dnsupdate_build("example.test", &c, 1, 0x1234, &vkey,
	    &wire, &len, err, sizeof(err)), 0);
	ck_assert_uint_gt(len, tsig_at + 32);
	ck_assert_uint_lt(len, vlen + 8);
	free(wire);
}
END_TEST

/* final: whether the answer decides, or the next server is asked */
#define JUDGE(q, lq, r, lr, key, now, want, want_final) do { \
	bool final_; \
	ck_assert_int_eq(dnsupdate_judge(q, lq, r, lr, key, now, &final_, \
	    what, sizeof(what)), want); \
	ck_assert_msg(final_ == (want_final), "%s: final %d", what, final_); \
	} while (0)

START_TEST(test_reply_checks)
{
	uint8_t q1[512], r2[512], q3[512], r4[512], two[1024];
	size_t lq1 = unhex(v1_hex, q1), lr2 = unhex(v2_hex, r2);
	size_t lq3 = unhex(v3_hex, q3), lr4 = unhex(v4_hex, r4);
	struct tsig_key other = vkey;
	char what[256];

	/* v2: signed NOERROR chained to v1's MAC, at its own time */
	JUDGE(q1, lq1, r2, lr2, &vkey, 1700000001, DU_APPLIED, true);
	/* 301 s later: outside the fudge, not trusted */
	JUDGE(q1, lq1, r2, lr2, &vkey, 1700000302, DU_KEY_PROBLEM, false);
	ck_assert_msg(strstr(what, "outside the fudge") != NULL, "%s", what);
	/* v4: signed NXRRSET chained to v3 */
	JUDGE(q3, lq3, r4, lr4, &vkey, 1700000100, DU_PREREQ_FAILED, true);
	ck_assert_str_eq(what, "NXRRSET");
	/* a flipped bit in the reply */
	r2[lr2 - 20] ^= 1;
	JUDGE(q1, lq1, r2, lr2, &vkey, 1700000001, DU_KEY_PROBLEM, false);
	ck_assert_msg(strstr(what, "does not verify") != NULL, "%s", what);
	r2[lr2 - 20] ^= 1;
	/* another secret */
	other.secret = (char *)"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
	JUDGE(q1, lq1, r2, lr2, &other, 1700000001, DU_KEY_PROBLEM, false);
	/* another key name, another algorithm: refused before any MAC */
	other = vkey;
	other.name = (char *)"other-key";
	JUDGE(q1, lq1, r2, lr2, &other, 1700000001, DU_KEY_PROBLEM, false);
	ck_assert_str_eq(what, "NOERROR, reply signed with key failover-key., "
	    "not other-key");
	other = vkey;
	other.alg = TSIG_HMAC_SHA512;
	JUDGE(q1, lq1, r2, lr2, &other, 1700000001, DU_KEY_PROBLEM, false);
	ck_assert_str_eq(what, "NOERROR, reply signed with algorithm "
	    "hmac-sha256., not hmac-sha512");
	/* two TSIG RRs (ldns would leak one): malformed, RFC 8945 5.1 */
	memcpy(two, r2, lr2);
	memcpy(two + lr2, r2 + 30, lr2 - 30);	/* v2's TSIG starts at 30 */
	two[11] = 2;
	JUDGE(q1, lq1, two, 2 * lr2 - 30, &vkey, 1700000001, DU_OTHER, false);
	ck_assert_str_eq(what, "malformed reply");
	/* the reply to another request (wrong ID) */
	JUDGE(q3, lq3, r2, lr2, &vkey, 1700000001, DU_OTHER, false);
	ck_assert_str_eq(what, "reply with wrong message id 4660 (sent 17185)");
	/* a refusal that does not verify, or is not signed, does not decide */
	r2[3] = (r2[3] & 0xf0) | LDNS_RCODE_REFUSED;
	JUDGE(q1, lq1, r2, lr2, &vkey, 1700000001, DU_NOT_PERMITTED, false);
	ck_assert_msg(strstr(what, "REFUSED, reply signature does not verify")
	    != NULL, "%s", what);
	r2[11] = 0;
	JUDGE(q1, lq1, r2, 0x2a, &vkey, 1700000001, DU_NOT_PERMITTED, false);
	ck_assert_str_eq(what, "REFUSED, reply not signed");
	/* an unsigned NOERROR is never a success */
	r2[3] &= 0xf0;
	JUDGE(q1, lq1, r2, 0x2a, &vkey, 1700000001, DU_KEY_PROBLEM, false);
	ck_assert_str_eq(what, "NOERROR, reply not signed");
	/* garbage */
	JUDGE(q1, lq1, r2, 7, &vkey, 1700000001, DU_OTHER, false);
	ck_assert_str_eq(what, "malformed reply");
}
END_TEST

START_TEST(test_addrs_change)
{
	struct addr want[3], old[1];
	char err[PARSE_ERRLEN];
	struct du_addrs d;

	addr_parse("198.51.100.1", &want[0], err, sizeof(err));
	addr_parse("2001:db8::1", &want[1], err, sizeof(err));
	addr_parse("198.51.100.2", &want[2], err, sizeof(err));
	addr_parse("192.0.2.10", &old[0], err, sizeof(err));
	du_addrs_init(&d, "www.example.test", 60, want, 3, old, 1, true);
	ck_assert_uint_eq(d.change.nsets, 2);
	ck_assert_uint_eq(d.sets[0].nrdata, 2);
	ck_assert_str_eq(d.sets[0].rdata[1], "198.51.100.2");
	ck_assert_uint_eq(d.sets[1].nrdata, 1);
	ck_assert_uint_eq(d.change.nprereqs, 2);
	ck_assert_int_eq(d.pre[0].kind, DU_PRE_EQUALS);
	ck_assert_str_eq(d.pre[0].set.rdata[0], "192.0.2.10");
	ck_assert_int_eq(d.pre[1].kind, DU_PRE_ABSENT);
	du_addrs_clear(&d);
	du_addrs_init(&d, "www.example.test", 60, want, 1, NULL, 0, false);
	ck_assert_uint_eq(d.change.nprereqs, 0);
	ck_assert_uint_eq(d.sets[1].nrdata, 0);	/* AAAA deleted */
	du_addrs_clear(&d);
}
END_TEST

/* Sections of a built message: prerequisites and updates. */
static void
sections(const struct du_change *c, size_t *npre, size_t *nup)
{
	uint8_t *wire;
	size_t len;
	ldns_pkt *p = NULL;
	char err[128];

	ck_assert_int_eq(dnsupdate_build("example.test", c, 1, 1, NULL, &wire,
	    &len, err, sizeof(err)), 0);
	ck_assert_int_eq(ldns_wire2pkt(&p, wire, len), LDNS_STATUS_OK);
	*npre = ldns_pkt_ancount(p);
	*nup = ldns_pkt_nscount(p);
	ldns_pkt_free(p);
	free(wire);
}

/*
 * An RRset wanted empty whose absence is a prerequisite is neither
 * deleted nor verified: the server checks it in the same transaction.
 */
START_TEST(test_noop_delete_skipped)
{
	struct addr want, old;
	char err[PARSE_ERRLEN];
	struct du_addrs d;
	size_t npre, nup;

	addr_parse("198.51.100.1", &want, err, sizeof(err));
	addr_parse("192.0.2.1", &old, err, sizeof(err));
	du_addrs_init(&d, "www.example.test", 60, &want, 1, &old, 1, true);
	sections(&d.change, &npre, &nup);
	ck_assert_uint_eq(npre, 2);	/* A is old, no AAAA */
	ck_assert_uint_eq(nup, 2);	/* delete A, add A: no AAAA delete */
	du_addrs_clear(&d);
	du_addrs_init(&d, "www.example.test", 60, &want, 1, NULL, 0, false);
	sections(&d.change, &npre, &nup);
	ck_assert_uint_eq(npre, 0);
	ck_assert_uint_eq(nup, 3);	/* without the guarantee: deleted */
	du_addrs_clear(&d);
}
END_TEST

/* ---- interop ---- */

static const char *const servers[] = { "bind", "knot", "pdns" };
static char fxdir[64];
static int base_port;
static int other_port;		/* a BIND with its own key, same key name */

static void
fx_start(void)
{
	char *cmd;

	str_copy(fxdir, "/tmp/dnsfailover-dns.XXXXXX", sizeof(fxdir));
	ck_assert_ptr_nonnull(mkdtemp(fxdir));
	/* below the ephemeral range (32768-60999), where a client socket
	 * could already hold the port */
	base_port = 20000 + (int)(getpid() % 4000) * 3;
	other_port = unit_free_port(base_port + 10, 1);	/* + 9: nothing there */
	cmd = xasprintf("sh tests/fixture/dns.sh start %s %d && "
	    "sh tests/fixture/dns.sh start %s/other %d bind", fxdir, base_port,
	    fxdir, other_port);
	if (system(cmd) != 0) {
		fprintf(stderr, "cannot start the DNS servers\n");
		abort();
	}
	free(cmd);
}

static void
fx_stop(void)
{
	char *cmd = xasprintf("sh tests/fixture/dns.sh stop %s; "
	    "sh tests/fixture/dns.sh stop %s/other; rm -rf %s", fxdir, fxdir,
	    fxdir);

	if (system(cmd) != 0)
		fprintf(stderr, "cannot stop the DNS servers\n");
	free(cmd);
}

static struct keyfile *
fx_key(void)
{
	char *path = xasprintf("%s/key", fxdir);
	struct keyfile *kf = unit_keyfile(path);

	free(path);
	return kf;
}

/* ---- a fake server: one bad answer to every message ---- */

#define FAKE_ADDR	"127.0.53.1"

enum fake_mode {
	FAKE_REFUSED,		/* an unsigned REFUSED, as PowerDNS says */
	FAKE_WRONG_ID		/* NOERROR, with another message ID */
};

struct fake {
	enum fake_mode	 mode;
	int		 tcp, udp, stop[2];
	pthread_t	 thread;
	unsigned	 nmsgs, got_id, sent_id;	/* the last message */
};

/* The answer to q in a: q's header and zone section, as mode says. */
static size_t
fake_answer(struct fake *f, const uint8_t *q, size_t n, uint8_t *a)
{
	size_t end = 12;

	while (end < n && q[end] != 0 && (q[end] & 0xc0) == 0)
		end += (size_t)q[end] + 1;
	end += 5;			/* the root label, type and class */
	if (n < 12 || end > n)
		return 0;
	memcpy(a, q, end);
	a[2] = (uint8_t)(0x80 | (q[2] & 0x78));	/* QR, q's opcode */
	a[3] = f->mode == FAKE_REFUSED ? LDNS_RCODE_REFUSED : 0;
	memset(a + 6, 0, 6);		/* no other section */
	if (f->mode == FAKE_WRONG_ID)
		a[1] ^= 0x5a;
	f->nmsgs++;
	f->got_id = (unsigned)(q[0] << 8 | q[1]);
	f->sent_id = (unsigned)(a[0] << 8 | a[1]);
	return end;
}

static void
fake_tcp(struct fake *f, uint8_t *q, uint8_t *a)
{
	struct timeval tv = { 2, 0 };
	uint8_t hdr[2];
	size_t n;
	int c;

	if ((c = accept(f->tcp, NULL, NULL)) == -1)
		return;
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (recv(c, hdr, 2, MSG_WAITALL) == 2 &&
	    (n = (size_t)(hdr[0] << 8 | hdr[1])) > 0 &&
	    recv(c, q, n, MSG_WAITALL) == (ssize_t)n &&
	    (n = fake_answer(f, q, n, a + 2)) > 0) {
		a[0] = (uint8_t)(n >> 8);
		a[1] = (uint8_t)n;
		(void)send(c, a, n + 2, MSG_NOSIGNAL);
	}
	close(c);
}

static void *
fake_run(void *arg)
{
	struct fake *f = arg;
	struct pollfd p[3] = { { f->tcp, POLLIN, 0 }, { f->udp, POLLIN, 0 },
	    { f->stop[0], POLLIN, 0 } };
	uint8_t *q = xmalloc(65536), *a = xmalloc(65538);
	struct sockaddr_storage ss;
	socklen_t sl;
	ssize_t r;
	size_t n;

	while (poll(p, 3, -1) >= 0 && !(p[2].revents & POLLIN)) {
		if (p[1].revents & POLLIN) {
			sl = sizeof(ss);
			r = recvfrom(f->udp, q, 65536, 0,
			    (struct sockaddr *)&ss, &sl);
			if (r > 0 && (n = fake_answer(f, q, (size_t)r, a)) > 0)
				(void)sendto(f->udp, a, n, 0,
				    (struct sockaddr *)&ss, sl);
		}
		if (p[0].revents & POLLIN)
			fake_tcp(f, q, a);
	}
	free(q);
	free(a);
	return NULL;
}

/* Starts f on FAKE_ADDR, UDP and TCP, at a free port; fills sv. */
static void
fake_start(struct fake *f, enum fake_mode mode, struct dns_server *sv)
{
	struct sockaddr_in in;
	char err[PARSE_ERRLEN];
	int port, one = 1;

	memset(f, 0, sizeof(*f));
	f->mode = mode;
	memset(&in, 0, sizeof(in));
	in.sin_family = AF_INET;
	inet_pton(AF_INET, FAKE_ADDR, &in.sin_addr);
	for (port = base_port; port < base_port + 100; port++) {
		f->tcp = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		f->udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		setsockopt(f->tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		in.sin_port = htons((uint16_t)port);
		if (bind(f->tcp, (struct sockaddr *)&in, sizeof(in)) == 0 &&
		    bind(f->udp, (struct sockaddr *)&in, sizeof(in)) == 0 &&
		    listen(f->tcp, 8) == 0)
			break;
		close(f->tcp);
		close(f->udp);
	}
	ck_assert_int_lt(port, base_port + 100);
	ck_assert_int_eq(pipe(f->stop), 0);
	ck_assert_int_eq(pthread_create(&f->thread, NULL, fake_run, f), 0);
	memset(sv, 0, sizeof(*sv));
	ck_assert_int_eq(addr_parse(FAKE_ADDR, &sv->addr, err, sizeof(err)),
	    0);
	sv->port = (uint16_t)port;
}

static void
fake_stop(struct fake *f)
{
	ck_assert_int_eq(write(f->stop[1], "x", 1), 1);
	pthread_join(f->thread, NULL);
	close(f->tcp);
	close(f->udp);
	close(f->stop[0]);
	close(f->stop[1]);
}

#define ASSERT_DIG(port, name, type, want) do { \
	char *got_ = unit_dig(port, name, type); \
	ck_assert_msg(strcmp(got_, want) == 0, "%s %s %s: dig says \"%s\", " \
	    "wanted \"%s\"", servers[_i], name, type, got_, want); \
	free(got_); } while (0)

/* Replaces the addresses of name; returns the outcome. */
static enum du_outcome
set_addrs(const struct dns_conf *c, const char *name, const char *want,
    const char *expect, bool cas, struct du_report *r)
{
	struct addr w[8], e[8];
	char buf[256], *tok, *save, err[PARSE_ERRLEN];
	size_t nw = 0, ne = 0;
	enum du_outcome o;
	struct du_addrs d;

	str_copy(buf, want, sizeof(buf));
	for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ",
	    &save))
		ck_assert_int_eq(addr_parse(tok, &w[nw++], err, sizeof(err)), 0);
	str_copy(buf, expect, sizeof(buf));
	for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ",
	    &save))
		ck_assert_int_eq(addr_parse(tok, &e[ne++], err, sizeof(err)), 0);
	du_addrs_init(&d, name, 60, w, nw, e, ne, cas);
	dnsupdate_apply(c, "example.test", &d.change, 1, &o, r);
	du_addrs_clear(&d);
	return o;
}

#define PORT	(base_port + _i)

START_TEST(test_replace_a)
{
	struct keyfile *kf = fx_key();
	struct dns_server sv;
	struct dns_conf c = unit_dns_conf(&sv, PORT, &kf->keys[0], 3000);
	struct du_report r;

	ck_assert_int_eq(set_addrs(&c, "www.example.test", "198.51.100.20",
	    "192.0.2.10", true, &r), DU_APPLIED);
	ck_assert_uint_eq(r.nmessages, 1);
	ASSERT_DIG(PORT, "www.example.test", "A", "198.51.100.20\n");
	keyfile_free(kf);
}
END_TEST

START_TEST(test_replace_a_aaaa_then_drop_aaaa)
{
	struct keyfile *kf = fx_key();
	struct dns_server sv;
	struct dns_conf c = unit_dns_conf(&sv, PORT, &kf->keys[0], 3000);
	struct du_report r;

	/* a new name: the prerequisite is "no A, no AAAA" */
	ck_assert_int_eq(set_addrs(&c, "dual.example.test",
	    "198.51.100.1 2001:db8::1", "", true, &r), DU_APPLIED);
	ASSERT_DIG(PORT, "dual.example.test", "A", "198.51.100.1\n");
	ASSERT_DIG(PORT, "dual.example.test", "AAAA", "2001:db8::1\n");
	/* the new set has no IPv6: the AAAA RRset goes */
	ck_assert_int_eq(set_addrs(&c, "dual.example.test", "198.51.100.2",
	    "198.51.100.1 2001:db8::1", true, &r), DU_APPLIED);
	ASSERT_DIG(PORT, "dual.example.test", "A", "198.51.100.2\n");
	ASSERT_DIG(PORT, "dual.example.test", "AAAA", "");
	keyfile_free(kf);
}
END_TEST

START_TEST(test_prerequisite_not_met)
{
	struct keyfile *kf = fx_key();
	struct dns_server sv;
	struct dns_conf c = unit_dns_conf(&sv, PORT, &kf->keys[0], 3000);
	struct du_report r;

	/* someone else changed api: the swap must not happen */
	ck_assert_int_eq(set_addrs(&c, "api.example.test", "198.51.100.30",
	    "192.0.2.99", true, &r), DU_PREREQ_FAILED);
	ck_assert_msg(strstr(r.msg, "NXRRSET") != NULL, "%s", r.msg);
	ck_assert_msg(strstr(r.msg, "zone example.test") != NULL, "%s", r.msg);
	ASSERT_DIG(PORT, "api.example.test", "A", "192.0.2.11\n");
	/* met: it happens */
	ck_assert_int_eq(set_addrs(&c, "api.example.test", "198.51.100.30",
	    "192.0.2.11", true, &r), DU_APPLIED);
	ASSERT_DIG(PORT, "api.example.test", "A", "198.51.100.30\n");
	keyfile_free(kf);
}
END_TEST

START_TEST(test_two_records_one_message)
{
	struct keyfile *kf = fx_key();
	struct dns_server sv;
	struct dns_conf c = unit_dns_conf(&sv, PORT, &kf->keys[0], 3000);
	struct addr a[2];
	struct du_addrs d[2];
	struct du_change ch[2];
	enum du_outcome o[2];
	struct du_report r;
	char err[PARSE_ERRLEN];

	addr_parse("198.51.100.41", &a[0], err, sizeof(err));
	addr_parse("198.51.100.42", &a[1], err, sizeof(err));
	du_addrs_init(&d[0], "one.example.test", 60, &a[0], 1, NULL, 0, true);
	du_addrs_init(&d[1], "two.example.test", 60, &a[1], 1, NULL, 0, true);
	ch[0] = d[0].change;
	ch[1] = d[1].change;
	ck_assert_int_eq(dnsupdate_apply(&c, "example.test", ch, 2, o, &r), 0);
	ck_assert_uint_eq(r.nmessages, 1);
	ck_assert_int_eq(o[0], DU_APPLIED);
	ck_assert_int_eq(o[1], DU_APPLIED);
	ASSERT_DIG(PORT, "one.example.test", "A", "198.51.100.41\n");
	ASSERT_DIG(PORT, "two.example.test", "A", "198.51.100.42\n");
	du_addrs_clear(&d[0]);
	du_addrs_clear(&d[1]);
	keyfile_free(kf);
}
END_TEST

/* 1,000 records: several messages, every record applied and served. */
START_TEST(test_thousand_records)
{
	enum { N = 1000 };
	struct keyfile *kf = fx_key();
	struct dns_server sv;
	struct dns_conf c = unit_dns_conf(&sv, PORT, &kf->keys[0], 3000);
	static struct addr a[N];
	static struct du_addrs d[N];
	static struct du_change ch[N];
	static char names[N][32];
	struct du_report r;
	char err[PARSE_ERRLEN], ip[32], want[40];
	size_t i;

	for (i = 0; i < N; i++) {
		snprintf(names[i], sizeof(names[i]), "bulk%zu.example.test", i);
		snprintf(ip, sizeof(ip), "10.%zu.%zu.%zu", i >> 16,
		    (i >> 8) & 255, i & 255);
		ck_assert_int_eq(addr_parse(ip, &a[i], err, sizeof(err)), 0);
		du_addrs_init(&d[i], names[i], 60, &a[i], 1, NULL, 0, true);
		ch[i] = d[i].change;
	}
	c.transport = _i == 2 ? DNS_TCP : DNS_UDP;	/* UDP falls back */
	ck_assert_msg(dnsupdate_apply(&c, "example.test", ch, N, NULL, &r) ==
	    0, "%s: %s", servers[_i], r.msg);
	ck_assert_uint_ge(r.nmessages, 2);
	ck_assert_uint_eq(r.napplied, N);
	for (i = 0; i < N; i += 333) {
		snprintf(want, sizeof(want), "%s\n", a[i].text);
		ASSERT_DIG(PORT, names[i], "A", want);
	}
	ASSERT_DIG(PORT, names[N - 1], "A", "10.0.3.231\n");
	for (i = 0; i < N; i++)
		du_addrs_clear(&d[i]);
	keyfile_free(kf);
}
END_TEST

START_TEST(test_udp)
{
	struct keyfile *kf = fx_key();
	struct dns_server sv;
	struct dns_conf c = unit_dns_conf(&sv, PORT, &kf->keys[0], 3000);
	struct du_report r;

	c.transport = DNS_UDP;
	ck_assert_int_eq(set_addrs(&c, "udp.example.test", "198.51.100.50",
	    "", true, &r), DU_APPLIED);
	ASSERT_DIG(PORT, "udp.example.test", "A", "198.51.100.50\n");
	keyfile_free(kf);
}
END_TEST

/* BIND and Knot answer NOTAUTH with a TSIG error; PowerDNS, REFUSED. */
static const enum du_outcome bad_key[] = { DU_KEY_PROBLEM, DU_KEY_PROBLEM,
    DU_NOT_PERMITTED };

/*
 * An update signed with key k fails as server _i answers a bad key, with
 * the TSIG error named where the server gives one, and changes nothing.
 */
static void
bad_key_case(int _i, const struct tsig_key *k, const char *tsig_error,
    const char *secret)
{
	struct dns_server sv;
	struct dns_conf c = unit_dns_conf(&sv, PORT, k, 3000);
	struct du_report r;

	ck_assert_int_eq(set_addrs(&c, "www.example.test", "198.51.100.66",
	    "", false, &r), bad_key[_i]);
	if (_i < 2)
		ck_assert_msg(strstr(r.msg, tsig_error) != NULL, "%s", r.msg);
	ck_assert_msg(strstr(r.msg, secret) == NULL, "secret in %s", r.msg);
	ck_assert_msg(strstr(r.msg, k->secret) == NULL, "secret in %s",
	    r.msg);
	ASSERT_DIG(PORT, "www.example.test", "A", "198.51.100.20\n");
}

START_TEST(test_wrong_secret)
{
	struct keyfile *kf = fx_key();
	struct tsig_key k = kf->keys[0];

	k.secret = (char *)"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
	bad_key_case(_i, &k, "BADSIG", kf->keys[0].secret);
	keyfile_free(kf);
}
END_TEST

START_TEST(test_unknown_key)
{
	struct keyfile *kf = fx_key();
	struct tsig_key k = kf->keys[0];

	k.name = (char *)"nosuch-key";
	bad_key_case(_i, &k, "BADKEY", kf->keys[0].secret);
	keyfile_free(kf);
}
END_TEST

START_TEST(test_zone_not_served)
{
	static const char *const v[] = { "198.51.100.68" };
	const struct du_rrset set = { DU_TYPE_A, v, 1 };
	const struct du_change ch = { "www.nosuch.test", 60, NULL, 0, &set, 1 };
	struct keyfile *kf = fx_key();
	struct dns_server sv;
	struct dns_conf c = unit_dns_conf(&sv, PORT, &kf->keys[0], 3000);
	struct du_report r;
	enum du_outcome o;

	dnsupdate_apply(&c, "nosuch.test", &ch, 1, &o, &r);
	ck_assert_msg(o == DU_NOT_PERMITTED, "%s: %s", servers[_i], r.msg);
	ck_assert_msg(strstr(r.msg, "NOTAUTH") != NULL, "%s", r.msg);
	keyfile_free(kf);
}
END_TEST

START_TEST(test_unsigned_refused)
{
	struct dns_server sv;
	struct dns_conf c = unit_dns_conf(&sv, PORT, NULL, 3000);
	struct du_report r;

	ck_assert_int_eq(set_addrs(&c, "www.example.test", "198.51.100.69",
	    "", false, &r), DU_NOT_PERMITTED);
	ASSERT_DIG(PORT, "www.example.test", "A", "198.51.100.20\n");
}
END_TEST

/* The first server is down: the second takes the update. */
START_TEST(test_server_stopped)
{
	struct keyfile *kf = fx_key();
	struct dns_server sv[2];
	struct dns_conf c = unit_dns_conf(&sv[1], PORT, &kf->keys[0], 3000);
	struct du_report r;

	sv[0] = sv[1];
	sv[0].port = (uint16_t)(base_port + 9);	/* nothing listens */
	c.servers = sv;
	c.nservers = 1;		/* refused at once: no timeout to wait for */
	ck_assert_int_eq(set_addrs(&c, "stop.example.test", "198.51.100.70",
	    "", true, &r), DU_UNREACHABLE);
	ck_assert_msg(strstr(r.msg, "unreachable") != NULL, "%s", r.msg);
	c.nservers = 2;
	ck_assert_int_eq(set_addrs(&c, "stop.example.test", "198.51.100.70",
	    "", true, &r), DU_APPLIED);
	ASSERT_DIG(PORT, "stop.example.test", "A", "198.51.100.70\n");
	keyfile_free(kf);
}
END_TEST

START_TEST(test_find_zone_and_read)
{
	const char *const names[] = { "www.example.test", "nx.example.test" };
	struct dns_server sv;
	struct dns_conf c = unit_dns_conf(&sv, PORT, NULL, 3000);
	char zone[256], err[256];
	struct addr *a[2];
	size_t n[2];

	ck_assert_int_eq(dnsquery_find_zone(&c, "www.example.test", zone,
	    sizeof(zone), err, sizeof(err)), DQ_ZONE_FOUND);
	ck_assert_str_eq(zone, "example.test");
	ck_assert_int_eq(dnsquery_find_zone(&c, "a.b.nothere.example.test",
	    zone, sizeof(zone), err, sizeof(err)), DQ_ZONE_FOUND);
	ck_assert_str_eq(zone, "example.test");
	ck_assert_int_eq(dnsquery_find_zone(&c, "www.elsewhere.invalid", zone,
	    sizeof(zone), err, sizeof(err)), DQ_ZONE_NONE);
	ck_assert_int_eq(dnsquery_read_addrs(&c, names, 2, a, n, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(n[0], 1);
	ck_assert_str_eq(a[0][0].text, "192.0.2.10");
	ck_assert_uint_eq(n[1], 0);
	free(a[0]);
	free(a[1]);
}
END_TEST

/*
 * The first server's answer cannot be verified (an unsigned REFUSED,
 * over TCP and UDP): it must not end the round, the second takes it.
 */
START_TEST(test_unverified_refusal_moves_on)
{
	struct keyfile *kf = fx_key();
	struct dns_server sv[2];
	struct dns_conf c = unit_dns_conf(&sv[1], PORT, &kf->keys[0], 3000);
	struct du_report r;
	struct fake f;
	enum du_outcome o;

	fake_start(&f, FAKE_REFUSED, &sv[0]);
	c.servers = sv;
	c.nservers = 2;
	o = set_addrs(&c, "unsig1.example.test", "198.51.100.71", "", true, &r);
	ck_assert_msg(o == DU_APPLIED, "%s: %s", servers[_i], r.msg);
	c.transport = DNS_UDP;
	o = set_addrs(&c, "unsig2.example.test", "198.51.100.72", "", true, &r);
	ck_assert_msg(o == DU_APPLIED, "%s: %s", servers[_i], r.msg);
	fake_stop(&f);
	ck_assert_uint_eq(f.nmsgs, 2);
	ASSERT_DIG(PORT, "unsig1.example.test", "A", "198.51.100.71\n");
	ASSERT_DIG(PORT, "unsig2.example.test", "A", "198.51.100.72\n");
	keyfile_free(kf);
}
END_TEST

/* A real BIND that does not know our secret (BADSIG) comes first. */
START_TEST(test_badsig_moves_on)
{
	struct keyfile *kf = fx_key();
	struct dns_server sv[2];
	struct dns_conf c = unit_dns_conf(&sv[1], PORT, &kf->keys[0], 3000);
	struct du_report r;
	enum du_outcome o;

	sv[0] = sv[1];
	sv[0].port = (uint16_t)other_port;
	c.servers = sv;
	c.nservers = 2;
	o = set_addrs(&c, "badsig.example.test", "198.51.100.73", "", true, &r);
	ck_assert_msg(o == DU_APPLIED, "%s: %s", servers[_i], r.msg);
	ASSERT_DIG(PORT, "badsig.example.test", "A", "198.51.100.73\n");
	ASSERT_DIG(other_port, "badsig.example.test", "A", "");
	keyfile_free(kf);
}
END_TEST

/*
 * No server gives an answer that decides: the outcome is the first
 * answer's, and the message names every server and what it said.
 */
START_TEST(test_no_server_decides)
{
	struct keyfile *kf = fx_key();
	struct dns_server sv[3];
	struct dns_conf c = unit_dns_conf(&sv[1], base_port, &kf->keys[0],
	    3000);
	struct du_report r;
	struct fake f;
	char want[320];

	fake_start(&f, FAKE_REFUSED, &sv[0]);
	sv[1].port = (uint16_t)other_port;
	sv[2] = sv[1];
	sv[2].port = (uint16_t)(base_port + 9);		/* nothing there */
	c.servers = sv;
	c.nservers = 3;
	ck_assert_int_eq(set_addrs(&c, "www.example.test", "198.51.100.74",
	    "", false, &r), DU_NOT_PERMITTED);
	fake_stop(&f);
	snprintf(want, sizeof(want), "server %s:%u, zone example.test: "
	    "REFUSED, reply not signed; server 127.0.0.1:%d: NOTAUTH, TSIG "
	    "error BADSIG; server 127.0.0.1:%d: unreachable over TCP "
	    "(connect)", FAKE_ADDR, sv[0].port, other_port, base_port + 9);
	ck_assert_str_eq(r.msg, want);
	ck_assert_int_eq(r.outcome, DU_NOT_PERMITTED);
	keyfile_free(kf);
}
END_TEST

/*
 * A TCP reply with another message ID is reported as what it is, at
 * once (not as no answer when the timeout is over), and the next
 * server is tried.
 */
START_TEST(test_tcp_wrong_id)
{
	struct keyfile *kf = fx_key();
	struct dns_server sv[2];
	struct dns_conf c = unit_dns_conf(&sv[1], base_port, &kf->keys[0],
	    3000);
	struct du_report r;
	struct fake f;
	char want[320];
	uint64_t t0;

	fake_start(&f, FAKE_WRONG_ID, &sv[0]);
	c.servers = sv;
	c.nservers = 1;
	t0 = mono_ms();
	ck_assert_int_eq(set_addrs(&c, "www.example.test", "198.51.100.75",
	    "", false, &r), DU_OTHER);
	ck_assert_uint_lt(mono_ms() - t0, c.timeout_ms / 2);
	snprintf(want, sizeof(want), "server %s:%u, zone example.test: reply "
	    "with wrong message id %u (sent %u) over TCP", FAKE_ADDR,
	    sv[0].port, f.sent_id, f.got_id);
	ck_assert_str_eq(r.msg, want);
	c.nservers = 2;
	ck_assert_int_eq(set_addrs(&c, "wrongid.example.test", "198.51.100.76",
	    "", true, &r), DU_APPLIED);
	fake_stop(&f);
	ck_assert_uint_eq(f.nmsgs, 2);
	ck_assert_uint_ne(f.got_id, f.sent_id);
	ASSERT_DIG(base_port, "wrongid.example.test", "A", "198.51.100.76\n");
	keyfile_free(kf);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("dnsupdate");
	TCase *wire = tcase_create("wire"), *io = tcase_create("interop");
	int nsrv = (int)(sizeof(servers) / sizeof(servers[0]));

	tcase_add_test(wire, test_build_matches_vector);
	tcase_add_test(wire, test_reply_checks);
	tcase_add_test(wire, test_addrs_change);
	tcase_add_test(wire, test_noop_delete_skipped);
	suite_add_tcase(s, wire);
	tcase_add_unchecked_fixture(io, fx_start, fx_stop);
	tcase_set_timeout(io, 30);
	tcase_add_loop_test(io, test_find_zone_and_read, 0, nsrv);
	tcase_add_loop_test(io, test_replace_a, 0, nsrv);
	tcase_add_loop_test(io, test_replace_a_aaaa_then_drop_aaaa, 0, nsrv);
	tcase_add_loop_test(io, test_prerequisite_not_met, 0, nsrv);
	tcase_add_loop_test(io, test_two_records_one_message, 0, nsrv);
	tcase_add_loop_test(io, test_thousand_records, 0, nsrv);
	tcase_add_loop_test(io, test_udp, 0, nsrv);
	tcase_add_loop_test(io, test_wrong_secret, 0, nsrv);
	tcase_add_loop_test(io, test_unknown_key, 0, nsrv);
	tcase_add_loop_test(io, test_zone_not_served, 0, nsrv);
	tcase_add_loop_test(io, test_unsigned_refused, 0, nsrv);
	tcase_add_loop_test(io, test_server_stopped, 0, nsrv);
	tcase_add_loop_test(io, test_unverified_refusal_moves_on, 0, nsrv);
	tcase_add_loop_test(io, test_badsig_moves_on, 0, nsrv);
	tcase_add_test(io, test_no_server_decides);
	tcase_add_test(io, test_tcp_wrong_id);
	suite_add_tcase(s, io);
	return unit_run(s);
}
