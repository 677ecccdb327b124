/*
 * probe.h: concurrent health probes of addresses: HTTP, HTTPS, TCP, DNS
 * and a command (one thread; libcurl multi for the web types).
 *
 * A probe connects to the configured address itself while the URL, Host
 * header and TLS server name carry the site's name, on a fresh connection
 * that is never reused.  Results are data; the caller decides what they
 * mean.  A local fault (no file descriptor, no memory, no route, a bad CA
 * file, a refusal before any packet left this host) is PROBE_LOCAL_ERROR
 * and must never count against the server; anything the server sends
 * that is too large or malformed counts against it (PROBE_BAD_RESPONSE,
 * detail "header too large", ...).
 */
#ifndef DNSFAILOVER_PROBE_H
#define DNSFAILOVER_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "config.h"

enum probe_reason {
	PROBE_OK,
	PROBE_CONNECT_REFUSED,
	PROBE_CONNECT_TIMEOUT,
	PROBE_TIMEOUT,			/* connected, no full answer in time */
	PROBE_TLS_ERROR,
	PROBE_CERT_ERROR,
	PROBE_HTTP_STATUS,		/* status not in expect_status */
	PROBE_BODY_MISSING,		/* expect_body not in the first bytes */
	PROBE_RESET,			/* reset or closed without an answer */
	PROBE_BAD_RESPONSE,		/* not HTTP, malformed or too large */
	PROBE_UNREACHABLE,		/* host unreachable */
	PROBE_LOCAL_ERROR,		/* this monitor's fault, not the server's */
	/* appended: the state file stores reasons by number */
	PROBE_EXPECT_MISSING,		/* tcp, dns: the expected text or
					   answer is not there */
	PROBE_DNS_RCODE,		/* dns: an rcode other than NOERROR */
	PROBE_EXIT_STATUS		/* exec: exited non-zero or killed */
};
#define PROBE_REASON_MAX	PROBE_EXIT_STATUS

/* "connect refused", ...; for logs and status. */
const char	*probe_reason_str(enum probe_reason);

struct probe_req {
	const char		*host;	/* Host and SNI: check.host or name */
	const struct addr	*addr;	/* where to connect */
	const struct check_spec	*check;
	const char		*site;	/* the site's name (exec:
					   DNSFAILOVER_SITE); NULL: host */
	const char		*url;	/* instead of host, addr and the
					   check's path: resolved as usual
					   (canaries) */
};

struct probe_result {
	enum probe_reason	reason;
	int			http_status;	/* 0: no response */
	uint32_t		total_ms;	/* from connect start to the end */
	uint32_t		connect_ms;	/* TCP connect; 0 if none */
	char			detail[160];	/* e.g. curl's error text */
	int64_t			cert_expires;	/* https with cert_warn: the
						   leaf certificate's notAfter,
						   unix time; 0: unknown or
						   not asked */
	bool			cert_expiring;	/* within cert_warn: still
						   PROBE_OK */
};

/* Whether a result says anything about the server (not a local fault). */
bool	probe_counts(const struct probe_result *);

/*
 * One line for `probe SITE`: the request in its type's own terms ("GET
 * http://www.example.com:80/health", "connect to port 25, expect
 * \"220 \"", "query www.example.com A").  Does not log.
 */
void	probe_describe(const struct probe_req *, char *buf, size_t size);

/*
 * The pure pieces of response handling, for the engine and its fuzz
 * target.
 *
 * A body scan looks for needle in a body that arrives in chunks of any
 * size, a match possibly spanning chunks, keeping only strlen(needle) - 1
 * bytes between calls.  probe_scan_init() prepares s for needle (not
 * copied: it must outlive s; an empty one is found at once);
 * probe_scan_feed() takes the next n bytes at p (never NULL) and returns
 * whether needle occurs in the concatenation of every chunk fed since
 * init (once true, it stays true).  probe_scan_free() releases s; on a
 * zeroed struct it is a no-op.  None of them logs.
 */
struct probe_scan {
	const char	*needle;
	size_t		 len;		/* strlen(needle) */
	char		*tail;		/* 2 * (len - 1) bytes, or NULL */
	size_t		 ntail;		/* the end of what was seen */
	bool		 found;
};
void	probe_scan_init(struct probe_scan *s, const char *needle);
bool	probe_scan_feed(struct probe_scan *s, const char *p, size_t n);
void	probe_scan_free(struct probe_scan *s);

/* Whether HTTP status code is inside one of c's expect_status ranges. */
bool	probe_status_expected(const struct check_spec *c, long code);

/*
 * Raises RLIMIT_NOFILE to its hard limit; returns the soft limit now in
 * force.  Call once at start-up, before probing.  Does not log.
 */
unsigned long	probe_raise_nofile(void);

struct prober;

/*
 * A probe engine running at most max_parallel transfers at once, fewer
 * if the file descriptor limit would not allow them.  Never NULL.
 */
struct prober	*prober_new(unsigned max_parallel);
void		 prober_free(struct prober *);	/* NULL is a no-op */
/* How many transfers it will run at once. */
unsigned	 prober_parallel(const struct prober *);

/*
 * The local addresses probes leave from (monitor.source), one per
 * family: a probe binds to the one of its target's family, if set (NULL:
 * the kernel's choice).  Copied; applies to probes started from now on.
 * A bind that fails (the address went away) is PROBE_LOCAL_ERROR.
 */
void		 prober_set_source(struct prober *, const struct addr *v4,
		    const struct addr *v6);

/*
 * The asynchronous interface (the daemon).  prober_submit() queues req;
 * req and res must stay valid until done(arg, req, res) has been called
 * (done may be NULL, and may submit more).  prober_step() starts what
 * fits, waits at most timeout_ms (less when a probe's deadline comes
 * first) for progress on any probe or on one of the extra descriptors
 * (one curl_multi_poll for all of them), and calls done for every probe
 * that ended; it does not wait when one ended before the wait (a
 * refused connect ends at once).  Returns how many extra descriptors
 * are ready (their revents set).
 */
struct curl_waitfd;
typedef void	probe_done_fn(void *arg, const struct probe_req *req,
		    struct probe_result *res);
void	prober_submit(struct prober *, const struct probe_req *req,
	    struct probe_result *res, probe_done_fn *done, void *arg);
int	prober_step(struct prober *, int timeout_ms, struct curl_waitfd *extra,
	    unsigned nextra);
/* Requests queued or running. */
size_t	prober_busy(const struct prober *);

/*
 * Runs every request to completion and fills results[i] for reqs[i].
 * New transfers start as others finish, so a probe's timeout never counts
 * time spent waiting for a slot.  Blocks for at most about the longest
 * check timeout per "parallel" wave.  Does not log.
 */
void	probe_run(struct prober *, const struct probe_req *reqs, size_t n,
	    struct probe_result *results);

#endif
