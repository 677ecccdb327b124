/*
 * dstate.c: the daemon's state file.  The lock is held only while
 * deciding and while jobs are in flight, so flip and release get it
 * within moments; what they write is taken in before the next decision
 * (state_take_foreign) and never overwritten.  Changes are saved when
 * they happen (at most every 200 ms, the lock kept until then); counters
 * alone at most once a minute and at exit.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon.h"
#include "log.h"
#include "util.h"

/* Whether flip, release or check wrote the file since we did. */
static bool
foreign_write(struct daemon *dm)
{
	return state_stamp_changed(dm->ss.path, &dm->saved);
}

void
dstate_stamp(struct daemon *dm)
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
	session_event(&dm->ss, EV_STATE_BROKEN, NULL, SIDE_PRIMARY,
	    SIDE_PRIMARY, NULL, 0, why);
	free(why);
	dm->unmerged = false;
	dm->major = dm->dirty = true;	/* a good one, soon */
	dstate_stamp(dm);
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
		 * it is read (dstate_save() tries again), so the flip is
		 * never lost.
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
	dstate_stamp(dm);
}

bool
dstate_lock(struct daemon *dm, unsigned wait_ms)
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

void
dstate_unlock(struct daemon *dm)
{
	state_unlock(dm->ss.lock);
	dm->ss.lock = -1;
}

void
dstate_save(struct daemon *dm, uint64_t now)
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
	(void)votes_save(dm->ss.votes);
	if (dm->save_failed)
		log_info("the state is saved to %s again", dm->ss.path);
	dm->save_failed = false;
	dstate_stamp(dm);
	dm->dirty = dm->major = false;
	dm->last_save = now;
}

void
dstate_metrics(struct daemon *dm, uint64_t now, bool force)
{
	struct metrics_round m = { dm->last_round, dm->last_round_at, dm->iso,
	    true, NULL };

	if (dm->g->dry_run || dm->ss.cfg->metrics_file == NULL ||
	    (!force && now - dm->last_metrics < METRICS_MIN_MS))
		return;
	session_metrics(&dm->ss, &m);
	dm->last_metrics = now;
}

/*
 * Saves when due; lets the lock go when nothing is in flight and nothing
 * worth saving is unsaved (flip must read what the daemon did).  Saves
 * of changes come at most every SAVE_GAP_MS: the file holds every site,
 * and during an incident rounds come several times a second.
 */
void
dstate_settle(struct daemon *dm, uint64_t now)
{
	bool want = (dm->major && (dm->stop || now - dm->last_save >=
	    SAVE_GAP_MS)) || (dm->dirty && (dm->stop ||
	    now - dm->last_save >= SAVE_EVERY_MS));

	if (want && dstate_lock(dm, 0))
		dstate_save(dm, now);
	if (jobq_inflight(dm->dnsq) == 0 && dm->ss.lock != -1 &&
	    (!dm->major || dm->g->dry_run || dm->save_failed))
		dstate_unlock(dm);
}
