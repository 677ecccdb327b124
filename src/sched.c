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
 * The state file is dstate.c's (the lock, foreign writes, saves), a
 * reload (SIGHUP) is reload.c's.
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

#include "daemon.h"
#include "log.h"
#include "scheduler.h"
#include "sdnotify.h"
#include "util.h"

/* ---- the DNS thread ---- */

static void
job_run(void *arg)
{
	struct job *j = arg;

	if (j->pj != NULL)
		pubjob_run(j->pj);
	else if (j->vj != NULL)
		votejob_run(j->vj);
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

/* ---- the exchange with the peers (rule 13) ---- */

/*
 * Starts the exchange: views and heartbeat (unless the monitor is cut
 * off or blind: it then has no view to give), holds not sent, the
 * transfer.  One at a time; asked for meanwhile, it runs again after.
 */
static void
vote_start(struct daemon *dm, uint64_t now)
{
	struct votejob *vj;
	struct job *j;

	if (dm->ss.votes == NULL)
		return;
	if (dm->vote_busy) {
		dm->vote_again = true;
		return;
	}
	dm->ss.now = time(NULL);
	dm->vote_again = false;
	dm->vote_due = now + dm->cevery;
	if ((vj = quorum_job(&dm->ss, !dm->iso && dm->ss.st.blind_since == 0,
	    true)) == NULL)
		return;
	j = xcalloc(1, sizeof(*j));
	j->dm = dm;
	j->vj = vj;
	j->cfg = dm->ss.cfg;
	j->t0 = now;
	dm->cur_jobs++;
	dm->vote_busy = true;
	jobq_submit(dm->dnsq, job_run, job_done, j);
}

/* An update decided: with peers it waits for the next exchange. */
static void
update_queue(struct daemon *dm, struct pubjob *pj, uint64_t t0)
{
	if (dm->ss.votes == NULL || pj->manual) {
		job_queue(dm, pj, NULL, t0);
		return;
	}
	dm->vwait = xreallocarray(dm->vwait, dm->nvwait + 1,
	    sizeof(*dm->vwait));
	dm->vwait[dm->nvwait].pj = pj;
	dm->vwait[dm->nvwait++].t0 = t0;
	vote_start(dm, mono_ms());
}

static void	set_busy(struct daemon *, const struct site *, bool);

/* The exchange is back: the updates that waited for it, gated. */
static void
vote_done(struct daemon *dm, struct votejob *vj)
{
	size_t i, k;

	dm->vote_busy = false;
	quorum_job_done(&dm->ss, vj);
	votejob_free(vj);
	for (i = 0; i < dm->nvwait; i++) {
		struct pubjob *pj = dm->vwait[i].pj;

		if (round_pubjob_gate(&dm->w, pj) > 0) {
			job_queue(dm, pj, NULL, dm->vwait[i].t0);
			continue;
		}
		round_pubjob_done(&dm->w, pj);
		for (k = 0; k < pj->n; k++)
			set_busy(dm, pj->s[k].site, false);
		pubjob_free(pj);
	}
	dm->nvwait = 0;
	if (dm->vote_again)
		vote_start(dm, mono_ms());
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
	size_t i, n = dm->ss.cfg->nsites;

	for (i = 0; i < n; i++) {
		const struct site *s = &dm->ss.cfg->sites[i];
		size_t na = s->nprimary + s->nfailover;

		ds[i].site = s;
		ds[i].reqs = xcalloc(na, sizeof(*ds[i].reqs));
		ds[i].res = xcalloc(na, sizeof(*ds[i].res));
		round_site_reqs(s, ds[i].reqs);
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
	if (dm->ss.votes != NULL && !dm->vote_busy) {
		if (dm->vote_due <= now)
			vote_start(dm, now);
		next = dm->vote_due > now ? dm->vote_due - now : 0;
	}
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

/* ---- rounds ---- */

static void
batch_free(struct batch *b)
{
	readjob_free(b->rj);
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

	b->per = xcalloc(n, sizeof(*b->per));
	b->which = xcalloc(n, sizeof(*b->which));
	b->busy = xcalloc(n, sizeof(*b->busy));
	b->first = now;
	for (i = 0; i < dm->nds; i++) {
		struct dsite *d = &dm->ds[i];

		if (!d->ready)
			continue;
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
		sites[i] = b->which[i]->site;
		b->busy[i] = b->which[i]->busy;
	}
	round_batch(&dm->w, &dm->ss, sites, b->n);
	dm->w.busy = b->busy;
	dm->ss.now = time(NULL);
	dm->w.failed = false;
	return &dm->w;
}

/* Decides the batch (r: dm->w over it, batch_round()) and hands its
 * updates to the DNS thread. */
static void
batch_decide(struct daemon *dm, struct batch *b, struct round *r)
{
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
		    d->action == HA_PUBLISH || d->action == HA_BOTH_DOWN ||
		    d->action == HA_FLAPPING)
			dm->major = true;
		if (d->action == HA_PUBLISH)
			b->which[i]->busy = true;
	}
	pj = round_pubjob(r);
	if (pj->n > 0)
		update_queue(dm, pj, b->last);
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
 * Moves the sites of b's read job into a batch of their own, which waits
 * for it: they stay out of the schedule (probing) so their results stay
 * as they were, and no other round decides them first.  b keeps the
 * others, to be decided at once.
 */
static struct batch *
batch_split(struct batch *b)
{
	struct batch *w = xcalloc(1, sizeof(*w));
	size_t i, j = 0, k = 0;

	w->per = xcalloc(b->rj->n + 1, sizeof(*w->per));
	w->which = xcalloc(b->rj->n + 1, sizeof(*w->which));
	w->busy = xcalloc(b->rj->n + 1, sizeof(*w->busy));
	w->first = b->first;
	w->last = b->last;
	w->rj = b->rj;
	b->rj = NULL;
	for (i = 0; i < b->n; i++) {
		/* the read job lists its sites in the batch's order */
		if (j < w->rj->n && w->rj->s[j].site == b->which[i]->site) {
			w->per[j] = b->per[i];
			w->which[j] = b->which[i];
			w->which[j++]->probing = true;
			continue;
		}
		b->per[k] = b->per[i];
		b->which[k++] = b->which[i];
	}
	w->n = j;
	b->n = k;
	return w;
}

/*
 * The sites whose probes are all back: one round.  What must be read
 * from DNS first (round_readjob) is read on the DNS thread, and the
 * batch decided when it is back (job_done); the rest at once.
 */
static void
decide_ready(struct daemon *dm, uint64_t now)
{
	struct batch *b, *wait;
	struct round *r;
	size_t i, n = 0;

	for (i = 0; i < dm->nds; i++)
		n += dm->ds[i].ready;
	if (n == 0 || !dstate_lock(dm, 0))
		return;			/* flip holds it: soon */
	b = batch_take(dm, now, n);
	r = batch_round(dm, b);
	if ((b->rj = round_readjob(r)) == NULL) {
		batch_decide(dm, b, r);
		batch_free(b);
		return;
	}
	round_batch_clear(r);
	r->busy = NULL;
	/* the sites to read wait for it; the others are decided now */
	wait = batch_split(b);
	if (b->n > 0)
		batch_decide(dm, b, batch_round(dm, b));
	batch_free(b);
	job_queue(dm, NULL, wait, wait->last);
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
	struct dsite *d;
	size_t i;

	round_readjob_done(&dm->w, b->rj);
	/* back in the schedule (a reload made new entries: by name) */
	for (i = 0; i < b->rj->n; i++)
		if ((d = dsite_find(dm, b->rj->s[i].site->name)) != NULL)
			d->probing = false;
	if (j->cfg == dm->ss.cfg)
		batch_decide(dm, b, batch_round(dm, b));
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
	else if (j->vj != NULL)
		vote_done(dm, j->vj);
	else {
		/* the figure behind "confirming probe to served" */
		log_debug("updates of %zu sites done %llu ms after their "
		    "deciding probes ended", j->pj->n,
		    (unsigned long long)(mono_ms() - j->t0));
		round_pubjob_done(&dm->w, j->pj);
		cmd_print_plans(&dm->w);	/* -n */
		for (i = 0; i < j->pj->n; i++)
			set_busy(dm, j->pj->s[i].site, false);
		pubjob_free(j->pj);
	}
	job_unborrow(dm, j->cfg);
	free(j);
	dm->dirty = dm->major = true;
}

/* ---- configurations ---- */

/* Sites, canaries, the shortest interval: what a configuration sets. */
void
sched_configure(struct daemon *dm, uint64_t now)
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
	/* a kept prober takes the new config's too */
	prober_set_source(dm->prober, cfg->monitor.source4,
	    cfg->monitor.source6);
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
		    jobq_inflight(dm->dnsq) == 0 && dm->nvwait == 0) {
			reload_join(dm);
			break;
		}
		if (dm->next != NULL && !dm->stop && !probes_in_flight(dm) &&
		    !dm->vote_busy && dm->nvwait == 0) {
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
		fds[2].fd = reload_fd(dm);
		fds[2].events = CURL_WAIT_POLLIN;
		prober_step(dm->prober, next > 60000 ? 60000 : (int)next, fds,
		    dm->load != NULL ? 3 : 2);
		/* every pass, not only when polled: prober_step does not
		 * poll while transfers keep ending */
		signals_read(dm);
		jobq_collect(dm->dnsq);
		now = mono_ms();
		decide_ready(dm, now);
		dstate_settle(dm, now);
		dstate_metrics(dm, now, false);
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
	dstate_stamp(dm);	/* read below, not merged into nothing */
	if (!dstate_lock(dm, STOP_LOCK_MS)) {
		log_warnx("another dnsfailover holds %s.lock", dm->ss.path);
		return EX_TEMPFAIL;
	}
	dm->ss.notify = g->dry_run ? NULL : notify_new(dm->ss.cfg);
	dm->ss.votes = votes_open(&dm->ss.cfg->monitor, dm->ss.path);
	dm->ss.now = time(NULL);
	if (!g->dry_run && session_state_load(&dm->ss) == -1)
		return 1;
	dstate_stamp(dm);
	sched_configure(dm, mono_ms());
	dm->major = dm->dirty = true;
	dstate_settle(dm, mono_ms());
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
	if (dstate_lock(dm, STOP_LOCK_MS))
		dstate_save(dm, mono_ms());
	else
		log_warnx("cannot take the state lock; the last counters are "
		    "not saved");
	dstate_metrics(dm, mono_ms(), true);
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
	dstate_unlock(dm);
	if (dm->sigfd != -1) {
		/* a second SIGTERM must not kill us now */
		signals_read(dm);
		close(dm->sigfd);
		pthread_sigmask(SIG_SETMASK, &dm->oldmask, NULL);
	}
	prober_free(dm->prober);
	dsites_free(dm->ds, dm->nds);
	free(dm->byname);
	free(dm->creq);
	free(dm->cres);
	state_clear(&dm->ss.st);
	votes_free(dm->ss.votes);
	free(dm->vwait);
	config_free(dm->ss.cfg);
	free(dm->statepath);
	free(dm);
}
