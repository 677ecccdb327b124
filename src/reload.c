/*
 * reload.c: SIGHUP.  A thread loads sitelist.yaml while the probes go on
 * with the old configuration; once it is loaded, what is in flight
 * finishes and the new one takes over, sites carried over by name.  A
 * bad file is reported and the old configuration keeps running.  Jobs in
 * flight keep the configuration they borrow (struct retired).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "sdnotify.h"
#include "util.h"

static bool
same_notify(const struct config *a, const struct config *b)
{
	return ((a->notify_exec == NULL && b->notify_exec == NULL) ||
	    (a->notify_exec && b->notify_exec &&
	    strcmp(a->notify_exec, b->notify_exec) == 0)) &&
	    ((a->notify_webhook == NULL && b->notify_webhook == NULL) ||
	    (a->notify_webhook && b->notify_webhook &&
	    strcmp(a->notify_webhook, b->notify_webhook) == 0)) &&
	    a->notify_timeout_ms == b->notify_timeout_ms;
}

/*
 * One load of sitelist.yaml in its own thread (a 100,000-site file takes
 * seconds, a slow disk longer) while the loop goes on probing with the
 * old configuration.  The thread touches nothing of the daemon's; what
 * it owns is freed by the loop after joining it, or by itself when the
 * loop stopped without waiting (abandoned).
 */
struct load {
	pthread_t	 th;
	pthread_mutex_t	 mu;
	bool		 done, abandoned;	/* under mu */
	const char	*path;
	int		 efd;		/* its own: the loop polls it */
	struct config	*cfg;		/* the result; NULL: errors in d */
	struct diags	 d;
};

int
reload_fd(const struct daemon *dm)
{
	return dm->load != NULL ? dm->load->efd : -1;
}

static void
load_free(struct load *l)
{
	config_free(l->cfg);
	diags_clear(&l->d);
	close(l->efd);
	pthread_mutex_destroy(&l->mu);
	free(l);
}

static void *
load_thread(void *arg)
{
	struct load *l = arg;
	uint64_t one = 1;
	bool gone;

	l->cfg = config_load(l->path, &l->d);	/* does not log */
	diags_sort(&l->d);
	pthread_mutex_lock(&l->mu);
	l->done = true;
	gone = l->abandoned;
	pthread_mutex_unlock(&l->mu);
	if (gone)
		load_free(l);
	else if (write(l->efd, &one, sizeof(one)) == -1) {
		/* EAGAIN: the counter is full, so already signalled */
	}
	return NULL;
}

/* After SIGHUP: a load starts unless one runs or waits for its swap. */
void
reload_start(struct daemon *dm)
{
	struct load *l;

	if (!dm->reload || dm->load != NULL || dm->next != NULL || dm->stop)
		return;
	dm->reload = false;	/* a SIGHUP from here on: one more load */
	sdnotify_send("RELOADING=1");
	log_info("reloading %s", dm->g->config_path);
	l = xcalloc(1, sizeof(*l));
	pthread_mutex_init(&l->mu, NULL);
	diags_init(&l->d);
	l->path = dm->g->config_path;
	if ((l->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1 ||
	    pthread_create(&l->th, NULL, load_thread, l) != 0) {
		log_warnx("cannot start the reload of %s; still running the "
		    "configuration loaded before", dm->g->config_path);
		sdnotify_send("READY=1\nSTATUS=reload failed; running the "
		    "previous configuration");
		load_free(l);
		return;
	}
	dm->load = l;
}

/* A finished load: its errors are logged, a good one waits for the swap. */
void
reload_poll(struct daemon *dm)
{
	struct load *l = dm->load;
	bool done;

	if (l == NULL)
		return;
	pthread_mutex_lock(&l->mu);
	done = l->done;
	pthread_mutex_unlock(&l->mu);
	if (!done)
		return;
	pthread_join(l->th, NULL);
	dm->load = NULL;
	diags_log(&l->d);
	if (l->cfg == NULL) {
		log_warnx("%s has errors; still running the configuration "
		    "loaded before", dm->g->config_path);
		sdnotify_send("READY=1\nSTATUS=reload failed; running the "
		    "previous configuration");
	}
	dm->next = l->cfg;	/* if loaded: schedule() starts nothing more */
	dm->next_at = mono_ms();
	l->cfg = NULL;
	load_free(l);
}

/*
 * At the end: a load under way is waited for LOAD_STOP_MS, then left to
 * finish and free itself (a hung file system must not hold up the stop).
 */
void
reload_join(struct daemon *dm)
{
	struct load *l = dm->load;
	struct timespec ts;
	bool gone = false;

	config_free(dm->next);
	dm->next = NULL;
	if (l == NULL)
		return;
	dm->load = NULL;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += LOAD_STOP_MS % 1000 * 1000000L;
	ts.tv_sec += LOAD_STOP_MS / 1000 + ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	if (pthread_timedjoin_np(l->th, NULL, &ts) != 0) {
		pthread_mutex_lock(&l->mu);
		gone = l->abandoned = !l->done;
		pthread_mutex_unlock(&l->mu);
		if (gone) {
			log_warnx("stopping without waiting for the reload "
			    "of %s", dm->g->config_path);
			pthread_detach(l->th);
			return;
		}
		pthread_join(l->th, NULL);
	}
	load_free(l);
}

/*
 * Puts dm->next in place of the running configuration.  Called with no
 * probe in flight (they borrow the old sites); updates in flight keep
 * borrowing theirs, which stays until the last is back (struct retired),
 * so a reload never waits for the DNS servers.  Without the state lock
 * (flip holds it) it is tried again next pass; after STOP_LOCK_MS the
 * file is loaded again, with probes meanwhile.
 */
void
reload_swap(struct daemon *dm)
{
	struct config *cfg = dm->next, *old = dm->ss.cfg;
	uint64_t now = mono_ms();

	if (!dstate_lock(dm, 0)) {
		if (now - dm->next_at < STOP_LOCK_MS)
			return;
		log_warnx("cannot take the state lock; reload postponed");
		config_free(dm->next);
		dm->next = NULL;
		dm->reload = true;
		return;
	}
	dm->next = NULL;
	if (strcmp(cmd_state_path(dm->g, cfg), dm->ss.path) != 0)
		log_warnx("state_file changed to %s: takes effect when the "
		    "daemon is restarted; still using %s",
		    cmd_state_path(dm->g, cfg), dm->ss.path);
	dm->ss.cfg = cfg;
	if (dm->ss.votes != NULL && cfg->monitor.enabled)
		votes_reconfigure(dm->ss.votes, &cfg->monitor);
	else if (dm->ss.votes != NULL || cfg->monitor.enabled) {
		(void)votes_save(dm->ss.votes);
		votes_free(dm->ss.votes);
		dm->ss.votes = votes_open(&cfg->monitor, dm->ss.path);
	}
	sched_configure(dm, now);
	if (!same_notify(old, cfg)) {
		/* the old one delivers what is queued, on its own time;
		 * what is left of it at the stop is dropped, logged */
		if (dm->ss.notify != NULL) {
			notify_retire(dm->ss.notify);
			dm->old_notify = xreallocarray(dm->old_notify,
			    dm->nold_notify + 1, sizeof(*dm->old_notify));
			dm->old_notify[dm->nold_notify++] = dm->ss.notify;
		}
		dm->ss.notify = dm->g->dry_run ? NULL : notify_new(cfg);
	}
	if (dm->cur_jobs > 0) {
		struct retired *r = xcalloc(1, sizeof(*r));

		r->cfg = old;
		r->jobs = dm->cur_jobs;
		r->next = dm->retired;
		dm->retired = r;
	} else
		config_free(old);
	dm->cur_jobs = 0;
	dm->major = dm->dirty = true;
	dstate_settle(dm, now);
	log_info("reloaded: %zu sites", cfg->nsites);
	sdnotify_send("READY=1\nSTATUS=watching sites");
}
