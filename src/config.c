/*
 * config.c: sitelist.yaml -> struct config.
 *
 * The document is walked with one table of keys per mapping (top level,
 * dns, defaults, site, check, notify).  Each key has a handler that parses
 * and range-checks its value and remembers the node that set it, so that
 * checks across keys can point at the right place.  Every problem is
 * reported to the diags list and the walk goes on; the config is returned
 * only if there was none.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>
#include <ldns/ldns.h>
#include <yaml.h>

#include "config.h"
#include "log.h"
#include "util.h"
#include "yamldoc.h"
#include "yamlwalk.h"

/* Options a site inherits from "defaults" and may override. */
struct opts {
	unsigned		 ttl, fall, rise;
	uint64_t		 interval_ms;
	struct check_spec	 check;
	bool			 port_set;
	const struct addr	*primary, *failover;
	size_t			 nprimary, nfailover;
	bool			 primary_given, failover_given;	/* if invalid */

	/* value nodes set at this level (NULL: inherited) */
	yaml_node_t		*n_interval, *n_timeout, *n_method, *n_body,
				*n_limit, *n_primary, *n_failover, *n_check,
				*n_type, *n_query, *n_command;
};

struct dns_layer {
	struct dns_conf		 conf;
	yaml_node_t		*n_key_file, *n_key, *n_servers;
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
	yaml_node_t		*n_dns, *n_defaults, *n_sites;
	char			**kf_paths;	/* key files tried, */
	struct keyfile		**kf;		/* NULL where loading failed */
	size_t			 nkf;
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

static const char *const check_types[] = { "http", "https", "tcp", "dns",
    "exec" };
static const char *const methods[] = { "GET", "HEAD" };
static const char *const transports[] = { "tcp", "udp" };

const char *
check_type_str(enum check_type t)
{
	return check_types[t];
}

const char *
http_method_str(enum http_method m)
{
	return methods[m];
}

/* ---- check: ---- */

static void
f_type(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct opts *o = obj;
	const char *s = yw_scalar(w, key, n);
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < NELEM(check_types); i++)
		if (strcasecmp(s, check_types[i]) == 0)
			break;
	if (i == NELEM(check_types)) {
		/* yw_enum() names three at most */
		yw_error(w, n, "%s: \"%s\" is not one of: http, https, tcp, dns, "
		    "exec", key, s);
		return;
	}
	o->check.type = (enum check_type)i;
	o->n_type = n;
}

static void
f_port(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct opts *o = obj;
	unsigned v;

	if (yw_is_null(n))
		o->port_set = false;
	else if (yw_uint(w, key, n, 1, 65535, &v)) {
		o->check.port = (uint16_t)v;
		o->port_set = true;
	}
}

static void
f_path(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct loader *l = loader_of(w);
	struct opts *o = obj;
	const char *s = yw_text(w, key, n);

	if (s == NULL)
		return;
	if (s[0] != '/' || strpbrk(s, " #") != NULL) {
		yw_error(w, n, "%s: \"%s\" must start with '/' and contain no "
		    "spaces or '#'", key, s);
		return;
	}
	o->check.http.path = arena_strdup(l->w.arena, s);
}

static void
f_host(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct opts *o = obj;
	const char *s;

	if (yw_is_null(n))
		o->check.host = NULL;
	else if ((s = yw_dname(w, key, n, 0)) != NULL)
		o->check.host = s;
}

static void
f_method(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct opts *o = obj;
	int v = yw_enum(w, key, n, methods, NELEM(methods));

	if (v >= 0) {
		o->check.http.method = (enum http_method)v;
		o->n_method = n;
	}
}

static bool
header_name_ok(const char *s)
{
	const char *p;

	if (*s == '\0')
		return false;
	for (p = s; *p != '\0'; p++)
		if (strchr("!#$%&'*+-.^_`|~", *p) == NULL &&
		    !(*p >= '0' && *p <= '9') && !(*p >= 'a' && *p <= 'z') &&
		    !(*p >= 'A' && *p <= 'Z'))
			return false;
	return true;
}

static bool
header_add(struct loader *l, yaml_node_t *k, yaml_node_t *v,
    struct http_header *h, size_t nh)
{
	const char *name = yw_str(k), *value;
	size_t i;

	if (k->type != YAML_SCALAR_NODE || !header_name_ok(name)) {
		yw_error(&l->w, k, "headers: invalid header name");
		return false;
	}
	if (strcasecmp(name, "Host") == 0) {
		yw_error(&l->w, k, "headers: set the Host header with check.host, "
		    "which also sets TLS SNI");
		return false;
	}
	for (i = 0; i < nh; i++) {
		if (strcasecmp(h[i].name, name) == 0) {
			yw_error(&l->w, k, "headers: \"%s\" is given twice", name);
			return false;
		}
	}
	if ((value = yw_text(&l->w, name, v)) == NULL)
		return false;
	h[nh].name = arena_strdup(l->w.arena, name);
	h[nh].value = arena_strdup(l->w.arena, value);
	return true;
}

static void
f_headers(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct loader *l = loader_of(w);
	struct opts *o = obj;
	struct http_header *h;
	yaml_node_pair_t *p;
	size_t nh = 0, cnt;

	if (yw_is_null(n)) {
		o->check.http.headers = NULL;
		o->check.http.nheaders = 0;
		return;
	}
	if (n->type != YAML_MAPPING_NODE) {
		yw_error(w, n, "%s: expected a mapping of name: value, got %s",
		    key, yw_kind(n));
		return;
	}
	cnt = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	if (cnt > CHECK_MAX_HEADERS) {
		/* and header_add() compares each with those before it */
		yw_error(w, n, "%s: more than %d headers", key, CHECK_MAX_HEADERS);
		return;
	}
	h = arena_alloc(l->w.arena, (cnt ? cnt : 1) * sizeof(*h));
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	    p++)
		if (header_add(l, yw_node(w, p->key), yw_node(w, p->value), h, nh))
			nh++;
	o->check.http.headers = h;
	o->check.http.nheaders = nh;
}

static void
f_expect_status(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct loader *l = loader_of(w);
	struct opts *o = obj;
	struct status_range *r;
	char err[PARSE_ERRLEN];
	yaml_node_t **it = NULL;
	size_t cnt, i, nr = 0;
	const char *s;

	if ((cnt = yw_items(w, key, n, &it)) == 0) {
		if (n->type == YAML_SEQUENCE_NODE)
			yw_error(w, n, "%s: the list is empty", key);
		free(it);
		return;
	}
	r = arena_alloc(l->w.arena, cnt * sizeof(*r));
	for (i = 0; i < cnt; i++) {
		if ((s = yw_scalar(w, key, it[i])) == NULL)
			continue;
		if (parse_status_range(s, &r[nr], err, sizeof(err)) == -1)
			yw_error(w, it[i], "%s: %s", key, err);
		else
			nr++;
	}
	free(it);
	if (nr == cnt) {
		o->check.http.expect = r;
		o->check.http.nexpect = nr;
	}
}

static void
f_expect_body(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct loader *l = loader_of(w);
	struct opts *o = obj;
	const char *s;

	o->n_body = n;
	if (yw_is_null(n))
		o->check.http.expect_body = NULL;
	else if ((s = yw_scalar(w, key, n)) != NULL) {
		if (*s == '\0')
			yw_error(w, n, "%s: empty text (use null for no body "
			    "check)", key);
		else
			o->check.http.expect_body = arena_strdup(l->w.arena, s);
	}
}

static void
f_body_limit(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct opts *o = obj;
	const char *s = yw_scalar(w, key, n);
	char err[PARSE_ERRLEN];
	uint64_t v;

	if (s == NULL)
		return;
	if (parse_size(s, &v, err, sizeof(err)) == -1)
		yw_error(w, n, "%s: %s", key, err);
	else if (v < 1 || v > 64 * 1024 * 1024)
		yw_error(w, n, "%s: %s is out of range (1..64MiB)", key, s);
	else {
		o->check.http.body_limit = v;
		o->n_limit = n;
	}
}

static void
f_timeout(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct opts *o = obj;

	if (yw_duration(w, key, n, 100, 300000, &o->check.timeout_ms))
		o->n_timeout = n;
}

static void
f_tls_verify(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct opts *o = obj;

	yw_bool(w, key, n, &o->check.http.tls_verify);
}

static void
f_ca_file(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct opts *o = obj;
	const char *p;

	if (yw_is_null(n)) {
		o->check.http.ca_file = NULL;
		return;
	}
	if ((p = yw_path(w, key, n)) == NULL)
		return;
	if (access(p, R_OK) == -1)
		yw_error(w, n, "%s: cannot read %s: %s", key, p, strerror(errno));
	else
		o->check.http.ca_file = p;
}

/*
 * Text sent or expected on the wire: control characters allowed, as
 * YAML's own escapes write them ("\r\n"); no NUL (yw_scalar refuses
 * it).  NULL after reporting.
 */
static const char *
bytes_value(struct yamlwalk *w, const char *key, yaml_node_t *n, size_t *len)
{
	const char *s = yw_scalar(w, key, n);
	char *v;

	if (s == NULL)
		return NULL;
	if ((*len = n->data.scalar.length) == 0) {
		yw_error(w, n, "%s: empty text (use null for none)", key);
		return NULL;
	}
	v = arena_alloc(w->arena, *len + 1);
	memcpy(v, s, *len);
	v[*len] = '\0';
	return v;
}

static void
f_send(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct opts *o = obj;
	const char *v;
	size_t len;

	if (yw_is_null(n)) {
		o->check.tcp.send = NULL;
		o->check.tcp.nsend = 0;
	} else if ((v = bytes_value(w, key, n, &len)) != NULL) {
		o->check.tcp.send = v;
		o->check.tcp.nsend = len;
	}
}

static void
f_expect(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct opts *o = obj;
	const char *v;
	size_t len;

	if (yw_is_null(n))
		o->check.tcp.expect = NULL;
	else if ((v = bytes_value(w, key, n, &len)) == NULL)
		return;
	else if (len > o->check.tcp.read_limit)
		yw_error(w, n, "%s: longer than the %zu bytes read looking for "
		    "it", key, o->check.tcp.read_limit);
	else
		o->check.tcp.expect = v;
}

/* ---- check.query: (dns) ---- */

struct query_layer {
	struct check_dns	 q;
	yaml_node_t		*n_name, *n_expect;
};

static void
f_q_name(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct query_layer *ql = obj;

	ql->n_name = n;
	ql->q.name = yw_dname(w, key, n, 0);
}

static void
f_q_type(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct query_layer *ql = obj;
	const char *s = yw_scalar(w, key, n);
	ldns_rr_type t;

	if (s == NULL)
		return;
	t = ldns_get_rr_type_by_name(s);
	/* meta types ask for a transfer, a key or everything: no answer */
	if (t == 0 || t == LDNS_RR_TYPE_OPT || (t >= LDNS_RR_TYPE_TKEY &&
	    t <= LDNS_RR_TYPE_ANY)) {
		yw_error(w, n, "%s: \"%s\" is not a record type a probe can ask "
		    "for (A, AAAA, MX, TXT, SOA, ...)", key, s);
		t = 0;
	}
	ql->q.qtype = (uint16_t)t;	/* 0: reported */
}

static void
f_q_expect(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct query_layer *ql = obj;

	if (yw_is_null(n))
		ql->q.expect = NULL;
	else if ((ql->q.expect = yw_text(w, key, n)) != NULL) {
		ql->q.expect = arena_strdup(w->arena, ql->q.expect);
		ql->n_expect = n;
	}
}

static void
f_q_tcp(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct query_layer *ql = obj;

	yw_bool(w, key, n, &ql->q.tcp);
}

static const struct yw_field query_fields[] = {
	{ "name", f_q_name },
	{ "type", f_q_type },
	{ "expect", f_q_expect },
	{ "tcp", f_q_tcp },
};

/*
 * An address expected in an A or AAAA answer is compared in canonical
 * form ("2001:db8::1", as ldns prints it); 0, or -1 after reporting.
 */
static int
query_expect_addr(struct yamlwalk *w, struct query_layer *ql)
{
	char err[PARSE_ERRLEN];
	int family = ql->q.qtype == LDNS_RR_TYPE_A ? AF_INET : AF_INET6;
	struct addr a;

	if (ql->q.expect == NULL || (ql->q.qtype != LDNS_RR_TYPE_A &&
	    ql->q.qtype != LDNS_RR_TYPE_AAAA))
		return 0;
	if (addr_parse(ql->q.expect, &a, err, sizeof(err)) == -1 ||
	    a.family != family) {
		yw_error(w, ql->n_expect, "expect: \"%s\" is not an %s address "
		    "(the query asks for %s)", ql->q.expect, family == AF_INET ?
		    "IPv4" : "IPv6", family == AF_INET ? "A" : "AAAA");
		return -1;
	}
	ql->q.expect = arena_strdup(w->arena, a.text);
	return 0;
}

/* A query is given whole: nothing of an inherited one is kept. */
static void
f_query(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct opts *o = obj;
	struct query_layer ql;

	o->n_query = n;
	memset(&ql, 0, sizeof(ql));
	ql.q.qtype = LDNS_RR_TYPE_A;
	if (n->type != YAML_MAPPING_NODE) {
		yw_error(w, n, "%s: expected a mapping {name, type, expect}, got "
		    "%s", key, yw_kind(n));
		return;
	}
	yw_map(w, key, n, query_fields, NELEM(query_fields), &ql);
	if (ql.q.name == NULL) {
		if (ql.n_name == NULL)
			yw_error(w, n, "%s: \"name\" is required (the name to "
			    "ask the address for)", key);
		return;
	}
	if (ql.q.qtype != 0 && query_expect_addr(w, &ql) == 0)
		o->check.dns = ql.q;
}

/* ---- check.command: (exec) ---- */

/* argv[0]: run without a shell, so an absolute path to a program. */
static bool
command_program_ok(struct yamlwalk *w, const char *key, yaml_node_t *n,
    const char *s)
{
	struct stat st;

	if (s[0] != '/') {
		yw_error(w, n, "%s: \"%s\" must be an absolute path (it runs "
		    "without a shell)", key, s);
		return false;
	}
	if (stat(s, &st) == -1) {
		yw_error(w, n, "%s: %s: %s", key, s, strerror(errno));
		return false;
	}
	if (!S_ISREG(st.st_mode) || access(s, X_OK) == -1) {
		yw_error(w, n, "%s: %s is not an executable file", key, s);
		return false;
	}
	return true;
}

static void
f_command(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct opts *o = obj;
	yaml_node_t **it = NULL;
	const char **argv;
	size_t cnt, i, bad = 0;

	o->n_command = n;
	if (n->type != YAML_SEQUENCE_NODE) {
		yw_error(w, n, "%s: expected a list (the program, then its "
		    "arguments; there is no shell), got %s", key, yw_kind(n));
		return;
	}
	if ((cnt = yw_items(w, key, n, &it)) == 0 || cnt > CHECK_MAX_ARGS) {
		if (cnt == 0)
			yw_error(w, n, "%s: the list is empty", key);
		else
			yw_error(w, n, "%s: more than %d arguments", key,
			    CHECK_MAX_ARGS);
		free(it);
		return;
	}
	argv = arena_alloc(w->arena, (cnt + 1) * sizeof(*argv));
	for (i = 0; i < cnt; i++) {
		if ((argv[i] = yw_text(w, key, it[i])) == NULL)
			bad++;
		else if (i == 0 && !command_program_ok(w, key, it[0], argv[0]))
			bad++;
		else
			argv[i] = arena_strdup(w->arena, argv[i]);
	}
	argv[cnt] = NULL;
	free(it);
	if (bad == 0) {
		o->check.exec.argv = argv;
		o->check.exec.argc = cnt;
	}
}

/* ---- check.cert_warn: (https) ---- */

#define CERT_WARN_MAX_DAYS	365

/* A duration as elsewhere, or whole days ("14d"); -1 after reporting. */
static int
cert_warn_parse(struct yamlwalk *w, const char *key, yaml_node_t *n,
    uint64_t *ms)
{
	const char *s = yw_scalar(w, key, n);
	char err[PARSE_ERRLEN], *end;
	unsigned long long d;	/* parse_duration() stops at 7 days */
	size_t len;

	if (s == NULL)
		return -1;
	len = strlen(s);
	if (len > 1 && s[len - 1] == 'd' && s[0] >= '0' && s[0] <= '9') {
		errno = 0;
		d = strtoull(s, &end, 10);
		if (errno == 0 && end == s + len - 1 &&
		    d <= CERT_WARN_MAX_DAYS) {
			*ms = d * 86400000ULL;
			return 0;
		}
		yw_error(w, n, "%s: %s is out of range (0..%dd)", key, s,
		    CERT_WARN_MAX_DAYS);
		return -1;
	}
	if (parse_duration(s, ms, err, sizeof(err)) == -1) {
		yw_error(w, n, "%s: invalid duration \"%s\" (expected whole days "
		    "like 14d, or ms, s, m or h)", key, s);
		return -1;
	}
	return 0;
}

static void
f_cert_warn(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct opts *o = obj;
	uint64_t ms;

	if (yw_is_null(n))
		o->check.http.cert_warn_ms = 0;
	else if (cert_warn_parse(w, key, n, &ms) == 0)
		o->check.http.cert_warn_ms = ms;
}

static const struct yw_field check_fields[] = {
	{ "type", f_type },
	{ "port", f_port },
	{ "path", f_path },
	{ "host", f_host },
	{ "method", f_method },
	{ "headers", f_headers },
	{ "expect_status", f_expect_status },
	{ "expect_body", f_expect_body },
	{ "body_limit", f_body_limit },
	{ "timeout", f_timeout },
	{ "tls_verify", f_tls_verify },
	{ "ca_file", f_ca_file },
	{ "send", f_send },
	{ "expect", f_expect },
	{ "query", f_query },
	{ "command", f_command },
	{ "cert_warn", f_cert_warn },
};

/*
 * The types each check key applies to (bit 1 << enum check_type), and
 * those that accept it.  The keys that came before dns and exec stay
 * accepted, and ignored, by every type they were accepted by before
 * (a defaults section written for http keeps working with tcp).
 */
#define T_(t)		(1U << (t))
#define T_WEB		(T_(CHECK_HTTP) | T_(CHECK_HTTPS))
#define T_OLD		(T_WEB | T_(CHECK_TCP))
#define T_ALL		((1U << CHECK_NTYPES) - 1)
static const struct {
	const char	*key;
	unsigned	 types, accepted;
} check_fit[] = {
	{ "type", T_ALL, T_ALL },
	{ "port", T_ALL, T_ALL },
	{ "host", T_ALL, T_ALL },
	{ "timeout", T_ALL, T_ALL },
	{ "path", T_WEB, T_OLD },
	{ "method", T_WEB, T_OLD },
	{ "headers", T_WEB, T_OLD },
	{ "expect_status", T_WEB, T_OLD },
	{ "expect_body", T_WEB, T_OLD },
	{ "body_limit", T_WEB, T_OLD },
	{ "tls_verify", T_(CHECK_HTTPS), T_OLD },
	{ "ca_file", T_(CHECK_HTTPS), T_OLD },
	{ "cert_warn", T_(CHECK_HTTPS), T_(CHECK_HTTPS) },
	{ "send", T_(CHECK_TCP), T_(CHECK_TCP) },
	{ "expect", T_(CHECK_TCP), T_(CHECK_TCP) },
	{ "query", T_(CHECK_DNS), T_(CHECK_DNS) },
	{ "command", T_(CHECK_EXEC), T_(CHECK_EXEC) },
};

/* "http, https" for the types in mask. */
static void
types_list(unsigned mask, char *buf, size_t size)
{
	size_t off = 0;
	int t;

	buf[0] = '\0';
	for (t = 0; t < CHECK_NTYPES && off < size; t++)
		if (mask & T_(t))
			off += (size_t)snprintf(buf + off, size - off, "%s%s",
			    off ? ", " : "", check_types[t]);
}

/*
 * Every key of the check mapping written at this level must apply to
 * the effective type.  Inherited keys that do not apply are ignored.
 */
static void
check_keys_fit(struct loader *l, const struct opts *o)
{
	unsigned want = T_(o->check.type);
	yaml_node_pair_t *p;
	yaml_node_t *k;
	char types[64];
	size_t i;

	if (o->n_check == NULL || o->n_check->type != YAML_MAPPING_NODE)
		return;
	for (p = o->n_check->data.mapping.pairs.start;
	    p < o->n_check->data.mapping.pairs.top; p++) {
		if ((k = yw_node(&l->w, p->key))->type != YAML_SCALAR_NODE)
			continue;
		for (i = 0; i < NELEM(check_fit); i++)
			if (strcmp(check_fit[i].key, yw_str(k)) == 0)
				break;
		if (i == NELEM(check_fit) || (check_fit[i].accepted & want))
			continue;	/* unknown keys are reported by yw_map */
		types_list(check_fit[i].types, types, sizeof(types));
		yw_error(&l->w, k, "\"%s\" does not apply to a check of type %s "
		    "(it is for: %s)", yw_str(k), check_types[o->check.type],
		    types);
	}
}

/* ---- options shared by defaults: and sites ---- */

static void
f_ttl(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct opts *o = obj;

	yw_uint(w, key, n, 1, 86400, &o->ttl);
}

static void
f_fall(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct opts *o = obj;

	yw_uint(w, key, n, 1, 100, &o->fall);
}

static void
f_rise(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct opts *o = obj;

	yw_uint(w, key, n, 1, 100, &o->rise);
}

static void
f_interval(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct opts *o = obj;

	if (yw_duration(w, key, n, 1000, 86400000, &o->interval_ms))
		o->n_interval = n;
}

static void
f_check(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct opts *o = obj;

	o->n_check = n;
	yw_map(w, key, n, check_fields, NELEM(check_fields), obj);
}

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

static const struct yw_field defaults_fields[] = {
	{ "ttl", f_ttl },
	{ "interval", f_interval },
	{ "fall", f_fall },
	{ "rise", f_rise },
	{ "check", f_check },
	{ "primary", f_primary },
	{ "failover", f_failover },
};

/*
 * Checks between keys of one level.  A problem is reported at a node set
 * at this level; when every key involved was inherited it was reported
 * where it was set, so a site is not blamed for its defaults.
 */
static void
opts_check(struct loader *l, const struct opts *o)
{
	const struct check_http *c = &o->check.http;
	char t[32], iv[32];
	yaml_node_t *at;
	size_t i, j;

	at = o->n_timeout ? o->n_timeout : o->n_interval;
	if (at != NULL && o->check.timeout_ms >= o->interval_ms) {
		format_duration(o->check.timeout_ms, t, sizeof(t));
		format_duration(o->interval_ms, iv, sizeof(iv));
		yw_error(&l->w, at, "check timeout %s must be less than interval %s",
		    t, iv);
	}
	at = o->n_body ? o->n_body : o->n_method;
	if (!CHECK_IS_WEB(o->check.type))
		at = NULL;	/* inherited http keys do not apply */
	if (at != NULL && c->expect_body != NULL && c->method == HTTP_HEAD)
		yw_error(&l->w, at, "expect_body cannot be checked with method HEAD "
		    "(a HEAD response has no body)");
	at = o->n_body ? o->n_body : o->n_limit;
	if (CHECK_IS_WEB(o->check.type) && at != NULL && c->expect_body != NULL &&
	    strlen(c->expect_body) > c->body_limit)
		yw_error(&l->w, at, "expect_body is longer than body_limit (%llu "
		    "bytes)", (unsigned long long)c->body_limit);
	at = o->n_failover ? o->n_failover : o->n_primary;
	for (i = 0; at != NULL && i < o->nprimary; i++)
		for (j = 0; j < o->nfailover; j++)
			if (addr_equal(&o->primary[i], &o->failover[j]))
				yw_error(&l->w, at, "%s is both a primary and a "
				    "failover address", o->primary[i].text);
}

static void
opts_builtin(struct opts *o)
{
	static const struct status_range ok = { 200, 399 };

	memset(o, 0, sizeof(*o));
	o->ttl = 60;
	o->interval_ms = 10000;
	o->fall = 3;
	o->rise = 2;
	o->check.type = CHECK_HTTP;
	o->check.timeout_ms = 5000;
	o->check.http.path = "/";
	o->check.http.method = HTTP_GET;
	o->check.http.expect = &ok;
	o->check.http.nexpect = 1;
	o->check.http.body_limit = 64 * 1024;
	o->check.http.tls_verify = true;
	o->check.tcp.read_limit = CHECK_TCP_READ_LIMIT;
	o->check.dns.qtype = LDNS_RR_TYPE_A;
}

/* Copies inherited values; forgets where they were set. */
static void
opts_inherit(struct opts *dst, const struct opts *src)
{
	*dst = *src;
	dst->n_interval = dst->n_timeout = dst->n_method = NULL;
	dst->n_body = dst->n_limit = dst->n_primary = dst->n_failover = NULL;
	dst->n_check = dst->n_type = dst->n_query = dst->n_command = NULL;
}

/* ---- dns: ---- */

static void
f_servers(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct loader *l = loader_of(w);
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
	sv = arena_alloc(l->w.arena, cnt * sizeof(*sv));
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

static void
f_transport(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct dns_layer *d = obj;
	int v = yw_enum(w, key, n, transports, NELEM(transports));

	if (v >= 0)
		d->conf.transport = (enum dns_transport)v;
}

static void
f_dns_timeout(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct dns_layer *d = obj;

	yw_duration(w, key, n, 100, 60000, &d->conf.timeout_ms);
}

static void
f_verify(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct dns_layer *d = obj;

	yw_bool(w, key, n, &d->conf.verify);
}

static const struct yw_field dns_fields[] = {
	{ "servers", f_servers },
	{ "key_file", f_key_file },
	{ "key", f_key },
	{ "transport", f_transport },
	{ "timeout", f_dns_timeout },
	{ "verify", f_verify },
};

/* The key file at path, loaded once however many layers name it. */
static struct keyfile *
keyfile_get(struct loader *l, const char *path, yaml_node_t *at)
{
	struct diag_ref ref;
	size_t i;

	for (i = 0; i < l->nkf; i++)
		if (strcmp(l->kf_paths[i], path) == 0)
			return l->kf[i];
	ref.file = l->w.path;
	ref.line = at->start_mark.line + 1;
	ref.col = at->start_mark.column + 1;
	l->kf_paths = xreallocarray(l->kf_paths, l->nkf + 1, sizeof(char *));
	l->kf = xreallocarray(l->kf, l->nkf + 1, sizeof(struct keyfile *));
	l->kf_paths[l->nkf] = xstrdup(path);
	l->kf[l->nkf] = keyfile_load(path, &ref, l->w.diags);
	return l->kf[l->nkf++];
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
key_resolve(struct loader *l, struct dns_layer *d)
{
	yaml_node_t *at = d->n_key ? d->n_key : d->n_key_file;
	const struct keyfile *kf;
	char names[512];

	if ((kf = keyfile_get(l, d->conf.key_file, d->n_key_file ?
	    d->n_key_file : at)) == NULL)
		return;
	key_names(kf, names, sizeof(names));
	if (d->n_key != NULL && !yw_is_null(d->n_key)) {
		d->conf.key = keyfile_find(kf, yw_str(d->n_key));
		if (d->conf.key == NULL)
			yw_error(&l->w, at, "key \"%s\" is not in %s (it holds: %s)",
			    yw_str(d->n_key), kf->path, names);
	} else if (kf->nkeys == 1)
		d->conf.key = &kf->keys[0];
	else
		yw_error(&l->w, at, "%s holds %zu keys (%s); choose one with "
		    "\"key\"", kf->path, kf->nkeys, names);
}

/*
 * Completes a dns layer: servers and a key are required.  where names
 * the place to blame when they are missing at the top level.
 */
static void
dns_finish(struct loader *l, struct dns_layer *d, yaml_node_t *where)
{
	if (d->conf.nservers == 0 && d->n_servers == NULL)
		yw_error(&l->w, where, "dns: \"servers\" is required (the DNS servers "
		    "that take the updates)");
	if (d->conf.key_file == NULL) {
		if (d->n_key == NULL)
			yw_error(&l->w, where, "dns: \"key_file\" is required (updates "
			    "are signed with TSIG)");
		else
			yw_error(&l->w, d->n_key, "dns: \"key\" needs \"key_file\"");
		return;
	}
	if (d->n_key_file != NULL || d->n_key != NULL)
		key_resolve(l, d);
}

static void
dns_builtin(struct dns_layer *d)
{
	memset(d, 0, sizeof(*d));
	d->conf.transport = DNS_TCP;
	d->conf.timeout_ms = 3000;
	d->conf.verify = true;
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
	{ "name", f_name },
	{ "zone", f_zone },
	{ "records", f_records },
	{ "primary", f_primary },
	{ "failover", f_failover },
	{ "ttl", f_ttl },
	{ "interval", f_interval },
	{ "fall", f_fall },
	{ "rise", f_rise },
	{ "check", f_check },
	{ "dns", f_site_dns },
};

/* The site's dns: its own layer over the top-level one, or that one. */
static const struct dns_conf *
site_dns(struct loader *l, struct site_layer *s)
{
	struct dns_layer d;
	struct dns_conf *c;

	if (s->n_dns == NULL)
		return &l->cfg->dns;
	d = l->dns;
	d.n_key_file = d.n_key = d.n_servers = NULL;
	yw_map(&l->w, "dns", s->n_dns, dns_fields, NELEM(dns_fields), &d);
	if (d.conf.key_file != NULL && (d.n_key_file || d.n_key))
		key_resolve(l, &d);
	c = arena_alloc(l->w.arena, sizeof(*c));
	*c = d.conf;
	return c;
}

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

/* What a site's effective check type cannot do without. */
static void
check_complete(struct loader *l, const struct opts *o, yaml_node_t *site)
{
	yaml_node_t *at = o->n_type ? o->n_type : o->n_check ? o->n_check :
	    site;

	/* a query or command given here and refused is reported already */
	if (o->check.type == CHECK_DNS && o->check.dns.name == NULL &&
	    o->n_query == NULL)
		yw_error(&l->w, at, "check: type dns needs \"query\" (the name "
		    "and type to ask the address for)");
	if (o->check.type == CHECK_EXEC && o->check.exec.argv == NULL &&
	    o->n_command == NULL)
		yw_error(&l->w, at, "check: type exec needs \"command\" (the "
		    "program to run, and its arguments, as a list)");
}

/* exec has no port unless one is given (0: none). */
static uint16_t
default_port(enum check_type t)
{
	static const uint16_t port[CHECK_NTYPES] = {
		[CHECK_HTTP] = 80, [CHECK_HTTPS] = 443, [CHECK_TCP] = 80,
		[CHECK_DNS] = 53, [CHECK_EXEC] = 0,
	};

	return port[t];
}

static void
site_load(struct loader *l, yaml_node_t *n, struct site *out, size_t idx)
{
	struct site_layer s;

	memset(&s, 0, sizeof(s));
	opts_inherit(&s.o, &l->defaults);
	yw_map(&l->w, "site", n, site_fields, NELEM(site_fields), &s);
	if (n->type == YAML_MAPPING_NODE) {
		check_keys_fit(l, &s.o);
		check_complete(l, &s.o, n);
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
	out->check = s.o.check;
	if (!s.o.port_set)
		out->check.port = default_port(s.o.check.type);
	out->dns = site_dns(l, &s);
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
	else
		l->n_sites = n;
}

static void
f_state_file(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct loader *l = loader_of(w);
	(void)obj;
	l->cfg->state_file = yw_path(w, key, n);
}

static void
f_metrics_file(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct loader *l = loader_of(w);
	(void)obj;
	l->cfg->metrics_file = yw_path(w, key, n);
}

static void
f_max_parallel(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct loader *l = loader_of(w);
	(void)obj;
	yw_uint(w, key, n, 1, 65536, &l->cfg->max_parallel);
}

static void
f_exec(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct loader *l = loader_of(w);
	const char *s = yw_text(w, key, n);

	(void)obj;
	if (s == NULL)
		return;
	if (s[0] != '/') {
		yw_error(w, n, "%s: \"%s\" must be an absolute path (it runs "
		    "without a shell)", key, s);
		return;
	}
	if (access(s, X_OK) == -1)
		yw_warning(w, n, "%s: %s: %s", key, s, strerror(errno));
	l->cfg->notify_exec = arena_strdup(l->w.arena, s);
}

static void
f_webhook(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct loader *l = loader_of(w);
	(void)obj;
	l->cfg->notify_webhook = yw_url(w, key, n);
}

static void
f_notify_timeout(struct yamlwalk *w, const char *key, yaml_node_t *n,
    void *obj)
{
	(void)obj;
	yw_duration(w, key, n, 1000, 300000, &loader_of(w)->cfg->notify_timeout_ms);
}

static void
f_notify_repeat(struct yamlwalk *w, const char *key, yaml_node_t *n,
    void *obj)
{
	(void)obj;
	yw_duration(w, key, n, 60000, 7 * 86400000ULL,
	    &loader_of(w)->cfg->notify_repeat_ms);
}

static const struct yw_field notify_fields[] = {
	{ "exec", f_exec },
	{ "webhook", f_webhook },
	{ "timeout", f_notify_timeout },
	{ "repeat", f_notify_repeat },
};

static void
f_notify(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	yw_map(w, key, n, notify_fields, NELEM(notify_fields), obj);
}

static void
f_canaries(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct loader *l = loader_of(w);
	yaml_node_t **it = NULL;
	const char **v;
	size_t cnt, i, nv = 0;

	(void)obj;
	if (yw_is_null(n))
		return;
	cnt = yw_items(w, key, n, &it);
	v = arena_alloc(l->w.arena, (cnt ? cnt : 1) * sizeof(*v));
	for (i = 0; i < cnt; i++)
		if ((v[nv] = yw_url(w, key, it[i])) != NULL)
			nv++;
	free(it);
	l->cfg->canaries = v;
	l->cfg->ncanaries = nv;
}

static const struct yw_field top_fields[] = {
	{ "dns", f_stash },
	{ "defaults", f_stash },
	{ "sites", f_stash },
	{ "state_file", f_state_file },
	{ "max_parallel", f_max_parallel },
	{ "notify", f_notify },
	{ "metrics_file", f_metrics_file },
	{ "canaries", f_canaries },
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
	yw_map(&l->w, "top level", root, top_fields, NELEM(top_fields), NULL);
	dns_builtin(&l->dns);
	if (l->n_dns != NULL)
		yw_map(&l->w, "dns", l->n_dns, dns_fields, NELEM(dns_fields),
		    &l->dns);
	dns_finish(l, &l->dns, l->n_dns ? l->n_dns : root);
	l->cfg->dns = l->dns.conf;
	opts_builtin(&l->defaults);
	if (l->n_defaults != NULL) {
		yw_map(&l->w, "defaults", l->n_defaults, defaults_fields,
		    NELEM(defaults_fields), &l->defaults);
		/* keys that do not fit defaults' type are an error only
		 * when that type is written next to them */
		if (l->defaults.n_type != NULL)
			check_keys_fit(l, &l->defaults);
		opts_check(l, &l->defaults);
	}
	if (l->n_sites == NULL)
		yw_error(&l->w, root, "\"sites\" is required (the list of sites to "
		    "monitor)");
	else
		sites_load(l, l->n_sites);
}

static void
loader_clear(struct loader *l, struct config *cfg)
{
	size_t i;

	/* the key files that loaded belong to the config from here on */
	cfg->keyfiles = xcalloc(l->nkf ? l->nkf : 1, sizeof(struct keyfile *));
	for (i = 0; i < l->nkf; i++) {
		free(l->kf_paths[i]);
		if (l->kf[i] != NULL)
			cfg->keyfiles[cfg->nkeyfiles++] = l->kf[i];
	}
	free(l->kf_paths);
	free(l->kf);
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
