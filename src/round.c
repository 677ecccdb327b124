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
static void
state_align(struct round *r)
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
		if (fresh[i])
			site_fresh(&round_site_state(r, i)->st, r->sites[i]);
		else {
			health_adopt(&round_site_state(r, i)->st, r->sites[i]);
			if (!round_site_state(r, i)->st.published_known)
				site_reread(&round_site_state(r, i)->st,
				    r->sites[i]);
		}
	}
	free(fresh);
}

/* Rule 10: true when every canary failed (none configured: false). */
static bool
isolated(struct round *r, struct prober *p)
{
	static const struct status_range any = { 100, 599 };
	struct check_spec c;
	struct probe_req *q;
	struct probe_result *res;
	size_t i, ok = 0, n = r->cfg->ncanaries;

	if (n == 0)
		return false;
	memset(&c, 0, sizeof(c));
	c.type = CHECK_HTTPS;
	c.method = HTTP_HEAD;
	c.expect = &any;		/* any answer: the network works */
	c.nexpect = 1;
	c.timeout_ms = 5000;
	c.tls_verify = true;
	c.body_limit = 1;
	q = xcalloc(n, sizeof(*q));
	res = xcalloc(n, sizeof(*res));
	for (i = 0; i < n; i++) {
		q[i].url = r->cfg->canaries[i];
		q[i].check = &c;
	}
	probe_run(p, q, n, res);
	for (i = 0; i < n; i++) {
		ok += res[i].reason == PROBE_OK;
		log_debug("canary %s: %s (%s)", q[i].url,
		    probe_reason_str(res[i].reason), res[i].detail);
	}
	free(q);
	free(res);
	return ok == 0;
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

static void
decide(struct round *r, struct probe_result **per, bool iso)
{
	size_t i;

	r->d = xcalloc(r->nsites + 1, sizeof(*r->d));
	for (i = 0; i < r->nsites; i++) {
		health_step(r->sites[i], &round_site_state(r, i)->st, per ? per[i] : NULL,
		    iso, r->now, &r->d[i]);
		/* a publish is told with its outcome, in pub_result() */
		if (r->d[i].action != HA_PUBLISH || r->g->dry_run)
			log_decision(r->sites[i], &r->d[i]);
		/* DNS already matches: whatever was pending is moot */
		if (r->d[i].action == HA_NONE)
			round_site_state(r, i)->pending = false;
	}
	if (iso)
		log_warnx("every canary failed: this monitor seems cut off; "
		    "nothing changes this round");
}

/* ---- publishing ---- */

struct pub {			/* one site to publish */
	size_t		 i;		/* into r->sites */
	char		 zone[DNAME_MAXLEN + 2];
	struct du_addrs	*recs;		/* one per record name */
};

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

/*
 * The records of site i, replaced by its decision's set; -1 with why
 * when it cannot be done this round.
 */
static int
pub_prepare(struct round *r, size_t i, struct pub *p, char *why,
    size_t wlen)
{
	const struct site *s = r->sites[i];
	struct site_state *st = &round_site_state(r, i)->st;
	const struct health_decision *d = &r->d[i];
	char err[256];
	size_t k;

	p->i = i;
	if (s->zone != NULL)
		str_copy(p->zone, s->zone, sizeof(p->zone));
	else if (dnsupdate_find_zone(s->dns, s->records[0], p->zone,
	    sizeof(p->zone), err, sizeof(err)) == -1) {
		str_copy(why, err, wlen);
		return -1;
	}
	/* compare-and-swap needs the current set; a flip does not */
	if (!st->published_known && !st->hold.active) {
		str_copy(why, "the published addresses are unknown; not "
		    "changing them blindly", wlen);
		return -1;
	}
	p->recs = xcalloc(s->nrecords, sizeof(*p->recs));
	for (k = 0; k < s->nrecords; k++)
		du_addrs_init(&p->recs[k], s->records[k], s->ttl, d->want,
		    d->nwant, st->published, st->npublished, !st->hold.active);
	return 0;
}

static void
pub_clear(struct pub *p, const struct site *s)
{
	size_t k;

	for (k = 0; p->recs != NULL && k < s->nrecords; k++)
		du_addrs_clear(&p->recs[k]);
	free(p->recs);
	p->recs = NULL;
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

/* What one site's outcomes mean for its state. */
static void
pub_result(struct round *r, const struct pub *p, const enum du_outcome *o,
    const struct du_report *rep)
{
	const struct site *s = r->sites[p->i];
	struct state_site *x = round_site_state(r, p->i);
	const struct health_decision *d = &r->d[p->i];
	size_t k, applied = 0, prereq = 0;

	for (k = 0; k < s->nrecords; k++) {
		applied += o[k] == DU_APPLIED;
		prereq += o[k] == DU_PREREQ_FAILED;
	}
	char line[2048];

	decision_line(d, line, sizeof(line));
	if (applied < s->nrecords && prereq > 0 &&
	    already_served(s, d->want, d->nwant))
		applied = s->nrecords;
	if (applied == s->nrecords) {
		health_published(&x->st, d->want, d->nwant, r->now, d->reason);
		x->pending = false;
		log_info("%s: %s", s->name, line);
		return;
	}
	if (prereq > 0) {
		x->st.drift = true;
		x->pending = false;
		log_warnx("%s: %s; not done: the records were changed by "
		    "someone else (%s); no automatic change until flip or "
		    "release", s->name, line, rep->msg);
		return;
	}
	if (!x->pending)
		x->pending_since = r->now;
	x->pending = true;
	x->nwant = d->nwant;
	memcpy(x->want, d->want, d->nwant * sizeof(*d->want));
	str_copy(x->pending_error, rep->msg, sizeof(x->pending_error));
	log_warnx("%s: %s; not applied yet: %s; kept pending", s->name, line,
	    rep->msg);
	r->failed = true;
}

/* Sites with the same DNS settings and zone: one call, one message. */
static void
publish_group(struct round *r, struct pub *g, size_t n)
{
	const struct dns_conf *dns = r->sites[g[0].i]->dns;
	struct du_change *ch;
	enum du_outcome *o;
	struct du_report rep;
	size_t i, k, nch = 0;

	for (i = 0; i < n; i++)
		nch += r->sites[g[i].i]->nrecords;
	ch = xcalloc(nch + 1, sizeof(*ch));
	o = xcalloc(nch + 1, sizeof(*o));
	for (i = 0, nch = 0; i < n; i++)
		for (k = 0; k < r->sites[g[i].i]->nrecords; k++)
			ch[nch++] = g[i].recs[k].change;
	if (r->g->dry_run) {
		for (i = 0, nch = 0; i < n; i++) {
			printf("%s: would publish %s in zone %s:\n",
			    r->sites[g[i].i]->name,
			    side_str(r->d[g[i].i].want_side), g[i].zone);
			for (k = 0; k < r->sites[g[i].i]->nrecords; k++)
				print_change(&ch[nch++]);
		}
	} else {
		dnsupdate_apply(dns, g[0].zone, ch, nch, o, &rep);
		log_debug("zone %s: %zu records, %zu messages, %s", g[0].zone,
		    nch, rep.nmessages, du_outcome_str(rep.outcome));
		for (i = 0, nch = 0; i < n; i++) {
			size_t nr = r->sites[g[i].i]->nrecords;
			struct du_report one = rep;

			/*
			 * A failed prerequisite fails the whole message: try
			 * each site alone, so one site changed by hand does
			 * not hold back the others.
			 */
			for (k = 0; n > 1 && k < nr; k++)
				if (o[nch + k] == DU_PREREQ_FAILED)
					break;
			if (n > 1 && k < nr)
				dnsupdate_apply(dns, g[0].zone, &ch[nch], nr,
				    &o[nch], &one);
			pub_result(r, &g[i], &o[nch], &one);
			nch += nr;
		}
	}
	free(ch);
	free(o);
}

static void
publish(struct round *r)
{
	struct pub *ps = xcalloc(r->nsites + 1, sizeof(*ps)), *grp;
	bool *done = xcalloc(r->nsites + 1, sizeof(bool));
	size_t i, j, np = 0, ng;
	char why[256], line[2048];

	for (i = 0; i < r->nsites; i++) {
		if (r->d[i].action != HA_PUBLISH)
			continue;
		if (pub_prepare(r, i, &ps[np], why, sizeof(why)) == 0)
			np++;
		else {
			r->failed = true;
			decision_line(&r->d[i], line, sizeof(line));
			log_warnx("%s: %s; not done: %s", r->sites[i]->name,
			    line, why);
		}
	}
	grp = xcalloc(np + 1, sizeof(*grp));
	for (i = 0; i < np; i++) {
		if (done[i])
			continue;
		for (j = i, ng = 0; j < np; j++) {
			if (done[j] || r->sites[ps[j].i]->dns !=
			    r->sites[ps[i].i]->dns || strcmp(ps[j].zone,
			    ps[i].zone) != 0)
				continue;
			grp[ng++] = ps[j];
			done[j] = true;
		}
		publish_group(r, grp, ng);
	}
	for (i = 0; i < np; i++)
		pub_clear(&ps[i], r->sites[ps[i].i]);
	free(grp);
	free(ps);
	free(done);
}

void
round_check(struct round *r)
{
	struct prober *p = prober_new(r->cfg->max_parallel);
	struct probe_result **per = NULL;
	bool iso = isolated(r, p);

	if (!iso)
		per = probe_all(r, p);
	decide(r, per, iso);
	publish(r);
	if (per != NULL)
		free(per[0]);
	free(per);
	prober_free(p);
}

void
round_apply(struct round *r)
{
	decide(r, NULL, false);
	publish(r);
}

static void
round_clear(struct round *r)
{
	state_clear(&r->st);
	config_free(r->cfg);
	free(r->sites);
	free(r->idx);
	free(r->d);
	memset(r, 0, sizeof(*r));
	r->lock = -1;
}

int
round_open(struct round *r, const struct globals *g, int argc, char **argv,
    unsigned lock_wait_ms)
{
	struct diags d;
	int rc;

	memset(r, 0, sizeof(*r));
	r->lock = -1;
	r->g = g;
	r->now = time(NULL);
	if ((r->cfg = cmd_config_load(g)) == NULL)
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
	diags_init(&d);
	if (state_load(r->path, &r->st, &d) == -1) {
		diags_print(&d, stderr);
		diags_clear(&d);
		state_unlock(r->lock);
		round_clear(r);
		return 1;
	}
	diags_clear(&d);
	state_align(r);
	return -1;
}

int
round_close(struct round *r)
{
	int rc = r->failed ? EX_TEMPFAIL : EX_OK;

	if (!r->g->dry_run && state_save(r->path, &r->st) == -1) {
		log_warn("cannot save the state to %s", r->path);
		rc = 1;
	}
	state_unlock(r->lock);
	round_clear(r);
	return rc;
}
