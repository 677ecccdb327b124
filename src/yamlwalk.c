/*
 * yamlwalk.c: checked access to the nodes of a libyaml document.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "log.h"
#include "parse.h"
#include "yamlwalk.h"

/* ---- messages and nodes ---- */

void
yw_error(struct yamlwalk *w, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(w->diags, DIAG_ERROR, w->path, n->start_mark.line + 1,
	    n->start_mark.column + 1, fmt, ap);
	va_end(ap);
}

void
yw_warning(struct yamlwalk *w, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(w->diags, DIAG_WARNING, w->path, n->start_mark.line + 1,
	    n->start_mark.column + 1, fmt, ap);
	va_end(ap);
}

yaml_node_t *
yw_node(struct yamlwalk *w, int i)
{
	return yaml_document_get_node(w->doc, i);
}

const char *
yw_kind(const yaml_node_t *n)
{
	if (n->type == YAML_MAPPING_NODE)
		return "a mapping";
	if (n->type == YAML_SEQUENCE_NODE)
		return "a list";
	return "a value";
}

const char *
yw_str(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

bool
yw_is_null(const yaml_node_t *n)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };
	size_t i;

	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	for (i = 0; i < NELEM(nulls); i++)
		if (strcmp(yw_str(n), nulls[i]) == 0)
			return true;
	return false;
}

/* The scalar text of n, or NULL after reporting why there is none. */
const char *
yw_scalar(struct yamlwalk *w, const char *key, yaml_node_t *n)
{
	if (n->type != YAML_SCALAR_NODE) {
		yw_error(w, n, "%s: expected a single value, got %s", key, yw_kind(n));
		return NULL;
	}
	if (yw_is_null(n)) {
		yw_error(w, n, "%s: a value is required", key);
		return NULL;
	}
	if (strlen(yw_str(n)) != n->data.scalar.length) {
		yw_error(w, n, "%s: contains a NUL character", key);
		return NULL;
	}
	return yw_str(n);
}

/* A string without control characters (headers, paths, messages). */
const char *
yw_text(struct yamlwalk *w, const char *key, yaml_node_t *n)
{
	const char *s = yw_scalar(w, key, n), *p;

	if (s == NULL)
		return NULL;
	for (p = s; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			yw_error(w, n, "%s: contains a control character", key);
			return NULL;
		}
	}
	return s;
}

/* Items of a list, or the node itself when one scalar is given. */
size_t
yw_items(struct yamlwalk *w, const char *key, yaml_node_t *n,
    yaml_node_t ***out)
{
	yaml_node_item_t *it;
	yaml_node_t **v;
	size_t i = 0, cnt;

	if (n->type == YAML_MAPPING_NODE) {
		yw_error(w, n, "%s: expected a list, got a mapping", key);
		return 0;
	}
	if (n->type == YAML_SCALAR_NODE) {
		v = xcalloc(1, sizeof(*v));
		v[0] = n;
		*out = v;
		return 1;
	}
	cnt = (size_t)(n->data.sequence.items.top -
	    n->data.sequence.items.start);
	if (cnt > YW_MAX_LIST) {
		yw_error(w, n, "%s: more than %d items", key, YW_MAX_LIST);
		return 0;
	}
	v = xcalloc(cnt, sizeof(*v));
	for (it = n->data.sequence.items.start;
	    it < n->data.sequence.items.top; it++)
		v[i++] = yw_node(w, *it);
	*out = v;
	return cnt;
}

/* ---- typed values ---- */

bool
yw_uint(struct yamlwalk *w, const char *key, yaml_node_t *n,
    unsigned long long min, unsigned long long max, unsigned *out)
{
	const char *s = yw_scalar(w, key, n);
	char err[PARSE_ERRLEN];
	unsigned long long v;

	if (s == NULL)
		return false;
	if (parse_uint(s, min, max, &v, err, sizeof(err)) == -1) {
		yw_error(w, n, "%s: %s", key, err);
		return false;
	}
	*out = (unsigned)v;
	return true;
}

bool
yw_duration(struct yamlwalk *w, const char *key, yaml_node_t *n,
    uint64_t min, uint64_t max, uint64_t *out)
{
	const char *s = yw_scalar(w, key, n);
	char err[PARSE_ERRLEN], lo[32], hi[32];
	uint64_t v;

	if (s == NULL)
		return false;
	if (parse_duration(s, &v, err, sizeof(err)) == -1) {
		yw_error(w, n, "%s: %s", key, err);
		return false;
	}
	if (v < min || v > max) {
		format_duration(min, lo, sizeof(lo));
		format_duration(max, hi, sizeof(hi));
		yw_error(w, n, "%s: %s is out of range (%s..%s)", key, s, lo, hi);
		return false;
	}
	*out = v;
	return true;
}

bool
yw_bool(struct yamlwalk *w, const char *key, yaml_node_t *n, bool *out)
{
	const char *s = yw_scalar(w, key, n);
	char err[PARSE_ERRLEN];

	if (s == NULL)
		return false;
	if (parse_bool(s, out, err, sizeof(err)) == -1) {
		yw_error(w, n, "%s: %s", key, err);
		return false;
	}
	return true;
}

int
yw_enum(struct yamlwalk *w, const char *key, yaml_node_t *n,
    const char *const *names, size_t nnames)
{
	const char *s = yw_scalar(w, key, n);
	char list[256];
	size_t i, off = 0;

	if (s == NULL)
		return -1;
	for (i = 0; i < nnames; i++)
		if (strcasecmp(s, names[i]) == 0)
			return (int)i;
	list[0] = '\0';
	for (i = 0; i < nnames && off < sizeof(list); i++)
		off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s",
		    i ? ", " : "", names[i]);
	yw_error(w, n, "%s: \"%s\" is not one of: %s", key, s, list);
	return -1;
}

const char *
yw_dname(struct yamlwalk *w, const char *key, yaml_node_t *n, int flags)
{
	char norm[DNAME_MAXLEN + 2], err[PARSE_ERRLEN];
	const char *s = yw_scalar(w, key, n);

	if (s == NULL)
		return NULL;
	if (parse_dname(s, flags, norm, err, sizeof(err)) == -1) {
		yw_error(w, n, "%s: %s", key, err);
		return NULL;
	}
	return arena_strdup(w->arena, norm);
}

/* A file path, made absolute against the directory of sitelist.yaml. */
const char *
yw_path(struct yamlwalk *w, const char *key, yaml_node_t *n)
{
	const char *s = yw_text(w, key, n);
	char *p;
	const char *r;

	if (s == NULL)
		return NULL;
	p = path_resolve(w->path, s);
	r = arena_strdup(w->arena, p);
	free(p);
	return r;
}

const char *
yw_url(struct yamlwalk *w, const char *key, yaml_node_t *n)
{
	const char *s = yw_text(w, key, n);
	char *scheme = NULL, *host = NULL;
	const char *r = NULL;
	CURLU *u;

	if (s == NULL)
		return NULL;
	if ((u = curl_url()) == NULL)
		fatalx("out of memory");
	if (curl_url_set(u, CURLUPART_URL, s, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		yw_error(w, n, "%s: invalid URL \"%s\"", key, s);
	else if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)
		yw_error(w, n, "%s: URL \"%s\" must use http or https", key, s);
	else
		r = arena_strdup(w->arena, s);
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return r;
}

/* ---- mappings ---- */

/* A scalar key of a mapping and where it stands, for first_keys(). */
struct keyref {
	const char	*key;
	size_t		 pair;
};

static int
keyref_cmp(const void *pa, const void *pb)
{
	const struct keyref *a = pa, *b = pb;
	int c = strcmp(a->key, b->key);

	if (c != 0)
		return c;
	return a->pair < b->pair ? -1 : a->pair > b->pair;
}

/*
 * For each pair of map, the index of the first pair with the same scalar
 * key (itself when it is the first or its key is not a scalar).  Sorted,
 * not compared pair by pair: a mapping may be as large as the file.
 */
static size_t *
first_keys(struct yamlwalk *w, const yaml_node_t *map, size_t n)
{
	struct keyref *v = xcalloc(n ? n : 1, sizeof(*v));
	size_t *first = xcalloc(n ? n : 1, sizeof(*first));
	yaml_node_t *k;
	size_t i, nv = 0;

	for (i = 0; i < n; i++) {
		first[i] = i;
		k = yw_node(w, map->data.mapping.pairs.start[i].key);
		if (k->type == YAML_SCALAR_NODE) {
			v[nv].key = yw_str(k);
			v[nv++].pair = i;
		}
	}
	qsort(v, nv, sizeof(*v), keyref_cmp);
	for (i = 1; i < nv; i++)
		if (strcmp(v[i].key, v[i - 1].key) == 0)
			first[v[i].pair] = first[v[i - 1].pair];
	free(v);
	return first;
}

static void
unknown_key(struct yamlwalk *w, yaml_node_t *key, const struct yw_field *f,
    size_t nf)
{
	size_t i, d, best = (size_t)-1, bi = 0, off = 0, max;
	char list[512];

	for (i = 0; i < nf; i++) {
		d = str_distance(yw_str(key), f[i].name);
		if (d < best) {
			best = d;
			bi = i;
		}
	}
	max = strlen(f[bi].name) >= 5 ? 2 : 1;
	if (best <= max) {
		yw_error(w, key, "unknown key \"%s\", did you mean \"%s\"?",
		    yw_str(key), f[bi].name);
		return;
	}
	list[0] = '\0';
	for (i = 0; i < nf && off < sizeof(list); i++)
		off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s",
		    i ? ", " : "", f[i].name);
	yw_error(w, key, "unknown key \"%s\" (expected one of: %s)", yw_str(key),
	    list);
}

/* A typed row's value into obj; false after reporting what is wrong. */
static bool
take(struct yamlwalk *w, const struct yw_field *f, yaml_node_t *n,
    void *obj)
{
	char *at = (char *)obj + f->off, err[PARSE_ERRLEN];
	unsigned long long v;
	const char *s;

	switch (f->type) {
	case YW_ENUM:
		if ((v = (unsigned long long)yw_enum(w, f->name, n, f->sub,
		    f->nsub)) >= f->nsub)
			return false;
		*(int *)at = (int)v;
		return true;
	case YW_MAP:
		yw_map(w, f->name, n, f->sub, f->nsub, at);
		return true;
	case YW_UINT:
		return yw_uint(w, f->name, n, f->min, f->max, (unsigned *)at);
	case YW_MS:
		return yw_duration(w, f->name, n, f->min, f->max,
		    (uint64_t *)at);
	case YW_BOOL:
		return yw_bool(w, f->name, n, (bool *)at);
	case YW_TEXT:
		if (yw_is_null(n))
			return false;	/* none: stays empty */
		if ((s = yw_scalar(w, f->name, n)) == NULL)
			return false;
		str_copy_whole(at, s, (size_t)f->max);
		return true;
	default:
		break;
	}
	if ((s = yw_scalar(w, f->name, n)) == NULL)
		return false;
	if (parse_uint(s, f->min, f->max, &v, err, sizeof(err)) == -1) {
		yw_error(w, n, "%s: %s", f->name, err);
		return false;
	}
	if (f->type == YW_TIME)
		*(time_t *)at = (time_t)v;
	else
		*(uint64_t *)at = v;
	return true;
}

static void
field(struct yamlwalk *w, const struct yw_field *f, yaml_node_t *n,
    void *obj)
{
	if (f->type == YW_FN)
		f->fn(w, f->name, n, obj);
	else if (take(w, f, n, obj)) {
		if (f->seen >= 0)
			*(bool *)((char *)obj + f->seen) = true;
		if (f->node >= 0)
			*(yaml_node_t **)(void *)((char *)obj + f->node) = n;
	}
}

void
yw_map(struct yamlwalk *w, const char *what, yaml_node_t *map,
    const struct yw_field *f, size_t nf, void *obj)
{
	yaml_node_pair_t *pairs;
	yaml_node_t *k;
	size_t i, j, n, *first;

	if (map->type != YAML_MAPPING_NODE) {
		yw_error(w, map, "%s: expected a mapping, got %s", what,
		    yw_is_null(map) ? "nothing" : yw_kind(map));
		return;
	}
	pairs = map->data.mapping.pairs.start;
	n = (size_t)(map->data.mapping.pairs.top - pairs);
	first = first_keys(w, map, n);
	for (j = 0; j < n; j++) {
		k = yw_node(w, pairs[j].key);
		if (k->type != YAML_SCALAR_NODE) {
			yw_error(w, k, "keys must be plain names, not %s",
			    yw_kind(k));
			continue;
		}
		if (first[j] != j) {
			yw_error(w, k, "duplicate key \"%s\" (first at line %zu)",
			    yw_str(k),
			    yw_node(w, pairs[first[j]].key)->start_mark.line + 1);
			continue;
		}
		for (i = 0; i < nf; i++)
			if (strcmp(yw_str(k), f[i].name) == 0)
				break;
		if (i == nf)
			unknown_key(w, k, f, nf);
		else
			field(w, &f[i], yw_node(w, pairs[j].value), obj);
	}
	free(first);
}
