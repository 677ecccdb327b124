/*
 * publish_rfc2136.c: publishing through RFC 2136 UPDATE signed with
 * TSIG (dnsupdate.c), reading through plain queries (dnsquery.c).
 *
 * For the requests of one call (one set of DNS settings):
 *	zone:	the one given, or found by SOA queries;
 *	batch:	the requests of one zone go in one dnsupdate_apply() call
 *		(as few messages as fit), each name's A and AAAA RRsets
 *		replaced, with cas prerequisites that they hold expect;
 *	retry:	a failed prerequisite fails its whole message, so each
 *		request of it that saw one is tried again alone: one site
 *		changed by hand does not hold back the others;
 *	judge:	a request whose prerequisite still fails is re-read:
 *		serving want already is PUBLISH_ALREADY (an earlier update
 *		applied, its reply lost), anything else PUBLISH_CHANGED.
 * RFC 2136's outcomes become the program's words here and nowhere else.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsquery.h"
#include "dnsupdate.h"
#include "log.h"
#include "publish.h"
#include "util.h"

/* One request as RFC 2136 sees it. */
struct job {
	struct publish_req	*req;
	struct du_addrs		*recs;		/* one per name */
	enum du_outcome		*o;		/* one per name */
};

static enum publish_outcome
outcome_of(enum du_outcome o)
{
	switch (o) {
	case DU_APPLIED:
		return PUBLISH_APPLIED;
	case DU_PREREQ_FAILED:
		return PUBLISH_CHANGED;
	case DU_NOT_PERMITTED:
	case DU_KEY_PROBLEM:
	case DU_NOT_AUTHORITATIVE:
		return PUBLISH_REFUSED;
	case DU_UNREACHABLE:
		return PUBLISH_NO_ANSWER;
	case DU_VERIFY_FAILED:
	case DU_OTHER:
		break;
	}
	return PUBLISH_FAILED;
}

/* ---- dry runs: the exact change, in words ---- */

static const char *
type_str(uint16_t t)
{
	return t == DU_TYPE_A ? "A" : t == DU_TYPE_AAAA ? "AAAA" : "?";
}

static void
plan_change(FILE *fp, const struct du_change *c)
{
	size_t i, j;

	fprintf(fp, "  %s:", c->name);
	for (i = 0; i < c->nprereqs; i++) {
		const struct du_prereq *p = &c->prereqs[i];

		fprintf(fp, " require %s %s", type_str(p->set.type),
		    p->kind == DU_PRE_ABSENT ? "absent" : "=");
		for (j = 0; j < p->set.nrdata; j++)
			fprintf(fp, " %s", p->set.rdata[j]);
		fprintf(fp, ";");
	}
	for (i = 0; i < c->nsets; i++) {
		if (du_set_noop(c, &c->sets[i]))
			continue;	/* not sent */
		fprintf(fp, " %s %s", c->sets[i].nrdata ? "set" : "delete",
		    type_str(c->sets[i].type));
		for (j = 0; j < c->sets[i].nrdata; j++)
			fprintf(fp, " %s", c->sets[i].rdata[j]);
		if (c->sets[i].nrdata)
			fprintf(fp, " (ttl %u)", c->ttl);
		fprintf(fp, ";");
	}
	fprintf(fp, "\n");
}

static void
plan(struct job *j)
{
	size_t len, k;
	FILE *fp;

	if ((fp = open_memstream(&j->req->plan, &len)) == NULL)
		fatal("open_memstream");
	for (k = 0; k < j->req->nnames; k++)
		plan_change(fp, &j->recs[k].change);
	if (fclose(fp) != 0)
		fatal("cannot write the plan");
	j->req->outcome = PUBLISH_PLANNED;
}

/* ---- judging one request ---- */

/*
 * Whether every name of r already serves want: an earlier update that
 * was applied but not confirmed (its reply or verification lost) makes
 * the retry's prerequisite fail without anyone else being involved.
 */
static bool
already_served(const struct dns_conf *dns, struct publish_req *r)
{
	struct addr *a;
	size_t na, differs;
	char err[256];
	bool same = false;
	int rc;

	rc = publish_read_same(dns, r->names, r->nnames, &a, &na, &differs,
	    err, sizeof(err));
	if (rc == 0) {
		same = addr_same_set(a, na, r->want, r->nwant);
		if (na == 0)
			str_copy(r->served, "no address", sizeof(r->served));
		else
			addr_list_str(a, na, r->served, sizeof(r->served));
	} else if (rc == 1)
		snprintf(r->served, sizeof(r->served), "a different set at "
		    "each name (%s differs from %s)", r->names[differs],
		    r->names[0]);
	free(a);
	return same;
}

/* One request's outcome from its names' outcomes and the report. */
static void
judge(const struct dns_conf *dns, struct job *j, const struct du_report *rep)
{
	struct publish_req *r = j->req;
	size_t k, applied = 0, prereq = 0, first = r->nnames;

	for (k = 0; k < r->nnames; k++) {
		applied += j->o[k] == DU_APPLIED;
		prereq += j->o[k] == DU_PREREQ_FAILED;
		if (j->o[k] != DU_APPLIED && first == r->nnames)
			first = k;
	}
	r->serial = rep->serial_known && applied > 0 ? (long long)rep->serial :
	    -1;
	if (applied == r->nnames) {
		r->outcome = PUBLISH_APPLIED;
		return;
	}
	str_copy(r->why, rep->msg, sizeof(r->why));
	if (prereq > 0)
		r->outcome = !already_served(dns, r) ? PUBLISH_CHANGED :
		    applied > 0 ? PUBLISH_APPLIED : PUBLISH_ALREADY;
	else
		r->outcome = outcome_of(j->o[first]);
	if (r->outcome == PUBLISH_APPLIED)
		r->why[0] = '\0';
}

/* ---- one zone ---- */

/* Whether j saw a failed prerequisite (its message carried another's). */
static bool
saw_prereq_failed(const struct job *j)
{
	size_t k;

	for (k = 0; k < j->req->nnames; k++)
		if (j->o[k] == DU_PREREQ_FAILED)
			return true;
	return false;
}

/* Requests of the same zone: one call, as few messages as fit. */
static void
run_group(const struct dns_conf *dns, struct job **g, size_t n)
{
	const char *zone = g[0]->req->zone_found;
	struct du_change *ch;
	enum du_outcome *o;
	struct du_report rep, one;
	size_t i, k, nch = 0;

	for (i = 0; i < n; i++)
		nch += g[i]->req->nnames;
	ch = xcalloc(nch + 1, sizeof(*ch));
	o = xcalloc(nch + 1, sizeof(*o));
	for (i = 0, nch = 0; i < n; i++)
		for (k = 0; k < g[i]->req->nnames; k++)
			ch[nch++] = g[i]->recs[k].change;
	dnsupdate_apply(dns, zone, ch, nch, o, &rep);
	log_debug("zone %s: %zu records, %zu messages, %s", zone, nch,
	    rep.nmessages, du_outcome_str(rep.outcome));
	for (i = 0, nch = 0; i < n; i++) {
		size_t nr = g[i]->req->nnames;

		memcpy(g[i]->o, &o[nch], nr * sizeof(*o));
		one = rep;
		if (n > 1 && saw_prereq_failed(g[i]))
			dnsupdate_apply(dns, zone, &ch[nch], nr, g[i]->o, &one);
		judge(dns, g[i], &one);
		nch += nr;
	}
	free(ch);
	free(o);
}

/* ---- the publisher ---- */

/* Sets j up for r: its changes and its zone; false if r is done. */
static bool
job_init(const struct dns_conf *dns, struct job *j, struct publish_req *r)
{
	char err[256];
	size_t k;

	j->req = r;
	j->recs = xcalloc(r->nnames + 1, sizeof(*j->recs));
	j->o = xcalloc(r->nnames + 1, sizeof(*j->o));
	for (k = 0; k < r->nnames; k++)
		du_addrs_init(&j->recs[k], r->names[k], r->ttl, r->want,
		    r->nwant, r->expect, r->nexpect, r->cas);
	if (r->zone != NULL) {
		str_copy(r->zone_found, r->zone, sizeof(r->zone_found));
		return true;
	}
	switch (dnsquery_find_zone(dns, r->names[0], r->zone_found,
	    sizeof(r->zone_found), err, sizeof(err))) {
	case DQ_ZONE_FOUND:
		return true;
	case DQ_ZONE_NONE:
		r->outcome = PUBLISH_REFUSED;
		break;
	case DQ_ZONE_NO_ANSWER:
		r->outcome = PUBLISH_NO_ANSWER;
		break;
	}
	r->zone_found[0] = '\0';
	str_copy(r->why, err, sizeof(r->why));
	return false;
}

static void
job_clear(struct job *j)
{
	size_t k;

	for (k = 0; j->recs != NULL && k < j->req->nnames; k++)
		du_addrs_clear(&j->recs[k]);
	free(j->recs);
	free(j->o);
}

static void
rfc2136_publish(const struct dns_conf *dns, struct publish_req **reqs,
    size_t n)
{
	struct job *jobs = xcalloc(n + 1, sizeof(*jobs)), **g;
	bool *done = xcalloc(n + 1, sizeof(*done));
	size_t i, k, ng;

	g = xcalloc(n + 1, sizeof(*g));
	for (i = 0; i < n; i++)
		if (!job_init(dns, &jobs[i], reqs[i]))
			done[i] = true;
	for (i = 0; i < n; i++) {
		if (done[i])
			continue;
		if (reqs[i]->dry_run) {
			plan(&jobs[i]);
			continue;
		}
		for (k = i, ng = 0; k < n; k++) {
			if (done[k] || reqs[k]->dry_run || strcmp(
			    reqs[k]->zone_found, reqs[i]->zone_found) != 0)
				continue;
			g[ng++] = &jobs[k];
			done[k] = true;
		}
		run_group(dns, g, ng);
	}
	for (i = 0; i < n; i++)
		job_clear(&jobs[i]);
	free(jobs);
	free(done);
	free(g);
}

const struct publisher_ops publisher_rfc2136 = {
	"rfc2136",
	rfc2136_publish,
	dnsquery_read_addrs
};
