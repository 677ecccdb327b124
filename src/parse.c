/*
 * parse.c: value syntaxes of sitelist.yaml (numbers, durations, sizes,
 * status ranges, booleans, domain names).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "parse.h"
#include "util.h"

#define MAX_DURATION_MS	(7ULL * 24 * 3600 * 1000)

int
parse_uint(const char *s, unsigned long long min, unsigned long long max,
    unsigned long long *out, char *err, size_t errlen)
{
	unsigned long long v;
	const char *p;
	char *end;

	for (p = s; *p != '\0'; p++)
		if (!isdigit((unsigned char)*p))
			break;
	if (p == s || *p != '\0') {
		snprintf(err, errlen, "expected an integer, got \"%s\"", s);
		return -1;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE || v < min || v > max) {
		snprintf(err, errlen, "%s is out of range (%llu..%llu)", s,
		    min, max);
		return -1;
	}
	*out = v;
	return 0;
}

int
parse_bool(const char *s, bool *out, char *err, size_t errlen)
{
	static const char *const yes[] = { "true", "yes", "on" };
	static const char *const no[] = { "false", "no", "off" };
	size_t i;

	for (i = 0; i < NELEM(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	snprintf(err, errlen, "expected true or false, got \"%s\"", s);
	return -1;
}

struct unit {
	const char		*name;
	unsigned long long	 scale;
};

/*
 * Parses "<digits>[.<digits>]<unit>" into value * scale, exactly.  Returns
 * 0, -1 for bad syntax, -2 for an unknown unit, -3 for a fraction that
 * does not give a whole result, -4 for overflow.
 */
static int
number_unit(const char *s, const struct unit *units, size_t nunits,
    const struct unit *bare, unsigned long long limit,
    unsigned long long *out, const char **unitp)
{
	unsigned long long whole = 0, frac = 0, fracscale = 1, scale, v;
	const char *p = s;
	size_t i, ndig = 0;

	for (; isdigit((unsigned char)*p); p++, ndig++) {
		if (whole > limit)
			return -4;
		whole = whole * 10 + (unsigned long long)(*p - '0');
	}
	if (*p == '.') {
		for (p++; isdigit((unsigned char)*p); p++, ndig++) {
			if (fracscale > 1000000000ULL)
				return -1;
			frac = frac * 10 + (unsigned long long)(*p - '0');
			fracscale *= 10;
		}
		if (fracscale == 1)
			return -1;
	}
	if (ndig == 0)
		return -1;
	*unitp = p;
	if (*p == '\0') {
		if (bare == NULL || fracscale != 1)
			return bare == NULL ? -2 : -1;
		scale = bare->scale;
	} else {
		for (i = 0; i < nunits; i++)
			if (strcmp(p, units[i].name) == 0)
				break;
		if (i == nunits)
			return -2;
		scale = units[i].scale;
	}
	if (whole > limit / scale)
		return -4;
	if (frac * scale % fracscale != 0)
		return -3;
	v = whole * scale + frac * scale / fracscale;
	if (v > limit)
		return -4;
	*out = v;
	return 0;
}

int
parse_duration(const char *s, uint64_t *ms, char *err, size_t errlen)
{
	static const struct unit units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
	};
	const struct unit bare = { "", 1000 };
	unsigned long long v;
	const char *unit = "";

	switch (number_unit(s, units, NELEM(units), &bare, MAX_DURATION_MS,
	    &v, &unit)) {
	case 0:
		*ms = v;
		return 0;
	case -2:
		snprintf(err, errlen, "invalid duration \"%s\": unknown unit "
		    "\"%s\" (use ms, s, m or h)", s, unit);
		return -1;
	case -3:
		snprintf(err, errlen, "invalid duration \"%s\": not a whole "
		    "number of milliseconds", s);
		return -1;
	case -4:
		snprintf(err, errlen, "invalid duration \"%s\": longer than "
		    "7 days", s);
		return -1;
	default:
		snprintf(err, errlen, "invalid duration \"%s\" (expected "
		    "seconds, or a number with ms, s, m or h, like 10s)", s);
		return -1;
	}
}

void
format_duration(uint64_t ms, char *buf, size_t size)
{
	if (ms % 3600000 == 0 && ms != 0)
		snprintf(buf, size, "%lluh", (unsigned long long)(ms / 3600000));
	else if (ms % 60000 == 0 && ms != 0)
		snprintf(buf, size, "%llum", (unsigned long long)(ms / 60000));
	else if (ms % 1000 == 0)
		snprintf(buf, size, "%llus", (unsigned long long)(ms / 1000));
	else
		snprintf(buf, size, "%llums", (unsigned long long)ms);
}

int
parse_size(const char *s, uint64_t *bytes, char *err, size_t errlen)
{
	static const struct unit units[] = {
		{ "B", 1 }, { "KiB", 1024 }, { "MiB", 1024 * 1024 },
		{ "GiB", 1024 * 1024 * 1024 },
	};
	const struct unit bare = { "", 1 };
	unsigned long long v;
	const char *unit = "";

	switch (number_unit(s, units, NELEM(units), &bare, 1ULL << 40, &v,
	    &unit)) {
	case 0:
		*bytes = v;
		return 0;
	case -2:
		snprintf(err, errlen, "invalid size \"%s\": unknown unit "
		    "\"%s\" (use KiB or MiB)", s, unit);
		return -1;
	case -3:
		snprintf(err, errlen, "invalid size \"%s\": not a whole "
		    "number of bytes", s);
		return -1;
	case -4:
		snprintf(err, errlen, "invalid size \"%s\": too large", s);
		return -1;
	default:
		snprintf(err, errlen, "invalid size \"%s\" (expected bytes, "
		    "or a number with KiB or MiB, like 64KiB)", s);
		return -1;
	}
}

static int
status_code(const char *s, size_t n, uint16_t *out)
{
	unsigned v = 0;
	size_t i;

	if (n != 3)
		return -1;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v < 100 || v > 599)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

int
parse_status_range(const char *s, struct status_range *out, char *err,
    size_t errlen)
{
	const char *dash = strchr(s, '-');
	size_t len = strlen(s);

	if (len == 3 && s[0] >= '1' && s[0] <= '5' &&
	    strcasecmp(s + 1, "xx") == 0) {
		out->lo = (uint16_t)((s[0] - '0') * 100);
		out->hi = (uint16_t)(out->lo + 99);
		return 0;
	}
	if (dash == NULL) {
		if (status_code(s, len, &out->lo) == 0) {
			out->hi = out->lo;
			return 0;
		}
	} else if (status_code(s, (size_t)(dash - s), &out->lo) == 0 &&
	    status_code(dash + 1, strlen(dash + 1), &out->hi) == 0) {
		if (out->lo <= out->hi)
			return 0;
		snprintf(err, errlen, "invalid status range \"%s\": %u is "
		    "above %u", s, out->lo, out->hi);
		return -1;
	}
	snprintf(err, errlen, "invalid status \"%s\" (expected a code "
	    "100..599, a range like \"200-399\", or \"2xx\")", s);
	return -1;
}

static int
label_char(int c)
{
	return isalnum(c) || c == '-' || c == '_';
}

/* Checks one label [p, p+n); returns NULL or the reason it is invalid. */
static const char *
label_check(const char *p, size_t n)
{
	size_t i;

	if (n == 0)
		return "empty label";
	if (n > 63)
		return "label longer than 63 characters";
	if (p[0] == '-' || p[n - 1] == '-')
		return "label starts or ends with '-'";
	for (i = 0; i < n; i++) {
		if ((unsigned char)p[i] >= 0x80)
			return "non-ASCII character (write IDNs in their "
			    "xn-- form)";
		if (!label_char((unsigned char)p[i]))
			return "invalid character";
	}
	return NULL;
}

int
parse_dname(const char *s, int flags, char *out, char *err, size_t errlen)
{
	size_t len = strlen(s), n;
	const char *p, *dot, *why;

	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len == 0) {
		snprintf(err, errlen, "invalid name \"%s\": empty", s);
		return -1;
	}
	if (len > DNAME_MAXLEN) {
		snprintf(err, errlen, "invalid name \"%.40s...\": longer than "
		    "%d characters", s, DNAME_MAXLEN);
		return -1;
	}
	for (p = s; p < s + len; p = dot + 1) {
		dot = memchr(p, '.', (size_t)(s + len - p));
		if (dot == NULL)
			dot = s + len;
		n = (size_t)(dot - p);
		if (p == s && n == 1 && p[0] == '*' &&
		    (flags & DNAME_WILDCARD) && dot != s + len)
			continue;
		if ((why = label_check(p, n)) != NULL) {
			snprintf(err, errlen, "invalid name \"%s\": %s", s, why);
			return -1;
		}
	}
	memcpy(out, s, len);
	out[len] = '\0';
	str_lower(out);
	return 0;
}

bool
dname_within(const char *name, const char *zone)
{
	size_t ln = strlen(name), lz = strlen(zone);

	if (ln == lz)
		return strcmp(name, zone) == 0;
	return ln > lz && name[ln - lz - 1] == '.' &&
	    strcmp(name + ln - lz, zone) == 0;
}
