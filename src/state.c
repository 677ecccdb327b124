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
		else if (*s < 0x80)
			fputc(*s, fp);
		else if (n == 0)
			n = 1, fputc('?', fp);
		else if (*s == 0xc2 && s[1] < 0xa0)
			fprintf(fp, "\\u%04x", s[1]);		/* C1 */
		else
			fwrite(s, 1, n, fp);
		s += *s < 0x80 ? 1 : n;
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
		fprintf(fp, "}\n");
	}
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
	fprintf(fp, "\n    drift: %s\n    hold: ", st->drift ? "true" :
	    "false");
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
	fprintf(fp, "\n    counters: {switches: %llu, updates_applied: %llu, "
	    "updates_failed: %llu, probes: %llu, probes_failed: %llu}\n",
	    (unsigned long long)s->n.switches,
	    (unsigned long long)s->n.updates_applied,
	    (unsigned long long)s->n.updates_failed,
	    (unsigned long long)s->n.probes,
	    (unsigned long long)s->n.probes_failed);
	fprintf(fp, "    alerts: {both_down: %lld, update_failed: %lld}\n",
	    (long long)s->alert_both_down, (long long)s->alert_update_failed);
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
	    "alerts: {monitor_isolated: %lld}\n"
	    "probing: {blind_since: %lld, blind_rounds: %llu, cause: ",
	    STATE_VERSION, (long long)st->alert_isolated,
	    (long long)st->blind_since, (unsigned long long)st->blind_rounds);
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
	struct addr_state	*as;	/* the address being read */
};

static struct loader *
loader_of(struct yamlwalk *w)
{
	return (struct loader *)(void *)w;
}

static bool
get_time(struct yamlwalk *w, const char *key, yaml_node_t *n, time_t *out)
{
	const char *s = yw_scalar(w, key, n);
	unsigned long long v;
	char err[PARSE_ERRLEN];

	if (s == NULL)
		return false;
	if (parse_uint(s, 0, LLONG_MAX, &v, err, sizeof(err)) == -1) {
		yw_error(w, n, "%s: %s", key, err);
		return false;
	}
	*out = (time_t)v;
	return true;
}

/*
 * str_copy(), but a text too long for buf (a file edited by hand) is cut
 * before a UTF-8 character, not inside one: the cut text saves and loads
 * back the same.
 */
static void
copy_text(char *buf, const char *s, size_t size)
{
	size_t k = size - 1;

	if (str_copy(buf, s, size) < size || ((unsigned char)s[k] & 0xc0) !=
	    0x80)
		return;
	while (k > 0 && ((unsigned char)buf[k - 1] & 0xc0) == 0x80)
		k--;
	if (k > 0)
		k--;			/* the lead byte */
	buf[k] = '\0';
}

static void
get_text(struct yamlwalk *w, const char *key, yaml_node_t *n, char *buf,
    size_t size)
{
	const char *s = yw_scalar(w, key, n);

	if (s != NULL)
		copy_text(buf, s, size);
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

static int
get_side(struct yamlwalk *w, const char *key, yaml_node_t *n)
{
	static const char *const sides[] = { "primary", "failover" };

	return yw_enum(w, key, n, sides, 2);
}

static void
a_address(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	char err[PARSE_ERRLEN];
	const char *s = yw_scalar(w, key, n);

	(void)obj;
	if (s != NULL && addr_parse(s, &loader_of(w)->as->addr, err,
	    sizeof(err)) == -1)
		yw_error(w, n, "%s: %s", key, err);
}

static void
a_health(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	static const char *const h[] = { "unknown", "up", "down" };
	int v = yw_enum(w, key, n, h, 3);

	(void)obj;
	if (v >= 0)
		loader_of(w)->as->health = (enum health)v;
}

static void
a_ok(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	(void)obj;
	yw_uint(w, key, n, 0, UINT_MAX, &loader_of(w)->as->ok_run);
}

static void
a_fail(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	(void)obj;
	yw_uint(w, key, n, 0, UINT_MAX, &loader_of(w)->as->fail_run);
}

static void
a_reason(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	unsigned v;

	(void)obj;
	if (yw_uint(w, key, n, 0, PROBE_REASON_MAX, &v))
		loader_of(w)->as->last_reason = (enum probe_reason)v;
}

static void
a_error(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct addr_state *a = loader_of(w)->as;

	(void)obj;
	if (!yw_is_null(n))
		get_text(w, key, n, a->last_error, sizeof(a->last_error));
}

static void
a_ms(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	(void)obj;
	loader_of(w)->as->probed = yw_uint(w, key, n, 0, UINT_MAX,
	    &loader_of(w)->as->last_ms);
}

static const struct yw_field addr_fields[] = {
	{ "address", a_address }, { "health", a_health }, { "ok", a_ok },
	{ "fail", a_fail }, { "reason", a_reason }, { "error", a_error },
	{ "ms", a_ms },
};

static void
get_u64(struct yamlwalk *w, const char *key, yaml_node_t *n, uint64_t *out)
{
	const char *s = yw_scalar(w, key, n);
	unsigned long long v;
	char err[PARSE_ERRLEN];

	if (s == NULL)
		return;
	if (parse_uint(s, 0, ULLONG_MAX, &v, err, sizeof(err)) == -1)
		yw_error(w, n, "%s: %s", key, err);
	else
		*out = v;
}

#define COUNTER(f)							\
static void								\
c_##f(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)	\
{									\
	get_u64(w, key, n, &((struct state_site *)obj)->n.f);		\
}
COUNTER(switches)
COUNTER(updates_applied)
COUNTER(updates_failed)
COUNTER(probes)
COUNTER(probes_failed)
#undef COUNTER

static const struct yw_field counter_fields[] = {
	{ "switches", c_switches }, { "updates_applied", c_updates_applied },
	{ "updates_failed", c_updates_failed }, { "probes", c_probes },
	{ "probes_failed", c_probes_failed },
};

static void
al_both_down(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	get_time(w, key, n, &((struct state_site *)obj)->alert_both_down);
}

static void
al_update_failed(struct yamlwalk *w, const char *key, yaml_node_t *n,
    void *obj)
{
	get_time(w, key, n, &((struct state_site *)obj)->alert_update_failed);
}

static const struct yw_field alert_fields[] = {
	{ "both_down", al_both_down }, { "update_failed", al_update_failed },
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
		loader_of(w)->as = &a[*na];
		errs = w->diags->nerrors;
		yw_map(w, key, it[i], addr_fields, NELEM(addr_fields), NULL);
		/* an entry is about an address: without one it is damage,
		 * which would otherwise be saved as an address "" */
		if (a[*na].addr.text[0] == '\0' && w->diags->nerrors == errs)
			yw_error(w, it[i], "%s: an entry without an address",
			    key);
		(*na)++;
	}
	free(it);
}

static void
h_side(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct hold *h = obj;
	int v = get_side(w, key, n);

	if (v >= 0)
		h->side = (enum side)v;
}

static void
h_until(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct hold *h = obj;

	get_time(w, key, n, &h->until);
}

static void
h_who(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct hold *h = obj;

	get_text(w, key, n, h->who, sizeof(h->who));
}

static void
h_reason(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct hold *h = obj;

	if (!yw_is_null(n))
		get_text(w, key, n, h->reason, sizeof(h->reason));
}

static const struct yw_field hold_fields[] = {
	{ "side", h_side }, { "until", h_until }, { "who", h_who },
	{ "reason", h_reason },
};

static void
p_want(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct state_site *s = obj;

	s->nwant = get_addrs(w, key, n, &s->want);
}

static void
p_since(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct state_site *s = obj;

	get_time(w, key, n, &s->pending_since);
}

static void
p_error(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct state_site *s = obj;

	if (!yw_is_null(n))
		get_text(w, key, n, s->pending_error, sizeof(s->pending_error));
}

static const struct yw_field pending_fields[] = {
	{ "want", p_want }, { "since", p_since }, { "error", p_error },
};

static void
s_side(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct state_site *s = obj;
	int v = get_side(w, key, n);

	if (v >= 0)
		s->st.side = (enum side)v;
}

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
s_last_change(struct yamlwalk *w, const char *key, yaml_node_t *n,
    void *obj)
{
	struct state_site *s = obj;

	get_time(w, key, n, &s->st.last_change);
}

static void
s_last_reason(struct yamlwalk *w, const char *key, yaml_node_t *n,
    void *obj)
{
	struct state_site *s = obj;

	if (!yw_is_null(n))
		get_text(w, key, n, s->st.last_reason,
		    sizeof(s->st.last_reason));
}

static void
s_drift(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct state_site *s = obj;

	yw_bool(w, key, n, &s->st.drift);
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

static void
s_counters(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	yw_map(w, key, n, counter_fields, NELEM(counter_fields), obj);
}

static void
s_alerts(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	yw_map(w, key, n, alert_fields, NELEM(alert_fields), obj);
}

static const struct yw_field site_fields[] = {
	{ "counters", s_counters }, { "alerts", s_alerts },
	{ "side", s_side }, { "published", s_published },
	{ "last_change", s_last_change }, { "last_reason", s_last_reason },
	{ "drift", s_drift }, { "hold", s_hold }, { "pending", s_pending },
	{ "primary", s_primary }, { "failover", s_failover },
};

static void
t_version(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	unsigned v;

	(void)obj;
	/* another version's file is not damaged: about the whole file, so
	 * that it is never moved aside (state_load_or_move) */
	if (yw_uint(w, key, n, 1, 1000, &v) && v != STATE_VERSION)
		diag_error(w->diags, w->path, 0, 0, "state file version %u "
		    "(line %zu); this dnsfailover reads version %d", v,
		    (size_t)n->start_mark.line + 1, STATE_VERSION);
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

static void
ta_isolated(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	(void)obj;
	get_time(w, key, n, &loader_of(w)->st->alert_isolated);
}

static const struct yw_field top_alert_fields[] = {
	{ "monitor_isolated", ta_isolated },
};

static void
t_alerts(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	yw_map(w, key, n, top_alert_fields, NELEM(top_alert_fields), obj);
}

static void
tp_since(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	(void)obj;
	get_time(w, key, n, &loader_of(w)->st->blind_since);
}

static void
tp_rounds(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	(void)obj;
	get_u64(w, key, n, &loader_of(w)->st->blind_rounds);
}

static void
tp_cause(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct state *st = loader_of(w)->st;

	(void)obj;
	get_text(w, key, n, st->blind_cause, sizeof(st->blind_cause));
}

static const struct yw_field top_probing_fields[] = {
	{ "blind_since", tp_since }, { "blind_rounds", tp_rounds },
	{ "cause", tp_cause },
};

static void
t_probing(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	yw_map(w, key, n, top_probing_fields, NELEM(top_probing_fields), obj);
}

static const struct yw_field top_fields[] = {
	{ "version", t_version }, { "sites", t_sites }, { "alerts", t_alerts },
	{ "probing", t_probing },
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
		    NULL);
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

/* FNV-1a: site names are short, and this is all the index needs. */
static size_t
name_hash(const char *name)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *name != '\0'; name++)
		h = (h ^ (unsigned char)*name) * 1099511628211ULL;
	return (size_t)h;
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
	copy_text(s->name, name, sizeof(s->name));
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
	bool changed = health_take_foreign(&x->st, &y->st);

	x->pending = y->pending;
	free(x->want);
	x->want = y->want;
	x->nwant = y->nwant;
	y->want = NULL;		/* no longer theirs */
	y->nwant = 0;
	memcpy(x->pending_error, y->pending_error, sizeof(x->pending_error));
	x->pending_since = y->pending_since;
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
