/*
 * check_vote.c: the votes zone's names and TXT forms (vote.h): site
 * labels against an independent computation, names at the length limit,
 * owners read back, each form's round trip and each parse error, and
 * presentation form that ldns reads back to the same strings.
 */
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "unit.h"
#include "util.h"
#include "vote.h"

/* NULL-terminated strings as one RR. */
static void
txt_of(struct vote_txt *t, const char *const *s)
{
	memset(t, 0, sizeof(*t));
	for (; *s != NULL; s++)
		vote_txt_add(t, *s, strlen(*s));
}

static void
txt_fits(const struct vote_txt *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		ck_assert_uint_le(strlen(t->s[i]), 255);
}

/* Expected: python3 -c 'import hashlib, base64; print(base64.
 * b32hexencode(hashlib.sha256(b"www.example.com").digest()[:10])
 * .decode().lower())' */
START_TEST(test_label)
{
	char h[VOTE_LABEL_LEN + 1], name[300];

	vote_site_label("www.example.com", h);
	ck_assert_str_eq(h, "g3u0ve96dmrrgfs5");
	vote_site_label("WWW.Example.COM.", h);
	ck_assert_str_eq(h, "g3u0ve96dmrrgfs5");
	vote_site_label("site1.example.com", h);
	ck_assert_str_eq(h, "r5iibbd6rqb6je5t");
	vote_site_label("a", h);
	ck_assert_str_eq(h, "pabo24ma3euslum2");
	memset(name, 'x', 63);
	name[63] = '.';
	memset(name + 64, 'y', 63);
	name[127] = '.';
	memset(name + 128, 'z', 63);
	name[191] = '.';
	memset(name + 192, 'w', 61);
	name[253] = '\0';
	vote_site_label(name, h);
	ck_assert_str_eq(h, "90imtophg6ia9bl3");
}
END_TEST

START_TEST(test_names)
{
	char buf[300], zone[300];

	ck_assert_int_eq(vote_name_beat("votes.example.com", "fra1", buf,
	    sizeof(buf)), 0);
	ck_assert_str_eq(buf, "fra1.votes.example.com");
	ck_assert_int_eq(vote_name_view("votes.example.com", "ams1",
	    "WWW.example.com.", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "g3u0ve96dmrrgfs5.ams1.votes.example.com");
	ck_assert_int_eq(vote_name_hold("votes.example.com",
	    "www.example.com", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "g3u0ve96dmrrgfs5._hold.votes.example.com");
	ck_assert_int_eq(vote_name_beat("Votes.Example.COM", "fra1", buf,
	    sizeof(buf)), 0);
	ck_assert_str_eq(buf, "fra1.votes.example.com");

	/* "a." + 251 octets: 253 in presentation form, 255 on the wire */
	memset(zone, 'z', 251);
	zone[63] = zone[127] = zone[191] = '.';
	zone[251] = '\0';
	ck_assert_int_eq(vote_name_beat(zone, "a", buf, sizeof(buf)), 0);
	ck_assert_uint_eq(strlen(buf), 253);
	ck_assert_int_eq(vote_name_beat(zone, "ab", buf, sizeof(buf)), -1);
	ck_assert_str_eq(buf, "");
	/* the view's two labels: 16 + 1 + 1 + 1 + zone */
	zone[234] = '\0';
	ck_assert_int_eq(vote_name_view(zone, "a", "s.example", buf,
	    sizeof(buf)), 0);
	ck_assert_uint_eq(strlen(buf), 253);
	ck_assert_int_eq(vote_name_view(zone, "ab", "s.example", buf,
	    sizeof(buf)), -1);
	zone[234] = 'z';
	/* the hold's: 16 + 1 + 5 + 1 + zone */
	zone[230] = '\0';
	ck_assert_int_eq(vote_name_hold(zone, "s.example", buf,
	    sizeof(buf)), 0);
	ck_assert_uint_eq(strlen(buf), 253);
	zone[230] = 'z';
	zone[231] = '\0';
	ck_assert_int_eq(vote_name_hold(zone, "s.example", buf,
	    sizeof(buf)), -1);
	/* and a buffer too small */
	ck_assert_int_eq(vote_name_beat("votes.example", "fra1", buf, 18),
	    -1);
	ck_assert_int_eq(vote_name_beat("votes.example", "fra1", buf, 19),
	    0);
}
END_TEST

static const struct kind_row {
	const char	*owner;
	enum vote_kind	 kind;
	const char	*id, *label;
} kind_rows[] = {
	{ "fra1.v.test", VOTE_BEAT, "fra1", "" },
	{ "a-b-9.v.test", VOTE_BEAT, "a-b-9", "" },
	{ "g3u0ve96dmrrgfs5.ams1.v.test", VOTE_VIEW, "ams1",
	  "g3u0ve96dmrrgfs5" },
	{ "g3u0ve96dmrrgfs5._hold.v.test", VOTE_HOLD, "", "g3u0ve96dmrrgfs5" },
	{ "0123456789abcdef._hold.v.test", VOTE_HOLD, "", "0123456789abcdef" },
	{ "ghijklmnopqrstuv.x.v.test", VOTE_VIEW, "x", "ghijklmnopqrstuv" },
	{ "v.test", VOTE_OTHER, "", "" },		/* the apex */
	{ "test", VOTE_OTHER, "", "" },
	{ "fra1.w.test", VOTE_OTHER, "", "" },		/* another zone */
	{ "fra1.xv.test", VOTE_OTHER, "", "" },
	{ "_hold.v.test", VOTE_OTHER, "", "" },		/* not an id */
	{ "-fra.v.test", VOTE_OTHER, "", "" },
	{ "fra-.v.test", VOTE_OTHER, "", "" },
	{ "fr_a.v.test", VOTE_OTHER, "", "" },
	{ "FRA1.v.test", VOTE_OTHER, "", "" },
	{ "g3u0ve96dmrrgfsw.ams1.v.test", VOTE_OTHER, "", "" },	/* w */
	{ "g3u0ve96dmrrgfs.ams1.v.test", VOTE_OTHER, "", "" },	/* 15 */
	{ "g3u0ve96dmrrgfs55.ams1.v.test", VOTE_OTHER, "", "" },	/* 17 */
	{ "G3U0VE96DMRRGFS5.ams1.v.test", VOTE_OTHER, "", "" },
	{ "g3u0ve96dmrrgfs5.-x.v.test", VOTE_OTHER, "", "" },
	{ "g3u0ve96dmrrgfs5.a.b.v.test", VOTE_OTHER, "", "" },
	{ "x.g3u0ve96dmrrgfs5.ams1.v.test", VOTE_OTHER, "", "" },
	{ "g3u0ve96dmrrgfs5..v.test", VOTE_OTHER, "", "" },
	{ ".v.test", VOTE_OTHER, "", "" },
	{ "fra1.v.test.", VOTE_OTHER, "", "" },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.v.test",
	  VOTE_BEAT, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	  "" },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.v.test",
	  VOTE_OTHER, "", "" },				/* 64 */
};

START_TEST(test_kind)
{
	const struct kind_row *r = &kind_rows[_i];
	char id[VOTE_ID_MAX + 1], label[VOTE_LABEL_LEN + 1];

	ck_assert_msg(vote_name_kind("v.test", r->owner, id, label) ==
	    r->kind, "%s", r->owner);
	ck_assert_str_eq(id, r->id);
	ck_assert_str_eq(label, r->label);
}
END_TEST

/* What the names build, read back. */
START_TEST(test_kind_of_names)
{
	char buf[300], id[VOTE_ID_MAX + 1], label[VOTE_LABEL_LEN + 1],
	    h[VOTE_LABEL_LEN + 1];

	vote_site_label("shop.example.org", h);
	vote_name_view("votes.example", "ams-1", "shop.example.org", buf,
	    sizeof(buf));
	ck_assert_int_eq(vote_name_kind("votes.example", buf, id, label),
	    VOTE_VIEW);
	ck_assert_str_eq(id, "ams-1");
	ck_assert_str_eq(label, h);
	vote_name_hold("votes.example", "shop.example.org", buf, sizeof(buf));
	ck_assert_int_eq(vote_name_kind("votes.example", buf, id, label),
	    VOTE_HOLD);
	ck_assert_str_eq(label, h);
	vote_name_beat("votes.example", "ams-1", buf, sizeof(buf));
	ck_assert_int_eq(vote_name_kind("votes.example", buf, id, label),
	    VOTE_BEAT);
	ck_assert_str_eq(id, "ams-1");
}
END_TEST

START_TEST(test_beat_round_trip)
{
	struct vote_beat a = { 18446744073709551615ULL, 1764662400, 10 }, b;
	struct vote_txt t = { 0 };
	char err[PARSE_ERRLEN];

	vote_beat_txt(&a, &t);
	ck_assert_uint_eq(t.n, 4);
	ck_assert_str_eq(t.s[0], "v=1");
	ck_assert_str_eq(t.s[1], "beat=18446744073709551615");
	ck_assert_str_eq(t.s[2], "at=2025-12-02T08:00:00Z");
	ck_assert_str_eq(t.s[3], "every=10");
	ck_assert_int_eq(vote_beat_parse(&t, &b, err, sizeof(err)), 0);
	ck_assert_uint_eq(b.beat, a.beat);
	ck_assert_int_eq(b.at, a.at);
	ck_assert_uint_eq(b.every, a.every);
	/* cleared first */
	a.beat = 1;
	vote_beat_txt(&a, &t);
	ck_assert_uint_eq(t.n, 4);
	ck_assert_str_eq(t.s[1], "beat=1");
	vote_txt_clear(&t);
}
END_TEST

static void
addrs(struct vote_view *v, size_t n)
{
	char err[PARSE_ERRLEN], a[64];
	size_t i;

	v->set = xcalloc(n, sizeof(*v->set));
	v->nset = n;
	for (i = 0; i < n; i++) {
		if (i % 2)
			snprintf(a, sizeof(a), "2001:db8:1234:5678:9abc:def0:"
			    "%zx:1", i);
		else
			snprintf(a, sizeof(a), "198.51.%zu.%zu", i / 250,
			    i % 250 + 1);
		ck_assert_int_eq(addr_parse(a, &v->set[i], err, sizeof(err)),
		    0);
	}
}

static void
view_same(const struct vote_view *a, const struct vote_view *b)
{
	size_t i;

	ck_assert_str_eq(a->site, b->site);
	ck_assert_int_eq(a->want, b->want);
	ck_assert_uint_eq(a->nset, b->nset);
	for (i = 0; i < a->nset; i++)
		ck_assert_str_eq(a->set[i].text, b->set[i].text);
	ck_assert_str_eq(a->why, b->why);
}

START_TEST(test_view_round_trip)
{
	struct vote_view a, b;
	struct vote_txt t = { 0 };
	char err[PARSE_ERRLEN];

	memset(&a, 0, sizeof(a));
	str_copy(a.site, "www.example.com", sizeof(a.site));
	a.want = VOTE_WANT_FAILOVER;
	addrs(&a, 2);
	str_copy(a.why, "primary 192.0.2.10 down (3/3 failed)",
	    sizeof(a.why));
	vote_view_txt(&a, &t);
	ck_assert_uint_eq(t.n, 5);
	ck_assert_str_eq(t.s[1], "site=www.example.com");
	ck_assert_str_eq(t.s[2], "want=failover");
	ck_assert_str_eq(t.s[3], "set=198.51.0.1,2001:db8:1234:5678:9abc:"
	    "def0:1:1");
	ck_assert_str_eq(t.s[4], "why=primary 192.0.2.10 down (3/3 failed)");
	ck_assert_int_eq(vote_view_parse(&t, &b, err, sizeof(err)), 0);
	view_same(&a, &b);
	vote_view_clear(&b);

	/* no addresses, want none */
	vote_view_clear(&a);
	str_copy(a.site, "x.example", sizeof(a.site));
	vote_view_txt(&a, &t);
	ck_assert_str_eq(t.s[2], "want=none");
	ck_assert_str_eq(t.s[3], "set=");
	ck_assert_int_eq(vote_view_parse(&t, &b, err, sizeof(err)), 0);
	view_same(&a, &b);
	ck_assert_ptr_null(b.set);
	vote_view_clear(&b);
	vote_txt_clear(&t);
}
END_TEST

/* Many addresses: "set=" in several strings, each at most 255 octets; a
 * site of 253 octets in two strings. */
START_TEST(test_view_long)
{
	struct vote_view a, b;
	struct vote_txt t = { 0 };
	char err[PARSE_ERRLEN];
	size_t i, nset = 0;

	memset(&a, 0, sizeof(a));
	memset(a.site, 'a', 253);
	a.site[63] = a.site[127] = a.site[191] = '.';
	a.want = VOTE_WANT_PRIMARY;
	addrs(&a, 60);
	vote_view_txt(&a, &t);
	txt_fits(&t);
	for (i = 0; i < t.n; i++)
		if (strncmp(t.s[i], "set=", 4) == 0)
			nset++;
	ck_assert_uint_ge(nset, 5);
	ck_assert_uint_eq(strlen(t.s[1]), 255);
	ck_assert_uint_eq(strlen(t.s[2]), 5 + 3);
	ck_assert_int_eq(strncmp(t.s[2], "site=", 5), 0);
	ck_assert_int_eq(vote_view_parse(&t, &b, err, sizeof(err)), 0);
	view_same(&a, &b);
	vote_view_clear(&a);
	vote_view_clear(&b);
	vote_txt_clear(&t);
}
END_TEST

/* why: cut at 160 octets, never inside a character; controls as '?'. */
START_TEST(test_why_cleaned)
{
	struct vote_view a, b;
	struct vote_txt t = { 0 };
	char err[PARSE_ERRLEN], want[VOTE_WHY_MAX + 1];
	size_t i;

	memset(&a, 0, sizeof(a));
	str_copy(a.site, "www.example.com", sizeof(a.site));
	str_copy(a.why, "a\tb\nc\x7f" "d\x1b[31m", sizeof(a.why));
	vote_view_txt(&a, &t);
	ck_assert_str_eq(t.s[4], "why=a?b?c?d?[31m");
	/* 159 octets and a two-octet character: the character goes */
	for (i = 0; i < 159; i++)
		a.why[i] = 'x';
	memcpy(a.why + 159, "\xc3\xa9", 3);	/* é, 161 octets */
	vote_view_txt(&a, &t);
	memset(want, 'x', 159);
	want[159] = '\0';
	ck_assert_str_eq(t.s[4] + 4, want);
	ck_assert_int_eq(vote_view_parse(&t, &b, err, sizeof(err)), 0);
	ck_assert_str_eq(b.why, want);
	vote_view_clear(&b);
	/* a reader cuts and cleans a long one too */
	vote_txt_clear(&t);
	{
		const char *s[] = { "v=1", "site=a.example", "want=none",
		    "set=", NULL };
		char why[300];

		txt_of(&t, s);
		memset(why, 'y', sizeof(why) - 1);
		why[sizeof(why) - 1] = '\0';
		memcpy(why, "why=\x01", 5);
		vote_txt_add(&t, why, strlen(why));
		ck_assert_int_eq(vote_view_parse(&t, &b, err, sizeof(err)), 0);
		ck_assert_uint_eq(strlen(b.why), VOTE_WHY_MAX);
		ck_assert_int_eq(b.why[0], '?');
		vote_view_clear(&b);
	}
	vote_txt_clear(&t);
}
END_TEST

START_TEST(test_hold_round_trip)
{
	struct vote_hold a, b;
	struct vote_txt t = { 0 };
	char err[PARSE_ERRLEN];

	memset(&a, 0, sizeof(a));
	str_copy(a.site, "Shop.Example.org.", sizeof(a.site));
	a.side = VOTE_WANT_FAILOVER;
	a.until = 1764666000;
	str_copy(a.by, "fra1", sizeof(a.by));
	str_copy(a.who, "alice", sizeof(a.who));
	str_copy(a.reason, "db migration: \"#42\" = done?", sizeof(a.reason));
	vote_hold_txt(&a, &t);
	ck_assert_uint_eq(t.n, 7);
	ck_assert_str_eq(t.s[2], "side=failover");
	ck_assert_str_eq(t.s[3], "until=1764666000");
	ck_assert_str_eq(t.s[4], "by=fra1");
	ck_assert_str_eq(t.s[5], "who=alice");
	ck_assert_int_eq(vote_hold_parse(&t, &b, err, sizeof(err)), 0);
	ck_assert_str_eq(b.site, "shop.example.org");	/* normalised */
	ck_assert_int_eq(b.side, a.side);
	ck_assert_int_eq(b.until, a.until);
	ck_assert_str_eq(b.by, a.by);
	ck_assert_str_eq(b.who, a.who);
	ck_assert_str_eq(b.reason, a.reason);
	a.side = VOTE_WANT_PRIMARY;
	a.until = 0;
	a.who[0] = a.reason[0] = '\0';
	vote_hold_txt(&a, &t);
	ck_assert_int_eq(vote_hold_parse(&t, &b, err, sizeof(err)), 0);
	ck_assert_int_eq(b.side, VOTE_WANT_PRIMARY);
	ck_assert_int_eq(b.until, 0);
	ck_assert_str_eq(b.who, "");
	vote_txt_clear(&t);
}
END_TEST

/* Unknown keys are a later writer's: ignored; order does not matter. */
START_TEST(test_unknown_keys)
{
	const char *beat[] = { "v=1", "new=x", "every=5", "beat=7",
	    "averyveryverylongkeyname=1", "=", NULL };
	const char *beat2[] = { "v=1", "zz=", "beat=7", NULL };
	struct vote_txt t;
	struct vote_beat b;
	char err[PARSE_ERRLEN];

	txt_of(&t, beat2);
	ck_assert_int_eq(vote_beat_parse(&t, &b, err, sizeof(err)), 0);
	ck_assert_uint_eq(b.beat, 7);
	ck_assert_int_eq(b.at, 0);
	vote_txt_clear(&t);
	txt_of(&t, beat);
	ck_assert_int_eq(vote_beat_parse(&t, &b, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "not key=value: \"=\"");
	vote_txt_clear(&t);
	beat[5] = NULL;
	txt_of(&t, beat);
	ck_assert_int_eq(vote_beat_parse(&t, &b, err, sizeof(err)), 0);
	ck_assert_uint_eq(b.beat, 7);
	ck_assert_uint_eq(b.every, 5);
	vote_txt_clear(&t);
}
END_TEST

enum form { BEAT, VIEW, HOLD };

static const struct err_row {
	enum form	 form;
	const char	*s[8];
	const char	*err;
} err_rows[] = {
	{ BEAT, { NULL }, "no v= first" },
	{ BEAT, { "beat=1", "v=1", NULL }, "no v= first" },
	{ BEAT, { "v=2", "beat=1", NULL }, "version 2" },
	{ BEAT, { "v=1.0", "beat=1", NULL }, "version 1.0" },
	{ BEAT, { "v=1", NULL }, "no beat=" },
	{ BEAT, { "v=1", "beat", NULL }, "not key=value: \"beat\"" },
	{ BEAT, { "v=1", "beat=-1", NULL },
	  "bad beat=: expected an integer, got \"-1\"" },
	{ BEAT, { "v=1", "beat=1", "beat=2", NULL }, "beat= twice" },
	{ BEAT, { "v=1", "beat=18446744073709551616", NULL },
	  "bad beat=: 18446744073709551616 is out of range "
	  "(0..18446744073709551615)" },
	{ BEAT, { "v=1", "beat=1", "at=2026-12-02 08:00:00Z", NULL },
	  "bad at=2026-12-02 08:00:00Z: not a time as 2026-12-02T08:00:00Z" },
	{ BEAT, { "v=1", "beat=1", "at=2026-02-30T08:00:00Z", NULL },
	  "bad at=2026-02-30T08:00:00Z: not a time as 2026-12-02T08:00:00Z" },
	{ BEAT, { "v=1", "beat=1", "at=2026-12-02T08:00:00Zx", NULL },
	  "bad at=2026-12-02T08:00:00Zx: not a time as 2026-12-02T08:00:00Z" },
	{ BEAT, { "v=1", "beat=1", "every=4294967296", NULL },
	  "bad every=: 4294967296 is out of range (0..4294967295)" },
	{ VIEW, { "v=1", "want=none", "set=", NULL }, "no site=" },
	{ VIEW, { "v=1", "site=a..b", "want=none", "set=", NULL },
	  "bad site=: invalid name \"a..b\": empty label" },
	{ VIEW, { "v=1", "site=a.test", "set=", NULL }, "no want=" },
	{ VIEW, { "v=1", "site=a.test", "want=none", NULL }, "no set=" },
	{ VIEW, { "v=1", "site=a.test", "want=up", "set=", NULL },
	  "bad want=up: not primary, failover or none" },
	{ VIEW, { "v=1", "site=a.test", "want=none", "want=none", "set=",
	  NULL }, "want= twice" },
	{ VIEW, { "v=1", "site=a.test", "want=none", "set=192.0.2.1,x",
	  NULL }, "bad address in set=: invalid IP address \"x\"" },
	{ VIEW, { "v=1", "site=a.test", "want=none", "set=192.0.2.1,",
	  NULL }, "an empty address in set=" },
	{ VIEW, { "v=1", "site=a.test", "want=none", "set=,192.0.2.1",
	  NULL }, "an empty address in set=" },
	{ VIEW, { "v=1", "site=a.test", "want=none", "set=224.0.0.1",
	  NULL }, "bad address in set=: 224.0.0.1 is a multicast or "
	  "broadcast address" },
	{ VIEW, { "v=1", "site=a.test", "want=none", "set=192.0.2.1,,x",
	  NULL }, "an empty address in set=" },
	{ VIEW, { "v=1", "site=a.test", "want=none", "set=", "why=a",
	  "why=b", NULL }, "why= twice" },
	{ HOLD, { "v=1", "side=primary", "until=0", "by=a", NULL },
	  "no site=" },
	{ HOLD, { "v=1", "site=a.test", "until=0", "by=a", NULL },
	  "no side=" },
	{ HOLD, { "v=1", "site=a.test", "side=none", "until=0", "by=a",
	  NULL }, "bad side=none: not primary or failover" },
	{ HOLD, { "v=1", "site=a.test", "side=primary", "by=a", NULL },
	  "no until=" },
	{ HOLD, { "v=1", "site=a.test", "side=primary", "until=0", NULL },
	  "no by=" },
	{ HOLD, { "v=1", "site=a.test", "side=primary", "until=1x",
	  "by=a", NULL }, "bad until=: expected an integer, got \"1x\"" },
	{ HOLD, { "v=1", "site=a\x01", "side=primary", "until=0", "by=a",
	  NULL }, "bad site=: invalid name \"a\\x01\": invalid character" },
	{ HOLD, { "v=1", "site=a.test", "side=primary", "until=0",
	  "by=_hold", NULL }, "bad by=_hold: not a monitor id" },
	{ HOLD, { "v=1", "site=a.test", "side=primary", "until=0",
	  "by=a", "who=x", "who=y", NULL }, "who= twice" },
	{ HOLD, { "v=1", "site=a.test", "side=primary", "until=0",
	  "by=a", "reason=x", "reason=y", NULL }, "reason= twice" },
	{ HOLD, { "v=2", NULL }, "version 2" },
};

START_TEST(test_parse_errors)
{
	const struct err_row *r = &err_rows[_i];
	struct vote_txt t;
	struct vote_beat b;
	struct vote_view v;
	struct vote_hold h;
	char err[PARSE_ERRLEN] = "";
	int rc = 0;

	txt_of(&t, r->s);
	switch (r->form) {
	case BEAT:
		rc = vote_beat_parse(&t, &b, err, sizeof(err));
		ck_assert_uint_eq(b.beat, 0);
		break;
	case VIEW:
		rc = vote_view_parse(&t, &v, err, sizeof(err));
		ck_assert_ptr_null(v.set);
		ck_assert_uint_eq(v.nset, 0);
		break;
	case HOLD:
		rc = vote_hold_parse(&t, &h, err, sizeof(err));
		break;
	}
	ck_assert_int_eq(rc, -1);
	if (r->err != NULL)
		ck_assert_str_eq(err, r->err);
	else
		ck_assert_str_ne(err, "");
	vote_txt_clear(&t);
}
END_TEST

/* A string holding a NUL octet: the RR is bad, for every form. */
START_TEST(test_nul_is_bad)
{
	struct vote_txt t = { 0 };
	struct vote_beat b;
	char err[PARSE_ERRLEN];

	vote_txt_add(&t, "v=1", 3);
	vote_txt_add(&t, "beat=1\0x", 8);
	ck_assert(t.bad);
	ck_assert_int_eq(vote_beat_parse(&t, &b, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "a string holds a NUL octet");
	vote_txt_clear(&t);
}
END_TEST

/* vote_txt_rdata as ldns reads it: the same octets, string by string. */
START_TEST(test_rdata_ldns)
{
	const char *s[] = { "v=1", "q=\"quoted\"", "b=back\\slash\\",
	    "u=\xc3\xa9\xff\x80", "c=\x01\t\x1f\x7f", "", "sp= a b ", NULL };
	struct vote_txt t;
	ldns_rr *rr = NULL;
	ldns_rdf *f;
	char *rdata, *line;
	size_t i;

	txt_of(&t, s);
	rdata = vote_txt_rdata(&t);
	line = xasprintf("x. 60 IN TXT %s", rdata);
	ck_assert_int_eq(ldns_rr_new_frm_str(&rr, line, 0, NULL, NULL),
	    LDNS_STATUS_OK);
	ck_assert_uint_eq(ldns_rr_rd_count(rr), t.n);
	for (i = 0; i < t.n; i++) {
		f = ldns_rr_rdf(rr, i);
		ck_assert_uint_eq(ldns_rdf_size(f), 1 + strlen(t.s[i]));
		ck_assert_uint_eq(ldns_rdf_data(f)[0], strlen(t.s[i]));
		ck_assert_mem_eq(ldns_rdf_data(f) + 1, t.s[i],
		    strlen(t.s[i]));
	}
	ldns_rr_free(rr);
	free(line);
	free(rdata);
	vote_txt_clear(&t);
}
END_TEST

/* The forms' presentation, read back by ldns, parse to the same. */
START_TEST(test_forms_via_ldns)
{
	struct vote_hold a, b;
	struct vote_txt t = { 0 }, u = { 0 };
	ldns_rr *rr = NULL;
	ldns_rdf *f;
	char err[PARSE_ERRLEN], *rdata, *line;
	size_t i;

	memset(&a, 0, sizeof(a));
	str_copy(a.site, "www.example.com", sizeof(a.site));
	a.side = VOTE_WANT_PRIMARY;
	str_copy(a.by, "ams1", sizeof(a.by));
	str_copy(a.who, "b\xc3\xb6rje", sizeof(a.who));
	str_copy(a.reason, "\"x\" \\ y", sizeof(a.reason));
	vote_hold_txt(&a, &t);
	rdata = vote_txt_rdata(&t);
	line = xasprintf("x. 60 IN TXT %s", rdata);
	ck_assert_int_eq(ldns_rr_new_frm_str(&rr, line, 0, NULL, NULL),
	    LDNS_STATUS_OK);
	for (i = 0; i < ldns_rr_rd_count(rr); i++) {
		f = ldns_rr_rdf(rr, i);
		vote_txt_add(&u, (const char *)ldns_rdf_data(f) + 1,
		    ldns_rdf_data(f)[0]);
	}
	ck_assert(vote_txt_equal(&t, &u));
	ck_assert_int_eq(vote_hold_parse(&u, &b, err, sizeof(err)), 0);
	ck_assert_str_eq(b.who, a.who);
	ck_assert_str_eq(b.reason, a.reason);
	ldns_rr_free(rr);
	free(line);
	free(rdata);
	vote_txt_clear(&t);
	vote_txt_clear(&u);
}
END_TEST

START_TEST(test_want_str)
{
	ck_assert_str_eq(vote_want_str(VOTE_WANT_NONE), "none");
	ck_assert_str_eq(vote_want_str(VOTE_WANT_PRIMARY), "primary");
	ck_assert_str_eq(vote_want_str(VOTE_WANT_FAILOVER), "failover");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("vote");
	TCase *tc = tcase_create("vote");

	tcase_add_test(tc, test_label);
	tcase_add_test(tc, test_names);
	tcase_add_loop_test(tc, test_kind, 0, (int)NELEM(kind_rows));
	tcase_add_test(tc, test_kind_of_names);
	tcase_add_test(tc, test_beat_round_trip);
	tcase_add_test(tc, test_view_round_trip);
	tcase_add_test(tc, test_view_long);
	tcase_add_test(tc, test_why_cleaned);
	tcase_add_test(tc, test_hold_round_trip);
	tcase_add_test(tc, test_unknown_keys);
	tcase_add_loop_test(tc, test_parse_errors, 0, (int)NELEM(err_rows));
	tcase_add_test(tc, test_nul_is_bad);
	tcase_add_test(tc, test_rdata_ldns);
	tcase_add_test(tc, test_forms_via_ldns);
	tcase_add_test(tc, test_want_str);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
