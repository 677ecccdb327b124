/*
 * probe_type.h: the seam between the probe engine (probe.c) and the kinds
 * of check, one file each (src/probe_http.c, probe_tcp.c, probe_dns.c,
 * probe_exec.c).  Internal to the probe side: nothing outside src/probe*.c
 * includes it.
 *
 * The engine owns the slots, the queue, the deadlines and the one wait
 * (curl_multi_poll, with the descriptors of every non-curl probe as extra
 * descriptors, and the caller's).  A type either drives a libcurl easy
 * handle the engine adds to its multi handle (curl types), or brings its
 * own descriptors (the others).  A type never blocks, never logs and never
 * sleeps; all its time is the engine's deadline.
 */
#ifndef DNSFAILOVER_PROBE_TYPE_H
#define DNSFAILOVER_PROBE_TYPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probe.h"

#define PROBE_MAXFDS	2	/* descriptors one non-curl probe waits on */

/* One probe in flight, as its type sees it. */
struct probe_task {
	const struct probe_req	*req;
	struct probe_result	*res;		/* zeroed at start */
	uint64_t		 start_ms;	/* mono_ms() at start */
	uint64_t		 deadline_ms;	/* start + check timeout */
	const struct addr	*source4, *source6;	/* bind to these
					   (prober_set_source); NULL: not */
	void			*priv;		/* the type's own */
};

/* A descriptor a non-curl probe waits on (events: POLLIN, POLLOUT). */
struct probe_fd {
	int	fd;
	short	events;
	short	revents;	/* set by the engine before advance() */
};

struct probe_ops {
	bool		 curl;		/* drives an easy handle */

	/*
	 * Curl types.  setup() sets every option on easy (the engine has
	 * reset it and set PRIVATE, ERRORBUFFER, the socket callbacks,
	 * NOSIGNAL, the timeouts and the empty proxy); priv is the type's
	 * per-probe state (a struct it allocates, freed by clear()).
	 * judge() fills t->res from the finished transfer's code.
	 */
	int	(*setup)(struct probe_task *t, void *easy, char *errbuf);
	void	(*judge)(struct probe_task *t, void *easy, int curlcode,
		    const char *errbuf, int sock_errno);

	/*
	 * Other types.  start() begins the probe (non-blocking) and returns
	 * 1 when it is already over (t->res filled, e.g. a local error or
	 * an immediate refusal), 0 when it waits.  fds() lists what it
	 * waits on now (at most PROBE_MAXFDS; 0 descriptors: time only).
	 * advance() is called when one of them is ready (revents set) or
	 * when now_ms >= deadline_ms (timed_out); it returns 1 when the
	 * probe is over (t->res filled), 0 to wait again.  After a time-
	 * out advance() must end the probe.
	 */
	int	(*start)(struct probe_task *t);
	int	(*fds)(const struct probe_task *t, struct probe_fd *out);
	int	(*advance)(struct probe_task *t, uint64_t now_ms,
		    bool timed_out);

	/* Both: one line for `probe SITE`, the request in the type's own
	 * terms ("GET http://www.example.com:80/health", "query
	 * www.example.com A", "exec /usr/lib/check-x --deep"). */
	void	(*describe)(const struct probe_req *req, char *buf,
		    size_t size);

	/* Both: releases priv and everything the probe holds (descriptors,
	 * a child process: killed and reaped).  Called once per start. */
	void	(*clear)(struct probe_task *t);
};

/* One table per type, in its own file. */
extern const struct probe_ops	probe_http_ops;	/* http and https */
extern const struct probe_ops	probe_tcp_ops;
extern const struct probe_ops	probe_dns_ops;
extern const struct probe_ops	probe_exec_ops;

/* Shared by the types: a local error (this host's fault) with text. */
void	probe_result_local(struct probe_result *, const char *what);

/*
 * What a failed connect's errno says: refused, timed out, reset,
 * unreachable; anything else (ENETUNREACH, EADDRNOTAVAIL, EACCES,
 * EMFILE, ...) is this host's fault, PROBE_LOCAL_ERROR.
 */
enum probe_reason	probe_connect_reason(int err);

/*
 * Curl types: whether the engine saw the probe's TCP connection made
 * (getpeername() at close, which curl's own connect time does not show
 * while TLS is unfinished).  Valid in judge().
 */
bool	probe_task_connected(const struct probe_task *);

/*
 * Non-curl types: binds fd, a socket of family, to t's source of that
 * family before it connects; nothing to do without one.  Returns 0, or -1 with t->res a local error ("cannot bind
 * to source 192.0.2.7: ...").  Curl types need nothing: the engine binds
 * in its open-socket callback.
 */
int	probe_bind_source(const struct probe_task *t, int fd, int family);

#endif
