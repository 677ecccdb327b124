/*
 * daemon.h: the daemon's own data, shared by its three files and nothing
 * else: sched.c (sites, timers, rounds, the loop, signals), dstate.c (the
 * state file: lock, foreign writes, saves, metrics) and reload.c
 * (sitelist.yaml loaded off the loop, and the swap).  Everything here is
 * the loop thread's; the DNS thread sees only its jobs.
 */
#ifndef DNSFAILOVER_DAEMON_H
#define DNSFAILOVER_DAEMON_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "cmd.h"
#include "config.h"
#include "jobq.h"
#include "notify.h"
#include "probe.h"
#include "quorum.h"
#include "round.h"
#include "session.h"
#include "state.h"

#define SAVE_EVERY_MS	60000	/* counters only */
#define SAVE_GAP_MS	200	/* changes: at most this often */
#define METRICS_MIN_MS	1000	/* the textfile at most this often */
#define LOCK_RETRY_MS	20	/* while flip or release holds the lock */
#define STOP_LOCK_MS	10000	/* the last save waits this long */
#define LOAD_STOP_MS	1000	/* a stop waits this long for a reload */
#define STOP_MS		5000	/* SIGTERM to the end of notifications: the
				   whole stop stays well inside 10 s */
#define STOP_MIN_MS	500	/* ... but hooks get at least this */

struct dsite {			/* a configured site at run time */
	const struct site	*site;
	uint64_t		 due;		/* next probe, monotonic ms */
	uint64_t		 started, back;	/* probes sent, all back */
	struct probe_req	*reqs;		/* primaries, then failovers */
	struct probe_result	*res;
	size_t			 out;		/* probes not back yet */
	bool			 probing;	/* started, not decided (also
						   while its batch waits for
						   a read: not probed again,
						   its results kept) */
	bool			 ready;		/* all back, not decided */
	bool			 busy;		/* an update in flight */
};

/*
 * The sites whose probes were all back at one moment: one round.  When
 * some must be read from DNS before they can be decided (round.h, the
 * read stage), the batch waits for the DNS thread with its results.
 */
struct batch {
	struct probe_result	**per;
	struct dsite		**which;	/* the sites, at run time */
	bool			*busy;
	size_t			 n;
	uint64_t		 first, last;	/* probes started, all back */
	struct readjob		*rj;
};

struct job {			/* work on its way through the DNS thread */
	struct daemon	*dm;
	const struct config *cfg;	/* whose sites it borrows */
	uint64_t	 t0;		/* when its deciding probes ended */
	struct pubjob	*pj;		/* an update, or */
	struct batch	*b;		/* a batch waiting for its reads, or */
	struct votejob	*vj;		/* the exchange with the peers */
};

/* Updates waiting for the exchange with the peers (rule 13). */
struct vwait {
	struct pubjob	*pj;
	uint64_t	 t0;
};

/*
 * A configuration replaced by a reload while updates that borrow its
 * sites are still in flight: freed when the last of them is back, so a
 * reload never waits for the DNS servers.
 */
struct retired {
	struct config	*cfg;
	size_t		 jobs;
	struct retired	*next;
};

struct daemon {
	const struct globals	*g;
	struct session		 ss;	/* cfg, st, path, lock, notify */
	struct round		 w;	/* the round at hand */
	struct dsite		*ds;
	size_t			 nds;
	struct dsite		**byname;	/* ds sorted by name */
	struct prober		*prober;
	uint64_t		 slack;		/* batch sites due this close */

	/* canaries */
	struct check_spec	 cspec;
	struct probe_req	*creq;
	struct probe_result	*cres;
	size_t			 cout;
	uint64_t		 cdue, cevery;
	bool			 iso;

	/* the DNS thread; a stop waits for no job in flight */
	struct jobq		*dnsq;
	size_t			 cur_jobs;	/* jobs borrowing w.cfg */
	struct retired		*retired;
	struct notifier		**old_notify;	/* retired by reloads */
	size_t			 nold_notify;

	/* several monitors: one exchange at a time, every shortest
	 * interval and whenever updates wait for one */
	bool			 vote_busy, vote_again;
	uint64_t		 vote_due;
	struct vwait		*vwait;
	size_t			 nvwait;

	/* reloads: sitelist.yaml is loaded off the loop */
	struct load		*load;		/* under way */
	struct config		*next;		/* loaded; in at the swap */
	uint64_t		 next_at;	/* when it was loaded */

	/* the state file */
	struct state_stamp	 saved;		/* as we last wrote it */
	bool			 dirty, major, save_failed;
	bool			 unmerged;	/* a foreign write not read */
	uint64_t		 last_save, last_metrics;
	double			 last_round;
	time_t			 last_round_at;

	char			*statepath;
	int			 sigfd;
	sigset_t		 oldmask;	/* before signals_open */
	bool			 stop, reload;
	uint64_t		 stop_at;	/* SIGTERM, monotonic ms */
};

/* ---- sched.c ---- */

/* Sites, canaries, the shortest interval: what a configuration sets. */
void	sched_configure(struct daemon *, uint64_t now);

/* ---- dstate.c ---- */

/*
 * The state lock, taken without waiting beyond wait_ms; what another
 * process wrote meanwhile is taken in first.  false when another holds
 * it.  dstate_unlock() lets it go.
 */
bool	dstate_lock(struct daemon *, unsigned wait_ms);
void	dstate_unlock(struct daemon *);
/* Remembers the file as written now: a later change is someone else's. */
void	dstate_stamp(struct daemon *);
/* Saves now (under the lock). */
void	dstate_save(struct daemon *, uint64_t now);
/* The metrics file, at most once a second unless forced. */
void	dstate_metrics(struct daemon *, uint64_t now, bool force);
/* After a round or a job: saves what is due and lets the lock go when
 * nothing is in flight. */
void	dstate_settle(struct daemon *, uint64_t now);

/* ---- reload.c ---- */

/* The descriptor a load under way makes readable when done; -1: none. */
int	reload_fd(const struct daemon *);
/* SIGHUP: starts a load of sitelist.yaml off the loop. */
void	reload_start(struct daemon *);
/* A load that finished: its configuration waits for the swap. */
void	reload_poll(struct daemon *);
/* At a stop: waits a moment for a load under way, then leaves it. */
void	reload_join(struct daemon *);
/* Nothing in flight: the loaded configuration takes over. */
void	reload_swap(struct daemon *);

#endif
