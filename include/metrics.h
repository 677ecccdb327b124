/*
 * metrics.h: the Prometheus textfile (node_exporter's textfile
 * collector), written atomically after every round.  Every metric, its
 * type and its help text are listed in dnsfailover(8).
 */
#ifndef DNSFAILOVER_METRICS_H
#define DNSFAILOVER_METRICS_H

#include <stdbool.h>
#include <time.h>

#include "config.h"
#include "state.h"

struct metrics_round {
	double	seconds;	/* the last round's duration */
	time_t	at;		/* when it ended */
	bool	isolated;	/* the canaries all failed */
	bool	daemon;
};

/* Writes path atomically (temp file, rename); -1 with errno. */
int	metrics_write(const char *path, const struct config *,
	    const struct state *, const struct metrics_round *);

#endif
