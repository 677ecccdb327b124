/*
 * check_util.c: util (arena, strings, paths), diag ordering and the UTF-8
 * check of yamldoc.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "unit.h"
#include "util.h"
#include "yamldoc.h"

START_TEST(test_arena)
{
	struct arena *a = arena_new();
	char *big, *s;
	size_t i;

	for (i = 0; i < 10000; i++) {
		s = arena_strdup(a, "site1.example.com");
		ck_assert_str_eq(s, "site1.example.com");
		ck_assert_uint_eq((uintptr_t)s % _Alignof(max_align_t), 0);
	}
	big = arena_alloc(a, 1 << 20);	/* larger than a chunk */
	ck_assert_int_eq(big[0], 0);
	ck_assert_int_eq(big[(1 << 20) - 1], 0);
	ck_assert_str_eq(arena_strndup(a, "abcdef", 3), "abc");
	arena_free(a);
	arena_free(NULL);
}
END_TEST

START_TEST(test_strings)
{
	char buf[4];

	ck_assert_uint_eq(str_copy(buf, "abcdef", sizeof(buf)), 6);
	ck_assert_str_eq(buf, "abc");
	ck_assert_uint_eq(str_distance("intrval", "interval"), 1);
	ck_assert_uint_eq(str_distance("prot", "port"), 1);
	ck_assert_uint_eq(str_distance("", "ttl"), 3);
	ck_assert_uint_eq(str_distance("kitten", "sitting"), 3);
	ck_assert_uint_eq(str_distance("same", "same"), 0);
}
END_TEST

START_TEST(test_path_resolve)
{
	char *p;

	p = path_resolve("etc/sitelist.yaml", "k.key");
	ck_assert_str_eq(p, "etc/k.key");
	free(p);
	p = path_resolve("/etc/d/sitelist.yaml", "/var/lib/x");
	ck_assert_str_eq(p, "/var/lib/x");
	free(p);
	p = path_resolve("sitelist.yaml", "k.key");
	ck_assert_str_eq(p, "k.key");
	free(p);
}
END_TEST

START_TEST(test_diag_order)
{
	struct diags d;
	char line[256];

	diags_init(&d);
	diag_error(&d, "a.yaml", 9, 1, "third");
	diag_warning(&d, "k.key", 1, 1, "fifth");
	diag_error(&d, "a.yaml", 2, 7, "second");
	diag_error(&d, "a.yaml", 2, 3, "first");
	diag_error(&d, "a.yaml", 9, 1, "fourth");
	diag_error(&d, "a.yaml", 0, 0, "whole file");
	diags_sort(&d);
	ck_assert_uint_eq(d.nerrors, 5);
	diag_format(&d, 0, line, sizeof(line));
	ck_assert_str_eq(line, "a.yaml: whole file");
	diag_format(&d, 1, line, sizeof(line));
	ck_assert_str_eq(line, "a.yaml:2:3: first");
	diag_format(&d, 2, line, sizeof(line));
	ck_assert_str_eq(line, "a.yaml:2:7: second");
	diag_format(&d, 3, line, sizeof(line));
	ck_assert_str_eq(line, "a.yaml:9:1: third");
	diag_format(&d, 4, line, sizeof(line));
	ck_assert_str_eq(line, "a.yaml:9:1: fourth");
	diag_format(&d, 5, line, sizeof(line));
	ck_assert_str_eq(line, "k.key:1:1: warning: fifth");
	diags_clear(&d);
}
END_TEST

static const struct {
	const char	*in;
	size_t		 bad;	/* offset of the first invalid byte */
} utf8[] = {
	{ "plain ascii", 11 },
	{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14 },
	{ "a\xff", 1 },
	{ "a\xc0\xaf", 1 },			/* overlong '/' */
	{ "ab\xe0\x80\xaf", 2 },		/* overlong */
	{ "\xed\xa0\x80", 0 },			/* surrogate */
	{ "\xf4\x90\x80\x80", 0 },		/* above U+10FFFF */
	{ "ok\xc3", 2 },			/* truncated */
	{ "\xe2\x82x", 0 },			/* bad continuation */
};

START_TEST(test_utf8)
{
	const char *s = utf8[_i].in;
	size_t len = strlen(s);
	size_t want = utf8[_i].bad == len ? len : utf8[_i].bad;

	ck_assert_uint_eq(utf8_invalid((const unsigned char *)s, len), want);
}
END_TEST

START_TEST(test_position)
{
	size_t line, col;
	const char *buf = "ab\ncaf\xc3\xa9x\n";

	yamldoc_position(buf, 0, &line, &col);
	ck_assert_uint_eq(line, 1);
	ck_assert_uint_eq(col, 1);
	yamldoc_position(buf, 3, &line, &col);
	ck_assert_uint_eq(line, 2);
	ck_assert_uint_eq(col, 1);
	/* columns count characters: 'x' follows the two-byte e-acute */
	yamldoc_position(buf, 8, &line, &col);
	ck_assert_uint_eq(line, 2);
	ck_assert_uint_eq(col, 5);
}
END_TEST

/* Text from people and servers, as status, probe and the log show it. */
START_TEST(test_escape)
{
	static const struct { const char *in, *out; } t[] = {
		{ "db migration", "db migration" },
		{ "a\nforged: line", "a\\nforged: line" },
		{ "cr\r tab\t esc\033[2J del\177", "cr\\r tab\\t esc\\x1b[2J "
		  "del\\x7f" },
		{ "back\\slash", "back\\\\slash" },
		{ "csi \xc2\x9b""31m", "csi \\u009b31m" },		/* C1 */
		{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 "
		  "\xe2\x82\xac \xf0\x9f\x98\x80" },		/* kept */
		{ "ls\xe2\x80\xa8ps\xe2\x80\xa9rlo\xe2\x80\xae" "x",
		  "ls\\u2028ps\\u2029rlo\\u202ex" },
		{ "latin1 \xe9t\xe9 \xff", "latin1 \\xe9t\\xe9 \\xff" },
		{ "cut \xe2\x82", "cut \\xe2\\x82" },		/* truncated */
		{ "surrogate \xed\xa0\x80", "surrogate \\xed\\xa0\\x80" },
	};
	char buf[128];
	size_t i;

	for (i = 0; i < NELEM(t); i++)
		ck_assert_str_eq(str_escape(buf, t[i].in, sizeof(buf)),
		    t[i].out);
	/* never an escape or a character cut in two */
	ck_assert_str_eq(str_escape(buf, "ab\n", 4), "ab");
	ck_assert_str_eq(str_escape(buf, "ab\n", 5), "ab\\n");
	ck_assert_str_eq(str_escape(buf, "a\xc3\xa9", 3), "a");
	ck_assert_str_eq(str_escape(buf, "a\033", 5), "a");
	ck_assert_str_eq(str_escape(buf, "a\033", 6), "a\\x1b");
	ck_assert_str_eq(str_escape(buf, "x", 1), "");
}
END_TEST

/* Durations to the second, two units at most (rule 20's "2m30s more"). */
START_TEST(test_duration_hms)
{
	static const struct { int64_t secs; const char *text; } v[] = {
		{ -5, "0s" }, { 0, "0s" }, { 45, "45s" }, { 60, "1m" },
		{ 90, "1m30s" }, { 3600, "1h" }, { 3900, "1h5m" },
		{ 3959, "1h5m" }, { 86400 + 4 * 3600 + 59, "1d4h" },
	};
	char buf[32];
	size_t i;

	for (i = 0; i < NELEM(v); i++) {
		duration_hms(v[i].secs, buf, sizeof(buf));
		ck_assert_str_eq(buf, v[i].text);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("util");

	tcase_add_test(tc, test_arena);
	tcase_add_test(tc, test_strings);
	tcase_add_test(tc, test_duration_hms);
	tcase_add_test(tc, test_path_resolve);
	tcase_add_test(tc, test_diag_order);
	tcase_add_loop_test(tc, test_utf8, 0, (int)(sizeof(utf8) /
	    sizeof(utf8[0])));
	tcase_add_test(tc, test_position);
	tcase_add_test(tc, test_escape);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
