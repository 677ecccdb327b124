/*
 * check_mirror.c: the votes zone's copy (mirror.h): transfers taken in
 * with the seen_ms rules, the index, and the file kept between runs
 * (round trip of any byte, damage, another zone's file).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mirror.h"
#include "unit.h"
#include "util.h"

#define Z	"votes.example"

static struct xfr_result xr;

/* Appends a change: an add or delete of the RR of the strings after
 * owner (NULL-terminated). */
static void
chg(bool add, const char *owner, ...)
{
	struct xfr_change *c;
	const char *s;
	va_list ap;

	xr.c = xreallocarray(xr.c, xr.n + 1, sizeof(*xr.c));
	c = &xr.c[xr.n++];
	memset(c, 0, sizeof(*c));
	c->add = add;
	c->owner = xstrdup(owner);
	va_start(ap, owner);
	while ((s = va_arg(ap, const char *)) != NULL)
		vote_txt_add(&c->txt, s, strlen(s));
	va_end(ap);
}

static void
xr_start(enum xfr_kind kind, uint32_t serial)
{
	size_t i;

	for (i = 0; i < xr.n; i++) {
		free(xr.c[i].owner);
		vote_txt_clear(&xr.c[i].txt);
	}
	free(xr.c);
	memset(&xr, 0, sizeof(xr));
	xr.kind = kind;
	xr.serial = serial;
}

static int64_t
seen(const struct mirror *m, const char *owner)
{
	const struct mirror_entry *e = mirror_get(m, owner);

	ck_assert_msg(e != NULL, "%s missing", owner);
	return e->seen_ms;
}

static size_t
nrr(const struct mirror *m, const char *owner)
{
	const struct mirror_entry *e = mirror_get(m, owner);

	return e == NULL ? 0 : e->nrr;
}

/* A zone as a first AXFR gives it. */
static void
first(struct mirror *m)
{
	mirror_init(m, "Votes.Example.");
	ck_assert_str_eq(m->zone, Z);
	xr_start(XFR_FULL, 10);
	chg(true, "fra1." Z, "v=1", "beat=1", NULL);
	chg(true, "ams1." Z, "v=1", "beat=5", NULL);
	chg(true, "g3u0ve96dmrrgfs5.fra1." Z, "v=1", "site=www.example.com",
	    "want=none", "set=", "why=", NULL);
	chg(true, "two." Z, "v=1", "beat=1", NULL);
	chg(true, "two." Z, "v=1", "beat=2", NULL);
	chg(true, "outside.example", "v=1", NULL);	/* not ours */
	mirror_apply(m, &xr, 1000);
}

START_TEST(test_full_first)
{
	struct mirror m;

	first(&m);
	ck_assert(m.synced);
	ck_assert_uint_eq(m.serial, 10);
	ck_assert_uint_eq(m.n, 4);
	ck_assert_int_eq(seen(&m, "fra1." Z), 0);
	ck_assert_int_eq(seen(&m, "ams1." Z), 0);
	ck_assert_int_eq(seen(&m, "two." Z), 0);
	ck_assert_uint_eq(nrr(&m, "two." Z), 2);
	ck_assert_ptr_null(mirror_get(&m, "outside.example"));
	ck_assert_ptr_null(mirror_get(&m, "nothing." Z));
	ck_assert_ptr_nonnull(mirror_txt(&m, "fra1." Z));
	ck_assert_str_eq(mirror_txt(&m, "fra1." Z)->s[1], "beat=1");
	ck_assert_ptr_null(mirror_txt(&m, "two." Z));	/* several */
	ck_assert_ptr_null(mirror_txt(&m, "nothing." Z));
	mirror_clear(&m);
	ck_assert_uint_eq(m.n, 0);
	ck_assert(!m.synced);
	ck_assert_str_eq(m.zone, Z);
	xr_start(XFR_UPTODATE, 0);
}
END_TEST

/* A later full transfer: the unchanged keep seen_ms (a set, in any
 * order), the changed and new get now, the gone go. */
START_TEST(test_full_again)
{
	struct mirror m;

	first(&m);
	xr_start(XFR_FULL, 12);
	chg(true, "two." Z, "v=1", "beat=2", NULL);	/* reordered */
	chg(true, "two." Z, "v=1", "beat=1", NULL);
	chg(true, "fra1." Z, "v=1", "beat=2", NULL);	/* changed */
	chg(true, "new1." Z, "v=1", "beat=1", NULL);	/* new */
	chg(true, "g3u0ve96dmrrgfs5.fra1." Z, "v=1", "site=www.example.com",
	    "want=none", "set=", "why=", NULL);
	mirror_apply(&m, &xr, 2000);
	ck_assert_uint_eq(m.serial, 12);
	ck_assert_uint_eq(m.n, 4);
	ck_assert_int_eq(seen(&m, "two." Z), 0);
	ck_assert_int_eq(seen(&m, "g3u0ve96dmrrgfs5.fra1." Z), 0);
	ck_assert_int_eq(seen(&m, "fra1." Z), 2000);
	ck_assert_int_eq(seen(&m, "new1." Z), 2000);
	ck_assert_ptr_null(mirror_get(&m, "ams1." Z));	/* gone */
	/* and once more: now they keep 2000 */
	xr_start(XFR_FULL, 13);
	chg(true, "fra1." Z, "v=1", "beat=2", NULL);
	chg(true, "new1." Z, "v=1", "beat=2", NULL);
	mirror_apply(&m, &xr, 3000);
	ck_assert_uint_eq(m.n, 2);
	ck_assert_int_eq(seen(&m, "fra1." Z), 2000);
	ck_assert_int_eq(seen(&m, "new1." Z), 3000);
	mirror_clear(&m);
	xr_start(XFR_UPTODATE, 0);
}
END_TEST

START_TEST(test_incremental)
{
	struct mirror m;

	first(&m);
	xr_start(XFR_INCREMENTAL, 11);
	/* a heartbeat replaced */
	chg(false, "fra1." Z, "v=1", "beat=1", NULL);
	chg(true, "fra1." Z, "v=1", "beat=2", NULL);
	/* one of two RRs deleted; then the other: the owner goes */
	chg(false, "two." Z, "v=1", "beat=2", NULL);
	/* a delete of an RR not there changes nothing */
	chg(false, "ams1." Z, "v=1", "beat=4", NULL);
	chg(false, "none." Z, "v=1", "beat=4", NULL);
	/* an add of one there is not added twice */
	chg(true, "ams1." Z, "v=1", "beat=5", NULL);
	chg(true, "new." Z, "v=1", "beat=1", NULL);
	chg(true, "new." Z, "v=1", "beat=1", NULL);
	chg(false, "outside.example", "v=1", NULL);
	mirror_apply(&m, &xr, 5000);
	ck_assert_uint_eq(m.serial, 11);
	ck_assert_int_eq(seen(&m, "fra1." Z), 5000);
	ck_assert_uint_eq(nrr(&m, "fra1." Z), 1);
	ck_assert_str_eq(mirror_txt(&m, "fra1." Z)->s[1], "beat=2");
	ck_assert_int_eq(seen(&m, "two." Z), 5000);
	ck_assert_uint_eq(nrr(&m, "two." Z), 1);
	ck_assert_str_eq(mirror_txt(&m, "two." Z)->s[1], "beat=1");
	ck_assert_int_eq(seen(&m, "ams1." Z), 0);
	ck_assert_uint_eq(nrr(&m, "ams1." Z), 1);
	ck_assert_ptr_null(mirror_get(&m, "none." Z));
	ck_assert_int_eq(seen(&m, "new." Z), 5000);
	ck_assert_uint_eq(nrr(&m, "new." Z), 1);
	ck_assert_int_eq(seen(&m, "g3u0ve96dmrrgfs5.fra1." Z), 0);

	xr_start(XFR_INCREMENTAL, 12);
	chg(false, "two." Z, "v=1", "beat=1", NULL);
	chg(false, "new." Z, "v=1", "beat=1", NULL);
	chg(true, "new." Z, "v=1", "beat=1", NULL);	/* back: touched */
	mirror_apply(&m, &xr, 6000);
	ck_assert_ptr_null(mirror_get(&m, "two." Z));
	ck_assert_int_eq(seen(&m, "new." Z), 6000);
	ck_assert_uint_eq(m.n, 4);
	/* the index still finds every one after removals */
	ck_assert_int_eq(seen(&m, "fra1." Z), 5000);
	ck_assert_int_eq(seen(&m, "ams1." Z), 0);
	mirror_clear(&m);
	xr_start(XFR_UPTODATE, 0);
}
END_TEST

START_TEST(test_uptodate)
{
	struct mirror m;

	first(&m);
	xr_start(XFR_UPTODATE, 10);
	mirror_apply(&m, &xr, 9000);
	ck_assert_uint_eq(m.n, 4);
	ck_assert_uint_eq(m.serial, 10);
	ck_assert_int_eq(seen(&m, "fra1." Z), 0);
	mirror_clear(&m);
	/* unsynced: nothing to be up to date with */
	mirror_apply(&m, &xr, 9000);
	ck_assert(!m.synced);
	ck_assert_uint_eq(m.n, 0);
}
END_TEST

/* A bad RR (a string with a NUL) is kept but not trusted. */
START_TEST(test_bad_not_trusted)
{
	struct mirror m;

	mirror_init(&m, Z);
	xr_start(XFR_FULL, 1);
	chg(true, "a." Z, "v=1", NULL);
	vote_txt_add(&xr.c[0].txt, "x\0y", 3);
	mirror_apply(&m, &xr, 1);
	ck_assert_uint_eq(nrr(&m, "a." Z), 1);
	ck_assert_ptr_null(mirror_txt(&m, "a." Z));
	mirror_clear(&m);
	xr_start(XFR_UPTODATE, 0);
}
END_TEST

START_TEST(test_index_many)
{
	struct mirror m;
	char o[64];
	size_t i;

	mirror_init(&m, Z);
	xr_start(XFR_FULL, 1);
	for (i = 0; i < 3000; i++) {
		snprintf(o, sizeof(o), "m%zu." Z, i);
		chg(true, o, "v=1", "beat=1", NULL);
	}
	mirror_apply(&m, &xr, 1);
	xr_start(XFR_INCREMENTAL, 2);
	for (i = 0; i < 3000; i += 2) {
		snprintf(o, sizeof(o), "m%zu." Z, i);
		chg(false, o, "v=1", "beat=1", NULL);
	}
	mirror_apply(&m, &xr, 2);
	ck_assert_uint_eq(m.n, 1500);
	for (i = 0; i < 3000; i++) {
		snprintf(o, sizeof(o), "m%zu." Z, i);
		ck_assert((mirror_get(&m, o) != NULL) == (i % 2 == 1));
	}
	mirror_clear(&m);
	xr_start(XFR_UPTODATE, 0);
}
END_TEST

static char *
path_in_tmp(const char *name)
{
	return xasprintf("%s/%s", unit_tmpdir(), name);
}

static void
same(const struct mirror *a, const struct mirror *b)
{
	const struct mirror_entry *x, *y;
	size_t i, j;

	ck_assert_str_eq(a->zone, b->zone);
	ck_assert_int_eq(a->synced, b->synced);
	ck_assert_uint_eq(a->serial, b->serial);
	ck_assert_uint_eq(a->n, b->n);
	for (i = 0; i < a->n; i++) {
		x = &a->e[i];
		ck_assert_ptr_nonnull(y = mirror_get(b, x->owner));
		ck_assert_int_eq(x->seen_ms, y->seen_ms);
		ck_assert_uint_eq(x->nrr, y->nrr);
		for (j = 0; j < x->nrr; j++)
			ck_assert(vote_txt_equal(&x->rr[j], &y->rr[j]));
	}
}

START_TEST(test_save_load)
{
	struct mirror a, b;
	struct stat sb;
	char err[PARSE_ERRLEN], odd[256], *p = path_in_tmp("votes");
	size_t i;

	first(&a);
	for (i = 1; i < 256; i++)
		odd[i - 1] = (char)i;
	odd[255] = '\0';
	xr_start(XFR_INCREMENTAL, 4294967295U);
	chg(true, "odd." Z, "v=1", odd, "\"q\" \\b\\ x", "", " ", NULL);
	chg(true, "bad." Z, "v=1", NULL);
	vote_txt_add(&xr.c[1].txt, "x\0y", 3);
	chg(true, "we\"ird\\\x01\xff." Z, "v=1", NULL);
	mirror_apply(&a, &xr, 1764662400123LL);
	ck_assert_int_eq(mirror_save(p, &a), 0);
	ck_assert_int_eq(stat(p, &sb), 0);
	ck_assert_uint_eq(sb.st_mode & 0777, 0600);
	ck_assert_int_eq(mirror_load(p, Z ".", &b, err, sizeof(err)), 0);
	same(&a, &b);
	ck_assert(mirror_get(&b, "bad." Z)->rr[0].bad);
	mirror_clear(&b);
	/* unsynced and empty */
	mirror_clear(&a);
	ck_assert_int_eq(mirror_save(p, &a), 0);
	ck_assert_int_eq(mirror_load(p, Z, &b, err, sizeof(err)), 0);
	same(&a, &b);
	mirror_clear(&b);
	free(p);
	xr_start(XFR_UPTODATE, 0);
}
END_TEST

START_TEST(test_missing)
{
	struct mirror m;
	char err[PARSE_ERRLEN], *p = path_in_tmp("none");

	ck_assert_int_eq(mirror_load(p, Z, &m, err, sizeof(err)), 0);
	ck_assert(!m.synced);
	ck_assert_uint_eq(m.n, 0);
	ck_assert_str_eq(m.zone, Z);
	free(p);
}
END_TEST

#define HEAD	"dnsfailover-votes 1\nzone " Z "\nserial 7\n"
static const struct damage_row {
	const char	*text, *err;
} damaged[] = {
	{ "", "line 1: cut short (no end line)" },
	{ "dnsfailover-votes 1", "line 1: cut short (no newline)" },
	{ "dnsfailover-votes 2\n", "line 1: version 2; this dnsfailover "
	  "reads version 1" },
	{ "dnsfailover-votes x\n", "line 1: a bad version" },
	{ "# something else\n", "line 1: not a copy of a votes zone" },
	{ "dnsfailover-votes 1\nzone other.example\nserial 7\nend\n",
	  "line 2: a copy of zone other.example, not " Z },
	{ "dnsfailover-votes 1\nzone\nserial 7\nend\n", "line 2: no zone" },
	{ "dnsfailover-votes 1\nzone " Z "\nserial -1\nend\n",
	  "line 3: a bad serial" },
	{ "dnsfailover-votes 1\nzone " Z "\nserial 4294967296\nend\n",
	  "line 3: a bad serial" },
	{ "dnsfailover-votes 1\nzone " Z "\nend\n", "line 3: no serial" },
	{ HEAD, "line 4: cut short (no end line)" },
	{ HEAD "rr 1 \"a." Z "\" ok \"v=1\"\n",
	  "line 5: cut short (no end line)" },
	{ HEAD "rr 1 \"a." Z "\" ok \"v=1\"\nend\nrr\n",
	  "line 6: text after the end line" },
	{ HEAD "end\n\n", "line 5: text after the end line" },
	{ HEAD "xx\nend\n", "line 4: not an rr line" },
	{ HEAD "rr\nend\n", "line 4: not an rr line" },
	{ HEAD "rr x \"a." Z "\" ok\nend\n", "line 4: a bad seen time" },
	{ HEAD "rr -1 \"a." Z "\" ok\nend\n", "line 4: a bad seen time" },
	{ HEAD "rr 1\nend\n", "line 4: no seen time" },
	{ HEAD "rr 1 a." Z " ok\nend\n", "line 4: a string not in quotes" },
	{ HEAD "rr 1 \"a." Z " ok\nend\n",
	  "line 4: a string without its closing quote" },
	{ HEAD "rr 1 \"a.other\" ok\nend\n",
	  "line 4: an owner not in the zone" },
	{ HEAD "rr 1 \"\" ok\nend\n", "line 4: an owner not in the zone" },
	{ HEAD "rr 1 \"a." Z "\"\nend\n",
	  "line 4: no ok or bad after the owner" },
	{ HEAD "rr 1 \"a." Z "\" okay\nend\n",
	  "line 4: junk between strings" },
	{ HEAD "rr 1 \"a." Z "\" ok \"v=1\"x\nend\n",
	  "line 4: junk between strings" },
	{ HEAD "rr 1 \"a." Z "\" ok \"v=1\" \nend\n",
	  "line 4: a string not in quotes" },
	{ HEAD "rr 1 \"a." Z "\" ok \"\\q\"\nend\n", "line 4: a bad escape" },
	{ HEAD "rr 1 \"a." Z "\" ok \"\\x00\"\nend\n",
	  "line 4: a bad escape" },
	{ HEAD "rr 1 \"a." Z "\" ok \"\\x4\"\nend\n", "line 4: a bad escape" },
	{ HEAD "rr 1 \"a." Z "\" ok \"\\x4G\"\nend\n",
	  "line 4: a bad escape" },
	{ HEAD "rr 1 \"a." Z "\" ok \"\\X41\"\nend\n",
	  "line 4: a bad escape" },
	{ HEAD "rr 1 \"a." Z "\" ok \"\t\"\nend\n",
	  "line 4: a byte that should be escaped" },
	{ HEAD "rr 1 \"a." Z "\" ok \"\xc3\xa9\"\nend\n",
	  "line 4: a byte that should be escaped" },
	{ HEAD "rr 1 \"a." Z "\" ok \"v=1\"\nrr 2 \"a." Z "\" ok \"v=2\"\n"
	  "end\n", "line 5: another seen time for the same owner" },
	{ HEAD "rr 1 \"a." Z "\" ok \"v=1\"\nrr 1 \"a." Z "\" ok \"v=1\"\n"
	  "end\n", "line 5: the same RR twice" },
};

static const char *
write_raw(const char *name, const char *text, size_t len)
{
	static char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", unit_tmpdir(), name);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	ck_assert_uint_eq(fwrite(text, 1, len, fp), len);
	fclose(fp);
	return path;
}

START_TEST(test_damaged)
{
	const struct damage_row *r = &damaged[_i];
	struct mirror m;
	char err[PARSE_ERRLEN] = "";
	const char *p = write_raw("votes", r->text, strlen(r->text));

	ck_assert_int_eq(mirror_load(p, Z, &m, err, sizeof(err)), -1);
	ck_assert_str_eq(err, r->err);
	ck_assert_uint_eq(m.n, 0);
	ck_assert_ptr_null(m.e);
	ck_assert(!m.synced);
	ck_assert_str_eq(m.zone, Z);
}
END_TEST

START_TEST(test_nul_in_file)
{
	static const char text[] = HEAD "rr 1 \"a." Z "\" ok \"v\0\"\nend\n";
	struct mirror m;
	char err[PARSE_ERRLEN] = "";
	const char *p = write_raw("votes", text, sizeof(text) - 1);

	ck_assert_int_eq(mirror_load(p, Z, &m, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "line 4: a NUL byte");
	ck_assert_uint_eq(m.n, 0);
}
END_TEST

/* A good file with entries, read for another zone: refused, empty. */
START_TEST(test_other_zone)
{
	struct mirror a, b;
	char err[PARSE_ERRLEN], *p = path_in_tmp("votes");

	first(&a);
	ck_assert_int_eq(mirror_save(p, &a), 0);
	ck_assert_int_eq(mirror_load(p, "votes.example.net", &b, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "line 2: a copy of zone " Z ", not "
	    "votes.example.net");
	ck_assert_uint_eq(b.n, 0);
	ck_assert(!b.synced);
	ck_assert_str_eq(b.zone, "votes.example.net");
	mirror_clear(&a);
	free(p);
	xr_start(XFR_UPTODATE, 0);
}
END_TEST

START_TEST(test_unreadable)
{
	struct mirror m;
	char err[PARSE_ERRLEN] = "";

	ck_assert_int_eq(mirror_load(unit_tmpdir(), Z, &m, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "Is a directory");
	ck_assert_uint_eq(m.n, 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("mirror");
	TCase *tc = tcase_create("mirror");

	tcase_add_checked_fixture(tc, unit_tmpdir_setup,
	    unit_tmpdir_teardown);
	tcase_add_test(tc, test_full_first);
	tcase_add_test(tc, test_full_again);
	tcase_add_test(tc, test_incremental);
	tcase_add_test(tc, test_uptodate);
	tcase_add_test(tc, test_bad_not_trusted);
	tcase_add_test(tc, test_index_many);
	tcase_add_test(tc, test_save_load);
	tcase_add_test(tc, test_missing);
	tcase_add_loop_test(tc, test_damaged, 0, (int)NELEM(damaged));
	tcase_add_test(tc, test_nul_in_file);
	tcase_add_test(tc, test_other_zone);
	tcase_add_test(tc, test_unreadable);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
