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
	if (strcmp(obs, "-") == 0)
		health_step(s, st, NULL, false, now, d);
	else {
		ck_assert_uint_eq(strlen(obs), n);
		for (i = 0; i < n; i++)
			res[i].reason = obs[i] == 'o' ? PROBE_OK : obs[i] ==
			    'l' ? PROBE_LOCAL_ERROR : PROBE_CONNECT_REFUSED;
		health_step(s, st, res, false, now, d);
	}
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
	health_flip(&st, SIDE_FAILOVER, 0, "alice", "db migration");
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
	health_release(&st, st.published, st.npublished, 139);
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
	health_flip(&st, SIDE_FAILOVER, 200, "bob", "");
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
	health_drift(&st);
	round_run(&s, &st, "xo", 110, &d);
	round_run(&s, &st, "xo", 111, &d);
	ck_assert_int_eq(st.primary[0].health, HEALTH_DOWN);
	ck_assert_int_eq(d.action, HA_DRIFT);
	ck_assert_int_eq(st.side, SIDE_PRIMARY);
	/* a flip (hold) overrides drift */
	health_flip(&st, SIDE_FAILOVER, 0, "carol", "");
	ck_assert(!st.drift);
	round_run(&s, &st, "xo", 112, &d);
	ck_assert_int_eq(d.action, HA_PUBLISH);
	health_decision_clear(&d);
	health_clear(&st);
}
END_TEST

/*
 * The writers of side, hold and drift other than health_step (rules 6, 7
 * and 12): a row is a start (side, held on, drift, published), one
 * operation, and the side, hold, drift and published set after it.
 */
enum wop { W_FLIP_P, W_FLIP_F, W_FLIP_F_UNTIL, W_RELEASE_P, W_RELEASE_F,
	W_DRIFT, W_UNSWITCH, W_UNSWITCH_SAME, W_LEARNED_P, W_LEARNED_F,
	W_FOREIGN_HELD, W_FOREIGN_DRIFT, W_FOREIGN_UNKNOWN };

struct wrow {
	const char	*name;
	enum side	 side;
	int		 held;		/* -1 none, else the held side */
	bool		 drift;
	const char	*published;	/* NULL: unknown */
	enum wop	 op;
	enum side	 want_side;
	int		 want_held;
	bool		 want_drift;
	const char	*want_published;
	bool		 changed;	/* health_take_foreign's answer */
};

static const struct wrow wrows[] = {
	{ "flip to failover holds it there, drift ends", SIDE_PRIMARY, -1,
	    true, P1, W_FLIP_F, SIDE_FAILOVER, SIDE_FAILOVER, false, P1,
	    false },
	{ "flip to primary over a hold on failover", SIDE_FAILOVER,
	    SIDE_FAILOVER, false, F1, W_FLIP_P, SIDE_PRIMARY, SIDE_PRIMARY,
	    false, F1, false },
	{ "flip --for keeps its end", SIDE_PRIMARY, -1, false, P1,
	    W_FLIP_F_UNTIL, SIDE_FAILOVER, SIDE_FAILOVER, false, P1, false },
	{ "release ends hold and drift, adopts what is served",
	    SIDE_FAILOVER, SIDE_FAILOVER, true, F1, W_RELEASE_P,
	    SIDE_FAILOVER, -1, false, P1, false },
	{ "release of a site in drift", SIDE_PRIMARY, -1, true, P1,
	    W_RELEASE_F, SIDE_PRIMARY, -1, false, F1, false },
	{ "a failed prerequisite is drift", SIDE_PRIMARY, -1, false, P1,
	    W_DRIFT, SIDE_PRIMARY, -1, true, P1, false },
	{ "a switch not carried out goes back", SIDE_FAILOVER, -1, false,
	    P1, W_UNSWITCH, SIDE_PRIMARY, -1, false, P1, false },
	{ "a change without a switch stays", SIDE_PRIMARY, -1, false, P1,
	    W_UNSWITCH_SAME, SIDE_PRIMARY, -1, false, P1, false },
	{ "learned: primary served", SIDE_PRIMARY, -1, false, NULL,
	    W_LEARNED_P, SIDE_PRIMARY, -1, false, P1, false },
	{ "learned: failover served is the failover side", SIDE_PRIMARY,
	    -1, false, NULL, W_LEARNED_F, SIDE_FAILOVER, -1, false, F1,
	    false },
	{ "learned while held: the hold decides", SIDE_PRIMARY,
	    SIDE_PRIMARY, false, NULL, W_LEARNED_F, SIDE_PRIMARY,
	    SIDE_PRIMARY, false, F1, false },
	{ "foreign flip taken in", SIDE_PRIMARY, -1, false, P1,
	    W_FOREIGN_HELD, SIDE_FAILOVER, SIDE_FAILOVER, false, F1, true },
	{ "foreign drift taken in", SIDE_PRIMARY, -1, false, P1,
	    W_FOREIGN_DRIFT, SIDE_PRIMARY, -1, true, P1, true },
	{ "foreign unknown published set", SIDE_PRIMARY, -1, false, P1,
	    W_FOREIGN_UNKNOWN, SIDE_PRIMARY, -1, false, NULL, false },
};

static void
wrow_start(const struct wrow *w, struct site *s, struct addr *p,
    struct addr *f, struct site_state *st)
{
	static const struct row r = { "", 2, 1, P1, F1, P1, { NULL },
	    HA_NONE, SIDE_PRIMARY, "", "", false };
	struct addr pub[4];
	size_t n;

	site_of(&r, s, p, f);
	health_init(st, s, NULL, 0);
	if (w->published != NULL) {
		parse_addrs(w->published, pub, &n);
		health_published(st, pub, n, 1, "start");
	}
	if (w->held != -1)
		health_flip(st, (enum side)w->held, 0, "dave", "");
	st->side = w->side;		/* the start, as a state file has it */
	st->drift = w->drift;
}

static bool
wrow_do(const struct wrow *w, const struct site *s, struct site_state *st)
{
	struct health_decision d = { 0 };
	struct site_state other;
	bool changed = false;

	switch (w->op) {
	case W_FLIP_P:
		health_flip(st, SIDE_PRIMARY, 0, "erin", "test");
		break;
	case W_FLIP_F:
		health_flip(st, SIDE_FAILOVER, 0, "erin", "test");
		break;
	case W_FLIP_F_UNTIL:
		health_flip(st, SIDE_FAILOVER, 500, "erin", "test");
		ck_assert_int_eq(st->hold.until, 500);
		ck_assert_str_eq(st->hold.who, "erin");
		ck_assert_str_eq(st->hold.reason, "test");
		break;
	case W_RELEASE_P:
		health_release(st, s->primary, 1, 10);
		break;
	case W_RELEASE_F:
		health_release(st, s->failover, 1, 10);
		break;
	case W_DRIFT:
		health_drift(st);
		break;
	case W_UNSWITCH:
	case W_UNSWITCH_SAME:
		d.side_changed = w->op == W_UNSWITCH;
		d.want_side = st->side;
		health_unswitch(st, &d);
		break;
	case W_LEARNED_P:
	case W_LEARNED_F:
		health_learned(st, s, w->op == W_LEARNED_P ? s->primary :
		    s->failover, 1);
		break;
	default:
		health_copy(&other, st);
		if (w->op == W_FOREIGN_HELD) {
			health_flip(&other, SIDE_FAILOVER, 0, "frank", "");
			health_published(&other, s->failover, 1, 5, "flipped");
		} else if (w->op == W_FOREIGN_DRIFT)
			health_drift(&other);
		else
			other.published_known = false;
		other.primary[0].ok_run = 99;	/* counters stay ours */
		changed = health_take_foreign(st, &other);
		ck_assert_uint_ne(st->primary[0].ok_run, 99);
		health_clear(&other);
	}
	return changed;
}

START_TEST(test_writers)
{
	const struct wrow *w = &wrows[_i];
	struct addr p[2], f[2], want[4];
	struct site_state st;
	struct site s;
	size_t n;
	bool changed;

	wrow_start(w, &s, p, f, &st);
	changed = wrow_do(w, &s, &st);
	ck_assert_msg(st.side == w->want_side, "%s: side", w->name);
	ck_assert_msg(st.hold.active == (w->want_held != -1), "%s: hold",
	    w->name);
	if (w->want_held != -1)
		ck_assert_msg(st.hold.side == (enum side)w->want_held,
		    "%s: held side", w->name);
	ck_assert_msg(st.drift == w->want_drift, "%s: drift", w->name);
	ck_assert_msg(changed == w->changed, "%s: changed", w->name);
	if (w->want_published == NULL)
		ck_assert_msg(!st.published_known, "%s: known", w->name);
	else {
		parse_addrs(w->want_published, want, &n);
		ck_assert_msg(st.published_known && addr_same_set(st.published,
		    st.npublished, want, n), "%s: published", w->name);
	}
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

/* ---- rules 20 and 21 ---- */

/* A site on primary, both up, fall and rise 1 (one round each). */
static void
quick(struct site *s, struct addr *p, struct addr *f, struct site_state *st)
{
	static const struct row r = { "", 1, 1, P1, F1, P1, { NULL },
	    HA_NONE, SIDE_PRIMARY, "", "", false };
	struct health_decision d = { 0 };
	struct addr pub;
	size_t n;

	site_of(&r, s, p, f);
	parse_addrs(P1, &pub, &n);
	health_init(st, s, &pub, 1);
	round_run(s, st, "oo", 10, &d);
	ck_assert_int_eq(d.action, HA_NONE);
	health_decision_clear(&d);
}

/* One round at now; the action it must decide, and the side after it. */
static void
expect(const struct site *s, struct site_state *st, const char *obs,
    time_t now, enum health_action a, enum side side)
{
	struct health_decision d = { 0 };

	round_run(s, st, obs, now, &d);
	ck_assert_msg(d.action == a, "at %lld: action %s, wanted %s (%s)",
	    (long long)now, health_action_str(d.action), health_action_str(a),
	    d.reason);
	ck_assert_msg(st->side == side, "at %lld: side %s", (long long)now,
	    side_str(st->side));
	health_decision_clear(&d);
}

/* Rule 20: failback_delay holds the return, then lets it go. */
START_TEST(test_failback_delay)
{
	struct addr p[2], f[2];
	struct health_decision d = { 0 };
	struct site_state st;
	struct site s;
	time_t since, at;

	quick(&s, p, f, &st);
	s.failback_delay_ms = 60000;
	expect(&s, &st, "xo", 100, HA_PUBLISH, SIDE_FAILOVER);
	ck_assert(!health_failback_wait(&s, &st, &since, &at));
	round_run(&s, &st, "oo", 110, &d);	/* rise: up, the delay starts */
	ck_assert_int_eq(d.action, HA_FAILBACK_WAIT);
	ck_assert(!d.failback_ready);
	ck_assert_int_eq(st.side, SIDE_FAILOVER);
	ck_assert_str_eq(d.reason, "primary up since 1970-01-01T00:01:50Z; "
	    "failback waits 1m more (failback_delay 1m)");
	ck_assert(health_failback_wait(&s, &st, &since, &at));
	ck_assert_int_eq(since, 110);
	ck_assert_int_eq(at, 170);
	round_run(&s, &st, "oo", 140, &d);
	ck_assert_int_eq(d.action, HA_FAILBACK_WAIT);
	ck_assert_str_eq(d.reason, "primary up since 1970-01-01T00:01:50Z; "
	    "failback waits 30s more (failback_delay 1m)");
	expect(&s, &st, "oo", 169, HA_FAILBACK_WAIT, SIDE_FAILOVER);
	round_run(&s, &st, "oo", 170, &d);
	ck_assert_int_eq(d.action, HA_PUBLISH);
	ck_assert(d.side_changed);
	ck_assert_str_eq(d.want[0].text, P1);
	ck_assert_int_eq(st.failback_since, 0);
	ck_assert(!health_failback_wait(&s, &st, &since, &at));
	health_decision_clear(&d);
	health_clear(&st);
}
END_TEST

/* Rule 20: a failed primary probe (short of fall) starts it again. */
START_TEST(test_failback_delay_blip)
{
	struct addr p[2], f[2];
	struct health_decision d = { 0 };
	struct site_state st;
	struct site s;
	time_t since, at;

	quick(&s, p, f, &st);
	s.fall = 2;
	s.failback_delay_ms = 60000;
	expect(&s, &st, "xo", 100, HA_NONE, SIDE_PRIMARY);
	expect(&s, &st, "xo", 110, HA_PUBLISH, SIDE_FAILOVER);
	expect(&s, &st, "oo", 120, HA_FAILBACK_WAIT, SIDE_FAILOVER);
	round_run(&s, &st, "xo", 170, &d);	/* still up: 1 of fall 2 */
	ck_assert_int_eq(st.primary[0].health, HEALTH_UP);
	ck_assert_int_eq(d.action, HA_FAILBACK_WAIT);
	ck_assert_str_eq(d.reason, "a primary probe failed; failback_delay 1m "
	    "starts again");
	ck_assert(health_failback_wait(&s, &st, &since, &at));
	ck_assert_int_eq(since, 120);		/* waiting since */
	ck_assert_int_eq(at, 0);		/* not known yet */
	expect(&s, &st, "oo", 180, HA_FAILBACK_WAIT, SIDE_FAILOVER);
	ck_assert(health_failback_wait(&s, &st, &since, &at));
	ck_assert_int_eq(at, 240);
	expect(&s, &st, "oo", 239, HA_FAILBACK_WAIT, SIDE_FAILOVER);
	expect(&s, &st, "oo", 240, HA_PUBLISH, SIDE_PRIMARY);
	health_decision_clear(&d);
	health_clear(&st);
}
END_TEST

/* Rule 20: no wait while no failover address serves any more. */
START_TEST(test_failback_failover_gone)
{
	struct addr p[2], f[2];
	struct site_state st;
	struct site s;

	quick(&s, p, f, &st);
	s.failback_delay_ms = 600000;
	expect(&s, &st, "xo", 100, HA_PUBLISH, SIDE_FAILOVER);
	expect(&s, &st, "oo", 110, HA_FAILBACK_WAIT, SIDE_FAILOVER);
	expect(&s, &st, "ox", 120, HA_PUBLISH, SIDE_PRIMARY);
	health_clear(&st);

	quick(&s, p, f, &st);			/* manual alike */
	s.failback_manual = true;
	expect(&s, &st, "xo", 100, HA_PUBLISH, SIDE_FAILOVER);
	expect(&s, &st, "oo", 110, HA_FAILBACK_WAIT, SIDE_FAILOVER);
	expect(&s, &st, "ox", 120, HA_PUBLISH, SIDE_PRIMARY);
	health_clear(&st);
}
END_TEST

/*
 * Rule 20: failback: manual waits for release, however long; release
 * lets the rules bring it back; the next failover waits again.
 */
START_TEST(test_failback_manual)
{
	struct addr p[2], f[2];
	struct health_decision d = { 0 };
	struct site_state st;
	struct site s;
	time_t since, at;
	int i;

	quick(&s, p, f, &st);
	s.failback_manual = true;
	expect(&s, &st, "xo", 100, HA_PUBLISH, SIDE_FAILOVER);
	for (i = 0; i < 5; i++) {
		round_run(&s, &st, "oo", 110 + 3600 * i, &d);
		ck_assert_int_eq(d.action, HA_FAILBACK_WAIT);
		ck_assert(d.failback_ready);
		ck_assert_int_eq(st.side, SIDE_FAILOVER);
	}
	ck_assert_str_eq(d.reason, "primary up since 1970-01-01T00:01:50Z; "
	    "waiting for release (failback: manual)");
	ck_assert(health_failback_wait(&s, &st, &since, &at));
	ck_assert_int_eq(since, 110);
	ck_assert_int_eq(at, 0);
	/* release, then its round (no probes): back to primary */
	health_release(&st, st.published, st.npublished, 20000);
	round_run(&s, &st, "-", 20000, &d);
	ck_assert_int_eq(d.action, HA_PUBLISH);
	ck_assert(d.side_changed);
	ck_assert(!d.failback_ready);
	ck_assert_int_eq(st.side, SIDE_PRIMARY);
	ck_assert(!health_failback_wait(&s, &st, &since, &at));
	/* failed over by the rules again: waits again */
	expect(&s, &st, "xo", 20010, HA_PUBLISH, SIDE_FAILOVER);
	expect(&s, &st, "oo", 20020, HA_FAILBACK_WAIT, SIDE_FAILOVER);
	health_decision_clear(&d);
	health_clear(&st);
}
END_TEST

/*
 * Rule 20: the wait is for a failover the rules reached: one that flip
 * chose, then released, returns as usual; a fresh start that finds the
 * failover served waits (nothing says a person chose it).
 */
START_TEST(test_failback_manual_by_hand)
{
	struct addr p[2], f[2];
	struct site_state st;
	struct site s;

	quick(&s, p, f, &st);
	s.failback_manual = true;
	health_flip(&st, SIDE_FAILOVER, 0, "alice", "");
	expect(&s, &st, "oo", 100, HA_PUBLISH, SIDE_FAILOVER);
	expect(&s, &st, "oo", 110, HA_HELD, SIDE_FAILOVER);
	health_release(&st, st.published, st.npublished, 120);
	expect(&s, &st, "-", 120, HA_PUBLISH, SIDE_PRIMARY);
	health_clear(&st);

	quick(&s, p, f, &st);
	s.failback_manual = true;
	health_clear(&st);
	health_init(&st, &s, f, 1);		/* the server serves F1 */
	ck_assert_int_eq(st.side, SIDE_FAILOVER);
	expect(&s, &st, "oo", 100, HA_FAILBACK_WAIT, SIDE_FAILOVER);
	health_clear(&st);
}
END_TEST

/*
 * Rule 21: the switch after flap.switches automatic ones within
 * flap.within is not made; the site is held where it is, the records
 * stay, and release hands it back.
 */
START_TEST(test_flap)
{
	struct addr p[2], f[2];
	struct health_decision d = { 0 };
	struct site_state st, copy;
	struct site s;

	quick(&s, p, f, &st);
	s.flap_switches = 2;
	s.flap_within_ms = 3600000;
	expect(&s, &st, "xo", 100, HA_PUBLISH, SIDE_FAILOVER);
	expect(&s, &st, "oo", 110, HA_PUBLISH, SIDE_PRIMARY);	/* the 2nd */
	ck_assert_uint_eq(st.nswitched, 2);
	round_run(&s, &st, "xo", 120, &d);			/* the 3rd */
	ck_assert_int_eq(d.action, HA_FLAPPING);
	ck_assert(!d.side_changed);
	ck_assert_int_eq(st.side, SIDE_PRIMARY);
	ck_assert(st.hold.active);
	ck_assert(health_hold_flapping(&st.hold));
	ck_assert_int_eq(st.hold.side, SIDE_PRIMARY);
	ck_assert_int_eq(st.hold.until, 0);
	ck_assert_str_eq(st.hold.who, "dnsfailover");
	ck_assert_str_eq(st.hold.reason, "flapping");
	ck_assert_str_eq(d.reason, "held: flapping (2 switches within 1h); "
	    "the switch to failover is not made; no automatic change until "
	    "release");
	/* held: nothing published, whatever the probes say */
	round_run(&s, &st, "xo", 130, &d);
	ck_assert_int_eq(d.action, HA_HELD);
	ck_assert_uint_eq(d.nwant, 0);
	ck_assert_str_eq(st.published[0].text, P1);
	/* what another writer takes in, and a copy, keep the count */
	health_copy(&copy, &st);
	ck_assert_uint_eq(copy.nswitched, 2);
	ck_assert_int_eq(copy.switched[1], 110);
	health_clear(&copy);
	/* release: automatic again, the count afresh; its switch is not
	 * an automatic one */
	health_release(&st, st.published, st.npublished, 140);
	round_run(&s, &st, "-", 140, &d);
	ck_assert_int_eq(d.action, HA_PUBLISH);
	ck_assert(d.switch_released);
	ck_assert_int_eq(st.side, SIDE_FAILOVER);
	ck_assert_uint_eq(st.nswitched, 0);
	ck_assert(!st.hold.active);
	expect(&s, &st, "oo", 150, HA_PUBLISH, SIDE_PRIMARY);
	ck_assert_uint_eq(st.nswitched, 1);
	health_decision_clear(&d);
	health_clear(&st);
}
END_TEST

/* Rule 21: switches that left the window do not count. */
START_TEST(test_flap_window)
{
	struct addr p[2], f[2];
	struct site_state st;
	struct site s;

	quick(&s, p, f, &st);
	s.flap_switches = 2;
	s.flap_within_ms = 60000;
	expect(&s, &st, "xo", 100, HA_PUBLISH, SIDE_FAILOVER);
	expect(&s, &st, "oo", 110, HA_PUBLISH, SIDE_PRIMARY);
	expect(&s, &st, "xo", 160, HA_PUBLISH, SIDE_FAILOVER);	/* 100 left */
	ck_assert_uint_eq(st.nswitched, 2);
	ck_assert_int_eq(st.switched[0], 110);
	expect(&s, &st, "oo", 169, HA_FLAPPING, SIDE_FAILOVER);
	health_clear(&st);
	/* off (switches 0): never held, nothing kept */
	quick(&s, p, f, &st);
	expect(&s, &st, "xo", 100, HA_PUBLISH, SIDE_FAILOVER);
	expect(&s, &st, "oo", 101, HA_PUBLISH, SIDE_PRIMARY);
	expect(&s, &st, "xo", 102, HA_PUBLISH, SIDE_FAILOVER);
	ck_assert_uint_eq(st.nswitched, 0);
	health_clear(&st);
}
END_TEST

/*
 * Rule 21: a switch not carried out (an update in flight, no quorum)
 * is not counted; nor are flips, nor the switch a release makes.
 */
START_TEST(test_flap_not_counted)
{
	struct addr p[2], f[2];
	struct health_decision d = { 0 };
	struct site_state st;
	struct site s;

	quick(&s, p, f, &st);
	s.flap_switches = 2;
	s.flap_within_ms = 3600000;
	expect(&s, &st, "xo", 100, HA_PUBLISH, SIDE_FAILOVER);
	health_decision_clear(&d);
	health_step(&s, &st, NULL, false, 110, &d);	/* primary not up */
	ck_assert_int_eq(d.action, HA_NONE);
	{
		struct probe_result res[2];

		memset(res, 0, sizeof(res));
		health_decision_clear(&d);
		health_step(&s, &st, res, false, 120, &d);
		ck_assert(d.side_changed && d.switch_noted);
		ck_assert_uint_eq(st.nswitched, 2);
		health_unswitch(&st, &d);		/* busy */
		ck_assert_uint_eq(st.nswitched, 1);
		ck_assert_int_eq(st.side, SIDE_FAILOVER);
		health_decision_clear(&d);
		health_step(&s, &st, res, false, 130, &d);
		ck_assert(d.side_changed);
		health_no_quorum(&st, &d, "waiting for quorum");
		ck_assert_uint_eq(st.nswitched, 1);
		ck_assert_int_eq(st.side, SIDE_FAILOVER);
	}
	expect(&s, &st, "oo", 140, HA_PUBLISH, SIDE_PRIMARY);	/* the 2nd */
	/* flips: no count */
	health_flip(&st, SIDE_FAILOVER, 0, "alice", "");
	expect(&s, &st, "oo", 150, HA_PUBLISH, SIDE_FAILOVER);
	health_flip(&st, SIDE_PRIMARY, 0, "alice", "");
	expect(&s, &st, "oo", 160, HA_PUBLISH, SIDE_PRIMARY);
	ck_assert_uint_eq(st.nswitched, 2);
	expect(&s, &st, "xo", 170, HA_HELD, SIDE_PRIMARY);
	health_decision_clear(&d);
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
	tcase_add_loop_test(tc, test_writers, 0, (int)NELEM(wrows));
	tcase_add_test(tc, test_failback_delay);
	tcase_add_test(tc, test_failback_delay_blip);
	tcase_add_test(tc, test_failback_failover_gone);
	tcase_add_test(tc, test_failback_manual);
	tcase_add_test(tc, test_failback_manual_by_hand);
	tcase_add_test(tc, test_flap);
	tcase_add_test(tc, test_flap_window);
	tcase_add_test(tc, test_flap_not_counted);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
