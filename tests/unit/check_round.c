/*
 * check_round.c: the read and publish stages of round.c, without DNS.
 *
 * A real configuration and session (state file in a temporary
 * directory) and a round over its sites; the DNS work is left out: each
 * test writes what the publisher (or the read) would have answered into
 * the job, and checks what round_pubjob_done() or round_readjob_done()
 * make of it: the state (side, drift, pending, counters), the failed
 * flag and the dry run's plans.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "round.h"
#include "session.h"
#include "unit.h"
#include "util.h"

#define P1	"192.0.2.10"
#define F1	"198.51.100.20"

static const char yaml[] =
    "dns: {servers: [127.0.0.1], key_file: k.key}\n"
    "defaults: {fall: 1, rise: 1}\n"
    "sites:\n"
    "  - {name: a.test, zone: test, primary: " P1 ", failover: " F1 "}\n"
    "  - {name: b.test, zone: test, primary: " P1 ", failover: " F1 "}\n";

struct fix {
	struct session	ss;
	struct round	r;
};

static const struct site **
two_sites(struct fix *f)
{
	const struct site **sites = xcalloc(2, sizeof(*sites));

	sites[0] = &f->ss.cfg->sites[0];
	sites[1] = &f->ss.cfg->sites[1];
	return sites;
}

static void
fix_open_yaml(struct fix *f, const char *y)
{
	struct config *cfg;
	char *diags, *path;

	memset(f, 0, sizeof(*f));
	diags = unit_load(y, &cfg);
	ck_assert_str_eq(diags, "");
	free(diags);
	path = xasprintf("%s/state", unit_tmpdir());
	ck_assert_int_eq(session_open(&f->ss, cfg, path, false, 0),
	    SESSION_OK);
	ck_assert_uint_eq(cfg->nsites, 2);
	round_begin(&f->r, &f->ss, two_sites(f), 2);
}

static void
fix_open(struct fix *f)
{
	fix_open_yaml(f, yaml);
}

static void
fix_close(struct fix *f)
{
	char *path = (char *)f->ss.path;

	round_batch_clear(&f->r);
	ck_assert_int_eq(session_close(&f->ss, NULL), 0);
	free(path);
}

/* Site i's published set is known: addr. */
static void
known(struct fix *f, size_t i, const char *addr)
{
	struct addr a;
	char err[PARSE_ERRLEN];

	ck_assert_int_eq(addr_parse(addr, &a, err, sizeof(err)), 0);
	health_learned(&round_site_state(&f->r, i)->st, f->r.sites[i], &a, 1);
}

/* Every primary down, the failover up: the round decides to switch. */
static void
decide_switch(struct fix *f)
{
	struct probe_result res[2][2];
	struct probe_result *per[2] = { res[0], res[1] };

	memset(res, 0, sizeof(res));
	res[0][0].reason = res[1][0].reason = PROBE_CONNECT_REFUSED;
	round_decide(&f->r, per, false);
	ck_assert_int_eq(f->r.d[0].action, HA_PUBLISH);
	ck_assert_int_eq(f->r.d[1].action, HA_PUBLISH);
}

/* The job, with what the publisher answered for each site. */
static void
publish_as(struct fix *f, enum publish_outcome o0, enum publish_outcome o1)
{
	struct pubjob *j = round_pubjob(&f->r);

	ck_assert_uint_eq(j->n, 2);
	ck_assert(j->s[0].req.cas);
	ck_assert_uint_eq(j->s[0].req.nexpect, 1);
	ck_assert_str_eq(j->s[0].req.expect[0].text, P1);
	j->s[0].req.outcome = o0;
	j->s[1].req.outcome = o1;
	str_copy(j->s[0].req.why, "server 127.0.0.1: REFUSED",
	    sizeof(j->s[0].req.why));
	str_copy(j->s[1].req.why, "server 127.0.0.1: REFUSED",
	    sizeof(j->s[1].req.why));
	str_copy(j->s[0].req.zone_found, "test", DNAME_MAXLEN);
	str_copy(j->s[1].req.zone_found, "test", DNAME_MAXLEN);
	if (o0 == PUBLISH_PLANNED)
		j->s[0].req.plan = xstrdup("  a.test: set A " F1 ";\n");
	if (o1 == PUBLISH_PLANNED)
		j->s[1].req.plan = xstrdup("  b.test: set A " F1 ";\n");
	/* what pubjob_run() does after the publisher */
	round_pubjob_judge(&j->s[0]);
	round_pubjob_judge(&j->s[1]);
	round_pubjob_done(&f->r, j);
	pubjob_free(j);
}

/* Both sites know they serve P1, and the round decides to switch. */
static void
fix_switching(struct fix *f)
{
	fix_open(f);
	known(f, 0, P1);
	known(f, 1, P1);
	decide_switch(f);
}

START_TEST(test_applied_and_already)
{
	struct fix f;
	struct state_site *a, *b;

	fix_switching(&f);
	publish_as(&f, PUBLISH_APPLIED, PUBLISH_ALREADY);
	a = round_site_state(&f.r, 0);
	b = round_site_state(&f.r, 1);
	ck_assert_int_eq(a->st.side, SIDE_FAILOVER);
	ck_assert_str_eq(a->st.published[0].text, F1);
	ck_assert_str_eq(b->st.published[0].text, F1);
	ck_assert(!a->pending && !b->pending && !f.r.failed);
	ck_assert_uint_eq(a->n.switches, 1);
	ck_assert_uint_eq(b->n.updates_applied, 1);
	fix_close(&f);
}
END_TEST

START_TEST(test_changed_is_drift)
{
	struct fix f;
	struct state_site *a, *b;

	fix_switching(&f);
	publish_as(&f, PUBLISH_CHANGED, PUBLISH_APPLIED);
	a = round_site_state(&f.r, 0);
	b = round_site_state(&f.r, 1);
	ck_assert(a->st.drift);
	ck_assert(!a->pending);
	ck_assert_str_eq(a->st.published[0].text, P1);	/* not ours */
	ck_assert(!b->st.drift);		/* the other one went in */
	ck_assert_str_eq(b->st.published[0].text, F1);
	fix_close(&f);
}
END_TEST

START_TEST(test_refused_is_pending)
{
	struct fix f;
	struct state_site *a;
	time_t since;

	fix_switching(&f);
	publish_as(&f, PUBLISH_REFUSED, PUBLISH_NO_ANSWER);
	a = round_site_state(&f.r, 0);
	ck_assert(a->pending && round_site_state(&f.r, 1)->pending);
	ck_assert(f.r.failed);
	ck_assert_uint_eq(a->nwant, 1);
	ck_assert_str_eq(a->want[0].text, F1);
	ck_assert_str_eq(a->pending_error, "server 127.0.0.1: REFUSED");
	ck_assert_uint_eq(a->n.updates_failed, 1);
	ck_assert_str_eq(a->st.published[0].text, P1);
	since = a->pending_since;
	/* the next round tries again; pending since the first failure */
	round_batch_clear(&f.r);
	f.ss.now += 60;
	round_begin(&f.r, &f.ss, two_sites(&f), 2);
	decide_switch(&f);
	publish_as(&f, PUBLISH_REFUSED, PUBLISH_APPLIED);
	a = round_site_state(&f.r, 0);
	ck_assert_int_eq(a->pending_since, since);
	ck_assert_uint_eq(a->n.updates_failed, 2);
	ck_assert(!round_site_state(&f.r, 1)->pending);
	fix_close(&f);
}
END_TEST

START_TEST(test_dry_run_plans)
{
	struct fix f;

	fix_open(&f);
	f.ss.dry_run = true;
	known(&f, 0, P1);
	known(&f, 1, P1);
	decide_switch(&f);
	publish_as(&f, PUBLISH_PLANNED, PUBLISH_PLANNED);
	ck_assert_uint_eq(f.r.nplans, 2);
	ck_assert_str_eq(f.r.plans[0], "a.test: would publish failover in "
	    "zone test:\n  a.test: set A " F1 ";\n");
	ck_assert(!round_site_state(&f.r, 0)->pending);
	ck_assert_uint_eq(round_site_state(&f.r, 0)->n.updates_applied, 0);
	fix_close(&f);
}
END_TEST

/* Without a known published set, compare-and-swap cannot be built. */
START_TEST(test_unknown_not_changed_blindly)
{
	struct fix f;
	struct pubjob *j;

	fix_open(&f);
	known(&f, 1, P1);
	decide_switch(&f);
	j = round_pubjob(&f.r);
	ck_assert(j->s[0].skip);
	ck_assert(!j->s[1].skip);
	ck_assert_ptr_nonnull(strstr(j->s[0].why, "not changing them "
	    "blindly"));
	j->s[1].req.outcome = PUBLISH_APPLIED;
	round_pubjob_judge(&j->s[1]);
	round_pubjob_done(&f.r, j);
	pubjob_free(j);
	ck_assert(round_site_state(&f.r, 0)->pending);
	ck_assert(!round_site_state(&f.r, 1)->pending);
	fix_close(&f);
}
END_TEST

/* A site with an update in flight is not sent again; its switch waits. */
START_TEST(test_busy_site_waits)
{
	struct fix f;
	struct pubjob *j;
	bool busy[2] = { true, false };

	fix_open(&f);
	known(&f, 0, P1);
	known(&f, 1, P1);
	f.r.busy = busy;
	decide_switch(&f);
	j = round_pubjob(&f.r);
	ck_assert_uint_eq(j->n, 1);
	ck_assert_ptr_eq(j->s[0].site, f.r.sites[1]);
	/* the switch of the busy site is decided, and told, again later */
	ck_assert_int_eq(round_site_state(&f.r, 0)->st.side, SIDE_PRIMARY);
	ck_assert_int_eq(round_site_state(&f.r, 1)->st.side, SIDE_FAILOVER);
	pubjob_free(j);
	f.r.busy = NULL;
	fix_close(&f);
}
END_TEST

/* The read stage: only sites that do not know their set; a failed read
 * leaves it unknown; a failover set read means the failover side. */
START_TEST(test_read_stage)
{
	struct fix f;
	struct readjob *j;
	struct addr fa;
	char err[PARSE_ERRLEN];

	fix_open(&f);
	known(&f, 1, P1);
	j = round_readjob(&f.r);
	ck_assert_ptr_nonnull(j);
	ck_assert_uint_eq(j->n, 1);
	ck_assert_ptr_eq(j->s[0].site, f.r.sites[0]);
	/* a failed read */
	str_copy(j->s[0].err, "no answer", sizeof(j->s[0].err));
	round_readjob_done(&f.r, j);
	ck_assert(!round_site_state(&f.r, 0)->st.published_known);
	/* a read that found the failover published */
	ck_assert_int_eq(addr_parse(F1, &fa, err, sizeof(err)), 0);
	j->s[0].ok = true;
	j->s[0].addrs = xcalloc(1, sizeof(fa));
	j->s[0].addrs[0] = fa;
	j->s[0].naddrs = 1;
	round_readjob_done(&f.r, j);
	readjob_free(j);
	ck_assert(round_site_state(&f.r, 0)->st.published_known);
	ck_assert_int_eq(round_site_state(&f.r, 0)->st.side, SIDE_FAILOVER);
	ck_assert_ptr_null(round_readjob(&f.r));	/* nothing left */
	fix_close(&f);
}
END_TEST

/*
 * Rule 19: an expiring certificate is told once per notify.repeat; a
 * round whose probe says nothing of the certificate (it failed) does not
 * end the condition, only a certificate seen fine does.
 */
START_TEST(test_cert_alert)
{
	static const struct { int what; bool told; } rounds[] = {
		{ 'e', true }, { 'e', false }, { 't', false }, { 'e', false },
		{ 'f', false }, { 'e', true },
	};
	struct probe_result res[2][2];
	struct probe_result *per[2] = { res[0], res[1] };
	struct state_site *a;
	struct fix f;
	time_t told;
	size_t k;

	fix_open(&f);
	known(&f, 0, P1);
	known(&f, 1, P1);
	a = round_site_state(&f.r, 0);
	for (k = 0; k < NELEM(rounds); k++) {
		memset(res, 0, sizeof(res));
		if (rounds[k].what == 't')
			res[0][0].reason = PROBE_TIMEOUT;
		else {
			res[0][0].cert_expires = f.ss.now + 86400;
			res[0][0].cert_expiring = rounds[k].what == 'e';
		}
		told = a->alert_cert_expiring;
		f.ss.now += 10;		/* well inside notify.repeat */
		round_decide(&f.r, per, false);
		ck_assert_msg((a->alert_cert_expiring == f.ss.now) ==
		    rounds[k].told, "round %zu: told %lld, now %lld", k,
		    (long long)a->alert_cert_expiring, (long long)f.ss.now);
		if (rounds[k].what == 'f')
			ck_assert_int_eq(a->alert_cert_expiring, 0);
		else if (!rounds[k].told && k > 0)
			ck_assert_int_eq(a->alert_cert_expiring, told);
		ck_assert_int_eq(a->st.primary[0].cert_expires == 0,
		    rounds[k].what == 't' && k == 0);
		for (size_t i = 0; i < 2; i++)
			health_decision_clear(&f.r.d[i]);
		free(f.r.d);
		f.r.d = NULL;
	}
	fix_close(&f);
}
END_TEST

/* One round with every probe good (rounds[i] as round_decide fills). */
static void
decide_up(struct fix *f)
{
	struct probe_result res[2][2];
	struct probe_result *per[2] = { res[0], res[1] };
	size_t i;

	for (i = 0; f->r.d != NULL && i < 2; i++)
		health_decision_clear(&f->r.d[i]);
	free(f->r.d);
	f->r.d = NULL;
	memset(res, 0, sizeof(res));
	f->ss.now += 60;
	round_decide(&f->r, per, false);
}

/*
 * Rules 20 and 21: failback_ready is told when the wait starts, then
 * per notify.repeat, and no longer once it ends; a flapping site is held
 * in the round that refuses its switch, whatever was pending; the
 * switches are counted by their reason.
 */
START_TEST(test_failback_ready_and_flapping)
{
	struct fix f;
	struct state_site *a, *b;
	struct pubjob *j;
	time_t told;

	fix_open_yaml(&f, "dns: {servers: [127.0.0.1], key_file: k.key}\n"
	    "defaults: {fall: 1, rise: 1}\n"
	    "sites:\n"
	    "  - {name: a.test, zone: test, primary: " P1 ", failover: " F1
	    ", failback: manual}\n"
	    "  - {name: b.test, zone: test, primary: " P1 ", failover: " F1
	    ", flap: {switches: 1, within: 1h}}\n");
	known(&f, 0, P1);
	known(&f, 1, P1);
	decide_switch(&f);
	publish_as(&f, PUBLISH_APPLIED, PUBLISH_APPLIED);
	a = round_site_state(&f.r, 0);
	b = round_site_state(&f.r, 1);
	ck_assert_uint_eq(a->n.switches, 1);
	ck_assert_uint_eq(a->n.failbacks, 0);
	b->pending = true;		/* as if an update were retried */
	decide_up(&f);
	ck_assert_int_eq(f.r.d[0].action, HA_FAILBACK_WAIT);
	ck_assert_int_eq(a->alert_failback_ready, f.ss.now);
	ck_assert_int_eq(f.r.d[1].action, HA_FLAPPING);
	ck_assert(health_hold_flapping(&b->st.hold));
	ck_assert(!b->pending);
	ck_assert(!b->hold_unsent);		/* no peers */
	told = a->alert_failback_ready;
	decide_up(&f);				/* within notify.repeat */
	ck_assert_int_eq(f.r.d[0].action, HA_FAILBACK_WAIT);
	ck_assert_int_eq(a->alert_failback_ready, told);
	ck_assert_int_eq(f.r.d[1].action, HA_HELD);
	/* release: back to primary, counted as release's */
	health_release(&a->st, a->st.published, a->st.npublished, f.ss.now);
	decide_up(&f);
	ck_assert_int_eq(f.r.d[0].action, HA_PUBLISH);
	ck_assert_int_eq(a->alert_failback_ready, 0);
	f.r.manual = true;
	j = round_pubjob(&f.r);
	ck_assert_uint_eq(j->n, 1);
	j->s[0].req.outcome = PUBLISH_APPLIED;
	round_pubjob_judge(&j->s[0]);
	round_pubjob_done(&f.r, j);
	pubjob_free(j);
	ck_assert_uint_eq(a->n.releases, 1);
	ck_assert_uint_eq(a->n.switches, 1);
	ck_assert_int_eq(a->st.side, SIDE_PRIMARY);
	fix_close(&f);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("round");
	TCase *tc = tcase_create("round");

	tcase_add_checked_fixture(tc, unit_tmpdir_setup,
	    unit_tmpdir_teardown);
	tcase_add_test(tc, test_applied_and_already);
	tcase_add_test(tc, test_changed_is_drift);
	tcase_add_test(tc, test_refused_is_pending);
	tcase_add_test(tc, test_dry_run_plans);
	tcase_add_test(tc, test_unknown_not_changed_blindly);
	tcase_add_test(tc, test_busy_site_waits);
	tcase_add_test(tc, test_read_stage);
	tcase_add_test(tc, test_cert_alert);
	tcase_add_test(tc, test_failback_ready_and_flapping);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
