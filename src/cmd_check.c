/*
 * cmd_check.c: "dnsfailover check [SITE...]": one round, for cron and
 * systemd timers.
 */
#include "cmd.h"
#include "probe.h"
#include "round.h"
#include "session.h"

int
cmd_check(const struct globals *g, int argc, char **argv)
{
	struct session ss;
	struct prober *p;
	struct round r;
	int rc;

	/* a second check does not wait: the next tick will do */
	if ((rc = cmd_round_open(g, argc, argv, 0, &ss, &r)) != -1)
		return rc;
	p = prober_new(ss.cfg->max_parallel);
	prober_set_source(p, ss.cfg->monitor.source4, ss.cfg->monitor.source6);
	round_check(&r, p);
	prober_free(p);
	return cmd_round_close(&ss, &r);
}
