/*
 * check_state.c: the state file: round trip, fresh start, damaged
 * files, atomic replacement, the lock.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
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
	s->n.updates_applied = 4;
	s->n.updates_failed = 5;
	s->n.probes = 1ULL << 40;
	s->n.probes_failed = 6;
	s->alert_both_down = 1700000200;
	s->alert_update_failed = 1700000300;
	st->alert_isolated = 1700000400;
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
	{ "version: 2\nsites: {}\n",
	  "state:1:10: state file version 2; this dnsfailover reads version "
	  "1\n" },
	{ "version: 1\nsites:\n  a.test:\n    primary:\n      - {address: "
	  "192.0.2.300, health: up}\n",
	  "state:5:19: address: invalid IP address \"192.0.2.300\"\n" },
	{ "version: 1\nsites: [\n", "state:3:1: did not find expected node "
	  "content (while parsing a flow node at 3:1)\n" },
	{ "", "state:1:1: the state file is empty\n" },
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

int
main(void)
{
	Suite *s = suite_create("state");
	TCase *tc = tcase_create("state");

	tcase_add_checked_fixture(tc, unit_tmpdir_setup,
	    unit_tmpdir_teardown);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_missing_is_fresh);
	tcase_add_test(tc, test_any_bytes_load);
	tcase_add_loop_test(tc, test_damaged_is_an_error, 0,
	    (int)NELEM(damaged));
	tcase_add_test(tc, test_save_replaces);
	tcase_add_test(tc, test_save_unwritable);
	tcase_add_test(tc, test_lock);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
