/*
 * check_state.c: the state file: round trip, fresh start, damaged
 * files (and moving them aside), atomic replacement, the lock, the
 * temporary files killed writers left, and taking in what another
 * writer saved (state_take_foreign, the stamp).
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "state.h"
#include "unit.h"
#include "util.h"

static char *
path_in_tmp(const char *name)
{
	return xasprintf("%s/%s", unit_tmpdir(), name);
}

static void
sample(struct state *st)
{
	struct state_site *s;
	char err[PARSE_ERRLEN];

	memset(st, 0, sizeof(*st));
	s = state_add(st, "site1.example.com");
	s->st.side = SIDE_FAILOVER;
	s->st.nprimary = 2;
	s->st.primary = xcalloc(2, sizeof(*s->st.primary));
	s->st.failover = xcalloc(1, sizeof(*s->st.failover));
	s->st.published = xcalloc(1, sizeof(*s->st.published));
	s->want = xcalloc(1, sizeof(*s->want));
	addr_parse("192.0.2.10", &s->st.primary[0].addr, err, sizeof(err));
	s->st.primary[0].health = HEALTH_DOWN;
	s->st.primary[0].fail_run = 3;
	s->st.primary[0].last_reason = PROBE_HTTP_STATUS;
	str_copy(s->st.primary[0].last_error, "HTTP 503",
	    sizeof(s->st.primary[0].last_error));
	addr_parse("2001:db8::10", &s->st.primary[1].addr, err, sizeof(err));
	s->st.nfailover = 1;
	addr_parse("198.51.100.20", &s->st.failover[0].addr, err, sizeof(err));
	s->st.failover[0].health = HEALTH_UP;
	s->st.failover[0].ok_run = 7;
	s->st.failover[0].probed = true;
	s->st.failover[0].last_ms = 12;
	s->n.switches = 3;
	s->n.failbacks = 1;
	s->n.flips = 2;
	s->n.releases = 8;
	s->n.updates_applied = 4;
	s->n.updates_failed = 5;
	s->n.probes = 1ULL << 40;
	s->n.probes_failed = 6;
	s->alert_both_down = 1700000200;
	s->alert_update_failed = 1700000300;
	s->alert_failback_ready = 1700000500;
	st->alert_isolated = 1700000400;
	/* rules 20, 21 (version 4) */
	s->st.up_since = 1700000600;
	s->st.failback_since = 1700000610;
	s->st.side_by_hand = true;
	s->st.nswitched = 2;
	s->st.switched = xcalloc(2, sizeof(*s->st.switched));
	s->st.switched[0] = 1699990000;
	s->st.switched[1] = 1700000000;
	s->st.published_known = true;
	s->st.npublished = 1;
	s->st.published[0] = s->st.failover[0].addr;
	s->st.last_change = 1700000000;
	str_copy(s->st.last_reason, "switched: \"quotes\", back\\slash,\ttab",
	    sizeof(s->st.last_reason));
	s->st.hold.active = true;
	s->st.hold.side = SIDE_FAILOVER;
	s->st.hold.until = 1700003600;
	str_copy(s->st.hold.who, "alice", sizeof(s->st.hold.who));
	str_copy(s->st.hold.reason, "db migration: #42",
	    sizeof(s->st.hold.reason));
	s->pending = true;
	s->nwant = 1;
	s->want[0] = s->st.primary[0].addr;
	s->pending_since = 1700000100;
	str_copy(s->pending_error, "server 127.0.0.1:53, zone example.com: "
	    "no answer in time over TCP", sizeof(s->pending_error));
	s = state_add(st, "fresh.example.net");
	s->st.side = SIDE_PRIMARY;
}

/* Every field, arrays by content. */
static void
site_eq(const struct state_site *a, const struct state_site *b)
{
	struct state_site x = *a, y = *b;

	ck_assert_uint_eq(a->st.nprimary, b->st.nprimary);
	ck_assert_uint_eq(a->st.nfailover, b->st.nfailover);
	ck_assert_uint_eq(a->st.npublished, b->st.npublished);
	ck_assert_uint_eq(a->nwant, b->nwant);
	if (a->st.nprimary)
		ck_assert_mem_eq(a->st.primary, b->st.primary,
		    a->st.nprimary * sizeof(*a->st.primary));
	if (a->st.nfailover)
		ck_assert_mem_eq(a->st.failover, b->st.failover,
		    a->st.nfailover * sizeof(*a->st.failover));
	if (a->st.npublished)
		ck_assert_mem_eq(a->st.published, b->st.published,
		    a->st.npublished * sizeof(*a->st.published));
	if (a->nwant)
		ck_assert_mem_eq(a->want, b->want, a->nwant * sizeof(*a->want));
	ck_assert_uint_eq(a->st.nswitched, b->st.nswitched);
	if (a->st.nswitched)
		ck_assert_mem_eq(a->st.switched, b->st.switched,
		    a->st.nswitched * sizeof(*a->st.switched));
	x.st.switched = y.st.switched = NULL;
	x.st.primary = y.st.primary = NULL;
	x.st.failover = y.st.failover = NULL;
	x.st.published = y.st.published = NULL;
	x.want = y.want = NULL;
	ck_assert_mem_eq(&x, &y, sizeof(x));
}

START_TEST(test_round_trip)
{
	struct state a, b;
	struct diags d;
	struct stat sb;
	char *p = path_in_tmp("state");

	sample(&a);
	ck_assert_int_eq(state_save(p, &a), 0);
	ck_assert_int_eq(stat(p, &sb), 0);
	ck_assert_uint_eq(sb.st_mode & 0777, 0600);
	diags_init(&d);
	ck_assert_int_eq(state_load(p, &b, &d), 0);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_uint_eq(b.nsites, 2);
	site_eq(&a.sites[0], &b.sites[0]);
	site_eq(&a.sites[1], &b.sites[1]);
	ck_assert_int_eq(a.alert_isolated, b.alert_isolated);
	state_clear(&a);
	state_clear(&b);
	diags_clear(&d);
	free(p);
}
END_TEST

/* Whatever an operator types as a reason, the state file loads again. */
START_TEST(test_any_bytes_load)
{
	struct state a, b;
	struct diags d;
	char *p = path_in_tmp("state");

	memset(&a, 0, sizeof(a));
	state_add(&a, "x.test");
	/* Latin-1, a cut UTF-8 character, a C1 control, good UTF-8 */
	str_copy(a.sites[0].st.hold.reason, "caf\xe9 \xe2\x82 \xc2\x85 "
	    "\xc3\xa9\xe2\x82\xac", sizeof(a.sites[0].st.hold.reason));
	a.sites[0].st.hold.active = true;
	ck_assert_int_eq(state_save(p, &a), 0);
	diags_init(&d);
	ck_assert_int_eq(state_load(p, &b, &d), 0);
	ck_assert_str_eq(b.sites[0].st.hold.reason, "caf? ?? \xc2\x85 "
	    "\xc3\xa9\xe2\x82\xac");
	state_clear(&a);
	state_clear(&b);
	diags_clear(&d);
	free(p);
}
END_TEST

/*
 * A text longer than its field (a file edited by hand) is cut before a
 * character, not inside one, so it saves and loads back the same (found
 * by the round trip of tests/fuzz/fuzz_state.c).
 */
START_TEST(test_long_text_cut_whole)
{
	/* 318 + 4 bytes for a field of 319: cut inside the first é */
	char *p, *text = xasprintf("version: 1\nsites:\n  a.test:\n    "
	    "last_reason: \"%0*d\xc3\xa9\xc3\xa9\"\n", 318, 0);
	struct state a, b;
	struct diags d;

	p = unit_write("state", text, 0600);
	diags_init(&d);
	ck_assert_int_eq(state_load(p, &a, &d), 0);
	ck_assert_uint_eq(strlen(a.sites[0].st.last_reason), 318);
	ck_assert_int_eq(state_save(p, &a), 0);
	ck_assert_int_eq(state_load(p, &b, &d), 0);
	ck_assert_str_eq(a.sites[0].st.last_reason, b.sites[0].st.last_reason);
	state_clear(&a);
	state_clear(&b);
	diags_clear(&d);
	free(text);
	free(p);
}
END_TEST

/*
 * A version 3 file (before rules 20 and 21) loads: no failback wait, no
 * switches counted, nothing by hand.
 */
START_TEST(test_version_3_loads)
{
	char *p = unit_write("state", "version: 3\n"
	    "alerts: {monitor_isolated: 0, quorum_lost: 0}\n"
	    "probing: {blind_since: 0, blind_rounds: 0, cause: \"\"}\n"
	    "sites:\n  \"a.test\":\n    side: failover\n"
	    "    published: [\"198.51.100.20\"]\n    last_change: 5\n"
	    "    last_reason: \"\"\n    drift: false\n    hold_unsent: true\n"
	    "    hold: null\n    pending: null\n"
	    "    counters: {switches: 3, updates_applied: 3, updates_failed: 0, "
	    "probes: 9, probes_failed: 2}\n"
	    "    alerts: {both_down: 0, update_failed: 0, cert_expiring: 0}\n"
	    "    primary: []\n    failover: []\n", 0600);
	struct state st;
	struct diags d;

	diags_init(&d);
	ck_assert_int_eq(state_load(p, &st, &d), 0);
	ck_assert_uint_eq(st.nsites, 1);
	ck_assert_uint_eq(st.sites[0].n.switches, 3);
	ck_assert_uint_eq(st.sites[0].n.failbacks, 0);
	ck_assert_int_eq(st.sites[0].st.failback_since, 0);
	ck_assert(!st.sites[0].st.side_by_hand);
	ck_assert_uint_eq(st.sites[0].st.nswitched, 0);
	state_clear(&st);
	diags_clear(&d);
	free(p);
}
END_TEST

START_TEST(test_missing_is_fresh)
{
	struct state st;
	struct diags d;
	char *p = path_in_tmp("nothing-here");

	diags_init(&d);
	ck_assert_int_eq(state_load(p, &st, &d), 0);
	ck_assert_uint_eq(st.nsites, 0);
	diags_clear(&d);
	free(p);
}
END_TEST

static const struct {
	const char	*text;
	const char	*msgs;
} damaged[] = {
	{ "version: 1\nsites:\n  a.test:\n    side: sideways\n",
	  "state:4:11: side: \"sideways\" is not one of: primary, failover\n" },
	{ "version: 5\nsites: {}\n",
	  "state: state file version 5 (line 1); this dnsfailover reads "
	  "versions 1 to 4\n" },
	{ "version: 1\nsites:\n  a.test:\n    primary:\n      - {address: "
	  "192.0.2.300, health: up}\n",
	  "state:5:19: address: invalid IP address \"192.0.2.300\"\n" },
	/* found by fuzz_state: it loaded, then saved as address "" */
	{ "version: 1\nsites:\n  a.test:\n    primary:\n      - {health: up, "
	  "ms: 2}\n",
	  "state:5:9: primary: an entry without an address\n" },
	{ "version: 1\nsites: [\n", "state:3:1: did not find expected node "
	  "content (while parsing a flow node at 3:1)\n" },
	{ "", "state:1:1: the state file is empty\n" },
	{ "version: 4\nsites:\n  a.test:\n    switched: [5, x, -1]\n",
	  "state:4:19: switched: expected an integer, got \"x\"\n"
	  "state:4:22: switched: expected an integer, got \"-1\"\n" },
};

START_TEST(test_damaged_is_an_error)
{
	char *p = path_in_tmp("state"), *msgs;
	struct state st;
	struct diags d;

	free(unit_write("state", damaged[_i].text, 0600));
	diags_init(&d);
	ck_assert_int_eq(state_load(p, &st, &d), -1);
	ck_assert_uint_eq(st.nsites, 0);
	msgs = unit_diags_text(&d);
	ck_assert_str_eq(msgs, damaged[_i].msgs);
	free(msgs);
	diags_clear(&d);
	free(p);
}
END_TEST

/* A save replaces the file whole and leaves no temporary file. */
START_TEST(test_save_replaces)
{
	struct state a;
	char *p = path_in_tmp("state");
	struct dirent *e;
	DIR *dir;
	int n = 0;

	sample(&a);
	ck_assert_int_eq(state_save(p, &a), 0);
	a.nsites = 1;
	ck_assert_int_eq(state_save(p, &a), 0);
	dir = opendir(unit_tmpdir());
	while ((e = readdir(dir)) != NULL)
		n += e->d_name[0] != '.';
	closedir(dir);
	ck_assert_int_eq(n, 1);
	state_clear(&a);
	free(p);
}
END_TEST

START_TEST(test_save_unwritable)
{
	struct state a;
	char *p = xasprintf("%s/no/such/dir/state", unit_tmpdir());

	sample(&a);
	ck_assert_int_eq(state_save(p, &a), -1);
	ck_assert_int_eq(errno, ENOENT);
	state_clear(&a);
	free(p);
}
END_TEST

/* A second holder fails at once; a waiter gets it when it is free. */
START_TEST(test_lock)
{
	char *p = path_in_tmp("state");
	int fd = state_lock(p, 0), st;
	pid_t pid;

	ck_assert_int_ge(fd, 0);
	if ((pid = fork()) == 0)
		_exit(state_lock(p, 0) == -1 && errno == EWOULDBLOCK ? 0 : 1);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	if ((pid = fork()) == 0) {
		close(fd);	/* an inherited copy would keep the lock */
		_exit(state_lock(p, 3000) >= 0 ? 0 : 1);
	}
	usleep(200000);
	state_unlock(fd);		/* the waiter takes it */
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	free(p);
}
END_TEST

/* How many state.broken.* files the temporary directory holds. */
static int
broken_count(void)
{
	struct dirent *e;
	DIR *dir = opendir(unit_tmpdir());
	int n = 0;

	while ((e = readdir(dir)) != NULL)
		n += strncmp(e->d_name, "state.broken.", 13) == 0;
	closedir(dir);
	return n;
}

static bool
exists(const char *name)
{
	char *p = path_in_tmp(name);
	bool yes = access(p, F_OK) == 0;

	free(p);
	return yes;
}

/*
 * Defect 6: a save killed before its rename leaves state.tmp.PID; the
 * next holder of the lock removes exactly those names, nothing else.
 */
START_TEST(test_lock_removes_stale_temps)
{
	static const char *const stale[] = { "state.tmp.4242", "state.tmp.1",
	    "state.tmp.99999999" };
	static const char *const other[] = { "state", "state.tmp.",
	    "state.tmp.12a", "state.tmp.-1", "state.tmp.1.x", "statex.tmp.7",
	    "xstate.tmp.7", "metrics.prom.tmp.77", "state.broken.20261201T2030"
	    "00Z", "state.lock.tmp.5" };
	char *p = path_in_tmp("state");
	size_t i;
	int fd;

	for (i = 0; i < NELEM(stale); i++)
		free(unit_write(stale[i], "version: 1\nsi", 0600));
	for (i = 0; i < NELEM(other); i++)
		free(unit_write(other[i], "x", 0600));
	ck_assert_int_ge(fd = state_lock(p, 0), 0);
	for (i = 0; i < NELEM(stale); i++)
		ck_assert_msg(!exists(stale[i]), "%s is left", stale[i]);
	for (i = 0; i < NELEM(other); i++)
		ck_assert_msg(exists(other[i]), "%s was removed", other[i]);
	state_unlock(fd);
	free(p);
}
END_TEST

/* A real state file cut short, and one with garbage in the middle. */
static char *
broken_file(int kind)
{
	struct state a;
	char *p = path_in_tmp("state"), *buf;
	size_t len;
	FILE *fp;

	sample(&a);
	ck_assert_int_eq(state_save(p, &a), 0);
	state_clear(&a);
	ck_assert_int_eq(file_read(p, &buf, &len), 0);
	if (kind == 0)
		len = len * 2 / 3;		/* truncated */
	else
		memcpy(buf + len / 2, "\t]]: {\x01", 6);	/* garbled */
	ck_assert_ptr_nonnull(fp = fopen(p, "w"));
	ck_assert_uint_eq(fwrite(buf, 1, len, fp), len);
	fclose(fp);
	free(buf);
	return p;
}

/*
 * A damaged file is moved aside as state.broken.STAMP (a suffix when
 * that exists), the damage kept with its position, the state empty.
 */
START_TEST(test_broken_moved_aside)
{
	char *p = broken_file(_i), *msgs, moved[4096];
	time_t t = 1796157000;		/* 2026-12-01 20:30:00 UTC */
	struct state st;
	struct diags d;

	diags_init(&d);
	ck_assert_int_eq(state_load_or_move(p, &st, &d, t, moved,
	    sizeof(moved)), 1);
	ck_assert_uint_eq(st.nsites, 0);
	ck_assert_ptr_null(st.sites);
	msgs = unit_diags_text(&d);
	ck_assert_msg(strncmp(msgs, "state:", 6) == 0 && msgs[6] >= '1' &&
	    msgs[6] <= '9', "no position: %s", msgs);
	free(msgs);
	diags_clear(&d);
	ck_assert_str_eq(moved + strlen(unit_tmpdir()),
	    "/state.broken.20261201T203000Z");
	ck_assert(!exists("state"));
	ck_assert(exists("state.broken.20261201T203000Z"));
	/* the same second again: a suffix, nothing overwritten */
	free(broken_file(_i));
	diags_init(&d);
	ck_assert_int_eq(state_load_or_move(p, &st, &d, t, moved,
	    sizeof(moved)), 1);
	diags_clear(&d);
	ck_assert_str_eq(moved + strlen(unit_tmpdir()),
	    "/state.broken.20261201T203000Z.1");
	ck_assert(exists("state.broken.20261201T203000Z"));
	ck_assert(!exists("state"));
	/* and then: a fresh start, nothing moved */
	diags_init(&d);
	ck_assert_int_eq(state_load_or_move(p, &st, &d, t, moved,
	    sizeof(moved)), 0);
	ck_assert_uint_eq(st.nsites, 0);
	diags_clear(&d);
	free(p);
}
END_TEST

/*
 * A file that cannot be read at all (out of descriptors, a directory) is
 * not damaged: it stays where it is, and the caller refuses.  (Moving a
 * good state aside when a round ran out of descriptors lost the holds.)
 */
START_TEST(test_unreadable_not_moved)
{
	char *p = path_in_tmp("state"), moved[4096];
	struct rlimit rl = { 3, 3 };
	struct state a, st;
	struct diags d;
	pid_t pid;
	int wst;

	if (_i == 0) {
		sample(&a);
		ck_assert_int_eq(state_save(p, &a), 0);
		state_clear(&a);
	} else if (_i == 1)
		ck_assert_int_eq(mkdir(p, 0700), 0);
	else	/* another version's: not damaged, never moved aside */
		free(unit_write("state", "version: 5\nsites: {}\n", 0600));
	if ((pid = fork()) == 0) {
		if (_i == 0 && setrlimit(RLIMIT_NOFILE, &rl) == -1)
			_exit(2);
		diags_init(&d);
		_exit(state_load_or_move(p, &st, &d, time(NULL), moved,
		    sizeof(moved)) == -1 && st.nsites == 0 ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &wst, 0), pid);
	ck_assert_int_eq(WEXITSTATUS(wst), 0);
	ck_assert(exists("state"));
	ck_assert_int_eq(broken_count(), 0);
	free(p);
}
END_TEST

/* A good file is read and stays where it is. */
START_TEST(test_good_not_moved)
{
	struct state a, b;
	struct diags d;
	char *p = path_in_tmp("state"), moved[64] = "";

	sample(&a);
	ck_assert_int_eq(state_save(p, &a), 0);
	diags_init(&d);
	ck_assert_int_eq(state_load_or_move(p, &b, &d, time(NULL), moved,
	    sizeof(moved)), 0);
	ck_assert_uint_eq(b.nsites, 2);
	ck_assert_str_eq(moved, "");
	ck_assert(exists("state"));
	state_clear(&a);
	state_clear(&b);
	diags_clear(&d);
	free(p);
}
END_TEST

/* The index behind state_find() stays right while entries are added. */
START_TEST(test_find_index)
{
	struct state st;
	char name[64];
	size_t i;

	memset(&st, 0, sizeof(st));
	ck_assert_ptr_null(state_find(&st, "a.test"));
	for (i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "s%zu.example.test", i);
		state_add(&st, name)->pending_since = (time_t)i;
		if (i % 997 == 0)	/* built early, then kept up to date */
			ck_assert_ptr_nonnull(state_find(&st, "s0.example.test"));
	}
	for (i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "s%zu.example.test", i);
		ck_assert_int_eq(state_find(&st, name)->pending_since, i);
	}
	ck_assert_ptr_null(state_find(&st, "s5000.example.test"));
	ck_assert_ptr_null(state_find(&st, "S1.example.test"));
	st.sites[0] = st.sites[--st.nsites];	/* removed by hand */
	state_reindex(&st);
	ck_assert_ptr_null(state_find(&st, "s0.example.test"));
	ck_assert_int_eq(state_find(&st, "s4999.example.test") - st.sites, 0);
	state_clear(&st);
}
END_TEST

/*
 * state_take_foreign(): what flip, release or check (another process)
 * wrote for one site, and what the daemon's own state holds after
 * taking it in.  Ours: a.test on primary, no hold, an update pending,
 * its own counters.  Theirs: the row's a.test (or a site ours does not
 * know), with other counters.
 */
static const struct foreign_row {
	const char	*what;
	const char	*site;		/* theirs */
	bool		 held;		/* held on side by bob */
	enum side	 side;
	bool		 drift;
	bool		 pending;	/* want 192.0.2.99 */
	size_t		 changed;	/* state_take_foreign() returns */
	const char	*told;		/* changed() was called for */
} foreign_rows[] = {
	{ "a flip written by another process", "a.test", true,
	    SIDE_FAILOVER, false, false, 1, "a.test " },
	{ "a flip with its update still pending", "a.test", true,
	    SIDE_FAILOVER, false, true, 1, "a.test " },
	{ "a release: pending carried, no change told", "a.test", false,
	    SIDE_PRIMARY, false, true, 0, "" },
	{ "drift found by check", "a.test", false, SIDE_PRIMARY, true,
	    false, 1, "a.test " },
	{ "nothing new: their pending (none) wins", "a.test", false,
	    SIDE_PRIMARY, false, false, 0, "" },
	{ "a site the daemon does not know is ignored", "gone.test", true,
	    SIDE_FAILOVER, true, true, 0, "" },
};

static char told[256];

static void
foreign_told(const struct state_site *x, void *arg)
{
	ck_assert_ptr_eq(arg, told);
	snprintf(told + strlen(told), sizeof(told) - strlen(told), "%s ",
	    x->name);
}

static void
one_addr(struct addr **a, size_t *n, const char *text)
{
	char err[PARSE_ERRLEN];

	*a = xcalloc(1, sizeof(**a));
	*n = 1;
	ck_assert_int_eq(addr_parse(text, *a, err, sizeof(err)), 0);
}

static void
foreign_site(struct state_site *s, enum health h, unsigned fail_run,
    uint64_t switches)
{
	one_addr(&s->st.published, &s->st.npublished, "192.0.2.10");
	s->st.published_known = true;
	s->st.primary = xcalloc(1, sizeof(*s->st.primary));
	s->st.nprimary = 1;
	s->st.primary[0].addr = s->st.published[0];
	s->st.primary[0].health = h;
	s->st.primary[0].fail_run = fail_run;
	s->n.switches = s->n.probes = switches;
}

START_TEST(test_take_foreign)
{
	const struct foreign_row *r = &foreign_rows[_i];
	struct state ours, theirs;
	struct state_site *x, *y;
	char err[PARSE_ERRLEN];
	struct addr want, mine;
	bool known = strcmp(r->site, "a.test") == 0;

	memset(&ours, 0, sizeof(ours));
	memset(&theirs, 0, sizeof(theirs));
	x = state_add(&ours, "a.test");
	foreign_site(x, HEALTH_DOWN, 2, 7);
	x->alert_both_down = 5;
	x->pending = true;
	one_addr(&x->want, &x->nwant, "203.0.113.1");
	str_copy(x->pending_error, "ours", sizeof(x->pending_error));
	y = state_add(&theirs, r->site);
	foreign_site(y, HEALTH_UP, 0, 1);
	y->n.flips = 4;
	y->st.side = r->side;
	y->st.drift = r->drift;
	y->st.last_change = 1700000000;
	str_copy(y->st.last_reason, "flip by bob", sizeof(y->st.last_reason));
	if (r->held) {
		y->st.hold.active = true;
		y->st.hold.side = r->side;
		str_copy(y->st.hold.who, "bob", sizeof(y->st.hold.who));
	}
	if (r->side == SIDE_FAILOVER)
		ck_assert_int_eq(addr_parse("198.51.100.20",
		    &y->st.published[0], err, sizeof(err)), 0);
	if ((y->pending = r->pending)) {
		one_addr(&y->want, &y->nwant, "192.0.2.99");
		str_copy(y->pending_error, "theirs", sizeof(y->pending_error));
		y->pending_since = 1700000100;
	}
	mine = x->want[0];
	want = y->want != NULL ? y->want[0] : mine;
	told[0] = '\0';

	ck_assert_msg(state_take_foreign(&ours, &theirs, foreign_told,
	    told) == r->changed, "%s: changed", r->what);
	ck_assert_str_eq(told, r->told);
	x = state_find(&ours, "a.test");
	ck_assert_uint_eq(ours.nsites, 1);	/* nothing added */
	ck_assert_ptr_null(state_find(&ours, "gone.test"));
	/* the counters stay ours, whatever the row; but for flips and
	 * releases, which only the commands count */
	ck_assert_uint_eq(x->n.switches, 7);
	ck_assert_uint_eq(x->n.flips, known ? 4 : 0);
	ck_assert_uint_eq(x->n.probes, 7);
	ck_assert_int_eq(x->st.primary[0].health, HEALTH_DOWN);
	ck_assert_uint_eq(x->st.primary[0].fail_run, 2);
	ck_assert_int_eq(x->alert_both_down, 5);
	if (!known) {			/* untouched */
		ck_assert(x->st.side == SIDE_PRIMARY && !x->st.hold.active &&
		    !x->st.drift && x->pending);
		ck_assert_str_eq(x->pending_error, "ours");
		ck_assert_mem_eq(&x->want[0], &mine, sizeof(mine));
		ck_assert_ptr_nonnull(y->want);	/* still theirs */
		goto out;
	}
	ck_assert_int_eq(x->st.side, r->side);
	ck_assert_int_eq(x->st.hold.active, r->held);
	ck_assert_int_eq(x->st.drift, r->drift);
	if (r->held)
		ck_assert_str_eq(x->st.hold.who, "bob");
	ck_assert_int_eq(x->st.last_change, 1700000000);
	ck_assert_str_eq(x->st.last_reason, "flip by bob");
	ck_assert(x->st.published_known);
	ck_assert_uint_eq(x->st.npublished, 1);
	ck_assert_str_eq(x->st.published[0].text, r->side == SIDE_FAILOVER ?
	    "198.51.100.20" : "192.0.2.10");
	ck_assert_int_eq(x->pending, r->pending);
	ck_assert_ptr_null(y->want);	/* moved, or none */
	if (r->pending) {
		ck_assert_uint_eq(x->nwant, 1);
		ck_assert_mem_eq(&x->want[0], &want, sizeof(want));
		ck_assert_str_eq(x->pending_error, "theirs");
		ck_assert_int_eq(x->pending_since, 1700000100);
	} else {
		ck_assert_ptr_null(x->want);
		ck_assert_str_eq(x->pending_error, "");
	}
out:
	state_clear(&ours);
	state_clear(&theirs);
}
END_TEST

/* A save by another writer is a new file (rename): the stamp tells. */
START_TEST(test_stamp)
{
	struct state_stamp t;
	struct state st;
	char *p = path_in_tmp("state");

	sample(&st);
	state_stamp_take(p, &t);
	ck_assert(!t.known);
	ck_assert(!state_stamp_changed(p, &t));	/* none: nothing to read */
	ck_assert_int_eq(state_save(p, &st), 0);
	ck_assert(state_stamp_changed(p, &t));	/* made since */
	state_stamp_take(p, &t);
	ck_assert(t.known);
	ck_assert(!state_stamp_changed(p, &t));
	ck_assert_int_eq(state_save(p, &st), 0);
	ck_assert(state_stamp_changed(p, &t));	/* replaced */
	state_clear(&st);
	free(p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("state");
	TCase *tc = tcase_create("state");

	tcase_add_checked_fixture(tc, unit_tmpdir_setup,
	    unit_tmpdir_teardown);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_missing_is_fresh);
	tcase_add_test(tc, test_version_3_loads);
	tcase_add_test(tc, test_any_bytes_load);
	tcase_add_test(tc, test_long_text_cut_whole);
	tcase_add_loop_test(tc, test_damaged_is_an_error, 0,
	    (int)NELEM(damaged));
	tcase_add_test(tc, test_save_replaces);
	tcase_add_test(tc, test_save_unwritable);
	tcase_add_test(tc, test_lock);
	tcase_add_test(tc, test_lock_removes_stale_temps);
	tcase_add_loop_test(tc, test_broken_moved_aside, 0, 2);
	tcase_add_test(tc, test_good_not_moved);
	tcase_add_test(tc, test_find_index);
	tcase_add_loop_test(tc, test_unreadable_not_moved, 0, 3);
	tcase_add_loop_test(tc, test_take_foreign, 0,
	    (int)NELEM(foreign_rows));
	tcase_add_test(tc, test_stamp);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
