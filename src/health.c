/*
 * health.c: addresses' health and the site's side, one round at a time.
 *
 * Address (rule 1; a local error, or no probe, moves nothing):
 *
 *                  rise good in a row
 *        UNKNOWN ---------------------------> UP
 *           |                              ^    |
 *           | fall failed      rise good   |    | fall failed
 *           | in a row         in a row    |    | in a row
 *           |                              |    v
 *           +---------------------------->  DOWN
 *
 * Site (rules 3, 4; checked in this order each round):
 *
 *   canaries all failed ........................ ISOLATED: nothing moves
 *   held by flip (until release or expiry) ..... publish the held side
 *   drift (a prerequisite failed) .............. DRIFT: hands off
 *
 *                 every primary DOWN, a failover UP
 *        +---------+ ----------------------------> +----------+
 *        | PRIMARY |                               | FAILOVER |
 *        +---------+ <---------------------------- +----------+
 *                       a primary UP (rise)
 *
 *   on PRIMARY: publish the primaries not DOWN (UP or still unknown)
 *   on FAILOVER: publish the failovers UP
 *   every address DOWN ......................... BOTH_DOWN: fail static
 *   every primary DOWN, no failover UP, some unknown ... WAIT
 *
 * A decision to publish is made only when the wanted set differs from
 * the set last published (rule 5).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "health.h"
#include "util.h"

static const char *const healths[] = { "unknown", "up", "down" };
static const char *const sides[] = { "primary", "failover" };
static const char *const actions[] = {
	[HA_NONE] = "no change",
	[HA_PUBLISH] = "publish",
	[HA_WAIT] = "waiting for the failover",
	[HA_BOTH_DOWN] = "both down",
	[HA_ISOLATED] = "monitor isolated",
	[HA_HELD] = "held",
	[HA_DRIFT] = "drift",
	[HA_QUORUM] = "waiting for quorum",
};

const char *
health_str(enum health h)
{
	return healths[h];
}

const char *
side_str(enum side s)
{
	return sides[s];
}

const char *
health_action_str(enum health_action a)
{
	return actions[a];
}

/* ---- state ---- */

static struct addr_state *
addrs_init(size_t *n, const struct addr *a, size_t na)
{
	struct addr_state *st = xcalloc(na + 1, sizeof(*st));
	size_t i;

	for (i = 0, *n = na; i < na; i++)
		st[i].addr = a[i];
	return st;
}

static void
set_published(struct site_state *st, const struct addr *a, size_t n)
{
	struct addr *b = xcalloc(n + 1, sizeof(*a));	/* a may be ours */

	if (n > 0)
		memcpy(b, a, n * sizeof(*a));
	free(st->published);
	st->published = b;
	st->npublished = n;
	st->published_known = true;
}

void
health_clear(struct site_state *st)
{
	free(st->primary);
	free(st->failover);
	free(st->published);
	memset(st, 0, sizeof(*st));
}

static void *
dup_array(const void *a, size_t n, size_t size)
{
	void *b = xcalloc(n + 1, size);

	if (n > 0)
		memcpy(b, a, n * size);
	return b;
}

void
health_copy(struct site_state *dst, const struct site_state *src)
{
	*dst = *src;
	dst->primary = dup_array(src->primary, src->nprimary,
	    sizeof(*src->primary));
	dst->failover = dup_array(src->failover, src->nfailover,
	    sizeof(*src->failover));
	dst->published = dup_array(src->published, src->npublished,
	    sizeof(*src->published));
}

void
health_init(struct site_state *st, const struct site *s,
    const struct addr *published, size_t npublished)
{
	memset(st, 0, sizeof(*st));
	st->primary = addrs_init(&st->nprimary, s->primary, s->nprimary);
	st->failover = addrs_init(&st->nfailover, s->failover, s->nfailover);
	st->side = SIDE_PRIMARY;
	if (published != NULL)
		health_learned(st, s, published, npublished);
}

void
health_learned(struct site_state *st, const struct site *s,
    const struct addr *published, size_t n)
{
	set_published(st, published, n);
	/* a restart while on failover must not rush back to primary */
	if (!st->hold.active && n > 0 && addr_subset(published, n,
	    s->failover, s->nfailover))
		st->side = SIDE_FAILOVER;
}

/* Keeps the states of addresses still in a, in a's order. */
static void
addrs_adopt(struct addr_state **st, size_t *n, const struct addr *a,
    size_t na)
{
	struct addr_state *old = *st;
	size_t i, j, nold = *n;

	*st = addrs_init(n, a, na);
	for (i = 0; i < *n; i++)
		for (j = 0; j < nold; j++)
			if (addr_equal(&(*st)[i].addr, &old[j].addr))
				(*st)[i] = old[j];
	free(old);
}

/* Without cert_warn no expiry is read: an old one would only mislead. */
static void
certs_forget(struct addr_state *a, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		a[i].cert_expires = 0;
}

void
health_adopt(struct site_state *st, const struct site *s)
{
	addrs_adopt(&st->primary, &st->nprimary, s->primary, s->nprimary);
	addrs_adopt(&st->failover, &st->nfailover, s->failover, s->nfailover);
	if (s->check.type != CHECK_HTTPS || s->check.http.cert_warn_ms == 0) {
		certs_forget(st->primary, st->nprimary);
		certs_forget(st->failover, st->nfailover);
	}
}

/* ---- one round ---- */

/*
 * Short words for why a probe failed: "HTTP 503", "connect refused";
 * for the kinds whose detail is the point, with it (rule 18: a command's
 * first line of output is its reason): "command failed: exit 2: db
 * read-only", "DNS error: NXDOMAIN".
 */
static void
why_failed(const struct probe_result *r, char *buf, size_t size)
{
	switch (r->reason) {
	case PROBE_HTTP_STATUS:
		snprintf(buf, size, "%s", r->detail);
		break;
	case PROBE_EXIT_STATUS:
	case PROBE_DNS_RCODE:
	case PROBE_EXPECT_MISSING:
		/* cut: the reason's words and most of the detail fit */
		snprintf(buf, size, "%s%s%.130s", probe_reason_str(r->reason),
		    r->detail[0] ? ": " : "", r->detail);
		break;
	default:
		snprintf(buf, size, "%s", probe_reason_str(r->reason));
	}
}

static void
transition(struct health_decision *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
transition(struct health_decision *d, const char *fmt, ...)
{
	va_list ap;

	if (d->ntransitions == NELEM(d->transitions))
		return;
	va_start(ap, fmt);
	vsnprintf(d->transitions[d->ntransitions++], sizeof(d->transitions[0]),
	    fmt, ap);
	va_end(ap);
}

/* Rule 19: the first expiring certificate of the round, in words. */
static void
cert_warning(struct health_decision *d, const struct addr_state *a,
    const char *side, time_t now)
{
	char when[32], left[32];

	time_rfc3339((time_t)a->cert_expires, when, sizeof(when));
	duration_short(a->cert_expires - (int64_t)now, left,
	    sizeof(left));
	snprintf(d->cert_warning, sizeof(d->cert_warning), "the certificate "
	    "of %s %s expires %s (in %s)", side, a->addr.text, when, left);
}

/* Rule 1: counts one probe of one address. */
static void
observe(struct addr_state *a, const char *side, const struct probe_result *r,
    const struct site *s, time_t now, struct health_decision *d)
{
	if (!probe_counts(r))
		return;			/* our fault, not the server's */
	a->last_reason = r->reason;
	a->last_ms = r->total_ms;
	a->probed = true;
	if (r->cert_expires != 0)
		a->cert_expires = r->cert_expires;
	if (r->cert_expiring && d->cert_warning[0] == '\0')
		cert_warning(d, a, side, now);
	else if (r->cert_expires != 0 && !r->cert_expiring)
		d->cert_fine = true;
	if (r->reason == PROBE_OK) {
		a->last_error[0] = '\0';
		a->fail_run = 0;
		a->ok_run++;
		if (a->health != HEALTH_UP && a->ok_run >= s->rise) {
			a->health = HEALTH_UP;
			transition(d, "%s %s up (%u/%u ok)", side, a->addr.text,
			    s->rise, s->rise);
		}
		return;
	}
	why_failed(r, a->last_error, sizeof(a->last_error));
	a->ok_run = 0;
	a->fail_run++;
	if (a->health != HEALTH_DOWN && a->fail_run >= s->fall) {
		a->health = HEALTH_DOWN;
		transition(d, "%s %s down (%u/%u failed: %s)", side,
		    a->addr.text, s->fall, s->fall, a->last_error);
	}
}

static size_t
count(const struct addr_state *a, size_t n, enum health h)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		k += a[i].health == h;
	return k;
}

/* Adds the addresses of a whose health is (or is not) h to d->want. */
static void
want_add(struct health_decision *d, const struct addr_state *a, size_t n,
    enum health h, bool is)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((a[i].health == h) == is)
			d->want[d->nwant++] = a[i].addr;
}

/* Rules 3 and 4: the side and the set it publishes. */
static enum health_action
choose(const struct site_state *st, struct health_decision *d)
{
	size_t pdown = count(st->primary, st->nprimary, HEALTH_DOWN);
	size_t pup = count(st->primary, st->nprimary, HEALTH_UP);
	size_t fup = count(st->failover, st->nfailover, HEALTH_UP);
	size_t fdown = count(st->failover, st->nfailover, HEALTH_DOWN);
	bool primary_ok = st->side == SIDE_PRIMARY ? pdown < st->nprimary :
	    pup > 0;

	d->nwant = 0;
	if (primary_ok) {
		d->want_side = SIDE_PRIMARY;
		want_add(d, st->primary, st->nprimary, HEALTH_DOWN, false);
		return HA_PUBLISH;
	}
	if (fup > 0) {
		d->want_side = SIDE_FAILOVER;
		want_add(d, st->failover, st->nfailover, HEALTH_UP, true);
		return HA_PUBLISH;
	}
	d->want_side = st->side;
	return pdown == st->nprimary && fdown == st->nfailover ?
	    HA_BOTH_DOWN : HA_WAIT;
}

/* Every address of one side: a flip publishes them all. */
static void
want_side(struct health_decision *d, const struct site_state *st,
    enum side side)
{
	const struct addr_state *a = side == SIDE_PRIMARY ? st->primary :
	    st->failover;
	size_t i, n = side == SIDE_PRIMARY ? st->nprimary : st->nfailover;

	d->want_side = side;
	for (d->nwant = 0, i = 0; i < n; i++)
		d->want[d->nwant++] = a[i].addr;
}

static bool
published(const struct site_state *st, const struct health_decision *d)
{
	return st->published_known && addr_same_set(st->published,
	    st->npublished,
	    d->want, d->nwant);
}

/* Why the automatic decision d is what it is, for the log. */
static void
explain(const struct site_state *st, struct health_decision *d)
{
	char set[HEALTH_TEXT * 2];

	addr_list_str(d->want, d->nwant, set, sizeof(set));
	switch (d->action) {
	case HA_PUBLISH:
		if (!d->side_changed)
			snprintf(d->reason, sizeof(d->reason), "%s now %s",
			    side_str(d->want_side), set);
		else if (d->want_side == SIDE_FAILOVER)
			snprintf(d->reason, sizeof(d->reason), "switched to "
			    "failover %s", set);
		else
			snprintf(d->reason, sizeof(d->reason), "restored to "
			    "primary %s", set);
		break;
	case HA_BOTH_DOWN:
		snprintf(d->reason, sizeof(d->reason), "every primary and "
		    "failover address is down; records left on %s",
		    side_str(st->side));
		break;
	case HA_WAIT:
		snprintf(d->reason, sizeof(d->reason), st->side == SIDE_PRIMARY ?
		    "every primary is down; waiting for a failover address to "
		    "be confirmed up" : "no failover address is up and no "
		    "primary is confirmed up yet; waiting");
		break;
	default:
		d->reason[0] = '\0';
	}
}

/* Rule 6: a held site publishes its held side and nothing else. */
static void
held(struct site_state *st, struct health_decision *d)
{
	want_side(d, st, st->hold.side);
	d->action = published(st, d) ? HA_HELD : HA_PUBLISH;
	snprintf(d->reason, sizeof(d->reason), "held on %s by %s%s%s",
	    side_str(st->hold.side), st->hold.who, st->hold.reason[0] ?
	    ": " : "", st->hold.reason);
}

void
health_step(const struct site *s, struct site_state *st,
    const struct probe_result *res, bool isolated, time_t now,
    struct health_decision *d)
{
	size_t i;

	memset(d, 0, sizeof(*d));
	d->want = xcalloc(st->nprimary + st->nfailover + 1, sizeof(*d->want));
	d->want_side = st->side;
	if (isolated) {			/* rule 10 */
		d->action = HA_ISOLATED;
		snprintf(d->reason, sizeof(d->reason), "every canary failed: "
		    "this round counts for no site");
		return;
	}
	for (i = 0; res != NULL && i < st->nprimary; i++)
		observe(&st->primary[i], "primary", &res[i], s, now, d);
	for (i = 0; res != NULL && i < st->nfailover; i++)
		observe(&st->failover[i], "failover", &res[st->nprimary + i], s,
		    now, d);
	if (st->hold.active && st->hold.until != 0 && now >= st->hold.until) {
		st->hold.active = false;
		d->hold_expired = true;
	}
	if (st->hold.active) {
		held(st, d);
		return;
	}
	if (st->drift) {		/* rule 12 */
		d->action = HA_DRIFT;
		snprintf(d->reason, sizeof(d->reason), "records were changed "
		    "by someone else; no automatic change until flip or "
		    "release");
		return;
	}
	d->action = choose(st, d);
	if (d->action == HA_PUBLISH) {
		d->side_changed = d->want_side != st->side;
		st->side = d->want_side;
		if (published(st, d))
			d->action = HA_NONE;	/* rule 5 */
	}
	explain(st, d);
}

enum health_action
health_want(const struct site_state *st, enum side *side, struct addr *want,
    size_t *n)
{
	struct health_decision d;
	enum health_action a;

	memset(&d, 0, sizeof(d));
	d.want = want;
	a = choose(st, &d);
	*side = d.want_side;
	*n = d.nwant;
	return a;
}

void
health_no_quorum(struct site_state *st, struct health_decision *d,
    const char *why)
{
	if (d->side_changed)
		health_unswitch(st, d);
	d->action = HA_QUORUM;
	d->side_changed = false;
	snprintf(d->reason, sizeof(d->reason), "%s", why);
}

void
health_published(struct site_state *st, const struct addr *want, size_t n,
    time_t now, const char *reason)
{
	set_published(st, want, n);
	st->last_change = now;
	if (reason != st->last_reason)	/* not onto itself */
		snprintf(st->last_reason, sizeof(st->last_reason), "%s",
		    reason);
}

void
health_decision_clear(struct health_decision *d)
{
	free(d->want);
	d->want = NULL;
	d->nwant = 0;
}

/* ---- the other writers ---- */

void
health_flip(struct site_state *st, enum side side, time_t until,
    const char *who, const char *reason)
{
	st->hold.active = true;
	st->hold.side = side;
	st->hold.until = until;
	str_copy(st->hold.who, who, sizeof(st->hold.who));
	str_copy(st->hold.reason, reason, sizeof(st->hold.reason));
	st->drift = false;
	st->side = side;
}

void
health_release(struct site_state *st, const struct addr *published,
    size_t n, time_t now)
{
	health_published(st, published, n, now, "released");
	st->hold.active = false;
	st->drift = false;
}

void
health_drift(struct site_state *st)
{
	st->drift = true;
}

void
health_served(struct site_state *st, const struct addr *served, size_t n)
{
	set_published(st, served, n);
}

void
health_unswitch(struct site_state *st, const struct health_decision *d)
{
	if (d->side_changed)
		st->side = d->want_side == SIDE_PRIMARY ? SIDE_FAILOVER :
		    SIDE_PRIMARY;
}

bool
health_take_foreign(struct site_state *a, const struct site_state *b)
{
	bool changed = a->hold.active != b->hold.active ||
	    a->drift != b->drift || a->side != b->side;

	a->side = b->side;
	a->hold = b->hold;
	a->drift = b->drift;
	a->last_change = b->last_change;
	memcpy(a->last_reason, b->last_reason, sizeof(a->last_reason));
	if (b->published_known)
		health_published(a, b->published, b->npublished,
		    b->last_change, b->last_reason);
	else
		a->published_known = false;
	return changed;
}
