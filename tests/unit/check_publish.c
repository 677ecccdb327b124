/*
 * check_publish.c: the publisher seam, RFC 2136 behind it, against a
 * real BIND (tests/fixture/dns.sh) on 127.0.0.1: every outcome in the
 * program's words, read back with dig and with publish_read().  Records
 * changed "behind our back" are changed with nsupdate.  Each test uses
 * its own names, so the order of the tests does not matter.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keyfile.h"
#include "publish.h"
#include "unit.h"
#include "util.h"

static char fxdir[64];
static int port;		/* BIND; port + 9: nothing listens */

static void
fx_start(void)
{
	char *cmd;

	str_copy(fxdir, "/tmp/dnsfailover-pub.XXXXXX", sizeof(fxdir));
	ck_assert_ptr_nonnull(mkdtemp(fxdir));
	/* above check_dnsupdate's ports (20000-31999), below the
	 * ephemeral range */
	port = unit_free_port(32000 + (int)(getpid() % 60) * 10, 10);
	cmd = xasprintf("sh tests/fixture/dns.sh start %s %d bind", fxdir,
	    port);
	if (system(cmd) != 0) {
		fprintf(stderr, "cannot start BIND\n");
		abort();
	}
	free(cmd);
}

static void
fx_stop(void)
{
	char *cmd = xasprintf("sh tests/fixture/dns.sh stop %s; rm -rf %s",
	    fxdir, fxdir);

	if (system(cmd) != 0)
		fprintf(stderr, "cannot stop BIND\n");
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

/* "a b c" into a[]; returns the count. */
static size_t
addrs(const char *list, struct addr *a)
{
	char buf[256], *tok, *save, err[PARSE_ERRLEN];
	size_t n = 0;

	str_copy(buf, list, sizeof(buf));
	for (tok = strtok_r(buf, " ", &save); tok != NULL;
	    tok = strtok_r(NULL, " ", &save))
		ck_assert_int_eq(addr_parse(tok, &a[n++], err, sizeof(err)), 0);
	return n;
}

/* One request for one name; expect NULL: no compare-and-swap. */
struct one {
	struct publish_req	 r;
	const char		*name;
	struct addr		 want[8], expect[8];
};

static void
one_init(struct one *o, const struct dns_conf *c, const char *name,
    const char *want, const char *expect)
{
	size_t nw;

	memset(o, 0, sizeof(*o));
	o->name = name;
	nw = addrs(want, o->want);
	publish_req_init(&o->r, c, &o->name, 1, NULL, 60, o->want, nw);
	if (expect != NULL) {
		o->r.cas = true;
		o->r.expect = o->expect;
		o->r.nexpect = addrs(expect, o->expect);
	}
}

static void
run1(struct one *o)
{
	struct publish_req *p = &o->r;

	publish_run(&p, 1);
}

#define ASSERT_DIG(name, type, want) do { \
	char *got_ = unit_dig(port, name, type); \
	ck_assert_msg(strcmp(got_, want) == 0, "%s %s: dig says \"%s\", " \
	    "wanted \"%s\"", name, type, got_, want); \
	free(got_); } while (0)

/* The zone's SOA serial, as dig sees it. */
static unsigned long
serial(void)
{
	char *s = unit_dig(port, "example.test", "SOA"), *f;
	unsigned long v;

	/* "ns1.example.test. hostmaster.example.test. 1 60 60 3600 60" */
	f = strchr(s, ' ');
	ck_assert_ptr_nonnull(f);
	f = strchr(f + 1, ' ');
	ck_assert_ptr_nonnull(f);
	v = strtoul(f + 1, NULL, 10);
	free(s);
	return v;
}

/* Someone else: nsupdate replaces name's A RRset with addr. */
static void
behind_our_back(const char *name, const char *addr)
{
	char *cmd = xasprintf("printf 'server 127.0.0.1 %d\\nzone "
	    "example.test\\nupdate delete %s A\\nupdate add %s 60 A %s\\n"
	    "send\\n' | nsupdate -k %s/key", port, name, name, addr, fxdir);

	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
}

#define ASSERT_OUTCOME(req, want) ck_assert_msg((req).outcome == (want), \
	"%s: %s (%s), wanted %s", (req).names[0], \
	publish_outcome_str((req).outcome), (req).why, \
	publish_outcome_str(want))

/* The swap goes in; one call for two requests of one zone. */
START_TEST(test_applied)
{
	static const char *const two[] = { "two1.example.test",
	    "two2.example.test" };
	struct keyfile *kf = fx_key();
	struct dns_server sv;
	struct dns_conf c = unit_dns_conf(&sv, port, &kf->keys[0], 2000);
	struct one a, b;
	struct publish_req *reqs[2] = { &a.r, &b.r };

	one_init(&a, &c, "www.example.test", "198.51.100.20 2001:db8::20",
	    "192.0.2.10");
	one_init(&b, &c, "two1.example.test", "198.51.100.21", NULL);
	b.r.names = two;	/* one site, two record names */
	b.r.nnames = 2;
	b.r.zone = "example.test";
	publish_run(reqs, 2);
	ASSERT_OUTCOME(a.r, PUBLISH_APPLIED);
	ASSERT_OUTCOME(b.r, PUBLISH_APPLIED);
	ck_assert_str_eq(a.r.zone_found, "example.test");
	ck_assert_str_eq(a.r.why, "");
	ck_assert_ptr_null(a.r.plan);
	ASSERT_DIG("www.example.test", "A", "198.51.100.20\n");
	ASSERT_DIG("www.example.test", "AAAA", "2001:db8::20\n");
	ASSERT_DIG("two1.example.test", "A", "198.51.100.21\n");
	ASSERT_DIG("two2.example.test", "A", "198.51.100.21\n");
	publish_req_clear(&a.r);
	publish_req_clear(&b.r);
	keyfile_free(kf);
}
END_TEST

/*
 * An earlier update went in but its confirmation was lost: the retry
 * expects the old set, its swap is refused, and the re-read finds want
 * served.  Nothing changes on the server.
 */
START_TEST(test_already)
{
	struct keyfile *kf = fx_key();
	struct dns_server sv;
	struct dns_conf c = unit_dns_conf(&sv, port, &kf->keys[0], 2000);
	struct one o;
	unsigned long s0;

	one_init(&o, &c, "again.example.test", "198.51.100.30", "");
	run1(&o);
	ASSERT_OUTCOME(o.r, PUBLISH_APPLIED);
	s0 = serial();
	one_init(&o, &c, "again.example.test", "198.51.100.30",
	    "192.0.2.30");
	run1(&o);
	ASSERT_OUTCOME(o.r, PUBLISH_ALREADY);
	ck_assert_msg(strstr(o.r.why, "NXRRSET") != NULL, "%s", o.r.why);
	ck_assert_uint_eq(serial(), s0);
	ASSERT_DIG("again.example.test", "A", "198.51.100.30\n");
	keyfile_free(kf);
}
END_TEST

/*
 * Three sites of one zone go in one message; someone changed one of
 * them by hand: its swap is refused (CHANGED), and the other two still
 * go in, each tried again alone.
 */
START_TEST(test_changed_batch)
{
	static const char *const names[] = { "cas1.example.test",
	    "cas2.example.test", "cas3.example.test" };
	static const char *const first[] = { "198.51.100.41",
	    "198.51.100.42", "198.51.100.43" };
	static const char *const next[] = { "203.0.113.41", "203.0.113.42",
	    "203.0.113.43" };
	struct keyfile *kf = fx_key();
	struct dns_server sv;
	struct dns_conf c = unit_dns_conf(&sv, port, &kf->keys[0], 2000);
	struct one o[3];
	struct publish_req *reqs[3] = { &o[0].r, &o[1].r, &o[2].r };
	size_t i;

	for (i = 0; i < 3; i++)
		one_init(&o[i], &c, names[i], first[i], "");
	publish_run(reqs, 3);
	for (i = 0; i < 3; i++)
		ASSERT_OUTCOME(o[i].r, PUBLISH_APPLIED);
	behind_our_back("cas2.example.test", "192.0.2.99");
	for (i = 0; i < 3; i++)
		one_init(&o[i], &c, names[i], next[i], first[i]);
	publish_run(reqs, 3);
	ASSERT_OUTCOME(o[0].r, PUBLISH_APPLIED);
	ASSERT_OUTCOME(o[1].r, PUBLISH_CHANGED);
	ASSERT_OUTCOME(o[2].r, PUBLISH_APPLIED);
	ck_assert_msg(strstr(o[1].r.why, "NXRRSET") != NULL, "%s",
	    o[1].r.why);
	ck_assert_msg(strstr(o[1].r.why, "zone example.test") != NULL, "%s",
	    o[1].r.why);
	ASSERT_DIG("cas1.example.test", "A", "203.0.113.41\n");
	ASSERT_DIG("cas2.example.test", "A", "192.0.2.99\n");
	ASSERT_DIG("cas3.example.test", "A", "203.0.113.43\n");
	keyfile_free(kf);
}
END_TEST

/* A server that says no, and a zone no server serves. */
START_TEST(test_refused)
{
	struct keyfile *kf = fx_key();
	struct tsig_key unknown = kf->keys[0];
	struct dns_server sv;
	struct dns_conf c = unit_dns_conf(&sv, port, &unknown, 2000);
	struct one o;

	unknown.name = (char *)"nosuch-key";
	one_init(&o, &c, "api.example.test", "198.51.100.50", NULL);
	run1(&o);
	ASSERT_OUTCOME(o.r, PUBLISH_REFUSED);
	ck_assert_msg(strstr(o.r.why, "BADKEY") != NULL, "%s", o.r.why);
	ck_assert_msg(strstr(o.r.why, kf->keys[0].secret) == NULL, "%s",
	    o.r.why);
	c.key = NULL;		/* the zone's policy wants a key */
	run1(&o);
	ASSERT_OUTCOME(o.r, PUBLISH_REFUSED);
	ck_assert_msg(strstr(o.r.why, "REFUSED") != NULL, "%s", o.r.why);
	c.key = &kf->keys[0];
	one_init(&o, &c, "www.nosuch.test", "198.51.100.51", NULL);
	o.r.zone = "nosuch.test";	/* configured, but not served */
	run1(&o);
	ASSERT_OUTCOME(o.r, PUBLISH_REFUSED);
	ck_assert_msg(strstr(o.r.why, "NOTAUTH") != NULL, "%s", o.r.why);
	o.r.zone = NULL;		/* looked for: no zone above it */
	run1(&o);
	ASSERT_OUTCOME(o.r, PUBLISH_REFUSED);
	ck_assert_str_eq(o.r.why, "no server of www.nosuch.test is "
	    "authoritative for a zone above it");
	ck_assert_str_eq(o.r.zone_found, "");
	ASSERT_DIG("api.example.test", "A", "192.0.2.11\n");
	keyfile_free(kf);
}
END_TEST

/*
 * Nothing listens: no answer, for the zone query and for the update.
 * In the same call, requests with other DNS settings still go in.
 */
START_TEST(test_no_answer)
{
	struct keyfile *kf = fx_key();
	struct dns_server sv, dead;
	struct dns_conf c = unit_dns_conf(&sv, port, &kf->keys[0], 2000);
	struct dns_conf d = unit_dns_conf(&dead, port + 9, &kf->keys[0], 2000);
	struct one a, b, live;
	struct publish_req *reqs[3] = { &a.r, &live.r, &b.r };
	char want[320];

	d.timeout_ms = 300;
	d.transport = DNS_UDP;
	one_init(&a, &d, "noans1.example.test", "198.51.100.60", "");
	one_init(&b, &d, "noans2.example.test", "198.51.100.61", "");
	b.r.zone = "example.test";
	one_init(&live, &c, "noans3.example.test", "198.51.100.62", "");
	publish_run(reqs, 3);
	ASSERT_OUTCOME(a.r, PUBLISH_NO_ANSWER);
	ASSERT_OUTCOME(b.r, PUBLISH_NO_ANSWER);
	ASSERT_OUTCOME(live.r, PUBLISH_APPLIED);
	snprintf(want, sizeof(want), "no server answered the zone query for "
	    "noans1.example.test (server 127.0.0.1:%d: unreachable over UDP)",
	    port + 9);
	ck_assert_str_eq(a.r.why, want);
	ck_assert_msg(strstr(b.r.why, "unreachable") != NULL, "%s", b.r.why);
	ASSERT_DIG("noans2.example.test", "A", "");
	ASSERT_DIG("noans3.example.test", "A", "198.51.100.62\n");
	keyfile_free(kf);
}
END_TEST

/* A dry run sends nothing and says exactly what it would send. */
START_TEST(test_dry_run)
{
	struct keyfile *kf = fx_key();
	struct dns_server sv;
	struct dns_conf c = unit_dns_conf(&sv, port, &kf->keys[0], 2000);
	struct one a, b;
	struct publish_req *reqs[2] = { &a.r, &b.r };
	unsigned long s0 = serial();

	one_init(&a, &c, "api.example.test", "198.51.100.7 2001:db8::7",
	    "192.0.2.11");
	one_init(&b, &c, "dry2.example.test", "198.51.100.8", NULL);
	a.r.dry_run = b.r.dry_run = true;
	publish_run(reqs, 2);
	ASSERT_OUTCOME(a.r, PUBLISH_PLANNED);
	ASSERT_OUTCOME(b.r, PUBLISH_PLANNED);
	ck_assert_str_eq(a.r.zone_found, "example.test");
	ck_assert_str_eq(a.r.plan, "  api.example.test: require A = "
	    "192.0.2.11; require AAAA absent; set A 198.51.100.7 (ttl 60); "
	    "set AAAA 2001:db8::7 (ttl 60);\n");
	ck_assert_str_eq(b.r.plan, "  dry2.example.test: set A 198.51.100.8 "
	    "(ttl 60); delete AAAA;\n");
	ck_assert_uint_eq(serial(), s0);
	ASSERT_DIG("api.example.test", "A", "192.0.2.11\n");
	ASSERT_DIG("dry2.example.test", "A", "");
	publish_req_clear(&a.r);
	publish_req_clear(&b.r);
	ck_assert_ptr_null(a.r.plan);
	keyfile_free(kf);
}
END_TEST

/* What names serve: none is not an error; no answer is. */
START_TEST(test_read)
{
	static const char *const names[] = { "api.example.test",
	    "nx.example.test", "ns1.example.test" };
	struct dns_server sv, dead;
	struct dns_conf c = unit_dns_conf(&sv, port, NULL, 2000);
	struct dns_conf d = unit_dns_conf(&dead, port + 9, NULL, 2000);
	struct addr *a[3];
	size_t n[3];
	char err[256] = "";

	ck_assert_int_eq(publish_read(&c, names, 3, a, n, err, sizeof(err)),
	    0);
	ck_assert_uint_eq(n[0], 1);
	ck_assert_str_eq(a[0][0].text, "192.0.2.11");
	ck_assert_uint_eq(n[1], 0);
	ck_assert_ptr_null(a[1]);
	ck_assert_uint_eq(n[2], 1);
	ck_assert_str_eq(a[2][0].text, "127.0.0.1");
	free(a[0]);
	free(a[2]);
	d.timeout_ms = 300;
	ck_assert_int_eq(publish_read(&d, names, 3, a, n, err, sizeof(err)),
	    -1);
	ck_assert_str_eq(err, "no server answered for all of 3 names");
	ck_assert_ptr_null(a[0]);
	ck_assert_str_eq(publisher_of(&c)->name, "rfc2136");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("publish");
	TCase *io = tcase_create("bind");

	tcase_add_unchecked_fixture(io, fx_start, fx_stop);
	tcase_set_timeout(io, 30);
	tcase_add_test(io, test_applied);
	tcase_add_test(io, test_already);
	tcase_add_test(io, test_changed_batch);
	tcase_add_test(io, test_refused);
	tcase_add_test(io, test_no_answer);
	tcase_add_test(io, test_dry_run);
	tcase_add_test(io, test_read);
	suite_add_tcase(s, io);
	return unit_run(s);
}
