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
#include "state.h"
#include "util.h"

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

static void
text_site(const struct site *s, const struct state_site *x)
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
	if (st->drift)
		printf("  DRIFT     the records were changed by someone else; "
		    "no automatic change until flip or release\n");
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
json_site(const struct site *s, const struct state_site *x)
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
	printf(",\"drift\":%s,\"pending\":", st->drift ? "true" : "false");
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
	printf("]}");
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
	struct state st;
	struct diags d;
	const char *path;
	size_t i, shown = 0;
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
	if (g->json)
		printf("{\"state_file\":");
	if (g->json) {
		json_str(path);
		json_monitor(&st);
		printf(",\"sites\":[");
	} else
		text_monitor(&st);
	for (i = 0; i < cfg->nsites; i++) {
		const struct site *s = &cfg->sites[i];

		if (!selected(s->name, argc, argv))
			continue;
		if (g->json) {
			printf("%s", shown ? "," : "");
			json_site(s, state_find(&st, s->name));
		} else
			text_site(s, state_find(&st, s->name));
		shown++;
	}
	if (g->json)
		printf("]}\n");
	state_clear(&st);
	config_free(cfg);
	if (shown == 0 && argc > 1) {
		fprintf(stderr, "dnsfailover: no site matches\n");
		return EX_USAGE;
	}
	return EX_OK;
}
