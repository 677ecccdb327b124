/*
 * config.c: sitelist.yaml -> struct config.
 *
 * The document is walked with one table of keys per mapping (top level,
 * defaults, site, notify; dns: is config_dns.c's, check: config_check.c's).
 * A key is a row: a value of a type with its bounds, or a handler for
 * what needs code.  Values that checks across keys depend on keep the node that set
 * them, so those checks can point at the right place.  Every problem is
 * reported to the diags list and the walk goes on; the config is returned
 * only if there was none.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#include "config.h"
#include "config_load.h"
#include "util.h"
#include "yamldoc.h"
#include "yamlwalk.h"

/* flap: (rule 21); switches 0: off. */
struct flap {
	unsigned		 switches;
	uint64_t		 within_ms;
};

/* Options a site inherits from "defaults" and may override. */
struct opts {
	unsigned		 ttl, fall, rise;
	uint64_t		 interval_ms;
	struct check_layer	 check;		/* config_check.c's */
	const struct addr	*primary, *failover;
	size_t			 nprimary, nfailover;
	bool			 primary_given, failover_given;	/* if invalid */
	int			 failback;	/* failbacks[] */
	uint64_t		 failback_delay_ms;
	struct flap		 flap;

	/* value nodes set at this level (NULL: inherited) */
	yaml_node_t		*n_interval, *n_primary, *n_failover, *n_check;
	yaml_node_t		*n_failback, *n_failback_delay, *n_flap;
};

struct site_layer {
	struct opts		 o;	/* first: handlers of opts take it */
	const char		*name, *zone;
	const char		**records;
	yaml_node_t		**record_nodes;
	size_t			 nrecords;
	yaml_node_t		*n_name, *n_dns;
};

struct owner {
	const char	*name;		/* site name or record */
	size_t		 site;		/* index into sites */
	size_t		 line, col;	/* where it is written */
};

struct loader {
	struct yamlwalk		 w;	/* first: handlers get &l->w */
	struct config		*cfg;
	struct dns_layer	 dns;
	struct opts		 defaults;
	yaml_node_t		*n_dns, *n_defaults, *n_sites, *n_monitor;
	struct keyfiles		 kfs;
	struct owner		*names, *recs;	/* for sites_unique() */
	size_t			 nnames, nrecs, caprecs;
};

/* The loader a field handler was called for. */
static struct loader *
loader_of(struct yamlwalk *w)
{
	return (struct loader *)(void *)w;
}

/* Remembers where a site name or record is written. */
static void
owner_set(struct owner *o, const char *name, size_t site,
    const yaml_node_t *n)
{
	o->name = name;
	o->site = site;
	o->line = n->start_mark.line + 1;
	o->col = n->start_mark.column + 1;
}

/* ---- options shared by defaults: and sites ---- */

/* Parses one address or a list of them; NULL after reporting errors. */
static struct addr *
addr_list(struct loader *l, const char *key, yaml_node_t *n, size_t *count)
{
	char err[PARSE_ERRLEN];
	yaml_node_t **it = NULL;
	struct addr *a;
	size_t cnt, i, j, bad = 0;
	const char *s;

	if ((cnt = yw_items(&l->w, key, n, &it)) == 0) {
		if (n->type == YAML_SEQUENCE_NODE)
			yw_error(&l->w, n, "%s: the list is empty; give at "
			    "least one address", key);
		free(it);
		return NULL;
	}
	if (cnt > SITE_MAX_ADDRS) {
		yw_error(&l->w, n, "%s: more than %d addresses", key,
		    SITE_MAX_ADDRS);
		free(it);
		return NULL;
	}
	a = arena_alloc(l->w.arena, cnt * sizeof(*a));
	for (i = 0; i < cnt; i++) {
		if ((s = yw_scalar(&l->w, key, it[i])) == NULL) {
			bad++;
			continue;
		}
		if (addr_parse(s, &a[i], err, sizeof(err)) == -1) {
			yw_error(&l->w, it[i], "%s: %s", key, err);
			bad++;
			continue;
		}
		for (j = 0; j < i; j++)
			if (addr_equal(&a[i], &a[j]))
				break;
		if (j < i) {
			yw_error(&l->w, it[i], "%s: %s is listed twice", key,
			    a[i].text);
			bad++;
		}
	}
	free(it);
	*count = cnt;
	return bad ? NULL : a;
}

static void
f_primary(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct loader *l = loader_of(w);
	struct opts *o = obj;
	struct addr *a;
	size_t cnt;

	/* an invalid list is reported once, not again as a missing one */
	a = addr_list(l, key, n, &cnt);
	o->primary = a;
	o->nprimary = a != NULL ? cnt : 0;
	o->n_primary = n;
	o->primary_given = true;
}

static void
f_failover(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct loader *l = loader_of(w);
	struct opts *o = obj;
	struct addr *a;
	size_t cnt;

	/* an invalid list is reported once, not again as a missing one */
	a = addr_list(l, key, n, &cnt);
	o->failover = a;
	o->nfailover = a != NULL ? cnt : 0;
	o->n_failover = n;
	o->failover_given = true;
}

/* Rules 20 and 21: failback: and flap: */
static const char *const failbacks[] = { "auto", "manual" };
#define FAILBACK_MANUAL	1
#define FAILBACK_DELAY_MAX	(7 * 86400000ULL)
#define FLAP_WITHIN_MAX		(7 * 86400000ULL)

static const struct yw_field flap_fields[] = {
	YW_VAL("switches", YW_UINT, struct flap, switches, 1,
	    FLAP_MAX_SWITCHES),
	YW_VAL("within", YW_MS, struct flap, within_ms, 1000, FLAP_WITHIN_MAX),
};

/*
 * flap: {switches, within}, the keys not written inherited; null turns
 * it off at this level.  Written without switches (and none inherited)
 * it would never hold: an error.
 */
static void
f_flap(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct opts *o = obj;
	struct flap f = o->flap;
	size_t errs = w->diags->nerrors;

	o->n_flap = n;
	if (yw_is_null(n)) {
		o->flap.switches = 0;
		return;
	}
	yw_map(w, key, n, flap_fields, NELEM(flap_fields), &f);
	if (w->diags->nerrors > errs)
		return;
	if (f.switches == 0)
		yw_error(w, n, "%s: \"switches\" is required (how many automatic "
		    "switches within \"within\" hold the site; null: no flap "
		    "hold)", key);
	o->flap = f;
}

static const struct yw_field defaults_fields[] = {
	YW_VAL("ttl", YW_UINT, struct opts, ttl, 1, 86400),
	YW_VAL_NODE("interval", YW_MS, struct opts, interval_ms, 1000,
	    86400000, n_interval),
	YW_VAL("fall", YW_UINT, struct opts, fall, 1, 100),
	YW_VAL("rise", YW_UINT, struct opts, rise, 1, 100),
	YW_MAP_NODE("check", struct opts, check, config_check_fields, n_check),
	YW_KEY("primary", f_primary),
	YW_KEY("failover", f_failover),
	YW_ENUM_NODE("failback", struct opts, failback, failbacks, n_failback),
	YW_VAL_NODE("failback_delay", YW_MS, struct opts, failback_delay_ms, 0,
	    FAILBACK_DELAY_MAX, n_failback_delay),
	YW_KEY("flap", f_flap),
};

/*
 * Rules 20 and 21: a delay that a manual failback never waits for, and
 * a flap hold that can never come (at most one switch a round, so
 * switches take at least switches intervals), are said where written.
 */
static void
failback_check(struct loader *l, const struct opts *o)
{
	char t[32], iv[32];
	yaml_node_t *at;

	if (o->n_failback_delay != NULL && o->failback == FAILBACK_MANUAL &&
	    o->failback_delay_ms > 0)
		yw_warning(&l->w, o->n_failback_delay, "failback_delay has no "
		    "effect with failback: manual (the site waits for release)");
	at = o->n_flap ? o->n_flap : o->n_interval;
	if (at == NULL || o->flap.switches == 0 ||
	    o->flap.within_ms > o->flap.switches * o->interval_ms)
		return;
	format_duration(o->flap.within_ms, t, sizeof(t));
	format_duration(o->interval_ms, iv, sizeof(iv));
	yw_warning(&l->w, at, "flap: %u switches within %s cannot happen with "
	    "interval %s (at most one switch a round); the site is never held "
	    "for flapping", o->flap.switches, t, iv);
}

/*
 * Checks between keys of one level.  A problem is reported at a node set
 * at this level; when every key involved was inherited it was reported
 * where it was set, so a site is not blamed for its defaults.
 */
static void
opts_check(struct loader *l, const struct opts *o)
{
	uint64_t timeout_ms = o->check.spec.timeout_ms;
	char t[32], iv[32];
	yaml_node_t *at;
	size_t i, j;

	at = o->check.n_timeout ? o->check.n_timeout : o->n_interval;
	if (at != NULL && timeout_ms >= o->interval_ms) {
		format_duration(timeout_ms, t, sizeof(t));
		format_duration(o->interval_ms, iv, sizeof(iv));
		yw_error(&l->w, at, "check timeout %s must be less than interval %s",
		    t, iv);
	}
	config_check_conflicts(&l->w, &o->check);
	at = o->n_failover ? o->n_failover : o->n_primary;
	for (i = 0; at != NULL && i < o->nprimary; i++)
		for (j = 0; j < o->nfailover; j++)
			if (addr_equal(&o->primary[i], &o->failover[j]))
				yw_error(&l->w, at, "%s is both a primary and a "
				    "failover address", o->primary[i].text);
	failback_check(l, o);
}

static void
opts_builtin(struct opts *o)
{
	memset(o, 0, sizeof(*o));
	o->ttl = 60;
	o->interval_ms = 10000;
	o->fall = 3;
	o->rise = 2;
	o->flap.within_ms = 3600000;	/* switches 0: off */
	config_check_builtin(&o->check);
}

/* Copies inherited values; forgets where they were set. */
static void
opts_inherit(struct opts *dst, const struct opts *src)
{
	*dst = *src;
	dst->n_interval = dst->n_primary = dst->n_failover = NULL;
	dst->n_check = NULL;
	dst->n_failback = dst->n_failback_delay = dst->n_flap = NULL;
	config_check_inherit(&dst->check, &src->check);
}

/* ---- sites: ---- */

static void
f_name(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct site_layer *s = obj;

	s->n_name = n;
	s->name = yw_dname(w, key, n, 0);
}

static void
f_zone(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct site_layer *s = obj;

	if (!yw_is_null(n))
		s->zone = yw_dname(w, key, n, 0);
}

static void
f_records(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct site_layer *s = obj;
	yaml_node_t **it = NULL;
	const char **r;
	size_t cnt, i, nr = 0;

	if ((cnt = yw_items(w, key, n, &it)) == 0) {
		if (n->type == YAML_SEQUENCE_NODE)
			yw_error(w, n, "%s: the list is empty", key);
		free(it);
		return;
	}
	r = xcalloc(cnt, sizeof(*r));
	for (i = 0; i < cnt; i++)
		if ((r[nr] = yw_dname(w, key, it[i], DNAME_WILDCARD)) != NULL)
			it[nr++] = it[i];
	s->records = r;
	s->record_nodes = it;
	s->nrecords = nr;
}

static void
f_site_dns(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct site_layer *s = obj;

	(void)key;
	(void)w;
	s->n_dns = n;
}

static const struct yw_field site_fields[] = {
	YW_KEY("name", f_name),
	YW_KEY("zone", f_zone),
	YW_KEY("records", f_records),
	YW_KEY("primary", f_primary),
	YW_KEY("failover", f_failover),
	YW_VAL("ttl", YW_UINT, struct site_layer, o.ttl, 1, 86400),
	YW_VAL_NODE("interval", YW_MS, struct site_layer, o.interval_ms, 1000,
	    86400000, o.n_interval),
	YW_VAL("fall", YW_UINT, struct site_layer, o.fall, 1, 100),
	YW_VAL("rise", YW_UINT, struct site_layer, o.rise, 1, 100),
	YW_MAP_NODE("check", struct site_layer, o.check, config_check_fields,
	    o.n_check),
	YW_KEY("dns", f_site_dns),
	YW_ENUM_NODE("failback", struct site_layer, o.failback, failbacks,
	    o.n_failback),
	YW_VAL_NODE("failback_delay", YW_MS, struct site_layer,
	    o.failback_delay_ms, 0, FAILBACK_DELAY_MAX, o.n_failback_delay),
	YW_KEY("flap", f_flap),
};

/* Names the site must have and the records it manages. */
static void
site_records(struct loader *l, struct site_layer *s, struct site *out,
    size_t idx)
{
	const char **r;
	size_t i;

	if (s->nrecords == 0) {
		r = arena_alloc(l->w.arena, sizeof(*r));
		r[0] = s->name;
		out->nrecords = 1;
	} else {
		r = arena_alloc(l->w.arena, s->nrecords * sizeof(*r));
		memcpy(r, s->records, s->nrecords * sizeof(*r));
		out->nrecords = s->nrecords;
	}
	out->records = r;
	while (l->caprecs < l->nrecs + out->nrecords) {
		l->caprecs = l->caprecs ? l->caprecs * 2 : 64;
		l->recs = xreallocarray(l->recs, l->caprecs, sizeof(*l->recs));
	}
	for (i = 0; i < out->nrecords; i++)
		owner_set(&l->recs[l->nrecs++], r[i], idx,
		    s->nrecords ? s->record_nodes[i] : s->n_name);
	if (s->zone == NULL)
		return;
	for (i = 0; i < out->nrecords; i++)
		if (!dname_within(r[i], s->zone))
			yw_error(&l->w, s->nrecords ? s->record_nodes[i] : s->n_name,
			    "record \"%s\" is outside zone \"%s\"", r[i],
			    s->zone);
}

static void
site_load(struct loader *l, yaml_node_t *n, struct site *out, size_t idx)
{
	struct site_layer s;

	memset(&s, 0, sizeof(s));
	opts_inherit(&s.o, &l->defaults);
	yw_map(&l->w, "site", n, site_fields, NELEM(site_fields), &s);
	if (n->type == YAML_MAPPING_NODE) {
		config_check_fit(&l->w, &s.o.check, s.o.n_check);
		config_check_complete(&l->w, &s.o.check, s.o.n_check, n);
		opts_check(l, &s.o);
		if (s.n_name == NULL)
			yw_error(&l->w, n, "site: \"name\" is required");
		else if (s.name != NULL) {
			if (s.o.nprimary == 0 && !s.o.primary_given)
				yw_error(&l->w, s.n_name, "site \"%s\" has no primary "
				    "address (set primary here or in "
				    "defaults)", s.name);
			if (s.o.nfailover == 0 && !s.o.failover_given)
				yw_error(&l->w, s.n_name, "site \"%s\" has no failover "
				    "address (set failover here or in "
				    "defaults)", s.name);
			owner_set(&l->names[l->nnames++], s.name, idx,
			    s.n_name);
			site_records(l, &s, out, idx);
		}
	}
	out->name = s.name;
	out->zone = s.zone;
	out->primary = s.o.primary;
	out->nprimary = s.o.nprimary;
	out->failover = s.o.failover;
	out->nfailover = s.o.nfailover;
	out->ttl = s.o.ttl;
	out->fall = s.o.fall;
	out->rise = s.o.rise;
	out->interval_ms = s.o.interval_ms;
	out->failback_manual = s.o.failback == FAILBACK_MANUAL;
	out->failback_delay_ms = s.o.failback_delay_ms;
	out->flap_switches = s.o.flap.switches;
	out->flap_within_ms = s.o.flap.within_ms;
	out->check = config_check_spec(&s.o.check);
	out->dns = s.n_dns == NULL ? &l->cfg->dns :
	    config_dns_site(&l->w, &l->kfs, &l->dns, s.n_dns);
	out->line = n->start_mark.line + 1;
	free(s.records);
	free(s.record_nodes);
}

/* ---- names used twice ---- */

static int
owner_cmp(const void *pa, const void *pb)
{
	const struct owner *a = pa, *b = pb;
	int c = strcmp(a->name, b->name);

	if (c != 0)
		return c;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	return a->col < b->col ? -1 : a->col > b->col;
}

/*
 * Reports names that appear twice in v (sorted in place), at the later
 * place.  Marks the sites whose entry was a duplicate in dup (if given).
 */
static void
owners_dups(struct loader *l, struct owner *v, size_t n, const char *what,
    const struct site *sites, bool *dup)
{
	size_t i;

	if (n < 2)
		return;
	qsort(v, n, sizeof(*v), owner_cmp);
	for (i = 1; i < n; i++) {
		if (strcmp(v[i].name, v[i - 1].name) != 0)
			continue;
		if (dup != NULL) {
			dup[v[i].site] = true;
			diag_error(l->w.diags, l->w.path, v[i].line, v[i].col,
			    "duplicate %s \"%s\" (first at line %zu)", what,
			    v[i].name, v[i - 1].line);
		} else if (v[i].site != v[i - 1].site)
			diag_error(l->w.diags, l->w.path, v[i].line, v[i].col,
			    "%s \"%s\" is already managed by site \"%s\" "
			    "(line %zu)", what, v[i].name,
			    sites[v[i - 1].site].name, v[i - 1].line);
		else
			diag_error(l->w.diags, l->w.path, v[i].line, v[i].col,
			    "%s \"%s\" is listed twice", what, v[i].name);
	}
}

/* Site names are unique, and each record belongs to one site. */
static void
sites_unique(struct loader *l, const struct site *sites, size_t nsites)
{
	bool *dup = xcalloc(nsites ? nsites : 1, sizeof(bool));
	size_t i, n = 0;

	owners_dups(l, l->names, l->nnames, "site name", sites, dup);
	for (i = 0; i < l->nrecs; i++)
		if (!dup[l->recs[i].site])
			l->recs[n++] = l->recs[i];
	owners_dups(l, l->recs, n, "record", sites, NULL);
	free(dup);
}

/*
 * The sites in name order, for config_site_find(): sites_unique() left
 * the names sorted.  Complete only when the load has no error (every
 * site has a name, each its own), the only case the config is returned.
 */
static void
sites_index(struct loader *l)
{
	size_t *v = arena_alloc(l->w.arena, (l->nnames ? l->nnames : 1) *
	    sizeof(*v));
	size_t i;

	for (i = 0; i < l->nnames; i++)
		v[i] = l->names[i].site;
	l->cfg->byname = v;
}

/* ---- top level ---- */

static void
f_stash(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct loader *l = loader_of(w);
	(void)obj;
	if (strcmp(key, "dns") == 0)
		l->n_dns = n;
	else if (strcmp(key, "defaults") == 0)
		l->n_defaults = n;
	else if (strcmp(key, "monitor") == 0)
		l->n_monitor = n;
	else
		l->n_sites = n;
}

static void
f_state_file(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct config *cfg = obj;

	cfg->state_file = yw_path(w, key, n);
}

static void
f_metrics_file(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct config *cfg = obj;

	cfg->metrics_file = yw_path(w, key, n);
}

static void
f_exec(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct config *cfg = obj;
	const char *s = yw_text(w, key, n);

	if (s == NULL)
		return;
	if (s[0] != '/') {
		yw_error(w, n, "%s: \"%s\" must be an absolute path (it runs "
		    "without a shell)", key, s);
		return;
	}
	if (access(s, X_OK) == -1)
		yw_warning(w, n, "%s: %s: %s", key, s, strerror(errno));
	cfg->notify_exec = arena_strdup(w->arena, s);
}

static void
f_webhook(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct config *cfg = obj;

	cfg->notify_webhook = yw_url(w, key, n);
}

static const struct yw_field notify_fields[] = {
	YW_KEY("exec", f_exec),
	YW_KEY("webhook", f_webhook),
	YW_VAL("timeout", YW_MS, struct config, notify_timeout_ms, 1000,
	    300000),
	YW_VAL("repeat", YW_MS, struct config, notify_repeat_ms, 60000,
	    7 * 86400000ULL),
};

static void
f_canaries(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct config *cfg = obj;
	yaml_node_t **it = NULL;
	const char **v;
	size_t cnt, i, nv = 0;

	if (yw_is_null(n))
		return;
	cnt = yw_items(w, key, n, &it);
	v = arena_alloc(w->arena, (cnt ? cnt : 1) * sizeof(*v));
	for (i = 0; i < cnt; i++)
		if ((v[nv] = yw_url(w, key, it[i])) != NULL)
			nv++;
	free(it);
	cfg->canaries = v;
	cfg->ncanaries = nv;
}

/* Rule 22: the history log's bound; parse_size() caps it at 1 TiB. */
#define HISTORY_MIN_SIZE	(64 * 1024)

static void
f_history_size(struct yamlwalk *w, const char *key, yaml_node_t *n,
    void *obj)
{
	struct config *cfg = obj;
	const char *s = yw_scalar(w, key, n);
	char err[PARSE_ERRLEN];
	uint64_t v;

	if (s == NULL)
		return;
	if (parse_size(s, &v, err, sizeof(err)) == -1)
		yw_error(w, n, "%s: %s", key, err);
	else if (v < HISTORY_MIN_SIZE)
		yw_error(w, n, "%s: %s is out of range (64KiB..1024GiB)", key,
		    s);
	else
		cfg->history_size = v;
}

static const struct yw_field top_fields[] = {
	YW_KEY("dns", f_stash),
	YW_KEY("defaults", f_stash),
	YW_KEY("sites", f_stash),
	YW_KEY("state_file", f_state_file),
	YW_VAL("max_parallel", YW_UINT, struct config, max_parallel, 1, 65536),
	YW_MAP_SELF("notify", notify_fields),
	YW_KEY("metrics_file", f_metrics_file),
	YW_KEY("canaries", f_canaries),
	YW_KEY("monitor", f_stash),
	YW_KEY("history_size", f_history_size),
};

static void
sites_load(struct loader *l, yaml_node_t *n)
{
	struct site *sites;
	yaml_node_item_t *it;
	size_t cnt, i = 0;

	if (n->type != YAML_SEQUENCE_NODE) {
		yw_error(&l->w, n, "sites: expected a list of sites, got %s",
		    yw_is_null(n) ? "nothing" : yw_kind(n));
		return;
	}
	cnt = (size_t)(n->data.sequence.items.top -
	    n->data.sequence.items.start);
	if (cnt == 0)
		yw_warning(&l->w, n, "sites: the list is empty; nothing is monitored");
	sites = arena_alloc(l->w.arena, (cnt ? cnt : 1) * sizeof(*sites));
	l->names = xcalloc(cnt ? cnt : 1, sizeof(*l->names));	/* one a site */
	for (it = n->data.sequence.items.start;
	    it < n->data.sequence.items.top; it++, i++)
		site_load(l, yw_node(&l->w, *it), &sites[i], i);
	sites_unique(l, sites, cnt);
	l->cfg->sites = sites;
	l->cfg->nsites = cnt;
	sites_index(l);
}

/* Walks the document in dependency order: dns, defaults, then sites. */
static void
document_load(struct loader *l, yaml_node_t *root)
{
	if (root->type != YAML_MAPPING_NODE) {
		yw_error(&l->w, root, "the top level must be a mapping (dns:, "
		    "defaults:, sites:, ...), not %s", yw_kind(root));
		return;
	}
	yw_map(&l->w, "top level", root, top_fields, NELEM(top_fields), l->cfg);
	config_dns_top(&l->w, &l->kfs, &l->dns, l->n_dns, root);
	l->cfg->dns = l->dns.conf;
	opts_builtin(&l->defaults);
	if (l->n_defaults != NULL) {
		yw_map(&l->w, "defaults", l->n_defaults, defaults_fields,
		    NELEM(defaults_fields), &l->defaults);
		/* keys that do not fit defaults' type are an error only
		 * when that type is written next to them */
		if (l->defaults.check.n_type != NULL)
			config_check_fit(&l->w, &l->defaults.check,
			    l->defaults.n_check);
		opts_check(l, &l->defaults);
	}
	if (l->n_sites == NULL)
		yw_error(&l->w, root, "\"sites\" is required (the list of sites to "
		    "monitor)");
	else
		sites_load(l, l->n_sites);
	config_monitor(&l->w, &l->kfs, l->cfg, &l->dns, l->n_monitor);
}

static void
loader_clear(struct loader *l, struct config *cfg)
{
	size_t i;

	/* the key files that loaded belong to the config from here on */
	cfg->keyfiles = xcalloc(l->kfs.n ? l->kfs.n : 1,
	    sizeof(struct keyfile *));
	for (i = 0; i < l->kfs.n; i++) {
		free(l->kfs.paths[i]);
		if (l->kfs.kf[i] != NULL)
			cfg->keyfiles[cfg->nkeyfiles++] = l->kfs.kf[i];
	}
	free(l->kfs.paths);
	free(l->kfs.kf);
	free(l->names);
	free(l->recs);
}

struct config *
config_load(const char *path, struct diags *diags)
{
	struct config *cfg;
	struct loader l;
	yaml_document_t doc;
	yaml_node_t *root;
	size_t before = diags->nerrors;

	if (yamldoc_load(path, CONFIG_MAX_SIZE, &doc, diags) == -1)
		return NULL;
	cfg = xcalloc(1, sizeof(*cfg));
	cfg->arena = arena_new();
	cfg->path = arena_strdup(cfg->arena, path);
	cfg->max_parallel = 200;
	cfg->notify_timeout_ms = 10000;
	cfg->notify_repeat_ms = 3600000;
	cfg->history_size = HISTORY_DEFAULT_SIZE;
	memset(&l, 0, sizeof(l));
	l.w.path = cfg->path;
	l.w.doc = &doc;
	l.w.diags = diags;
	l.w.arena = cfg->arena;
	l.cfg = cfg;
	if ((root = yaml_document_get_root_node(&doc)) == NULL)
		diag_error(diags, path, 1, 1, "the file is empty");
	else
		document_load(&l, root);
	loader_clear(&l, cfg);
	yaml_document_delete(&doc);
	if (diags->nerrors > before) {
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

void
config_free(struct config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	for (i = 0; i < cfg->nkeyfiles; i++)
		keyfile_free(cfg->keyfiles[i]);
	free(cfg->keyfiles);
	arena_free(cfg->arena);
	free(cfg);
}

const struct site *
config_site_find(const struct config *cfg, const char *name)
{
	char norm[DNAME_MAXLEN + 2], err[PARSE_ERRLEN];
	const struct site *s;
	size_t lo, hi, mid;
	int c;

	if (parse_dname(name, 0, norm, err, sizeof(err)) == -1)
		return NULL;
	lo = 0;
	hi = cfg->nsites;
	while (lo < hi) {	/* byname: a config with sites is complete */
		mid = lo + (hi - lo) / 2;
		s = &cfg->sites[cfg->byname[mid]];
		if ((c = strcmp(s->name, norm)) == 0)
			return s;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
