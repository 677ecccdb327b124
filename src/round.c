/*
 * round.c: one round over some sites, shared by check, flip and release
 * (and later the daemon):
 *
 *	lock the state, load it, bring it in line with sitelist.yaml
 *	(new sites start from what the server publishes now);
 *	probe the canaries, then every address of every site in one batch;
 *	step each site's health; log every change with its reason;
 *	one UPDATE per zone for every site that must change, with
 *	compare-and-swap prerequisites, verified;
 *	save the state.
 */
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "cmd.h"
#include "config.h"
#include "dnsupdate.h"
#include "health.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "probe.h"
#include "round.h"
#include "state.h"
#include "util.h"


struct state_site *
round_site_state(struct round *r, size_t i)
{
	return &r->st.sites[r->idx[i]];
}

/* The sites named (names or globs), or all; -1 for a name that matches
 * nothing. */
static int
select_sites(struct round *r, int argc, char **argv)
{
	size_t i;
	int a, hit;

	r->sites = xcalloc(r->cfg->nsites + 1, sizeof(*r->sites));
	for (i = 0; i < r->cfg->nsites; i++) {
		for (a = 1, hit = argc == 1; a < argc && !hit; a++)
			hit = fnmatch(argv[a], r->cfg->sites[i].name,
			    FNM_CASEFOLD) == 0;
		if (hit)
			r->sites[r->nsites++] = &r->cfg->sites[i];
	}
	for (a = 1; a < argc; a++) {
		for (i = 0, hit = 0; i < r->nsites && !hit; i++)
			hit = fnmatch(argv[a], r->sites[i]->name,
			    FNM_CASEFOLD) == 0;
		if (!hit) {
			fprintf(stderr, "dnsfailover: no site matches %s\n",
			    argv[a]);
			return -1;
		}
	}
	return 0;
}

/*
 * What the server publishes for the site now; NULL (and a warning) if it
 * cannot be read.  *none stands for "known, no address".
 */
static struct addr *
published_now(const struct site *site, size_t *n, struct addr *none)
{
	struct addr *pub = NULL;
	char err[256];

	if (dnsupdate_read_addrs(site->dns, &site->records[0], 1, &pub, n, err,
	    sizeof(err)) == -1) {
		log_warnx("%s: cannot read the published addresses: %s",
		    site->name, err);
		return NULL;
	}
	return pub != NULL ? pub : none;
}

/* A new site starts from what its server publishes now (rule 5). */
static void
site_fresh(struct site_state *st, const struct site *site)
{
	struct addr none, *pub;
	size_t npub = 0;

	pub = published_now(site, &npub, &none);
	health_init(st, site, pub, npub);	/* NULL: unknown */
	if (pub != &none)
		free(pub);
}

/* A site whose published set could not be read before: try again. */
static void
site_reread(struct site_state *st, const struct site *site)
{
	struct addr none, *pub;
	size_t npub = 0;

	if ((pub = published_now(site, &npub, &none)) == NULL)
		return;
	health_published(st, pub, npub, st->last_change, st->last_reason);
	if (pub != &none)
		free(pub);
}

/*
 * Brings the state in line with sitelist.yaml: removed sites go, new
 * ones start fresh, known ones keep the counters of the addresses still
 * configured.
 */
void
round_align(struct round *r)
{
	bool *fresh = xcalloc(r->nsites + 1, sizeof(bool));
	size_t i;

	state_prune(&r->st, r->cfg);
	for (i = 0; i < r->nsites; i++)
		if ((fresh[i] = state_find(&r->st, r->sites[i]->name) == NULL))
			state_add(&r->st, r->sites[i]->name);
	r->idx = xcalloc(r->nsites + 1, sizeof(size_t));
	for (i = 0; i < r->nsites; i++) {
		r->idx[i] = (size_t)(state_find(&r->st, r->sites[i]->name) -
		    r->st.sites);
		if (fresh[i] && r->lazy)	/* read by its first update */
			health_init(&round_site_state(r, i)->st, r->sites[i],
			    NULL, 0);
		else if (fresh[i])
			site_fresh(&round_site_state(r, i)->st, r->sites[i]);
		else {
			health_adopt(&round_site_state(r, i)->st, r->sites[i]);
			if (!round_site_state(r, i)->st.published_known &&
			    !r->lazy)
				site_reread(&round_site_state(r, i)->st,
				    r->sites[i]);
		}
	}
	free(fresh);
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

bool
round_canaries(const struct config *cfg, struct prober *p)
{
	struct check_spec c;
	struct probe_req *q;
	struct probe_result *res;
	size_t i, ok = 0, counted = 0, n = cfg->ncanaries;

	if (n == 0)
		return false;
	round_canary_spec(&c);
	q = xcalloc(n, sizeof(*q));
	res = xcalloc(n, sizeof(*res));
	for (i = 0; i < n; i++) {
		q[i].url = cfg->canaries[i];
		q[i].check = &c;
	}
	probe_run(p, q, n, res);
	for (i = 0; i < n; i++) {
		ok += res[i].reason == PROBE_OK;
		counted += probe_counts(&res[i]);
		log_debug("canary %s: %s (%s)", q[i].url,
		    probe_reason_str(res[i].reason), res[i].detail);
	}
	free(q);
	free(res);
	/* canaries that could not run at all say nothing about the
	 * network: the sites' probes then show what this monitor lacks */
	return ok == 0 && counted > 0;
}

/* Every address of every site in one batch; results[i] per site. */
static struct probe_result **
probe_all(struct round *r, struct prober *p)
{
	struct probe_result **per = xcalloc(r->nsites + 1, sizeof(*per));
	struct probe_result *res;
	struct probe_req *q;
	size_t i, j, n = 0, k = 0;

	for (i = 0; i < r->nsites; i++)
		n += r->sites[i]->nprimary + r->sites[i]->nfailover;
	q = xcalloc(n + 1, sizeof(*q));
	res = xcalloc(n + 1, sizeof(*res));
	for (i = 0; i < r->nsites; i++) {
		const struct site *s = r->sites[i];

		per[i] = &res[k];
		for (j = 0; j < s->nprimary + s->nfailover; j++, k++) {
			q[k].host = s->check.host ? s->check.host : s->name;
			q[k].addr = j < s->nprimary ? &s->primary[j] :
			    &s->failover[j - s->nprimary];
			q[k].check = &s->check;
		}
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

static void
log_decision(const struct site *s, const struct health_decision *d)
{
	char line[2048];

	if (d->action == HA_ISOLATED)
		return;			/* said once for the round */
	decision_line(d, line, sizeof(line));
	if (line[0] == '\0')
		return;
	if (d->action == HA_BOTH_DOWN)
		log_warnx("%s: %s", s->name, line);
	else
		log_info("%s: %s", s->name, line);
}

/* ---- events ---- */

void
round_event(struct round *r, enum event_kind k, const struct site *s,
    enum side from, enum side to, const struct addr *a, size_t n,
    const char *reason)
{
	struct event ev;

	if (r->notify == NULL || r->g->dry_run)
		return;
	event_init(&ev, k, s ? s->name : NULL, r->now);
	if (s != NULL) {
		str_copy(ev.from, side_str(from), sizeof(ev.from));
		str_copy(ev.to, side_str(to), sizeof(ev.to));
		addr_list_str(a, n, ev.addresses, sizeof(ev.addresses));
	}
	str_copy(ev.reason, reason, sizeof(ev.reason));
	notify_send(r->notify, &ev);
}

/*
 * A condition that lasts (both down, an update that keeps failing, the
 * monitor cut off) is told when it starts, then again every
 * notify.repeat while it lasts; *last is when it was last told.
 */
static bool
alert_due(const struct round *r, time_t *last)
{
	if (*last != 0 && (uint64_t)(r->now - *last) * 1000 <
	    r->cfg->notify_repeat_ms)
		return false;
	*last = r->now;
	return true;
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
	struct state *st = &r->st;

	if (cause == NULL) {
		r->last_counted = r->now;
		if (st->blind_since != 0)
			log_info("probes run again (none could since %lld s "
			    "ago)", (long long)(r->now - st->blind_since));
		st->blind_since = 0;
		st->blind_cause[0] = '\0';
		return;
	}
	/* one daemon batch whose probes could not run (an unreadable
	 * ca_file, no IPv6 route) is that site's trouble, not blindness */
	if (r->once && r->now - r->last_counted < (time_t)r->blind_window)
		return;
	r->failed = true;
	st->blind_rounds++;
	if (st->blind_since == 0 || !r->once)
		log_warnx("error: no probe could run (%s); this round counts "
		    "for no site and outages go unseen until probes run "
		    "again", cause);
	if (st->blind_since == 0)
		st->blind_since = r->now;
	str_copy(st->blind_cause, cause, sizeof(st->blind_cause));
}

void
round_decide(struct round *r, struct probe_result **per, bool iso)
{
	const char *blind = iso ? NULL : blind_cause(r, per);
	bool due;
	size_t i;

	r->d = xcalloc(r->nsites + 1, sizeof(*r->d));
	for (i = 0; i < r->nsites; i++) {
		struct state_site *x = round_site_state(r, i);
		const struct health_decision *d = &r->d[i];

		if (!iso)
			count_probes(r, i, per ? per[i] : NULL);
		health_step(r->sites[i], &x->st, per ? per[i] : NULL,
		    iso || blind != NULL, r->now, &r->d[i]);
		due = d->action == HA_BOTH_DOWN &&
		    alert_due(r, &x->alert_both_down);
		/* a publish is told with its outcome, in finish_site(); a
		 * lasting both-down as often as its event, or when an
		 * address changes */
		if ((d->action != HA_PUBLISH || r->g->dry_run) &&
		    (d->action != HA_BOTH_DOWN || due || d->ntransitions > 0))
			log_decision(r->sites[i], d);
		/* DNS already matches: whatever was pending is moot */
		if (d->action == HA_NONE)
			x->pending = false;
		if (due)
			round_event(r, EV_BOTH_DOWN, r->sites[i], x->st.side,
			    x->st.side, NULL, 0, d->reason);
		else if (d->action != HA_BOTH_DOWN && d->action != HA_ISOLATED)
			x->alert_both_down = 0;
	}
	if (iso) {
		log_warnx("every canary failed: this monitor seems cut off; "
		    "nothing changes this round");
		if (alert_due(r, &r->st.alert_isolated))
			round_event(r, EV_MONITOR_ISOLATED, NULL, SIDE_PRIMARY,
			    SIDE_PRIMARY, NULL, 0, "every canary failed: "
			    "this monitor seems cut off; nothing changes");
	} else if (per != NULL && blind == NULL)
		r->st.alert_isolated = 0;
	if (per != NULL && !iso)
		note_blind(r, blind);
}

/* ---- publishing ---- */

static const char *
type_str(uint16_t t)
{
	return t == DU_TYPE_A ? "A" : t == DU_TYPE_AAAA ? "AAAA" : "?";
}

/* -n: the exact change, in words. */
static void
print_change(const struct du_change *c)
{
	size_t i, j;

	printf("  %s:", c->name);
	for (i = 0; i < c->nprereqs; i++) {
		const struct du_prereq *p = &c->prereqs[i];

		printf(" require %s %s", type_str(p->set.type),
		    p->kind == DU_PRE_ABSENT ? "absent" : "=");
		for (j = 0; j < p->set.nrdata; j++)
			printf(" %s", p->set.rdata[j]);
		printf(";");
	}
	for (i = 0; i < c->nsets; i++) {
		if (du_set_noop(c, &c->sets[i]))
			continue;	/* not sent */
		printf(" %s %s", c->sets[i].nrdata ? "set" : "delete",
		    type_str(c->sets[i].type));
		for (j = 0; j < c->sets[i].nrdata; j++)
			printf(" %s", c->sets[i].rdata[j]);
		if (c->sets[i].nrdata)
			printf(" (ttl %u)", c->ttl);
		printf(";");
	}
	printf("\n");
}

struct pubjob *
round_pubjob(struct round *r)
{
	struct pubjob *j = xcalloc(1, sizeof(*j));
	size_t i, k;

	j->s = xcalloc(r->nsites + 1, sizeof(*j->s));
	j->dry_run = r->g->dry_run;
	j->manual = r->manual;
	for (i = 0; i < r->nsites; i++) {
		const struct site *s = r->sites[i];
		struct state_site *x = round_site_state(r, i);
		struct pubsite *p;

		if (r->d[i].action != HA_PUBLISH)
			continue;
		if (r->busy != NULL && r->busy[i]) {
			/* decided again when the update in flight is done;
			 * a switch must still be told as one then */
			if (r->d[i].side_changed)
				x->st.side = r->d[i].want_side == SIDE_PRIMARY ?
				    SIDE_FAILOVER : SIDE_PRIMARY;
			continue;
		}
		p = &j->s[j->n++];
		p->site = s;
		p->d = r->d[i];		/* takes want over */
		r->d[i].want = NULL;
		r->d[i].nwant = 0;
		p->cas = !x->st.hold.active;
		p->result = PUB_FAILED;
		p->recs = xcalloc(s->nrecords, sizeof(*p->recs));
		p->o = xcalloc(s->nrecords, sizeof(*p->o));
		/* compare-and-swap needs the current set (a flip does not):
		 * unknown, it is read first, in pubjob_run() */
		if (!x->st.published_known && p->cas) {
			p->reread = true;
			continue;
		}
		p->nexpect = x->st.npublished;
		p->expect = xcalloc(p->nexpect + 1, sizeof(*p->expect));
		if (p->nexpect > 0)
			memcpy(p->expect, x->st.published, p->nexpect *
			    sizeof(*p->expect));
		for (k = 0; k < s->nrecords; k++)
			du_addrs_init(&p->recs[k], s->records[k], s->ttl,
			    p->d.want, p->d.nwant, p->expect, p->nexpect, p->cas);
	}
	return j;
}

/*
 * The published set of p's site, read now: -1 (and why) if it cannot be
 * read, 1 if it is not what the decision was based on (the side must be
 * decided again from it: a restart on failover must not rush back to
 * unconfirmed primaries), 0 to go on with the update.
 */
static int
reread(struct pubsite *p)
{
	const struct site *s = p->site;
	char err[200];
	size_t k;

	if (dnsupdate_read_addrs(s->dns, &s->records[0], 1, &p->expect,
	    &p->nexpect, err, sizeof(err)) == -1) {
		snprintf(p->why, sizeof(p->why), "the published addresses "
		    "are unknown (%s); not changing them blindly", err);
		return -1;
	}
	if (p->expect == NULL)
		p->expect = xcalloc(1, sizeof(*p->expect));
	p->learned = true;
	if (!addr_same_set(p->expect, p->nexpect, p->d.want, p->d.nwant))
		return 1;
	for (k = 0; k < s->nrecords; k++)
		du_addrs_init(&p->recs[k], s->records[k], s->ttl, p->d.want,
		    p->d.nwant, p->expect, p->nexpect, p->cas);
	return 0;
}

/*
 * Whether every record of s already serves want: an earlier update that
 * was applied but not confirmed (its reply or verification lost) makes
 * the retry's prerequisite fail without anyone else being involved.
 */
static bool
already_served(const struct site *s, const struct addr *want, size_t n)
{
	struct addr **a = xcalloc(s->nrecords, sizeof(*a));
	size_t *na = xcalloc(s->nrecords, sizeof(*na)), k;
	char err[256];
	bool same;

	same = dnsupdate_read_addrs(s->dns, s->records, s->nrecords, a, na,
	    err, sizeof(err)) == 0;
	for (k = 0; k < s->nrecords; k++) {
		same = same && addr_same_set(a[k], na[k], want, n);
		free(a[k]);
	}
	free(a);
	free(na);
	return same;
}

/* One site's outcomes, in words. */
static void
judge_site(struct pubsite *p, const struct du_report *rep)
{
	const struct site *s = p->site;
	size_t k, applied = 0, prereq = 0;

	for (k = 0; k < s->nrecords; k++) {
		applied += p->o[k] == DU_APPLIED;
		prereq += p->o[k] == DU_PREREQ_FAILED;
	}
	if (applied < s->nrecords && prereq > 0 &&
	    already_served(s, p->d.want, p->d.nwant))
		applied = s->nrecords;
	p->result = applied == s->nrecords ? PUB_APPLIED : prereq > 0 ?
	    PUB_DRIFT : PUB_FAILED;
	if (p->result != PUB_APPLIED)
		str_copy(p->why, rep->msg, sizeof(p->why));
}

/* Sites with the same DNS settings and zone: one call, one message. */
static void
run_group(struct pubsite **g, size_t n, bool dry_run)
{
	const struct dns_conf *dns = g[0]->site->dns;
	struct du_change *ch;
	enum du_outcome *o;
	struct du_report rep;
	size_t i, k, nch = 0;

	for (i = 0; i < n; i++)
		nch += g[i]->site->nrecords;
	ch = xcalloc(nch + 1, sizeof(*ch));
	o = xcalloc(nch + 1, sizeof(*o));
	for (i = 0, nch = 0; i < n; i++)
		for (k = 0; k < g[i]->site->nrecords; k++)
			ch[nch++] = g[i]->recs[k].change;
	if (dry_run) {
		for (i = 0, nch = 0; i < n; i++) {
			printf("%s: would publish %s in zone %s:\n",
			    g[i]->site->name, side_str(g[i]->d.want_side),
			    g[i]->zone);
			for (k = 0; k < g[i]->site->nrecords; k++)
				print_change(&ch[nch++]);
			g[i]->result = PUB_DRY;
		}
		fflush(stdout);
	} else {
		dnsupdate_apply(dns, g[0]->zone, ch, nch, o, &rep);
		log_debug("zone %s: %zu records, %zu messages, %s", g[0]->zone,
		    nch, rep.nmessages, du_outcome_str(rep.outcome));
		for (i = 0, nch = 0; i < n; i++) {
			size_t nr = g[i]->site->nrecords;
			struct du_report one = rep;

			memcpy(g[i]->o, &o[nch], nr * sizeof(*o));
			/*
			 * A failed prerequisite fails the whole message: try
			 * each site alone, so one site changed by hand does
			 * not hold back the others.
			 */
			for (k = 0; n > 1 && k < nr; k++)
				if (o[nch + k] == DU_PREREQ_FAILED)
					break;
			if (n > 1 && k < nr)
				dnsupdate_apply(dns, g[0]->zone, &ch[nch], nr,
				    g[i]->o, &one);
			judge_site(g[i], &one);
			nch += nr;
		}
	}
	free(ch);
	free(o);
}

void
pubjob_run(struct pubjob *j)
{
	struct pubsite **g = xcalloc(j->n + 1, sizeof(*g));
	bool *done = xcalloc(j->n + 1, sizeof(bool));
	size_t i, k, ng;
	char err[256];
	int rr;

	for (i = 0; i < j->n; i++) {
		struct pubsite *p = &j->s[i];

		if (p->skip)
			continue;
		if (p->reread && (rr = reread(p)) != 0) {
			p->skip = true;
			p->result = rr == 1 ? PUB_LEARNED : PUB_FAILED;
			continue;
		}
		if (p->site->zone != NULL)
			str_copy(p->zone, p->site->zone, sizeof(p->zone));
		else if (dnsupdate_find_zone(p->site->dns, p->site->records[0],
		    p->zone, sizeof(p->zone), err, sizeof(err)) == -1) {
			str_copy(p->why, err, sizeof(p->why));
			p->skip = true;
		}
	}
	for (i = 0; i < j->n; i++) {
		if (done[i] || j->s[i].skip)
			continue;
		for (k = i, ng = 0; k < j->n; k++) {
			if (done[k] || j->s[k].skip || j->s[k].site->dns !=
			    j->s[i].site->dns || strcmp(j->s[k].zone,
			    j->s[i].zone) != 0)
				continue;
			g[ng++] = &j->s[k];
			done[k] = true;
		}
		run_group(g, ng, j->dry_run);
	}
	free(g);
	free(done);
}

/* What one site's outcome means for its state, the log and the events. */
static void
finish_site(struct round *r, const struct pubjob *j, const struct pubsite *p)
{
	const struct site *s = p->site;
	const struct health_decision *d = &p->d;
	struct state_site *x = state_find(&r->st, s->name);
	enum side from = d->side_changed ? !d->want_side : d->want_side;
	char line[2048];

	if (p->result == PUB_DRY)
		return;
	decision_line(d, line, sizeof(line));
	if (x == NULL) {	/* removed by a reload meanwhile */
		log_info("%s: %s (%s; the site is no longer configured)",
		    s->name, line, p->result == PUB_APPLIED ? "applied" :
		    p->why);
		return;
	}
	if (p->learned)		/* what compare-and-swap was based on */
		health_published(&x->st, p->expect, p->nexpect,
		    x->st.last_change, x->st.last_reason);
	if (p->result == PUB_LEARNED) {
		char set[256];

		/* as health_init() does for a site it meets */
		if (p->nexpect > 0 && addr_subset(p->expect, p->nexpect,
		    s->failover, s->nfailover))
			x->st.side = SIDE_FAILOVER;
		addr_list_str(p->expect, p->nexpect, set, sizeof(set));
		log_info("%s: the server publishes %s; deciding from that "
		    "next round", s->name, p->nexpect ? set : "no address");
		return;
	}
	if (p->result == PUB_APPLIED) {
		health_published(&x->st, d->want, d->nwant, r->now, d->reason);
		x->pending = false;
		x->alert_update_failed = 0;
		x->n.updates_applied++;
		log_info("%s: %s", s->name, line);
		if (j->manual)
			return;		/* the flip or release event says it */
		if (d->side_changed)
			x->n.switches++;
		round_event(r, d->side_changed ? EV_SWITCH : EV_UPDATE_APPLIED,
		    s, from, d->want_side, d->want, d->nwant, line);
		return;
	}
	if (p->result == PUB_DRIFT) {
		x->st.drift = true;
		x->pending = false;
		log_warnx("%s: %s; not done: the records were changed by "
		    "someone else (%s); no automatic change until flip or "
		    "release", s->name, line, p->why);
		round_event(r, EV_DRIFT, s, from, d->want_side, d->want,
		    d->nwant, p->why);
		return;
	}
	if (!x->pending)
		x->pending_since = r->now;
	x->pending = true;
	free(x->want);
	x->want = xcalloc(d->nwant + 1, sizeof(*x->want));
	if (d->nwant > 0)
		memcpy(x->want, d->want, d->nwant * sizeof(*d->want));
	x->nwant = d->nwant;
	str_copy(x->pending_error, p->why, sizeof(x->pending_error));
	x->n.updates_failed++;
	log_warnx("%s: %s; not %s: %s; kept pending", s->name, line, p->skip ?
	    "done" : "applied yet", p->why);
	r->failed = true;
	if (alert_due(r, &x->alert_update_failed))
		round_event(r, EV_UPDATE_FAILED, s, from, d->want_side, d->want,
		    d->nwant, p->why);
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
	size_t i, k;

	if (j == NULL)
		return;
	for (i = 0; i < j->n; i++) {
		struct pubsite *p = &j->s[i];

		for (k = 0; p->recs != NULL && k < p->site->nrecords; k++)
			du_addrs_clear(&p->recs[k]);
		free(p->recs);
		free(p->o);
		free(p->expect);
		health_decision_clear(&p->d);
	}
	free(j->s);
	free(j);
}

static void
publish(struct round *r)
{
	struct pubjob *j = round_pubjob(r);

	pubjob_run(j);
	round_pubjob_done(r, j);
	pubjob_free(j);
}

void
round_check(struct round *r)
{
	uint64_t t0 = mono_ms();
	struct prober *p = prober_new(r->cfg->max_parallel);
	struct probe_result **per = NULL;
	bool iso = round_canaries(r->cfg, p);

	r->isolated = iso;
	if (!iso)
		per = probe_all(r, p);
	round_decide(r, per, iso);
	publish(r);
	if (per != NULL)
		free(per[0]);
	free(per);
	prober_free(p);
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
	free(r->d);
	free(r->sites);
	free(r->idx);
	r->d = NULL;
	r->sites = NULL;
	r->idx = NULL;
	r->nsites = 0;
}

static void
round_clear(struct round *r)
{
	round_batch_clear(r);
	notify_free(r->notify);		/* waits for the hooks */
	state_clear(&r->st);
	config_free(r->cfg);
	memset(r, 0, sizeof(*r));
	r->lock = -1;
}

int
round_state_load(struct round *r)
{
	char moved[PATH_MAX], what[512], *why;
	struct diags d;
	int rc, saved;

	diags_init(&d);
	rc = state_load_or_move(r->path, &r->st, &d, r->now,
	    r->g->dry_run ? NULL : moved, sizeof(moved));
	saved = errno;		/* of the rename, before logging */
	if (rc != 0) {
		r->state_broken = true;
		diags_first(&d, what, sizeof(what));
		cmd_diags_log(&d);
	}
	diags_clear(&d);
	if (rc == -1)		/* not damaged: nothing to set aside */
		return -1;
	if (rc == -2) {
		errno = saved;
		log_warn("error: %s is damaged and cannot be moved aside",
		    r->path);
		return -1;
	}
	if (rc == 1 && r->g->dry_run)
		log_warnx("error: %s is damaged; without -n it is moved aside "
		    "and the sites start again from what the DNS servers "
		    "serve", r->path);
	if (rc != 1 || r->g->dry_run)
		return 0;
	log_warnx("error: %s is damaged: moved aside to %s; the sites start "
	    "again from what the DNS servers serve", r->path, moved);
	why = xasprintf("the state file is damaged (%s); moved aside to "
	    "%s; the sites start again from what the DNS servers serve",
	    what, moved);
	round_event(r, EV_STATE_BROKEN, NULL, SIDE_PRIMARY, SIDE_PRIMARY,
	    NULL, 0, why);
	free(why);
	return 0;
}

int
round_open(struct round *r, const struct globals *g, int argc, char **argv,
    unsigned lock_wait_ms)
{
	int rc;

	memset(r, 0, sizeof(*r));
	r->lock = -1;
	r->g = g;
	r->now = time(NULL);
	if ((r->cfg = cmd_config_load(g, false)) == NULL)
		return EX_CONFIG;
	if (select_sites(r, argc, argv) == -1) {
		round_clear(r);
		return EX_USAGE;
	}
	r->path = cmd_state_path(g, r->cfg);
	if (!g->dry_run && (r->lock = state_lock(r->path, lock_wait_ms)) ==
	    -1) {
		rc = errno == EWOULDBLOCK ? EX_TEMPFAIL : 1;
		if (rc == EX_TEMPFAIL)
			log_warnx("another dnsfailover holds %s.lock; %s",
			    r->path, lock_wait_ms ? "try again" :
			    "this round is skipped");
		else
			log_warn("cannot lock %s.lock", r->path);
		round_clear(r);
		return rc;
	}
	if (!g->dry_run)
		r->notify = notify_new(r->cfg);
	if (round_state_load(r) == -1) {
		state_unlock(r->lock);
		round_clear(r);
		return 1;
	}
	round_align(r);
	return -1;
}

int
round_close(struct round *r)
{
	int rc = r->failed ? EX_TEMPFAIL : EX_OK;

	struct metrics_round m = { r->seconds, time(NULL), r->isolated,
	    false };

	if (r->state_broken)
		rc = 1;		/* moved aside: told once, by the exit too */

	if (!r->g->dry_run && state_save(r->path, &r->st) == -1) {
		log_warn("cannot save the state to %s", r->path);
		rc = 1;
	}
	/* flip and release do not probe: the file keeps the last round's */
	if (!r->g->dry_run && !r->manual && r->cfg->metrics_file != NULL &&
	    metrics_write(r->cfg->metrics_file, r->cfg, &r->st, &m) == -1)
		log_warn("cannot write the metrics file %s",
		    r->cfg->metrics_file);
	state_unlock(r->lock);
	round_clear(r);
	return rc;
}
