/*
 * sched.c: the daemon's scheduler ("dnsfailover run"; cmd_run.c only
 * parses and starts it).
 *
 * One thread runs the loop; one more does the DNS updates (a jobq), so
 * a slow DNS server never delays a probe or falsifies its timing; the
 * notify thread runs the hooks.  The loop, on CLOCK_MONOTONIC:
 *
 *	start the probes of every site that is due (staggered over its
 *	interval at start-up), and the canaries every shortest interval,
 *	all in the one libcurl multi handle;
 *	wait for a transfer, a due site, a signal or a finished update;
 *	the sites whose probes are all back form a round: under the state
 *	lock, take in what flip, release or check wrote meanwhile, decide
 *	(round.c, as check does), hand the zone-batched updates to the DNS
 *	thread, save;
 *	outcomes of updates go into the state, which is saved at once.
 *
 * The state lock is held only while deciding and while updates are in
 * flight, so flip and release get it within moments; what they write is
 * merged in before the next decision and never overwritten.  Changes
 * are saved when they happen (at most every 200 ms, the lock kept until
 * then); counters alone at most once a minute and at exit.
 *
 * SIGHUP: a thread loads sitelist.yaml while the probes go on with the
 * old configuration; once it is loaded, what is in flight finishes and
 * the new one takes over, sites carried over by name.  A bad file is
 * reported and the old configuration keeps running.
 * SIGTERM, SIGINT: finish what is in flight, save, exit 0.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cmd.h"
#include "config.h"
#include "jobq.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "probe.h"
#include "round.h"
#include "session.h"
#include "scheduler.h"
#include "sdnotify.h"
#include "state.h"
#include "util.h"

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
	bool			 probing;	/* started, not decided */
	bool			 ready;		/* all back, not decided */
	bool			 busy;		/* an update in flight */
};

/*
 * The sites whose probes were all back at one moment: one round.  When
 * some must be read from DNS before they can be decided (round.h, the
 * read stage), the batch waits for the DNS thread with its results.
 */
struct batch {
	const struct site	**sites;
	struct probe_result	**per;
	struct dsite		**which;
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
	struct batch	*b;		/* a batch waiting for its reads */
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

/* ---- the DNS thread ---- */

static void
job_run(void *arg)
{
	struct job *j = arg;

	if (j->pj != NULL)
		pubjob_run(j->pj);
	else
		readjob_run(j->b->rj);
}

static void	job_done(void *);

/* Hands pj (an update) or b (a batch to read for) to the DNS thread. */
static void
job_queue(struct daemon *dm, struct pubjob *pj, struct batch *b,
    uint64_t t0)
{
	struct job *j = xcalloc(1, sizeof(*j));

	j->dm = dm;
	j->pj = pj;
	j->b = b;
	j->cfg = dm->ss.cfg;
	j->t0 = t0;
	dm->cur_jobs++;
	jobq_submit(dm->dnsq, job_run, job_done, j);
}

/* ---- sites ---- */

static void
dsites_free(struct dsite *ds, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(ds[i].reqs);
		free(ds[i].res);
	}
	free(ds);
}

static int
dsite_cmp(const void *pa, const void *pb)
{
	const struct dsite *a = *(const struct dsite *const *)pa;
	const struct dsite *b = *(const struct dsite *const *)pb;

	return strcmp(a->site->name, b->site->name);
}

/* The entries in name order: a reload finds 100,000 sites in O(n log n). */
static struct dsite **
dsites_byname(struct daemon *dm)
{
	struct dsite **v = xcalloc(dm->nds + 1, sizeof(*v));
	size_t i;

	for (i = 0; i < dm->nds; i++)
		v[i] = &dm->ds[i];
	qsort(v, dm->nds, sizeof(*v), dsite_cmp);
	return v;
}

/* The entry of name, or NULL. */
static struct dsite *
dsite_find(struct daemon *dm, const char *name)
{
	struct dsite key, *kp = &key, **hit;
	struct site ks;

	if (dm->byname == NULL)
		return NULL;
	ks.name = name;
	key.site = &ks;
	hit = bsearch(&kp, dm->byname, dm->nds, sizeof(*dm->byname),
	    dsite_cmp);
	return hit != NULL ? *hit : NULL;
}

/*
 * Run-time entries for cfg's sites.  A site already known keeps its
 * schedule; the others are spread evenly over their interval.
 */
static void
dsites_build(struct daemon *dm, uint64_t now)
{
	struct dsite *ds = xcalloc(dm->ss.cfg->nsites + 1, sizeof(*ds)), *old;
	size_t i, k, n = dm->ss.cfg->nsites;

	for (i = 0; i < n; i++) {
		const struct site *s = &dm->ss.cfg->sites[i];
		size_t na = s->nprimary + s->nfailover;

		ds[i].site = s;
		ds[i].reqs = xcalloc(na, sizeof(*ds[i].reqs));
		ds[i].res = xcalloc(na, sizeof(*ds[i].res));
		for (k = 0; k < na; k++) {
			ds[i].reqs[k].host = s->check.host ? s->check.host :
			    s->name;
			ds[i].reqs[k].addr = k < s->nprimary ? &s->primary[k] :
			    &s->failover[k - s->nprimary];
			ds[i].reqs[k].check = &s->check;
		}
		if ((old = dsite_find(dm, s->name)) != NULL) {
			ds[i].due = old->due < now + s->interval_ms ? old->due :
			    now + s->interval_ms;	/* a shorter interval */
			ds[i].busy = old->busy;	/* its update is in flight */
		} else
			ds[i].due = now + s->interval_ms * i / n;
	}
	free(dm->byname);	/* the old entries' index, used above */
	dsites_free(dm->ds, dm->nds);
	dm->ds = ds;
	dm->nds = n;
	dm->byname = dsites_byname(dm);
}

static void
probe_done(void *arg, const struct probe_req *req, struct probe_result *res)
{
	struct dsite *d = arg;

	log_debug("probe %s %s: %s%s%s, %u ms", req->host, req->addr->text,
	    probe_reason_str(res->reason), res->reason ? ": " : "",
	    res->reason ? res->detail : "", res->total_ms);
	if (--d->out == 0) {
		d->ready = true;
		d->back = mono_ms();
	}
}

static void
canary_done(void *arg, const struct probe_req *req, struct probe_result *res)
{
	struct daemon *dm = arg;
	bool iso;

	(void)req;
	(void)res;
	if (--dm->cout > 0)
		return;
	iso = round_canary_verdict(dm->creq, dm->cres, dm->ss.cfg->ncanaries);
	if (iso != dm->iso)
		log_warnx(iso ? "every canary failed: this monitor seems "
		    "cut off; rounds count for nothing until one answers" :
		    "a canary answers again: rounds count again");
	dm->iso = iso;
}

/* Starts what is due; returns ms until the next thing is due. */
static uint64_t
schedule(struct daemon *dm, uint64_t now)
{
	uint64_t next = UINT64_MAX;
	size_t i, k;

	if (dm->stop || dm->next != NULL)	/* a swap waits for quiet */
		return next;
	if (dm->ss.cfg->ncanaries > 0 && dm->cout == 0) {
		if (dm->cdue <= now + dm->slack) {
			for (i = 0; i < dm->ss.cfg->ncanaries; i++)
				prober_submit(dm->prober, &dm->creq[i],
				    &dm->cres[i], canary_done, dm);
			dm->cout = dm->ss.cfg->ncanaries;
			dm->cdue = now + dm->cevery;
		}
		next = dm->cdue - now;
	}
	for (i = 0; i < dm->nds; i++) {
		struct dsite *d = &dm->ds[i];
		size_t na = d->site->nprimary + d->site->nfailover;

		if (d->probing)
			continue;
		if (d->due <= now + dm->slack) {
			d->probing = true;
			d->started = now;
			d->out = na;
			for (k = 0; k < na; k++)
				prober_submit(dm->prober, &d->reqs[k],
				    &d->res[k], probe_done, d);
			/* keep the phase; a long stall starts afresh */
			d->due += d->site->interval_ms;
			if (d->due <= now)
				d->due = now + d->site->interval_ms;
		}
		if (d->due - now < next)
			next = d->due - now;
	}
	return next;
}

/* ---- the state file ---- */

/* Whether flip, release or check wrote the file since we did. */
static bool
foreign_write(struct daemon *dm)
{
	return state_stamp_changed(dm->ss.path, &dm->saved);
}

static void
note_saved(struct daemon *dm)
{
	state_stamp_take(dm->ss.path, &dm->saved);
}

/* A foreign write found damaged and moved aside: ours is the good one. */
static void
foreign_broken(struct daemon *dm, struct diags *d, const char *moved)
{
	char what[512], *why;

	diags_first(d, what, sizeof(what));
	diags_log(d);
	log_warnx("error: %s was changed and is damaged: moved aside to %s; "
	    "keeping what this daemon knows", dm->ss.path, moved);
	why = xasprintf("the state file was changed and is damaged (%s); "
	    "moved aside to %s; keeping what this daemon knows", what, moved);
	session_event(&dm->ss, EV_STATE_BROKEN, NULL, SIDE_PRIMARY, SIDE_PRIMARY,
	    NULL, 0, why);
	free(why);
	dm->unmerged = false;
	dm->major = dm->dirty = true;	/* a good one, soon */
	note_saved(dm);
}

static void
foreign_changed(const struct state_site *x, void *arg)
{
	const struct site_state *b = &x->st;	/* now theirs */

	(void)arg;
	log_info("%s: taking in a change made outside this daemon (%s%s%s)",
	    x->name, b->hold.active ? "held on " : "now ", side_str(b->side),
	    b->drift ? ", drift" : "");
}

/*
 * Takes in what flip, release or check wrote: the side, the published
 * set, hold, drift and pending of every site the file knows.  Address
 * counters and run counters stay ours (newer, and the daemon's job):
 * state_take_foreign().
 */
static void
merge_foreign(struct daemon *dm)
{
	char moved[PATH_MAX];
	struct state f;
	struct diags d;
	int rc;

	diags_init(&d);
	rc = state_load_or_move(dm->ss.path, &f, &d, time(NULL), moved,
	    sizeof(moved));
	if (rc == 1) {
		foreign_broken(dm, &d, moved);
		diags_clear(&d);
		return;
	}
	if (rc != 0) {
		/*
		 * Not read (no descriptor, an I/O error) or damaged and not
		 * moved: it may hold a flip.  Nothing is saved over it until
		 * it is read (save() tries again), so the flip is never lost.
		 */
		if (!dm->unmerged) {
			diags_log(&d);
			log_warnx("%s was changed and cannot be %s; not saving "
			    "over it until it can", dm->ss.path, rc == -2 ?
			    "moved aside" : "read");
		}
		dm->unmerged = true;
		diags_clear(&d);
		return;
	}
	diags_clear(&d);
	if (dm->unmerged)
		log_info("%s can be read again; its changes are taken in",
		    dm->ss.path);
	dm->unmerged = false;
	state_take_foreign(&dm->ss.st, &f, foreign_changed, NULL);
	state_clear(&f);
	note_saved(dm);
}

static bool
lock_take(struct daemon *dm, unsigned wait_ms)
{
	if (dm->g->dry_run)
		return true;
	if (dm->ss.lock != -1)
		return true;
	if ((dm->ss.lock = state_lock(dm->ss.path, wait_ms)) == -1) {
		if (errno != EWOULDBLOCK)
			log_warn("cannot lock %s.lock", dm->ss.path);
		return false;
	}
	if (foreign_write(dm))
		merge_foreign(dm);
	return true;
}

static void
lock_release(struct daemon *dm)
{
	state_unlock(dm->ss.lock);
	dm->ss.lock = -1;
}

static void
save(struct daemon *dm, uint64_t now)
{
	if (dm->g->dry_run) {
		dm->dirty = dm->major = false;
		return;
	}
	if (dm->unmerged && foreign_write(dm))
		merge_foreign(dm);	/* a flip it may hold comes first */
	if (dm->unmerged) {
		dm->save_failed = true;	/* flip must not wait on us */
		dm->last_save = now;
		return;
	}
	if (state_save(dm->ss.path, &dm->ss.st) == -1) {
		if (!dm->save_failed)
			log_warn("cannot save the state to %s", dm->ss.path);
		dm->save_failed = true;	/* flip must not wait on us */
		dm->last_save = now;	/* tried again after the gap */
		return;
	}
	if (dm->save_failed)
		log_info("the state is saved to %s again", dm->ss.path);
	dm->save_failed = false;
	note_saved(dm);
	dm->dirty = dm->major = false;
	dm->last_save = now;
}

static void
metrics(struct daemon *dm, uint64_t now, bool force)
{
	struct metrics_round m = { dm->last_round, dm->last_round_at, dm->iso,
	    true };

	if (dm->g->dry_run || dm->ss.cfg->metrics_file == NULL ||
	    (!force && now - dm->last_metrics < METRICS_MIN_MS))
		return;
	if (metrics_write(dm->ss.cfg->metrics_file, dm->ss.cfg, &dm->ss.st,
	    &m) == -1)
		log_warn("cannot write the metrics file %s",
		    dm->ss.cfg->metrics_file);
	dm->last_metrics = now;
}

/*
 * Saves when due; lets the lock go when nothing is in flight and nothing
 * worth saving is unsaved (flip must read what the daemon did).  Saves
 * of changes come at most every SAVE_GAP_MS: the file holds every site,
 * and during an incident rounds come several times a second.
 */
static void
settle(struct daemon *dm, uint64_t now)
{
	bool want = (dm->major && (dm->stop || now - dm->last_save >=
	    SAVE_GAP_MS)) || (dm->dirty && (dm->stop ||
	    now - dm->last_save >= SAVE_EVERY_MS));

	if (want && lock_take(dm, 0))
		save(dm, now);
	if (jobq_inflight(dm->dnsq) == 0 && dm->ss.lock != -1 &&
	    (!dm->major || dm->g->dry_run || dm->save_failed))
		lock_release(dm);
}

/* ---- rounds ---- */

static void
batch_free(struct batch *b)
{
	readjob_free(b->rj);
	free(b->sites);
	free(b->per);
	free(b->which);
	free(b->busy);
	free(b);
}

/*
 * The sites whose probes are all back, with their results, whether an
 * update is in flight, and their entries; they leave the schedule.
 */
static struct batch *
batch_take(struct daemon *dm, uint64_t now, size_t n)
{
	struct batch *b = xcalloc(1, sizeof(*b));
	size_t i;

	b->sites = xcalloc(n, sizeof(*b->sites));
	b->per = xcalloc(n, sizeof(*b->per));
	b->which = xcalloc(n, sizeof(*b->which));
	b->busy = xcalloc(n, sizeof(*b->busy));
	b->first = now;
	for (i = 0; i < dm->nds; i++) {
		struct dsite *d = &dm->ds[i];

		if (!d->ready)
			continue;
		b->sites[b->n] = d->site;
		b->per[b->n] = d->res;
		b->which[b->n++] = d;
		d->ready = d->probing = false;
		if (d->started < b->first)
			b->first = d->started;
		if (d->back > b->last)
			b->last = d->back;
	}
	return b;
}

/* dm->w over the batch's sites, with who is busy now. */
static struct round *
batch_round(struct daemon *dm, struct batch *b)
{
	const struct site **sites = xcalloc(b->n + 1, sizeof(*sites));
	size_t i;

	for (i = 0; i < b->n; i++) {
		sites[i] = b->sites[i];
		b->busy[i] = b->which[i]->busy;
	}
	round_batch(&dm->w, &dm->ss, sites, b->n);
	dm->w.busy = b->busy;
	dm->ss.now = time(NULL);
	dm->w.failed = false;
	return &dm->w;
}

/* Decides the batch and hands its updates to the DNS thread. */
static void
batch_decide(struct daemon *dm, struct batch *b)
{
	struct round *r = batch_round(dm, b);
	bool *pending = xcalloc(b->n + 1, sizeof(bool));
	struct pubjob *pj;
	time_t blind0;
	size_t i;

	for (i = 0; i < r->nsites; i++)
		pending[i] = round_site_state(r, i)->pending;
	blind0 = dm->ss.st.blind_since;
	round_decide(r, b->per, dm->iso);
	if (dm->ss.st.blind_since != blind0)
		dm->major = true;	/* status tells it at once */
	for (i = 0; i < r->nsites; i++) {
		const struct health_decision *d = &r->d[i];

		if (pending[i] && !round_site_state(r, i)->pending)
			dm->major = true;	/* DNS matches after all */
		if (d->ntransitions > 0 || d->hold_expired ||
		    d->action == HA_PUBLISH || d->action == HA_BOTH_DOWN)
			dm->major = true;
		if (d->action == HA_PUBLISH && !b->which[i]->busy)
			b->which[i]->busy = true;
	}
	pj = round_pubjob(r);
	if (pj->n > 0)
		job_queue(dm, pj, NULL, b->last);
	else
		pubjob_free(pj);
	round_batch_clear(r);
	r->busy = NULL;
	free(pending);
	dm->dirty = true;
	dm->last_round = (double)(mono_ms() - b->first) / 1000;
	dm->last_round_at = time(NULL);
}

/* A job works on s now, or no longer (by name: a reload may come). */
static void
set_busy(struct daemon *dm, const struct site *s, bool busy)
{
	struct dsite *d = dsite_find(dm, s->name);

	if (d != NULL)
		d->busy = busy;
}

/*
 * The sites whose probes are all back: one round.  What must be read
 * from DNS first (round_readjob) is read on the DNS thread, and the
 * batch decided when it is back (job_done); the rest at once.
 */
static void
decide_ready(struct daemon *dm, uint64_t now)
{
	struct batch *b;
	size_t i, n = 0;

	for (i = 0; i < dm->nds; i++)
		n += dm->ds[i].ready;
	if (n == 0 || !lock_take(dm, 0))
		return;			/* flip holds it: soon */
	b = batch_take(dm, now, n);
	b->rj = round_readjob(batch_round(dm, b));
	round_batch_clear(&dm->w);
	dm->w.busy = NULL;
	if (b->rj == NULL) {
		batch_decide(dm, b);
		batch_free(b);
		return;
	}
	/* no update for them until they are read and decided */
	for (i = 0; i < b->rj->n; i++)
		set_busy(dm, b->rj->s[i].site, true);
	job_queue(dm, NULL, b, b->last);
}

/* A job is back: the configuration it borrowed may go if retired. */
static void
job_unborrow(struct daemon *dm, const struct config *cfg)
{
	struct retired **p, *r;

	if (cfg == dm->ss.cfg) {
		dm->cur_jobs--;
		return;
	}
	for (p = &dm->retired; (r = *p) != NULL; p = &r->next)
		if (r->cfg == cfg && --r->jobs == 0) {
			*p = r->next;
			config_free(r->cfg);
			free(r);
			return;
		}
}

/*
 * What a batch read is taken in; the batch is decided unless a reload
 * came between (its sites are then probed again under the new one).
 */
static void
read_done(struct job *j)
{
	struct daemon *dm = j->dm;
	struct batch *b = j->b;
	size_t i;

	round_readjob_done(&dm->w, b->rj);
	for (i = 0; i < b->rj->n; i++)
		set_busy(dm, b->rj->s[i].site, false);
	if (j->cfg == dm->ss.cfg)
		batch_decide(dm, b);
	batch_free(b);
}

/* The outcome of a job the DNS thread finished (jobq_collect). */
static void
job_done(void *arg)
{
	struct job *j = arg;
	struct daemon *dm = j->dm;
	size_t i;

	dm->ss.now = time(NULL);
	dm->w.failed = false;
	dm->w.ss = &dm->ss;
	if (j->b != NULL)
		read_done(j);
	else {
		/* the figure behind "confirming probe to served" */
		log_debug("updates of %zu sites done %llu ms after their "
		    "deciding probes ended", j->pj->n,
		    (unsigned long long)(mono_ms() - j->t0));
		round_pubjob_done(&dm->w, j->pj);
		for (i = 0; i < j->pj->n; i++)
			set_busy(dm, j->pj->s[i].site, false);
		pubjob_free(j->pj);
	}
	job_unborrow(dm, j->cfg);
	free(j);
	dm->dirty = dm->major = true;
}

/* ---- reload ---- */

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

/* Sites, canaries, the shortest interval: what a configuration sets. */
static void
configure(struct daemon *dm, uint64_t now)
{
	struct config *cfg = dm->ss.cfg;
	uint64_t min = UINT64_MAX, max = 0;
	const struct site **sites;
	size_t i;

	dsites_build(dm, now);
	for (i = 0; i < cfg->nsites; i++) {
		if (cfg->sites[i].interval_ms < min)
			min = cfg->sites[i].interval_ms;
		if (cfg->sites[i].interval_ms > max)
			max = cfg->sites[i].interval_ms;
	}
	dm->cevery = min == UINT64_MAX ? 10000 : min;
	/* every site probed at least once: a longer interval than the
	 * others' must not make its own local errors look like blindness */
	dm->w.blind_window = (unsigned)((max + 999) / 1000);
	if (cfg->ncanaries == 0)
		dm->iso = false;	/* no canaries left to say otherwise */
	dm->cout = 0;		/* nothing in flight at a (re)configure */
	dm->slack = dm->cevery / 20 < 250 ? dm->cevery / 20 : 250;
	free(dm->creq);
	free(dm->cres);
	dm->creq = xcalloc(cfg->ncanaries + 1, sizeof(*dm->creq));
	dm->cres = xcalloc(cfg->ncanaries + 1, sizeof(*dm->cres));
	round_canary_reqs(cfg, &dm->cspec, dm->creq);
	sites = xcalloc(cfg->nsites + 1, sizeof(*sites));
	for (i = 0; i < cfg->nsites; i++)
		sites[i] = &cfg->sites[i];
	state_prune(&dm->ss.st, cfg);
	/* new sites start unknown: the read stage of their first round */
	round_begin(&dm->w, &dm->ss, sites, cfg->nsites);
	round_batch_clear(&dm->w);
	if (dm->prober == NULL ||
	    prober_parallel(dm->prober) != cfg->max_parallel) {
		prober_free(dm->prober);
		dm->prober = prober_new(cfg->max_parallel);
	}
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
static void
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
static void
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
static void
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
static void
reload_swap(struct daemon *dm)
{
	struct config *cfg = dm->next, *old = dm->ss.cfg;
	uint64_t now = mono_ms();

	if (!lock_take(dm, 0)) {
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
	configure(dm, now);
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
	settle(dm, now);
	log_info("reloaded: %zu sites", cfg->nsites);
	sdnotify_send("READY=1\nSTATUS=watching sites");
}

/* ---- signals ---- */

static int
signals_open(sigset_t *old)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (pthread_sigmask(SIG_BLOCK, &set, old) != 0)
		fatal("sigprocmask");
	if ((fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) == -1)
		fatal("signalfd");
	return fd;
}

static void
signals_read(struct daemon *dm)
{
	struct signalfd_siginfo si;

	while (read(dm->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			dm->reload = true;
			continue;
		}
		if (!dm->stop) {
			log_info("signal %u: finishing what is in flight, "
			    "then stopping", si.ssi_signo);
			dm->stop_at = mono_ms();
		}
		dm->stop = true;
	}
}

/*
 * Notifications get what is left of STOP_MS after the signal: undelivered
 * ones never keep the daemon from stopping (they are dropped, logged).
 */
static uint64_t
stop_deadline(const struct daemon *dm)
{
	uint64_t now = mono_ms();

	if (dm->stop_at == 0 || dm->stop_at + STOP_MS < now + STOP_MIN_MS)
		return dm->stop_at == 0 ? now + NOTIFY_STOP_MS :
		    now + STOP_MIN_MS;
	return dm->stop_at + STOP_MS;
}

/* ---- the loop ---- */

static bool
probes_in_flight(const struct daemon *dm)
{
	return prober_busy(dm->prober) > 0;
}

static void
loop(struct daemon *dm)
{
	struct curl_waitfd fds[3];
	uint64_t now, next;
	size_t i;
	bool ready;

	for (;;) {
		now = mono_ms();
		reload_poll(dm);
		reload_start(dm);
		next = schedule(dm, now);
		if (dm->stop && !probes_in_flight(dm) &&
		    jobq_inflight(dm->dnsq) == 0) {
			reload_join(dm);
			break;
		}
		if (dm->next != NULL && !dm->stop && !probes_in_flight(dm)) {
			reload_swap(dm);
			if (dm->next == NULL)
				continue;	/* swapped: schedule anew */
			next = LOCK_RETRY_MS;	/* flip holds the lock */
		}
		for (i = 0, ready = false; i < dm->nds && !ready; i++)
			ready = dm->ds[i].ready;
		if (ready)	/* waiting for the lock */
			next = next < LOCK_RETRY_MS ? next : LOCK_RETRY_MS;
		if (dm->major)
			next = next < SAVE_GAP_MS ? next : SAVE_GAP_MS;
		else if (dm->dirty)
			next = next < SAVE_EVERY_MS ? next : SAVE_EVERY_MS;
		memset(fds, 0, sizeof(fds));
		fds[0].fd = dm->sigfd;
		fds[0].events = CURL_WAIT_POLLIN;
		fds[1].fd = jobq_fd(dm->dnsq);
		fds[1].events = CURL_WAIT_POLLIN;
		fds[2].fd = dm->load != NULL ? dm->load->efd : -1;
		fds[2].events = CURL_WAIT_POLLIN;
		prober_step(dm->prober, next > 60000 ? 60000 : (int)next, fds,
		    dm->load != NULL ? 3 : 2);
		/* every pass, not only when polled: prober_step does not
		 * poll while transfers keep ending */
		signals_read(dm);
		jobq_collect(dm->dnsq);
		now = mono_ms();
		decide_ready(dm, now);
		settle(dm, now);
		metrics(dm, now, false);
	}
}

/* ---- start and stop ---- */

struct daemon *
sched_new(const struct globals *g)
{
	struct daemon *dm = xcalloc(1, sizeof(*dm));

	dm->g = g;
	dm->ss.lock = -1;
	dm->ss.dry_run = g->dry_run;
	dm->w.ss = &dm->ss;
	dm->sigfd = -1;
	dm->w.once = true;	/* lasting conditions: said when they change */
	dm->w.last_counted = time(NULL);	/* blind only after a window */
	if ((dm->ss.cfg = cmd_config_load(g, true)) == NULL) {
		free(dm);
		return NULL;
	}
	/* the path outlives reloads: a new state_file needs a restart */
	dm->ss.path = dm->statepath = xstrdup(cmd_state_path(g, dm->ss.cfg));
	round_canary_spec(&dm->cspec);
	return dm;
}

int
sched_start(struct daemon *dm)
{
	const struct globals *g = dm->g;

	/* signals first: a SIGTERM during start-up is not lost */
	dm->sigfd = signals_open(&dm->oldmask);
	/* ... and blocked in the DNS thread, which inherits the mask */
	if ((dm->dnsq = jobq_new()) == NULL)
		fatal("cannot start the DNS thread");
	note_saved(dm);		/* read below, not merged into nothing */
	if (!lock_take(dm, STOP_LOCK_MS)) {
		log_warnx("another dnsfailover holds %s.lock", dm->ss.path);
		return EX_TEMPFAIL;
	}
	dm->ss.notify = g->dry_run ? NULL : notify_new(dm->ss.cfg);
	dm->ss.now = time(NULL);
	if (!g->dry_run && session_state_load(&dm->ss) == -1)
		return 1;
	note_saved(dm);
	configure(dm, mono_ms());
	dm->major = dm->dirty = true;
	settle(dm, mono_ms());
	log_info("watching %zu sites (state %s)", dm->ss.cfg->nsites,
	    dm->ss.path);
	sdnotify_send("READY=1\nSTATUS=watching sites");
	return EX_OK;
}

int
sched_wait(struct daemon *dm)
{
	loop(dm);
	sdnotify_send("STOPPING=1");
	if (lock_take(dm, STOP_LOCK_MS))
		save(dm, mono_ms());
	else
		log_warnx("cannot take the state lock; the last counters are "
		    "not saved");
	metrics(dm, mono_ms(), true);
	log_info("stopped");
	return EX_OK;
}

void
sched_free(struct daemon *dm)
{
	size_t i;

	if (dm == NULL)
		return;
	jobq_free(dm->dnsq);	/* nothing in flight after loop() */
	notify_free_by(dm->ss.notify, stop_deadline(dm));
	for (i = 0; i < dm->nold_notify; i++)
		notify_free_by(dm->old_notify[i], stop_deadline(dm));
	free(dm->old_notify);
	while (dm->retired != NULL) {	/* none: every job came back */
		struct retired *r = dm->retired;

		dm->retired = r->next;
		config_free(r->cfg);
		free(r);
	}
	lock_release(dm);
	if (dm->sigfd != -1) {
		signals_read(dm);	/* a second SIGTERM must not kill us now */
		close(dm->sigfd);
		pthread_sigmask(SIG_SETMASK, &dm->oldmask, NULL);
	}
	prober_free(dm->prober);
	dsites_free(dm->ds, dm->nds);
	free(dm->byname);
	free(dm->creq);
	free(dm->cres);
	state_clear(&dm->ss.st);
	config_free(dm->ss.cfg);
	free(dm->statepath);
	free(dm);
}
