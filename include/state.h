/*
 * state.h: the state file: what dnsfailover knows between runs.
 *
 * Per site: the health of every address with its runs, the side, the set
 * last published, a hold, drift, a pending update and its error, the last
 * change and why.  YAML, versioned, mode 0600, replaced atomically (temp
 * file in the same directory, fsync, rename, fsync of the directory), so
 * a crash leaves the old state or the new one.  A missing file is a fresh
 * start.  A corrupt one is an error with its position; the holder of the
 * lock then moves it aside and starts afresh (state_load_or_move), so a
 * damaged file never stops the protection of the sites.
 */
#ifndef DNSFAILOVER_STATE_H
#define DNSFAILOVER_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "config.h"
#include "diag.h"
#include "health.h"

#define STATE_DEFAULT_PATH	"/var/lib/dnsfailover/state"
/*
 * The version written.  Every new key is a new version: the loader that
 * came before it takes an unknown key for damage, so it must see a
 * version it does not read (and leave the file alone) instead.  Version
 * 2 added cert and alerts.cert_expiring, version 3 a site's hold_unsent
 * and alerts.quorum_lost, version 4 (rules 20, 21) a site's up_since,
 * failback_since, side_by_hand and switched, alerts.failback_ready and
 * counters failbacks, flips and releases; older files load as they
 * are.
 */
#define STATE_VERSION		4
#define STATE_VERSION_OLDEST	1	/* the oldest one read */

/* Counted since the state file was made (Prometheus counters). */
struct site_counters {
	uint64_t	switches;	/* automatic, applied */
	uint64_t	failbacks;	/* of those, back to primary */
	uint64_t	flips;		/* flips to the other side */
	uint64_t	releases;	/* switches a release made */
	uint64_t	updates_applied, updates_failed;
	uint64_t	probes, probes_failed;
};

struct state_site {
	char			 name[DNAME_MAXLEN + 2];
	struct site_state	 st;
	bool			 pending;	/* want not yet published */
	struct addr		*want;		/* allocated */
	size_t			 nwant;
	char			 pending_error[320];
	char			 unread[256];	/* why the published set could
						   not be read (not saved) */
	time_t			 pending_since;
	struct site_counters	 n;
	/* repeated alerts: when last sent; 0 while the condition is off */
	time_t			 alert_both_down, alert_update_failed;
	time_t			 alert_cert_expiring, alert_failback_ready;
	/* rule 22: in drift, what the records served when the swap was
	 * refused ("" unknown) */
	char			 drift_served[256];
	/* rule 15: the hold (or its end) is not in the votes zone yet */
	bool			 hold_unsent;
	int64_t			 hold_set_ms;	/* when another process's hold
						   was taken in (not saved) */
	uint32_t		 quorum_note;	/* the last "waiting for
						   quorum" logged (a hash) */
};

struct state {
	struct state_site	*sites;
	size_t			 nsites;
	/* state_find()'s index: open addressing, slot = site index + 1,
	 * 0 empty; built on first use, kept by state_add() */
	size_t			*slot;
	size_t			 nslot, cap;
	time_t			 alert_isolated;	/* as alert_* above */
	time_t			 quorum_lost;	/* rule 14: since; 0: not */
	/* rounds in which no probe could run (all local errors) */
	time_t			 blind_since;	/* 0: probes run */
	char			 blind_cause[160];
	uint64_t		 blind_rounds;	/* ever */
};

/*
 * Reads path into st (empty when the file does not exist).  Returns 0,
 * or -1 after reporting problems to diags as path:line:col.
 */
int	state_load(const char *path, struct state *st, struct diags *);

/*
 * For the holder of the lock: renames path to path.broken.STAMP, STAMP
 * the UTC time now as 20261201T203000Z (".1", ".2", ... added when that
 * name is taken), and puts the new name in moved.  -1 with errno.
 */
int	state_move_aside(const char *path, time_t now, char *moved,
	    size_t size);

/*
 * state_load() for the holder of the lock, where a damaged file must not
 * stop the protection of the sites: it is moved aside (state_move_aside)
 * and st is left empty, as at a fresh start.  A file that cannot be read
 * at all (no descriptor, no permission, an I/O error) is not damaged and
 * stays.  moved NULL: nothing is moved (-n, status).  Returns 0 (read, or
 * no file), 1 (damaged, in diags with its positions; moved aside, the new
 * name in moved), -1 (cannot be read: diags say why) or -2 (damaged, and
 * the rename failed: errno).
 */
int	state_load_or_move(const char *path, struct state *st,
	    struct diags *, time_t now, char *moved, size_t size);

/* Writes st to path atomically, mode 0600.  -1 with errno on failure. */
int	state_save(const char *path, const struct state *st);

void	state_clear(struct state *);
/* Frees what one entry owns. */
void	state_site_clear(struct state_site *);

/*
 * The entry of name, or NULL, in constant time (a hash index: a daemon
 * with 100,000 sites looks every one up at each reload and round).
 * state_add() appends a zeroed one; it may move the array, so pointers
 * from earlier calls are no longer valid.  Code that reorders or removes
 * entries itself must go through state_prune() or call state_reindex().
 */
void			 state_reindex(struct state *);
struct state_site	*state_find(struct state *, const char *name);
struct state_site	*state_add(struct state *, const char *name);

/* Drops the sites that are not in cfg. */
void	state_prune(struct state *, const struct config *cfg);

/*
 * Takes the lock that goes with path (path.lock).  wait_ms 0: fail at
 * once if another process holds it.  Every writer of path holds it, so
 * once it has it, it removes (and logs) the temporary files of path that
 * a writer killed during a save left (file_remove_temps).  Returns the
 * lock's descriptor, or -1 (errno EWOULDBLOCK when held by someone else).
 */
int	state_lock(const char *path, unsigned wait_ms);
void	state_unlock(int fd);

/* ---- another writer's changes (the daemon) ---- */

/*
 * The file as a writer left it (device, inode, modification time), to
 * tell whether another process (flip, release, check) replaced it
 * since: every save is a rename, so a new inode or a new time.
 * state_stamp_take() records path as it is now (no file: known false).
 * state_stamp_changed() is true when path exists and was written since
 * the stamp, or when the stamp knows no file; a missing file has
 * nothing to take in.  Neither logs.
 */
struct state_stamp {
	bool		known;		/* the file existed */
	dev_t		dev;
	ino_t		ino;
	struct timespec	mtim;
};
void	state_stamp_take(const char *path, struct state_stamp *);
bool	state_stamp_changed(const char *path, const struct state_stamp *);

/*
 * Takes in what another process wrote (theirs, freshly loaded) into
 * ours: for one site, the side, hold, drift, published set and last
 * change (health_take_foreign) and the pending update (pending, want,
 * pending_error, pending_since).  The address counters, the run
 * counters and the alert times stay ours: newer, and the daemon's job;
 * but for the counts of flips and releases, which only those commands
 * make (the larger is kept).
 * theirs' want moves to ours (theirs keeps none).
 * state_site_take_foreign() returns whether side, hold or drift
 * changed.  state_take_foreign() does it for every site of theirs that
 * ours knows (the others, removed from ours or not yet in it, are
 * ignored), calls changed(site of ours, arg) after taking in each one
 * whose side, hold or drift changed (changed may be NULL), and returns
 * how many did.  Neither logs.
 */
typedef void	state_changed_fn(const struct state_site *, void *arg);
bool	state_site_take_foreign(struct state_site *ours,
	    struct state_site *theirs);
size_t	state_take_foreign(struct state *ours, struct state *theirs,
	    state_changed_fn *changed, void *arg);

#endif
