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
 *
 * A switch the rules want passes two more gates (rules 20, 21):
 *
 *   FAILOVER -> PRIMARY waits ........................ FAILBACK_WAIT
 *     failback_delay: until the primaries have stayed up that long;
 *     failback: manual: until release or flip (unless flip or release
 *     put the site on failover);
 *     neither while no failover address is up: back to primary then
 *   flap.switches automatic switches within flap.within .. FLAPPING:
 *     not made; held where it is until release (the records stay)
 *
 * How they sit with fall and rise: fall and rise confirm each address,
 * and only confirmed health moves the site; failback_delay starts when
 * rise confirms a primary up (not at its first good probe), so a
 * primary that comes back returns the site after about rise rounds plus
 * failback_delay.  Any failed probe of a primary not confirmed down
 * starts the delay again at the next good round, although the address
 * stays up until fall failures.  Each switch needs at least one round,
 * and a return at least rise rounds plus the delay: fall, rise and
 * failback_delay damp flapping first, the flap hold is the last stop.
 * Switches made by release, and flips, do not count; a switch that is
 * not carried out (health_unswitch, health_no_quorum) is taken back.
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
	[HA_FAILBACK_WAIT] = "waiting for failback",
	[HA_FLAPPING] = "flapping",
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
	free(st->switched);
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
	dst->switched = dup_array(src->switched, src->nswitched,
	    sizeof(*src->switched));
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

/*
 * Rule 1 for every address, and rule 20's clock: up_since is when a
 * primary was confirmed up; a failed probe of a primary that was not
 * confirmed down stops it (it starts again at the next good round).
 */
static void
observe_all(const struct site *s, struct site_state *st,
    const struct probe_result *res, time_t now, struct health_decision *d)
{
	bool failed = false;
	enum health was;
	size_t i;

	for (i = 0; res != NULL && i < st->nprimary; i++) {
		was = st->primary[i].health;
		observe(&st->primary[i], "primary", &res[i], s, now, d);
		failed |= probe_counts(&res[i]) && res[i].reason != PROBE_OK &&
		    was != HEALTH_DOWN;
	}
	for (i = 0; res != NULL && i < st->nfailover; i++)
		observe(&st->failover[i], "failover", &res[st->nprimary + i], s,
		    now, d);
	if (failed || count(st->primary, st->nprimary, HEALTH_UP) == 0)
		st->up_since = 0;
	else if (st->up_since == 0)
		st->up_since = now;
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

bool
health_hold_flapping(const struct hold *h)
{
	return h->active && strcmp(h->who, HOLD_FLAP_WHO) == 0 &&
	    strcmp(h->reason, HOLD_FLAP_REASON) == 0;
}

/*
 * Rule 6: a held site publishes its held side and nothing else.  Rule
 * 21: held for flapping, it publishes nothing: the records stay.
 */
static void
held(struct site_state *st, struct health_decision *d)
{
	if (health_hold_flapping(&st->hold)) {
		d->want_side = st->hold.side;
		d->nwant = 0;
		d->action = HA_HELD;
		snprintf(d->reason, sizeof(d->reason), "held on %s: flapping; "
		    "no automatic change until release",
		    side_str(st->hold.side));
		return;
	}
	want_side(d, st, st->hold.side);
	d->action = published(st, d) ? HA_HELD : HA_PUBLISH;
	snprintf(d->reason, sizeof(d->reason), "held on %s by %s%s%s",
	    side_str(st->hold.side), st->hold.who, st->hold.reason[0] ?
	    ": " : "", st->hold.reason);
}

/* "primary up since 2026-12-02T18:30:00Z", or without the time. */
static void
up_text(const struct site_state *st, char *buf, size_t size)
{
	char t[32];

	if (st->up_since == 0) {
		snprintf(buf, size, "primary up");
		return;
	}
	time_rfc3339(st->up_since, t, sizeof(t));
	snprintf(buf, size, "primary up since %s", t);
}

/* Rule 20: why the return waits, in words. */
static void
failback_reason(const struct site *s, const struct site_state *st,
    struct health_decision *d, bool manual, int64_t wait_ms)
{
	char set[2 * HEALTH_TEXT], up[64], left[32], delay[32];
	size_t off = 0;

	if (d->action == HA_PUBLISH) {
		addr_list_str(d->want, d->nwant, set, sizeof(set));
		off = (size_t)snprintf(d->reason, sizeof(d->reason),
		    "failover now %s; ", set);
	}
	up_text(st, up, sizeof(up));
	format_duration(s->failback_delay_ms, delay, sizeof(delay));
	duration_hms((wait_ms + 999) / 1000, left, sizeof(left));
	if (manual)
		snprintf(d->reason + off, sizeof(d->reason) - off, "%s; "
		    "waiting for release (failback: manual)", up);
	else if (st->up_since == 0)
		snprintf(d->reason + off, sizeof(d->reason) - off, "a primary "
		    "probe failed; failback_delay %s starts again", delay);
	else
		snprintf(d->reason + off, sizeof(d->reason) - off, "%s; "
		    "failback waits %s more (failback_delay %s)", up, left,
		    delay);
}

/*
 * Rule 20: the return to primary that choose() wants waits, while a
 * failover address still serves.  Returns whether it does; d then holds
 * the failover side's set (which may have changed: HA_PUBLISH).
 */
static bool
failback_waits(const struct site *s, struct site_state *st,
    struct health_decision *d, time_t now)
{
	bool manual = s->failback_manual && !st->side_by_hand;
	int64_t wait = 0;

	if (st->side != SIDE_FAILOVER || d->want_side != SIDE_PRIMARY)
		return false;
	/* served already (a peer returned it): nothing to wait for */
	if (st->published_known && st->npublished > 0 &&
	    addr_subset(st->published, st->npublished, s->primary,
	    s->nprimary))
		return false;
	if (!manual) {
		if (s->failback_delay_ms == 0)
			return false;
		wait = (int64_t)s->failback_delay_ms;
		if (st->up_since != 0)
			wait -= ((int64_t)now - (int64_t)st->up_since) * 1000;
		if (wait <= 0)
			return false;
	}
	if (count(st->failover, st->nfailover, HEALTH_UP) == 0)
		return false;		/* nothing else serves: go back */
	d->want_side = SIDE_FAILOVER;
	d->nwant = 0;
	want_add(d, st->failover, st->nfailover, HEALTH_UP, true);
	d->action = published(st, d) ? HA_FAILBACK_WAIT : HA_PUBLISH;
	d->failback_ready = manual;
	if (st->failback_since == 0)
		st->failback_since = now;
	failback_reason(s, st, d, manual, wait);
	return true;
}

/* Rule 21: the automatic switches of st within flap.within of now. */
static bool
switch_recent(const struct site *s, time_t at, time_t now)
{
	return ((int64_t)now - (int64_t)at) * 1000 <
	    (int64_t)s->flap_within_ms;
}

/*
 * Rule 21: flap.switches automatic switches within flap.within already:
 * this one is not made, and the site is held where it is.
 */
static bool
flap_holds(const struct site *s, struct site_state *st,
    struct health_decision *d, time_t now)
{
	char within[32];
	size_t i, n = 0;

	if (s->flap_switches == 0)
		return false;
	for (i = 0; i < st->nswitched; i++)
		n += switch_recent(s, st->switched[i], now);
	if (n < s->flap_switches)
		return false;
	format_duration(s->flap_within_ms, within, sizeof(within));
	snprintf(d->reason, sizeof(d->reason), "held: flapping (%zu switch%s "
	    "within %s); the switch to %s is not made; no automatic change "
	    "until release", n, n == 1 ? "" : "es", within,
	    side_str(d->want_side));
	health_flip(st, st->side, 0, HOLD_FLAP_WHO, HOLD_FLAP_REASON);
	st->side_by_hand = false;	/* the rules put it there */
	d->action = HA_FLAPPING;
	d->want_side = st->side;
	d->nwant = 0;
	return true;
}

/* Rule 21: the switch being made, counted; the window's older ones go. */
static void
switch_note(const struct site *s, struct site_state *st, time_t now,
    struct health_decision *d)
{
	size_t i, k = 0;

	if (s->flap_switches == 0)
		return;
	for (i = 0; i < st->nswitched; i++)
		if (switch_recent(s, st->switched[i], now))
			st->switched[k++] = st->switched[i];
	if (k == FLAP_MAX_SWITCHES)
		memmove(st->switched, st->switched + 1, --k *
		    sizeof(*st->switched));
	st->switched = xreallocarray(st->switched, k + 1,
	    sizeof(*st->switched));
	st->switched[k++] = now;
	st->nswitched = k;
	d->switch_noted = true;
}

/*
 * Rules 20 and 21 for a switch the rules want: it waits for failback or
 * is held for flapping (true: d says so), or it is made (false), and
 * counted unless release made it or DNS already serves it.
 */
static bool
switch_gate(const struct site *s, struct site_state *st,
    struct health_decision *d, time_t now, bool released)
{
	if (failback_waits(s, st, d, now))
		return true;
	if (published(st, d))
		return false;		/* made already (by a peer) */
	if (released) {
		d->switch_released = true;
		return false;
	}
	if (flap_holds(s, st, d, now))
		return true;
	switch_note(s, st, now, d);
	return false;
}

void
health_step(const struct site *s, struct site_state *st,
    const struct probe_result *res, bool isolated, time_t now,
    struct health_decision *d)
{
	bool released;

	memset(d, 0, sizeof(*d));
	d->want = xcalloc(st->nprimary + st->nfailover + 1, sizeof(*d->want));
	d->want_side = st->side;
	if (isolated) {			/* rule 10 */
		d->action = HA_ISOLATED;
		snprintf(d->reason, sizeof(d->reason), "every canary failed: "
		    "this round counts for no site");
		return;
	}
	released = st->released;
	st->released = false;
	observe_all(s, st, res, now, d);
	if (st->hold.active && st->hold.until != 0 && now >= st->hold.until) {
		st->hold.active = false;
		d->hold_expired = true;
	}
	if (st->hold.active || st->drift)
		st->failback_since = 0;	/* it waits for something else */
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
	if (d->action == HA_PUBLISH && d->want_side != st->side &&
	    switch_gate(s, st, d, now, released))
		return;
	st->failback_since = 0;
	if (d->action == HA_PUBLISH) {
		d->side_changed = d->want_side != st->side;
		st->side = d->want_side;
		if (d->side_changed && st->side == SIDE_FAILOVER)
			st->side_by_hand = false;	/* the rules chose */
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
	d->side_changed = d->switch_noted = d->switch_released = false;
	snprintf(d->reason, sizeof(d->reason), "%s", why);
}

bool
health_failback_wait(const struct site *s, const struct site_state *st,
    time_t *since, time_t *ready_at)
{
	*since = st->failback_since;
	*ready_at = 0;
	if (st->failback_since == 0 || st->side != SIDE_FAILOVER ||
	    st->hold.active || st->drift)
		return false;
	if (s != NULL && !(s->failback_manual && !st->side_by_hand) &&
	    st->up_since != 0)
		*ready_at = st->up_since + (time_t)((s->failback_delay_ms +
		    999) / 1000);
	return true;
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
	st->side_by_hand = true;
	st->failback_since = 0;
}

/* Rules 20, 21: what release ends: a failback's wait, the flap count. */
void
health_release(struct site_state *st, const struct addr *published,
    size_t n, time_t now)
{
	health_published(st, published, n, now, "released");
	st->hold.active = false;
	st->drift = false;
	st->side_by_hand = true;
	st->failback_since = 0;
	free(st->switched);
	st->switched = NULL;
	st->nswitched = 0;
	st->released = true;
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
	if (!d->side_changed)
		return;
	st->side = d->want_side == SIDE_PRIMARY ? SIDE_FAILOVER :
	    SIDE_PRIMARY;
	if (d->switch_noted && st->nswitched > 0)
		st->nswitched--;	/* rule 21: not made, not counted */
	if (d->switch_released)
		st->released = true;	/* still release's when made */
}

bool
health_take_foreign(struct site_state *a, const struct site_state *b)
{
	bool changed = a->hold.active != b->hold.active ||
	    a->drift != b->drift || a->side != b->side;

	a->side = b->side;
	a->hold = b->hold;
	a->drift = b->drift;
	a->failback_since = b->failback_since;
	a->side_by_hand = b->side_by_hand;
	free(a->switched);
	a->switched = dup_array(b->switched, b->nswitched,
	    sizeof(*b->switched));
	a->nswitched = b->nswitched;
	a->last_change = b->last_change;
	memcpy(a->last_reason, b->last_reason, sizeof(a->last_reason));
	if (b->published_known)
		health_published(a, b->published, b->npublished,
		    b->last_change, b->last_reason);
	else
		a->published_known = false;
	return changed;
}
