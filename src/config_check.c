/*
 * config_check.c: the check: section of sitelist.yaml -> struct check_spec.
 *
 * A check: mapping is walked with one row per key (config_check_fields);
 * plain values are rows of the schema, the rest have a handler.  What was
 * written at a level keeps its node, so that keys of a level which
 * contradict each other, or do not apply to its type, are reported where
 * they are written.  config.c layers the levels (built-in, "defaults",
 * a site) and calls the checks on the effective one.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <ldns/ldns.h>
#include <yaml.h>

#include "config.h"
#define CONFIG_CHECK_ROWS	/* defined here, counted below */
#include "config_load.h"
#include "util.h"
#include "yamlwalk.h"

static const char *const check_types[] = { "http", "https", "tcp", "dns",
    "exec" };
static const char *const methods[] = { "GET", "HEAD" };

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
f_port(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct check_layer *c = obj;
	unsigned v;

	if (yw_is_null(n))
		c->port_set = false;
	else if (yw_uint(w, key, n, 1, 65535, &v)) {
		c->spec.port = (uint16_t)v;
		c->port_set = true;
	}
}

static void
f_path(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct check_layer *c = obj;
	const char *s = yw_text(w, key, n);

	if (s == NULL)
		return;
	if (s[0] != '/' || strpbrk(s, " #") != NULL) {
		yw_error(w, n, "%s: \"%s\" must start with '/' and contain no "
		    "spaces or '#'", key, s);
		return;
	}
	c->spec.http.path = arena_strdup(w->arena, s);
}

static void
f_host(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct check_layer *c = obj;
	const char *s;

	if (yw_is_null(n))
		c->spec.host = NULL;
	else if ((s = yw_dname(w, key, n, 0)) != NULL)
		c->spec.host = s;
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
header_add(struct yamlwalk *w, yaml_node_t *k, yaml_node_t *v,
    struct http_header *h, size_t nh)
{
	const char *name = yw_str(k), *value;
	size_t i;

	if (k->type != YAML_SCALAR_NODE || !header_name_ok(name)) {
		yw_error(w, k, "headers: invalid header name");
		return false;
	}
	if (strcasecmp(name, "Host") == 0) {
		yw_error(w, k, "headers: set the Host header with check.host, "
		    "which also sets TLS SNI");
		return false;
	}
	for (i = 0; i < nh; i++) {
		if (strcasecmp(h[i].name, name) == 0) {
			yw_error(w, k, "headers: \"%s\" is given twice", name);
			return false;
		}
	}
	if ((value = yw_text(w, name, v)) == NULL)
		return false;
	h[nh].name = arena_strdup(w->arena, name);
	h[nh].value = arena_strdup(w->arena, value);
	return true;
}

static void
f_headers(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct check_layer *c = obj;
	struct http_header *h;
	yaml_node_pair_t *p;
	size_t nh = 0, cnt;

	if (yw_is_null(n)) {
		c->spec.http.headers = NULL;
		c->spec.http.nheaders = 0;
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
	h = arena_alloc(w->arena, (cnt ? cnt : 1) * sizeof(*h));
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	    p++)
		if (header_add(w, yw_node(w, p->key), yw_node(w, p->value), h,
		    nh))
			nh++;
	c->spec.http.headers = h;
	c->spec.http.nheaders = nh;
}

static void
f_expect_status(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct check_layer *c = obj;
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
	r = arena_alloc(w->arena, cnt * sizeof(*r));
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
		c->spec.http.expect = r;
		c->spec.http.nexpect = nr;
	}
}

static void
f_expect_body(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct check_layer *c = obj;
	const char *s;

	c->n_body = n;
	if (yw_is_null(n))
		c->spec.http.expect_body = NULL;
	else if ((s = yw_scalar(w, key, n)) != NULL) {
		if (*s == '\0')
			yw_error(w, n, "%s: empty text (use null for no body "
			    "check)", key);
		else
			c->spec.http.expect_body = arena_strdup(w->arena, s);
	}
}

static void
f_body_limit(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct check_layer *c = obj;
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
		c->spec.http.body_limit = v;
		c->n_limit = n;
	}
}

static void
f_ca_file(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct check_layer *c = obj;
	const char *p;

	if (yw_is_null(n)) {
		c->spec.http.ca_file = NULL;
		return;
	}
	if ((p = yw_path(w, key, n)) == NULL)
		return;
	if (access(p, R_OK) == -1)
		yw_error(w, n, "%s: cannot read %s: %s", key, p, strerror(errno));
	else
		c->spec.http.ca_file = p;
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
	struct check_layer *c = obj;
	const char *v;
	size_t len;

	if (yw_is_null(n)) {
		c->spec.tcp.send = NULL;
		c->spec.tcp.nsend = 0;
	} else if ((v = bytes_value(w, key, n, &len)) != NULL) {
		c->spec.tcp.send = v;
		c->spec.tcp.nsend = len;
	}
}

static void
f_expect(struct yamlwalk *w, const char *key, yaml_node_t *n, void *obj)
{
	struct check_layer *c = obj;
	const char *v;
	size_t len;

	if (yw_is_null(n))
		c->spec.tcp.expect = NULL;
	else if ((v = bytes_value(w, key, n, &len)) == NULL)
		return;
	else if (len > c->spec.tcp.read_limit)
		yw_error(w, n, "%s: longer than the %zu bytes read looking for "
		    "it", key, c->spec.tcp.read_limit);
	else
		c->spec.tcp.expect = v;
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

static const struct yw_field query_fields[] = {
	YW_KEY("name", f_q_name),
	YW_KEY("type", f_q_type),
	YW_KEY("expect", f_q_expect),
	YW_VAL("tcp", YW_BOOL, struct query_layer, q.tcp, 0, 1),
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
	struct check_layer *c = obj;
	struct query_layer ql;

	c->n_query = n;
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
		c->spec.dns = ql.q;
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
	struct check_layer *c = obj;
	yaml_node_t **it = NULL;
	const char **argv;
	size_t cnt, i, bad = 0;

	c->n_command = n;
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
		c->spec.exec.argv = argv;
		c->spec.exec.argc = cnt;
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
	struct check_layer *c = obj;
	uint64_t ms;

	if (yw_is_null(n))
		c->spec.http.cert_warn_ms = 0;
	else if (cert_warn_parse(w, key, n, &ms) == 0)
		c->spec.http.cert_warn_ms = ms;
}

#define CL	struct check_layer
const struct yw_field config_check_fields[] = {
	YW_ENUM_NODE("type", CL, spec.type, check_types, n_type),
	YW_KEY("port", f_port),
	YW_KEY("path", f_path),
	YW_KEY("host", f_host),
	YW_ENUM_NODE("method", CL, spec.http.method, methods, n_method),
	YW_KEY("headers", f_headers),
	YW_KEY("expect_status", f_expect_status),
	YW_KEY("expect_body", f_expect_body),
	YW_KEY("body_limit", f_body_limit),
	YW_VAL_NODE("timeout", YW_MS, CL, spec.timeout_ms, 100, 300000,
	    n_timeout),
	YW_VAL("tls_verify", YW_BOOL, CL, spec.http.tls_verify, 0, 1),
	YW_KEY("ca_file", f_ca_file),
	YW_KEY("send", f_send),
	YW_KEY("expect", f_expect),
	YW_KEY("query", f_query),
	YW_KEY("command", f_command),
	YW_KEY("cert_warn", f_cert_warn),
};
#undef CL
_Static_assert(NELEM(config_check_fields) == CONFIG_CHECK_NFIELDS,
    "CONFIG_CHECK_NFIELDS is the count of config_check_fields");

/* ---- the check of a level ---- */

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
void
config_check_fit(struct yamlwalk *w, const struct check_layer *c,
    const yaml_node_t *map)
{
	unsigned want = T_(c->spec.type);
	yaml_node_pair_t *p;
	yaml_node_t *k;
	char types[64];
	size_t i;

	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return;
	for (p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++) {
		if ((k = yw_node(w, p->key))->type != YAML_SCALAR_NODE)
			continue;
		for (i = 0; i < NELEM(check_fit); i++)
			if (strcmp(check_fit[i].key, yw_str(k)) == 0)
				break;
		if (i == NELEM(check_fit) || (check_fit[i].accepted & want))
			continue;	/* unknown keys are reported by yw_map */
		types_list(check_fit[i].types, types, sizeof(types));
		yw_error(w, k, "\"%s\" does not apply to a check of type %s "
		    "(it is for: %s)", yw_str(k), check_types[c->spec.type],
		    types);
	}
}

void
config_check_complete(struct yamlwalk *w, const struct check_layer *c,
    yaml_node_t *map, yaml_node_t *site)
{
	yaml_node_t *at = c->n_type ? c->n_type : map ? map : site;

	/* a query or command given here and refused is reported already */
	if (c->spec.type == CHECK_DNS && c->spec.dns.name == NULL &&
	    c->n_query == NULL)
		yw_error(w, at, "check: type dns needs \"query\" (the name "
		    "and type to ask the address for)");
	if (c->spec.type == CHECK_EXEC && c->spec.exec.argv == NULL &&
	    c->n_command == NULL)
		yw_error(w, at, "check: type exec needs \"command\" (the "
		    "program to run, and its arguments, as a list)");
}

/*
 * A problem is reported at a node set at this level; when every key
 * involved was inherited it was reported where it was set, so a site is
 * not blamed for its defaults.
 */
void
config_check_conflicts(struct yamlwalk *w, const struct check_layer *c)
{
	const struct check_http *h = &c->spec.http;
	yaml_node_t *at;

	at = c->n_body ? c->n_body : c->n_method;
	if (!CHECK_IS_WEB(c->spec.type))
		at = NULL;	/* inherited http keys do not apply */
	if (at != NULL && h->expect_body != NULL && h->method == HTTP_HEAD)
		yw_error(w, at, "expect_body cannot be checked with method "
		    "HEAD (a HEAD response has no body)");
	at = c->n_body ? c->n_body : c->n_limit;
	if (CHECK_IS_WEB(c->spec.type) && at != NULL &&
	    h->expect_body != NULL && strlen(h->expect_body) > h->body_limit)
		yw_error(w, at, "expect_body is longer than body_limit (%llu "
		    "bytes)", (unsigned long long)h->body_limit);
}

void
config_check_builtin(struct check_layer *c)
{
	static const struct status_range ok = { 200, 399 };

	memset(c, 0, sizeof(*c));
	c->spec.type = CHECK_HTTP;
	c->spec.timeout_ms = 5000;
	c->spec.http.path = "/";
	c->spec.http.method = HTTP_GET;
	c->spec.http.expect = &ok;
	c->spec.http.nexpect = 1;
	c->spec.http.body_limit = 64 * 1024;
	c->spec.http.tls_verify = true;
	c->spec.tcp.read_limit = CHECK_TCP_READ_LIMIT;
	c->spec.dns.qtype = LDNS_RR_TYPE_A;
}

void
config_check_inherit(struct check_layer *dst, const struct check_layer *src)
{
	*dst = *src;
	dst->n_timeout = dst->n_method = dst->n_body = dst->n_limit = NULL;
	dst->n_type = dst->n_query = dst->n_command = NULL;
}

/* exec has no port unless one is given (0: none). */
struct check_spec
config_check_spec(const struct check_layer *c)
{
	static const uint16_t port[CHECK_NTYPES] = {
		[CHECK_HTTP] = 80, [CHECK_HTTPS] = 443, [CHECK_TCP] = 80,
		[CHECK_DNS] = 53, [CHECK_EXEC] = 0,
	};
	struct check_spec s = c->spec;

	if (!c->port_set)
		s.port = port[s.type];
	return s;
}
