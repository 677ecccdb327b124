/*
 * round.h: one round over some sites: what check does, and what flip and
 * release do without probing, and what the daemon does for the sites due
 * at one moment.  The one implementation of "decide and publish";
 * commands and the daemon only set things up around it.
 */
#ifndef DNSFAILOVER_ROUND_H
#define DNSFAILOVER_ROUND_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "cmd.h"
#include "config.h"
#include "dnsupdate.h"
#include "health.h"
#include "notify.h"
#include "probe.h"
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
	const bool		*busy;		/* sites[i] has a job in flight */
	bool			 manual;	/* flip, release */
	bool			 lazy;		/* round_align() leaves unknown
						   published sets to the first
						   update (the daemon) */
	bool			 failed;	/* an update did not apply */
	bool			 isolated;	/* the canaries all failed */
	bool			 once;		/* the daemon: a lasting
						   condition is logged when
						   it starts and ends */
	/* the daemon, whose rounds are the few sites due at one moment:
	 * blind only once no probe at all counted for blind_window s */
	time_t			 last_counted;
	unsigned		 blind_window;
	bool			 state_broken;	/* the state file could not
						   be read (moved aside) */
	double			 seconds;	/* how long the round took */
	struct notifier		*notify;	/* NULL: none configured */
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

/*
 * Loads r->st from r->path (under the lock).  A damaged file is logged
 * with its damage (FILE:LINE:COL) and moved aside, a state_broken event
 * is raised, and r->st starts empty, so round_align() starts every site
 * from what its server publishes; r->state_broken is set (the exit
 * status is 1).  With -n the file is left where it is.  -1 (logged) when
 * the file cannot be read at all (it stays) or cannot be moved.
 */
int	round_state_load(struct round *);

/* The state of r->sites[i]. */
struct state_site *round_site_state(struct round *, size_t i);

/* check: canaries, probes, decisions, updates. */
void	round_check(struct round *);
/* flip, release: decisions from the state as it is, updates. */
void	round_apply(struct round *);

/*
 * Saves the state and the metrics file (not with -n), waits for the
 * notify hooks, releases everything; exit status.
 */
int	round_close(struct round *);

/*
 * Hands an event about site s (NULL: about the monitor) to the notifier;
 * nothing without one or with -n.  a[0..n): the addresses concerned.
 */
void	round_event(struct round *, enum event_kind, const struct site *s,
	    enum side from, enum side to, const struct addr *a, size_t n,
	    const char *reason);

/* ---- the pieces, for the daemon ---- */

/*
 * Brings r->st in line with r->cfg for r->sites (all of them): removed
 * sites go, new ones start from what their server publishes, known ones
 * keep their counters.  Sets r->idx.  Queries DNS for new sites, unless
 * r->lazy: then their first publish job reads it (pubjob_run, on the
 * DNS thread) and they are decided from it a round later.
 */
void	round_align(struct round *);

/* Rule 10: the canary check; round_canaries() probes them all at once
 * and returns true when every one failed (none configured: false). */
void	round_canary_spec(struct check_spec *);
bool	round_canaries(const struct config *, struct prober *);

/*
 * Steps every site of r with its probe results (per[i]: NULL when not
 * probed), logs and raises events; fills r->d.
 */
void	round_decide(struct round *, struct probe_result **per, bool iso);

/*
 * Publishing in three steps, so that the DNS part can run on another
 * thread: round_pubjob() takes what r->d says to publish (skipping busy
 * sites), pubjob_run() does the DNS work and touches nothing but the
 * job, round_pubjob_done() writes the outcomes into r->st (by site
 * name).  The job borrows the sites' configuration, which must outlive
 * it.
 */
enum pub_result { PUB_FAILED, PUB_APPLIED, PUB_DRIFT, PUB_DRY, PUB_LEARNED };

struct pubsite {
	const struct site	*site;
	struct health_decision	 d;
	bool			 cas;	/* with prerequisites */
	bool			 skip;	/* cannot be tried: why says why */
	bool			 reread; /* published set unknown: read it */
	bool			 learned; /* ... and it was read: expect */
	struct addr		*expect;
	size_t			 nexpect;
	struct du_addrs		*recs;	/* one per record */
	enum du_outcome		*o;
	char			 zone[DNAME_MAXLEN + 2];
	enum pub_result		 result;
	char			 why[320];
};

struct pubjob {
	struct pubsite	*s;
	size_t		 n;
	bool		 dry_run, manual;
	void		*owner;		/* the caller's */
};

struct pubjob	*round_pubjob(struct round *);
void		 pubjob_run(struct pubjob *);
void		 round_pubjob_done(struct round *, const struct pubjob *);
void		 pubjob_free(struct pubjob *);

/* Frees what round_decide() and the site selection left in r. */
void	round_batch_clear(struct round *);

#endif
