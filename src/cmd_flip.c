/*
 * cmd_flip.c: "flip SITE... primary|failover" and "release SITE...",
 * for on-call staff.  Both wait briefly for a running check rather than
 * be lost, and publish through the same round as check.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "cmd.h"
#include "log.h"
#include "notify.h"
#include "parse.h"
#include "publish.h"
#include "round.h"
#include "session.h"
#include "util.h"

/* as long as a round may reasonably take: a flip must not be lost */
#define LOCK_WAIT_MS	120000

/* Who runs this: the sudo user, else the login name. */
static const char *
who(void)
{
	const struct passwd *pw;
	const char *u = getenv("SUDO_USER");

	if (u != NULL && *u != '\0')
		return u;
	if ((u = getlogin()) != NULL)
		return u;
	pw = getpwuid(getuid());
	return pw != NULL ? pw->pw_name : "unknown";
}

/*
 * A reason is kept whole everywhere it is shown, so one too long for
 * that is refused rather than cut; says so on stderr.
 */
static int
reason_check(const struct globals *g)
{
	size_t n = g->reason != NULL ? strlen(g->reason) : 0;

	if (n <= HOLD_REASON_MAX)
		return 0;
	fprintf(stderr, "dnsfailover: --reason: %zu bytes is longer than "
	    "the %d allowed\n", n, HOLD_REASON_MAX);
	return -1;
}

/* Warns about addresses of the side being flipped to that last failed. */
static void
warn_down(const struct site *s, const struct site_state *st, enum side side)
{
	const struct addr_state *a = side == SIDE_PRIMARY ? st->primary :
	    st->failover;
	size_t i, n = side == SIDE_PRIMARY ? st->nprimary : st->nfailover;

	for (i = 0; i < n; i++)
		if (a[i].health == HEALTH_DOWN)
			log_warnx("%s: %s %s last probed down (%s)", s->name,
			    side_str(side), a[i].addr.text, a[i].last_error);
}

/* Who holds a site: with peers, which monitor it was flipped on too.
 * Always in buf, which it returns. */
static const char *
holder(const struct session *ss, char *buf, size_t size)
{
	if (!ss->cfg->monitor.enabled)
		str_copy(buf, who(), size);
	else
		snprintf(buf, size, "%s@%s", who(), ss->cfg->monitor.id);
	return buf;
}

/*
 * Rule 15: the holds (or their ends) go to the votes zone for every
 * peer; one not sent is retried by the next round here, and until then
 * the peers do not know of it: said, and exit 75.
 */
static void
holds_send(struct round *r)
{
	size_t i;

	if (r->ss->votes == NULL || r->ss->dry_run)
		return;
	round_vote(r, false, false);
	for (i = 0; i < r->nsites; i++)
		if (round_site_state(r, i)->hold_unsent) {
			log_warnx("%s: the peers are not told yet (the votes "
			    "zone did not take it); the next round here "
			    "retries", r->sites[i]->name);
			r->failed = true;
		}
}

/*
 * What the server serves for every record of s, if they all agree: the
 * set release adopts, and the one flip writes over.  NULL (with a
 * warning ending in fails) when it cannot be read or the records
 * differ; *none stands for "no address".
 */
static struct addr *
served_set(const struct site *s, size_t *n, struct addr *none,
    const char *fails)
{
	struct addr *a;
	size_t k;
	char err[256];

	switch (publish_read_same(s->dns, s->records, s->nrecords, &a, n, &k,
	    err, sizeof(err))) {
	case 0:
		return a != NULL ? a : none;
	case 1:
		log_warnx("%s: %s and %s serve different addresses; flip the "
		    "site to write them all; %s", s->name, s->records[0],
		    s->records[k], fails);
		return NULL;
	default:
		log_warnx("%s: cannot read the published addresses: %s; %s",
		    s->name, err, fails);
		return NULL;
	}
}

/* Holds site i of r on side (until: 0, or when --for ends); rule 6. */
static void
flip_one(const struct globals *g, struct round *r, size_t i, enum side side,
    time_t until)
{
	const struct site *s = r->sites[i];
	struct state_site *x = round_site_state(r, i);
	char text[512], buf[160];
	const char *by = holder(r->ss, buf, sizeof(buf));

	snprintf(text, sizeof(text), "flipped to %s by %s%s%s", side_str(side),
	    by, until ? " for " : "", until ? g->for_duration : "");
	if (g->reason != NULL)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
		    ": %s", g->reason);
	session_event_detail(r->ss, EV_FLIP, s, x->st.side, side, side ==
	    SIDE_PRIMARY ? s->primary : s->failover, side == SIDE_PRIMARY ?
	    s->nprimary : s->nfailover, text,
	    &(struct event_detail){ by, NULL, -1, false });
	warn_down(s, &x->st, side);
	x->n.flips += x->st.side != side;	/* a switch by hand */
	health_flip(&x->st, side, until, by, g->reason ? g->reason : "");
	x->pending = false;
	x->hold_unsent = r->ss->votes != NULL;
}

int
cmd_flip(const struct globals *g, int argc, char **argv)
{
	char err[PARSE_ERRLEN] = "";
	uint64_t ms = 0;
	struct session ss;
	enum side side;
	struct round r;
	size_t i;
	int rc;

	if (reason_check(g) == -1)
		return EX_USAGE;
	if (argc < 3 || (strcmp(argv[argc - 1], "primary") != 0 &&
	    strcmp(argv[argc - 1], "failover") != 0)) {
		fprintf(stderr, "dnsfailover: usage: flip SITE... "
		    "primary|failover [--for DURATION] [--reason TEXT]\n");
		return EX_USAGE;
	}
	side = strcmp(argv[argc - 1], "primary") == 0 ? SIDE_PRIMARY :
	    SIDE_FAILOVER;
	if (g->for_duration != NULL && (parse_duration(g->for_duration, &ms,
	    err, sizeof(err)) == -1 || ms == 0)) {
		fprintf(stderr, "dnsfailover: --for: %s\n", ms == 0 &&
		    err[0] == '\0' ? "must be longer than 0" : err);
		return EX_USAGE;
	}
	if ((rc = cmd_round_open(g, argc - 1, argv, LOCK_WAIT_MS, &ss, &r)) !=
	    -1)
		return rc;
	round_read(&r);		/* sites met for the first time */
	for (i = 0; i < r.nsites; i++) {
		struct addr none, *pub;
		size_t npub;

		/* a flip writes unconditionally: over what is served now,
		 * which a peer or a person may have changed since this
		 * monitor last looked (it is written blind if unreadable) */
		if ((pub = served_set(r.sites[i], &npub, &none,
		    "writing the flip over what was last published")) !=
		    NULL) {
			health_served(&round_site_state(&r, i)->st, pub, npub);
			if (pub != &none)
				free(pub);
		}
		flip_one(g, &r, i, side, ms ? ss.now + (time_t)((ms + 999) /
		    1000) : 0);
	}
	round_apply(&r);
	holds_send(&r);
	/* nothing to publish: still say who held it, and why (rule 9) */
	for (i = 0; i < r.nsites; i++)
		if (r.d[i].action == HA_HELD)
			log_info("%s: %s (already published)", r.sites[i]->name,
			    r.d[i].reason);
	return cmd_round_close(&ss, &r);
}

int
cmd_release(const struct globals *g, int argc, char **argv)
{
	struct addr *pub, none;
	struct session ss;
	struct round r;
	size_t i, npub = 0;
	char text[512], by[160];
	int rc;

	if (reason_check(g) == -1)
		return EX_USAGE;
	if (argc < 2) {
		fprintf(stderr, "dnsfailover: usage: release SITE...\n");
		return EX_USAGE;
	}
	if ((rc = cmd_round_open(g, argc, argv, LOCK_WAIT_MS, &ss, &r)) != -1)
		return rc;
	round_read(&r);		/* sites met for the first time */
	for (i = 0; i < r.nsites; i++) {
		struct state_site *x = round_site_state(&r, i);
		const struct site *s = r.sites[i];

		/* what the server serves now is the last published set */
		if ((pub = served_set(s, &npub, &none, "not released")) ==
		    NULL) {
			r.failed = true;
			continue;
		}
		health_release(&x->st, pub, npub, ss.now);
		if (pub != &none)
			free(pub);
		x->pending = false;
		x->hold_unsent = ss.votes != NULL;
		snprintf(text, sizeof(text), "released by %s%s%s; automatic "
		    "control again", holder(&ss, by, sizeof(by)), g->reason ?
		    ": " : "", g->reason ? g->reason : "");
		log_info("%s: %s", s->name, text);
		session_event_detail(&ss, EV_RELEASE, s, x->st.side,
		    x->st.side, NULL, 0, text,
		    &(struct event_detail){ by, NULL, -1, false });
	}
	round_apply(&r);
	holds_send(&r);
	return cmd_round_close(&ss, &r);
}
