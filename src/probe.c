/*
 * probe.c: the probe engine.
 *
 * The engine owns the slots, the queue, the deadlines and the one wait;
 * the kinds of check live in src/probe_*.c behind struct probe_ops
 * (probe_type.h) and the engine never asks which kind it runs.  A slot
 * is given the next request as soon as it is free, so a probe's timeout
 * starts when it really starts.  Every probe:
 *
 *	start:  a curl type sets up an easy handle the engine adds to its
 *		multi handle; any other type opens its own descriptors;
 *	wait:   one curl_multi_poll() for everything: curl's transfers,
 *		every other probe's descriptors and the caller's, cut to
 *		the nearest deadline of a probe curl does not time;
 *	end:    curl's code goes to the type's judge(); the others say
 *		when they are over from advance(), at the latest when
 *		their deadline passes.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>

#include "log.h"
#include "probe.h"
#include "probe_type.h"
#include "util.h"

#define FD_RESERVE	32	/* descriptors kept for everything else */

struct slot {
	const struct probe_ops	*ops;		/* NULL: free */
	struct probe_task	 t;
	probe_done_fn		*done;
	void			*arg;
	CURL			*easy;		/* the slot's, for curl types */
	char			 errbuf[CURL_ERROR_SIZE];
	int			 sock_errno;	/* socket() failed: local */
	int			 bind_errno;	/* the source's bind failed */
	const struct addr	*bind_src;	/* that source */
	bool			 connected;	/* TCP connect completed */
	struct probe_fd		 fds[PROBE_MAXFDS];
	int			 nfds;		/* in the wait being made */
};

struct pending {			/* a request waiting for a slot */
	const struct probe_req	*req;
	struct probe_result	*res;
	probe_done_fn		*done;
	void			*arg;
};

struct prober {
	CURLM		*multi;
	struct slot	*slots;
	size_t		*free;		/* stack of free slot indexes */
	size_t		 nslots, nfree;
	struct pending	*queue;		/* FIFO: queue[head..tail) */
	size_t		 head, tail, cap;
	size_t		 active;
	size_t		 ended;		/* probes finished, ever */
	struct curl_waitfd *wait;	/* the caller's, then the probes' */
	struct pollfd	*pollfds;	/* the probes', asked again */
	size_t		 waitcap;
	struct addr	 src[2];	/* monitor.source: IPv4, IPv6 */
	bool		 has_src[2];
};

static const struct probe_ops *const types[CHECK_NTYPES] = {
	[CHECK_HTTP] = &probe_http_ops,
	[CHECK_HTTPS] = &probe_http_ops,
	[CHECK_TCP] = &probe_tcp_ops,
	[CHECK_DNS] = &probe_dns_ops,
	[CHECK_EXEC] = &probe_exec_ops,
};

static const char *const reasons[] = {
	[PROBE_OK] = "ok",
	[PROBE_CONNECT_REFUSED] = "connect refused",
	[PROBE_CONNECT_TIMEOUT] = "connect timeout",
	[PROBE_TIMEOUT] = "timeout",
	[PROBE_TLS_ERROR] = "TLS error",
	[PROBE_CERT_ERROR] = "certificate error",
	[PROBE_HTTP_STATUS] = "HTTP status not expected",
	[PROBE_BODY_MISSING] = "body text not found",
	[PROBE_RESET] = "reset",
	[PROBE_BAD_RESPONSE] = "bad response",
	[PROBE_UNREACHABLE] = "unreachable",
	[PROBE_LOCAL_ERROR] = "local error",
	[PROBE_EXPECT_MISSING] = "expected answer not found",
	[PROBE_DNS_RCODE] = "DNS error",
	[PROBE_EXIT_STATUS] = "command failed",
};

const char *
probe_reason_str(enum probe_reason r)
{
	return reasons[r];
}

bool
probe_counts(const struct probe_result *r)
{
	return r->reason != PROBE_LOCAL_ERROR;
}

void
probe_result_local(struct probe_result *r, const char *what)
{
	memset(r, 0, sizeof(*r));
	r->reason = PROBE_LOCAL_ERROR;
	str_copy(r->detail, what, sizeof(r->detail));
}

enum probe_reason
probe_connect_reason(int err)
{
	switch (err) {
	case ECONNREFUSED:
		return PROBE_CONNECT_REFUSED;
	case ETIMEDOUT:
		return PROBE_CONNECT_TIMEOUT;
	case ECONNRESET:
		return PROBE_RESET;
	case EHOSTUNREACH:
	case EHOSTDOWN:
		return PROBE_UNREACHABLE;
	default:
		/* 0 (curl gave up before any connect), ENETUNREACH,
		 * EADDRNOTAVAIL, EACCES, EPERM, EMFILE, ENOBUFS, ... */
		return PROBE_LOCAL_ERROR;
	}
}

void
probe_describe(const struct probe_req *req, char *buf, size_t size)
{
	types[req->check->type]->describe(req, buf, size);
}

/* The slot a task lives in. */
static const struct slot *
slot_of(const struct probe_task *t)
{
	return (const struct slot *)(const void *)((const char *)t -
	    offsetof(struct slot, t));
}

bool
probe_task_connected(const struct probe_task *t)
{
	return slot_of(t)->connected;
}

unsigned long
probe_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return 1024;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur == RLIM_INFINITY ? 1UL << 20 :
	    (unsigned long)rl.rlim_cur;
}

struct prober *
prober_new(unsigned max_parallel)
{
	struct prober *p = xcalloc(1, sizeof(*p));
	struct rlimit rl;
	size_t i, n = max_parallel ? max_parallel : 1;

	/* one descriptor per transfer; keep some for the rest */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		n = rl.rlim_cur > FD_RESERVE + n ? n : rl.rlim_cur >
		    FD_RESERVE ? rl.rlim_cur - FD_RESERVE : 1;
	if ((p->multi = curl_multi_init()) == NULL)
		fatalx("cannot create a libcurl multi handle");
	p->slots = xcalloc(n, sizeof(*p->slots));
	p->free = xcalloc(n, sizeof(*p->free));
	for (i = 0; i < n; i++) {
		if ((p->slots[i].easy = curl_easy_init()) == NULL)
			fatalx("cannot create a libcurl handle");
		p->free[p->nfree++] = n - 1 - i;
	}
	p->nslots = n;
	return p;
}

void
prober_free(struct prober *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nslots; i++)
		curl_easy_cleanup(p->slots[i].easy);
	curl_multi_cleanup(p->multi);
	free(p->slots);
	free(p->free);
	free(p->queue);
	free(p->wait);
	free(p->pollfds);
	free(p);
}

unsigned
prober_parallel(const struct prober *p)
{
	return (unsigned)p->nslots;
}

void
prober_set_source(struct prober *p, const struct addr *v4,
    const struct addr *v6)
{
	p->has_src[0] = v4 != NULL;
	p->has_src[1] = v6 != NULL;
	if (v4 != NULL)
		p->src[0] = *v4;
	if (v6 != NULL)
		p->src[1] = *v6;
}

/* The source for a socket of family, or NULL. */
static const struct addr *
source_of(const struct prober *p, int family)
{
	int i = family == AF_INET ? 0 : family == AF_INET6 ? 1 : -1;

	return i >= 0 && p->has_src[i] ? &p->src[i] : NULL;
}

/* t's source for a socket of family, or NULL. */
static const struct addr *
task_source(const struct probe_task *t, int family)
{
	return family == AF_INET ? t->source4 : family == AF_INET6 ?
	    t->source6 : NULL;
}

/* Binds fd to a's port 0; 0 or -1 with errno. */
static int
bind_to(int fd, const struct addr *a)
{
	struct sockaddr_storage ss;
	socklen_t len = addr_sockaddr(a, 0, &ss);

	return bind(fd, (struct sockaddr *)&ss, len);
}

int
probe_bind_source(const struct probe_task *t, int fd, int family)
{
	const struct addr *a = task_source(t, family);
	char d[sizeof(t->res->detail)];

	if (a == NULL || bind_to(fd, a) == 0)
		return 0;
	snprintf(d, sizeof(d), "cannot bind to source %s: %s", a->text,
	    strerror(errno));
	probe_result_local(t->res, d);
	return -1;
}

/* ---- socket callbacks (curl types) ---- */

static curl_socket_t
open_socket(void *ud, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct slot *s = ud;
	struct linger lg = { 1, 0 };
	const struct addr *src = task_source(&s->t, a->family);
	int fd;

	(void)purpose;
	fd = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
	if (fd == -1) {
		s->sock_errno = errno;
		return CURL_SOCKET_BAD;
	}
	/*
	 * Bound here rather than with CURLOPT_INTERFACE: the family is
	 * known only now (a canary's name may resolve to both), and a
	 * family without a source goes unbound.
	 */
	if (src != NULL && bind_to(fd, src) == -1) {
		s->sock_errno = s->bind_errno = errno;
		s->bind_src = src;
		close(fd);
		return CURL_SOCKET_BAD;
	}
	/*
	 * Closed with a reset, as HAProxy closes its health checks: the
	 * answer is in by then, and a monitor opening hundreds of
	 * connections a second must not pile up TIME_WAIT sockets (nor
	 * spend a FIN exchange on each).
	 */
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	return fd;
}

/* Notes whether the connection ever got through, then closes it. */
static int
close_socket(void *ud, curl_socket_t fd)
{
	struct slot *s = ud;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0)
		s->connected = true;
	return close(fd);
}

/* ---- body scan ---- */

void
probe_scan_init(struct probe_scan *s, const char *needle)
{
	memset(s, 0, sizeof(*s));
	s->needle = needle;
	s->len = strlen(needle);
	s->found = s->len == 0;
	if (s->len > 1)
		s->tail = xmalloc(2 * (s->len - 1));
}

void
probe_scan_free(struct probe_scan *s)
{
	free(s->tail);
	memset(s, 0, sizeof(*s));
}

/*
 * The tail holds the last (at most len - 1) bytes seen: a match that
 * spans chunks starts there and ends in the first len - 1 bytes of p.
 */
bool
probe_scan_feed(struct probe_scan *s, const char *p, size_t n)
{
	size_t m = s->len, k, keep;

	if (s->found)
		return true;
	if (m > 1) {
		k = n < m - 1 ? n : m - 1;
		memcpy(s->tail + s->ntail, p, k);
		if (memmem(s->tail, s->ntail + k, s->needle, m) != NULL)
			return s->found = true;
	}
	if (memmem(p, n, s->needle, m) != NULL)
		return s->found = true;
	if (m <= 1)
		return false;
	if (n >= m - 1) {
		memcpy(s->tail, p + n - (m - 1), m - 1);
		s->ntail = m - 1;
	} else {
		keep = s->ntail + n < m - 1 ? s->ntail + n : m - 1;
		memmove(s->tail, s->tail + s->ntail + n - keep, keep);
		s->ntail = keep;
	}
	return false;
}

/* ---- start ---- */

/* What the engine sets on every easy handle; CURLE_OK or the failure. */
static CURLcode
easy_common(struct slot *s)
{
	uint64_t ms = s->t.req->check->timeout_ms;
	CURL *e = s->easy;
	CURLcode rc = CURLE_OK;

#define SET(opt, val) do { if (rc == CURLE_OK) \
	rc = curl_easy_setopt(e, opt, val); } while (0)
	SET(CURLOPT_PRIVATE, s);
	SET(CURLOPT_ERRORBUFFER, s->errbuf);
	SET(CURLOPT_OPENSOCKETFUNCTION, open_socket);
	SET(CURLOPT_OPENSOCKETDATA, s);
	SET(CURLOPT_CLOSESOCKETFUNCTION, close_socket);
	SET(CURLOPT_CLOSESOCKETDATA, s);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_TIMEOUT_MS, (long)ms);
	SET(CURLOPT_CONNECTTIMEOUT_MS, (long)ms);
	/* never http_proxy and the like: the address is what is tested */
	SET(CURLOPT_PROXY, "");
#undef SET
	return rc;
}

/* A curl type's start: 0 when the transfer runs, -1 when it is over. */
static int
start_curl(struct prober *p, struct slot *s)
{
	struct probe_result *res = s->t.res;
	CURLcode rc;

	curl_easy_reset(s->easy);
	if ((rc = easy_common(s)) != CURLE_OK) {
		probe_result_local(res, curl_easy_strerror(rc));
		return -1;
	}
	if (s->ops->setup(&s->t, s->easy, s->errbuf) == -1) {
		if (res->reason == PROBE_OK)	/* the type said nothing */
			probe_result_local(res, "cannot set up the probe");
		return -1;
	}
	if (curl_multi_add_handle(p->multi, s->easy) != CURLM_OK) {
		probe_result_local(res, "cannot add the transfer");
		return -1;
	}
	return 0;
}

/* Prepares slot s for req; -1 (with res set) if it is already over. */
static int
slot_start(struct prober *p, struct slot *s, const struct probe_req *req,
    struct probe_result *res)
{
	int over;

	memset(res, 0, sizeof(*res));
	memset(&s->t, 0, sizeof(s->t));
	s->t.req = req;
	s->t.res = res;
	s->t.start_ms = mono_ms();
	s->t.deadline_ms = s->t.start_ms + req->check->timeout_ms;
	s->t.source4 = source_of(p, AF_INET);
	s->t.source6 = source_of(p, AF_INET6);
	s->ops = types[req->check->type];
	s->errbuf[0] = '\0';
	s->sock_errno = s->bind_errno = 0;
	s->bind_src = NULL;
	s->connected = false;
	s->nfds = 0;
	if (s->ops->curl)
		over = start_curl(p, s) == -1;
	else
		over = s->ops->start(&s->t) != 0;
	if (!over)
		return 0;
	s->ops->clear(&s->t);
	s->ops = NULL;
	return -1;
}

/* ---- run ---- */

static void
finish(const struct probe_req *req, struct probe_result *res,
    probe_done_fn *done, void *arg)
{
	if (done != NULL)
		done(arg, req, res);
}

/* Frees the slot of a finished probe, then tells its owner. */
static void
slot_done(struct prober *p, struct slot *s)
{
	const struct probe_req *req = s->t.req;
	struct probe_result *res = s->t.res;
	probe_done_fn *done = s->done;
	void *arg = s->arg;

	if (s->ops->curl)
		curl_multi_remove_handle(p->multi, s->easy);
	s->ops->clear(&s->t);
	s->ops = NULL;
	p->free[p->nfree++] = (size_t)(s - p->slots);
	p->active--;
	p->ended++;
	finish(req, res, done, arg);
}

static void
collect(struct prober *p)
{
	struct slot *s;
	CURLMsg *m;
	char *priv;
	int left;

	while ((m = curl_multi_info_read(p->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
		s = (struct slot *)(void *)priv;
		s->ops->judge(&s->t, s->easy, (int)m->data.result, s->errbuf,
		    s->sock_errno);
		if (s->bind_errno != 0 && s->t.res->reason == PROBE_LOCAL_ERROR)
			snprintf(s->t.res->detail, sizeof(s->t.res->detail),
			    "cannot bind to source %s: %s", s->bind_src->text,
			    strerror(s->bind_errno));
		slot_done(p, s);
	}
}

/* Marks every curl transfer in flight as a local error and stops it. */
static void
abandon(struct prober *p, const char *why)
{
	size_t i;

	for (i = 0; i < p->nslots; i++) {
		struct slot *s = &p->slots[i];

		if (s->ops == NULL || !s->ops->curl)
			continue;
		probe_result_local(s->t.res, why);
		slot_done(p, s);
	}
}

void
prober_submit(struct prober *p, const struct probe_req *req,
    struct probe_result *res, probe_done_fn *done, void *arg)
{
	if (p->tail == p->cap) {
		if (p->head > 0) {	/* slide down before growing */
			memmove(p->queue, p->queue + p->head,
			    (p->tail - p->head) * sizeof(*p->queue));
			p->tail -= p->head;
			p->head = 0;
		}
		if (p->tail == p->cap) {
			p->cap = p->cap ? 2 * p->cap : 64;
			p->queue = xreallocarray(p->queue, p->cap,
			    sizeof(*p->queue));
		}
	}
	p->queue[p->tail].req = req;
	p->queue[p->tail].res = res;
	p->queue[p->tail].done = done;
	p->queue[p->tail].arg = arg;
	p->tail++;
}

size_t
prober_busy(const struct prober *p)
{
	return p->active + (p->tail - p->head);
}

/* Starts queued requests while there are free slots. */
static void
admit(struct prober *p)
{
	struct pending q;
	struct slot *s;

	while (p->nfree > 0 && p->head < p->tail) {
		q = p->queue[p->head++];
		s = &p->slots[p->free[p->nfree - 1]];
		if (slot_start(p, s, q.req, q.res) == 0) {
			s->done = q.done;
			s->arg = q.arg;
			p->nfree--;
			p->active++;
		} else {
			p->ended++;
			finish(q.req, q.res, q.done, q.arg);
		}
	}
	if (p->head == p->tail)
		p->head = p->tail = 0;
}

static void
perform(struct prober *p)
{
	int running;

	if (curl_multi_perform(p->multi, &running) != CURLM_OK)
		abandon(p, "libcurl multi interface failed");
	collect(p);
}

/*
 * Moves every probe that is not curl's on: ready descriptors or a
 * passed deadline.  A type that will not end after its time-out is
 * ended here, so that no probe outlives its deadline.
 */
static void
advance_all(struct prober *p, uint64_t now)
{
	struct slot *s;
	bool ready, late;
	size_t i;
	int k, over;

	for (i = 0; i < p->nslots; i++) {
		s = &p->slots[i];
		if (s->ops == NULL || s->ops->curl)
			continue;
		for (k = 0, ready = false; k < s->nfds; k++)
			ready |= s->fds[k].revents != 0;
		s->nfds = 0;
		late = now >= s->t.deadline_ms;
		over = ready ? s->ops->advance(&s->t, now, false) : 0;
		if (!over && late) {
			over = 1;
			if (s->ops->advance(&s->t, now, true) == 0) {
				/* a type's bug: no probe outlives its time */
				s->t.res->reason = PROBE_TIMEOUT;
				s->t.res->total_ms = (uint32_t)(now -
				    s->t.start_ms);
			}
		}
		if (over)
			slot_done(p, s);
	}
}

/*
 * The wait's descriptors: the caller's first (their revents go back),
 * then every other probe's.  Returns the count; *due is the time to
 * the nearest deadline of those probes (or limit).
 */
static unsigned
wait_fds(struct prober *p, struct curl_waitfd *extra, unsigned nextra,
    uint64_t now, int *due)
{
	struct slot *s;
	size_t i, need = nextra + p->nslots * PROBE_MAXFDS;
	unsigned n = nextra;
	int k;

	if (p->waitcap < need) {
		p->wait = xreallocarray(p->wait, need, sizeof(*p->wait));
		p->pollfds = xreallocarray(p->pollfds, need,
		    sizeof(*p->pollfds));
		p->waitcap = need;
	}
	if (nextra > 0)
		memcpy(p->wait, extra, nextra * sizeof(*extra));
	for (i = 0; i < p->nslots; i++) {
		s = &p->slots[i];
		if (s->ops == NULL || s->ops->curl)
			continue;
		if (s->t.deadline_ms <= now)
			*due = 0;
		else if (s->t.deadline_ms - now < (uint64_t)*due)
			*due = (int)(s->t.deadline_ms - now);
		s->nfds = s->ops->fds(&s->t, s->fds);
		for (k = 0; k < s->nfds; k++) {
			s->fds[k].revents = 0;
			p->wait[n].fd = s->fds[k].fd;
			p->wait[n].events = (short)((s->fds[k].events & POLLIN ?
			    CURL_WAIT_POLLIN : 0) | (s->fds[k].events & POLLOUT ?
			    CURL_WAIT_POLLOUT : 0));
			p->wait[n++].revents = 0;	/* POLLHUP: see wait_done */
		}
	}
	return n;
}

/*
 * Hands the wait's results back: the caller's, and the probes' asked
 * again of poll(2) without waiting, since curl_multi_poll() reports
 * only POLLIN, POLLOUT and POLLPRI (a pipe's bare POLLHUP would be
 * lost).  Returns how many of the caller's are ready.
 */
static int
wait_done(struct prober *p, struct curl_waitfd *extra, unsigned nextra,
    unsigned nwait)
{
	struct pollfd *pf = p->pollfds;
	struct slot *s;
	unsigned j, n = 0;
	size_t i;
	int k, ready = 0;

	for (j = 0; j < nextra; j++) {
		extra[j].revents = p->wait[j].revents;
		ready += extra[j].revents != 0;
	}
	if (nwait == nextra)
		return ready;
	for (i = 0; i < p->nslots; i++) {
		s = &p->slots[i];
		if (s->ops == NULL || s->ops->curl)
			continue;
		for (k = 0; k < s->nfds; k++, n++) {
			pf[n].fd = s->fds[k].fd;
			pf[n].events = s->fds[k].events;
			pf[n].revents = 0;
		}
	}
	if (poll(pf, n, 0) <= 0)
		return ready;
	for (i = 0, n = 0; i < p->nslots; i++) {
		s = &p->slots[i];
		if (s->ops == NULL || s->ops->curl)
			continue;
		for (k = 0; k < s->nfds; k++)
			s->fds[k].revents = pf[n++].revents;
	}
	return ready;
}

int
prober_step(struct prober *p, int timeout_ms, struct curl_waitfd *extra,
    unsigned nextra)
{
	size_t ended = p->ended;
	unsigned nw;
	int n = 0, due = timeout_ms;

	/* admit first: polling with free slots would just sleep */
	admit(p);
	perform(p);
	advance_all(p, mono_ms());
	admit(p);
	/* something ended (a refused connect ends at once): the caller
	 * has news and must not sleep on it */
	if (p->ended != ended || (p->active == 0 && nextra == 0))
		return 0;
	nw = wait_fds(p, extra, nextra, mono_ms(), &due);
	if (curl_multi_poll(p->multi, p->wait, nw, due, &n) != CURLM_OK) {
		abandon(p, "libcurl multi poll failed");
		return 0;
	}
	n = wait_done(p, extra, nextra, nw);
	if (p->active > 0) {
		perform(p);
		advance_all(p, mono_ms());
	}
	return n;
}

void
probe_run(struct prober *p, const struct probe_req *reqs, size_t n,
    struct probe_result *results)
{
	size_t i;

	for (i = 0; i < n; i++)
		prober_submit(p, &reqs[i], &results[i], NULL, NULL);
	while (prober_busy(p) > 0)
		prober_step(p, 1000, NULL, 0);
}
