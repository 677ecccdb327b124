/*
 * notify.h: events for the people and systems that watch dnsfailover.
 *
 * notify_send() only queues: a background thread runs the exec hook
 * (posix_spawn, no shell, the event in DNSFAILOVER_* variables, killed
 * at its time limit) and POSTs the webhook (JSON, time limit, three
 * tries), so a slow or dead receiver never holds up probing.  Deciding
 * which events to send, and rate-limiting repeated ones, is the caller's
 * job (round.c).
 */
#ifndef DNSFAILOVER_NOTIFY_H
#define DNSFAILOVER_NOTIFY_H

#include <stdint.h>
#include <time.h>

#include "config.h"

enum event_kind {
	EV_SWITCH,		/* automatic change of side, applied */
	EV_FLIP,		/* manual */
	EV_RELEASE,		/* manual */
	EV_BOTH_DOWN,		/* every address down: fail static */
	EV_UPDATE_FAILED,	/* kept pending, retried */
	EV_UPDATE_APPLIED,	/* any other applied update */
	EV_DRIFT,		/* records changed by someone else */
	EV_MONITOR_ISOLATED,	/* every canary failed */
	EV_STATE_BROKEN,	/* the state file could not be read */
	EV_CERT_EXPIRING,	/* a certificate expires within cert_warn */
	EV_QUORUM_LOST,		/* fewer than quorum monitors fresh */
	EV_QUORUM_REGAINED,	/* quorum again */
	EV_FAILBACK_READY,	/* rule 20: primary up, failback: manual waits */
	EV_FLAPPING		/* rule 21: held where it is, too many switches */
};
const char	*event_str(enum event_kind);

struct event {
	enum event_kind	kind;
	char		site[DNAME_MAXLEN + 2];	/* "" for monitor_isolated */
	char		from[16], to[16];	/* sides, or "" */
	char		addresses[512];		/* the set concerned */
	char		reason[1024];
	time_t		time;
};

/* Fills the fields every event has; the rest is left empty. */
void	event_init(struct event *, enum event_kind, const char *site,
	    time_t now);

struct notifier;

/*
 * A notifier for cfg's notify settings (copied: cfg may be freed); NULL
 * when nothing is configured, and every function accepts NULL.
 */
struct notifier	*notify_new(const struct config *cfg);
void		 notify_send(struct notifier *, const struct event *);
/*
 * Waits until every queued event is delivered or given up and every hook
 * has ended, but never past deadline (monotonic ms, as mono_ms()): then
 * the delivery in progress is cut short, hooks still running are killed
 * and what is still queued is dropped, each logged by event and site.
 * Then frees everything.  notify_free() gives it NOTIFY_STOP_MS.
 */
#define NOTIFY_STOP_MS	8000
void		 notify_free_by(struct notifier *, uint64_t deadline);
/*
 * Starts a notifier's stop without waiting: it goes on delivering what
 * is queued (no new events may be sent) until NOTIFY_STOP_MS from now;
 * notify_free_by() then waits for it, and may only shorten that.
 */
void		 notify_retire(struct notifier *);
void		 notify_free(struct notifier *);

/* For tests: the JSON body of ev ("host" is the given name). */
char		*notify_json(const struct event *, const char *host);

#endif
