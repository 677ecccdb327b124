/*
 * history.c: the history log of rule 22, STATE.history and its older
 * half STATE.history.1, one JSON object a line.
 *
 * Writers lock the file they append to and check, once locked, that it
 * is still the one the path names: a writer that rotated it meanwhile
 * has renamed it to .1, and the line goes to the new file instead.  A
 * writer killed in its write(2) leaves a line without its newline; the
 * next writer cuts it off (or ends it, if it is whole), so only ever
 * the last line of a file can be torn.
 *
 * Readers take no lock: they open the current file, then .1, and try
 * again if a rotation between the two made them the same file.  Each
 * file is read up to its size at open; what is appended later is newer
 * than anything read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <jansson.h>

#include "history.h"
#include "log.h"
#include "util.h"

/* Rule 28: the dnsfailover group may read it; the umask may take more. */
#define HISTORY_MODE	0600	/* as the state file's (state.c) */
#define READ_CHUNK	((size_t)1 << 20)	/* forward reads */
#define BACK_CHUNK	((size_t)64 << 10)	/* backward reads */
#define OPEN_TRIES	1000
#define UTF8_REPLACEMENT "\xef\xbf\xbd"		/* U+FFFD */
#define ELLIPSIS	"\xe2\x80\xa6"		/* U+2026 */

/* The text keys, in line order (after "time" and "ts"). */
enum hkey {
	HK_EVENT, HK_SITE, HK_HOST, HK_WHO, HK_FROM, HK_TO, HK_ADDRESSES,
	HK_REASON, HK_ANSWER, HK_COUNT
};
static const char *const hkeys[HK_COUNT] = {
	"event", "site", "host", "who", "from", "to", "addresses", "reason",
	"answer",
};
/* What gives way, in this order, when a line is longer than a file may
 * grow: the long free texts, never what names the event. */
static const enum hkey cut_order[] = {
	HK_REASON, HK_ANSWER, HK_ADDRESSES, HK_WHO,
};

char *
history_path(const char *state_path)
{
	return xasprintf("%s.history", state_path);
}

/* ---- writing ---- */

/* s with each byte that does not begin a UTF-8 character replaced by
 * U+FFFD (allocated; NULL for NULL). */
static char *
utf8_clean(const char *s)
{
	size_t len, i = 0, o = 0, n;
	char *out;

	if (s == NULL)
		return NULL;
	len = strlen(s);
	out = xmalloc(3 * len + 1);
	while (i < len) {
		n = utf8_len((const unsigned char *)s + i, len - i);
		if (n == 0) {
			memcpy(out + o, UTF8_REPLACEMENT, 3);
			o += 3;
			i++;
		} else {
			memcpy(out + o, s + i, n);
			o += n;
			i += n;
		}
	}
	out[o] = '\0';
	return out;
}

/* "2026-12-02T18:30:00.123Z" */
static void
time_iso_ms(int64_t ms, char *buf, size_t size)
{
	int64_t secs = ms / 1000, frac = ms % 1000;
	struct tm tm;
	time_t t;
	size_t n;

	if (frac < 0) {
		frac += 1000;
		secs--;
	}
	t = (time_t)secs;
	if (gmtime_r(&t, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, size - n, ".%03dZ", (int)frac);
}

/* Sets key unless v is NULL; false when out of memory. */
static bool
obj_set(json_t *o, const char *key, json_t *v)
{
	return v != NULL && json_object_set_new(o, key, v) == 0;
}

/* The JSON text of one line, no newline (jansson's malloc), or NULL when
 * out of memory.  text[] is valid UTF-8. */
static char *
line_dump(int64_t time_ms, char *const text[HK_COUNT], long long serial)
{
	json_t *o = json_object();
	char when[40], *s = NULL;
	bool ok;
	size_t i;

	if (o == NULL)
		return NULL;
	time_iso_ms(time_ms, when, sizeof(when));
	ok = obj_set(o, "time", json_string(when)) &&
	    obj_set(o, "ts", json_integer(time_ms));
	for (i = 0; ok && i < HK_COUNT; i++)
		if (text[i] != NULL)
			ok = obj_set(o, hkeys[i], json_string_nocheck(text[i]));
	if (ok && serial >= 0)
		ok = obj_set(o, "serial", json_integer(serial));
	if (ok)
		s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return s;
}

/*
 * Shortens s (valid UTF-8) by at least over bytes, at a character
 * boundary, ending it with an ellipsis; to "" when it is not longer.
 * Its JSON form loses at least as many bytes, since no character is
 * shorter in JSON than in UTF-8.
 */
static void
text_cut(char *s, size_t over)
{
	size_t len = strlen(s), keep;

	if (len <= over + 3) {
		s[0] = '\0';
		return;
	}
	keep = len - over - 3;
	while (keep > 0 && ((unsigned char)s[keep] & 0xc0) == 0x80)
		keep--;
	memcpy(s + keep, ELLIPSIS, 3);
	s[keep + 3] = '\0';
}

/*
 * The line for rec as "\n" + JSON + "\n" (allocated; *len counts the
 * JSON and its newline), its free texts cut to fit within limit bytes;
 * NULL with errno EMSGSIZE if even without them it does not fit.
 */
static char *
line_make(const struct history_rec *rec, uint64_t limit, size_t *len)
{
	const char *in[HK_COUNT] = { rec->event, rec->site, rec->host,
	    rec->who, rec->from, rec->to, rec->addresses, rec->reason,
	    rec->answer };
	char *text[HK_COUNT], *json, *line = NULL;
	size_t i, k = 0, n;

	for (i = 0; i < HK_COUNT; i++)
		text[i] = utf8_clean(in[i]);
	for (;;) {
		if ((json = line_dump(rec->time_ms, text, rec->serial)) ==
		    NULL) {
			errno = ENOMEM;
			break;
		}
		n = strlen(json) + 1;
		if (n <= limit) {
			line = xasprintf("\n%s\n", json);
			*len = n;
			free(json);
			break;
		}
		free(json);
		while (k < NELEM(cut_order) && (text[cut_order[k]] == NULL ||
		    text[cut_order[k]][0] == '\0'))
			k++;
		if (k == NELEM(cut_order)) {
			errno = EMSGSIZE;
			break;
		}
		text_cut(text[cut_order[k]], (size_t)(n - limit));
	}
	for (i = 0; i < HK_COUNT; i++)
		free(text[i]);
	return line;
}

/* Opens path to append, creating it; a file root creates goes to the
 * directory's owner, as the state file does. */
static int
log_open(const char *path)
{
	int fd, tries;

	for (tries = 0; tries < OPEN_TRIES; tries++) {
		fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC);
		if (fd != -1 || errno != ENOENT)
			return fd;
		fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_EXCL |
		    O_CLOEXEC, HISTORY_MODE);
		if (fd != -1) {
			file_give_to_dir_owner(fd, path);
			return fd;
		}
		if (errno != EEXIST)
			return -1;
	}
	errno = EAGAIN;
	return -1;
}

static void
close_keep_errno(int fd)
{
	int saved = errno;

	close(fd);
	errno = saved;
}

/* path, opened and locked, and still the file path names (*sb is its
 * status). */
static int
log_open_locked(const char *path, struct stat *sb)
{
	struct stat now;
	int fd, tries;

	for (tries = 0; tries < OPEN_TRIES; tries++) {
		if ((fd = log_open(path)) == -1)
			return -1;
		while (flock(fd, LOCK_EX) == -1)
			if (errno != EINTR) {
				close_keep_errno(fd);
				return -1;
			}
		if (fstat(fd, sb) == -1) {
			close_keep_errno(fd);
			return -1;
		}
		if (stat(path, &now) == 0 && now.st_ino == sb->st_ino &&
		    now.st_dev == sb->st_dev)
			return fd;
		close(fd);	/* rotated while we waited: the new one */
	}
	errno = EAGAIN;
	return -1;
}

/* Offset just after the last newline in fd before end; 0 if none. */
static off_t
last_newline(int fd, off_t end)
{
	char buf[4096], *nl;
	off_t lo;
	ssize_t n;

	while (end > 0) {
		lo = end > (off_t)sizeof(buf) ? end - (off_t)sizeof(buf) : 0;
		if ((n = pread(fd, buf, (size_t)(end - lo), lo)) !=
		    end - lo) {
			if (n >= 0)
				errno = EIO;
			return -1;
		}
		if ((nl = memrchr(buf, '\n', (size_t)n)) != NULL)
			return lo + (nl - buf) + 1;
		end = lo;
	}
	return 0;
}

/*
 * A file whose last line has no newline: a writer died in its write(2),
 * or the disk was full.  A whole object there only lacks the newline
 * (returns 1: write one first); anything else is cut off (*size then
 * shrinks).  0 when nothing is torn, -1 with errno.
 */
static int
tail_mend(int fd, off_t *size)
{
	json_t *o;
	char c, *frag;
	off_t from;
	ssize_t n;

	if (*size == 0)
		return 0;
	if ((n = pread(fd, &c, 1, *size - 1)) != 1) {
		if (n >= 0)
			errno = EIO;
		return -1;
	}
	if (c == '\n')
		return 0;
	if ((from = last_newline(fd, *size - 1)) == -1)
		return -1;
	frag = xmalloc((size_t)(*size - from));
	n = pread(fd, frag, (size_t)(*size - from), from);
	o = n == *size - from ? json_loadb(frag, (size_t)n, 0, NULL) : NULL;
	free(frag);
	if (json_is_object(o) && json_is_number(json_object_get(o, "ts"))) {
		json_decref(o);
		return 1;
	}
	json_decref(o);
	if (ftruncate(fd, from) == -1)
		return -1;
	*size = from;
	return 0;
}

/* One write(2) of the whole line; a part written is taken back. */
static int
log_write(int fd, off_t size, const char *buf, size_t len)
{
	ssize_t n;
	int saved;

	do
		n = write(fd, buf, len);
	while (n == -1 && errno == EINTR);
	if (n == (ssize_t)len)
		return 0;
	saved = n == -1 ? errno : ENOSPC;
	if (n > 0 && ftruncate(fd, size) == -1) {
		/* the torn line stays: the next writer cuts it */
	}
	errno = saved;
	return -1;
}

/* Renames path to path.1, replacing it. */
static int
log_rotate(const char *path)
{
	char *old = xasprintf("%s.1", path);
	int rc = rename(path, old);

	free(old);
	return rc;
}

int
history_append(const char *path, uint64_t max_bytes,
    const struct history_rec *rec)
{
	struct stat sb;
	size_t len = 0;
	off_t size;
	char *line;
	int fd, nl, rc = -1;

	if ((line = line_make(rec, max_bytes / 2, &len)) == NULL)
		return -1;
	while ((fd = log_open_locked(path, &sb)) != -1) {
		size = sb.st_size;
		if ((nl = tail_mend(fd, &size)) == -1) {
			/* rc stays -1 */
		} else if (size > 0 && (uint64_t)size + (uint64_t)nl + len >
		    max_bytes / 2) {
			/* still locked, so no line goes to the old file
			 * after this; the loop opens the new one */
			if (log_rotate(path) == 0) {
				close(fd);
				continue;
			}
		} else
			rc = log_write(fd, size, line + 1 - nl,
			    len + (size_t)nl);
		close_keep_errno(fd);
		break;
	}
	free(line);
	return rc;
}

/* ---- reading ---- */

struct reader {
	int64_t		 since_ms;
	char		**sites;	/* valid UTF-8 */
	char		**needles;	/* "site":"NAME" as written */
	size_t		 n;
	void		(*fn)(const struct history_line *, void *);
	void		*arg;
	size_t		 skipped;
};

/* The string value of key in o, or NULL. */
static const char *
obj_str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static bool
site_wanted(const struct reader *rd, const char *site)
{
	size_t i;

	if (rd->n == 0)
		return true;
	for (i = 0; site != NULL && i < rd->n; i++)
		if (strcmp(site, rd->sites[i]) == 0)
			return true;
	return false;
}

/* Whether line, before parsing, may be one of the sites'. */
static bool
needle_in(const struct reader *rd, const char *line)
{
	size_t i;

	for (i = 0; i < rd->n; i++)
		if (strstr(line, rd->needles[i]) != NULL)
			return true;
	return rd->n == 0;
}

/* One line, NUL-terminated in place of its newline. */
static void
line_take(struct reader *rd, const char *line, size_t len)
{
	struct history_line hl;
	json_t *o, *ts, *serial;
	size_t i;

	if (!needle_in(rd, line))
		return;
	o = json_loadb(line, len, 0, NULL);
	ts = json_object_get(o, "ts");
	if (!json_is_object(o) || !json_is_number(ts)) {
		rd->skipped++;
		json_decref(o);
		return;
	}
	memset(&hl, 0, sizeof(hl));
	hl.time_ms = (int64_t)json_number_value(ts);
	if (json_is_integer(ts))
		hl.time_ms = (int64_t)json_integer_value(ts);
	hl.site = obj_str(o, hkeys[HK_SITE]);
	if (hl.time_ms >= rd->since_ms && site_wanted(rd, hl.site)) {
		const char **f[HK_COUNT] = { &hl.event, &hl.site, &hl.host,
		    &hl.who, &hl.from, &hl.to, &hl.addresses, &hl.reason,
		    &hl.answer };

		for (i = 0; i < HK_COUNT; i++)
			*f[i] = obj_str(o, hkeys[i]);
		serial = json_object_get(o, "serial");
		hl.serial = json_is_integer(serial) ?
		    (long long)json_integer_value(serial) : -1;
		hl.raw = line;
		rd->fn(&hl, rd->arg);
	}
	json_decref(o);
}

/* Every line of fd in [from, to), in order; the last one may lack its
 * newline (torn). */
static int
file_forward(struct reader *rd, int fd, off_t from, off_t to)
{
	size_t cap = READ_CHUNK, have = 0, want;
	char *buf = xmalloc(cap + 1), *p, *nl;
	ssize_t n;
	int rc = 0;

	while (from < to) {
		if (have == cap)
			buf = xreallocarray(buf, (cap *= 2) + 1, 1);
		want = cap - have;
		if ((off_t)want > to - from)
			want = (size_t)(to - from);
		if ((n = pread(fd, buf + have, want, from)) <= 0) {
			if (n == 0)
				errno = EIO;	/* shrank: not ours */
			rc = -1;
			break;
		}
		from += n;
		have += (size_t)n;
		for (p = buf; (nl = memchr(p, '\n', have - (size_t)(p - buf)))
		    != NULL; p = nl + 1) {
			*nl = '\0';
			line_take(rd, p, (size_t)(nl - p));
		}
		have -= (size_t)(p - buf);
		memmove(buf, p, have);
	}
	if (rc == 0 && have > 0) {
		buf[have] = '\0';
		line_take(rd, buf, have);
	}
	free(buf);
	return rc;
}

/* A window on a file for reading lines from its end backwards: it holds
 * the file's bytes [lo, hi). */
struct backscan {
	int	 fd;
	char	*buf;
	off_t	 lo, hi;
};

/*
 * The start of the line that ends at end (end <= b->hi), reading more
 * of the file as needed: the window then covers it.  -1 with errno.
 */
static off_t
back_line(struct backscan *b, off_t end)
{
	off_t lo;
	char *nl, *nbuf;
	ssize_t n;

	for (;;) {
		if (end - 1 > b->lo && (nl = memrchr(b->buf, '\n',
		    (size_t)(end - 1 - b->lo))) != NULL)
			return b->lo + (nl - b->buf) + 1;
		if (b->lo == 0)
			return 0;
		/* extend downwards, keeping only [b->lo, end) */
		lo = b->lo > (off_t)BACK_CHUNK ? b->lo - (off_t)BACK_CHUNK : 0;
		nbuf = xmalloc((size_t)(end - lo));
		if (end > b->lo)
			memcpy(nbuf + (b->lo - lo), b->buf,
			    (size_t)(end - b->lo));
		free(b->buf);
		b->buf = nbuf;
		if ((n = pread(b->fd, b->buf, (size_t)(b->lo - lo), lo)) !=
		    b->lo - lo) {
			if (n >= 0)
				errno = EIO;
			return -1;
		}
		b->lo = lo;
		b->hi = end;
	}
}

/* The "ts" of line [p, end) found without parsing it; false if it has
 * none.  "ts": cannot occur inside a JSON string, its quote would be
 * escaped. */
static bool
quick_ts(const char *p, const char *end, int64_t *ts)
{
	const char *k = memmem(p, (size_t)(end - p), "\"ts\":", 5);
	bool neg;
	int64_t v = 0;

	if (k == NULL)
		return false;
	p = k + 5;
	if ((neg = p < end && *p == '-'))
		p++;
	if (p == end || *p < '0' || *p > '9')
		return false;
	for (; p < end && *p >= '0' && *p <= '9' && v < INT64_MAX / 10; p++)
		v = v * 10 + (*p - '0');
	*ts = neg ? -v : v;
	return true;
}

/*
 * Where to start reading fd (size bytes) for lines from since_ms on:
 * just after the last line that is older, found from the end.  1 and
 * *start, 0 when there is none (every line is new enough), -1 errno.
 * Lines are in append order, which is time order unless the clock was
 * stepped back: then a few lines older than since_ms may be read, and
 * dropped by their time, and a few new enough, written before the
 * step, not be shown.
 */
static int
find_start(int fd, off_t size, int64_t since_ms, off_t *start)
{
	struct backscan b = { fd, NULL, size, size };
	off_t end = size, s;
	int64_t ts;
	int rc = 0;

	while (end > 0) {
		if ((s = back_line(&b, end)) == -1) {
			rc = -1;
			break;
		}
		if (quick_ts(b.buf + (s - b.lo), b.buf + (end - b.lo), &ts) &&
		    ts < since_ms) {
			*start = end;
			rc = 1;
			break;
		}
		end = s;
	}
	free(b.buf);
	return rc;
}

/*
 * Opens path and path.1 (fd[1], fd[0]; -1 and err[] when not opened),
 * again if a rotation between the two made them the same file.
 */
static void
files_open(const char *path, int fd[2], int err[2], off_t size[2])
{
	char *old = xasprintf("%s.1", path);
	struct stat sb[2];
	int tries, i;

	for (tries = 0; tries < OPEN_TRIES; tries++) {
		fd[1] = open(path, O_RDONLY | O_CLOEXEC);
		err[1] = errno;
		fd[0] = open(old, O_RDONLY | O_CLOEXEC);
		err[0] = errno;
		for (i = 0; i < 2; i++)
			if (fd[i] != -1 && fstat(fd[i], &sb[i]) == -1) {
				err[i] = errno;
				close(fd[i]);
				fd[i] = -1;
			}
		if (fd[0] == -1 || fd[1] == -1 || sb[0].st_ino !=
		    sb[1].st_ino || sb[0].st_dev != sb[1].st_dev)
			break;
		close(fd[0]);
		close(fd[1]);
	}
	for (i = 0; i < 2; i++)
		size[i] = fd[i] != -1 ? sb[i].st_size : 0;
	free(old);
}

static void
reader_init(struct reader *rd, const char *const *sites, size_t n)
{
	json_t *js;
	char *q;
	size_t i;

	rd->sites = xcalloc(n + 1, sizeof(char *));
	rd->needles = xcalloc(n + 1, sizeof(char *));
	rd->n = n;
	for (i = 0; i < n; i++) {
		rd->sites[i] = utf8_clean(sites[i]);
		js = json_string_nocheck(rd->sites[i]);
		q = js != NULL ? json_dumps(js, JSON_ENCODE_ANY) : NULL;
		if (q == NULL)
			fatalx("out of memory");
		rd->needles[i] = xasprintf("\"site\":%s", q);
		free(q);
		json_decref(js);
	}
}

static void
reader_clear(struct reader *rd)
{
	size_t i;

	for (i = 0; i < rd->n; i++) {
		free(rd->sites[i]);
		free(rd->needles[i]);
	}
	free(rd->sites);
	free(rd->needles);
}

/*
 * With a site filter, a line is parsed only if it has "site":"NAME" as
 * this writer writes it, so a damaged line is counted in *skipped only
 * if it names one of the sites.  A read error after some lines were
 * passed to fn also returns -1.
 */
int
history_read(const char *path, int64_t since_ms,
    const char *const *sites, size_t n,
    void (*fn)(const struct history_line *, void *), void *arg,
    size_t *skipped)
{
	struct reader rd = { since_ms, NULL, NULL, 0, fn, arg, 0 };
	off_t size[2], start[2] = { 0, 0 };
	int fd[2], err[2], rc = 0, i, found = 0;

	files_open(path, fd, err, size);
	if (fd[0] == -1 && fd[1] == -1) {
		errno = err[1] != ENOENT ? err[1] : err[0];
		return -1;
	}
	reader_init(&rd, sites, n);
	/* from the end: the current file, then the older one */
	for (i = 1; since_ms > 0 && found == 0 && i >= 0; i--)
		if (fd[i] != -1 && (found = find_start(fd[i], size[i],
		    since_ms, &start[i])) == 1 && i == 1)
			size[0] = 0;	/* all of .1 is older */
	if (found == -1)
		rc = -1;
	for (i = 0; rc == 0 && i < 2; i++)
		if (fd[i] != -1 && start[i] < size[i])
			rc = file_forward(&rd, fd[i], start[i], size[i]);
	for (i = 0; i < 2; i++)
		if (fd[i] != -1)
			close_keep_errno(fd[i]);
	reader_clear(&rd);
	if (skipped != NULL)
		*skipped = rd.skipped;
	return rc;
}
