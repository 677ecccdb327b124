/*
 * quorum.c: several monitors agreeing through the votes zone (quorum.h;
 * rules 13-17 of doc/rules.md).
 *
 * The zone is the only thing monitors share.  Each writes its own names
 * (its heartbeat and views, vote.h) and the holds; everything it reads
 * comes from a signed transfer of the whole zone's changes into its
 * copy, so what it knows of its peers costs one IXFR a round, however
 * many sites there are, and grows with what changed (rule 16).  A peer
 * counts while this monitor saw its heartbeat change within
 * monitor.fresh, on this monitor's clock: the peer's own clock is never
 * read, so skew does not matter (rule 13).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsupdate.h"
#include "dnsxfr.h"
#include "log.h"
#include "mirror.h"
#include "quorum.h"
#include "state.h"
#include "util.h"
#include "vote.h"

#define DU_TYPE_TXT	16
#define VOTE_TTL	60

/* ---- the copy ---- */

static void
peers_init(struct votes *v, const struct monitor_conf *mon)
{
	size_t i;

	v->mon = mon;
	v->npeer = mon->npeers;
	for (i = 0; i < v->npeer; i++) {
		memset(&v->peer[i], 0, sizeof(v->peer[i]));
		v->peer[i].id = mon->peers[i];
		v->peer[i].self = strcmp(mon->peers[i], mon->id) == 0;
	}
}

struct votes *
votes_open(const struct monitor_conf *mon, const char *state_path)
{
	struct votes *v;
	char err[256];

	if (!mon->enabled)
		return NULL;
	v = xcalloc(1, sizeof(*v));
	peers_init(v, mon);
	v->path = xasprintf("%s.votes", state_path);
	if (mirror_load(v->path, mon->zone, &v->mirror, err,
	    sizeof(err)) == -1)
		log_warnx("%s: %s; dropped (the votes zone is transferred "
		    "whole again)", v->path, err);
	return v;
}

int
votes_save(struct votes *v)
{
	if (v == NULL || !v->dirty)
		return 0;
	if (mirror_save(v->path, &v->mirror) == -1) {
		log_warn("cannot save %s", v->path);
		return -1;
	}
	v->dirty = false;
	return 0;
}

void
votes_free(struct votes *v)
{
	if (v == NULL)
		return;
	mirror_clear(&v->mirror);
	free(v->path);
	free(v);
}

void
votes_reconfigure(struct votes *v, const struct monitor_conf *mon)
{
	bool same = strcmp(v->mon->zone, mon->zone) == 0 &&
	    strcmp(v->mon->id, mon->id) == 0;

	peers_init(v, mon);
	if (!same) {
		mirror_clear(&v->mirror);
		mirror_init(&v->mirror, mon->zone);
		v->last_beat = 0;
		v->dirty = true;
	}
}

/* ---- judging the peers ---- */

void
quorum_judge(struct votes *v, int64_t now_ms)
{
	const struct mirror_entry *e;
	const struct vote_txt *t;
	char name[DNAME_MAXLEN + 2], err[128];
	size_t i;

	v->nfresh = 0;
	for (i = 0; i < v->npeer; i++) {
		struct peer_state *p = &v->peer[i];

		p->seen = p->fresh = false;
		p->beat_seen_ms = 0;
		memset(&p->beat, 0, sizeof(p->beat));
		if (vote_name_beat(v->mon->zone, p->id, name,
		    sizeof(name)) == -1)
			continue;
		e = mirror_get(&v->mirror, name);
		t = mirror_txt(&v->mirror, name);
		if (e == NULL || t == NULL ||
		    vote_beat_parse(t, &p->beat, err, sizeof(err)) == -1)
			continue;
		p->seen = true;
		p->beat_seen_ms = e->seen_ms;
		p->fresh = e->seen_ms != 0 &&
		    now_ms - e->seen_ms <= (int64_t)v->mon->fresh_ms;
	}
	for (i = 0; i < v->npeer; i++) {
		/* this monitor, in an exchange: whether its votes went in */
		if (v->peer[i].self && v->exchanged)
			v->peer[i].fresh = v->wrote;
		v->nfresh += v->peer[i].fresh;
	}
}

/* "m2 (5m ago), m3 (never seen)" into buf: the stale peers. */
static void
stale_list(const struct votes *v, int64_t now_ms, char *buf, size_t size)
{
	char age[64];
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < v->npeer && off < size; i++) {
		const struct peer_state *p = &v->peer[i];

		if (p->fresh)
			continue;
		if (p->self && v->exchanged)
			snprintf(age, sizeof(age), "its votes do not go in");
		else if (p->beat_seen_ms == 0)
			snprintf(age, sizeof(age), p->seen ? "not seen to "
			    "change yet" : "never seen");
		else
			snprintf(age, sizeof(age), "heartbeat %llds ago",
			    (long long)((now_ms - p->beat_seen_ms) / 1000));
		off += (size_t)snprintf(buf + off, size - off, "%s%s (%s)",
		    off ? ", " : "", p->id, age);
	}
}

/* Rule 14: quorum lost and regained, each told once. */
static void
quorum_state(struct session *ss, struct votes *v, int64_t now_ms)
{
	char stale[512], *why;
	bool lost = v->nfresh < v->mon->quorum;

	if (lost && ss->st.quorum_lost == 0) {
		if (now_ms < v->grace_until_ms)
			return;		/* a new copy: peers not seen yet */
		stale_list(v, now_ms, stale, sizeof(stale));
		why = xasprintf("%zu of %zu monitors fresh, %u needed; stale: "
		    "%s; no automatic change until quorum is back",
		    v->nfresh, v->npeer, v->mon->quorum, stale);
		log_warnx("quorum lost: %s", why);
		session_event(ss, EV_QUORUM_LOST, NULL, SIDE_PRIMARY,
		    SIDE_PRIMARY, NULL, 0, why);
		free(why);
		ss->st.quorum_lost = ss->now;
	} else if (!lost && ss->st.quorum_lost != 0) {
		why = xasprintf("%zu of %zu monitors fresh, %u needed (lost "
		    "for %llds)", v->nfresh, v->npeer, v->mon->quorum,
		    (long long)(ss->now - ss->st.quorum_lost));
		log_info("quorum regained: %s", why);
		session_event(ss, EV_QUORUM_REGAINED, NULL, SIDE_PRIMARY,
		    SIDE_PRIMARY, NULL, 0, why);
		free(why);
		ss->st.quorum_lost = 0;
	}
}

/* ---- the exchange ---- */

struct votejob {
	const struct monitor_conf *mon;
	bool			 write, fetch, dry_run;
	struct du_change	*ch;
	struct du_rrset		*sets;
	size_t			 nch, capch;
	char			**strs;		/* owned names and rdata */
	size_t			 nstrs;
	/* which changes are holds: the site, to mark sent */
	char			**hold_site;	/* [nch]; NULL: not a hold */
	bool			 beat;
	uint64_t		 beat_value;
	bool			 have_serial;
	uint32_t		 serial;
	int64_t			 started_ms;

	/* the outcome */
	bool			 wrote_ok, fetched_ok;
	enum du_outcome		*outcomes;
	char			 werr[320], ferr[320];
	struct xfr_result	 xr;
};

static char *
job_keep(struct votejob *j, char *s)
{
	j->strs = xreallocarray(j->strs, j->nstrs + 1, sizeof(*j->strs));
	j->strs[j->nstrs++] = s;
	return s;
}

/* Replaces the TXT RRset at name with t (NULL: deletes it). */
static void
job_put(struct votejob *j, const char *name, const struct vote_txt *t,
    const char *hold_site)
{
	struct du_change *c;
	struct du_rrset *set;
	const char **rd;

	if (j->nch == j->capch) {
		j->capch = j->capch ? 2 * j->capch : 16;
		j->ch = xreallocarray(j->ch, j->capch, sizeof(*j->ch));
		j->sets = xreallocarray(j->sets, j->capch, sizeof(*j->sets));
		j->hold_site = xreallocarray(j->hold_site, j->capch,
		    sizeof(*j->hold_site));
	}
	c = &j->ch[j->nch];
	set = &j->sets[j->nch];
	memset(c, 0, sizeof(*c));
	memset(set, 0, sizeof(*set));
	c->name = job_keep(j, xstrdup(name));
	c->ttl = VOTE_TTL;
	set->type = DU_TYPE_TXT;
	if (t != NULL) {
		rd = xcalloc(1, sizeof(*rd));
		rd[0] = job_keep(j, vote_txt_rdata(t));
		job_keep(j, (char *)(void *)rd);
		set->rdata = rd;
		set->nrdata = 1;
	}
	j->hold_site[j->nch] = hold_site ? job_keep(j, xstrdup(hold_site)) :
	    NULL;
	j->nch++;
}

/* This monitor's view of s, from its state (rule 13). */
static void
view_of(const struct site *s, const struct state_site *x,
    struct vote_view *vw)
{
	const struct site_state *st = &x->st;
	const struct addr_state *a;
	enum health_action act;
	enum side side;
	size_t i;

	memset(vw, 0, sizeof(*vw));
	str_copy(vw->site, s->name, sizeof(vw->site));
	vw->set = xcalloc(st->nprimary + st->nfailover + 1, sizeof(*vw->set));
	if (st->hold.active) {
		snprintf(vw->why, sizeof(vw->why), "held on %s",
		    side_str(st->hold.side));
		return;
	}
	if (st->drift) {
		snprintf(vw->why, sizeof(vw->why), "drift: the records were "
		    "changed by someone else");
		return;
	}
	act = health_want(st, &side, vw->set, &vw->nset);
	if (act != HA_PUBLISH) {
		vw->nset = 0;
		snprintf(vw->why, sizeof(vw->why), "%s",
		    health_action_str(act));
		return;
	}
	vw->want = side == SIDE_PRIMARY ? VOTE_WANT_PRIMARY :
	    VOTE_WANT_FAILOVER;
	if (side == SIDE_PRIMARY) {
		snprintf(vw->why, sizeof(vw->why), "primary up");
		return;
	}
	/* the first primary that is down, and how: stable from round to
	 * round, so that the view is not rewritten for nothing */
	for (i = 0; i < st->nprimary; i++) {
		a = &st->primary[i];
		if (a->health == HEALTH_DOWN) {
			snprintf(vw->why, sizeof(vw->why), "primary %s down: "
			    "%.100s", a->addr.text, a->last_error);
			break;
		}
	}
}

static int
label_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* The views of removed sites go (this monitor's own names only). */
static void
job_forget(struct votejob *j, struct session *ss, struct votes *v)
{
	char (*labels)[VOTE_LABEL_LEN + 1];
	char id[VOTE_ID_MAX + 1], label[VOTE_LABEL_LEN + 1];
	size_t i, n = ss->cfg->nsites;

	labels = xcalloc(n + 1, sizeof(*labels));
	for (i = 0; i < n; i++)
		vote_site_label(ss->cfg->sites[i].name, labels[i]);
	qsort(labels, n, sizeof(*labels), label_cmp);
	for (i = 0; i < v->mirror.n; i++) {
		const struct mirror_entry *e = &v->mirror.e[i];

		if (vote_name_kind(v->mon->zone, e->owner, id, label) ==
		    VOTE_VIEW && strcmp(id, v->mon->id) == 0 &&
		    bsearch(label, labels, n, sizeof(*labels),
		    label_cmp) == NULL)
			job_put(j, e->owner, NULL, NULL);
	}
	free(labels);
}

static void
job_views(struct votejob *j, struct session *ss, struct votes *v)
{
	const struct vote_txt *have;
	struct vote_txt t;
	struct vote_view vw;
	struct state_site *x;
	char name[DNAME_MAXLEN + 2];
	size_t i;

	for (i = 0; i < ss->cfg->nsites; i++) {
		const struct site *s = &ss->cfg->sites[i];

		if ((x = state_find(&ss->st, s->name)) == NULL ||
		    vote_name_view(v->mon->zone, v->mon->id, s->name, name,
		    sizeof(name)) == -1)
			continue;
		view_of(s, x, &vw);
		memset(&t, 0, sizeof(t));
		vote_view_txt(&vw, &t);
		have = mirror_txt(&v->mirror, name);
		if (have == NULL || !vote_txt_equal(have, &t))
			job_put(j, name, &t, NULL);
		vote_txt_clear(&t);
		vote_view_clear(&vw);
	}
	job_forget(j, ss, v);
}

/* Rule 15: the holds (and ends of holds) not in the zone yet. */
static void
job_holds(struct votejob *j, struct session *ss, struct votes *v)
{
	struct vote_hold h;
	struct vote_txt t;
	struct state_site *x;
	char name[DNAME_MAXLEN + 2];
	size_t i;

	for (i = 0; i < ss->cfg->nsites; i++) {
		const struct site *s = &ss->cfg->sites[i];

		if ((x = state_find(&ss->st, s->name)) == NULL ||
		    !x->hold_unsent || vote_name_hold(v->mon->zone, s->name,
		    name, sizeof(name)) == -1)
			continue;
		if (!x->st.hold.active) {
			job_put(j, name, NULL, s->name);
			continue;
		}
		memset(&h, 0, sizeof(h));
		str_copy(h.site, s->name, sizeof(h.site));
		h.side = x->st.hold.side == SIDE_PRIMARY ? VOTE_WANT_PRIMARY :
		    VOTE_WANT_FAILOVER;
		h.until = x->st.hold.until;
		str_copy(h.by, v->mon->id, sizeof(h.by));
		str_copy(h.who, x->st.hold.who, sizeof(h.who));
		str_copy(h.reason, x->st.hold.reason, sizeof(h.reason));
		memset(&t, 0, sizeof(t));
		vote_hold_txt(&h, &t);
		job_put(j, name, &t, s->name);
		vote_txt_clear(&t);
	}
}

/* The heartbeat: a value never written before (the writer's clock in
 * ms, or one past the last, whichever is more). */
static void
job_beat(struct votejob *j, struct votes *v)
{
	struct vote_beat b, old;
	struct vote_txt t;
	const struct vote_txt *have;
	char name[DNAME_MAXLEN + 2], err[128];
	int64_t now = real_ms();

	if (vote_name_beat(v->mon->zone, v->mon->id, name, sizeof(name)) == -1)
		return;
	memset(&b, 0, sizeof(b));
	b.beat = now > 0 ? (uint64_t)now : 0;
	if (b.beat <= v->last_beat)
		b.beat = v->last_beat + 1;
	if ((have = mirror_txt(&v->mirror, name)) != NULL &&
	    vote_beat_parse(have, &old, err, sizeof(err)) == 0 &&
	    b.beat <= old.beat)
		b.beat = old.beat + 1;
	b.at = (time_t)(now / 1000);
	b.every = (unsigned)((v->mon->fresh_ms / 2 + 999) / 1000);
	memset(&t, 0, sizeof(t));
	vote_beat_txt(&b, &t);
	job_put(j, name, &t, NULL);
	vote_txt_clear(&t);
	j->beat = true;
	j->beat_value = b.beat;
}

struct votejob *
quorum_job(struct session *ss, bool beat, bool fetch)
{
	struct votes *v = ss->votes;
	struct votejob *j;

	if (v == NULL)
		return NULL;
	j = xcalloc(1, sizeof(*j));
	j->mon = v->mon;
	j->dry_run = ss->dry_run;
	j->fetch = fetch;
	if (beat)
		job_views(j, ss, v);
	job_holds(j, ss, v);
	if (beat)
		job_beat(j, v);
	j->write = j->nch > 0 && !ss->dry_run;
	j->have_serial = v->mirror.synced;
	j->serial = v->mirror.serial;
	if (!j->write && !j->fetch) {
		votejob_free(j);
		return NULL;
	}
	return j;
}

void
votejob_run(struct votejob *j)
{
	struct du_report rep;
	size_t i;

	j->started_ms = real_ms();
	if (j->write) {
		for (i = 0; i < j->nch; i++) {
			j->ch[i].sets = &j->sets[i];
			j->ch[i].nsets = 1;
		}
		j->outcomes = xcalloc(j->nch, sizeof(*j->outcomes));
		j->wrote_ok = dnsupdate_apply(&j->mon->dns, j->mon->zone,
		    j->ch, j->nch, j->outcomes, &rep) == 0;
		if (!j->wrote_ok)
			str_copy(j->werr, rep.msg, sizeof(j->werr));
	}
	if (j->fetch)
		j->fetched_ok = dnsxfr_fetch(&j->mon->dns, j->mon->zone,
		    j->have_serial, j->serial, &j->xr, j->ferr,
		    sizeof(j->ferr)) == 0;
}

void
votejob_free(struct votejob *j)
{
	size_t i;

	if (j == NULL)
		return;
	for (i = 0; i < j->nstrs; i++)
		free(j->strs[i]);
	free(j->strs);
	free(j->ch);
	free(j->sets);
	free(j->hold_site);
	free(j->outcomes);
	dnsxfr_clear(&j->xr);
	free(j);
}

/* ---- holds (rule 15) ---- */

static void
hold_adopt(struct session *ss, const struct site *s, struct state_site *x,
    const struct vote_hold *h)
{
	enum side side = h->side == VOTE_WANT_PRIMARY ? SIDE_PRIMARY :
	    SIDE_FAILOVER;
	char until[40] = "until release";

	if (h->until != 0) {
		time_rfc3339(h->until, until + 6, sizeof(until) - 6);
		memcpy(until, "until ", 6);
	}
	health_flip(&x->st, side, h->until, h->who, h->reason);
	/* the flipping monitor wrote the records: read them next round */
	x->st.published_known = false;
	x->pending = false;
	log_info("%s: held on %s by %s (flipped on monitor %s), %s%s%s",
	    s->name, side_str(side), h->who, h->by, until, h->reason[0] ?
	    ": " : "", h->reason);
	(void)ss;
}

static void
hold_gone(struct session *ss, const struct site *s, struct state_site *x)
{
	health_release(&x->st, x->st.published, x->st.npublished, ss->now);
	x->st.published_known = false;	/* as served now: read it */
	log_info("%s: released on another monitor; automatic control "
	    "again", s->name);
}

static bool
hold_same(const struct hold *l, const struct vote_hold *h)
{
	enum side side = h->side == VOTE_WANT_PRIMARY ? SIDE_PRIMARY :
	    SIDE_FAILOVER;

	return l->active && l->side == side && l->until == h->until &&
	    strcmp(l->who, h->who) == 0 && strcmp(l->reason, h->reason) == 0;
}

/*
 * What the copy says of each site's hold against what this monitor has:
 * a hold it does not have is adopted, one it has that the zone no
 * longer holds was released elsewhere.  Not for a site whose own change
 * is not sent yet, nor one whose hold changed here since the transfer
 * began (its answer cannot know of it).
 */
static void
holds_reconcile(struct session *ss, struct votes *v, int64_t started_ms)
{
	const struct vote_txt *t;
	struct vote_hold h;
	struct state_site *x;
	char name[DNAME_MAXLEN + 2], err[128];
	size_t i;
	bool have;

	for (i = 0; i < ss->cfg->nsites; i++) {
		const struct site *s = &ss->cfg->sites[i];

		if ((x = state_find(&ss->st, s->name)) == NULL ||
		    x->hold_unsent || x->hold_set_ms > started_ms ||
		    vote_name_hold(v->mon->zone, s->name, name,
		    sizeof(name)) == -1)
			continue;
		t = mirror_txt(&v->mirror, name);
		have = t != NULL && vote_hold_parse(t, &h, err,
		    sizeof(err)) == 0 && strcmp(h.site, s->name) == 0;
		if (t != NULL && !have)
			log_debug("%s: hold record not taken: %s", s->name,
			    err);
		if (have && h.until != 0 && h.until <= ss->now) {
			/* expired on this clock: end it for everyone */
			if (x->st.hold.active)
				continue;	/* health_step ends it */
			x->hold_unsent = true;
		} else if (have && !hold_same(&x->st.hold, &h))
			hold_adopt(ss, s, x, &h);
		else if (!have && x->st.hold.active)
			hold_gone(ss, s, x);
	}
}

/*
 * A monitor that disagreed with a switch its peers made still believes
 * the old side.  When quorum fresh peers want the other side, the read
 * stage of the next round learns what is served (health_learned).
 */
static void
sides_learn(struct session *ss, struct votes *v, int64_t now_ms)
{
	struct peer_view pv[MONITOR_MAX_PEERS];
	struct state_site *x;
	enum vote_want other;
	size_t i, k, n;

	for (i = 0; i < ss->cfg->nsites; i++) {
		const struct site *s = &ss->cfg->sites[i];

		if ((x = state_find(&ss->st, s->name)) == NULL ||
		    !x->st.published_known || x->st.hold.active ||
		    x->st.drift)
			continue;
		/* a switch decided this round (the side moved ahead of the
		 * published set) is the gate's, not this */
		if (!addr_subset(x->st.published, x->st.npublished,
		    x->st.side == SIDE_PRIMARY ? s->primary : s->failover,
		    x->st.side == SIDE_PRIMARY ? s->nprimary : s->nfailover))
			continue;
		other = x->st.side == SIDE_PRIMARY ? VOTE_WANT_FAILOVER :
		    VOTE_WANT_PRIMARY;
		quorum_views(v, s->name, now_ms, pv);
		for (n = 0, k = 0; k < v->npeer; k++)
			n += !v->peer[k].self && v->peer[k].fresh &&
			    pv[k].has && pv[k].v.want == other;
		peer_views_clear(pv, v->npeer);
		if (n >= v->mon->quorum)
			x->st.published_known = false;
	}
}

static void
holds_sent(struct session *ss, const struct votejob *j)
{
	struct state_site *x;
	size_t i;

	for (i = 0; i < j->nch; i++)
		if (j->hold_site[i] != NULL && j->outcomes != NULL &&
		    j->outcomes[i] == DU_APPLIED &&
		    (x = state_find(&ss->st, j->hold_site[i])) != NULL)
			x->hold_unsent = false;
}

bool
quorum_job_done(struct session *ss, struct votejob *j)
{
	struct votes *v = ss->votes;
	int64_t now = real_ms();
	bool ok = true;

	if (v == NULL)
		return true;
	if (j->write) {
		holds_sent(ss, j);
		if (!j->wrote_ok) {
			log_warnx("votes: cannot write to zone %s: %s", v->mon->zone,
			    j->werr);
			ok = false;
		}
	}
	if (j->beat) {
		v->exchanged = true;
		v->wrote = j->dry_run || j->wrote_ok;
		if (j->wrote_ok)
			v->last_beat = j->beat_value;
	}
	if (j->fetch) {
		v->synced = j->fetched_ok;
		if (j->fetched_ok) {
			if (!v->mirror.synced)
				v->grace_until_ms = now +
				    (int64_t)v->mon->fresh_ms;
			mirror_apply(&v->mirror, &j->xr, now);
			v->dirty = true;
			holds_reconcile(ss, v, j->started_ms);
		} else {
			log_warnx("votes: cannot transfer zone %s: %s",
			    v->mon->zone, j->ferr);
			ok = false;
		}
	}
	v->err[0] = '\0';
	if (j->beat && !v->wrote)
		snprintf(v->err, sizeof(v->err), "cannot write: %s", j->werr);
	else if (j->fetch && !j->fetched_ok)
		snprintf(v->err, sizeof(v->err), "cannot transfer: %s",
		    j->ferr);
	if (j->beat || j->fetch) {
		quorum_judge(v, now);
		if (v->exchanged)
			quorum_state(ss, v, now);
	}
	if (j->fetch && j->fetched_ok)
		sides_learn(ss, v, now);
	return ok;
}

/* ---- views and agreement ---- */

void
quorum_views(const struct votes *v, const char *site, int64_t now_ms,
    struct peer_view *pv)
{
	const struct mirror_entry *e;
	const struct vote_txt *t;
	char name[DNAME_MAXLEN + 2], err[128];
	size_t i;

	for (i = 0; i < v->npeer; i++) {
		memset(&pv[i], 0, sizeof(pv[i]));
		pv[i].peer = &v->peer[i];
		pv[i].age_ms = -1;
		if (vote_name_view(v->mon->zone, v->peer[i].id, site, name,
		    sizeof(name)) == -1 ||
		    (e = mirror_get(&v->mirror, name)) == NULL ||
		    (t = mirror_txt(&v->mirror, name)) == NULL)
			continue;
		if (vote_view_parse(t, &pv[i].v, err, sizeof(err)) == -1 ||
		    strcmp(pv[i].v.site, site) != 0) {
			vote_view_clear(&pv[i].v);
			continue;
		}
		pv[i].has = true;
		if (e->seen_ms != 0)
			pv[i].age_ms = now_ms - e->seen_ms;
	}
}

void
peer_views_clear(struct peer_view *pv, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		vote_view_clear(&pv[i].v);
}

static bool
view_agrees(const struct vote_view *vw, const struct health_decision *d)
{
	enum vote_want want = d->want_side == SIDE_PRIMARY ?
	    VOTE_WANT_PRIMARY : VOTE_WANT_FAILOVER;

	if (vw->want != want)
		return false;
	return d->side_changed || addr_same_set(vw->set, vw->nset, d->want,
	    d->nwant);
}

bool
quorum_agrees(struct session *ss, const struct site *s,
    const struct health_decision *d, char *why, size_t wlen)
{
	struct votes *v = ss->votes;
	struct peer_view pv[MONITOR_MAX_PEERS];
	char yes[512] = "", other[1024] = "";
	size_t i, n = 0, oy = 0, oo = 0;
	int64_t now = real_ms();

	if (v == NULL)
		return true;
	if (!v->wrote) {
		snprintf(why, wlen, "this monitor's votes do not go in (%s): "
		    "it neither votes nor acts", v->err[0] ? v->err :
		    "no exchange yet");
		return false;
	}
	quorum_views(v, s->name, now, pv);
	for (i = 0; i < v->npeer; i++) {
		const struct peer_state *p = &v->peer[i];

		if (p->self || (p->fresh && pv[i].has &&
		    view_agrees(&pv[i].v, d))) {
			n++;
			oy += (size_t)snprintf(yes + oy, oy < sizeof(yes) ?
			    sizeof(yes) - oy : 0, "%s%s", oy ? ", " : "",
			    p->id);
		} else if (oo < sizeof(other))
			oo += (size_t)snprintf(other + oo, sizeof(other) - oo,
			    "; %s %s", p->id, !p->fresh ? "stale" :
			    !pv[i].has ? "has no view" :
			    vote_want_str(pv[i].v.want));
		if (oy > sizeof(yes))
			oy = sizeof(yes);
	}
	peer_views_clear(pv, v->npeer);
	if (n >= v->mon->quorum) {
		snprintf(why, wlen, "agreed by %s", yes);
		return true;
	}
	snprintf(why, wlen, "wants %s: %zu of %u needed agree (%s)%s",
	    side_str(d->want_side), n, v->mon->quorum, yes, other);
	return false;
}

/* ---- metrics ---- */

void
quorum_metrics(const struct votes *v, const struct config *cfg,
    int64_t now_ms, struct metrics_peer *p, struct metrics_peers *m)
{
	struct peer_view pv[MONITOR_MAX_PEERS];
	size_t i, k;

	memset(m, 0, sizeof(*m));
	for (i = 0; i < v->npeer; i++) {
		memset(&p[i], 0, sizeof(p[i]));
		p[i].id = v->peer[i].id;
		p[i].fresh = v->peer[i].fresh;
		p[i].age = v->peer[i].beat_seen_ms == 0 ? -1 :
		    (double)(now_ms - v->peer[i].beat_seen_ms) / 1000;
	}
	for (k = 0; k < cfg->nsites; k++) {
		quorum_views(v, cfg->sites[k].name, now_ms, pv);
		for (i = 0; i < v->npeer; i++)
			if (pv[i].has)
				p[i].want[pv[i].v.want]++;
		peer_views_clear(pv, v->npeer);
	}
	m->quorum = v->mon->quorum;
	m->nfresh = v->nfresh;
	m->lost = v->nfresh < v->mon->quorum;
	m->p = p;
	m->n = v->npeer;
}
