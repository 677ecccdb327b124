/*
 * round.h: one round over some sites, in stages, the same for check, for
 * flip and release (which decide without probing), and for the daemon
 * (whose rounds are the few sites due at one moment):
 *
 *	align	the state with the configuration (no I/O);
 *	probe	the canaries and every address (check; the daemon probes
 *		on its own schedule and hands the results in);
 *	read	what DNS serves, for the sites that need it before a
 *		decision: a job that runs wherever the caller does DNS
 *		(inline for check, on the DNS thread for the daemon);
 *	decide	every site's health step (health.c), logged, events;
 *	publish	a job with what must change, and its outcomes written
 *		back into the state.
 *
 * A round works inside a session (session.h) and neither prints nor
 * knows the command line: a dry run's plans come back as text.
 */
#ifndef DNSFAILOVER_ROUND_H
#define DNSFAILOVER_ROUND_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "config.h"
#include "health.h"
#include "probe.h"
#include "publish.h"
#include "session.h"

struct round {
	struct session		*ss;
	const struct site	**sites;	/* owned array */
	size_t			 nsites;
	size_t			*idx;		/* sites[i] -> ss->st.sites[] */
	struct health_decision	*d;
	const bool		*busy;		/* sites[i]: a job in flight */
	bool			 manual;	/* flip, release */
	bool			 failed;	/* an update did not apply */
	bool			 isolated;	/* the canaries all failed */
	bool			 once;		/* the daemon: a lasting
						   condition is logged when
						   it starts and ends */
	/* the daemon, whose rounds are the few sites due at one moment:
	 * blind only once no probe at all counted for blind_window s */
	time_t			 last_counted;
	unsigned		 blind_window;
	double			 seconds;	/* how long the round took */
	char			**plans;	/* dry run: one text per site */
	size_t			 nplans;
};

/*
 * Starts a round of ss over sites[0..n) (the array is taken over, the
 * sites borrowed from ss->cfg) and brings their state in line with the
 * configuration: new ones start with their published set unknown (the
 * read stage learns it), known ones keep the counters of the addresses
 * still configured.  Sites no longer configured are state_prune()'s.
 * The fields the daemon sets (busy, once, blind_window, last_counted)
 * are kept.  round_batch() is the same for sites whose state is already
 * in line (the daemon's rounds between reloads): no allocation per site.
 */
void	round_begin(struct round *, struct session *ss,
	    const struct site **sites, size_t n);
void	round_batch(struct round *, struct session *ss,
	    const struct site **sites, size_t n);

/* The state of r->sites[i]. */
struct state_site *round_site_state(struct round *, size_t i);

/* The probe requests of every address of s, primaries first: q[0..n),
 * n = nprimary + nfailover. */
void	round_site_reqs(const struct site *s, struct probe_req *q);

/*
 * Rule 10: the canary check.  round_canary_spec() is the check of each,
 * round_canary_reqs() fills q[0..cfg->ncanaries) with it, and
 * round_canary_verdict() says whether their results mean the monitor
 * is cut off: every one failed, and at least one could run at all.
 * round_canaries() does all three for check (none configured: false).
 */
void	round_canary_spec(struct check_spec *);
void	round_canary_reqs(const struct config *, const struct check_spec *,
	    struct probe_req *q);
bool	round_canary_verdict(const struct probe_req *q,
	    const struct probe_result *res, size_t n);
bool	round_canaries(const struct config *, struct prober *);

/*
 * The exchange with the peers on this thread (quorum.h): views and
 * heartbeat when beat, the holds not sent yet, the transfer when fetch.
 * Sets r->failed when it failed.  Nothing without monitor.peers.
 */
void	round_vote(struct round *, bool beat, bool fetch);

/* check: canaries, probes, reads, decisions, updates, all on this thread. */
void	round_check(struct round *, struct prober *);
/* The read stage on this thread (flip and release, before they write). */
void	round_read(struct round *);
/* flip, release: decisions from the state as it is, updates. */
void	round_apply(struct round *);

/* ---- the stages, for the daemon ---- */

/*
 * The read stage.  round_readjob() lists what must be read from DNS
 * before the sites can be decided (today: the published set of sites
 * that do not know it) or returns NULL; readjob_run() does the DNS work
 * and touches nothing but the job (any thread); round_readjob_done()
 * writes what was read into the state (by site name: a reload may have
 * come between).  A site whose set could not be read stays unknown and
 * is not changed blindly.
 */
struct readsite {
	const struct site	*site;
	struct addr		*addrs;		/* malloc'd; NULL: none */
	size_t			 naddrs;
	bool			 ok;
	char			 err[256];
};
struct readjob {
	struct readsite	*s;
	size_t		 n;
};
struct readjob	*round_readjob(struct round *);
void		 readjob_run(struct readjob *);
void		 round_readjob_done(struct round *, const struct readjob *);
void		 readjob_free(struct readjob *);

/*
 * Steps every site of r with its probe results (per[i]: NULL when not
 * probed), logs and raises events; fills r->d.
 */
void	round_decide(struct round *, struct probe_result **per, bool iso);

/*
 * The publish stage, in three steps so that the DNS part can run on
 * another thread: round_pubjob() takes what r->d says to publish
 * (skipping busy sites), pubjob_run() does the DNS work and touches
 * nothing but the job, round_pubjob_done() writes the outcomes into the
 * state (by site name).  The job borrows the sites' configuration, which
 * must outlive it.
 */
enum pub_result { PUB_FAILED, PUB_APPLIED, PUB_DRIFT, PUB_DRY, PUB_UNAGREED };

struct pubsite {
	const struct site	*site;
	struct health_decision	 d;
	struct addr		*expect;	/* with cas: served now (req's) */
	struct publish_req	 req;
	bool			 skip;	/* cannot be tried: why says why */
	bool			 held_now;	/* unagreed: a peer's hold came
						   in since the decision */
	enum pub_result		 result;
	char			 why[320];
};

struct pubjob {
	struct pubsite	*s;
	size_t		 n;
	bool		 dry_run, manual;
};

struct pubjob	*round_pubjob(struct round *);
/*
 * Rule 13, with monitor.peers: every automatic change of j that does
 * not have its quorum (quorum_agrees) is taken out (skip, PUB_UNAGREED;
 * round_pubjob_done() undoes it in the state).  After the round's
 * exchange (round_vote, or the daemon's).  Returns how many remain.
 */
size_t		 round_pubjob_gate(struct round *, struct pubjob *j);
void		 pubjob_run(struct pubjob *);
/* What p's publisher outcome means (result, why, the dry run's plan);
 * pubjob_run() calls it for every site it published. */
void		 round_pubjob_judge(struct pubsite *p);
void		 round_pubjob_done(struct round *, const struct pubjob *);
void		 pubjob_free(struct pubjob *);

/* Frees what the round holds (decisions, sites, plans); r->ss stays. */
void	round_batch_clear(struct round *);

#endif
