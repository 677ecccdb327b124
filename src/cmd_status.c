/*
 * cmd_status.c: "dnsfailover status [--json] [SITE...]": what each site
 * serves and why, from the state file.  Reads only; takes no lock.
 */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "cmd.h"
#include "config.h"
#include "health.h"
#include "quorum.h"
#include "state.h"
#include "util.h"
#include "vote.h"

static void
when(time_t t, char *buf, size_t size)
{
	struct tm tm;

	if (t == 0 || gmtime_r(&t, &tm) == NULL)
		snprintf(buf, size, "never");
	else
		strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

/* The addresses as a list, "(none)" for none. */
static void
addrs_text(const struct addr *a, size_t n, char *buf, size_t size)
{
	if (n == 0)
		snprintf(buf, size, "(none)");
	else
		addr_list_str(a, n, buf, size);
}

static const char *
mode(const struct site_state *st)
{
	return st->hold.active ? "held" : st->drift ? "drift" : "auto";
}

/*
 * Reasons, names of people and server errors are shown escaped: a
 * newline typed into --reason must not forge a line, nor an escape
 * sequence reach the terminal.
 */
#define SAFE(buf, s)	str_escape((buf), (s), sizeof(buf))

static void
text_addrs(const char *side, const struct addr_state *a, size_t n)
{
	char e[4 * HEALTH_TEXT], t[32];
	size_t i;

	for (i = 0; i < n; i++) {
		printf("  %-9s %-26s %-8s", side, a[i].addr.text,
		    health_str(a[i].health));
		if (a[i].fail_run > 0)
			printf(" %u failed: %s", a[i].fail_run,
			    SAFE(e, a[i].last_error));
		else
			printf(" %u ok", a[i].ok_run);
		if (a[i].cert_expires > 0) {	/* rule 19 */
			time_rfc3339((time_t)a[i].cert_expires, t, sizeof(t));
			printf(", certificate expires %s", t);
		}
		printf("\n");
	}
}

/* "12s", "5m", or "?" for not known. */
static void
age_text(int64_t ms, char *buf, size_t size)
{
	if (ms < 0)
		snprintf(buf, size, "?");
	else if (ms < 120000)
		snprintf(buf, size, "%llds", (long long)(ms / 1000));
	else
		duration_short(ms / 1000, buf, size);
}

/* Rule 17: each monitor's view of s and its age. */
static void
text_views(const struct votes *v, const struct site *s, int64_t now)
{
	struct peer_view pv[MONITOR_MAX_PEERS];
	char age[32], why[4 * VOTE_WHY_MAX + 1];
	size_t i;

	if (v == NULL)
		return;
	quorum_views(v, s->name, now, pv);
	for (i = 0; i < v->npeer; i++) {
		age_text(pv[i].age_ms, age, sizeof(age));
		printf("  %-9s %-12s ", i == 0 ? "views" : "",
		    pv[i].peer->id);
		if (!pv[i].has)
			printf("(no view)");
		else
			printf("%-8s %s ago: %s", vote_want_str(pv[i].v.want),
			    age, SAFE(why, pv[i].v.why));
		printf("%s\n", pv[i].peer->fresh ? "" : " [stale]");
	}
	peer_views_clear(pv, v->npeer);
}

/*
 * Rule 20: the return to primary that waits; rule 21: the hold for
 * flapping (shown above as a hold), with the switches behind it.
 */
static void
text_failback_flap(const struct site *s, const struct site_state *st,
    time_t now)
{
	char t[64], left[32], delay[32];
	time_t since, at;

	format_duration(s->failback_delay_ms, delay, sizeof(delay));
	if (health_failback_wait(s, st, &since, &at)) {
		when(since, t, sizeof(t));
		if (s->failback_manual && !st->side_by_hand)
			printf("  FAILBACK  waiting for failback since %s "
			    "(failback: manual); release returns it\n", t);
		else if (at == 0)
			printf("  FAILBACK  waiting since %s: a primary probe "
			    "failed, failback_delay %s starts again\n", t,
			    delay);
		else if (at > now) {
			duration_hms(at - now, left, sizeof(left));
			printf("  FAILBACK  failback in %s (failback_delay %s)\n",
			    left, delay);
		} else
			printf("  FAILBACK  failback due (failback_delay %s "
			    "passed)\n", delay);
	}
	if (health_hold_flapping(&st->hold)) {
		format_duration(s->flap_within_ms, t, sizeof(t));
		printf("  FLAPPING  %zu automatic switch%s within %s; no "
		    "automatic change until release\n", st->nswitched,
		    st->nswitched == 1 ? "" : "es", t);
	}
}

static void
text_site(const struct site *s, const struct state_site *x,
    const struct votes *v, int64_t now)
{
	const struct site_state *st;
	char buf[512], t[64], who[4 * sizeof(st->hold.who)];
	char why[4 * sizeof(x->pending_error)];

	printf("%s\n", s->name);
	if (x == NULL) {
		printf("  not checked yet\n\n");
		return;
	}
	st = &x->st;
	printf("  side      %s, %s", side_str(st->side), mode(st));
	if (st->hold.active) {
		when(st->hold.until, t, sizeof(t));
		printf(" by %s%s%s%s", SAFE(who, st->hold.who),
		    st->hold.until ? " until " : "", st->hold.until ? t : "",
		    st->hold.reason[0] ? ": " : "");
		printf("%s", SAFE(why, st->hold.reason));
	}
	printf("\n");
	addrs_text(st->published, st->npublished, buf, sizeof(buf));
	printf("  serving   %s\n", st->published_known ? buf : "(unknown)");
	text_addrs("primary", st->primary, st->nprimary);
	text_addrs("failover", st->failover, st->nfailover);
	when(st->last_change, t, sizeof(t));
	printf("  changed   %s%s%s\n", t, st->last_reason[0] ? ": " : "",
	    SAFE(why, st->last_reason));
	if (x->pending) {
		addrs_text(x->want, x->nwant, buf, sizeof(buf));
		when(x->pending_since, t, sizeof(t));
		printf("  PENDING   %s since %s: %s\n", buf, t,
		    SAFE(why, x->pending_error));
	}
	if (st->drift) {
		printf("  DRIFT     the records were changed by someone else; "
		    "no automatic change until flip or release\n");
		addrs_text(st->published, st->npublished, buf, sizeof(buf));
		printf("            the server served %s; last published %s\n",
		    x->drift_served[0] ? SAFE(why, x->drift_served) :
		    "(not read)", buf);
	}
	text_failback_flap(s, st, (time_t)(now / 1000));
	if (x->hold_unsent)
		printf("  UNSENT    the hold (or its end) is not in the votes "
		    "zone yet: the peers do not know of it\n");
	text_views(v, s, now);
	printf("\n");
}

static void
json_str(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", (unsigned char)*s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void
json_addrs(const struct addr *a, size_t n)
{
	size_t i;

	putchar('[');
	for (i = 0; i < n; i++) {
		printf("%s", i ? "," : "");
		json_str(a[i].text);
	}
	putchar(']');
}

static void
json_addr_states(const char *side, const struct addr_state *a, size_t n,
    bool *first)
{
	size_t i;

	for (i = 0; i < n; i++, *first = false) {
		printf("%s{\"side\":\"%s\",\"address\":", *first ? "" : ",",
		    side);
		json_str(a[i].addr.text);
		printf(",\"health\":\"%s\",\"ok\":%u,\"failed\":%u,"
		    "\"last_error\":", health_str(a[i].health), a[i].ok_run,
		    a[i].fail_run);
		json_str(a[i].last_error);
		if (a[i].cert_expires > 0)
			printf(",\"cert_expires\":%lld",
			    (long long)a[i].cert_expires);
		putchar('}');
	}
}

static void
json_age(int64_t ms)
{
	if (ms < 0)
		printf("null");
	else
		printf("%lld", (long long)(ms / 1000));
}

static void
json_views(const struct votes *v, const struct site *s, int64_t now)
{
	struct peer_view pv[MONITOR_MAX_PEERS];
	size_t i;

	if (v == NULL)
		return;
	quorum_views(v, s->name, now, pv);
	printf(",\"views\":[");
	for (i = 0; i < v->npeer; i++) {
		printf("%s{\"peer\":", i ? "," : "");
		json_str(pv[i].peer->id);
		printf(",\"fresh\":%s,\"want\":", pv[i].peer->fresh ? "true" :
		    "false");
		if (pv[i].has) {
			printf("\"%s\",\"set\":", vote_want_str(pv[i].v.want));
			json_addrs(pv[i].v.set, pv[i].v.nset);
			printf(",\"why\":");
			json_str(pv[i].v.why);
		} else
			printf("null");
		printf(",\"age\":");
		json_age(pv[i].age_ms);
		putchar('}');
	}
	putchar(']');
	peer_views_clear(pv, v->npeer);
}

static void
json_time(time_t t)
{
	if (t == 0)
		printf("null");
	else
		printf("%lld", (long long)t);
}

/* Rule 20: "failback": {mode, delay, waiting_since, ready_at}. */
static void
json_failback(const struct site *s, const struct site_state *st)
{
	time_t since = 0, at = 0;

	printf(",\"failback\":{\"mode\":\"%s\",\"delay\":",
	    s->failback_manual ? "manual" : "auto");
	if (s->failback_delay_ms % 1000 == 0)
		printf("%llu", (unsigned long long)(s->failback_delay_ms / 1000));
	else
		printf("%.3f", (double)s->failback_delay_ms / 1000);
	if (!health_failback_wait(s, st, &since, &at))
		since = at = 0;
	printf(",\"waiting_since\":");
	json_time(since);
	printf(",\"ready_at\":");
	json_time(at);
	putchar('}');
}

static void
json_site(const struct site *s, const struct state_site *x,
    const struct votes *v, int64_t now)
{
	const struct site_state *st;
	bool first = true;

	printf("{\"name\":");
	json_str(s->name);
	if (x == NULL) {
		printf(",\"checked\":false}");
		return;
	}
	st = &x->st;
	printf(",\"checked\":true,\"side\":\"%s\",\"mode\":\"%s\","
	    "\"published\":", side_str(st->side), mode(st));
	if (st->published_known)
		json_addrs(st->published, st->npublished);
	else
		printf("null");
	printf(",\"hold\":");
	if (st->hold.active) {
		printf("{\"side\":\"%s\",\"until\":%lld,\"who\":",
		    side_str(st->hold.side), (long long)st->hold.until);
		json_str(st->hold.who);
		printf(",\"reason\":");
		json_str(st->hold.reason);
		putchar('}');
	} else
		printf("null");
	json_failback(s, st);
	printf(",\"drift\":%s,\"drift_served\":", st->drift ? "true" :
	    "false");
	if (st->drift && x->drift_served[0] != '\0')
		json_str(x->drift_served);
	else
		printf("null");
	printf(",\"pending\":");
	if (x->pending) {
		printf("{\"want\":");
		json_addrs(x->want, x->nwant);
		printf(",\"since\":%lld,\"error\":", (long long)x->pending_since);
		json_str(x->pending_error);
		putchar('}');
	} else
		printf("null");
	printf(",\"last_change\":%lld,\"last_reason\":",
	    (long long)st->last_change);
	json_str(st->last_reason);
	printf(",\"addresses\":[");
	json_addr_states("primary", st->primary, st->nprimary, &first);
	json_addr_states("failover", st->failover, st->nfailover, &first);
	printf("]");
	if (v != NULL)
		printf(",\"hold_unsent\":%s", x->hold_unsent ? "true" :
		    "false");
	json_views(v, s, now);
	printf("}");
}

/* The monitor's own condition, before the sites: a round that could
 * probe nothing leaves every site's health as it was. */
static void
text_monitor(const struct state *st)
{
	char t[64], e[4 * sizeof(st->blind_cause)];

	if (st->blind_since == 0)
		return;
	when(st->blind_since, t, sizeof(t));
	printf("MONITOR   no probe could run since %s: %s\n"
	    "          rounds count for no site; the health below is "
	    "from before\n\n", t, SAFE(e, st->blind_cause));
}

/* Rule 17: the monitors, as this one's copy of the votes zone shows. */
static void
text_peers(const struct votes *v, const struct state *st, int64_t now)
{
	char age[32], t[64], e[1200];
	size_t i;

	if (v == NULL)
		return;
	printf("MONITORS  quorum %u of %zu, %zu fresh (this one: %s)%s\n",
	    v->mon->quorum, v->npeer, v->nfresh, v->mon->id,
	    v->mirror.synced ? "" : "; the votes zone was never transferred");
	for (i = 0; i < v->npeer; i++) {
		const struct peer_state *p = &v->peer[i];

		age_text(p->beat_seen_ms ? now - p->beat_seen_ms : -1, age,
		    sizeof(age));
		printf("          %-12s %-6s ", p->id, p->fresh ? "fresh" :
		    "STALE");
		if (!p->seen)
			printf("no heartbeat in the votes zone\n");
		else if (p->beat_seen_ms == 0)
			printf("heartbeat not seen to change yet\n");
		else
			printf("heartbeat changed %s ago\n", age);
	}
	if (st->quorum_lost != 0) {
		when(st->quorum_lost, t, sizeof(t));
		printf("          QUORUM LOST since %s: no automatic change\n",
		    t);
	}
	if (v->err[0] != '\0')
		printf("          %s\n", SAFE(e, v->err));
	printf("\n");
}

static void
json_peers(const struct votes *v, const struct state *st, int64_t now)
{
	size_t i, n;

	if (v == NULL)
		return;
	printf(",\"monitor\":{\"id\":");
	json_str(v->mon->id);
	printf(",\"quorum\":%u,\"quorum_lost\":%s,\"quorum_lost_since\":%lld",
	    v->mon->quorum, st->quorum_lost ? "true" : "false",
	    (long long)st->quorum_lost);
	printf(",\"fresh\":[");
	for (n = 0, i = 0; i < v->npeer; i++)
		if (v->peer[i].fresh) {
			printf("%s", n++ ? "," : "");
			json_str(v->peer[i].id);
		}
	printf("],\"stale\":[");
	for (n = 0, i = 0; i < v->npeer; i++)
		if (!v->peer[i].fresh) {
			printf("%s", n++ ? "," : "");
			json_str(v->peer[i].id);
		}
	printf("],\"peers\":[");
	for (i = 0; i < v->npeer; i++) {
		const struct peer_state *p = &v->peer[i];

		printf("%s{\"id\":", i ? "," : "");
		json_str(p->id);
		printf(",\"self\":%s,\"fresh\":%s,\"beat\":", p->self ? "true" :
		    "false", p->fresh ? "true" : "false");
		if (p->seen)
			printf("%llu", (unsigned long long)p->beat.beat);
		else
			printf("null");
		printf(",\"age\":");
		json_age(p->seen && p->beat_seen_ms ? now - p->beat_seen_ms :
		    -1);
		putchar('}');
	}
	printf("]");
	for (i = 0; i < v->npeer; i++)
		if (v->peer[i].self) {
			printf(",\"heartbeat\":{\"beat\":");
			if (v->peer[i].seen)
				printf("%llu", (unsigned long long)
				    v->peer[i].beat.beat);
			else
				printf("null");
			printf(",\"age\":");
			json_age(v->peer[i].seen && v->peer[i].beat_seen_ms ?
			    now - v->peer[i].beat_seen_ms : -1);
			putchar('}');
		}
	printf(",\"synced\":%s,\"serial\":", v->mirror.synced ? "true" :
	    "false");
	if (v->mirror.synced)
		printf("%u", (unsigned)v->mirror.serial);
	else
		printf("null");
	printf("}");
}

static void
json_monitor(const struct state *st)
{
	printf(",\"probing\":{\"blind\":%s,\"since\":%lld,\"cause\":",
	    st->blind_since ? "true" : "false", (long long)st->blind_since);
	json_str(st->blind_cause);
	printf(",\"rounds_blind\":%llu}", (unsigned long long)st->blind_rounds);
}

static bool
selected(const char *name, int argc, char **argv)
{
	int a;

	for (a = 1; a < argc; a++)
		if (fnmatch(argv[a], name, FNM_CASEFOLD) == 0)
			return true;
	return argc == 1;
}

int
cmd_status(const struct globals *g, int argc, char **argv)
{
	struct config *cfg;
	struct votes *v;
	struct state st;
	struct diags d;
	const char *path;
	size_t i, shown = 0;
	int64_t now = real_ms();
	int rc;

	if ((cfg = cmd_config_load(g, false)) == NULL)
		return EX_CONFIG;
	path = cmd_state_path(g, cfg);
	diags_init(&d);
	if ((rc = state_load_or_move(path, &st, &d, 0, NULL, 0)) != 0) {
		diags_print(&d, stderr);
		diags_clear(&d);
		if (rc == 1)
			fprintf(stderr, "dnsfailover: the state file %s is "
			    "damaged; the next check, flip, release or run "
			    "moves it aside (%s.broken.TIMESTAMP) and starts "
			    "again from what the DNS servers serve\n", path,
			    path);
		config_free(cfg);
		return 1;
	}
	diags_clear(&d);
	if ((v = votes_open(&cfg->monitor, path)) != NULL)
		quorum_judge(v, now);
	if (g->json)
		printf("{\"state_file\":");
	if (g->json) {
		json_str(path);
		json_monitor(&st);
		json_peers(v, &st, now);
		printf(",\"sites\":[");
	} else {
		text_monitor(&st);
		text_peers(v, &st, now);
	}
	for (i = 0; i < cfg->nsites; i++) {
		const struct site *s = &cfg->sites[i];

		if (!selected(s->name, argc, argv))
			continue;
		if (g->json) {
			printf("%s", shown ? "," : "");
			json_site(s, state_find(&st, s->name), v, now);
		} else
			text_site(s, state_find(&st, s->name), v, now);
		shown++;
	}
	if (g->json)
		printf("]}\n");
	state_clear(&st);
	votes_free(v);
	config_free(cfg);
	if (shown == 0 && argc > 1) {
		fprintf(stderr, "dnsfailover: no site matches\n");
		return EX_USAGE;
	}
	return EX_OK;
}
