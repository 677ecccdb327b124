/*
 * config_dns.c: sitelist.yaml's dns: sections -> struct dns_conf.
 *
 * The top-level dns: is the layer every site starts from; a site's own
 * dns: is a layer over it.  The key files they name are loaded once
 * each, however many layers name them, into the loader's keyfiles.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#include "config.h"
#include "config_load.h"
#include "util.h"
#include "yamlwalk.h"

static const char *const transports[] = { "tcp", "udp" };

/*
 * Whether a is an address of this host: a UDP socket binds to it (port
 * 0, nothing sent).  Reports the reason at n.
 */
static int
source_local(struct yamlwalk *w, const char *key, yaml_node_t *n,
    const struct addr *a)
{
	struct sockaddr_storage ss;
	socklen_t len = addr_sockaddr(a, 0, &ss);
	int fd, rc, e;

	if ((fd = socket(a->family, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1) {
		yw_error(w, n, "%s: cannot test %s: %s", key, a->text,
		    strerror(errno));
		return -1;
	}
	rc = bind(fd, (struct sockaddr *)&ss, len);
	e = errno;
	close(fd);
	if (rc == 0)
		return 0;
	if (e == EADDRNOTAVAIL)
		yw_error(w, n, "%s: %s is not an address of this host", key,
		    a->text);
	else
		yw_error(w, n, "%s: cannot bind to %s: %s", key, a->text,
		    strerror(e));
	return -1;
}

void
config_source(struct yamlwalk *w, const char *key, yaml_node_t *n,
    const struct addr **v4, const struct addr **v6)
{
	char err[PARSE_ERRLEN];
	yaml_node_t **it = NULL;
	const struct addr **slot;
	struct addr *a;
	size_t cnt, i;
	const char *s;

	*v4 = *v6 = NULL;
	if ((cnt = yw_items(w, key, n, &it)) == 0 &&
	    n->type == YAML_SEQUENCE_NODE)
		yw_error(w, n, "%s: the list is empty", key);
	for (i = 0; i < cnt; i++) {
		if ((s = yw_scalar(w, key, it[i])) == NULL)
			continue;
		a = arena_alloc(w->arena, sizeof(*a));
		if (addr_parse(s, a, err, sizeof(err)) == -1) {
			yw_error(w, it[i], "%s: %s (a source is an address "
			    "of this host)", key, err);
			continue;
		}
		slot = a->family == AF_INET ? v4 : v6;
		if (*slot != NULL) {
			yw_error(w, it[i], "%s: %s and %s are both %s (at "
			    "most one IPv4 and one IPv6 address)", key,
			    (*slot)->text, a->text, a->family == AF_INET ?
			    "IPv4" : "IPv6");
			continue;
		}
		if (source_local(w, key, it[i], a) == 0)
			*slot = a;
	}
	free(it);
}

static void
f_source(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct dns_layer *d = obj;

	config_source(w, key, n, &d->source4, &d->source6);
}

static void
f_servers(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct dns_layer *d = obj;
	struct dns_server *sv;
	char err[PARSE_ERRLEN];
	yaml_node_t **it = NULL;
	size_t cnt, i, bad = 0;
	const char *s;

	d->n_servers = n;
	if ((cnt = yw_items(w, key, n, &it)) == 0) {
		if (n->type == YAML_SEQUENCE_NODE)
			yw_error(w, n, "%s: the list is empty", key);
		free(it);
		return;
	}
	sv = arena_alloc(w->arena, cnt * sizeof(*sv));
	for (i = 0; i < cnt; i++) {
		if ((s = yw_scalar(w, key, it[i])) == NULL)
			bad++;
		else if (addr_parse_hostport(s, 53, &sv[i].addr, &sv[i].port,
		    err, sizeof(err)) == -1) {
			yw_error(w, it[i], "%s: %s (servers are IP addresses, "
			    "optionally with :port)", key, err);
			bad++;
		}
	}
	free(it);
	if (bad == 0) {
		d->conf.servers = sv;
		d->conf.nservers = cnt;
	}
}

static void
f_key_file(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct dns_layer *d = obj;
	const char *p = yw_path(w, key, n);

	if (p != NULL) {
		d->conf.key_file = p;
		d->conf.key = NULL;
		d->n_key_file = n;
	}
}

static void
f_key(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct dns_layer *d = obj;

	d->n_key = n;
	if (!yw_is_null(n) && yw_dname(w, key, n, 0) == NULL)
		d->n_key = NULL;
}

static const struct yw_field dns_fields[] = {
	YW_KEY("servers", f_servers),
	YW_KEY("key_file", f_key_file),
	YW_KEY("key", f_key),
	YW_KEY("source", f_source),
	YW_ENUM_OF("transport", struct dns_layer, conf.transport, transports),
	YW_VAL("timeout", YW_MS, struct dns_layer, conf.timeout_ms, 100, 60000),
	YW_VAL("verify", YW_BOOL, struct dns_layer, conf.verify, 0, 1),
};

/* The key file at path, loaded once however many layers name it. */
static struct keyfile *
keyfile_get(struct yamlwalk *w, struct keyfiles *k, const char *path,
    yaml_node_t *at)
{
	struct diag_ref ref;
	size_t i;

	for (i = 0; i < k->n; i++)
		if (strcmp(k->paths[i], path) == 0)
			return k->kf[i];
	ref.file = w->path;
	ref.line = at->start_mark.line + 1;
	ref.col = at->start_mark.column + 1;
	k->paths = xreallocarray(k->paths, k->n + 1, sizeof(char *));
	k->kf = xreallocarray(k->kf, k->n + 1, sizeof(struct keyfile *));
	k->paths[k->n] = xstrdup(path);
	k->kf[k->n] = keyfile_load(path, &ref, w->diags);
	return k->kf[k->n++];
}

static void
key_names(const struct keyfile *kf, char *buf, size_t size)
{
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < kf->nkeys && off < size; i++)
		off += (size_t)snprintf(buf + off, size - off, "%s%s",
		    i ? ", " : "", kf->keys[i].name);
}

/* Chooses the layer's key: the one named by key:, or the only one. */
static void
key_resolve(struct yamlwalk *w, struct keyfiles *k, struct dns_layer *d)
{
	yaml_node_t *at = d->n_key ? d->n_key : d->n_key_file;
	const struct keyfile *kf;
	char names[512];

	if ((kf = keyfile_get(w, k, d->conf.key_file, d->n_key_file ?
	    d->n_key_file : at)) == NULL)
		return;
	key_names(kf, names, sizeof(names));
	if (d->n_key != NULL && !yw_is_null(d->n_key)) {
		d->conf.key = keyfile_find(kf, yw_str(d->n_key));
		if (d->conf.key == NULL)
			yw_error(w, at, "key \"%s\" is not in %s (it holds: %s)",
			    yw_str(d->n_key), kf->path, names);
	} else if (kf->nkeys == 1)
		d->conf.key = &kf->keys[0];
	else
		yw_error(w, at, "%s holds %zu keys (%s); choose one with "
		    "\"key\"", kf->path, kf->nkeys, names);
}

/*
 * The layer's servers each with the source of its family.  A copy: a
 * site's layer may share its servers with the top one yet not its
 * source.
 */
static void
sources_apply(struct yamlwalk *w, struct dns_layer *d)
{
	struct dns_server *sv;
	size_t i;

	if (d->conf.nservers == 0)
		return;
	sv = arena_alloc(w->arena, d->conf.nservers * sizeof(*sv));
	for (i = 0; i < d->conf.nservers; i++) {
		sv[i] = d->conf.servers[i];
		sv[i].source = sv[i].addr.family == AF_INET ? d->source4 :
		    d->source6;
	}
	d->conf.servers = sv;
}

/*
 * Completes a dns layer: servers and a key are required.  where names
 * the place to blame when they are missing at the top level.
 */
static void
dns_finish(struct yamlwalk *w, struct keyfiles *k, struct dns_layer *d,
    yaml_node_t *where)
{
	if (d->conf.nservers == 0 && d->n_servers == NULL)
		yw_error(w, where, "dns: \"servers\" is required (the DNS "
		    "servers that take the updates)");
	if (d->conf.key_file == NULL) {
		if (d->n_key == NULL)
			yw_error(w, where, "dns: \"key_file\" is required "
			    "(updates are signed with TSIG)");
		else
			yw_error(w, d->n_key, "dns: \"key\" needs \"key_file\"");
		return;
	}
	if (d->n_key_file != NULL || d->n_key != NULL)
		key_resolve(w, k, d);
}

void
config_dns_top(struct yamlwalk *w, struct keyfiles *k, struct dns_layer *d,
    yaml_node_t *n, yaml_node_t *root)
{
	memset(d, 0, sizeof(*d));
	d->conf.transport = DNS_TCP;
	d->conf.timeout_ms = 3000;
	d->conf.verify = true;
	if (n != NULL)
		yw_map(w, "dns", n, dns_fields, NELEM(dns_fields), d);
	sources_apply(w, d);
	dns_finish(w, k, d, n != NULL ? n : root);
}

const struct dns_conf *
config_dns_site(struct yamlwalk *w, struct keyfiles *k,
    const struct dns_layer *top, yaml_node_t *n)
{
	struct dns_layer d = *top;
	struct dns_conf *c;

	d.n_key_file = d.n_key = d.n_servers = NULL;
	yw_map(w, "dns", n, dns_fields, NELEM(dns_fields), &d);
	sources_apply(w, &d);
	if (d.conf.key_file != NULL && (d.n_key_file || d.n_key))
		key_resolve(w, k, &d);
	c = arena_alloc(w->arena, sizeof(*c));
	*c = d.conf;
	return c;
}
