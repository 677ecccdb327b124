/*
 * vote.c: the names and TXT records of the votes zone (vote.h).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ldns/sha2.h>

#include "util.h"
#include "vote.h"

void
vote_txt_add(struct vote_txt *t, const char *s, size_t len)
{
	char *c = xcalloc(len + 1, 1);

	memcpy(c, s, len);
	if (memchr(s, '\0', len) != NULL)
		t->bad = true;
	t->s = xreallocarray(t->s, t->n + 1, sizeof(*t->s));
	t->s[t->n++] = c;
}

void
vote_txt_clear(struct vote_txt *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->s[i]);
	free(t->s);
	memset(t, 0, sizeof(*t));
}

void
vote_txt_copy(struct vote_txt *dst, const struct vote_txt *src)
{
	size_t i;

	memset(dst, 0, sizeof(*dst));
	for (i = 0; i < src->n; i++)
		vote_txt_add(dst, src->s[i], strlen(src->s[i]));
	dst->bad = src->bad;
}

bool
vote_txt_equal(const struct vote_txt *a, const struct vote_txt *b)
{
	size_t i;

	if (a->n != b->n || a->bad != b->bad)
		return false;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->s[i], b->s[i]) != 0)
			return false;
	return true;
}

char *
vote_txt_rdata(const struct vote_txt *t)
{
	size_t i, len = 1;
	const unsigned char *p;
	char *out, *o;

	for (i = 0; i < t->n; i++)
		len += 3 + 4 * strlen(t->s[i]);
	o = out = xcalloc(len, 1);
	for (i = 0; i < t->n; i++) {
		if (i > 0)
			*o++ = ' ';
		*o++ = '"';
		for (p = (const unsigned char *)t->s[i]; *p != '\0'; p++) {
			if (*p == '"' || *p == '\\') {
				*o++ = '\\';
				*o++ = (char)*p;
			} else if (*p < 0x20 || *p > 0x7e)
				o += sprintf(o, "\\%03u", *p);
			else
				*o++ = (char)*p;
		}
		*o++ = '"';
	}
	*o = '\0';
	return out;
}

/* ---- names ---- */

static const char b32hex[] = "0123456789abcdefghijklmnopqrstuv";

/*
 * 10 octets are 80 bits, 16 digits of 5 bits exactly: no padding, and
 * a plain loop over a 64+16 bit accumulator would need care, so the bits
 * are taken one digit at a time from the octet string.
 */
void
vote_site_label(const char *site, char out[VOTE_LABEL_LEN + 1])
{
	unsigned char d[LDNS_SHA256_DIGEST_LENGTH];
	char name[DNAME_MAXLEN + 2];
	size_t len, i, bit;
	unsigned v;

	str_copy(name, site, sizeof(name));
	len = strlen(name);
	if (len > 0 && name[len - 1] == '.')
		name[--len] = '\0';
	str_lower(name);
	ldns_sha256((const unsigned char *)name, (unsigned)len, d);
	for (i = 0; i < VOTE_LABEL_LEN; i++) {
		bit = 5 * i;
		v = (unsigned)d[bit / 8] << 8 | d[bit / 8 + 1];
		out[i] = b32hex[(v >> (11 - bit % 8)) & 0x1f];
	}
	out[VOTE_LABEL_LEN] = '\0';
}

/* "a.b.c" lower case into buf, or -1 when it is no DNS name's length. */
static int
name_join(char *buf, size_t size, const char *a, const char *b,
    const char *zone)
{
	int n;

	if (b != NULL)
		n = snprintf(buf, size, "%s.%s.%s", a, b, zone);
	else
		n = snprintf(buf, size, "%s.%s", a, zone);
	if (n < 0 || (size_t)n >= size || n > DNAME_MAXLEN) {
		if (size > 0)
			buf[0] = '\0';
		return -1;
	}
	str_lower(buf);
	return 0;
}

int
vote_name_beat(const char *zone, const char *id, char *buf, size_t size)
{
	return name_join(buf, size, id, NULL, zone);
}

int
vote_name_view(const char *zone, const char *id, const char *site,
    char *buf, size_t size)
{
	char h[VOTE_LABEL_LEN + 1];

	vote_site_label(site, h);
	return name_join(buf, size, h, id, zone);
}

int
vote_name_hold(const char *zone, const char *site, char *buf, size_t size)
{
	char h[VOTE_LABEL_LEN + 1];

	vote_site_label(site, h);
	return name_join(buf, size, h, VOTE_HOLD_LABEL, zone);
}

/* A monitor id: [a-z0-9-]{1,63}, no '-' at either end. */
static bool
id_ok(const char *p, size_t n)
{
	size_t i;

	if (n == 0 || n > VOTE_ID_MAX || p[0] == '-' || p[n - 1] == '-')
		return false;
	for (i = 0; i < n; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') ||
		    (p[i] >= '0' && p[i] <= '9') || p[i] == '-'))
			return false;
	return true;
}

static bool
label_ok(const char *p, size_t n)
{
	size_t i;

	if (n != VOTE_LABEL_LEN)
		return false;
	for (i = 0; i < n; i++)
		if (!((p[i] >= '0' && p[i] <= '9') ||
		    (p[i] >= 'a' && p[i] <= 'v')))
			return false;
	return true;
}

enum vote_kind
vote_name_kind(const char *zone, const char *owner,
    char id[VOTE_ID_MAX + 1], char label[VOTE_LABEL_LEN + 1])
{
	size_t lo = strlen(owner), lz = strlen(zone), n;
	const char *dot;

	id[0] = label[0] = '\0';
	if (lo <= lz + 1 || !dname_within(owner, zone))
		return VOTE_OTHER;
	n = lo - lz - 1;		/* the labels above the zone */
	dot = memchr(owner, '.', n);
	if (dot == NULL) {
		if (!id_ok(owner, n))
			return VOTE_OTHER;
		memcpy(id, owner, n);
		id[n] = '\0';
		return VOTE_BEAT;
	}
	if (!label_ok(owner, (size_t)(dot - owner)))
		return VOTE_OTHER;
	owner = dot + 1;
	n -= VOTE_LABEL_LEN + 1;
	if (memchr(owner, '.', n) != NULL)
		return VOTE_OTHER;
	if (n == strlen(VOTE_HOLD_LABEL) &&
	    memcmp(owner, VOTE_HOLD_LABEL, n) == 0) {
		memcpy(label, dot - VOTE_LABEL_LEN, VOTE_LABEL_LEN);
		label[VOTE_LABEL_LEN] = '\0';
		return VOTE_HOLD;
	}
	if (!id_ok(owner, n))
		return VOTE_OTHER;
	memcpy(label, dot - VOTE_LABEL_LEN, VOTE_LABEL_LEN);
	label[VOTE_LABEL_LEN] = '\0';
	memcpy(id, owner, n);
	id[n] = '\0';
	return VOTE_VIEW;
}

const char *
vote_want_str(enum vote_want w)
{
	switch (w) {
	case VOTE_WANT_PRIMARY:
		return "primary";
	case VOTE_WANT_FAILOVER:
		return "failover";
	default:
		return "none";
	}
}

/* ---- TXT: writing ---- */

#define TXT_STRMAX	255	/* octets in a character-string */
/* a site name of DNAME_MAXLEN does not fit one string with "site=" */
#define SITE_CHUNK	(TXT_STRMAX - 5)

static void
put_kv(struct vote_txt *t, const char *key, const char *val)
{
	char buf[TXT_STRMAX + 1];
	int n = snprintf(buf, sizeof(buf), "%s=%s", key, val);

	if (n < 0)
		n = 0;
	vote_txt_add(t, buf, (size_t)n < sizeof(buf) ? (size_t)n :
	    sizeof(buf) - 1);
}

/* Text for people: at most max octets (never half a character), control
 * characters as '?', so that what is written reads back the same. */
static void
text_clean(char *dst, const char *src, size_t max)
{
	unsigned char *p;

	str_copy_whole(dst, src, max + 1);
	for (p = (unsigned char *)dst; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = '?';
}

/* "site=NAME", in several strings for a name too long for one (the
 * reader joins them). */
static void
put_site(struct vote_txt *t, const char *site)
{
	char buf[TXT_STRMAX + 1];
	size_t len = strlen(site), k;

	do {
		k = len > SITE_CHUNK ? SITE_CHUNK : len;
		snprintf(buf, sizeof(buf), "site=%.*s", (int)k, site);
		vote_txt_add(t, buf, 5 + k);
		site += k;
		len -= k;
	} while (len > 0);
}

void
vote_beat_txt(const struct vote_beat *b, struct vote_txt *t)
{
	char buf[64];

	vote_txt_clear(t);
	put_kv(t, "v", "1");
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)b->beat);
	put_kv(t, "beat", buf);
	time_rfc3339(b->at, buf, sizeof(buf));
	put_kv(t, "at", buf);
	snprintf(buf, sizeof(buf), "%u", b->every);
	put_kv(t, "every", buf);
}

/* "set=A,B,..." strings of at most 255 octets, split between addresses;
 * one "set=" for none. */
static void
put_set(struct vote_txt *t, const struct addr *a, size_t n)
{
	char buf[TXT_STRMAX + 1];
	size_t len = 4, i, k;

	memcpy(buf, "set=", 4);
	for (i = 0; i < n; i++) {
		k = strlen(a[i].text);
		if (len > 4 && len + 1 + k > TXT_STRMAX) {
			vote_txt_add(t, buf, len);
			len = 4;
		}
		if (len > 4)
			buf[len++] = ',';
		memcpy(buf + len, a[i].text, k);
		len += k;
	}
	vote_txt_add(t, buf, len);
}

void
vote_view_txt(const struct vote_view *v, struct vote_txt *t)
{
	char why[VOTE_WHY_MAX + 1];

	vote_txt_clear(t);
	put_kv(t, "v", "1");
	put_site(t, v->site);
	put_kv(t, "want", vote_want_str(v->want));
	put_set(t, v->set, v->nset);
	text_clean(why, v->why, VOTE_WHY_MAX);
	put_kv(t, "why", why);
}

void
vote_view_clear(struct vote_view *v)
{
	free(v->set);
	memset(v, 0, sizeof(*v));
}

void
vote_hold_txt(const struct vote_hold *h, struct vote_txt *t)
{
	char buf[VOTE_REASON_MAX + 1];

	vote_txt_clear(t);
	put_kv(t, "v", "1");
	put_site(t, h->site);
	put_kv(t, "side", vote_want_str(h->side));
	snprintf(buf, sizeof(buf), "%lld", (long long)h->until);
	put_kv(t, "until", buf);
	put_kv(t, "by", h->by);
	text_clean(buf, h->who, sizeof(h->who) - 1);
	put_kv(t, "who", buf);
	text_clean(buf, h->reason, VOTE_REASON_MAX);
	put_kv(t, "reason", buf);
}

/* ---- TXT: reading ---- */

/* A value for an error message: escaped, cut short. */
static const char *
show(const char *s, char *buf, size_t size)
{
	char tmp[41];

	str_copy_whole(tmp, s, sizeof(tmp));
	return str_escape(buf, tmp, size);
}

/* The checks every form shares: no NUL, "v=1" first. */
static int
txt_start(const struct vote_txt *t, char *err, size_t errlen)
{
	char b[128];

	if (t->bad) {
		snprintf(err, errlen, "a string holds a NUL octet");
		return -1;
	}
	if (t->n == 0 || strncmp(t->s[0], "v=", 2) != 0) {
		snprintf(err, errlen, "no v= first");
		return -1;
	}
	if (strcmp(t->s[0], "v=1") != 0) {
		snprintf(err, errlen, "version %s", show(t->s[0] + 2, b,
		    sizeof(b)));
		return -1;
	}
	return 0;
}

/*
 * String i split at its '=': *key (NUL-terminated copy into kbuf) and
 * *val; -1 for a string that is not key=value.
 */
static int
txt_kv(const struct vote_txt *t, size_t i, char *kbuf, size_t ksize,
    const char **val, char *err, size_t errlen)
{
	const char *eq = strchr(t->s[i], '=');
	char b[128];

	if (eq == NULL || eq == t->s[i]) {
		snprintf(err, errlen, "not key=value: \"%s\"", show(t->s[i],
		    b, sizeof(b)));
		return -1;
	}
	*val = eq + 1;
	if ((size_t)(eq - t->s[i]) >= ksize) {
		kbuf[0] = '\0';	/* longer than any we know */
		return 0;
	}
	memcpy(kbuf, t->s[i], (size_t)(eq - t->s[i]));
	kbuf[eq - t->s[i]] = '\0';
	*val = eq + 1;
	return 0;
}

/* A key seen twice (bit in *seen) is an error; returns -1 then. */
static int
once(unsigned *seen, unsigned bit, const char *key, char *err,
    size_t errlen)
{
	if (*seen & bit) {
		snprintf(err, errlen, "%s= twice", key);
		return -1;
	}
	*seen |= bit;
	return 0;
}

static int
get_u64(const char *key, const char *val, uint64_t max, uint64_t *out,
    char *err, size_t errlen)
{
	char e[PARSE_ERRLEN], b[2 * PARSE_ERRLEN];
	unsigned long long v;

	/* parse_uint's reason shows the value */
	if (parse_uint(val, 0, max, &v, e, sizeof(e)) == -1) {
		snprintf(err, errlen, "bad %s=: %s", key, str_escape(b, e,
		    sizeof(b)));
		return -1;
	}
	*out = v;
	return 0;
}

/* Exactly what time_rfc3339 writes. */
static int
get_time(const char *val, time_t *out, char *err, size_t errlen)
{
	struct tm tm;
	char again[32], b[128];
	int n = -1;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(val, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &tm.tm_year,
	    &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec,
	    &n) == 6 && n >= 0 && val[n] == '\0') {
		tm.tm_year -= 1900;
		tm.tm_mon--;
		*out = timegm(&tm);
		time_rfc3339(*out, again, sizeof(again));
		if (strcmp(again, val) == 0)
			return 0;
	}
	snprintf(err, errlen, "bad at=%s: not a time as "
	    "2026-12-02T08:00:00Z", show(val, b, sizeof(b)));
	return -1;
}

int
vote_beat_parse(const struct vote_txt *t, struct vote_beat *b, char *err,
    size_t errlen)
{
	char key[16];
	const char *val;
	unsigned seen = 0;
	uint64_t u;
	size_t i;

	memset(b, 0, sizeof(*b));
	if (txt_start(t, err, errlen) == -1)
		return -1;
	for (i = 1; i < t->n; i++) {
		if (txt_kv(t, i, key, sizeof(key), &val, err, errlen) == -1)
			goto bad;
		if (strcmp(key, "beat") == 0) {
			if (once(&seen, 1, key, err, errlen) == -1 ||
			    get_u64(key, val, UINT64_MAX, &b->beat, err,
			    errlen) == -1)
				goto bad;
		} else if (strcmp(key, "at") == 0) {
			if (once(&seen, 2, key, err, errlen) == -1 ||
			    get_time(val, &b->at, err, errlen) == -1)
				goto bad;
		} else if (strcmp(key, "every") == 0) {
			if (once(&seen, 4, key, err, errlen) == -1 ||
			    get_u64(key, val, UINT_MAX, &u, err, errlen) == -1)
				goto bad;
			b->every = (unsigned)u;
		}
	}
	if (seen & 1)
		return 0;
	snprintf(err, errlen, "no beat=");
bad:
	memset(b, 0, sizeof(*b));
	return -1;
}

/* The site, from one "site=" string or several joined. */
struct site_acc {
	char	buf[DNAME_MAXLEN + 2];
	size_t	len;
	bool	seen, overflow;
};

static void
site_add(struct site_acc *a, const char *val)
{
	size_t k = strlen(val);

	a->seen = true;
	if (a->len + k >= sizeof(a->buf)) {
		a->overflow = true;
		return;
	}
	memcpy(a->buf + a->len, val, k + 1);
	a->len += k;
}

static int
site_done(const struct site_acc *a, char *out, char *err, size_t errlen)
{
	char e[PARSE_ERRLEN], b[2 * PARSE_ERRLEN];

	if (!a->seen)
		snprintf(err, errlen, "no site=");
	else if (a->overflow)
		snprintf(err, errlen, "site= longer than a name");
	else if (parse_dname(a->buf, 0, out, e, sizeof(e)) == -1)
		snprintf(err, errlen, "bad site=: %s", str_escape(b, e,
		    sizeof(b)));
	else
		return 0;
	return -1;
}

static int
get_want(const char *key, const char *val, bool none_ok,
    enum vote_want *out, char *err, size_t errlen)
{
	char b[128];

	if (strcmp(val, "primary") == 0)
		*out = VOTE_WANT_PRIMARY;
	else if (strcmp(val, "failover") == 0)
		*out = VOTE_WANT_FAILOVER;
	else if (none_ok && strcmp(val, "none") == 0)
		*out = VOTE_WANT_NONE;
	else {
		snprintf(err, errlen, "bad %s=%s: not %s", key, show(val, b,
		    sizeof(b)), none_ok ? "primary, failover or none" :
		    "primary or failover");
		return -1;
	}
	return 0;
}

/* The addresses of one "set=" string, appended to v's. */
static int
get_set(struct vote_view *v, const char *val, char *err, size_t errlen)
{
	char a[TXT_STRMAX + 1], e[PARSE_ERRLEN], b[2 * PARSE_ERRLEN];
	const char *p, *comma;
	size_t k;

	for (p = val; *p != '\0'; p = *comma ? comma + 1 : comma) {
		comma = strchr(p, ',');
		if (comma == NULL)
			comma = p + strlen(p);
		k = (size_t)(comma - p);
		if (k >= sizeof(a))
			k = sizeof(a) - 1;
		memcpy(a, p, k);
		a[k] = '\0';
		if (k == 0 || (*comma == ',' && comma[1] == '\0')) {
			snprintf(err, errlen, "an empty address in set=");
			return -1;
		}
		v->set = xreallocarray(v->set, v->nset + 1, sizeof(*v->set));
		if (addr_parse(a, &v->set[v->nset], e, sizeof(e)) == -1) {
			snprintf(err, errlen, "bad address in set=: %s",
			    str_escape(b, e, sizeof(b)));
			return -1;
		}
		v->nset++;
	}
	return 0;
}

static int
view_kv(struct vote_view *v, const char *key, const char *val,
    unsigned *seen, struct site_acc *site, char *err, size_t errlen)
{
	if (strcmp(key, "site") == 0)
		site_add(site, val);
	else if (strcmp(key, "want") == 0) {
		if (once(seen, 1, key, err, errlen) == -1 ||
		    get_want(key, val, true, &v->want, err, errlen) == -1)
			return -1;
	} else if (strcmp(key, "set") == 0) {
		*seen |= 2;
		if (get_set(v, val, err, errlen) == -1)
			return -1;
	} else if (strcmp(key, "why") == 0) {
		if (once(seen, 4, key, err, errlen) == -1)
			return -1;
		text_clean(v->why, val, VOTE_WHY_MAX);
	}
	return 0;
}

int
vote_view_parse(const struct vote_txt *t, struct vote_view *v, char *err,
    size_t errlen)
{
	struct site_acc site;
	char key[16];
	const char *val;
	unsigned seen = 0;
	size_t i;

	memset(v, 0, sizeof(*v));
	memset(&site, 0, sizeof(site));
	if (txt_start(t, err, errlen) == -1)
		return -1;
	for (i = 1; i < t->n; i++)
		if (txt_kv(t, i, key, sizeof(key), &val, err, errlen) == -1 ||
		    view_kv(v, key, val, &seen, &site, err, errlen) == -1)
			goto bad;
	if (site_done(&site, v->site, err, errlen) == -1)
		goto bad;
	if (!(seen & 1))
		snprintf(err, errlen, "no want=");
	else if (!(seen & 2))
		snprintf(err, errlen, "no set=");
	else
		return 0;
bad:
	vote_view_clear(v);
	return -1;
}

static int
hold_kv(struct vote_hold *h, const char *key, const char *val,
    unsigned *seen, struct site_acc *site, char *err, size_t errlen)
{
	char b[128];
	uint64_t u;

	if (strcmp(key, "site") == 0)
		site_add(site, val);
	else if (strcmp(key, "side") == 0) {
		if (once(seen, 1, key, err, errlen) == -1 ||
		    get_want(key, val, false, &h->side, err, errlen) == -1)
			return -1;
	} else if (strcmp(key, "until") == 0) {
		if (once(seen, 2, key, err, errlen) == -1 ||
		    get_u64(key, val, LLONG_MAX, &u, err, errlen) == -1)
			return -1;
		h->until = (time_t)u;
	} else if (strcmp(key, "by") == 0) {
		if (once(seen, 4, key, err, errlen) == -1)
			return -1;
		if (!id_ok(val, strlen(val))) {
			snprintf(err, errlen, "bad by=%s: not a monitor id",
			    show(val, b, sizeof(b)));
			return -1;
		}
		str_copy(h->by, val, sizeof(h->by));
	} else if (strcmp(key, "who") == 0) {
		if (once(seen, 8, key, err, errlen) == -1)
			return -1;
		text_clean(h->who, val, sizeof(h->who) - 1);
	} else if (strcmp(key, "reason") == 0) {
		if (once(seen, 16, key, err, errlen) == -1)
			return -1;
		text_clean(h->reason, val, VOTE_REASON_MAX);
	}
	return 0;
}

int
vote_hold_parse(const struct vote_txt *t, struct vote_hold *h, char *err,
    size_t errlen)
{
	struct site_acc site;
	char key[16];
	const char *val;
	unsigned seen = 0;
	size_t i;

	memset(h, 0, sizeof(*h));
	memset(&site, 0, sizeof(site));
	if (txt_start(t, err, errlen) == -1)
		return -1;
	for (i = 1; i < t->n; i++)
		if (txt_kv(t, i, key, sizeof(key), &val, err, errlen) == -1 ||
		    hold_kv(h, key, val, &seen, &site, err, errlen) == -1)
			goto bad;
	if (site_done(&site, h->site, err, errlen) == -1)
		goto bad;
	if (!(seen & 1))
		snprintf(err, errlen, "no side=");
	else if (!(seen & 2))
		snprintf(err, errlen, "no until=");
	else if (!(seen & 4))
		snprintf(err, errlen, "no by=");
	else
		return 0;
bad:
	memset(h, 0, sizeof(*h));
	return -1;
}
