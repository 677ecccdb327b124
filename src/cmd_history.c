/*
 * cmd_history.c: "dnsfailover history [SITE...] [--since DURATION]
 * [--json]": every change and event from the history log (rule 22),
 * oldest first.  Reads only: takes no lock.
 */
#include <errno.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "cmd.h"
#include "config.h"
#include "history.h"
#include "parse.h"
#include "util.h"

struct show {
	bool		  json;
	bool		  host;		/* several monitors: say which */
	char *const	 *globs;	/* NULL: history_read filters */
	size_t		  nglobs;
};

/*
 * Text from people and servers (reasons, names, answers) is shown
 * escaped, as status shows it: a newline in a --reason must not forge a
 * line, nor an escape sequence reach the terminal.
 */
static void
put_safe(const char *s)
{
	size_t size = 4 * strlen(s) + 1;	/* a byte: at most \xNN */
	char *buf = xmalloc(size);

	fputs(str_escape(buf, s, size), stdout);
	free(buf);
}

static void
put_text(const char *before, const char *s)
{
	if (s == NULL)
		return;
	fputs(before, stdout);
	put_safe(s);
}

/* "2026-12-02 18:30:00" (UTC) */
static void
put_time(int64_t ms)
{
	time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	struct tm tm;
	char buf[32];

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(buf, sizeof(buf), "%lld", (long long)ms);
	fputs(buf, stdout);
}

/*
 * 2026-12-02 18:30:00 www.example.com switch primary -> failover
 * 192.0.2.20: primary 192.0.2.10 down (3/3 failed: HTTP 503)
 * [by alice@host] (serial 2026120205, NOERROR) on fra1
 */
static void
text_line(const struct history_line *l, bool host)
{
	put_time(l->time_ms);
	put_text(" ", l->site != NULL ? l->site : "(monitor)");
	put_text(" ", l->event != NULL ? l->event : "(no event)");
	if (l->from != NULL || l->to != NULL) {
		put_text(" ", l->from != NULL ? l->from : "?");
		put_text(" -> ", l->to != NULL ? l->to : "?");
	}
	put_text(" ", l->addresses);
	put_text(": ", l->reason);
	if (l->who != NULL) {
		put_text(" [by ", l->who);
		fputs("]", stdout);
	}
	if (l->serial >= 0)
		printf(" (serial %lld%s", l->serial, l->answer ? ", " : ")");
	if (l->answer != NULL) {
		put_text(l->serial >= 0 ? "" : " (", l->answer);
		fputs(")", stdout);
	}
	if (host)
		put_text(" on ", l->host);
	putchar('\n');
}

static void
show_line(const struct history_line *l, void *arg)
{
	const struct show *sh = arg;
	size_t i;

	if (sh->globs != NULL) {
		for (i = 0; i < sh->nglobs; i++)
			if (l->site != NULL && fnmatch(sh->globs[i], l->site,
			    FNM_CASEFOLD) == 0)
				break;
		if (i == sh->nglobs)
			return;
	}
	if (sh->json)
		puts(l->raw);
	else
		text_line(l, sh->host);
}

static void
site_note(const char *name)
{
	char e[4 * DNAME_MAXLEN + 4];

	fprintf(stderr, "dnsfailover: no configured site matches %s; "
	    "showing what the history has\n", str_escape(e, name,
	    sizeof(e)));
}

/*
 * The SITE arguments as the log writes site names (lower case, no
 * trailing dot).  A name not configured is still looked for: the site
 * may have been removed; it is said on stderr, in case of a typo.
 */
static char **
sites_args(const struct config *cfg, int argc, char **argv, bool *globs)
{
	char **v = xcalloc((size_t)argc, sizeof(char *));
	size_t i, len, hit;
	int a;

	*globs = false;
	for (a = 1; a < argc; a++) {
		v[a - 1] = xstrdup(argv[a]);
		str_lower(v[a - 1]);
		if ((len = strlen(v[a - 1])) > 1 && v[a - 1][len - 1] == '.')
			v[a - 1][len - 1] = '\0';
		*globs = *globs || strpbrk(v[a - 1], "*?[") != NULL;
		for (i = 0, hit = 0; i < cfg->nsites && !hit; i++)
			hit = fnmatch(v[a - 1], cfg->sites[i].name, 0) == 0;
		if (!hit)
			site_note(v[a - 1]);
	}
	return v;
}

/* --since: lines from now minus the duration on; 0 without it. */
static int
since_arg(const char *s, int64_t *since_ms)
{
	char err[PARSE_ERRLEN];
	uint64_t ms;

	*since_ms = 0;
	if (s == NULL)
		return 0;
	/* whole days too ("30d"), since a history may reach further back
	 * than any duration the configuration takes */
	if (s[0] >= '0' && s[0] <= '9' && strspn(s, "0123456789") ==
	    strlen(s) - 1 && s[strlen(s) - 1] == 'd' && strlen(s) <= 6) {
		ms = strtoull(s, NULL, 10) * 86400000ULL;
	} else if (parse_duration(s, &ms, err, sizeof(err)) == -1) {
		fprintf(stderr, "dnsfailover: --since: %s\n", err);
		return -1;
	}
	*since_ms = real_ms() - (int64_t)ms;
	if (*since_ms < 1)
		*since_ms = 1;
	return 0;
}

/* Reads and prints the log; the exit status. */
static int
history_show(const char *path, int64_t since_ms, char **sites, size_t n,
    struct show *sh)
{
	size_t skipped = 0;
	int rc;

	rc = history_read(path, since_ms, (const char *const *)sites,
	    sh->globs != NULL ? 0 : n, show_line, sh, &skipped);
	if (rc == -1 && errno == ENOENT) {
		fprintf(stderr, "dnsfailover: no history yet (%s)\n", path);
		return EX_OK;
	}
	if (rc == -1) {
		fprintf(stderr, "dnsfailover: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (skipped > 0)
		fprintf(stderr, "dnsfailover: history: %zu line%s skipped "
		    "(not history entries)\n", skipped, skipped == 1 ? "" :
		    "s");
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "dnsfailover: standard output: %s\n",
		    strerror(errno));
		return 1;
	}
	return EX_OK;
}

int
cmd_history(const struct globals *g, int argc, char **argv)
{
	struct show sh = { g->json, false, NULL, 0 };
	struct config *cfg;
	int64_t since_ms;
	char **sites, *path;
	bool globs;
	int a, rc;

	/* "history | head" ends it (main ignores SIGPIPE for OpenSSL,
	 * which this command does not use) */
	signal(SIGPIPE, SIG_DFL);
	if (since_arg(g->since, &since_ms) == -1)
		return EX_USAGE;
	if ((cfg = cmd_config_load(g, false)) == NULL)
		return EX_CONFIG;
	sh.host = cfg->monitor.enabled;
	sites = sites_args(cfg, argc, argv, &globs);
	if (globs) {
		sh.globs = sites;
		sh.nglobs = (size_t)argc - 1;
	}
	path = history_path(cmd_state_path(g, cfg));
	rc = history_show(path, since_ms, sites, (size_t)argc - 1, &sh);
	free(path);
	for (a = 0; a < argc - 1; a++)
		free(sites[a]);
	free(sites);
	config_free(cfg);
	return rc;
}
