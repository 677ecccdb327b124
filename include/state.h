/*
 * state.h: the state file: what dnsfailover knows between runs.
 *
 * Per site: the health of every address with its runs, the side, the set
 * last published, a hold, drift, a pending update and its error, the last
 * change and why.  YAML, versioned, mode 0600, replaced atomically (temp
 * file in the same directory, fsync, rename, fsync of the directory), so
 * a crash leaves the old state or the new one.  A missing file is a fresh
 * start; a corrupt one is an error with its position, never a reset.
 */
#ifndef DNSFAILOVER_STATE_H
#define DNSFAILOVER_STATE_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "diag.h"
#include "health.h"

#define STATE_DEFAULT_PATH	"/var/lib/dnsfailover/state"
#define STATE_VERSION		1

/* Counted since the state file was made (Prometheus counters). */
struct site_counters {
	uint64_t	switches;
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
	time_t			 pending_since;
	struct site_counters	 n;
	/* repeated alerts: when last sent; 0 while the condition is off */
	time_t			 alert_both_down, alert_update_failed;
};

struct state {
	struct state_site	*sites;
	size_t			 nsites;
	time_t			 alert_isolated;	/* as alert_* above */
};

/*
 * Reads path into st (empty when the file does not exist).  Returns 0,
 * or -1 after reporting problems to diags as path:line:col.
 */
int	state_load(const char *path, struct state *st, struct diags *);

/* Writes st to path atomically, mode 0600.  -1 with errno on failure. */
int	state_save(const char *path, const struct state *st);

void	state_clear(struct state *);
/* Frees what one entry owns. */
void	state_site_clear(struct state_site *);

/*
 * The entry of name, or NULL.  state_add() appends a zeroed one; it may
 * move the array, so pointers from earlier calls are no longer valid.
 */
struct state_site	*state_find(struct state *, const char *name);
struct state_site	*state_add(struct state *, const char *name);

/* Drops the sites that are not in cfg. */
void	state_prune(struct state *, const struct config *cfg);

/*
 * Takes the lock that goes with path (path.lock).  wait_ms 0: fail at
 * once if another process holds it.  Returns the lock's descriptor, or
 * -1 (errno EWOULDBLOCK when held by someone else).
 */
int	state_lock(const char *path, unsigned wait_ms);
void	state_unlock(int fd);

#endif
