/*
 * round.c: one round over some sites, in the stages round.h lists.
 *
 *	align:   sites no longer configured go, new ones start unknown;
 *	probe:   the canaries, then every address of every site in one
 *		 batch (check);
 *	read:    what DNS serves, where the state does not know it;
 *	decide:  each site's health step; every change logged with its
 *		 reason (rule 9), events raised;
 *	publish: one UPDATE per zone for every site that must change,
 *		 with compare-and-swap prerequisites, verified; outcomes
 *		 written back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "health.h"
#include "log.h"
#include "notify.h"
#include "probe.h"
#include "publish.h"
#include "quorum.h"
#include "round.h"
#include "state.h"
#include "util.h"

struct state_site *
round_site_state(struct round *r, size_t i)
{
	return &r->ss->st.sites[r->idx[i]];
}

static size_t
state_index(struct round *r, const struct site *s)
{
	struct state_site *x = state_find(&r->ss->st, s->name);

	if (x == NULL)
		fatalx("%s: no state (internal error)", s->name);
	return (size_t)(x - r->ss->st.sites);
}

void
round_begin(struct round *r, struct session *ss, const struct site **sites,
    size_t n)
{
	struct state *st = &ss->st;
	size_t i;

	for (i = 0; i < n; i++)
		if (state_find(st, sites[i]->name) == NULL)
			health_init(&state_add(st, sites[i]->name)->st,
			    sites[i], NULL, 0);
	round_batch(r, ss, sites, n);
	for (i = 0; i < n; i++)
		health_adopt(&round_site_state(r, i)->st, sites[i]);
}

void
round_batch(struct round *r, struct session *ss, const struct site **sites,
    size_t n)
{
	size_t i;

	r->ss = ss;
	r->sites = sites;
	r->nsites = n;
	r->idx = xcalloc(n + 1, sizeof(size_t));
	for (i = 0; i < n; i++)
		r->idx[i] = state_index(r, sites[i]);
}

void
round_site_reqs(const struct site *s, struct probe_req *q)
{
	size_t j;

	for (j = 0; j < s->nprimary + s->nfailover; j++) {
		q[j].site = s->name;
		q[j].host = s->check.host ? s->check.host : s->name;
		q[j].addr = j < s->nprimary ? &s->primary[j] :
		    &s->failover[j - s->nprimary];
		q[j].check = &s->check;
	}
}

void
round_canary_spec(struct check_spec *c)
{
	static const struct status_range any = { 100, 599 };

	memset(c, 0, sizeof(*c));
	c->type = CHECK_HTTPS;
	c->http.method = HTTP_HEAD;
	c->http.expect = &any;		/* any answer: the network works */
	c->http.nexpect = 1;
	c->timeout_ms = 5000;
	c->http.tls_verify = true;
	c->http.body_limit = 1;
}

void
round_canary_reqs(const struct config *cfg, const struct check_spec *c,
    struct probe_req *q)
{
	size_t i;

	for (i = 0; i < cfg->ncanaries; i++) {
		memset(&q[i], 0, sizeof(q[i]));
		q[i].url = cfg->canaries[i];
		q[i].check = c;
	}
}

bool
round_canary_verdict(const struct probe_req *q,
    const struct probe_result *res, size_t n)
{
	size_t i, ok = 0, counted = 0;

	for (i = 0; i < n; i++) {
		ok += res[i].reason == PROBE_OK;
		counted += probe_counts(&res[i]);
		log_debug("canary %s: %s (%s)", q[i].url,
		    probe_reason_str(res[i].reason), res[i].detail);
	}
	/* canaries that could not run at all say nothing about the
	 * network: the sites' probes then show what this monitor lacks */
	return ok == 0 && counted > 0;
}

bool
round_canaries(const struct config *cfg, struct prober *p)
{
	struct check_spec c;
	struct probe_req *q;
	struct probe_result *res;
	size_t n = cfg->ncanaries;
	bool iso;

	if (n == 0)
		return false;
	round_canary_spec(&c);
	q = xcalloc(n, sizeof(*q));
	res = xcalloc(n, sizeof(*res));
	round_canary_reqs(cfg, &c, q);
	probe_run(p, q, n, res);
	iso = round_canary_verdict(q, res, n);
	free(q);
	free(res);
	return iso;
}

/* Every address of every site in one batch; results[i] per site. */
static struct probe_result **
probe_all(struct round *r, struct prober *p)
{
	struct probe_result **per = xcalloc(r->nsites + 1, sizeof(*per));
	struct probe_result *res;
	struct probe_req *q;
	size_t i, n = 0, k = 0;

	for (i = 0; i < r->nsites; i++)
		n += r->sites[i]->nprimary + r->sites[i]->nfailover;
	q = xcalloc(n + 1, sizeof(*q));
	res = xcalloc(n + 1, sizeof(*res));
	per[0] = res;		/* owns them, also without sites */
	for (i = 0; i < r->nsites; i++) {
		per[i] = &res[k];
		round_site_reqs(r->sites[i], &q[k]);
		k += r->sites[i]->nprimary + r->sites[i]->nfailover;
	}
	probe_run(p, q, n, res);
	for (i = 0; i < n; i++)
		log_debug("probe %s %s: %s%s%s, %u ms", q[i].host,
		    q[i].addr->text, probe_reason_str(res[i].reason),
		    res[i].reason ? ": " : "", res[i].reason ? res[i].detail :
		    "", res[i].total_ms);
	free(q);
	return per;	/* per[0] owns the results */
}

/*
 * Rule 9: what changed and why, in one line: the addresses that changed
 * health, an expired hold, the decision.
 */
static void
decision_line(const struct health_decision *d, char *line, size_t size)
{
	size_t i, off = 0;

	line[0] = '\0';
	for (i = 0; i < d->ntransitions && off < size; i++)
		off += (size_t)snprintf(line + off, size - off, "%s%s",
		    i ? "; " : "", d->transitions[i]);
	if (d->hold_expired && off < size)
		off += (size_t)snprintf(line + off, size - off,
		    "%shold expired", off ? "; " : "");
	/* a hold that publishes nothing new is not news */
	if (d->reason[0] != '\0' && d->action != HA_NONE &&
	    d->action != HA_HELD && off < size)
		snprintf(line + off, size - off, "%s%s", off ? "; " : "",
		    d->reason);
}

/* A dry run says what it would do, not what it did. */
static void
dry_wording(struct health_decision *d)
{
	static const char *const done[][2] = {
		{ "switched to ", "would switch to " },
		{ "restored to ", "would restore to " },
	};
	char buf[sizeof(d->reason) + 32];
	size_t k, n;

	if (d->action != HA_PUBLISH)
		return;
	for (k = 0; k < sizeof(done) / sizeof(done[0]); k++) {
		n = strlen(done[k][0]);
		if (strncmp(d->reason, done[k][0], n) == 0) {
			snprintf(buf, sizeof(buf), "%s%s", done[k][1],
			    d->reason + n);
			str_copy(d->reason, buf, sizeof(d->reason));
			return;
		}
	}
	snprintf(buf, sizeof(buf), "would publish: %s", d->reason);
	str_copy(d->reason, buf, sizeof(d->reason));
}

static void
log_decision(const struct site *s, const struct health_decision *d)
{
	char line[2048];

	if (d->action == HA_ISOLATED)
		return;			/* said once for the round */
	decision_line(d, line, sizeof(line));
	if (line[0] == '\0')
		return;
	if (d->action == HA_BOTH_DOWN || d->action == HA_FLAPPING)
		log_warnx("%s: %s", s->name, line);
	else
		log_info("%s: %s", s->name, line);
}

/* ---- decisions ---- */

/* Counts the probes of site i (metrics). */
static void
count_probes(struct round *r, size_t i, const struct probe_result *res)
{
	struct state_site *x = round_site_state(r, i);
	size_t k, n = r->sites[i]->nprimary + r->sites[i]->nfailover;

	for (k = 0; res != NULL && k < n; k++)
		if (probe_counts(&res[k])) {
			x->n.probes++;
			x->n.probes_failed += res[k].reason != PROBE_OK;
		}
}

/*
 * Whether no probe of the round could run: every result a local error
 * (no descriptors, no memory, no route).  Returns the first one's detail
 * as the cause, or NULL when some probe ran (or none was made).
 */
static const char *
blind_cause(const struct round *r, struct probe_result **per)
{
	const char *cause = NULL;
	size_t i, k, n;

	for (i = 0; per != NULL && i < r->nsites; i++) {
		n = r->sites[i]->nprimary + r->sites[i]->nfailover;
		for (k = 0; per[i] != NULL && k < n; k++) {
			if (probe_counts(&per[i][k]))
				return NULL;
			if (cause == NULL)
				cause = per[i][k].detail;
		}
	}
	return cause;
}

/*
 * A round that could probe nothing says nothing about any site, so it
 * counts for none (as a cut-off monitor's, rule 10); but it is a
 * failure of the tool, never silence: real outages go unseen.  Logged
 * every round by check, once when it starts and once when it ends by
 * the daemon (r->once); kept in the state for status and the metrics.
 */
static void
note_blind(struct round *r, const char *cause)
{
	struct state *st = &r->ss->st;

	if (cause == NULL) {
		r->last_counted = r->ss->now;
		if (st->blind_since != 0)
			log_info("probes run again (none could since %lld s "
			    "ago)", (long long)(r->ss->now - st->blind_since));
		st->blind_since = 0;
		st->blind_cause[0] = '\0';
		return;
	}
	/* one daemon batch whose probes could not run (an unreadable
	 * ca_file, no IPv6 route) is that site's trouble, not blindness */
	if (r->once && r->ss->now - r->last_counted < (time_t)r->blind_window)
		return;
	r->failed = true;
	st->blind_rounds++;
	if (st->blind_since == 0 || !r->once)
		log_warnx("error: no probe could run (%s); this round counts "
		    "for no site and outages go unseen until probes run "
		    "again", cause);
	if (st->blind_since == 0)
		st->blind_since = r->ss->now;
	str_copy(st->blind_cause, cause, sizeof(st->blind_cause));
}

/*
 * Rule 19: an expiring certificate is told when it is first seen, then
 * every notify.repeat; the address stays up.
 */
static void
cert_warn(struct round *r, size_t i, const struct health_decision *d)
{
	struct state_site *x = round_site_state(r, i);

	if (d->cert_warning[0] == '\0') {
		/* over only when a certificate was seen fine: a probe that
		 * failed, or none, says nothing about it */
		if (d->cert_fine)
			x->alert_cert_expiring = 0;
		return;
	}
	if (!session_alert_due(r->ss, &x->alert_cert_expiring))
		return;
	log_warnx("%s: %s", r->sites[i]->name, d->cert_warning);
	session_event(r->ss, EV_CERT_EXPIRING, r->sites[i], x->st.side,
	    x->st.side, NULL, 0, d->cert_warning);
}

/*
 * Rule 20: failback: manual waits for release; told when it starts,
 * then every notify.repeat (due: now).  Rule 21: held for flapping from
 * this round on: told once, and the hold goes to the peers as a flip's.
 */
static void
failback_flap(struct round *r, size_t i, const struct health_decision *d,
    bool due)
{
	struct state_site *x = round_site_state(r, i);

	if (due)
		session_event(r->ss, EV_FAILBACK_READY, r->sites[i],
		    x->st.side, SIDE_PRIMARY, NULL, 0, d->reason);
	else if (!d->failback_ready && d->action != HA_ISOLATED)
		x->alert_failback_ready = 0;
	if (d->action != HA_FLAPPING)
		return;
	x->pending = false;
	x->hold_unsent = r->ss->votes != NULL;
	session_event(r->ss, EV_FLAPPING, r->sites[i], x->st.side, x->st.side,
	    NULL, 0, d->reason);
}

void
round_decide(struct round *r, struct probe_result **per, bool iso)
{
	const char *blind = iso ? NULL : blind_cause(r, per);
	bool due, fb_due;
	size_t i;

	r->d = xcalloc(r->nsites + 1, sizeof(*r->d));
	for (i = 0; i < r->nsites; i++) {
		struct state_site *x = round_site_state(r, i);
		const struct health_decision *d = &r->d[i];

		if (!iso)
			count_probes(r, i, per ? per[i] : NULL);
		health_step(r->sites[i], &x->st, per ? per[i] : NULL,
		    iso || blind != NULL, r->ss->now, &r->d[i]);
		if (d->hold_expired && r->ss->votes != NULL)
			x->hold_unsent = true;	/* rule 15: ends for all */
		if (r->ss->dry_run)
			dry_wording(&r->d[i]);
		due = d->action == HA_BOTH_DOWN &&
		    session_alert_due(r->ss, &x->alert_both_down);
		fb_due = d->failback_ready &&
		    session_alert_due(r->ss, &x->alert_failback_ready);
		/* a publish is told with its outcome, in finish_site(); a
		 * lasting both-down or failback wait as often as its event,
		 * or when an address changes */
		if ((d->action != HA_PUBLISH || r->ss->dry_run) &&
		    ((d->action != HA_BOTH_DOWN &&
		    d->action != HA_FAILBACK_WAIT) || due || fb_due ||
		    d->ntransitions > 0))
			log_decision(r->sites[i], d);
		/* DNS already matches: whatever was pending is moot */
		if (d->action == HA_NONE)
			x->pending = false;
		if (due)
			session_event(r->ss, EV_BOTH_DOWN, r->sites[i],
			    x->st.side, x->st.side, NULL, 0, d->reason);
		else if (d->action != HA_BOTH_DOWN && d->action != HA_ISOLATED)
			x->alert_both_down = 0;
		if (per != NULL && per[i] != NULL && !iso)
			cert_warn(r, i, d);
		failback_flap(r, i, d, fb_due);
	}
	if (iso) {
		log_warnx("every canary failed: this monitor seems cut off; "
		    "nothing changes this round");
		if (session_alert_due(r->ss, &r->ss->st.alert_isolated))
			session_event(r->ss, EV_MONITOR_ISOLATED, NULL,
			    SIDE_PRIMARY, SIDE_PRIMARY, NULL, 0, "every canary "
			    "failed: this monitor seems cut off; nothing "
			    "changes");
	} else if (per != NULL && blind == NULL)
		r->ss->st.alert_isolated = 0;
	if (per != NULL && !iso)
		note_blind(r, blind);
}

/* ---- reading ---- */

struct readjob *
round_readjob(struct round *r)
{
	struct readjob *j = NULL;
	size_t i;

	for (i = 0; i < r->nsites; i++) {
		if (round_site_state(r, i)->st.published_known ||
		    (r->busy != NULL && r->busy[i]))
			continue;
		if (j == NULL) {
			j = xcalloc(1, sizeof(*j));
			j->s = xcalloc(r->nsites - i + 1, sizeof(*j->s));
		}
		j->s[j->n++].site = r->sites[i];
	}
	return j;
}

void
readjob_run(struct readjob *j)
{
	size_t i;

	for (i = 0; i < j->n; i++) {
		struct readsite *p = &j->s[i];
		const struct site *s = p->site;

		p->ok = publish_read(s->dns, &s->records[0], 1, &p->addrs,
		    &p->naddrs, p->err, sizeof(p->err)) == 0;
	}
}

void
round_readjob_done(struct round *r, const struct readjob *j)
{
	struct state_site *x;
	const struct site *s;
	char set[256];
	size_t i;

	for (i = 0; i < j->n; i++) {
		const struct readsite *p = &j->s[i];

		/* by name: a reload may have come between */
		if ((s = config_site_find(r->ss->cfg, p->site->name)) == NULL ||
		    (x = state_find(&r->ss->st, s->name)) == NULL ||
		    x->st.published_known)
			continue;	/* removed, or known meanwhile */
		if (!p->ok) {
			log_warnx("%s: cannot read the published addresses: "
			    "%s", s->name, p->err);
			str_copy(x->unread, p->err, sizeof(x->unread));
			continue;
		}
		x->unread[0] = '\0';
		health_learned(&x->st, s, p->addrs, p->naddrs);
		addr_list_str(p->addrs, p->naddrs, set, sizeof(set));
		/* the daemon tells it; for check it is the usual start */
		(r->once ? log_info : log_debug)("%s: the server publishes "
		    "%s; deciding from that", s->name, p->naddrs ? set :
		    "no address");
	}
}

void
readjob_free(struct readjob *j)
{
	size_t i;

	if (j == NULL)
		return;
	for (i = 0; i < j->n; i++)
		free(j->s[i].addrs);
	free(j->s);
	free(j);
}

/* ---- publishing ---- */

/* One site's part of the job: what is published now, what is wanted. */
static void
pubsite_init(struct pubsite *p, const struct site *s, struct state_site *x,
    struct health_decision *d, bool dry_run)
{
	p->site = s;
	p->d = *d;		/* takes want over */
	d->want = NULL;
	d->nwant = 0;
	p->result = PUB_FAILED;
	publish_req_init(&p->req, s->dns, s->records, s->nrecords, s->zone,
	    s->ttl, p->d.want, p->d.nwant);
	p->req.dry_run = dry_run;
	p->req.cas = !x->st.hold.active;	/* a flip writes as it is */
	if (!p->req.cas)
		return;
	/* compare-and-swap needs the current set */
	if (!x->st.published_known) {
		p->skip = true;
		snprintf(p->why, sizeof(p->why), "the published addresses are "
		    "unknown (%.200s); not changing them blindly", x->unread[0] ?
		    x->unread : "not read yet");
		return;
	}
	p->req.nexpect = x->st.npublished;
	p->expect = xcalloc(p->req.nexpect + 1, sizeof(*p->expect));
	if (p->req.nexpect > 0)
		memcpy(p->expect, x->st.published, p->req.nexpect *
		    sizeof(*p->expect));
	p->req.expect = p->expect;
}

struct pubjob *
round_pubjob(struct round *r)
{
	struct pubjob *j = xcalloc(1, sizeof(*j));
	size_t i;

	j->s = xcalloc(r->nsites + 1, sizeof(*j->s));
	j->dry_run = r->ss->dry_run;
	j->manual = r->manual;
	for (i = 0; i < r->nsites; i++) {
		if (r->d[i].action != HA_PUBLISH)
			continue;
		/* decided again when the update in flight is done; a switch
		 * must still be told as one then */
		if (r->busy != NULL && r->busy[i])
			health_unswitch(&round_site_state(r, i)->st, &r->d[i]);
		else
			pubsite_init(&j->s[j->n++], r->sites[i],
			    round_site_state(r, i), &r->d[i], j->dry_run);
	}
	return j;
}

size_t
round_pubjob_gate(struct round *r, struct pubjob *j)
{
	struct state_site *x;
	char why[1024];
	size_t i, left = 0;

	for (i = 0; i < j->n; i++) {
		struct pubsite *p = &j->s[i];

		/* a flip's held side passes (no cas, below); what a release
		 * hands back to automatic control is an automatic change,
		 * agreed like any other (rule 13) */
		if (p->skip || r->ss->votes == NULL ||
		    (x = state_find(&r->ss->st, p->site->name)) == NULL) {
			left += !p->skip;
			continue;
		}
		if (!p->req.cas) {	/* a held side, as flip wrote it */
			if (!x->st.hold.active) {
				/* the exchange found it released: the side
				 * it held is no one's wish any more */
				p->skip = true;
				p->result = PUB_UNAGREED;
				snprintf(p->why, sizeof(p->why), "released on "
				    "another monitor meanwhile");
				continue;
			}
		} else if (x->st.hold.active) {
			p->skip = p->held_now = true;
			p->result = PUB_UNAGREED;
			snprintf(p->why, sizeof(p->why), "held on another "
			    "monitor meanwhile");
			continue;
		} else if (!quorum_agrees(r->ss, p->site, &p->d, why,
		    sizeof(why))) {
			p->skip = true;
			p->result = PUB_UNAGREED;
			str_copy(p->why, why, sizeof(p->why));
			continue;
		} else if (strlen(p->d.reason) + strlen(why) + 3 <
		    sizeof(p->d.reason)) {
			strcat(p->d.reason, "; ");
			strcat(p->d.reason, why);
		}
		left++;
	}
	return left;
}

void
round_pubjob_judge(struct pubsite *p)
{
	const struct publish_req *q = &p->req;
	char *plan;

	switch (q->outcome) {
	case PUBLISH_APPLIED:
	case PUBLISH_ALREADY:
		p->result = PUB_APPLIED;
		return;
	case PUBLISH_PLANNED:
		plan = xasprintf("%s: would publish %s in zone %s:\n%s",
		    p->site->name, side_str(p->d.want_side), q->zone_found,
		    q->plan != NULL ? q->plan : "");
		free(p->req.plan);
		p->req.plan = plan;
		p->result = PUB_DRY;
		return;
	case PUBLISH_CHANGED:
		p->result = PUB_DRIFT;
		break;
	default:
		p->result = PUB_FAILED;
	}
	str_copy(p->why, q->why, sizeof(p->why));
}

void
pubjob_run(struct pubjob *j)
{
	struct publish_req **q = xcalloc(j->n + 1, sizeof(*q));
	size_t i, n = 0;

	for (i = 0; i < j->n; i++)
		if (!j->s[i].skip)
			q[n++] = &j->s[i].req;
	publish_run(q, n);
	for (i = 0; i < j->n; i++)
		if (!j->s[i].skip)
			round_pubjob_judge(&j->s[i]);
	free(q);
}

/*
 * Rule 22: why a switch to failover was made, in the words of the probes
 * ("primary 192.0.2.10 down: HTTP 503"), after the decision's own
 * reason: the address that failed may have been judged rounds before.
 */
static void
with_cause(const struct site_state *st, const struct health_decision *d,
    char *buf, size_t size)
{
	size_t k, off;
	char a[ADDR_STRLEN + 8];

	str_copy(buf, d->reason, size);
	if (!d->side_changed || d->want_side != SIDE_FAILOVER)
		return;
	for (k = 0; k < st->nprimary; k++) {
		const struct addr_state *p = &st->primary[k];

		if (p->health != HEALTH_DOWN)
			continue;
		addr_list_str(&p->addr, 1, a, sizeof(a));
		off = strlen(buf);
		if (off + 1 < size)
			snprintf(buf + off, size - off, "%s primary %s down%s%s",
			    strstr(buf, ": primary ") ? ";" : ":", a,
			    p->last_error[0] ? ": " : "", p->last_error);
	}
}

static void
site_applied(struct round *r, const struct pubjob *j, const struct pubsite *p,
    struct state_site *x, const char *line)
{
	const struct health_decision *d = &p->d;
	enum side from = d->side_changed ? !d->want_side : d->want_side;
	char why[sizeof(x->st.last_reason)];

	/* rule 13: a refused swap that found the records as wanted, with
	 * peers, is a peer's switch: done, and told once, by that peer */
	bool peers = r->ss->votes != NULL && p->req.cas &&
	    p->req.outcome == PUBLISH_ALREADY && p->req.why[0] != '\0';

	with_cause(&x->st, d, why, sizeof(why));
	health_published(&x->st, d->want, d->nwant, r->ss->now, why);
	x->pending = false;
	x->alert_update_failed = 0;
	if (peers) {
		log_info("%s: %s (already made by a peer)", p->site->name,
		    line);
		return;
	}
	struct event_detail dt = { NULL, "NOERROR", p->req.serial, false };

	x->n.updates_applied++;
	log_info("%s: %s", p->site->name, line);
	if (j->manual) {
		x->n.releases += d->side_changed;	/* release's switch */
		/* the flip or release event told it; the history has the
		 * change too (rule 22), with its answer and serial */
		dt.who = x->st.hold.active ? x->st.hold.who : NULL;
		dt.history_only = true;
		session_event_detail(r->ss, EV_UPDATE_APPLIED, p->site, from,
		    d->want_side, d->want, d->nwant, line, &dt);
		return;
	}
	if (d->side_changed) {
		x->n.switches++;
		x->n.failbacks += d->want_side == SIDE_PRIMARY;
	}
	session_event_detail(r->ss, d->side_changed ? EV_SWITCH :
	    EV_UPDATE_APPLIED, p->site, from, d->want_side, d->want, d->nwant,
	    line, &dt);
}

/* Rule 12: someone else changed the records. */
static void
site_drift(struct round *r, const struct pubsite *p, struct state_site *x,
    const char *line)
{
	const struct health_decision *d = &p->d;
	enum side from = d->side_changed ? !d->want_side : d->want_side;

	health_drift(&x->st);
	str_copy(x->drift_served, p->req.served, sizeof(x->drift_served));
	x->pending = false;
	log_warnx("%s: %s; not done: the records were changed by someone "
	    "else (%s); no automatic change until flip or release",
	    p->site->name, line, p->why);
	struct event_detail dt = { NULL, p->why, -1, false };
	char why[sizeof(p->why) + sizeof(x->drift_served) + 32];

	snprintf(why, sizeof(why), "%s; the server served %s", p->why,
	    x->drift_served[0] ? x->drift_served : "(not read)");
	session_event_detail(r->ss, EV_DRIFT, p->site, from, d->want_side,
	    d->want, d->nwant, why, &dt);
}

/* Rule 7: not applied, kept pending, retried every round. */
static void
site_pending(struct round *r, const struct pubsite *p, struct state_site *x,
    const char *line)
{
	const struct health_decision *d = &p->d;
	enum side from = d->side_changed ? !d->want_side : d->want_side;

	if (!x->pending)
		x->pending_since = r->ss->now;
	x->pending = true;
	free(x->want);
	x->want = xcalloc(d->nwant + 1, sizeof(*x->want));
	if (d->nwant > 0)
		memcpy(x->want, d->want, d->nwant * sizeof(*d->want));
	x->nwant = d->nwant;
	str_copy(x->pending_error, p->why, sizeof(x->pending_error));
	x->n.updates_failed++;
	log_warnx("%s: %s; not %s: %s; kept pending", p->site->name, line,
	    p->skip ? "done" : "applied yet", p->why);
	r->failed = true;
	if (session_alert_due(r->ss, &x->alert_update_failed))
		session_event_detail(r->ss, EV_UPDATE_FAILED, p->site, from,
		    d->want_side, d->want, d->nwant, p->why,
		    &(struct event_detail){ NULL, p->why, -1, false });
}

/* Rule 13: not agreed by enough peers; not made, and said once. */
static void
site_unagreed(const struct pubsite *p, struct state_site *x)
{
	struct health_decision d = p->d;
	uint32_t h = (uint32_t)str_hash(p->why) | 1;

	if (!p->held_now)
		health_no_quorum(&x->st, &d, p->why);
	x->pending = false;
	if (x->quorum_note != h)
		log_info("%s: %s", p->site->name, p->why);
	x->quorum_note = h;
}

/* What one site's outcome means for its state, the log and the events. */
static void
finish_site(struct round *r, const struct pubjob *j, const struct pubsite *p)
{
	struct state_site *x = state_find(&r->ss->st, p->site->name);
	char line[2048];

	if (p->result == PUB_UNAGREED) {
		if (x != NULL)
			site_unagreed(p, x);
		return;
	}
	if (p->result == PUB_DRY) {
		r->plans = xreallocarray(r->plans, r->nplans + 1,
		    sizeof(*r->plans));
		r->plans[r->nplans++] = xstrdup(p->req.plan);
		return;
	}
	if (x != NULL)
		x->quorum_note = 0;
	decision_line(&p->d, line, sizeof(line));
	if (x == NULL)		/* removed by a reload meanwhile */
		log_info("%s: %s (%s; the site is no longer configured)",
		    p->site->name, line, p->result == PUB_APPLIED ?
		    "applied" : p->why);
	else if (p->result == PUB_APPLIED)
		site_applied(r, j, p, x, line);
	else if (p->result == PUB_DRIFT)
		site_drift(r, p, x, line);
	else
		site_pending(r, p, x, line);
}

void
round_pubjob_done(struct round *r, const struct pubjob *j)
{
	size_t i;

	for (i = 0; i < j->n; i++)
		finish_site(r, j, &j->s[i]);
}

void
pubjob_free(struct pubjob *j)
{
	size_t i;

	if (j == NULL)
		return;
	for (i = 0; i < j->n; i++) {
		struct pubsite *p = &j->s[i];

		publish_req_clear(&p->req);
		free(p->expect);
		health_decision_clear(&p->d);
	}
	free(j->s);
	free(j);
}

void
round_read(struct round *r)
{
	struct readjob *j = round_readjob(r);

	if (j == NULL)
		return;
	readjob_run(j);
	round_readjob_done(r, j);
	readjob_free(j);
}

void
round_vote(struct round *r, bool beat, bool fetch)
{
	struct votejob *j = quorum_job(r->ss, beat, fetch);

	if (j == NULL)
		return;
	votejob_run(j);
	if (!quorum_job_done(r->ss, j))
		r->failed = true;
	votejob_free(j);
}

static void
publish(struct round *r)
{
	struct pubjob *j = round_pubjob(r);

	round_pubjob_gate(r, j);
	pubjob_run(j);
	round_pubjob_done(r, j);
	pubjob_free(j);
}

void
round_check(struct round *r, struct prober *p)
{
	uint64_t t0 = mono_ms();
	struct probe_result **per = NULL;
	bool iso = round_canaries(r->ss->cfg, p);

	r->isolated = iso;
	if (!iso)
		per = probe_all(r, p);
	round_read(r);
	round_decide(r, per, iso);
	/* a monitor whose probes did not count has no view to give */
	round_vote(r, !iso && per != NULL && r->ss->st.blind_since == 0,
	    true);
	publish(r);
	if (per != NULL)
		free(per[0]);
	free(per);
	r->seconds = (double)(mono_ms() - t0) / 1000;
}

void
round_apply(struct round *r)
{
	r->manual = true;
	round_decide(r, NULL, false);
	publish(r);
}

void
round_batch_clear(struct round *r)
{
	size_t i;

	for (i = 0; r->d != NULL && i < r->nsites; i++)
		health_decision_clear(&r->d[i]);
	for (i = 0; i < r->nplans; i++)
		free(r->plans[i]);
	free(r->plans);
	free(r->d);
	free(r->sites);
	free(r->idx);
	r->d = NULL;
	r->sites = NULL;
	r->idx = NULL;
	r->plans = NULL;
	r->nsites = r->nplans = 0;
}
