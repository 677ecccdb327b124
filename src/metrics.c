/*
 * metrics.c: the Prometheus textfile.
 *
 * Written from the state alone (plus the round's duration), so check,
 * which lives for one round, and the daemon write the same file.
 * Counters live in the state file and so survive restarts.  The file is
 * written next to its final name and renamed over it: the textfile
 * collector never reads half a file.  Families are written one after the
 * other, each with HELP and TYPE, as the format requires.
 */
#include <stdio.h>

#include "metrics.h"
#include "util.h"

#define P	"dnsfailover_"

/* Label values: site names and addresses need no escaping, but a
 * future label might. */
static void
label(FILE *fp, const char *name, const char *v, bool first)
{
	fprintf(fp, "%s%s=\"", first ? "" : ",", name);
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(fp, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", fp);
		else
			fputc(*v, fp);
	}
	fputc('"', fp);
}

static void
family(FILE *fp, const char *name, const char *type, const char *help)
{
	fprintf(fp, "# HELP " P "%s %s\n# TYPE " P "%s %s\n", name, help,
	    name, type);
}

enum site_value { SV_SIDE, SV_HELD, SV_DRIFT, SV_PENDING, SV_FLAPPING,
	SV_FAILBACK_WAITING, SV_APPLIED, SV_FAILED, SV_PROBES,
	SV_PROBES_FAILED };

static unsigned long long
site_value(const struct state_site *s, enum site_value v)
{
	time_t since, at;

	switch (v) {
	case SV_SIDE:		return s->st.side == SIDE_FAILOVER;
	case SV_HELD:		return s->st.hold.active;
	case SV_DRIFT:		return s->st.drift;
	case SV_PENDING:	return s->pending;
	case SV_FLAPPING:	return health_hold_flapping(&s->st.hold);
	case SV_FAILBACK_WAITING:
		return health_failback_wait(NULL, &s->st, &since, &at);
	case SV_APPLIED:	return s->n.updates_applied;
	case SV_FAILED:		return s->n.updates_failed;
	case SV_PROBES:		return s->n.probes;
	case SV_PROBES_FAILED:	return s->n.probes_failed;
	}
	return 0;
}

static void
per_site(FILE *fp, const struct state *st, const char *name,
    const char *type, const char *help, enum site_value v)
{
	size_t i;

	family(fp, name, type, help);
	for (i = 0; i < st->nsites; i++) {
		fprintf(fp, P "%s{", name);
		label(fp, "site", st->sites[i].name, true);
		fprintf(fp, "} %llu\n", site_value(&st->sites[i], v));
	}
}

static void
addr_labels(FILE *fp, const struct state_site *s, const char *role,
    const struct addr_state *a)
{
	fputc('{', fp);
	label(fp, "site", s->name, true);
	label(fp, "role", role, false);
	label(fp, "address", a->addr.text, false);
	fputc('}', fp);
}

enum addr_value { AV_UP, AV_DURATION, AV_CERT };

static bool
addr_value(FILE *fp, const struct addr_state *a, enum addr_value v)
{
	switch (v) {
	case AV_DURATION:
		if (!a->probed)
			return false;
		fprintf(fp, P "address_probe_duration_seconds");
		return true;
	case AV_CERT:
		if (a->cert_expires <= 0)
			return false;
		fprintf(fp, P "address_cert_expiry_timestamp_seconds");
		return true;
	default:
		fprintf(fp, P "address_up");
		return true;
	}
}

/* up (1, 0, NaN when unknown), the last probe's duration, or when the
 * address's certificate expires (rule 19). */
static void
per_address(FILE *fp, const struct state *st, enum addr_value v)
{
	static const char *const roles[] = { "primary", "failover" };
	size_t i, k, r;

	for (i = 0; i < st->nsites; i++) {
		const struct site_state *ss = &st->sites[i].st;

		for (r = 0; r < 2; r++) {
			const struct addr_state *a = r ? ss->failover :
			    ss->primary;
			size_t n = r ? ss->nfailover : ss->nprimary;

			for (k = 0; k < n; k++) {
				if (!addr_value(fp, &a[k], v))
					continue;
				addr_labels(fp, &st->sites[i], roles[r], &a[k]);
				if (v == AV_DURATION)
					fprintf(fp, " %.3f\n",
					    a[k].last_ms / 1000.0);
				else if (v == AV_CERT)
					fprintf(fp, " %lld\n",
					    (long long)a[k].cert_expires);
				else
					fprintf(fp, " %s\n", a[k].health ==
					    HEALTH_UP ? "1" : a[k].health ==
					    HEALTH_DOWN ? "0" : "NaN");
			}
		}
	}
}

/*
 * Changes of side by their reason: the rules' (to failover when the
 * primaries are down, back when they are up: applied in DNS), flips to
 * the other side, and the switches release made.
 */
static void
switches(FILE *fp, const struct state *st)
{
	static const char *const reasons[] = { "primary_down", "failback",
	    "flip", "release" };
	unsigned long long v[NELEM(reasons)];
	size_t i, k;

	family(fp, "switches_total", "counter", "Changes of side by reason: "
	    "automatic ones applied in DNS (primary_down, failback), flips to "
	    "the other side (flip), switches made by release (release).");
	for (i = 0; i < st->nsites; i++) {
		const struct site_counters *n = &st->sites[i].n;

		v[0] = n->switches > n->failbacks ? n->switches - n->failbacks :
		    0;
		v[1] = n->failbacks;
		v[2] = n->flips;
		v[3] = n->releases;
		for (k = 0; k < NELEM(reasons); k++) {
			fputs(P "switches_total{", fp);
			label(fp, "site", st->sites[i].name, true);
			label(fp, "reason", reasons[k], false);
			fprintf(fp, "} %llu\n", v[k]);
		}
	}
}

/* Rule 17: the peers of several monitors, as this one sees them. */
static void
peers(FILE *fp, const struct metrics_peers *mp)
{
	static const char *const wants[] = { "none", "primary", "failover" };
	size_t i, k;

	family(fp, "quorum_needed", "gauge", "Monitors that must agree before "
	    "a switch (monitor.quorum).");
	fprintf(fp, P "quorum_needed %u\n", mp->quorum);
	family(fp, "monitors_fresh", "gauge", "Monitors whose views count now "
	    "(this one included when its votes go in).");
	fprintf(fp, P "monitors_fresh %zu\n", mp->nfresh);
	family(fp, "quorum_lost", "gauge", "1 while fewer monitors are fresh "
	    "than the quorum needs (no automatic change).");
	fprintf(fp, P "quorum_lost %d\n", mp->lost);
	family(fp, "peer_fresh", "gauge", "1 while the peer's heartbeat was "
	    "seen to change within monitor.fresh.");
	for (i = 0; i < mp->n; i++) {
		fputs(P "peer_fresh{", fp);
		label(fp, "peer", mp->p[i].id, true);
		fprintf(fp, "} %d\n", mp->p[i].fresh);
	}
	family(fp, "peer_heartbeat_age_seconds", "gauge", "Since this monitor "
	    "saw the peer's heartbeat change, on its own clock (NaN: not "
	    "yet).");
	for (i = 0; i < mp->n; i++) {
		fputs(P "peer_heartbeat_age_seconds{", fp);
		label(fp, "peer", mp->p[i].id, true);
		if (mp->p[i].age < 0)
			fputs("} NaN\n", fp);
		else
			fprintf(fp, "} %.3f\n", mp->p[i].age);
	}
	family(fp, "peer_views", "gauge", "The peer's views of the sites, by "
	    "the side they want.");
	for (i = 0; i < mp->n; i++)
		for (k = 0; k < 3; k++) {
			fputs(P "peer_views{", fp);
			label(fp, "peer", mp->p[i].id, true);
			label(fp, "want", wants[k], false);
			fprintf(fp, "} %zu\n", mp->p[i].want[k]);
		}
}

static void
write_all(FILE *fp, const struct config *cfg, const struct state *st,
    const struct metrics_round *m)
{
	(void)cfg;
	per_site(fp, st, "site_side", "gauge", "Side the site's records are "
	    "on: 0 primary, 1 failover.", SV_SIDE);
	per_site(fp, st, "site_held", "gauge", "1 while the site is held by "
	    "flip (no automatic change).", SV_HELD);
	per_site(fp, st, "site_drift", "gauge", "1 while the site's records "
	    "were changed by someone else (no automatic change).", SV_DRIFT);
	per_site(fp, st, "site_pending", "gauge", "1 while a DNS update of "
	    "the site is not applied yet (retried every round).",
	    SV_PENDING);
	per_site(fp, st, "flapping", "gauge", "1 while the site is held for "
	    "flapping (flap: too many automatic switches; until release).",
	    SV_FLAPPING);
	per_site(fp, st, "failback_waiting", "gauge", "1 while the return to "
	    "primary waits (failback_delay, or failback: manual until "
	    "release).", SV_FAILBACK_WAITING);
	family(fp, "address_up", "gauge", "Confirmed health of the address: "
	    "1 up, 0 down, NaN not confirmed yet.");
	per_address(fp, st, AV_UP);
	family(fp, "address_probe_duration_seconds", "gauge", "Duration of "
	    "the address's last probe that counted.");
	per_address(fp, st, AV_DURATION);
	family(fp, "address_cert_expiry_timestamp_seconds", "gauge", "When "
	    "the address's TLS certificate expires, in seconds since the "
	    "epoch (https checks with cert_warn).");
	per_address(fp, st, AV_CERT);
	switches(fp, st);
	per_site(fp, st, "updates_applied_total", "counter", "DNS updates of "
	    "the site applied (automatic and manual).", SV_APPLIED);
	per_site(fp, st, "updates_failed_total", "counter", "DNS updates of "
	    "the site that failed (each is retried).", SV_FAILED);
	per_site(fp, st, "probes_total", "counter", "Probes of the site's "
	    "addresses that counted (local errors do not).", SV_PROBES);
	per_site(fp, st, "probes_failed_total", "counter", "Probes of the "
	    "site's addresses that failed.", SV_PROBES_FAILED);
	family(fp, "sites", "gauge", "Sites in sitelist.yaml.");
	fprintf(fp, P "sites %zu\n", st->nsites);
	family(fp, "monitor_isolated", "gauge", "1 when every canary failed "
	    "in the last round (nothing changes).");
	fprintf(fp, P "monitor_isolated %d\n", m->isolated);
	family(fp, "probes_blind", "gauge", "1 while no probe can run "
	    "(every result a local error of this monitor): rounds count for "
	    "no site.");
	fprintf(fp, P "probes_blind %d\n", st->blind_since != 0);
	family(fp, "rounds_blind_total", "counter", "Rounds in which no probe "
	    "could run (they counted for no site).");
	fprintf(fp, P "rounds_blind_total %llu\n",
	    (unsigned long long)st->blind_rounds);
	family(fp, "round_duration_seconds", "gauge", m->daemon ? "Duration "
	    "of the last daemon round (the sites due at one moment), from "
	    "their probes' start to the decision; DNS updates run apart." : "Duration of the last check round, probes "
	    "and DNS updates included.");
	fprintf(fp, P "round_duration_seconds %.3f\n", m->seconds);
	family(fp, "last_round_timestamp_seconds", "gauge", "When the last "
	    "round ended, in seconds since the epoch.");
	fprintf(fp, P "last_round_timestamp_seconds %lld\n", (long long)m->at);
	if (m->peers != NULL)
		peers(fp, m->peers);
}

struct all {
	const struct config		*cfg;
	const struct state		*st;
	const struct metrics_round	*m;
};

static void
fill(FILE *fp, const void *arg)
{
	const struct all *a = arg;

	write_all(fp, a->cfg, a->st, a->m);
}

int
metrics_write(const char *path, const struct config *cfg,
    const struct state *st, const struct metrics_round *m)
{
	struct all a = { cfg, st, m };

	/* 0644 whatever the umask: the collector reads it (units set 077) */
	return file_replace(path, 0644, 0, fill, &a);
}
