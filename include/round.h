/*
 * round.h: one round over some sites: what check does, and what flip and
 * release do without probing.  The one implementation of "decide and
 * publish"; commands only set things up around it.
 */
#ifndef DNSFAILOVER_ROUND_H
#define DNSFAILOVER_ROUND_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "cmd.h"
#include "config.h"
#include "health.h"
#include "state.h"

struct round {
	const struct globals	*g;
	struct config		*cfg;
	struct state		 st;
	const char		*path;		/* of the state file */
	int			 lock;
	time_t			 now;
	const struct site	**sites;	/* the ones this round is for */
	size_t			 nsites;
	size_t			*idx;		/* sites[i] -> st.sites[idx[i]] */
	struct health_decision	*d;
	bool			 failed;	/* an update did not apply */
};

/*
 * Loads sitelist.yaml, selects the sites named in argv[1..] (names or
 * globs; all when none), takes the state lock (waiting up to
 * lock_wait_ms; not with -n), loads the state and aligns it with the
 * configuration.  Returns -1 to go on, or the exit status to leave with
 * (everything released).
 */
int	round_open(struct round *, const struct globals *, int argc,
	    char **argv, unsigned lock_wait_ms);

/* The state of r->sites[i]. */
struct state_site *round_site_state(struct round *, size_t i);

/* check: canaries, probes, decisions, updates. */
void	round_check(struct round *);
/* flip, release: decisions from the state as it is, updates. */
void	round_apply(struct round *);

/* Saves the state (not with -n), releases everything; exit status. */
int	round_close(struct round *);

#endif
