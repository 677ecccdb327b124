/*
 * check_health.c: the decision tables of health.c.
 *
 * A row is a site (fall, rise, primary and failover addresses, what the
 * server publishes at the start), rounds of observations, and what the
 * last round must decide.  A round is one letter per address, primaries
 * first: o ok, x failed (connect refused), l local error; or "-" for a
 * round without probes, "ISO" for a round whose canaries all failed.
 * A decision to publish is taken as published before the next round.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "health.h"
#include "unit.h"
#include "util.h"

struct row {
	const char		*name;
	unsigned		 fall, rise;
	const char		*primary, *failover, *published;
	const char		*rounds[10];
	enum health_action	 action;	/* of the last round */
	enum side		 side;
	const char		*want;		/* the set it wants */
	const char		*health;	/* per address: U D ? */
	bool			 switched;
};

#define P1	"192.0.2.10"
#define P2	"192.0.2.11"
#define P6	"2001:db8::10"
#define F1	"198.51.100.20"
#define F2	"198.51.100.21"

static const struct row rows[] = {
	/* rule 1: new addresses are unknown; one good round is not rise */
	{ "fresh and healthy", 3, 2, P1, F1, P1, { "oo" }, HA_NONE,
	    SIDE_PRIMARY, P1, "??", false },
	{ "rise confirms up", 3, 2, P1, F1, P1, { "oo", "oo" }, HA_NONE,
	    SIDE_PRIMARY, P1, "UU", false },
	/* rule 1, 3: fall-1 failures change nothing, fall confirms down */
	{ "fall-1 failures", 3, 1, P1, F1, P1, { "oo", "xo", "xo" },
	    HA_NONE, SIDE_PRIMARY, P1, "UU", false },
	{ "fall failures switch", 3, 1, P1, F1, P1, { "oo", "xo", "xo",
	    "xo" }, HA_PUBLISH, SIDE_FAILOVER, F1, "DU", true },
	{ "a good probe resets the run", 3, 1, P1, F1, P1, { "oo", "xo",
	    "xo", "oo", "xo", "xo" }, HA_NONE, SIDE_PRIMARY, P1, "UU", false },
	/* rule 2/probe: local errors never count */
	{ "local errors count for nothing", 3, 1, P1, F1, P1, { "oo", "xo",
	    "lo", "xo", "lo", "lo" }, HA_NONE, SIDE_PRIMARY, P1, "UU", false },
	{ "a round without probes moves nothing", 2, 1, P1, F1, P1, { "oo",
	    "xo", "-", "-" }, HA_NONE, SIDE_PRIMARY, P1, "UU", false },
	/* rule 3: failover still unknown: wait, no change, no event */
	{ "failover unknown: wait", 2, 3, P1, F1, P1, { "xo", "xo" },
	    HA_WAIT, SIDE_PRIMARY, "", "D?", false },
	{ "failover confirmed: switch", 2, 3, P1, F1, P1, { "xo", "xo",
	    "xo" }, HA_PUBLISH, SIDE_FAILOVER, F1, "DU", true },
	/* rule 3: every address down: fail static */
	{ "both down", 2, 1, P1, F1, P1, { "oo", "xx", "xx" },
	    HA_BOTH_DOWN, SIDE_PRIMARY, "", "DD", false },
	{ "both down while on failover", 2, 1, P1, F1, P1, { "oo", "xo",
	    "xo", "xx", "xx" }, HA_BOTH_DOWN, SIDE_FAILOVER, "", "DD", false },
	/* rule 4: back to primary after rise good rounds, not before */
	{ "recovering, rise-1", 1, 3, P1, F1, F1, { "xo", "oo", "oo" },
	    HA_NONE, SIDE_FAILOVER, F1, "DU", false },
	{ "recovered at rise", 1, 3, P1, F1, F1, { "xo", "oo", "oo", "oo" },
	    HA_PUBLISH, SIDE_PRIMARY, P1, "UU", true },
	{ "restored after rise", 1, 2, P1, F1, P1, { "oo", "oo", "xo",
	    "oo", "oo" }, HA_PUBLISH, SIDE_PRIMARY, P1, "UU", true },
	/* pools: a primary that goes down leaves the set */
	{ "pool member down", 2, 1, P1 " " P2, F1, P1 " " P2, { "ooo",
	    "oxo", "oxo" }, HA_PUBLISH, SIDE_PRIMARY, P1, "UDU", false },
	{ "pool member back", 1, 1, P1 " " P2, F1, P1 " " P2, { "ooo",
	    "oxo", "ooo" }, HA_PUBLISH, SIDE_PRIMARY, P1 " " P2, "UUU", false },
	{ "failover pool publishes the up ones", 1, 1, P1, F1 " " F2, P1,
	    { "ooo", "xox" }, HA_PUBLISH, SIDE_FAILOVER, F1, "DUD", true },
	/* IPv6 primary, IPv4-only failover */
	{ "dual-stack primary to v4 failover", 1, 1, P1 " " P6, F1,
	    P1 " " P6, { "ooo", "xxo" }, HA_PUBLISH, SIDE_FAILOVER, F1,
	    "DDU", true },
	{ "one family down keeps the other", 1, 1, P1 " " P6, F1,
	    P1 " " P6, { "ooo", "oxo" }, HA_PUBLISH, SIDE_PRIMARY, P1, "UDU",
	    false },
	/* rule 10: isolated rounds move no counter */
	{ "isolated", 2, 1, P1, F1, P1, { "oo", "xo", "ISO", "ISO" },
	    HA_ISOLATED, SIDE_PRIMARY, "", "UU", false },
	{ "isolated rounds do not add up", 2, 1, P1, F1, P1, { "oo", "xo",
	    "ISO", "oo" }, HA_NONE, SIDE_PRIMARY, P1, "UU", false },
	/* restart while the server serves the failover: stay there */
	{ "restart on failover", 3, 2, P1, F1, F1, { "oo" }, HA_WAIT,
	    SIDE_FAILOVER, "", "??", false },
	{ "restart on failover, primary confirmed", 3, 2, P1, F1, F1,
	    { "oo", "oo" }, HA_PUBLISH, SIDE_PRIMARY, P1, "UU", true },
};

static void
parse_addrs(const char *s, struct addr *a, size_t *n)
{
	char buf[256], *tok, *save, err[PARSE_ERRLEN];

	*n = 0;
	str_copy(buf, s, sizeof(buf));
	for (tok = strtok_r(buf, " ", &save); tok != NULL;
	    tok = strtok_r(NULL, " ", &save))
		ck_assert_int_eq(addr_parse(tok, &a[(*n)++], err, sizeof(err)),
		    0);
}

/* A site as the config would give it. */
static void
site_of(const struct row *r, struct site *s, struct addr *p, struct addr *f)
{
	memset(s, 0, sizeof(*s));
	s->name = "site.test";
	s->fall = r->fall;
	s->rise = r->rise;
	parse_addrs(r->primary, p, &s->nprimary);
	parse_addrs(r->failover, f, &s->nfailover);
	s->primary = p;
	s->failover = f;
}

/* Runs one round of observations; publishes what it decides. */
static void
round_run(const struct site *s, struct site_state *st, const char *obs,
    time_t now, struct health_decision *d)
{
	struct probe_result res[16];
	size_t i, n = s->nprimary + s->nfailover;

	memset(res, 0, sizeof(res));
	health_decision_clear(d);
	if (strcmp(obs, "ISO") == 0) {
		health_step(s, st, NULL, true, now, d);
		return;
	}
	if (strcmp(obs, "-") == 0) {
		health_step(s, st, NULL, false, now, d);
		return;
	}
	ck_assert_uint_eq(strlen(obs), n);
	for (i = 0; i < n; i++)
		res[i].reason = obs[i] == 'o' ? PROBE_OK : obs[i] == 'l' ?
		    PROBE_LOCAL_ERROR : PROBE_CONNECT_REFUSED;
	health_step(s, st, res, false, now, d);
	if (d->action == HA_PUBLISH)
		health_published(st, d->want, d->nwant, now, d->reason);
}

static void
check_want(const struct health_decision *d, const char *want)
{
	struct addr w[16];
	size_t n, i, j;

	parse_addrs(want, w, &n);
	ck_assert_uint_eq(d->nwant, n);
	for (i = 0; i < n; i++) {
		for (j = 0; j < d->nwant; j++)
			if (addr_equal(&w[i], &d->want[j]))
				break;
		ck_assert_msg(j < d->nwant, "%s not wanted", w[i].text);
	}
}

START_TEST(test_table)
{
	const struct row *r = &rows[_i];
	struct addr p[8], f[8], pub[16];
	struct health_decision d = { 0 };
	struct site_state st;
	struct site s;
	size_t npub, i;
	char h;

	site_of(r, &s, p, f);
	parse_addrs(r->published, pub, &npub);
	health_init(&st, &s, pub, npub);
	for (i = 0; i < NELEM(r->rounds) && r->rounds[i] != NULL; i++)
		round_run(&s, &st, r->rounds[i], (time_t)(1000 + 10 * i), &d);
	ck_assert_msg(d.action == r->action, "%s: action %s, wanted %s",
	    r->name, health_action_str(d.action), health_action_str(r->action));
	ck_assert_msg(st.side == r->side, "%s: side %s", r->name,
	    side_str(st.side));
	ck_assert_msg(d.side_changed == r->switched, "%s: switched %d",
	    r->name, d.side_changed);
	if (d.action == HA_PUBLISH || d.action == HA_NONE)
		check_want(&d, r->want);
	for (i = 0; i < s.nprimary + s.nfailover; i++) {
		enum health hh = i < s.nprimary ? st.primary[i].health :
		    st.failover[i - s.nprimary].health;

		h = hh == HEALTH_UP ? 'U' : hh == HEALTH_DOWN ? 'D' : '?';
		ck_assert_msg(h == r->health[i], "%s: address %zu is %c, "
		    "wanted %c", r->name, i, h, r->health[i]);
	}
	health_decision_clear(&d);
	health_clear(&st);
}
END_TEST

/* A site on primary, both addresses confirmed up (fall 2, rise 1). */
static void
healthy(struct site *s, struct addr *p, struct addr *f,
    struct site_state *st)
{
	static const struct row r = { "", 2, 1, P1, F1, P1, { NULL },
	    HA_NONE, SIDE_PRIMARY, "", "", false };
	struct health_decision d = { 0 };
	struct addr pub;
	size_t n;

	site_of(&r, s, p, f);
	parse_addrs(P1, &pub, &n);
	health_init(st, s, &pub, 1);
	round_run(s, st, "oo", 100, &d);
	ck_assert_int_eq(d.action, HA_NONE);
	health_decision_clear(&d);
}

/* Rule 6: held on failover while the primary is healthy, then released. */
START_TEST(test_hold)
{
	struct addr p[2], f[2];
	struct health_decision d = { 0 };
	struct site_state st;
	struct site s;
	int i;

	healthy(&s, p, f, &st);
	st.hold.active = true;
	st.hold.side = SIDE_FAILOVER;
	str_copy(st.hold.who, "alice", sizeof(st.hold.who));
	str_copy(st.hold.reason, "db migration", sizeof(st.hold.reason));
	round_run(&s, &st, "oo", 110, &d);
	ck_assert_int_eq(d.action, HA_PUBLISH);	/* the flip itself */
	ck_assert_str_eq(d.want[0].text, F1);
	ck_assert_str_eq(d.reason, "held on failover by alice: db migration");
	for (i = 0; i < 5; i++) {
		round_run(&s, &st, "oo", 120 + i, &d);
		ck_assert_int_eq(d.action, HA_HELD);
	}
	/* still probed while held */
	round_run(&s, &st, "xo", 130, &d);
	round_run(&s, &st, "xo", 131, &d);
	ck_assert_int_eq(st.primary[0].health, HEALTH_DOWN);
	ck_assert_int_eq(d.action, HA_HELD);
	/* release: automatic again, primary down so failover stays */
	st.hold.active = false;
	round_run(&s, &st, "xo", 140, &d);
	ck_assert_int_eq(d.action, HA_NONE);
	ck_assert_int_eq(st.side, SIDE_FAILOVER);
	health_decision_clear(&d);
	health_clear(&st);
}
END_TEST

START_TEST(test_hold_expires)
{
	struct addr p[2], f[2];
	struct health_decision d = { 0 };
	struct site_state st;
	struct site s;

	healthy(&s, p, f, &st);
	st.hold.active = true;
	st.hold.side = SIDE_FAILOVER;
	st.hold.until = 200;
	round_run(&s, &st, "oo", 150, &d);
	ck_assert_int_eq(d.action, HA_PUBLISH);
	round_run(&s, &st, "oo", 199, &d);
	ck_assert_int_eq(d.action, HA_HELD);
	round_run(&s, &st, "oo", 200, &d);	/* expired: back to rules */
	ck_assert(d.hold_expired);
	ck_assert(!st.hold.active);
	ck_assert_int_eq(d.action, HA_PUBLISH);
	ck_assert_str_eq(d.want[0].text, P1);
	health_decision_clear(&d);
	health_clear(&st);
}
END_TEST

/* Rule 12: drift stops automatic changes, whatever the probes say. */
START_TEST(test_drift)
{
	struct addr p[2], f[2];
	struct health_decision d = { 0 };
	struct site_state st;
	struct site s;

	healthy(&s, p, f, &st);
	st.drift = true;
	round_run(&s, &st, "xo", 110, &d);
	round_run(&s, &st, "xo", 111, &d);
	ck_assert_int_eq(st.primary[0].health, HEALTH_DOWN);
	ck_assert_int_eq(d.action, HA_DRIFT);
	ck_assert_int_eq(st.side, SIDE_PRIMARY);
	/* a flip (hold) overrides drift */
	st.hold.active = true;
	st.hold.side = SIDE_FAILOVER;
	round_run(&s, &st, "xo", 112, &d);
	ck_assert_int_eq(d.action, HA_PUBLISH);
	health_decision_clear(&d);
	health_clear(&st);
}
END_TEST

/* Rule 9: what the log will say. */
START_TEST(test_log_text)
{
	struct addr p[2], f[2];
	struct health_decision d = { 0 };
	struct site_state st;
	struct site s;
	struct probe_result res[2];

	healthy(&s, p, f, &st);
	memset(res, 0, sizeof(res));
	res[0].reason = PROBE_HTTP_STATUS;
	str_copy(res[0].detail, "HTTP 503", sizeof(res[0].detail));
	health_step(&s, &st, res, false, 110, &d);
	ck_assert_uint_eq(d.ntransitions, 0);
	health_decision_clear(&d);
	health_step(&s, &st, res, false, 111, &d);
	ck_assert_uint_eq(d.ntransitions, 1);
	ck_assert_str_eq(d.transitions[0], "primary " P1 " down (2/2 failed: "
	    "HTTP 503)");
	ck_assert_str_eq(d.reason, "switched to failover " F1);
	ck_assert_str_eq(st.primary[0].last_error, "HTTP 503");
	health_published(&st, d.want, d.nwant, 111, d.reason);
	res[0].reason = PROBE_OK;
	health_decision_clear(&d);
	health_step(&s, &st, res, false, 120, &d);
	ck_assert_str_eq(d.transitions[0], "primary " P1 " up (1/1 ok)");
	ck_assert_str_eq(d.reason, "restored to primary " P1);
	health_decision_clear(&d);
	health_clear(&st);
}
END_TEST

/* A reload keeps the counters of addresses still configured. */
START_TEST(test_adopt)
{
	struct addr p[2], f[2], np[2];
	struct site_state st;
	struct site s;
	char err[PARSE_ERRLEN];

	healthy(&s, p, f, &st);
	st.primary[0].fail_run = 1;
	addr_parse(P2, &np[0], err, sizeof(err));
	np[1] = p[0];
	s.primary = np;
	s.nprimary = 2;
	health_adopt(&st, &s);
	ck_assert_uint_eq(st.nprimary, 2);
	ck_assert_int_eq(st.primary[0].health, HEALTH_UNKNOWN);	/* new */
	ck_assert_int_eq(st.primary[1].health, HEALTH_UP);	/* kept */
	ck_assert_uint_eq(st.primary[1].fail_run, 1);
	ck_assert_int_eq(st.failover[0].health, HEALTH_UP);
	health_clear(&st);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("health");
	TCase *tc = tcase_create("health");

	tcase_add_loop_test(tc, test_table, 0, (int)NELEM(rows));
	tcase_add_test(tc, test_hold);
	tcase_add_test(tc, test_hold_expires);
	tcase_add_test(tc, test_drift);
	tcase_add_test(tc, test_log_text);
	tcase_add_test(tc, test_adopt);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
