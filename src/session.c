/*
 * session.c: the configuration, the state file under its lock, and the
 * notifier, for the length of a command or of the daemon.
 *
 * Every writer of the state file holds its lock (state.h), so whatever a
 * session saves replaces a file nobody else wrote meanwhile.  A damaged
 * file never stops the protection of the sites: it is moved aside, told
 * (log and state_broken event), and the sites start again from what
 * their servers publish; the exit status says so (doc/rules.md, bounds).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "history.h"
#include "log.h"
#include "quorum.h"
#include "session.h"
#include "util.h"

static void
session_clear(struct session *s)
{
	notify_free(s->notify);		/* waits for the hooks */
	votes_free(s->votes);
	state_clear(&s->st);
	config_free(s->cfg);
	memset(s, 0, sizeof(*s));
	s->lock = -1;
}

/* A damaged file, moved aside to moved: said in the log and an event. */
static void
told_broken(struct session *s, const char *what, const char *moved)
{
	char *why;

	log_warnx("error: %s is damaged: moved aside to %s; the sites start "
	    "again from what the DNS servers serve", s->path, moved);
	why = xasprintf("the state file is damaged (%s); moved aside to "
	    "%s; the sites start again from what the DNS servers serve",
	    what, moved);
	session_event(s, EV_STATE_BROKEN, NULL, SIDE_PRIMARY, SIDE_PRIMARY,
	    NULL, 0, why);
	free(why);
}

int
session_state_load(struct session *s)
{
	char moved[PATH_MAX], what[512];
	struct diags d;
	int rc, saved;

	diags_init(&d);
	rc = state_load_or_move(s->path, &s->st, &d, s->now,
	    s->dry_run ? NULL : moved, sizeof(moved));
	saved = errno;		/* of the rename, before logging */
	if (rc != 0) {
		s->state_broken = true;
		diags_first(&d, what, sizeof(what));
		diags_log(&d);
	}
	diags_clear(&d);
	if (rc == -1)		/* not damaged: nothing to set aside */
		return -1;
	if (rc == -2) {
		errno = saved;
		log_warn("error: %s is damaged and cannot be moved aside",
		    s->path);
		return -1;
	}
	if (rc == 1 && s->dry_run)
		log_warnx("error: %s is damaged; without -n it is moved aside "
		    "and the sites start again from what the DNS servers "
		    "serve", s->path);
	else if (rc == 1)
		told_broken(s, what, moved);
	return 0;
}

enum session_status
session_open(struct session *s, struct config *cfg, const char *path,
    bool dry_run, unsigned lock_wait_ms)
{
	enum session_status rc;

	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	s->path = path;
	s->dry_run = dry_run;
	s->now = time(NULL);
	s->lock = -1;
	if (!dry_run && (s->lock = state_lock(path, lock_wait_ms)) == -1) {
		rc = errno == EWOULDBLOCK ? SESSION_BUSY : SESSION_LOCK_FAILED;
		if (rc == SESSION_BUSY)
			log_warnx("another dnsfailover holds %s.lock; %s", path,
			    lock_wait_ms ? "try again" :
			    "this round is skipped");
		else
			log_warn("cannot lock %s.lock", path);
		session_clear(s);
		return rc;
	}
	if (!dry_run)
		s->notify = notify_new(cfg);
	s->votes = votes_open(&cfg->monitor, path);
	if (session_state_load(s) == -1) {
		state_unlock(s->lock);
		session_clear(s);
		return SESSION_STATE_FAILED;
	}
	return SESSION_OK;
}

/* This monitor's name in the history: its monitor.id, else the host's. */
static const char *
history_host(const struct session *s, char *buf, size_t size)
{
	if (s->cfg->monitor.enabled)
		return s->cfg->monitor.id;
	if (gethostname(buf, size) == -1)
		return NULL;
	buf[size - 1] = '\0';
	return buf;
}

/* Rule 22: the event's line in the history; a failure is logged once
 * per session until an append works again. */
static void
history_add(struct session *s, const struct event *ev,
    const struct event_detail *dt)
{
	struct history_rec rec;
	char host[256], *path;

	if (s->path == NULL)
		return;
	memset(&rec, 0, sizeof(rec));
	rec.time_ms = real_ms();
	rec.event = event_str(ev->kind);
	rec.site = ev->site[0] ? ev->site : NULL;
	rec.host = history_host(s, host, sizeof(host));
	rec.from = ev->from[0] ? ev->from : NULL;
	rec.to = ev->to[0] ? ev->to : NULL;
	rec.addresses = ev->addresses[0] ? ev->addresses : NULL;
	rec.reason = ev->reason[0] ? ev->reason : NULL;
	rec.serial = -1;
	if (dt != NULL) {
		rec.who = dt->who && dt->who[0] ? dt->who : NULL;
		rec.answer = dt->answer && dt->answer[0] ? dt->answer : NULL;
		rec.serial = dt->serial;
	}
	path = history_path(s->path);
	if (history_append(path, s->cfg->history_size, &rec) == -1) {
		if (!s->history_failed)
			log_warn("cannot append to the history %s", path);
		s->history_failed = true;
	} else
		s->history_failed = false;
	free(path);
}

void
session_event_detail(struct session *s, enum event_kind k,
    const struct site *site, enum side from, enum side to,
    const struct addr *a, size_t n, const char *reason,
    const struct event_detail *dt)
{
	struct event ev;

	if (s->dry_run)
		return;
	event_init(&ev, k, site ? site->name : NULL, s->now);
	if (site != NULL) {
		str_copy(ev.from, side_str(from), sizeof(ev.from));
		str_copy(ev.to, side_str(to), sizeof(ev.to));
		addr_list_str(a, n, ev.addresses, sizeof(ev.addresses));
	}
	str_copy(ev.reason, reason, sizeof(ev.reason));
	history_add(s, &ev, dt);
	if (s->notify != NULL && (dt == NULL || !dt->history_only))
		notify_send(s->notify, &ev);
}

void
session_event(struct session *s, enum event_kind k, const struct site *site,
    enum side from, enum side to, const struct addr *a, size_t n,
    const char *reason)
{
	session_event_detail(s, k, site, from, to, a, n, reason, NULL);
}

bool
session_alert_due(const struct session *s, time_t *last)
{
	if (*last != 0 && (uint64_t)(s->now - *last) * 1000 <
	    s->cfg->notify_repeat_ms)
		return false;
	*last = s->now;
	return true;
}

void
session_metrics(const struct session *s, const struct metrics_round *m)
{
	struct metrics_peer p[MONITOR_MAX_PEERS];
	struct metrics_peers mp;
	struct metrics_round mr;

	if (s->dry_run || m == NULL || s->cfg->metrics_file == NULL)
		return;
	mr = *m;
	if (s->votes != NULL) {
		quorum_metrics(s->votes, s->cfg, real_ms(), p, &mp);
		mr.peers = &mp;
	}
	if (metrics_write(s->cfg->metrics_file, s->cfg, &s->st, &mr) == -1)
		log_warn("cannot write the metrics file %s",
		    s->cfg->metrics_file);
}

int
session_close(struct session *s, const struct metrics_round *m)
{
	int rc = 0;

	if (!s->dry_run && state_save(s->path, &s->st) == -1) {
		log_warn("cannot save the state to %s", s->path);
		rc = -1;
	}
	if (!s->dry_run && votes_save(s->votes) == -1)
		rc = -1;
	session_metrics(s, m);
	state_unlock(s->lock);
	session_clear(s);
	return rc;
}
