/*
 * quorum.h: several monitors agreeing through the votes zone (rules
 * 13-17 of doc/rules.md).
 *
 * A session with monitor.peers holds a struct votes: its copy of the
 * votes zone (mirror.h, kept in STATE.votes between runs) and what it
 * judges from it.  Each round has an exchange, a job like the read and
 * publish ones (round.h) so that the daemon does it on its DNS thread:
 *
 *	quorum_job()	   on the loop thread: this monitor's views of its
 *			   sites (from the state: health_want()), those
 *			   that differ from the copy, the holds not sent
 *			   yet, the heartbeat; the serial to transfer from;
 *	votejob_run()	   any thread: one UPDATE (split by size), then a
 *			   signed IXFR; touches nothing but the job;
 *	quorum_job_done()  on the loop thread: the transfer into the copy,
 *			   the peers judged fresh or stale, quorum lost or
 *			   regained (events), holds reconciled (rule 15).
 *
 * quorum_agrees() then says whether an automatic change has its quorum.
 * Nothing here prints; what goes wrong is logged (log.h).
 */
#ifndef DNSFAILOVER_QUORUM_H
#define DNSFAILOVER_QUORUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "dnsxfr.h"
#include "health.h"
#include "metrics.h"
#include "mirror.h"
#include "session.h"
#include "vote.h"

struct peer_state {
	const char	*id;		/* monitor.peers[i] */
	bool		 self;
	bool		 seen;		/* its heartbeat is in the copy */
	bool		 fresh;		/* ... and was seen to change within
					   monitor.fresh */
	int64_t		 beat_seen_ms;	/* when it was; 0: not yet */
	struct vote_beat beat;
};

struct votes {
	const struct monitor_conf *mon;
	struct mirror		 mirror;
	char			*path;		/* STATE.votes */
	struct peer_state	 peer[MONITOR_MAX_PEERS];
	size_t			 npeer;
	size_t			 nfresh;	/* self included when wrote */
	bool			 wrote;		/* the last exchange's writes
						   (heartbeat) went in */
	bool			 synced;	/* its transfer worked */
	bool			 exchanged;	/* there was one */
	char			 err[400];	/* why not, when either failed */
	uint64_t		 last_beat;	/* the last one written */
	int64_t			 grace_until_ms; /* no quorum_lost before:
						   the copy is new */
	bool			 dirty;		/* the copy changed: save */
};

/*
 * The votes of a session whose configuration has peers (else NULL): the
 * copy read from state_path.votes (a damaged one is logged and dropped:
 * it costs a full transfer).  votes_save() writes it (logged on
 * failure); votes_free() does not save.
 */
struct votes	*votes_open(const struct monitor_conf *, const char *state_path);
int		 votes_save(struct votes *);
void		 votes_free(struct votes *);
/* A reload: the new monitor: section; another zone or id starts a new
 * copy. */
void		 votes_reconfigure(struct votes *, const struct monitor_conf *);

struct votejob;

/*
 * The exchange of a round of ss (its votes).  beat: this monitor's
 * probes counted this round, so it writes its views and heartbeat
 * (false when cut off or blind: it then looks stale to its peers,
 * rightly).  fetch: transfer the zone (false for flip and release,
 * which only send holds).  Views and holds are only written when ss is
 * not a dry run.  NULL when there is nothing to do.
 */
struct votejob	*quorum_job(struct session *ss, bool beat, bool fetch);
void		 votejob_run(struct votejob *);
/* Takes the outcome in; returns false when something failed (logged;
 * check exits 75). */
bool		 quorum_job_done(struct session *ss, struct votejob *);
void		 votejob_free(struct votejob *);

/*
 * Rule 13: whether the automatic change d of site s has quorum fresh
 * views that want it (this monitor's own among them, if its votes went
 * in): a switch, views that want that side; a change within a side,
 * views that want that side and exactly that set.  why says who agrees,
 * who wants what else and who is stale, in one line.
 */
bool	quorum_agrees(struct session *ss, const struct site *s,
	    const struct health_decision *d, char *why, size_t wlen);

/* One peer's view of one site, as the copy has it (rule 17). */
struct peer_view {
	const struct peer_state	*peer;
	bool			 has;		/* a view that parses */
	struct vote_view	 v;
	int64_t			 age_ms;	/* since it was seen to change;
						   -1: not known */
};
/* Every peer's view of site into pv[0..v->npeer), at now_ms;
 * peer_views_clear() frees them. */
void	quorum_views(const struct votes *, const char *site, int64_t now_ms,
	    struct peer_view *pv);
void	peer_views_clear(struct peer_view *pv, size_t n);

/* Judges the peers at now_ms (fresh, stale); quorum_job_done() does. */
void	quorum_judge(struct votes *, int64_t now_ms);

/* The figures for the metrics file (p: room for v->npeer). */
void	quorum_metrics(const struct votes *, const struct config *,
	    int64_t now_ms, struct metrics_peer *p, struct metrics_peers *m);

#endif
