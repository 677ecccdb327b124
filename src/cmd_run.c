/*
 * cmd_run.c: "dnsfailover run", the daemon: the command parses, starts
 * the scheduler (sched.c) and waits for it to stop.
 */
#include <stdio.h>
#include <sysexits.h>

#include "cmd.h"
#include "scheduler.h"

int
cmd_run(const struct globals *g, int argc, char **argv)
{
	struct daemon *dm;
	int rc;

	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "dnsfailover: usage: run\n");
		return EX_USAGE;
	}
	if ((dm = sched_new(g)) == NULL)
		return EX_CONFIG;
	if ((rc = sched_start(dm)) == EX_OK)
		rc = sched_wait(dm);
	sched_free(dm);
	return rc;
}
