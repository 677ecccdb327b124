/*
 * probe.c: the probe engine.
 *
 * One libcurl multi handle drives up to "parallel" easy handles, each in
 * a slot.  A slot is given the next request as soon as it is free, so a
 * transfer's timeout starts when it really starts.  Every transfer:
 *
 *	build:  URL on the site's name, CONNECT_TO the configured address,
 *		fresh connection, no reuse, no TLS session reuse;
 *	run:    the body is scanned as it arrives and the transfer is ended
 *		as soon as the answer is known (text found, limit passed,
 *		or no text to look for);
 *	judge:  curl's code, the socket's errno and our own flags give a
 *		reason; errors raised before a packet left this host are
 *		local errors.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>

#include "log.h"
#include "probe.h"
#include "util.h"
#include "version.h"

#define FD_RESERVE	32	/* descriptors kept for everything else */

struct slot {
	CURL			*easy;
	const struct probe_req	*req;
	struct probe_result	*res;
	probe_done_fn		*done;
	void			*arg;
	char			*url;
	struct curl_slist	*headers, *connect_to;
	char			 errbuf[CURL_ERROR_SIZE];
	int			 sock_errno;	/* socket() failed: local */
	bool			 connected;	/* TCP connect completed */
	bool			 stopped;	/* we ended the transfer */
	bool			 found;		/* expect_body was seen */
	uint64_t		 seen;		/* body bytes scanned */
	char			*tail;		/* end of the previous chunk */
	size_t			 ntail;
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
	size_t		 ended;		/* transfers finished, ever */
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
	free(p);
}

unsigned
prober_parallel(const struct prober *p)
{
	return (unsigned)p->nslots;
}

/* ---- transfer callbacks ---- */

static curl_socket_t
open_socket(void *ud, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct slot *s = ud;
	struct linger lg = { 1, 0 };
	int fd;

	(void)purpose;
	fd = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
	if (fd == -1) {
		s->sock_errno = errno;
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

/*
 * Whether needle appears in what was seen so far, given the next chunk.
 * Keeps the last strlen(needle)-1 bytes so that a match may span chunks.
 */
static bool
body_scan(struct slot *s, const char *p, size_t n)
{
	const char *needle = s->req->check->expect_body;
	size_t m = strlen(needle), k, keep;

	if (m > 1) {
		k = n < m - 1 ? n : m - 1;
		memcpy(s->tail + s->ntail, p, k);
		if (memmem(s->tail, s->ntail + k, needle, m) != NULL)
			return true;
	}
	if (memmem(p, n, needle, m) != NULL)
		return true;
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

static size_t
on_body(char *p, size_t size, size_t nmemb, void *ud)
{
	struct slot *s = ud;
	const struct check_spec *c = s->req->check;
	size_t n = size * nmemb, use;

	if (c->expect_body == NULL) {
		s->stopped = true;	/* the status is all we need */
		return CURL_WRITEFUNC_ERROR;
	}
	use = c->body_limit - s->seen < n ? (size_t)(c->body_limit - s->seen) :
	    n;
	if (body_scan(s, p, use)) {
		s->found = true;
		s->stopped = true;
		return CURL_WRITEFUNC_ERROR;
	}
	s->seen += use;
	if (s->seen >= c->body_limit) {
		s->stopped = true;
		return CURL_WRITEFUNC_ERROR;
	}
	return n;
}

/* ---- build ---- */

/* The request's URL and CONNECT_TO entry; both on the site's name. */
static int
slot_target(struct slot *s)
{
	const struct check_spec *c = s->req->check;
	const struct addr *a = s->req->addr;
	char entry[DNAME_MAXLEN + ADDR_STRLEN + 32];
	struct curl_slist *l;

	if (s->req->url != NULL) {
		s->url = xstrdup(s->req->url);
		return 0;
	}
	s->url = xasprintf("%s://%s:%u%s", c->type == CHECK_HTTPS ? "https" :
	    "http", s->req->host, c->port, c->type == CHECK_TCP ? "/" :
	    c->path);
	snprintf(entry, sizeof(entry), a->family == AF_INET6 ?
	    "%s:%u:[%s]:%u" : "%s:%u:%s:%u", s->req->host, c->port, a->text,
	    c->port);
	if ((l = curl_slist_append(NULL, entry)) == NULL)
		return -1;
	s->connect_to = l;
	return 0;
}

static int
slot_headers(struct slot *s)
{
	const struct check_spec *c = s->req->check;
	struct curl_slist *l = NULL, *t;
	char *h;
	size_t i;

	for (i = 0; i < c->nheaders; i++) {
		h = xasprintf("%s: %s", c->headers[i].name, c->headers[i].value);
		t = curl_slist_append(l, h);
		free(h);
		if (t == NULL) {
			curl_slist_free_all(l);
			return -1;
		}
		l = t;
	}
	s->headers = l;
	return 0;
}

/* Sets every option; returns CURLE_OK or the first failure. */
static CURLcode
slot_options(struct slot *s)
{
	const struct check_spec *c = s->req->check;
	CURL *e = s->easy;
	CURLcode rc = CURLE_OK;

#define SET(opt, val) do { if (rc == CURLE_OK) \
	rc = curl_easy_setopt(e, opt, val); } while (0)
	SET(CURLOPT_URL, s->url);
	SET(CURLOPT_CONNECT_TO, s->connect_to);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_FRESH_CONNECT, 1L);
	SET(CURLOPT_FORBID_REUSE, 1L);
	SET(CURLOPT_SSL_SESSIONID_CACHE, 0L);	/* verify every time */
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_TIMEOUT_MS, (long)c->timeout_ms);
	SET(CURLOPT_CONNECTTIMEOUT_MS, (long)c->timeout_ms);
	SET(CURLOPT_PRIVATE, s);
	SET(CURLOPT_ERRORBUFFER, s->errbuf);
	SET(CURLOPT_OPENSOCKETFUNCTION, open_socket);
	SET(CURLOPT_OPENSOCKETDATA, s);
	SET(CURLOPT_CLOSESOCKETFUNCTION, close_socket);
	SET(CURLOPT_CLOSESOCKETDATA, s);
	if (c->type == CHECK_TCP) {
		SET(CURLOPT_CONNECT_ONLY, 1L);
		return rc;
	}
	SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	SET(CURLOPT_USERAGENT, "dnsfailover/" DNSFAILOVER_VERSION);
	SET(CURLOPT_HTTPHEADER, s->headers);
	SET(CURLOPT_NOBODY, c->method == HTTP_HEAD ? 1L : 0L);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, s);
	SET(CURLOPT_SSL_VERIFYPEER, c->tls_verify ? 1L : 0L);
	SET(CURLOPT_SSL_VERIFYHOST, c->tls_verify ? 2L : 0L);
	if (c->ca_file != NULL)
		SET(CURLOPT_CAINFO, c->ca_file);
	/* Debian's CApath disables curl's CA store cache: 25x slower */
	SET(CURLOPT_CAPATH, NULL);
#undef SET
	return rc;
}

static void
slot_reset(struct slot *s)
{
	free(s->url);
	s->url = NULL;
	curl_slist_free_all(s->headers);
	curl_slist_free_all(s->connect_to);
	free(s->tail);
	s->headers = s->connect_to = NULL;
	s->tail = NULL;
	s->ntail = 0;
	s->seen = 0;
	s->sock_errno = 0;
	s->stopped = s->found = s->connected = false;
	s->errbuf[0] = '\0';
}

static void
result_local(struct probe_result *r, const char *what)
{
	memset(r, 0, sizeof(*r));
	r->reason = PROBE_LOCAL_ERROR;
	str_copy(r->detail, what, sizeof(r->detail));
}

/* Prepares slot s for req; -1 (with res set) if it cannot start. */
static int
slot_start(struct prober *p, struct slot *s, const struct probe_req *req,
    struct probe_result *res)
{
	const char *ne = req->check->expect_body;
	CURLcode rc;

	slot_reset(s);
	curl_easy_reset(s->easy);
	s->req = req;
	s->res = res;
	memset(res, 0, sizeof(*res));
	if (ne != NULL && strlen(ne) > 1)
		s->tail = xmalloc(2 * (strlen(ne) - 1));
	if (slot_target(s) == -1 || slot_headers(s) == -1)
		result_local(res, "out of memory");
	else if ((rc = slot_options(s)) != CURLE_OK)
		result_local(res, curl_easy_strerror(rc));
	else if (curl_multi_add_handle(p->multi, s->easy) != CURLM_OK)
		result_local(res, "cannot add the transfer");
	else
		return 0;
	slot_reset(s);
	s->req = NULL;
	return -1;
}

/* ---- judge ---- */

static bool
status_expected(const struct check_spec *c, long code)
{
	size_t i;

	for (i = 0; i < c->nexpect; i++)
		if (code >= c->expect[i].lo && code <= c->expect[i].hi)
			return true;
	return false;
}

/* A failed connect: the server refused, or this host never sent. */
static enum probe_reason
connect_reason(const struct slot *s, long oserr)
{
	if (s->sock_errno != 0)
		return PROBE_LOCAL_ERROR;
	switch (oserr) {
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

static enum probe_reason
error_reason(const struct slot *s, CURLcode rc, long oserr)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
		return connect_reason(s, oserr);
	case CURLE_OPERATION_TIMEDOUT:
		/* curl's connect time stays 0 while TLS is unfinished */
		return s->connected ? PROBE_TIMEOUT : PROBE_CONNECT_TIMEOUT;
	case CURLE_SSL_CONNECT_ERROR:
		return PROBE_TLS_ERROR;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
		return PROBE_CERT_ERROR;
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
		return PROBE_RESET;
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_UNSUPPORTED_PROTOCOL:	/* "HTTP/0.9": not HTTP */
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_BAD_CONTENT_ENCODING:
		return PROBE_BAD_RESPONSE;
	default:
		/* our CA file, out of memory, bad options: never the server */
		return PROBE_LOCAL_ERROR;
	}
}

static void
body_detail(const struct slot *s, struct probe_result *r)
{
	const struct check_spec *c = s->req->check;

	if (s->seen >= c->body_limit)
		snprintf(r->detail, sizeof(r->detail), "\"%.60s\" not in the "
		    "first %llu bytes", c->expect_body,
		    (unsigned long long)c->body_limit);
	else
		snprintf(r->detail, sizeof(r->detail), "\"%.60s\" not in the "
		    "%llu-byte body", c->expect_body,
		    (unsigned long long)s->seen);
}

static void
judge(struct slot *s, CURLcode rc)
{
	const struct check_spec *c = s->req->check;
	struct probe_result *r = s->res;
	curl_off_t total = 0, connect = 0;
	long code = 0, oserr = 0;

	curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo(s->easy, CURLINFO_OS_ERRNO, &oserr);
	curl_easy_getinfo(s->easy, CURLINFO_TOTAL_TIME_T, &total);
	curl_easy_getinfo(s->easy, CURLINFO_CONNECT_TIME_T, &connect);
	r->http_status = (int)code;
	r->total_ms = (uint32_t)(total / 1000);
	r->connect_ms = (uint32_t)(connect / 1000);
	if (rc == CURLE_WRITE_ERROR && s->stopped)
		rc = CURLE_OK;
	if (rc != CURLE_OK) {
		r->reason = error_reason(s, rc, oserr);
		if (s->sock_errno != 0)
			snprintf(r->detail, sizeof(r->detail), "cannot open a "
			    "socket: %s", strerror(s->sock_errno));
		else
			str_copy(r->detail, s->errbuf[0] ? s->errbuf :
			    curl_easy_strerror(rc), sizeof(r->detail));
	} else if (c->type != CHECK_TCP && !status_expected(c, code)) {
		r->reason = PROBE_HTTP_STATUS;
		snprintf(r->detail, sizeof(r->detail), "HTTP %ld", code);
	} else if (c->type != CHECK_TCP && c->expect_body != NULL &&
	    !s->found) {
		r->reason = PROBE_BODY_MISSING;
		body_detail(s, r);
	} else
		r->reason = PROBE_OK;
}

/* ---- run ---- */

static void
finish(const struct probe_req *req, struct probe_result *res,
    probe_done_fn *done, void *arg)
{
	if (done != NULL)
		done(arg, req, res);
}

/* Frees the slot of a finished transfer, then tells its owner. */
static void
slot_done(struct prober *p, struct slot *s)
{
	const struct probe_req *req = s->req;
	struct probe_result *res = s->res;
	probe_done_fn *done = s->done;
	void *arg = s->arg;

	curl_multi_remove_handle(p->multi, s->easy);
	slot_reset(s);
	s->req = NULL;
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
		judge(s, m->data.result);
		slot_done(p, s);
	}
}

/* Marks every transfer in flight as a local error and stops them. */
static void
abandon(struct prober *p, const char *why)
{
	size_t i;

	for (i = 0; i < p->nslots; i++) {
		struct slot *s = &p->slots[i];

		if (s->req == NULL)
			continue;
		result_local(s->res, why);
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

int
prober_step(struct prober *p, int timeout_ms, struct curl_waitfd *extra,
    unsigned nextra)
{
	int n = 0;

	size_t ended = p->ended;

	/* admit first: polling with free slots would just sleep */
	admit(p);
	perform(p);
	admit(p);
	/* something ended (a refused connect ends at once): the caller
	 * has news and must not sleep on it */
	if (p->ended != ended || (p->active == 0 && nextra == 0))
		return 0;
	if (curl_multi_poll(p->multi, extra, nextra, timeout_ms, &n) !=
	    CURLM_OK) {
		abandon(p, "libcurl multi poll failed");
		return 0;
	}
	if (p->active > 0)
		perform(p);
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
