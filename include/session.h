/*
 * session.h: what a command or the daemon holds while it works on sites:
 * the configuration, the state file and its lock, the notifier.
 *
 * No printing and no command line: the caller loads the configuration
 * and names the state file; outcomes are data.  What goes wrong with the
 * state file is logged (log.h), as it is for the daemon.
 */
#ifndef DNSFAILOVER_SESSION_H
#define DNSFAILOVER_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "config.h"
#include "health.h"
#include "metrics.h"
#include "notify.h"
#include "state.h"

struct votes;			/* quorum.h */

struct session {
	struct config	*cfg;		/* owned */
	struct state	 st;
	const char	*path;		/* of the state file */
	int		 lock;		/* -1: not held */
	bool		 dry_run;	/* -n: nothing locked, saved or told */
	bool		 state_broken;	/* the file was damaged (moved aside) */
	time_t		 now;		/* of the work at hand */
	struct notifier	*notify;	/* NULL: none configured, or -n */
	struct votes	*votes;		/* NULL: no monitor.peers */
	bool		 history_failed;	/* the last append failed */
};

enum session_status {
	SESSION_OK,
	SESSION_BUSY,		/* another process holds the lock */
	SESSION_LOCK_FAILED,	/* the lock cannot be taken (errno) */
	SESSION_STATE_FAILED	/* the state file cannot be read */
};

/*
 * Takes cfg over, takes the lock of path (waiting up to lock_wait_ms; not
 * with dry_run), starts the notifier and loads the state
 * (session_state_load).  On any status but SESSION_OK everything is
 * released (cfg freed) and s is empty.
 */
enum session_status session_open(struct session *s, struct config *cfg,
		    const char *path, bool dry_run, unsigned lock_wait_ms);

/*
 * Loads s->st from s->path (under the lock).  A damaged file is logged
 * with its damage (FILE:LINE:COL) and moved aside, a state_broken event
 * is raised, s->st starts empty (every site from what its server
 * publishes) and s->state_broken is set.  With dry_run the file stays.
 * -1 (logged) when the file cannot be read at all (it stays) or cannot
 * be moved.
 */
int	session_state_load(struct session *s);

/*
 * Hands an event about site (NULL: about the monitor) to the notifier
 * (nothing without one) and appends it to the history (rule 22; nothing
 * with dry_run).  a[0..n): the addresses concerned.
 */
void	session_event(struct session *s, enum event_kind, const struct site *,
	    enum side from, enum side to, const struct addr *a, size_t n,
	    const char *reason);

/* What a history line says beyond its event. */
struct event_detail {
	const char	*who;		/* flip, release: user@host */
	const char	*answer;	/* the DNS server's answer */
	long long	 serial;	/* the applied serial; -1: unknown */
	bool		 history_only;	/* a DNS change the flip or release
					   event already told: history only */
};

/* session_event(), with what dt adds (NULL: nothing). */
void	session_event_detail(struct session *s, enum event_kind,
	    const struct site *, enum side from, enum side to,
	    const struct addr *a, size_t n, const char *reason,
	    const struct event_detail *dt);

/*
 * A condition that lasts (both down, an update that keeps failing, the
 * monitor cut off) is told when it starts, then every notify.repeat
 * while it lasts; *last is when it was last told (0: not yet).
 */
bool	session_alert_due(const struct session *s, time_t *last);

/* The metrics file for round m (nothing with dry_run, without m or
 * without metrics_file); a failure is logged. */
void	session_metrics(const struct session *s, const struct metrics_round *m);

/*
 * Saves the state and, with m, the metrics file (not with dry_run), waits
 * for the notify hooks and releases everything.  -1 when the state could
 * not be saved (logged).
 */
int	session_close(struct session *s, const struct metrics_round *m);

#endif
