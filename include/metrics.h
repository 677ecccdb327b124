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

/* Rule 17: one peer of several monitors, as this one sees it. */
struct metrics_peer {
	const char	*id;
	bool		 fresh;
	double		 age;		/* s since its heartbeat was seen to
					   change; < 0: not yet */
	size_t		 want[3];	/* its views: none, primary, failover */
};

struct metrics_peers {
	unsigned			 quorum;
	size_t				 nfresh;
	bool				 lost;
	const struct metrics_peer	*p;
	size_t				 n;
};

struct metrics_round {
	double	seconds;	/* the last round's duration */
	time_t	at;		/* when it ended */
	bool	isolated;	/* the canaries all failed */
	bool	daemon;
	const struct metrics_peers *peers;	/* NULL: no peers */
};

/* Writes path atomically (temp file, rename); -1 with errno. */
int	metrics_write(const char *path, const struct config *,
	    const struct state *, const struct metrics_round *);

#endif
