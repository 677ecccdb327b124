/*
 * config_monitor.c: sitelist.yaml's monitor: section -> struct
 * monitor_conf (rules 13-17 of doc/rules.md).
 *
 * Read after the sites, since what makes sense depends on them: fresh
 * must outlast two of the longest round, and the votes zone must hold no
 * site's records.  Without peers only source means anything; the keys
 * that need peers are errors without them, so a half-written section
 * never passes for a working one.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#include "config.h"
#include "config_load.h"
#include "util.h"
#include "yamlwalk.h"

#define FRESH_DEFAULT_MS	90000
#define FRESH_MAX_MS		(7 * 86400000ULL)

struct mon_layer {
	struct monitor_conf	*m;
	yaml_node_t		*n_map, *n_id, *n_peers, *n_quorum, *n_zone,
				*n_fresh, *n_key_file, *n_key;
};

static void
f_node(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct mon_layer *ml = obj;
	static const struct {
		const char	*key;
		size_t		 off;
	} slots[] = {
		{ "id", offsetof(struct mon_layer, n_id) },
		{ "peers", offsetof(struct mon_layer, n_peers) },
		{ "quorum", offsetof(struct mon_layer, n_quorum) },
		{ "zone", offsetof(struct mon_layer, n_zone) },
		{ "fresh", offsetof(struct mon_layer, n_fresh) },
		{ "key_file", offsetof(struct mon_layer, n_key_file) },
		{ "key", offsetof(struct mon_layer, n_key) },
	};
	size_t i;

	(void)w;
	for (i = 0; i < NELEM(slots); i++)
		if (strcmp(key, slots[i].key) == 0)
			*(yaml_node_t **)(void *)((char *)ml + slots[i].off) = n;
}

static void
f_source(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct mon_layer *ml = obj;

	config_source(w, key, n, &ml->m->source4, &ml->m->source6);
}

static const struct yw_field monitor_fields[] = {
	YW_KEY("source", f_source),
	YW_KEY("id", f_node),
	YW_KEY("peers", f_node),
	YW_KEY("quorum", f_node),
	YW_KEY("zone", f_node),
	YW_KEY("fresh", f_node),
	YW_KEY("key_file", f_node),
	YW_KEY("key", f_node),
};

/* Whether s is a monitor id: one DNS label of letters, digits, '-'. */
static bool
id_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > MONITOR_ID_MAX || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return false;
	return true;
}

static char *
id_lower(struct yamlwalk *w, const char *s)
{
	char *c = arena_strdup(w->arena, s);
	char *p;

	for (p = c; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return c;
}

/* A monitor id written at n (key says which), lower case, or NULL. */
static const char *
id_read(struct yamlwalk *w, const char *key, yaml_node_t *n)
{
	const char *s = yw_scalar(w, key, n);

	if (s == NULL)
		return NULL;
	if (!id_ok(s)) {
		yw_error(w, n, "%s: \"%s\" is not a monitor id (one DNS label: "
		    "letters, digits and '-', at most %d)", key, s,
		    MONITOR_ID_MAX);
		return NULL;
	}
	return id_lower(w, s);
}

/* The host name's first label, as the default id. */
static const char *
id_default(struct yamlwalk *w, yaml_node_t *at)
{
	char host[256];
	char *dot;

	if (gethostname(host, sizeof(host)) == -1)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	if ((dot = strchr(host, '.')) != NULL)
		*dot = '\0';
	if (!id_ok(host)) {
		yw_error(w, at, "monitor: the host name \"%s\" is not a "
		    "monitor id (letters, digits and '-'); set \"id\"", host);
		return NULL;
	}
	return id_lower(w, host);
}

static void
peers_read(struct yamlwalk *w, struct mon_layer *ml)
{
	struct monitor_conf *m = ml->m;
	yaml_node_t **it = NULL;
	const char **v;
	size_t cnt, i, j, nv = 0;

	cnt = yw_items(w, "peers", ml->n_peers, &it);
	if (cnt == 0 && ml->n_peers->type == YAML_SEQUENCE_NODE)
		yw_error(w, ml->n_peers, "peers: the list is empty");
	if (cnt > MONITOR_MAX_PEERS) {
		yw_error(w, ml->n_peers, "peers: %zu monitors; at most %d "
		    "take part", cnt, MONITOR_MAX_PEERS);
		cnt = 0;
	}
	v = arena_alloc(w->arena, (cnt ? cnt : 1) * sizeof(*v));
	for (i = 0; i < cnt; i++) {
		if ((v[nv] = id_read(w, "peers", it[i])) == NULL)
			continue;
		for (j = 0; j < nv && strcmp(v[j], v[nv]) != 0; j++)
			;
		if (j < nv)
			yw_error(w, it[i], "peers: \"%s\" is listed twice",
			    v[nv]);
		else
			nv++;
	}
	free(it);
	m->peers = v;
	m->npeers = nv;
}

static void
peer_names(const struct monitor_conf *m, char *buf, size_t size)
{
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < m->npeers && off < size; i++)
		off += (size_t)snprintf(buf + off, size - off, "%s%s",
		    i ? ", " : "", m->peers[i]);
}

/* Whether name is zone or below it (both normalised). */
static bool
under(const char *name, const char *zone)
{
	size_t n = strlen(name), z = strlen(zone);

	return n == z ? strcmp(name, zone) == 0 : n > z &&
	    name[n - z - 1] == '.' && strcmp(name + n - z, zone) == 0;
}

/* The votes zone holds votes only: no site's zone or records. */
static void
zone_check(struct yamlwalk *w, const struct config *cfg, yaml_node_t *at)
{
	const char *z = cfg->monitor.zone;
	size_t i, k;

	for (i = 0; i < cfg->nsites; i++) {
		const struct site *s = &cfg->sites[i];

		if (s->zone != NULL && strcmp(s->zone, z) == 0) {
			yw_error(w, at, "zone: %s is the zone of site %s "
			    "(line %zu); the votes need a zone of their own",
			    z, s->name, s->line);
			return;
		}
		for (k = 0; k < s->nrecords; k++)
			if (under(s->records[k], z)) {
				yw_error(w, at, "zone: record %s of site %s "
				    "(line %zu) is in the votes zone %s; the "
				    "votes need a zone of their own",
				    s->records[k], s->name, s->line, z);
				return;
			}
	}
}

/* A duration as sitelist.yaml writes it: "90s", "2m", "1500ms". */
static void
ms_text(uint64_t ms, char *buf, size_t size)
{
	if (ms % 60000 == 0)
		snprintf(buf, size, "%llum", (unsigned long long)(ms / 60000));
	else if (ms % 1000 == 0)
		snprintf(buf, size, "%llus", (unsigned long long)(ms / 1000));
	else
		snprintf(buf, size, "%llums", (unsigned long long)ms);
}

/* fresh must outlast two of the longest round (rule 13). */
static void
fresh_check(struct yamlwalk *w, const struct config *cfg, yaml_node_t *at)
{
	const struct site *longest = NULL;
	char f[32], iv[32];
	size_t i;

	for (i = 0; i < cfg->nsites; i++)
		if (longest == NULL ||
		    cfg->sites[i].interval_ms > longest->interval_ms)
			longest = &cfg->sites[i];
	if (longest == NULL ||
	    cfg->monitor.fresh_ms >= 2 * longest->interval_ms)
		return;
	ms_text(cfg->monitor.fresh_ms, f, sizeof(f));
	ms_text(longest->interval_ms, iv, sizeof(iv));
	yw_error(w, at, "fresh: %s is less than twice the interval of site "
	    "%s (%s): its views would go stale between two of its rounds",
	    f, longest->name, iv);
}

/* The votes zone's DNS: the top servers, signed with the votes key. */
static void
dns_set(struct yamlwalk *w, struct keyfiles *k, struct mon_layer *ml,
    const struct dns_layer *top)
{
	struct dns_layer d = *top;

	d.n_key_file = d.n_key = d.n_servers = NULL;
	if (ml->n_key_file != NULL) {
		if ((d.conf.key_file = yw_path(w, "key_file", ml->n_key_file))
		    == NULL)
			return;
		d.n_key_file = ml->n_key_file;
	}
	if (ml->n_key != NULL) {
		if (yw_dname(w, "key", ml->n_key, 0) == NULL)
			return;
		d.n_key = ml->n_key;
	}
	if (d.n_key_file != NULL || d.n_key != NULL) {
		d.conf.key = NULL;
		config_dns_key(w, k, &d);
	}
	ml->m->dns = d.conf;
	ml->m->dns.transport = DNS_TCP;
	ml->m->dns.verify = false;
}

/* What needs peers, written without them. */
static void
lonely(struct yamlwalk *w, const struct mon_layer *ml)
{
	yaml_node_t *const n[] = { ml->n_quorum, ml->n_zone, ml->n_fresh,
	    ml->n_key_file, ml->n_key };
	static const char *const names[] = { "quorum", "zone", "fresh",
	    "key_file", "key" };
	size_t i;

	for (i = 0; i < NELEM(n); i++)
		if (n[i] != NULL)
			yw_error(w, n[i], "%s: means nothing without \"peers\" "
			    "(the monitors that vote)", names[i]);
}

void
config_monitor(struct yamlwalk *w, struct keyfiles *k, struct config *cfg,
    const struct dns_layer *top, yaml_node_t *n)
{
	struct monitor_conf *m = &cfg->monitor;
	struct mon_layer ml;
	unsigned q;
	const char *z;
	char names[512];
	size_t i;

	memset(m, 0, sizeof(*m));
	memset(&ml, 0, sizeof(ml));
	ml.m = m;
	ml.n_map = n;
	if (n == NULL)
		return;
	m->line = n->start_mark.line + 1;
	yw_map(w, "monitor", n, monitor_fields, NELEM(monitor_fields), &ml);
	if (ml.n_peers == NULL || yw_is_null(ml.n_peers)) {
		lonely(w, &ml);
		if (ml.n_id != NULL)
			(void)id_read(w, "id", ml.n_id);
		return;
	}
	m->enabled = true;
	peers_read(w, &ml);
	m->id = ml.n_id != NULL ? id_read(w, "id", ml.n_id) :
	    id_default(w, n);
	peer_names(m, names, sizeof(names));
	if (m->id != NULL && m->npeers > 0) {
		for (i = 0; i < m->npeers && strcmp(m->peers[i], m->id) != 0;
		    i++)
			;
		if (i == m->npeers)
			yw_error(w, ml.n_id != NULL ? ml.n_id : n, "id: \"%s\" "
			    "is not among peers (%s); every monitor lists "
			    "itself", m->id, names);
	}
	m->quorum = (unsigned)(m->npeers / 2 + 1);
	if (ml.n_quorum != NULL && yw_uint(w, "quorum", ml.n_quorum, 1,
	    MONITOR_MAX_PEERS, &q)) {
		if (q > m->npeers && m->npeers > 0)
			yw_error(w, ml.n_quorum, "quorum: %u is more than the "
			    "%zu peers (%s): no switch could ever be agreed",
			    q, m->npeers, names);
		m->quorum = q;
	}
	if (ml.n_zone == NULL)
		yw_error(w, n, "monitor: \"zone\" is required with peers (the "
		    "zone on dns.servers where the monitors keep their votes)");
	else if ((z = yw_dname(w, "zone", ml.n_zone, 0)) != NULL) {
		m->zone = z;
		zone_check(w, cfg, ml.n_zone);
	}
	m->fresh_ms = FRESH_DEFAULT_MS;
	if (ml.n_fresh != NULL)
		(void)yw_duration(w, "fresh", ml.n_fresh, 1000, FRESH_MAX_MS,
		    &m->fresh_ms);
	fresh_check(w, cfg, ml.n_fresh != NULL ? ml.n_fresh : n);
	dns_set(w, k, &ml, top);
}
