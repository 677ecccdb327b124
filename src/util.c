/*
 * util.c: allocation, arena, strings and file helpers shared by every module.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

void *
xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (p == NULL)
		fatalx("out of memory");
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		fatalx("out of memory");
	return p;
}

void *
xreallocarray(void *p, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size)
		fatalx("out of memory");
	p = realloc(p, n * size != 0 ? n * size : 1);
	if (p == NULL)
		fatalx("out of memory");
	return p;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (p == NULL)
		fatalx("out of memory");
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatalx("out of memory");
	return s;
}

/* Arena chunks are chained; big requests get a chunk of their own. */
#define ARENA_CHUNK	(64 * 1024)
#define ARENA_ALIGN	(_Alignof(max_align_t))

struct chunk {
	struct chunk	*next;
	size_t		 used, size;
	max_align_t	 data[];
};

struct arena {
	struct chunk	*head;
};

struct arena *
arena_new(void)
{
	return xcalloc(1, sizeof(struct arena));
}

void
arena_free(struct arena *a)
{
	struct chunk *c, *next;

	if (a == NULL)
		return;
	for (c = a->head; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(a);
}

void *
arena_alloc(struct arena *a, size_t size)
{
	struct chunk *c = a->head;
	void *p;

	size = (size + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN;
	if (size == 0)
		size = ARENA_ALIGN;
	if (c == NULL || c->size - c->used < size) {
		size_t want = size > ARENA_CHUNK ? size : ARENA_CHUNK;

		c = xmalloc(sizeof(*c) + want);
		c->used = 0;
		c->size = want;
		c->next = a->head;
		a->head = c;
	}
	p = (char *)c->data + c->used;
	c->used += size;
	memset(p, 0, size);
	return p;
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

size_t
str_copy(char *dst, const char *src, size_t size)
{
	size_t n = strlen(src);

	if (size > 0) {
		size_t k = n < size - 1 ? n : size - 1;

		memcpy(dst, src, k);
		dst[k] = '\0';
	}
	return n;
}

size_t
utf8_len(const unsigned char *s, size_t avail)
{
	size_t n, k;

	if (avail == 0)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (avail < n)
		return 0;
	for (k = 1; k < n; k++)
		if ((s[k] & 0xc0) != 0x80)
			return 0;
	if ((n == 3 && s[0] == 0xe0 && s[1] < 0xa0) ||	/* overlong */
	    (n == 3 && s[0] == 0xed && s[1] >= 0xa0) ||	/* surrogate */
	    (n == 4 && s[0] == 0xf0 && s[1] < 0x90) ||	/* overlong */
	    (n == 4 && s[0] == 0xf4 && s[1] >= 0x90))	/* > U+10FFFF */
		return 0;
	return n;
}

size_t
utf8_invalid(const unsigned char *s, size_t len)
{
	size_t i = 0, n;

	while (i < len && (n = utf8_len(s + i, len - i)) > 0)
		i += n;
	return i;
}

/*
 * Characters that break or reorder a line in some viewers: U+200E/F
 * (marks), U+2028/9 (line and paragraph separators), U+202A..E and
 * U+2066..9 (bidi embeddings and isolates).
 */
static bool
layout_control(const unsigned char *s)
{
	if (s[0] != 0xe2)
		return false;
	if (s[1] == 0x80)
		return s[2] == 0x8e || s[2] == 0x8f || (s[2] >= 0xa8 &&
		    s[2] <= 0xae);
	return s[1] == 0x81 && s[2] >= 0xa6 && s[2] <= 0xa9;
}

char *
str_escape(char *dst, const char *src, size_t size)
{
	const unsigned char *s = (const unsigned char *)src;
	char esc[8];
	size_t o = 0, n, k;

	if (size == 0)
		return dst;
	while (*s != '\0') {
		n = utf8_len(s, 4);	/* a NUL ends it: never read past */
		if (*s == '\n' || *s == '\r' || *s == '\t' || *s == '\\')
			snprintf(esc, sizeof(esc), "\\%c", *s == '\n' ? 'n' :
			    *s == '\r' ? 'r' : *s == '\t' ? 't' : '\\');
		else if (n == 0 || *s < 0x20 || *s == 0x7f)
			snprintf(esc, sizeof(esc), "\\x%02x", *s);
		else if (n == 2 && s[0] == 0xc2 && s[1] < 0xa0)
			snprintf(esc, sizeof(esc), "\\u%04x", s[1]);
		else if (n == 3 && layout_control(s))
			snprintf(esc, sizeof(esc), "\\u%04x", (s[0] & 0x0f) <<
			    12 | (s[1] & 0x3f) << 6 | (s[2] & 0x3f));
		else {
			if (o + n >= size)
				break;
			for (k = 0; k < n; k++)
				dst[o++] = (char)s[k];
			s += n;
			continue;
		}
		if (o + strlen(esc) >= size)
			break;
		memcpy(dst + o, esc, strlen(esc));
		o += strlen(esc);
		s += n == 0 ? 1 : n;
	}
	dst[o] = '\0';
	return dst;
}

void
str_lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

/* Optimal string alignment distance; inputs are short key names. */
size_t
str_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, d;
	size_t *row0, *row1, *row2, *t;

	row0 = xcalloc(lb + 1, sizeof(size_t));
	row1 = xcalloc(lb + 1, sizeof(size_t));
	row2 = xcalloc(lb + 1, sizeof(size_t));
	for (j = 0; j <= lb; j++)
		row1[j] = j;
	for (i = 1; i <= la; i++) {
		row2[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1];

			d = row1[j] + 1;
			if (row2[j - 1] + 1 < d)
				d = row2[j - 1] + 1;
			if (row1[j - 1] + cost < d)
				d = row1[j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && row0[j - 2] + 1 < d)
				d = row0[j - 2] + 1;
			row2[j] = d;
		}
		t = row0;
		row0 = row1;
		row1 = row2;
		row2 = t;
	}
	d = row1[lb];
	free(row0);
	free(row1);
	free(row2);
	return d;
}

int
fd_read_all(int fd, size_t max, char **bufp, size_t *lenp)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;
	int saved;

	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			buf = xreallocarray(buf, cap, 1);
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			saved = errno;
			free(buf);
			errno = saved;
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			free(buf);
			return 1;
		}
	}
	buf[len] = '\0';
	*bufp = buf;
	*lenp = len;
	return 0;
}

int
file_read(const char *path, char **bufp, size_t *lenp)
{
	struct stat st;
	int fd, rc, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) == -1)
		rc = -1;
	else if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		rc = -1;
	} else
		rc = fd_read_all(fd, SIZE_MAX - 1, bufp, lenp);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

char *
path_resolve(const char *base, const char *path)
{
	const char *slash;

	if (path[0] == '/' || (slash = strrchr(base, '/')) == NULL)
		return xstrdup(path);
	return xasprintf("%.*s/%s", (int)(slash - base), base, path);
}

uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* FNV-1a: names are short, and this is all an index needs. */
uint64_t
str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

int64_t
real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
file_give_to_dir_owner(int fd, const char *path)
{
	char *dir;
	struct stat sb;

	if (geteuid() != 0)
		return;
	dir = path_resolve(path, ".");
	if (stat(dir, &sb) == 0 && sb.st_uid != 0 && fchown(fd, sb.st_uid,
	    sb.st_gid) == -1) {
		/* best effort: the file stays root's */
	}
	free(dir);
}

static int
fsync_dir(const char *path)
{
	char *dir = path_resolve(path, ".");
	int fd, rc;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		free(dir);
		return -1;
	}
	rc = fsync(fd);
	close(fd);
	free(dir);
	return rc;
}

int
file_replace(const char *path, mode_t mode, int flags,
    void (*fill)(FILE *, const void *), const void *arg)
{
	char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
	FILE *fp = NULL;
	int fd, saved;

	unlink(tmp);	/* a crash's leftover */
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)) ==
	    -1)
		goto fail;
	if (fchmod(fd, mode) == -1 || (fp = fdopen(fd, "w")) == NULL) {
		close(fd);
		goto fail;
	}
	if (flags & FILE_DIR_OWNER)
		file_give_to_dir_owner(fd, path);
	fill(fp, arg);
	if (fflush(fp) != 0 || ferror(fp) || ((flags & FILE_DURABLE) &&
	    fsync(fileno(fp)) != 0)) {
		fclose(fp);
		goto fail;
	}
	if (fclose(fp) != 0 || rename(tmp, path) == -1 ||
	    ((flags & FILE_DURABLE) && fsync_dir(path) == -1))
		goto fail;
	free(tmp);
	return 0;
fail:
	saved = errno;
	unlink(tmp);
	free(tmp);
	errno = saved;
	return -1;
}

/* name is base.tmp.DIGITS: what file_replace() names its temporary file. */
static bool
is_temp_of(const char *name, const char *base, size_t blen)
{
	const char *p;

	if (strncmp(name, base, blen) != 0 ||
	    strncmp(name + blen, ".tmp.", 5) != 0 || name[blen + 5] == '\0')
		return false;
	for (p = name + blen + 5; *p != '\0'; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}

size_t
file_remove_temps(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash != NULL ? slash + 1 : path;
	char *dir = path_resolve(path, ".");
	struct dirent *e;
	size_t n = 0;
	DIR *dp;

	if ((dp = opendir(dir)) == NULL) {
		free(dir);
		return 0;
	}
	while ((e = readdir(dp)) != NULL)
		if (is_temp_of(e->d_name, base, strlen(base)) &&
		    unlinkat(dirfd(dp), e->d_name, 0) == 0)
			n++;
	closedir(dp);
	free(dir);
	return n;
}

void
time_rfc3339(time_t t, char *buf, size_t size)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, size,
	    "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, size, "@%lld", (long long)t);
}

void
duration_short(int64_t secs, char *buf, size_t size)
{
	int64_t d = secs / 86400, h = secs % 86400 / 3600, m = secs % 3600 / 60;

	if (secs < 0)
		snprintf(buf, size, "%s", "past");
	else if (d > 0)
		snprintf(buf, size, "%lldd %lldh", (long long)d, (long long)h);
	else if (h > 0)
		snprintf(buf, size, "%lldh %lldm", (long long)h, (long long)m);
	else
		snprintf(buf, size, "%lldm", (long long)m);
}

void
duration_hms(int64_t secs, char *buf, size_t size)
{
	static const struct { char unit; int64_t secs; } u[] = {
		{ 'd', 86400 }, { 'h', 3600 }, { 'm', 60 }, { 's', 1 },
	};
	size_t i;
	int64_t a, b;

	if (secs < 0)
		secs = 0;
	for (i = 0; i + 1 < NELEM(u) && secs < u[i].secs; i++)
		;
	a = secs / u[i].secs;
	b = i + 1 < NELEM(u) ? secs % u[i].secs / u[i + 1].secs : 0;
	if (b == 0)
		snprintf(buf, size, "%lld%c", (long long)a, u[i].unit);
	else
		snprintf(buf, size, "%lld%c%lld%c", (long long)a, u[i].unit,
		    (long long)b, u[i + 1].unit);
}

void
str_copy_whole(char *buf, const char *s, size_t size)
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
