/*
 * check_history.c: the history log (rule 22): lines as written and read
 * back, rotation within history_size, torn lines, the since and site
 * filters, concurrent writers and writers killed mid-line.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "history.h"
#include "unit.h"
#include "util.h"

#define T0	1796236200123LL		/* 2026-12-02T18:30:00.123Z */

/* What a read passed to its callback, copied. */
struct got {
	size_t		  n, cap;
	char		**raw;
	char		**site;
	char		**reason;
	int64_t		 *ts;
};

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

static void
collect(const struct history_line *l, void *arg)
{
	struct got *g = arg;

	if (g->n == g->cap) {
		g->cap = g->cap ? 2 * g->cap : 64;
		g->raw = xreallocarray(g->raw, g->cap, sizeof(char *));
		g->site = xreallocarray(g->site, g->cap, sizeof(char *));
		g->reason = xreallocarray(g->reason, g->cap, sizeof(char *));
		g->ts = xreallocarray(g->ts, g->cap, sizeof(int64_t));
	}
	g->raw[g->n] = xstrdup(l->raw);
	g->site[g->n] = dup_or_null(l->site);
	g->reason[g->n] = dup_or_null(l->reason);
	g->ts[g->n] = l->time_ms;
	g->n++;
}

static void
got_clear(struct got *g)
{
	size_t i;

	for (i = 0; i < g->n; i++) {
		free(g->raw[i]);
		free(g->site[i]);
		free(g->reason[i]);
	}
	free(g->raw);
	free(g->site);
	free(g->reason);
	free(g->ts);
	memset(g, 0, sizeof(*g));
}

/* Reads path into g (cleared first); returns what was skipped. */
static size_t
read_all(const char *path, int64_t since, const char *const *sites,
    size_t n, struct got *g)
{
	size_t skipped = 99;

	got_clear(g);
	ck_assert_int_eq(history_read(path, since, sites, n, collect, g,
	    &skipped), 0);
	return skipped;
}

static char *
hpath(void)
{
	return xasprintf("%s/state.history", unit_tmpdir());
}

static off_t
fsize(const char *path, const char *suffix)
{
	char *p = xasprintf("%s%s", path, suffix);
	struct stat sb;
	off_t n = stat(p, &sb) == 0 ? sb.st_size : 0;

	free(p);
	return n;
}

/* A plain record: event "switch", site, reason, time. */
static struct history_rec
rec_of(int64_t ts, const char *site, const char *reason)
{
	struct history_rec r;

	memset(&r, 0, sizeof(r));
	r.time_ms = ts;
	r.event = "switch";
	r.site = site;
	r.reason = reason;
	r.serial = -1;
	return r;
}

static void
append_ok(const char *path, uint64_t max, int64_t ts, const char *site,
    const char *reason)
{
	struct history_rec r = rec_of(ts, site, reason);

	ck_assert_int_eq(history_append(path, max, &r), 0);
}

/* Appends raw bytes to path, as a crashed writer or a person would. */
static void
append_raw(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0640);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)),
	    (ssize_t)strlen(text));
	close(fd);
}

START_TEST(test_path)
{
	char *p = history_path("/var/lib/dnsfailover/state");

	ck_assert_str_eq(p, "/var/lib/dnsfailover/state.history");
	free(p);
}
END_TEST

struct one {
	struct history_line	l;
	char			*raw, *event, *site, *host, *who, *from, *to,
				*addresses, *reason, *answer;
	int			 calls;
};

static void
one_line(const struct history_line *l, void *arg)
{
	struct one *o = arg;

	o->calls++;
	o->l = *l;
	o->raw = xstrdup(l->raw);
	o->event = dup_or_null(l->event);
	o->site = dup_or_null(l->site);
	o->host = dup_or_null(l->host);
	o->who = dup_or_null(l->who);
	o->from = dup_or_null(l->from);
	o->to = dup_or_null(l->to);
	o->addresses = dup_or_null(l->addresses);
	o->reason = dup_or_null(l->reason);
	o->answer = dup_or_null(l->answer);
}

static void
one_clear(struct one *o)
{
	free(o->raw);
	free(o->event);
	free(o->site);
	free(o->host);
	free(o->who);
	free(o->from);
	free(o->to);
	free(o->addresses);
	free(o->reason);
	free(o->answer);
	memset(o, 0, sizeof(*o));
}

START_TEST(test_every_key)
{
	struct history_rec r = { T0, "switch", "www.example.com", "fra1",
	    "alice@host", "primary", "failover", "192.0.2.20",
	    "primary 192.0.2.10 down (3/3 failed: HTTP 503)", "NOERROR",
	    2026120205 };
	char *path = hpath();
	struct one o = { 0 };
	size_t skipped = 9;
	struct stat sb;
	mode_t old = umask(022);

	ck_assert_int_eq(history_append(path, 1 << 20, &r), 0);
	umask(old);
	ck_assert_int_eq(history_read(path, 0, NULL, 0, one_line, &o,
	    &skipped), 0);
	ck_assert_int_eq(o.calls, 1);
	ck_assert_uint_eq(skipped, 0);
	ck_assert_str_eq(o.raw, "{\"time\":\"2026-12-02T18:30:00.123Z\","
	    "\"ts\":1796236200123,\"event\":\"switch\",\"site\":"
	    "\"www.example.com\",\"host\":\"fra1\",\"who\":\"alice@host\","
	    "\"from\":\"primary\",\"to\":\"failover\",\"addresses\":"
	    "\"192.0.2.20\",\"reason\":\"primary 192.0.2.10 down (3/3 "
	    "failed: HTTP 503)\",\"answer\":\"NOERROR\",\"serial\":"
	    "2026120205}");
	ck_assert_int_eq(o.l.time_ms, T0);
	ck_assert_str_eq(o.event, "switch");
	ck_assert_str_eq(o.site, "www.example.com");
	ck_assert_str_eq(o.host, "fra1");
	ck_assert_str_eq(o.who, "alice@host");
	ck_assert_str_eq(o.from, "primary");
	ck_assert_str_eq(o.to, "failover");
	ck_assert_str_eq(o.addresses, "192.0.2.20");
	ck_assert_str_eq(o.reason, "primary 192.0.2.10 down (3/3 failed: "
	    "HTTP 503)");
	ck_assert_str_eq(o.answer, "NOERROR");
	ck_assert_int_eq(o.l.serial, 2026120205);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0600);
	ck_assert_int_eq(sb.st_size, (off_t)strlen(o.raw) + 1);
	one_clear(&o);
	free(path);
}
END_TEST

START_TEST(test_absent_keys)
{
	struct history_rec r = { 0 };
	char *path = hpath();
	struct one o = { 0 };
	size_t skipped;

	r.time_ms = 5;		/* 1970, ms kept */
	r.event = "quorum_lost";
	r.serial = -1;
	ck_assert_int_eq(history_append(path, 1 << 20, &r), 0);
	ck_assert_int_eq(history_read(path, 0, NULL, 0, one_line, &o,
	    &skipped), 0);
	ck_assert_int_eq(o.calls, 1);
	ck_assert_str_eq(o.raw, "{\"time\":\"1970-01-01T00:00:00.005Z\","
	    "\"ts\":5,\"event\":\"quorum_lost\"}");
	ck_assert_ptr_null(o.site);
	ck_assert_ptr_null(o.host);
	ck_assert_ptr_null(o.who);
	ck_assert_ptr_null(o.from);
	ck_assert_ptr_null(o.to);
	ck_assert_ptr_null(o.addresses);
	ck_assert_ptr_null(o.reason);
	ck_assert_ptr_null(o.answer);
	ck_assert_int_eq(o.l.serial, -1);
	one_clear(&o);
	free(path);
}
END_TEST

START_TEST(test_invalid_utf8)
{
	char *path = hpath();
	struct got g = { 0 };

	/* a stray byte, a cut character, an overlong form, a surrogate */
	append_ok(path, 1 << 20, T0, "s", "a\xff" "b\xc3" "\xc0\xaf"
	    "\xed\xa0\x80" "\xc3\xa9");
	ck_assert_uint_eq(read_all(path, 0, NULL, 0, &g), 0);
	ck_assert_uint_eq(g.n, 1);
	ck_assert_str_eq(g.reason[0], "a\xef\xbf\xbd" "b\xef\xbf\xbd"
	    "\xef\xbf\xbd\xef\xbf\xbd" "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
	    "\xc3\xa9");
	ck_assert_uint_eq(utf8_invalid((unsigned char *)g.raw[0],
	    strlen(g.raw[0])), strlen(g.raw[0]));
	got_clear(&g);
	free(path);
}
END_TEST

START_TEST(test_control_chars)
{
	const char *evil = "x\ny\r\t\x1b[31m\"q\\\x7f}\n{\"ts\":1}";
	char *path = hpath(), *buf;
	struct got g = { 0 };
	size_t len;

	append_ok(path, 1 << 20, T0, "s", evil);
	ck_assert_int_eq(file_read(path, &buf, &len), 0);
	ck_assert_ptr_eq(strchr(buf, '\n'), buf + len - 1);	/* one line */
	ck_assert_ptr_null(strchr(buf, '\x1b'));
	ck_assert_ptr_nonnull(strstr(buf, "x\\ny\\r\\t\\u001B[31m\\\"q\\\\"));
	ck_assert_uint_eq(read_all(path, 0, NULL, 0, &g), 0);
	ck_assert_uint_eq(g.n, 1);
	ck_assert_str_eq(g.reason[0], evil);
	ck_assert_int_eq(g.ts[0], T0);
	got_clear(&g);
	free(buf);
	free(path);
}
END_TEST

/* A reason of about len bytes, ending in its number. */
static char *
reason_of(size_t len, int i)
{
	char *s = xmalloc(len + 32);

	memset(s, 'r', len);
	snprintf(s + len, 32, " #%d", i);
	return s;
}

START_TEST(test_rotation)
{
	const uint64_t max = 4000;
	char *path = hpath(), *why, want[32];
	struct got g = { 0 };
	int i, rotated = 0;

	for (i = 0; i < 300; i++) {
		why = reason_of((size_t)(i * 7) % 300, i);
		append_ok(path, max, T0 + i, "s", why);
		free(why);
		ck_assert_int_le(fsize(path, ""), max / 2);
		ck_assert_int_le(fsize(path, ".1"), max / 2);
		ck_assert_int_le(fsize(path, "") + fsize(path, ".1"), max);
		rotated += fsize(path, ".1") > 0;
		ck_assert_uint_eq(read_all(path, 0, NULL, 0, &g), 0);
		ck_assert_uint_ge(g.n, 1);
		snprintf(want, sizeof(want), " #%d", i);
		ck_assert_str_eq(g.reason[g.n - 1] + strlen(g.reason[g.n - 1]) -
		    strlen(want), want);	/* the newest is there */
		ck_assert_int_eq(g.ts[g.n - 1], T0 + i);
		if (g.n > 1)		/* in order, none lost in between */
			ck_assert_int_eq(g.ts[0], T0 + i - (int)g.n + 1);
	}
	ck_assert_int_gt(rotated, 200);
	got_clear(&g);
	free(path);
}
END_TEST

START_TEST(test_long_line)
{
	struct history_rec r = rec_of(T0, "www.example.com", NULL);
	char *path = hpath(), *why = reason_of(5000, 1), *ans;
	struct got g = { 0 };
	size_t len;

	ans = reason_of(3000, 2);
	r.reason = why;
	r.answer = ans;
	r.addresses = "192.0.2.1";
	ck_assert_int_eq(history_append(path, 2000, &r), 0);
	ck_assert_int_le(fsize(path, ""), 1000);
	ck_assert_uint_eq(read_all(path, 0, NULL, 0, &g), 0);
	ck_assert_uint_eq(g.n, 1);
	len = strlen(g.raw[0]);
	ck_assert_uint_le(len + 1, 1000);
	ck_assert_str_eq(g.site[0], "www.example.com");
	/* the reason went first, to nothing; the answer was cut */
	ck_assert_str_eq(g.reason[0], "");
	ck_assert_ptr_nonnull(strstr(g.raw[0], "rrr\xe2\x80\xa6\""));
	ck_assert_ptr_nonnull(strstr(g.raw[0], "\"addresses\":\"192.0.2.1\""));
	ck_assert_int_gt(len, 1000 - 16);	/* cut no more than needed */
	/* a cut never splits a character */
	free(why);
	why = xmalloc(4001);
	for (len = 0; len < 4000; len += 2)
		memcpy(why + len, "\xc3\xa9", 2);
	why[4000] = '\0';
	r.reason = why;
	r.answer = NULL;
	ck_assert_int_eq(history_append(path, 2000, &r), 0);
	ck_assert_uint_eq(read_all(path, 0, NULL, 0, &g), 0);
	ck_assert_uint_eq(g.n, 2);	/* the first one went to .1 */
	ck_assert_uint_eq(utf8_invalid((unsigned char *)g.reason[1],
	    strlen(g.reason[1])), strlen(g.reason[1]));
	ck_assert_uint_gt(strlen(g.reason[1]), 500);
	/* too small for even the event's name */
	r.reason = NULL;
	errno = 0;
	ck_assert_int_eq(history_append(path, 100, &r), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	got_clear(&g);
	free(why);
	free(ans);
	free(path);
}
END_TEST

START_TEST(test_torn_line)
{
	char *path = hpath(), *buf;
	struct got g = { 0 };
	size_t len;

	append_ok(path, 1 << 20, T0, "a", "one");
	append_ok(path, 1 << 20, T0 + 1, "a", "two");
	append_raw(path, "{\"time\":\"2026-12-02T18:30:00.125Z\",\"ts\":17962");
	ck_assert_uint_eq(read_all(path, 0, NULL, 0, &g), 1);
	ck_assert_uint_eq(g.n, 2);
	/* the next writer cuts it off: only ever the last line is torn */
	append_ok(path, 1 << 20, T0 + 3, "a", "three");
	ck_assert_uint_eq(read_all(path, 0, NULL, 0, &g), 0);
	ck_assert_uint_eq(g.n, 3);
	ck_assert_str_eq(g.reason[2], "three");
	/* a whole object that lacks only its newline is kept */
	append_raw(path, "{\"ts\":1796236200127,\"event\":\"x\"}");
	ck_assert_uint_eq(read_all(path, 0, NULL, 0, &g), 0);
	ck_assert_uint_eq(g.n, 4);
	append_ok(path, 1 << 20, T0 + 5, "a", "four");
	ck_assert_uint_eq(read_all(path, 0, NULL, 0, &g), 0);
	ck_assert_uint_eq(g.n, 5);
	ck_assert_int_eq(g.ts[3], T0 + 4);
	ck_assert_str_eq(g.reason[4], "four");
	/* garbage in the middle: skipped and counted, the rest read */
	append_raw(path, "not json\n[1,2]\n{\"event\":\"no ts\"}\n"
	    "{\"ts\":\"1\"}\n\n");
	append_ok(path, 1 << 20, T0 + 6, "a", "five");
	ck_assert_uint_eq(read_all(path, 0, NULL, 0, &g), 5);
	ck_assert_uint_eq(g.n, 6);
	ck_assert_int_eq(file_read(path, &buf, &len), 0);
	ck_assert_int_eq(buf[len - 1], '\n');
	free(buf);
	got_clear(&g);
	free(path);
}
END_TEST

START_TEST(test_no_history)
{
	char *path = hpath(), *old;
	struct got g = { 0 };
	size_t skipped = 7;

	errno = 0;
	ck_assert_int_eq(history_read(path, 0, NULL, 0, collect, &g,
	    &skipped), -1);
	ck_assert_int_eq(errno, ENOENT);
	/* only the older half (a rotation in flight) */
	append_raw(path, "{\"ts\":1}\n");
	old = xasprintf("%s.1", path);
	ck_assert_int_eq(rename(path, old), 0);
	free(old);
	ck_assert_uint_eq(read_all(path, 0, NULL, 0, &g), 0);
	ck_assert_uint_eq(g.n, 1);
	got_clear(&g);
	free(path);
}
END_TEST

/* The lines of a full read at or after since: what a since read must
 * return, in the same order. */
static void
since_check(const char *path, const struct got *all, int64_t since)
{
	struct got g = { 0 };
	size_t i, k = 0;

	ck_assert_uint_eq(read_all(path, since, NULL, 0, &g), 0);
	for (i = 0; i < all->n; i++)
		if (all->ts[i] >= since) {
			ck_assert_uint_lt(k, g.n);
			ck_assert_str_eq(g.raw[k], all->raw[i]);
			k++;
		}
	ck_assert_uint_eq(k, g.n);
	got_clear(&g);
}

START_TEST(test_since)
{
	const uint64_t max = 1 << 20;
	char *path = hpath(), *why;
	struct got all = { 0 };
	int64_t ts;
	size_t i;
	int k;

	/* long lines (past the 64 KiB backward chunk) among short ones */
	for (k = 0; k < 60; k++) {
		why = reason_of(k % 7 == 3 ? 120000 : (size_t)k * 10, k);
		append_ok(path, max, T0 + k * 1000, "s", why);
		free(why);
	}
	ck_assert_int_gt(fsize(path, ".1"), 0);
	ck_assert_uint_eq(read_all(path, 0, NULL, 0, &all), 0);
	ck_assert_int_eq(all.ts[all.n - 1], T0 + 59000);
	ck_assert_uint_lt(all.n, 60);	/* the oldest were dropped */
	for (i = 0; i < all.n; i++) {	/* each line, either file */
		since_check(path, &all, all.ts[i]);
		since_check(path, &all, all.ts[i] - 1);
		since_check(path, &all, all.ts[i] + 1);
	}
	since_check(path, &all, 1);
	since_check(path, &all, T0 + 10000000);
	/* only the older half holds lines that new */
	ts = all.ts[all.n - 1];
	append_ok(path, 300000, ts + 1000, "s", "rotates");
	ck_assert_int_eq(fsize(path, "") > 0 && fsize(path, ".1") > 0, 1);
	ck_assert_uint_eq(read_all(path, 0, NULL, 0, &all), 0);
	for (i = 0; i < all.n; i++)
		since_check(path, &all, all.ts[i]);
	got_clear(&all);
	free(path);
}
END_TEST

START_TEST(test_since_reads_from_the_end)
{
	char *path = hpath();
	struct got g = { 0 };

	/* a clock stepped back at 150: what the header says may happen */
	append_ok(path, 1 << 20, 100, "s", "a");
	append_ok(path, 1 << 20, 200, "s", "b");
	append_ok(path, 1 << 20, 150, "s", "c");
	append_ok(path, 1 << 20, 210, "s", "d");
	ck_assert_uint_eq(read_all(path, 160, NULL, 0, &g), 0);
	ck_assert_uint_eq(g.n, 1);
	ck_assert_str_eq(g.reason[0], "d");
	ck_assert_uint_eq(read_all(path, 120, NULL, 0, &g), 0);
	ck_assert_uint_eq(g.n, 3);	/* b, c, d: all after 100 */
	ck_assert_str_eq(g.reason[0], "b");
	got_clear(&g);
	free(path);
}
END_TEST

START_TEST(test_site_filter)
{
	const char *const want[] = { "a.example.com", "c.example.com",
	    "n\xff" };
	const char *names[] = { "a.example.com", "a.example.com.au",
	    "b.example.com", NULL, "c.example.com", "n\xff", "xa.example.com" };
	char *path = hpath();
	struct got g = { 0 };
	size_t i, seen[3] = { 0 };
	int k;

	for (k = 0; k < 700; k++)
		append_ok(path, 1 << 20, T0 + k, names[k % 7],
		    "not \"site\":\"a.example.com\"");
	append_raw(path, "{\"site\":\"a.example.com\" torn\n");
	append_raw(path, "garbage without the name\n");
	ck_assert_uint_eq(read_all(path, 0, want, 3, &g), 1);
	ck_assert_uint_eq(g.n, 300);
	for (i = 0; i < g.n; i++) {
		ck_assert_ptr_nonnull(g.site[i]);
		if (strcmp(g.site[i], want[0]) == 0)
			seen[0]++;
		else if (strcmp(g.site[i], want[1]) == 0)
			seen[1]++;
		else if (strcmp(g.site[i], "n\xef\xbf\xbd") == 0)
			seen[2]++;
	}
	ck_assert_uint_eq(seen[0], 100);
	ck_assert_uint_eq(seen[1], 100);
	ck_assert_uint_eq(seen[2], 100);
	/* with since as well */
	ck_assert_uint_eq(read_all(path, T0 + 690, want, 1, &g), 1);
	ck_assert_uint_eq(g.n, 1);
	ck_assert_int_eq(g.ts[0], T0 + 693);
	ck_assert_uint_eq(read_all(path, 0, NULL, 0, &g), 2);
	ck_assert_uint_eq(g.n, 700);
	got_clear(&g);
	free(path);
}
END_TEST

#define WRITERS	4
#define LINES	2000

/* WRITERS processes append LINES lines each, all at once. */
static void
writers_run(const char *path, uint64_t max)
{
	struct history_rec r;
	pid_t pid[WRITERS];
	char site[16], why[64];
	int w, k, st;

	for (w = 0; w < WRITERS; w++) {
		if ((pid[w] = fork()) == 0) {
			snprintf(site, sizeof(site), "w%d", w);
			r = rec_of(0, site, why);
			for (k = 0; k < LINES; k++) {
				snprintf(why, sizeof(why), "%d %s", k,
				    "padding padding padding padding");
				r.time_ms = T0 + k;
				if (history_append(path, max, &r) == -1)
					_exit(1);
			}
			_exit(0);
		}
		ck_assert_int_gt(pid[w], 0);
	}
	for (w = 0; w < WRITERS; w++) {
		ck_assert_int_eq(waitpid(pid[w], &st, 0), pid[w]);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		    "writer %d failed", w);
	}
}

/* Each writer's lines come in its order; returns how many were read. */
static size_t
writers_check(const struct got *g, size_t per[WRITERS])
{
	int last[WRITERS], w, k;
	size_t i;

	for (w = 0; w < WRITERS; w++) {
		last[w] = -1;
		per[w] = 0;
	}
	for (i = 0; i < g->n; i++) {
		ck_assert_int_eq(sscanf(g->site[i], "w%d", &w), 1);
		ck_assert_int_eq(sscanf(g->reason[i], "%d", &k), 1);
		ck_assert(w >= 0 && w < WRITERS);
		if (last[w] >= 0)	/* a rotation drops only the oldest */
			ck_assert_int_eq(k, last[w] + 1);
		ck_assert_int_eq(g->ts[i], T0 + k);
		last[w] = k;
		per[w]++;
	}
	return g->n;
}

START_TEST(test_concurrent)
{
	char *path = hpath();
	struct got g = { 0 };
	size_t per[WRITERS];
	int w;

	writers_run(path, (uint64_t)1 << 30);
	ck_assert_uint_eq(read_all(path, 0, NULL, 0, &g), 0);
	ck_assert_uint_eq(writers_check(&g, per), WRITERS * LINES);
	for (w = 0; w < WRITERS; w++)
		ck_assert_uint_eq(per[w], LINES);
	ck_assert_int_eq(fsize(path, ".1"), 0);
	got_clear(&g);
	free(path);
}
END_TEST

START_TEST(test_concurrent_rotation)
{
	const uint64_t max = 16384;
	char *path = hpath();
	struct got g = { 0 };
	size_t per[WRITERS];

	writers_run(path, max);
	ck_assert_uint_eq(read_all(path, 0, NULL, 0, &g), 0);	/* none torn */
	ck_assert_uint_gt(writers_check(&g, per), 50);
	ck_assert_int_le(fsize(path, "") + fsize(path, ".1"), max);
	/* only the oldest were dropped (writers_check: none lost in
	 * between): the newest line is the last writer's last */
	ck_assert_int_eq(g.ts[g.n - 1], T0 + LINES - 1);
	got_clear(&g);
	free(path);
}
END_TEST

/*
 * A writer killed with SIGKILL at random moments, 20 times: every time
 * the history reads, with at most the one torn line skipped.  Long
 * lines (several pages) make a write(2) cut short by the kill likely.
 */
START_TEST(test_killed_writer)
{
	char *path = hpath(), *why = reason_of(30000, 0);
	struct history_rec r;
	struct got g = { 0 };
	size_t skipped, torn = 0;
	pid_t pid;
	int round, k, st;

	srand((unsigned)getpid());
	for (round = 0; round < 20; round++) {
		if ((pid = fork()) == 0) {
			for (k = 0;; k++) {
				why[k % 29000] = (char)('a' + k % 26);
				r = rec_of(T0 + round * 1000000 + k, "s",
				    k % 3 ? "short" : why);
				if (history_append(path, 4 << 20, &r) == -1)
					_exit(1);
			}
		}
		ck_assert_int_gt(pid, 0);
		usleep(2000 + (useconds_t)(rand() % 30000));
		ck_assert_int_eq(kill(pid, SIGKILL), 0);
		ck_assert_int_eq(waitpid(pid, &st, 0), pid);
		ck_assert_msg(WIFSIGNALED(st), "the writer failed");
		skipped = read_all(path, 0, NULL, 0, &g);
		ck_assert_uint_le(skipped, 1);
		ck_assert_uint_gt(g.n, 0);
		torn += skipped;
		ck_assert_int_le(fsize(path, "") + fsize(path, ".1"), 4 << 20);
	}
	fprintf(stderr, "history: %zu of 20 kills left a torn line\n", torn);
	got_clear(&g);
	free(why);
	free(path);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("history");
	TCase *tc = tcase_create("history");

	tcase_add_checked_fixture(tc, unit_tmpdir_setup,
	    unit_tmpdir_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_path);
	tcase_add_test(tc, test_every_key);
	tcase_add_test(tc, test_absent_keys);
	tcase_add_test(tc, test_invalid_utf8);
	tcase_add_test(tc, test_control_chars);
	tcase_add_test(tc, test_rotation);
	tcase_add_test(tc, test_long_line);
	tcase_add_test(tc, test_torn_line);
	tcase_add_test(tc, test_no_history);
	tcase_add_test(tc, test_since);
	tcase_add_test(tc, test_since_reads_from_the_end);
	tcase_add_test(tc, test_site_filter);
	tcase_add_test(tc, test_concurrent);
	tcase_add_test(tc, test_concurrent_rotation);
	tcase_add_test(tc, test_killed_writer);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
