/*
 * cmd_check.c: "dnsfailover check [SITE...]": one round, for cron and
 * systemd timers.
 */
#include "cmd.h"
#include "round.h"

int
cmd_check(const struct globals *g, int argc, char **argv)
{
	struct round r;
	int rc;

	/* a second check does not wait: the next tick will do */
	if ((rc = round_open(&r, g, argc, argv, 0)) != -1)
		return rc;
	round_check(&r);
	return round_close(&r);
}
