/*
 * health.h: the failover decision, as a pure function.
 *
 * health_step() takes a site's configuration, its state, one round of
 * probe results and the time, and returns the new state and what to do.
 * No I/O, no clock, no logging: the caller probes, publishes, saves and
 * logs.  Rules 1-7, 10, 12, 20 and 21 of doc/rules.md live here and only
 * here: no other file writes a site's side, hold or drift.
 */
#ifndef DNSFAILOVER_HEALTH_H
#define DNSFAILOVER_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "addr.h"
#include "config.h"
#include "probe.h"

#define HEALTH_MAXADDR	SITE_MAX_ADDRS	/* addresses per side */
#define HEALTH_TEXT	160

enum health {
	HEALTH_UNKNOWN,
	HEALTH_UP,
	HEALTH_DOWN
};
const char	*health_str(enum health);

enum side {
	SIDE_PRIMARY,
	SIDE_FAILOVER
};
const char	*side_str(enum side);

/* One address: its confirmed health and the runs that lead there. */
struct addr_state {
	struct addr		addr;
	enum health		health;
	unsigned		ok_run;		/* good probes in a row */
	unsigned		fail_run;	/* failed probes in a row */
	enum probe_reason	last_reason;	/* of the last probe */
	uint32_t		last_ms;	/* its duration */
	bool			probed;		/* last_ms is known */
	char			last_error[HEALTH_TEXT];
	time_t			cert_expires;	/* as last probed; 0: unknown */
};

/* The longest --reason taken (bytes): kept whole in the hold, the log,
 * the events and last_reason; a longer one is refused. */
#define HOLD_REASON_MAX	160

struct hold {
	bool		active;
	enum side	side;
	time_t		until;			/* 0: until release */
	char		reason[HOLD_REASON_MAX + 1];
	char		who[64];
};

/*
 * Rule 21: the hold health_step() sets on a flapping site, told apart
 * from a flip's by its holder and reason (which peers get too).  It
 * keeps the records as they are: no set is published while it lasts.
 */
#define HOLD_FLAP_WHO		"dnsfailover"
#define HOLD_FLAP_REASON	"flapping"
bool	health_hold_flapping(const struct hold *);

/*
 * The arrays are allocated to size (a site has one or two addresses
 * far more often than 64): health_clear() frees them, health_copy()
 * duplicates them.
 */
struct site_state {
	enum side		side;
	struct addr_state	*primary;
	size_t			nprimary;
	struct addr_state	*failover;
	size_t			nfailover;
	struct addr		*published;
	size_t			npublished;
	bool			published_known;
	struct hold		hold;
	bool			drift;		/* records changed by others */
	time_t			last_change;
	char			last_reason[2 * HEALTH_TEXT];
	/* rule 20: since when a primary is confirmed up with no failed
	 * probe of a primary (not confirmed down) since; 0: none up */
	time_t			up_since;
	/* rule 20: since when the return to primary waits (failback_delay,
	 * failback: manual); 0: it does not */
	time_t			failback_since;
	/* flip or release chose the side, not the rules: failback: manual
	 * waits only on a failover side the rules reached */
	bool			side_by_hand;
	/* rule 21: the automatic switches within flap.within, oldest
	 * first; allocated, at most FLAP_MAX_SWITCHES */
	time_t			*switched;
	size_t			nswitched;
	/* health_release() since the last step: a switch that step makes
	 * is the release's, not automatic (not saved) */
	bool			released;
};

/*
 * Fresh state for a site: every address unknown, the side read from what
 * the server publishes now (the failover side if those are all failover
 * addresses, else primary).  published may be NULL (unknown).
 */
void	health_init(struct site_state *, const struct site *,
	    const struct addr *published, size_t npublished);

/*
 * Carries a state over to a (re)loaded configuration: addresses still
 * configured keep their counters, new ones start unknown, removed ones
 * are forgotten.
 */
void	health_adopt(struct site_state *, const struct site *);

void	health_clear(struct site_state *);
void	health_copy(struct site_state *dst, const struct site_state *src);

enum health_action {
	HA_NONE,	/* the published set is what it should be */
	HA_PUBLISH,	/* publish want (side want_side) */
	HA_WAIT,	/* primaries down, failover not known yet */
	HA_BOTH_DOWN,	/* everything down: fail static */
	HA_ISOLATED,	/* canaries failed: this round counts for nothing */
	HA_HELD,	/* held by flip: no automatic change */
	HA_DRIFT,	/* changed behind our back: hands off until flip/release */
	HA_QUORUM,	/* rule 13: a change its peers do not agree to yet */
	HA_FAILBACK_WAIT, /* rule 20: primary up, the return waits */
	HA_FLAPPING	/* rule 21: a switch not made, held from now on */
};
const char	*health_action_str(enum health_action);

struct health_decision {
	enum health_action	action;
	enum side		want_side;
	struct addr		*want;		/* owned: health_decision_clear */
	size_t			nwant;
	bool			side_changed;	/* a switch event */
	bool			hold_expired;
	/* one line per address that changed health, and why we act */
	char			transitions[8][2 * HEALTH_TEXT];
	size_t			ntransitions;
	char			reason[4 * HEALTH_TEXT];
	/* rule 19: a certificate that verifies but expires soon ("": none
	 * this round; up all the same) */
	char			cert_warning[2 * HEALTH_TEXT];
	bool			cert_fine;	/* a certificate was read and
						   is not expiring */
	/* rule 20: failback: manual waits for release this round (the
	 * caller raises failback_ready, again per notify.repeat) */
	bool			failback_ready;
	/* rule 21: the switch went into switched[]; it is release's */
	bool			switch_noted, switch_released;
};

/*
 * One round.  results holds one probe result per address, primaries
 * first then failovers (as in the site's config); NULL when the site was
 * not probed.  isolated: every canary failed.  Updates st (counters,
 * side, hold expiry) and fills d.  Publishing is the caller's job; it
 * records success with health_published().
 *
 * Rules 20 and 21: a return to primary may wait (HA_FAILBACK_WAIT, or
 * HA_PUBLISH of a changed failover set with failback_ready or
 * failback_since set); a switch may be refused for flapping
 * (HA_FLAPPING, once: st is held from then on, the caller tells it and
 * gives the hold to its peers).
 */
void	health_step(const struct site *, struct site_state *,
	    const struct probe_result *results, bool isolated, time_t now,
	    struct health_decision *d);

void	health_decision_clear(struct health_decision *);

/* The caller published want: remember it as the last published set. */
void	health_published(struct site_state *, const struct addr *want,
	    size_t n, time_t now, const char *reason);

/*
 * The other writers of side, hold and drift, so that every rule about
 * them stays in this file (rules 6, 7 and 12 of doc/rules.md).
 *
 * health_flip(): held on side until until (0: until release) by who,
 * for reason ("" for none); drift ends (a flip writes unconditionally).
 * health_release(): automatic again, published[0..n) now served; a
 * failback waiting for release may go, the flap count starts afresh.
 * health_drift(): a prerequisite failed: hands off until flip/release.
 * health_unswitch(): a decision d that switched sides was not carried
 * out (an update already in flight): back to the side before it, so
 * the switch is decided, and told, again; it does not count for flap.
 * health_learned(): the published set of a site that did not know it
 * was read: as health_init() would have started it (the side too,
 * unless a hold decides it).
 * health_take_foreign(): another process (flip, release, check) wrote
 * theirs: take its side, hold, drift, published set and last change,
 * and what rules 20 and 21 keep of the side (failback_since,
 * side_by_hand, switched); the address counters and up_since stay ours.
 * Returns whether side, hold or drift changed.
 */
void	health_flip(struct site_state *, enum side side, time_t until,
	    const char *who, const char *reason);
void	health_release(struct site_state *, const struct addr *published,
	    size_t n, time_t now);
void	health_drift(struct site_state *);
/* What the records serve was just read (flip writes over it): the
 * published set is that, whoever wrote it. */
void	health_served(struct site_state *, const struct addr *served,
	    size_t n);
void	health_unswitch(struct site_state *, const struct health_decision *d);
void	health_learned(struct site_state *, const struct site *,
	    const struct addr *published, size_t n);
bool	health_take_foreign(struct site_state *ours,
	    const struct site_state *theirs);

/*
 * Rule 13, several monitors.  health_want(): the side and set this
 * monitor's own probes say st should publish, as health_step() would
 * decide it but for holds and drift (the view it publishes to its
 * peers): HA_PUBLISH with *side and want[0..*n) (room for every
 * address), or HA_WAIT or HA_BOTH_DOWN when it wants no change.
 * health_no_quorum(): the automatic change d is not agreed: it is not
 * made (a switch is undone as health_unswitch() does), d says why.
 */
enum health_action health_want(const struct site_state *, enum side *side,
	    struct addr *want, size_t *n);
void	health_no_quorum(struct site_state *, struct health_decision *d,
	    const char *why);

/*
 * Rule 20, for status and the metrics: whether st waits to return to
 * primary, since when (*since), and when failback_delay ends (*ready_at;
 * 0 with failback: manual, which waits for release, or while a failed
 * primary probe restarts the delay).  s may be NULL (not configured):
 * then *ready_at is 0.
 */
bool	health_failback_wait(const struct site *, const struct site_state *,
	    time_t *since, time_t *ready_at);

#endif
