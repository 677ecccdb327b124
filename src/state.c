/*
 * state.c: the state file.  Written by hand as YAML (every string
 * double-quoted and escaped), read back with yamldoc and yamlwalk so
 * that a damaged file gets FILE:LINE:COL like sitelist.yaml.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "state.h"
#include "util.h"
#include "yamldoc.h"
#include "yamlwalk.h"

/* ---- writing ---- */

/*
 * A double-quoted YAML string that always reads back: quotes and
 * backslashes escaped, control characters (C0, DEL, C1) as escapes, and
 * bytes that are not valid UTF-8 (Latin-1 text, a cut character) as '?'.
 */
static void
put_str(FILE *fp, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n;

	fputc('"', fp);
	while (*s != '\0') {
		/* plain printable ASCII, the usual case, in one write */
		for (n = 0; s[n] >= 0x20 && s[n] < 0x7f && s[n] != '"' &&
		    s[n] != '\\'; n++)
			;
		if (n > 0) {
			fwrite(s, 1, n, fp);
			s += n;
			continue;
		}
		n = utf8_len(s, 4);	/* a NUL ends it: never read past */
		if (*s == '"' || *s == '\\')
			fprintf(fp, "\\%c", *s);
		else if (*s < 0x20 || *s == 0x7f)
			fprintf(fp, "\\x%02x", *s);
		else if (n == 0)
			n = 1, fputc('?', fp);
		else if (*s == 0xc2 && s[1] < 0xa0)
			fprintf(fp, "\\u%04x", s[1]);		/* C1 */
		else
			fwrite(s, 1, n, fp);
		s += n;		/* 1 for ASCII */
	}
	fputc('"', fp);
}

static void
put_addrs(FILE *fp, const struct addr *a, size_t n)
{
	size_t i;

	fputc('[', fp);
	for (i = 0; i < n; i++) {
		fputs(i ? ", " : "", fp);
		put_str(fp, a[i].text);
	}
	fputc(']', fp);
}

static void
put_side(FILE *fp, const char *key, const struct addr_state *a, size_t n)
{
	size_t i;

	fprintf(fp, "    %s:%s\n", key, n ? "" : " []");
	for (i = 0; i < n; i++) {
		fprintf(fp, "      - {address: ");
		put_str(fp, a[i].addr.text);
		fprintf(fp, ", health: %s, ok: %u, fail: %u, reason: %d, "
		    "error: ", health_str(a[i].health), a[i].ok_run,
		    a[i].fail_run, (int)a[i].last_reason);
		put_str(fp, a[i].last_error);
		if (a[i].probed)
			fprintf(fp, ", ms: %u", a[i].last_ms);
		if (a[i].cert_expires > 0)
			fprintf(fp, ", cert: %lld",
			    (long long)a[i].cert_expires);
		fprintf(fp, "}\n");
	}
}

/* Rules 20, 21 (version 4): written only when set, as most sites are
 * on primary and never switched. */
static void
put_failback(FILE *fp, const struct site_state *st)
{
	size_t i;

	if (st->up_since != 0)
		fprintf(fp, "    up_since: %lld\n", (long long)st->up_since);
	if (st->failback_since != 0)
		fprintf(fp, "    failback_since: %lld\n",
		    (long long)st->failback_since);
	if (st->side_by_hand)
		fputs("    side_by_hand: true\n", fp);
	if (st->nswitched == 0)
		return;
	fputs("    switched: [", fp);
	for (i = 0; i < st->nswitched; i++)
		fprintf(fp, "%s%lld", i ? ", " : "",
		    (long long)st->switched[i]);
	fputs("]\n", fp);
}

static void
put_site(FILE *fp, const struct state_site *s)
{
	const struct site_state *st = &s->st;

	fprintf(fp, "  ");
	put_str(fp, s->name);
	fprintf(fp, ":\n    side: %s\n    published: ", side_str(st->side));
	if (st->published_known)
		put_addrs(fp, st->published, st->npublished);
	else
		fputs("null", fp);
	fprintf(fp, "\n    last_change: %lld\n    last_reason: ",
	    (long long)st->last_change);
	put_str(fp, st->last_reason);
	fprintf(fp, "\n    drift: %s\n", st->drift ? "true" : "false");
	if (st->drift && s->drift_served[0] != '\0') {
		fputs("    drift_served: ", fp);
		put_str(fp, s->drift_served);
		fputc('\n', fp);
	}
	if (s->hold_unsent)
		fputs("    hold_unsent: true\n", fp);
	put_failback(fp, st);
	fputs("    hold: ", fp);
	if (st->hold.active) {
		fprintf(fp, "{side: %s, until: %lld, who: ",
		    side_str(st->hold.side), (long long)st->hold.until);
		put_str(fp, st->hold.who);
		fputs(", reason: ", fp);
		put_str(fp, st->hold.reason);
		fputs("}", fp);
	} else
		fputs("null", fp);
	fputs("\n    pending: ", fp);
	if (s->pending) {
		fputs("{want: ", fp);
		put_addrs(fp, s->want, s->nwant);
		fprintf(fp, ", since: %lld, error: ", (long long)s->pending_since);
		put_str(fp, s->pending_error);
		fputs("}", fp);
	} else
		fputs("null", fp);
	fprintf(fp, "\n    counters: {switches: %llu, failbacks: %llu, "
	    "flips: %llu, releases: %llu, updates_applied: %llu, "
	    "updates_failed: %llu, probes: %llu, probes_failed: %llu}\n",
	    (unsigned long long)s->n.switches,
	    (unsigned long long)s->n.failbacks,
	    (unsigned long long)s->n.flips,
	    (unsigned long long)s->n.releases,
	    (unsigned long long)s->n.updates_applied,
	    (unsigned long long)s->n.updates_failed,
	    (unsigned long long)s->n.probes,
	    (unsigned long long)s->n.probes_failed);
	fprintf(fp, "    alerts: {both_down: %lld, update_failed: %lld, "
	    "cert_expiring: %lld, failback_ready: %lld}\n",
	    (long long)s->alert_both_down,
	    (long long)s->alert_update_failed,
	    (long long)s->alert_cert_expiring,
	    (long long)s->alert_failback_ready);
	put_side(fp, "primary", st->primary, st->nprimary);
	put_side(fp, "failover", st->failover, st->nfailover);
}

static void
fill(FILE *fp, const void *arg)
{
	const struct state *st = arg;
	size_t i;

	fprintf(fp, "# dnsfailover state: written by dnsfailover after every "
	    "round; see dnsfailover(8)\nversion: %d\n"
	    "alerts: {monitor_isolated: %lld, quorum_lost: %lld}\n"
	    "probing: {blind_since: %lld, blind_rounds: %llu, cause: ",
	    STATE_VERSION, (long long)st->alert_isolated,
	    (long long)st->quorum_lost, (long long)st->blind_since, (unsigned long long)st->blind_rounds);
	put_str(fp, st->blind_cause);
	fprintf(fp, "}\nsites:%s\n", st->nsites ? "" : " {}");
	for (i = 0; i < st->nsites; i++)
		put_site(fp, &st->sites[i]);
}

/*
 * Durable, and given to the state directory's owner when root runs flip
 * or release next to a daemon that runs as its own user: else the daemon
 * could no longer read the state.
 */
int
state_save(const char *path, const struct state *st)
{
	return file_replace(path, 0600, FILE_DURABLE | FILE_DIR_OWNER, fill,
	    st);
}

/* ---- reading ---- */

struct loader {
	struct yamlwalk		 w;	/* first: handlers get &l->w */
	struct state		*st;
	struct state_site	*cur;
};

static struct loader *
loader_of(struct yamlwalk *w)
{
	return (struct loader *)(void *)w;
}

/* A list of addresses into *a (allocated; replaces what was there). */
static size_t
get_addrs(struct yamlwalk *w, const char *key, yaml_node_t *n,
    struct addr **ap)
{
	char err[PARSE_ERRLEN];
	yaml_node_t **it = NULL;
	size_t cnt = yw_items(w, key, n, &it), i, k = 0;
	const char *s;
	struct addr *a = xcalloc(cnt + 1, sizeof(*a));

	free(*ap);
	*ap = a;
	for (i = 0; i < cnt; i++)
		if ((s = yw_scalar(w, key, it[i])) != NULL) {
			if (addr_parse(s, &a[k], err, sizeof(err)) == 0)
				k++;
			else
				yw_error(w, it[i], "%s: %s", key, err);
		}
	free(it);
	return k;
}

/* As health_str() and side_str() write them. */
static const char *const healths[] = { "unknown", "up", "down" };
static const char *const sides[] = { "primary", "failover" };

static void
a_address(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	char err[PARSE_ERRLEN];
	const char *s = yw_scalar(w, key, n);

	if (s != NULL && addr_parse(s, &((struct addr_state *)obj)->addr, err,
	    sizeof(err)) == -1)
		yw_error(w, n, "%s: %s", key, err);
}

static void
a_reason(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	unsigned v;

	if (yw_uint(w, key, n, 0, PROBE_REASON_MAX, &v))
		((struct addr_state *)obj)->last_reason = (enum probe_reason)v;
}

#define AS	struct addr_state
static const struct yw_field addr_fields[] = {
	YW_KEY("address", a_address), YW_ENUM_OF("health", AS, health, healths),
	YW_VAL("ok", YW_UINT, AS, ok_run, 0, UINT_MAX),
	YW_VAL("fail", YW_UINT, AS, fail_run, 0, UINT_MAX),
	YW_KEY("reason", a_reason),
	YW_VAL("error", YW_TEXT, AS, last_error, 0, HEALTH_TEXT),
	YW_VAL_SEEN("ms", YW_UINT, AS, last_ms, 0, UINT_MAX, probed),
	YW_VAL("cert", YW_TIME, AS, cert_expires, 0, LLONG_MAX),
};
#undef AS

#define SS	struct state_site
static const struct yw_field counter_fields[] = {
#define SC	struct site_counters
	YW_VAL("switches", YW_U64, SC, switches, 0, ULLONG_MAX),
	YW_VAL("failbacks", YW_U64, SC, failbacks, 0, ULLONG_MAX),
	YW_VAL("flips", YW_U64, SC, flips, 0, ULLONG_MAX),
	YW_VAL("releases", YW_U64, SC, releases, 0, ULLONG_MAX),
	YW_VAL("updates_applied", YW_U64, SC, updates_applied, 0, ULLONG_MAX),
	YW_VAL("updates_failed", YW_U64, SC, updates_failed, 0, ULLONG_MAX),
	YW_VAL("probes", YW_U64, SC, probes, 0, ULLONG_MAX),
	YW_VAL("probes_failed", YW_U64, SC, probes_failed, 0, ULLONG_MAX),
#undef SC
};

static const struct yw_field alert_fields[] = {
	YW_VAL("both_down", YW_TIME, SS, alert_both_down, 0, LLONG_MAX),
	YW_VAL("update_failed", YW_TIME, SS, alert_update_failed, 0,
	    LLONG_MAX),
	YW_VAL("cert_expiring", YW_TIME, SS, alert_cert_expiring, 0,
	    LLONG_MAX),
	YW_VAL("failback_ready", YW_TIME, SS, alert_failback_ready, 0,
	    LLONG_MAX),
};

static void
get_side_addrs(struct yamlwalk *w, const char *key, yaml_node_t *n,
    struct addr_state **ap, size_t *na)
{
	yaml_node_t **it = NULL;
	size_t cnt = yw_is_null(n) ? 0 : yw_items(w, key, n, &it), i, errs;
	struct addr_state *a = xcalloc(cnt + 1, sizeof(*a));

	free(*ap);
	*ap = a;
	for (i = 0, *na = 0; i < cnt; i++) {
		errs = w->diags->nerrors;
		yw_map(w, key, it[i], addr_fields, NELEM(addr_fields),
		    &a[*na]);
		/* an entry is about an address: without one it is damage,
		 * which would otherwise be saved as an address "" */
		if (a[*na].addr.text[0] == '\0' && w->diags->nerrors == errs)
			yw_error(w, it[i], "%s: an entry without an address",
			    key);
		(*na)++;
	}
	free(it);
}

static const struct yw_field hold_fields[] = {
	YW_ENUM_OF("side", struct hold, side, sides),
	YW_VAL("until", YW_TIME, struct hold, until, 0, LLONG_MAX),
	YW_VAL("who", YW_TEXT, struct hold, who, 0,
	    sizeof(((struct hold *)0)->who)),
	YW_VAL("reason", YW_TEXT, struct hold, reason, 0, HOLD_REASON_MAX + 1),
};

static void
p_want(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct state_site *s = obj;

	s->nwant = get_addrs(w, key, n, &s->want);
}

static const struct yw_field pending_fields[] = {
	YW_KEY("want", p_want),
	YW_VAL("since", YW_TIME, SS, pending_since, 0, LLONG_MAX),
	YW_VAL("error", YW_TEXT, SS, pending_error, 0,
	    sizeof(((SS *)0)->pending_error)),
};

static void
s_published(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct state_site *s = obj;

	if (yw_is_null(n))
		return;
	s->st.published_known = true;
	s->st.npublished = get_addrs(w, key, n, &s->st.published);
}

static void
s_hold(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct state_site *s = obj;

	if (yw_is_null(n))
		return;
	s->st.hold.active = true;
	yw_map(w, key, n, hold_fields, NELEM(hold_fields), &s->st.hold);
}

static void
s_pending(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct state_site *s = obj;

	if (yw_is_null(n))
		return;
	s->pending = true;
	yw_map(w, key, n, pending_fields, NELEM(pending_fields), s);
}

static void
s_primary(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct state_site *s = obj;

	get_side_addrs(w, key, n, &s->st.primary, &s->st.nprimary);
}

static void
s_failover(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct state_site *s = obj;

	get_side_addrs(w, key, n, &s->st.failover, &s->st.nfailover);
}

/* Rule 21: the times of the recent automatic switches. */
static void
s_switched(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct site_state *st = &((struct state_site *)obj)->st;
	char err[PARSE_ERRLEN];
	yaml_node_t **it = NULL;
	size_t cnt = yw_items(w, key, n, &it), i;
	unsigned long long t;
	const char *v;

	free(st->switched);
	st->switched = xcalloc(cnt + 1, sizeof(*st->switched));
	st->nswitched = 0;
	if (cnt > FLAP_MAX_SWITCHES)
		yw_error(w, n, "%s: more than %d switches", key,
		    FLAP_MAX_SWITCHES);
	for (i = 0; i < cnt && cnt <= FLAP_MAX_SWITCHES; i++) {
		if ((v = yw_scalar(w, key, it[i])) == NULL)
			continue;
		if (parse_uint(v, 0, LLONG_MAX, &t, err, sizeof(err)) == -1)
			yw_error(w, it[i], "%s: %s", key, err);
		else
			st->switched[st->nswitched++] = (time_t)t;
	}
	free(it);
}

static const struct yw_field site_fields[] = {
	YW_MAP_OF("counters", SS, n, counter_fields),
	YW_MAP_SELF("alerts", alert_fields),
	YW_ENUM_OF("side", SS, st.side, sides),
	YW_KEY("published", s_published),
	YW_VAL("last_change", YW_TIME, SS, st.last_change, 0, LLONG_MAX),
	YW_VAL("last_reason", YW_TEXT, SS, st.last_reason, 0,
	    sizeof(((SS *)0)->st.last_reason)),
	YW_VAL("drift", YW_BOOL, SS, st.drift, 0, 1),
	YW_VAL("drift_served", YW_TEXT, SS, drift_served, 0,
	    sizeof(((SS *)0)->drift_served)),
	YW_VAL("hold_unsent", YW_BOOL, SS, hold_unsent, 0, 1),
	YW_VAL("up_since", YW_TIME, SS, st.up_since, 0, LLONG_MAX),
	YW_VAL("failback_since", YW_TIME, SS, st.failback_since, 0, LLONG_MAX),
	YW_VAL("side_by_hand", YW_BOOL, SS, st.side_by_hand, 0, 1),
	YW_KEY("switched", s_switched),
	YW_KEY("hold", s_hold), YW_KEY("pending", s_pending),
	YW_KEY("primary", s_primary), YW_KEY("failover", s_failover),
};
#undef SS

static void
t_version(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	unsigned v;

	(void)obj;
	/* another version's file is not damaged: about the whole file, so
	 * that it is never moved aside (state_load_or_move) */
	if (yw_uint(w, key, n, 1, 1000, &v) && (v < STATE_VERSION_OLDEST ||
	    v > STATE_VERSION))
		diag_error(w->diags, w->path, 0, 0, "state file version %u "
		    "(line %zu); this dnsfailover reads versions %d to %d", v,
		    (size_t)n->start_mark.line + 1, STATE_VERSION_OLDEST,
		    STATE_VERSION);
}

static void
t_sites(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct loader *l = loader_of(w);
	yaml_node_pair_t *p;
	yaml_node_t *k;

	(void)obj;
	if (n->type != YAML_MAPPING_NODE) {
		yw_error(w, n, "%s: expected a mapping of site names", key);
		return;
	}
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	    p++) {
		k = yw_node(w, p->key);
		if (k->type != YAML_SCALAR_NODE) {
			yw_error(w, k, "a site name must be a string");
			continue;
		}
		l->cur = state_add(l->st, yw_str(k));
		yw_map(w, "site", yw_node(w, p->value), site_fields,
		    NELEM(site_fields), l->cur);
	}
}

static const struct yw_field top_alert_fields[] = {
	YW_VAL("monitor_isolated", YW_TIME, struct state, alert_isolated, 0,
	    LLONG_MAX),
	YW_VAL("quorum_lost", YW_TIME, struct state, quorum_lost, 0,
	    LLONG_MAX),
};

static const struct yw_field top_probing_fields[] = {
	YW_VAL("blind_since", YW_TIME, struct state, blind_since, 0,
	    LLONG_MAX),
	YW_VAL("blind_rounds", YW_U64, struct state, blind_rounds, 0,
	    ULLONG_MAX),
	YW_VAL("cause", YW_TEXT, struct state, blind_cause, 0,
	    sizeof(((struct state *)0)->blind_cause)),
};

static const struct yw_field top_fields[] = {
	YW_KEY("version", t_version), YW_KEY("sites", t_sites),
	YW_MAP_SELF("alerts", top_alert_fields),
	YW_MAP_SELF("probing", top_probing_fields),
};

int
state_load(const char *path, struct state *st, struct diags *d)
{
	struct loader l;
	yaml_document_t doc;
	yaml_node_t *root;
	size_t before = d->nerrors;

	memset(st, 0, sizeof(*st));
	if (access(path, F_OK) == -1 && errno == ENOENT)
		return 0;		/* a fresh start */
	/* no size cap: ours, 100,000 sites are over 64 MiB */
	if (yamldoc_load(path, YAMLDOC_NO_SIZE_CAP, &doc, d) == -1)
		return -1;
	memset(&l, 0, sizeof(l));
	l.w.path = path;
	l.w.doc = &doc;
	l.w.diags = d;
	l.w.arena = arena_new();
	l.st = st;
	if ((root = yaml_document_get_root_node(&doc)) == NULL)
		diag_error(d, path, 1, 1, "the state file is empty");
	else
		yw_map(&l.w, "state", root, top_fields, NELEM(top_fields),
		    st);
	arena_free(l.w.arena);
	yaml_document_delete(&doc);
	if (d->nerrors > before) {
		state_clear(st);
		return -1;
	}
	return 0;
}

int
state_move_aside(const char *path, time_t now, char *moved, size_t size)
{
	char stamp[32], *to = NULL;
	struct stat sb;
	struct tm tm;
	int i, saved;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	for (i = 0; i < 1000; i++) {
		free(to);
		to = i == 0 ? xasprintf("%s.broken.%s", path, stamp) :
		    xasprintf("%s.broken.%s.%d", path, stamp, i);
		if (lstat(to, &sb) == -1 && errno == ENOENT)
			break;
	}
	if (i == 1000) {
		free(to);
		errno = EEXIST;
		return -1;
	}
	if (rename(path, to) == -1) {
		saved = errno;
		free(to);
		errno = saved;
		return -1;
	}
	str_copy(moved, to, size);
	free(to);
	return 0;
}

int
state_load_or_move(const char *path, struct state *st, struct diags *d,
    time_t now, char *moved, size_t size)
{
	size_t i, before = d->n;

	if (state_load(path, st, d) == 0)
		return 0;
	/* about the whole file: it could not be read (descriptors, rights,
	 * I/O), which says nothing about what it holds */
	for (i = before; i < d->n; i++)
		if (d->v[i].line == 0)
			return -1;
	if (moved == NULL)
		return 1;
	if (state_move_aside(path, now, moved, size) == -1)
		return -2;
	return 1;
}

/* ---- sites, lock ---- */

void
state_site_clear(struct state_site *s)
{
	health_clear(&s->st);
	free(s->want);
	s->want = NULL;
	s->nwant = 0;
}

void
state_clear(struct state *st)
{
	size_t i;

	for (i = 0; i < st->nsites; i++)
		state_site_clear(&st->sites[i]);
	free(st->sites);
	free(st->slot);
	memset(st, 0, sizeof(*st));
}

static size_t
name_hash(const char *name)
{
	return (size_t)str_hash(name);
}

static void
index_put(struct state *st, size_t i)
{
	size_t k = name_hash(st->sites[i].name) & (st->nslot - 1);

	while (st->slot[k] != 0)
		k = (k + 1) & (st->nslot - 1);
	st->slot[k] = i + 1;
}

void
state_reindex(struct state *st)
{
	size_t i, n = 16;

	while (n < 2 * st->nsites + 2)
		n *= 2;
	free(st->slot);
	st->slot = xcalloc(n, sizeof(*st->slot));
	st->nslot = n;
	for (i = 0; i < st->nsites; i++)
		index_put(st, i);
}

struct state_site *
state_find(struct state *st, const char *name)
{
	size_t k, i;

	if (st->nsites == 0)
		return NULL;
	if (st->slot == NULL)
		state_reindex(st);
	for (k = name_hash(name) & (st->nslot - 1); st->slot[k] != 0;
	    k = (k + 1) & (st->nslot - 1)) {
		i = st->slot[k] - 1;
		if (strcmp(st->sites[i].name, name) == 0)
			return &st->sites[i];
	}
	return NULL;
}

struct state_site *
state_add(struct state *st, const char *name)
{
	struct state_site *s;

	if (st->nsites == st->cap) {
		st->cap = st->cap ? 2 * st->cap : 16;
		st->sites = xreallocarray(st->sites, st->cap,
		    sizeof(*st->sites));
	}
	s = &st->sites[st->nsites++];
	memset(s, 0, sizeof(*s));
	str_copy_whole(s->name, name, sizeof(s->name));
	if (st->slot != NULL && 2 * st->nsites + 2 > st->nslot)
		state_reindex(st);
	else if (st->slot != NULL)
		index_put(st, st->nsites - 1);
	return s;
}

void
state_prune(struct state *st, const struct config *cfg)
{
	size_t i, k = 0;

	for (i = 0; i < st->nsites; i++)
		if (config_site_find(cfg, st->sites[i].name) != NULL)
			st->sites[k++] = st->sites[i];
		else
			state_site_clear(&st->sites[i]);
	st->nsites = k;
	if (st->slot != NULL)
		state_reindex(st);
}

int
state_lock(const char *path, unsigned wait_ms)
{
	char *lp = xasprintf("%s.lock", path);
	unsigned waited = 0;
	size_t n;
	int fd, saved;

	fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd != -1)
		file_give_to_dir_owner(fd, lp);	/* as the state */
	free(lp);
	if (fd == -1)
		return -1;
	while (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK || waited >= wait_ms) {
			saved = errno;
			close(fd);
			errno = saved;
			return -1;
		}
		usleep(50000);
		waited += 50;
	}
	/* every writer holds the lock: what is left is a killed one's */
	if ((n = file_remove_temps(path)) > 0)
		log_info("removed %zu temporary file%s that a killed "
		    "dnsfailover left beside %s", n, n == 1 ? "" : "s",
		    path);
	return fd;
}

void
state_unlock(int fd)
{
	if (fd != -1)
		close(fd);		/* releases the lock */
}

/* ---- another writer's changes ---- */

void
state_stamp_take(const char *path, struct state_stamp *t)
{
	struct stat sb;

	memset(t, 0, sizeof(*t));
	if (stat(path, &sb) == -1)
		return;
	t->known = true;
	t->dev = sb.st_dev;
	t->ino = sb.st_ino;
	t->mtim = sb.st_mtim;
}

bool
state_stamp_changed(const char *path, const struct state_stamp *t)
{
	struct stat sb;

	if (stat(path, &sb) == -1)
		return false;		/* none yet: nothing to take in */
	return !t->known || sb.st_ino != t->ino || sb.st_dev != t->dev ||
	    sb.st_mtim.tv_sec != t->mtim.tv_sec ||
	    sb.st_mtim.tv_nsec != t->mtim.tv_nsec;
}

bool
state_site_take_foreign(struct state_site *x, struct state_site *y)
{
	struct hold before = x->st.hold;
	bool changed = health_take_foreign(&x->st, &y->st);
	const struct hold *h = &x->st.hold;

	x->pending = y->pending;
	free(x->want);
	x->want = y->want;
	x->nwant = y->nwant;
	y->want = NULL;		/* no longer theirs */
	y->nwant = 0;
	memcpy(x->pending_error, y->pending_error, sizeof(x->pending_error));
	memcpy(x->drift_served, y->drift_served, sizeof(x->drift_served));
	x->pending_since = y->pending_since;
	/* flip and release count theirs; the daemon never does */
	x->n.flips = x->n.flips > y->n.flips ? x->n.flips : y->n.flips;
	x->n.releases = x->n.releases > y->n.releases ? x->n.releases :
	    y->n.releases;
	/* theirs sent or not; ours unsent is sent again (the same hold
	 * written twice is harmless, a lost one is not) */
	x->hold_unsent = x->hold_unsent || y->hold_unsent;
	if (before.active != h->active || before.side != h->side ||
	    before.until != h->until || strcmp(before.who, h->who) != 0 ||
	    strcmp(before.reason, h->reason) != 0)
		x->hold_set_ms = real_ms();
	return changed;
}

size_t
state_take_foreign(struct state *ours, struct state *theirs,
    state_changed_fn *changed, void *arg)
{
	struct state_site *x;
	size_t i, n = 0;

	for (i = 0; i < theirs->nsites; i++) {
		if ((x = state_find(ours, theirs->sites[i].name)) == NULL)
			continue;
		if (!state_site_take_foreign(x, &theirs->sites[i]))
			continue;
		n++;
		if (changed != NULL)
			changed(x, arg);
	}
	return n;
}
