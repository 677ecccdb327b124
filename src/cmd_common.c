/*
 * cmd_common.c: what several commands do the same way.
 */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "cmd.h"
#include "config.h"
#include "log.h"
#include "round.h"
#include "session.h"
#include "state.h"
#include "util.h"

struct config *
cmd_config_load(const struct globals *g, bool to_log)
{
	struct config *cfg;
	struct diags d;

	diags_init(&d);
	cfg = config_load(g->config_path, &d);
	diags_sort(&d);
	if (to_log)
		diags_log(&d);
	else
		diags_print(&d, stderr);
	diags_clear(&d);
	return cfg;
}

const char *
cmd_state_path(const struct globals *g, const struct config *cfg)
{
	if (g->state_path != NULL)
		return g->state_path;
	return cfg->state_file != NULL ? cfg->state_file : STATE_DEFAULT_PATH;
}

/* The sites named (names or globs), or all; -1 for a name that matches
 * nothing (said on stderr). */
static int
select_sites(const struct config *cfg, int argc, char **argv,
    const struct site ***out, size_t *n)
{
	const struct site **v = xcalloc(cfg->nsites + 1, sizeof(*v));
	size_t i;
	int a, hit;

	for (i = 0, *n = 0; i < cfg->nsites; i++) {
		for (a = 1, hit = argc == 1; a < argc && !hit; a++)
			hit = fnmatch(argv[a], cfg->sites[i].name,
			    FNM_CASEFOLD) == 0;
		if (hit)
			v[(*n)++] = &cfg->sites[i];
	}
	for (a = 1; a < argc; a++) {
		for (i = 0, hit = 0; i < *n && !hit; i++)
			hit = fnmatch(argv[a], v[i]->name, FNM_CASEFOLD) == 0;
		if (!hit) {
			fprintf(stderr, "dnsfailover: no site matches %s\n",
			    argv[a]);
			free(v);
			return -1;
		}
	}
	*out = v;
	return 0;
}

int
cmd_round_open(const struct globals *g, int argc, char **argv,
    unsigned lock_wait_ms, struct session *ss, struct round *r)
{
	const struct site **sites;
	struct config *cfg;
	size_t n;

	memset(r, 0, sizeof(*r));
	if ((cfg = cmd_config_load(g, false)) == NULL)
		return EX_CONFIG;
	if (select_sites(cfg, argc, argv, &sites, &n) == -1) {
		config_free(cfg);
		return EX_USAGE;
	}
	switch (session_open(ss, cfg, cmd_state_path(g, cfg), g->dry_run,
	    lock_wait_ms)) {
	case SESSION_OK:
		break;
	case SESSION_BUSY:
		free(sites);
		return EX_TEMPFAIL;
	default:
		free(sites);
		return 1;
	}
	state_prune(&ss->st, cfg);
	round_begin(r, ss, sites, n);
	return -1;
}

int
cmd_round_close(struct session *ss, struct round *r)
{
	struct metrics_round m = { r->seconds, time(NULL), r->isolated,
	    false, NULL };
	int rc = r->failed ? EX_TEMPFAIL : EX_OK;

	cmd_print_plans(r);
	if (ss->state_broken)
		rc = 1;		/* moved aside: told once, by the exit too */
	round_batch_clear(r);
	/* flip and release do not probe: the file keeps the last round's */
	if (session_close(ss, r->manual ? NULL : &m) == -1)
		rc = 1;
	return rc;
}

void
cmd_print_plans(struct round *r)
{
	size_t i;

	for (i = 0; i < r->nplans; i++) {
		fputs(r->plans[i], stdout);
		free(r->plans[i]);
	}
	fflush(stdout);
	free(r->plans);
	r->plans = NULL;
	r->nplans = 0;
}
