/*
 * parse.h: pure parsers for the value syntaxes of sitelist.yaml.
 *
 * Each returns 0 on success, or -1 with a lower-case reason in err (which
 * does not repeat the key name; the caller adds the location).  None logs.
 */
#ifndef DNSFAILOVER_PARSE_H
#define DNSFAILOVER_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PARSE_ERRLEN	256
#define DNAME_MAXLEN	253		/* presentation form, no trailing dot */

/* Decimal integer in [min, max], the whole string. */
int	parse_uint(const char *s, unsigned long long min,
	    unsigned long long max, unsigned long long *out, char *err,
	    size_t errlen);

/* true/false, yes/no, on/off, any case. */
int	parse_bool(const char *s, bool *out, char *err, size_t errlen);

/*
 * Duration: integer seconds ("10"), or a number with ms, s, m or h
 * ("500ms", "1.5s", "2m").  The result must be a whole number of
 * milliseconds and at most 7 days.
 */
int	parse_duration(const char *s, uint64_t *ms, char *err, size_t errlen);

/* Formats a duration the way a user would write it: "5s", "1500ms". */
void	format_duration(uint64_t ms, char *buf, size_t size);

/* Size: bytes ("65536"), or a number with KiB or MiB ("64KiB"). */
int	parse_size(const char *s, uint64_t *bytes, char *err, size_t errlen);

/* One expect_status item: "200", "200-399" or "2xx"; codes 100..599. */
struct status_range {
	uint16_t	lo, hi;
};
int	parse_status_range(const char *s, struct status_range *out, char *err,
	    size_t errlen);

/*
 * Domain name in presentation form, normalised into out (at least
 * DNAME_MAXLEN + 2 bytes): lower case, without the trailing dot.  Labels
 * are letters, digits, '-' and '_', 1..63 long, not starting or ending
 * with '-'.  DNAME_WILDCARD also allows a leading "*" label.
 */
#define DNAME_WILDCARD	0x1
int	parse_dname(const char *s, int flags, char *out, char *err,
	    size_t errlen);

/* Whether normalised name equals zone or lies below it. */
bool	dname_within(const char *name, const char *zone);

#endif
