/*
 * check_parse.c: value syntaxes (parse.c) and address literals (addr.c).
 */
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "parse.h"
#include "unit.h"

static const struct {
	const char	*in;
	long long	 ms;		/* -1: invalid */
	const char	*err;
} durations[] = {
	{ "10", 10000, NULL },
	{ "0", 0, NULL },
	{ "500ms", 500, NULL },
	{ "10s", 10000, NULL },
	{ "1.5s", 1500, NULL },
	{ "2m", 120000, NULL },
	{ "1h", 3600000, NULL },
	{ "0.25m", 15000, NULL },
	{ "168h", 604800000, NULL },
	{ "169h", -1, "invalid duration \"169h\": longer than 7 days" },
	{ "1.0005s", -1, "invalid duration \"1.0005s\": not a whole number "
	    "of milliseconds" },
	{ "10 s", -1, "invalid duration \"10 s\": unknown unit \" s\" (use ms,"
	    " s, m or h)" },
	{ "10sec", -1, "invalid duration \"10sec\": unknown unit \"sec\" (use "
	    "ms, s, m or h)" },
	{ "1.5", -1, "invalid duration \"1.5\" (expected seconds, or a number "
	    "with ms, s, m or h, like 10s)" },
	{ "-1s", -1, "invalid duration \"-1s\" (expected seconds, or a number "
	    "with ms, s, m or h, like 10s)" },
	{ "s", -1, "invalid duration \"s\" (expected seconds, or a number "
	    "with ms, s, m or h, like 10s)" },
	{ "", -1, "invalid duration \"\" (expected seconds, or a number with "
	    "ms, s, m or h, like 10s)" },
	{ "1.s", -1, "invalid duration \"1.s\" (expected seconds, or a number "
	    "with ms, s, m or h, like 10s)" },
	{ "99999999999999999999", -1, "invalid duration "
	    "\"99999999999999999999\": longer than 7 days" },
};

START_TEST(test_duration)
{
	char err[PARSE_ERRLEN] = "";
	uint64_t ms = 0;
	int rc = parse_duration(durations[_i].in, &ms, err, sizeof(err));

	if (durations[_i].ms >= 0) {
		ck_assert_msg(rc == 0, "%s: %s", durations[_i].in, err);
		ck_assert_uint_eq(ms, (uint64_t)durations[_i].ms);
	} else {
		ck_assert_int_eq(rc, -1);
		ck_assert_str_eq(err, durations[_i].err);
	}
}
END_TEST

START_TEST(test_format_duration)
{
	char buf[32];

	format_duration(5000, buf, sizeof(buf));
	ck_assert_str_eq(buf, "5s");
	format_duration(1500, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1500ms");
	format_duration(120000, buf, sizeof(buf));
	ck_assert_str_eq(buf, "2m");
	format_duration(7200000, buf, sizeof(buf));
	ck_assert_str_eq(buf, "2h");
	format_duration(0, buf, sizeof(buf));
	ck_assert_str_eq(buf, "0s");
}
END_TEST

static const struct {
	const char	*in;
	long long	 bytes;
	const char	*err;
} sizes[] = {
	{ "65536", 65536, NULL },
	{ "64KiB", 65536, NULL },
	{ "1MiB", 1048576, NULL },
	{ "1.5KiB", 1536, NULL },
	{ "0.5MiB", 524288, NULL },
	{ "100B", 100, NULL },
	{ "64KB", -1, "invalid size \"64KB\": unknown unit \"KB\" (use KiB or "
	    "MiB)" },
	{ "1.3B", -1, "invalid size \"1.3B\": not a whole number of bytes" },
	{ "2000GiB", -1, "invalid size \"2000GiB\": too large" },
	{ "KiB", -1, "invalid size \"KiB\" (expected bytes, or a number with "
	    "KiB or MiB, like 64KiB)" },
};

START_TEST(test_size)
{
	char err[PARSE_ERRLEN] = "";
	uint64_t v = 0;
	int rc = parse_size(sizes[_i].in, &v, err, sizeof(err));

	if (sizes[_i].bytes >= 0) {
		ck_assert_msg(rc == 0, "%s: %s", sizes[_i].in, err);
		ck_assert_uint_eq(v, (uint64_t)sizes[_i].bytes);
	} else {
		ck_assert_int_eq(rc, -1);
		ck_assert_str_eq(err, sizes[_i].err);
	}
}
END_TEST

static const struct {
	const char	*in;
	int		 lo, hi;	/* lo 0: invalid */
	const char	*err;
} statuses[] = {
	{ "200", 200, 200, NULL },
	{ "200-399", 200, 399, NULL },
	{ "2xx", 200, 299, NULL },
	{ "5XX", 500, 599, NULL },
	{ "100", 100, 100, NULL },
	{ "599-599", 599, 599, NULL },
	{ "399-200", 0, 0, "invalid status range \"399-200\": 399 is above "
	    "200" },
	{ "600", 0, 0, "invalid status \"600\" (expected a code 100..599, a "
	    "range like \"200-399\", or \"2xx\")" },
	{ "99", 0, 0, "invalid status \"99\" (expected a code 100..599, a "
	    "range like \"200-399\", or \"2xx\")" },
	{ "200-", 0, 0, "invalid status \"200-\" (expected a code 100..599, a "
	    "range like \"200-399\", or \"2xx\")" },
	{ "6xx", 0, 0, "invalid status \"6xx\" (expected a code 100..599, a "
	    "range like \"200-399\", or \"2xx\")" },
	{ "2000", 0, 0, "invalid status \"2000\" (expected a code 100..599, a "
	    "range like \"200-399\", or \"2xx\")" },
	{ "ok", 0, 0, "invalid status \"ok\" (expected a code 100..599, a "
	    "range like \"200-399\", or \"2xx\")" },
};

START_TEST(test_status)
{
	char err[PARSE_ERRLEN] = "";
	struct status_range r = { 0, 0 };
	int rc = parse_status_range(statuses[_i].in, &r, err, sizeof(err));

	if (statuses[_i].lo) {
		ck_assert_msg(rc == 0, "%s: %s", statuses[_i].in, err);
		ck_assert_int_eq(r.lo, statuses[_i].lo);
		ck_assert_int_eq(r.hi, statuses[_i].hi);
	} else {
		ck_assert_int_eq(rc, -1);
		ck_assert_str_eq(err, statuses[_i].err);
	}
}
END_TEST

START_TEST(test_uint_bool)
{
	char err[PARSE_ERRLEN];
	unsigned long long v;
	bool b;

	ck_assert_int_eq(parse_uint("86400", 1, 86400, &v, err, sizeof(err)),
	    0);
	ck_assert_uint_eq(v, 86400);
	ck_assert_int_eq(parse_uint("86401", 1, 86400, &v, err, sizeof(err)),
	    -1);
	ck_assert_str_eq(err, "86401 is out of range (1..86400)");
	ck_assert_int_eq(parse_uint("0", 1, 100, &v, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "0 is out of range (1..100)");
	ck_assert_int_eq(parse_uint("-1", 1, 100, &v, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "expected an integer, got \"-1\"");
	ck_assert_int_eq(parse_uint("3.0", 1, 100, &v, err, sizeof(err)), -1);
	ck_assert_int_eq(parse_uint("99999999999999999999999", 1, 100, &v, err,
	    sizeof(err)), -1);
	ck_assert_int_eq(parse_bool("Yes", &b, err, sizeof(err)), 0);
	ck_assert(b);
	ck_assert_int_eq(parse_bool("FALSE", &b, err, sizeof(err)), 0);
	ck_assert(!b);
	ck_assert_int_eq(parse_bool("1", &b, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "expected true or false, got \"1\"");
}
END_TEST

START_TEST(test_dname)
{
	char out[DNAME_MAXLEN + 2], err[PARSE_ERRLEN], big[300];

	ck_assert_int_eq(parse_dname("WWW.Site1.COM.", 0, out, err,
	    sizeof(err)), 0);
	ck_assert_str_eq(out, "www.site1.com");
	ck_assert_int_eq(parse_dname("_acme.x-y.example", 0, out, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(parse_dname("*.example.com", DNAME_WILDCARD, out, err,
	    sizeof(err)), 0);
	ck_assert_str_eq(out, "*.example.com");
	ck_assert_int_eq(parse_dname("*.example.com", 0, out, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "invalid name \"*.example.com\": invalid "
	    "character");
	ck_assert_int_eq(parse_dname("a..b", 0, out, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "invalid name \"a..b\": empty label");
	ck_assert_int_eq(parse_dname(".", 0, out, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "invalid name \".\": empty");
	ck_assert_int_eq(parse_dname("-a.com", 0, out, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "invalid name \"-a.com\": label starts or ends "
	    "with '-'");
	ck_assert_int_eq(parse_dname("b\xc3\xa4r.de", 0, out, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "invalid name \"b\xc3\xa4r.de\": non-ASCII "
	    "character (write IDNs in their xn-- form)");
	memset(big, 'a', 64);
	strcpy(big + 64, ".com");
	ck_assert_int_eq(parse_dname(big, 0, out, err, sizeof(err)), -1);
	ck_assert(strstr(err, "label longer than 63 characters") != NULL);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(parse_dname(big, 0, out, err, sizeof(err)), -1);
	ck_assert(strstr(err, "longer than 253 characters") != NULL);
	ck_assert(dname_within("www.site1.com", "site1.com"));
	ck_assert(dname_within("site1.com", "site1.com"));
	ck_assert(!dname_within("xsite1.com", "site1.com"));
	ck_assert(!dname_within("site1.com", "www.site1.com"));
}
END_TEST

START_TEST(test_addr)
{
	char err[PARSE_ERRLEN];
	struct addr a, b;
	uint16_t port;

	ck_assert_int_eq(addr_parse("2001:DB8:0:0::10", &a, err, sizeof(err)),
	    0);
	ck_assert_str_eq(a.text, "2001:db8::10");
	ck_assert_int_eq(addr_parse("2001:db8::10", &b, err, sizeof(err)), 0);
	ck_assert(addr_equal(&a, &b));
	ck_assert_int_eq(addr_parse("192.0.2.300", &a, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "invalid IP address \"192.0.2.300\"");
	ck_assert_int_eq(addr_parse("0.0.0.0", &a, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "0.0.0.0 is the unspecified address");
	ck_assert_int_eq(addr_parse("::", &a, err, sizeof(err)), -1);
	ck_assert_int_eq(addr_parse("224.0.0.1", &a, err, sizeof(err)), -1);
	ck_assert_int_eq(addr_parse("ff02::1", &a, err, sizeof(err)), -1);
	ck_assert_int_eq(addr_parse("fe80::1%eth0", &a, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "invalid IP address \"fe80::1%eth0\": scope IDs "
	    "are not supported");
	ck_assert_int_eq(addr_parse_hostport("192.0.2.53", 53, &a, &port, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(port, 53);
	ck_assert_int_eq(addr_parse_hostport("192.0.2.53:5300", 53, &a, &port,
	    err, sizeof(err)), 0);
	ck_assert_uint_eq(port, 5300);
	ck_assert_int_eq(addr_parse_hostport("[2001:db8::53]:54", 53, &a,
	    &port, err, sizeof(err)), 0);
	ck_assert_str_eq(a.text, "2001:db8::53");
	ck_assert_uint_eq(port, 54);
	ck_assert_int_eq(addr_parse_hostport("::1", 53, &a, &port, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(port, 53);
	ck_assert_int_eq(addr_parse_hostport("192.0.2.53:0", 53, &a, &port,
	    err, sizeof(err)), -1);
	ck_assert_str_eq(err, "invalid port \"0\": 0 is out of range "
	    "(1..65535)");
	ck_assert_int_eq(addr_parse_hostport("[::1]x", 53, &a, &port, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "invalid server \"[::1]x\": expected ':' after "
	    "']'");
	ck_assert_int_eq(addr_parse_hostport("ns1.example.com", 53, &a, &port,
	    err, sizeof(err)), -1);
	ck_assert_str_eq(err, "invalid IP address \"ns1.example.com\"");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("parse");
	TCase *tc = tcase_create("values");

	tcase_add_loop_test(tc, test_duration, 0, (int)(sizeof(durations) /
	    sizeof(durations[0])));
	tcase_add_test(tc, test_format_duration);
	tcase_add_loop_test(tc, test_size, 0, (int)(sizeof(sizes) /
	    sizeof(sizes[0])));
	tcase_add_loop_test(tc, test_status, 0, (int)(sizeof(statuses) /
	    sizeof(statuses[0])));
	tcase_add_test(tc, test_uint_bool);
	tcase_add_test(tc, test_dname);
	tcase_add_test(tc, test_addr);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
