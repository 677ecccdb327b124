/*
 * mirror.c: the copy of the votes zone (mirror.h): entries by owner with
 * an open addressing index, transfers taken in, and the file `check`
 * keeps it in between runs.
 *
 * The file, one record a line, every byte of a name or string that is
 * not printable ASCII (and '"', '\') escaped as \xHH or \" \\:
 *
 *	dnsfailover-votes 1
 *	zone votes.example.com
 *	serial 2026120201		("serial none": not synced)
 *	rr SEEN_MS "OWNER" ok|bad "STRING" ...
 *	end
 *
 * An owner with several RRs has several rr lines, with the same SEEN_MS.
 * The "end" line tells a whole file from a cut one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mirror.h"
#include "util.h"

#define MIRROR_MAGIC	"dnsfailover-votes"
#define MIRROR_VERSION	1
#define NONE		((size_t)-1)

/* ---- entries and the index ---- */

void
mirror_init(struct mirror *m, const char *zone)
{
	size_t len;

	memset(m, 0, sizeof(*m));
	str_copy(m->zone, zone, sizeof(m->zone));
	len = strlen(m->zone);
	if (len > 0 && m->zone[len - 1] == '.')
		m->zone[len - 1] = '\0';
	str_lower(m->zone);
}

static void
entry_clear(struct mirror_entry *e)
{
	size_t i;

	for (i = 0; i < e->nrr; i++)
		vote_txt_clear(&e->rr[i]);
	free(e->rr);
	free(e->owner);
	memset(e, 0, sizeof(*e));
}

/* Everything freed; what is left is an empty, unsynced copy of the same
 * zone. */
void
mirror_clear(struct mirror *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		entry_clear(&m->e[i]);
	free(m->e);
	free(m->slot);
	m->e = NULL;
	m->slot = NULL;
	m->n = m->cap = m->nslot = 0;
	m->synced = false;
	m->serial = 0;
}

/* FNV-1a, as state.c's index. */
static size_t
owner_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (size_t)h;
}

static void
index_put(struct mirror *m, size_t i)
{
	size_t k = owner_hash(m->e[i].owner) & (m->nslot - 1);

	while (m->slot[k] != 0)
		k = (k + 1) & (m->nslot - 1);
	m->slot[k] = i + 1;
}

/* At most half full, so that a probe always ends at an empty slot. */
static void
reindex(struct mirror *m)
{
	size_t i, n = 16;

	while (n < 2 * m->n + 2)
		n *= 2;
	free(m->slot);
	m->slot = xcalloc(n, sizeof(*m->slot));
	m->nslot = n;
	for (i = 0; i < m->n; i++)
		index_put(m, i);
}

static size_t
find(const struct mirror *m, const char *owner)
{
	size_t k, i;

	if (m->nslot == 0)
		return NONE;
	for (k = owner_hash(owner) & (m->nslot - 1); m->slot[k] != 0;
	    k = (k + 1) & (m->nslot - 1)) {
		i = m->slot[k] - 1;
		if (strcmp(m->e[i].owner, owner) == 0)
			return i;
	}
	return NONE;
}

/* A new entry without RRs; the caller knows owner is not there yet. */
static struct mirror_entry *
entry_add(struct mirror *m, const char *owner)
{
	struct mirror_entry *e;

	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 16;
		m->e = xreallocarray(m->e, m->cap, sizeof(*m->e));
	}
	e = &m->e[m->n++];
	memset(e, 0, sizeof(*e));
	e->owner = xstrdup(owner);
	if (2 * m->n + 2 > m->nslot)
		reindex(m);
	else
		index_put(m, m->n - 1);
	return e;
}

/* Drops the entries left without RRs. */
static void
compact(struct mirror *m)
{
	size_t i, k = 0;

	for (i = 0; i < m->n; i++)
		if (m->e[i].nrr > 0)
			m->e[k++] = m->e[i];
		else
			entry_clear(&m->e[i]);
	if (k != m->n) {
		m->n = k;
		reindex(m);
	}
}

const struct mirror_entry *
mirror_get(const struct mirror *m, const char *owner)
{
	size_t i = find(m, owner);

	return i == NONE ? NULL : &m->e[i];
}

const struct vote_txt *
mirror_txt(const struct mirror *m, const char *owner)
{
	const struct mirror_entry *e = mirror_get(m, owner);

	if (e == NULL || e->nrr != 1 || e->rr[0].bad)
		return NULL;
	return &e->rr[0];
}

/* ---- transfers ---- */

static size_t
rr_find(const struct mirror_entry *e, const struct vote_txt *t)
{
	size_t i;

	for (i = 0; i < e->nrr; i++)
		if (vote_txt_equal(&e->rr[i], t))
			return i;
	return NONE;
}

/* Adds t unless it is there (an RRset is a set); whether it did. */
static bool
rr_add(struct mirror_entry *e, const struct vote_txt *t)
{
	if (rr_find(e, t) != NONE)
		return false;
	e->rr = xreallocarray(e->rr, e->nrr + 1, sizeof(*e->rr));
	vote_txt_copy(&e->rr[e->nrr++], t);
	return true;
}

static bool
rr_del(struct mirror_entry *e, const struct vote_txt *t)
{
	size_t i = rr_find(e, t);

	if (i == NONE)
		return false;
	vote_txt_clear(&e->rr[i]);
	e->rr[i] = e->rr[--e->nrr];
	return true;
}

/* Both sets hold the same RRs, in any order (neither repeats one). */
static bool
rrs_same(const struct mirror_entry *a, const struct mirror_entry *b)
{
	size_t i;

	if (a->nrr != b->nrr)
		return false;
	for (i = 0; i < a->nrr; i++)
		if (rr_find(b, &a->rr[i]) == NONE)
			return false;
	return true;
}

/*
 * The changes in order; an owner whose RRs a change really changes gets
 * now_ms (a delete of an RR that is not there, or an add of one that
 * is, changes nothing).  Names outside the zone are not ours to keep.
 */
static void
apply_changes(struct mirror *m, const struct xfr_result *r, int64_t now_ms)
{
	const struct xfr_change *c;
	struct mirror_entry *e;
	size_t i, k;

	for (i = 0; i < r->n; i++) {
		c = &r->c[i];
		if (c->owner == NULL || !dname_within(c->owner, m->zone))
			continue;
		k = find(m, c->owner);
		if (c->add) {
			e = k == NONE ? entry_add(m, c->owner) : &m->e[k];
			if (rr_add(e, &c->txt))
				e->seen_ms = now_ms;
		} else if (k != NONE && rr_del(&m->e[k], &c->txt))
			m->e[k].seen_ms = now_ms;
	}
	compact(m);
}

static void
apply_full(struct mirror *m, const struct xfr_result *r, int64_t now_ms)
{
	struct mirror nm;
	struct mirror_entry *e;
	size_t i, k;

	mirror_init(&nm, m->zone);
	apply_changes(&nm, r, 0);
	for (i = 0; i < nm.n; i++) {
		e = &nm.e[i];
		k = find(m, e->owner);
		if (k != NONE && rrs_same(&m->e[k], e))
			e->seen_ms = m->e[k].seen_ms;
		else
			e->seen_ms = m->synced ? now_ms : 0;
	}
	mirror_clear(m);
	*m = nm;
}

void
mirror_apply(struct mirror *m, const struct xfr_result *r, int64_t now_ms)
{
	switch (r->kind) {
	case XFR_UPTODATE:
		/* only an answer to a serial we had */
		if (!m->synced)
			return;
		break;
	case XFR_INCREMENTAL:
		apply_changes(m, r, now_ms);
		break;
	case XFR_FULL:
		apply_full(m, r, now_ms);
		break;
	}
	m->synced = true;
	m->serial = r->serial;
}

/* ---- the file ---- */

static void
put_quoted(FILE *fp, const char *s)
{
	const unsigned char *p;

	fputc('"', fp);
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p == '"' || *p == '\\')
			fprintf(fp, "\\%c", *p);
		else if (*p < 0x20 || *p > 0x7e)
			fprintf(fp, "\\x%02x", *p);
		else
			fputc(*p, fp);
	fputc('"', fp);
}

static void
fill(FILE *fp, const void *arg)
{
	const struct mirror *m = arg;
	const struct mirror_entry *e;
	size_t i, j, k;

	fprintf(fp, "%s %d\nzone %s\n", MIRROR_MAGIC, MIRROR_VERSION,
	    m->zone);
	if (m->synced)
		fprintf(fp, "serial %lu\n", (unsigned long)m->serial);
	else
		fprintf(fp, "serial none\n");
	for (i = 0; i < m->n; i++) {
		e = &m->e[i];
		for (j = 0; j < e->nrr; j++) {
			fprintf(fp, "rr %lld ", (long long)e->seen_ms);
			put_quoted(fp, e->owner);
			fputs(e->rr[j].bad ? " bad" : " ok", fp);
			for (k = 0; k < e->rr[j].n; k++) {
				fputc(' ', fp);
				put_quoted(fp, e->rr[j].s[k]);
			}
			fputc('\n', fp);
		}
	}
	fputs("end\n", fp);
}

/* A cache: a crash that loses it costs a full transfer, so no fsync. */
int
mirror_save(const char *path, const struct mirror *m)
{
	return file_replace(path, 0600, FILE_DIR_OWNER, fill, m);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * The quoted string at *pp (as put_quoted writes it) into a malloc'd
 * *out, *pp moved past it; NULL or the reason it is damaged.
 */
static const char *
get_quoted(const char **pp, char **out, size_t *outlen)
{
	const char *p = *pp;
	char *buf, *o;
	int hi, lo;

	if (*p != '"')
		return "a string not in quotes";
	o = buf = xmalloc(strlen(p) + 1);
	for (p++; *p != '"'; p++) {
		if (*p == '\0') {
			free(buf);
			return "a string without its closing quote";
		}
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e) {
			free(buf);
			return "a byte that should be escaped";
		}
		if (*p != '\\') {
			*o++ = *p;
			continue;
		}
		p++;
		if (*p == '"' || *p == '\\')
			*o++ = *p;
		else if (*p == 'x' && (hi = hexval(p[1])) >= 0 &&
		    (lo = hexval(p[2])) >= 0 && (hi | lo) != 0) {
			*o++ = (char)(hi << 4 | lo);
			p += 2;
		} else {
			free(buf);
			return "a bad escape";
		}
	}
	*o = '\0';
	*pp = p + 1;
	*out = buf;
	*outlen = (size_t)(o - buf);
	return NULL;
}

/* "rr SEEN_MS "OWNER" ok|bad "STRING"...": into m; NULL or what is
 * wrong. */
static const char *
load_rr(struct mirror *m, const char *p)
{
	char num[24], e[PARSE_ERRLEN], *owner = NULL, *s;
	unsigned long long seen;
	struct vote_txt t;
	struct mirror_entry *en;
	const char *why = NULL;
	size_t n, len, k;

	memset(&t, 0, sizeof(t));
	n = strcspn(p, " ");
	if (n == 0 || n >= sizeof(num) || p[n] != ' ')
		return "no seen time";
	memcpy(num, p, n);
	num[n] = '\0';
	if (parse_uint(num, 0, INT64_MAX, &seen, e, sizeof(e)) == -1)
		return "a bad seen time";
	p += n + 1;
	if ((why = get_quoted(&p, &owner, &len)) != NULL)
		return why;
	if (len == 0 || !dname_within(owner, m->zone))
		why = "an owner not in the zone";
	else if (strncmp(p, " ok", 3) == 0 || strncmp(p, " bad", 4) == 0) {
		t.bad = p[1] == 'b';
		p += t.bad ? 4 : 3;
	} else
		why = "no ok or bad after the owner";
	while (why == NULL && *p != '\0') {
		if (*p++ != ' ')
			why = "junk between strings";
		else if ((why = get_quoted(&p, &s, &len)) == NULL) {
			vote_txt_add(&t, s, len);
			free(s);
		}
	}
	if (why == NULL) {
		if ((k = find(m, owner)) == NONE) {
			en = entry_add(m, owner);
			en->seen_ms = (int64_t)seen;
		} else
			en = &m->e[k];
		if (en->seen_ms != (int64_t)seen)
			why = "another seen time for the same owner";
		else if (!rr_add(en, &t))
			why = "the same RR twice";
	}
	vote_txt_clear(&t);
	free(owner);
	return why;
}

/* The header lines: NULL, or what is wrong (in err, for the zone). */
static const char *
load_head(struct mirror *m, size_t line, const char *p, char *buf,
    size_t size)
{
	unsigned long long v;
	char e[PARSE_ERRLEN], show[128];
	size_t n = strlen(MIRROR_MAGIC);

	switch (line) {
	case 1:
		if (strncmp(p, MIRROR_MAGIC " ", n + 1) != 0)
			return "not a copy of a votes zone";
		if (parse_uint(p + n + 1, 0, 1000, &v, e, sizeof(e)) == -1)
			return "a bad version";
		if (v != MIRROR_VERSION) {
			snprintf(buf, size, "version %llu; this dnsfailover "
			    "reads version %d", v, MIRROR_VERSION);
			return buf;
		}
		return NULL;
	case 2:
		if (strncmp(p, "zone ", 5) != 0)
			return "no zone";
		if (strcmp(p + 5, m->zone) != 0) {
			str_escape(show, p + 5, sizeof(show));
			snprintf(buf, size, "a copy of zone %s, not %s", show,
			    m->zone);
			return buf;
		}
		return NULL;
	default:
		if (strncmp(p, "serial ", 7) != 0)
			return "no serial";
		if (strcmp(p + 7, "none") == 0)
			return NULL;
		if (parse_uint(p + 7, 0, UINT32_MAX, &v, e, sizeof(e)) == -1)
			return "a bad serial";
		m->synced = true;
		m->serial = (uint32_t)v;
		return NULL;
	}
}

/* The file's text (NUL-terminated, len octets; changed in place) into
 * m; -1 with the line and what is wrong. */
static int
load_text(struct mirror *m, char *text, size_t len, char *err,
    size_t errlen)
{
	char buf[2 * PARSE_ERRLEN + 64], *p = text, *nl;
	const char *why = NULL;
	size_t line = 0;
	bool end = false;

	while (why == NULL && p < text + len) {
		line++;
		if ((nl = memchr(p, '\n', (size_t)(text + len - p))) == NULL) {
			why = "cut short (no newline)";
			break;
		}
		*nl = '\0';
		if (strlen(p) != (size_t)(nl - p))
			why = "a NUL byte";
		else if (end)
			why = "text after the end line";
		else if (line <= 3)
			why = load_head(m, line, p, buf, sizeof(buf));
		else if (strcmp(p, "end") == 0)
			end = true;
		else if (strncmp(p, "rr ", 3) == 0)
			why = load_rr(m, p + 3);
		else
			why = "not an rr line";
		p = nl + 1;
	}
	if (why == NULL && !end) {
		line++;
		why = "cut short (no end line)";
	}
	if (why == NULL)
		return 0;
	snprintf(err, errlen, "line %zu: %s", line, why);
	return -1;
}

int
mirror_load(const char *path, const char *zone, struct mirror *m,
    char *err, size_t errlen)
{
	char *text;
	size_t len;
	int rc;

	mirror_init(m, zone);
	if (file_read(path, &text, &len) == -1) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	rc = load_text(m, text, len, err, errlen);
	free(text);
	if (rc == -1)
		mirror_clear(m);
	return rc;
}
