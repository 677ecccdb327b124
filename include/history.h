/*
 * history.h: the history log (rule 22 of doc/rules.md).
 *
 * Every event and every DNS change is appended to STATE.history, one
 * JSON object a line, oldest first.  One append is one write(2) of a
 * whole line to a descriptor opened O_APPEND, under an exclusive lock,
 * so concurrent writers (check, run, flip, release) never interleave a
 * line and a crash leaves at most a torn last line, which readers skip.
 * Bounded: when an append would take STATE.history past half the
 * history_size, it is renamed to STATE.history.1 (replacing the older
 * one) first, so the two together stay within history_size and the
 * newest entries are never the ones dropped.  Both files are created
 * with the state file's mode, 0600 (readable by the same users).
 */
#ifndef DNSFAILOVER_HISTORY_H
#define DNSFAILOVER_HISTORY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* What one line says; NULL (or -1 for serial) leaves a key out. */
struct history_rec {
	int64_t		 time_ms;	/* wall clock, ms since the epoch */
	const char	*event;		/* event_str() name ("switch", ...) */
	const char	*site;		/* NULL: the monitor as a whole */
	const char	*host;		/* this monitor: monitor.id or the
					   host name */
	const char	*who;		/* flip/release: user@host */
	const char	*from, *to;	/* sides */
	const char	*addresses;	/* the set concerned, as text */
	const char	*reason;	/* why: the failing address and how */
	const char	*answer;	/* the DNS server's answer (rcode) */
	long long	 serial;	/* the applied SOA serial; -1: unknown */
};

/* STATE.history for the state file path (allocated). */
char	*history_path(const char *state_path);

/*
 * Appends rec to path, keeping path and path.1 within max_bytes in all.
 * Text is escaped for JSON; bytes that are not UTF-8 are replaced by
 * U+FFFD.  A line longer than max_bytes / 2 is cut to fit, reason first
 * (then answer, addresses, who: a text cut ends in U+2026, or is left
 * empty); -1 with EMSGSIZE if it cannot fit even so.  Returns 0, or -1
 * with errno (nothing is half written but a torn line after a crash,
 * which the next append cuts off).  Never logs; the caller says what
 * failed.
 */
int	history_append(const char *path, uint64_t max_bytes,
	    const struct history_rec *rec);

/* A read line, parsed: the strings point into storage it owns. */
struct history_line {
	int64_t		 time_ms;
	const char	*event, *site, *host, *who, *from, *to, *addresses,
			*reason, *answer;
	long long	 serial;
	const char	*raw;		/* the line as stored, no newline */
};

/*
 * Calls fn for every line of path.1 then path, oldest first, whose time
 * is at least since_ms (0: all) and whose site is among sites[0..n) (n
 * 0: all).  A line that is not a history object is skipped and counted
 * in *skipped.  Lines are appended in time order, so it may start
 * reading near the end of the files when since_ms is given.  Returns 0,
 * or -1 with errno when neither file could be read (ENOENT when there
 * is no history yet).
 */
int	history_read(const char *path, int64_t since_ms,
	    const char *const *sites, size_t n,
	    void (*fn)(const struct history_line *, void *), void *arg,
	    size_t *skipped);

#endif
