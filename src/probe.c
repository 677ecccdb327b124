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
 *	judge:  curl's code (a table decides each one), the socket's
 *		errno and our own flags give a reason.  Anything the
 *		server sent that is malformed or too large counts against
 *		it; errors raised before the server was reached, or by
 *		this host's own material (CA file, resolver, options), are
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
	uint64_t		 seen;		/* body bytes scanned */
	struct probe_scan	 scan;		/* for expect_body */
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
	if (probe_scan_feed(&s->scan, p, use)) {
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
	/* never http_proxy and the like: the address is what is tested */
	SET(CURLOPT_PROXY, "");
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
	probe_scan_free(&s->scan);
	s->headers = s->connect_to = NULL;
	s->seen = 0;
	s->sock_errno = 0;
	s->stopped = s->connected = false;
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
	if (ne != NULL)
		probe_scan_init(&s->scan, ne);
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

bool
probe_status_expected(const struct check_spec *c, long code)
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

/*
 * What each curl code says about the server, decided code by code: every
 * code of curl 7.88 is listed.  A code this table does not know (a later
 * curl) is a local error: a failure the monitor does not understand
 * never fails a site over.
 */
enum verdict {
	V_UNLISTED,	/* not in the table: local */
	V_LOCAL,	/* this monitor's fault, or cannot happen here */
	V_CONNECT,	/* connect failed: the socket's errno decides */
	V_TIMEOUT,
	V_TLS,
	V_CERT,
	V_RESET,	/* closed or reset before a full answer */
	V_RECV,		/* reset if the socket says so, else malformed */
	V_BAD,		/* the answer is malformed */
	V_BAD_REACHED,	/* malformed if the server was reached, else local */
	V_TOO_LARGE	/* over a limit of curl's, if the server was reached */
};

/* CURLE_TOO_LARGE, curl 8.6 and later: a header or chunk over a limit */
#define CURLE_TOO_LARGE_NUM	100

static const unsigned char verdicts[CURL_LAST] = {
	/* the server did not answer, or closed or reset the connection */
	[CURLE_COULDNT_CONNECT] = V_CONNECT,
	[CURLE_OPERATION_TIMEDOUT] = V_TIMEOUT,
	[CURLE_GOT_NOTHING] = V_RESET,
	[CURLE_SEND_ERROR] = V_RESET,
	[CURLE_PARTIAL_FILE] = V_RESET,		/* closed inside the body */
	[CURLE_RECV_ERROR] = V_RECV,		/* also bad chunks, 300 KiB
						   of headers */
	/* TLS: garbage instead of TLS, a failed handshake, a bad cert */
	[CURLE_SSL_CONNECT_ERROR] = V_TLS,
	[CURLE_SSL_SHUTDOWN_FAILED] = V_TLS,
	[CURLE_SSL_CLIENTCERT] = V_TLS,		/* it demands a client cert */
	[CURLE_PEER_FAILED_VERIFICATION] = V_CERT,
	[CURLE_SSL_ISSUER_ERROR] = V_CERT,
	[CURLE_SSL_PINNEDPUBKEYNOTMATCH] = V_CERT,
	[CURLE_SSL_INVALIDCERTSTATUS] = V_CERT,
	/* what the server sent is not HTTP, broken or too large */
	[CURLE_WEIRD_SERVER_REPLY] = V_BAD,
	[CURLE_HTTP2] = V_BAD,
	[CURLE_HTTP2_STREAM] = V_BAD,
	[CURLE_HTTP3] = V_BAD,
	[CURLE_QUIC_CONNECT_ERROR] = V_BAD,
	[CURLE_BAD_CONTENT_ENCODING] = V_BAD,
	[CURLE_FILESIZE_EXCEEDED] = V_BAD,	/* its Content-Length */
	[CURLE_UNSUPPORTED_PROTOCOL] = V_BAD_REACHED,	/* "HTTP/0.9", a
						   broken status line */
	[CURLE_OUT_OF_MEMORY] = V_TOO_LARGE,	/* a header line over 100 KiB
						   ("Avoided giant realloc");
						   a real malloc failure
						   once connected looks the
						   same, and would soon end
						   this process in xmalloc */
	/* name resolution: probes connect to addresses and never resolve;
	 * a canary's name is looked up by this host's resolver */
	[CURLE_COULDNT_RESOLVE_HOST] = V_LOCAL,
	[CURLE_COULDNT_RESOLVE_PROXY] = V_LOCAL,
	[CURLE_PROXY] = V_LOCAL,
	/* this monitor: its setup, its source address, its event loop */
	[CURLE_FAILED_INIT] = V_LOCAL,
	[CURLE_URL_MALFORMAT] = V_LOCAL,
	[CURLE_NOT_BUILT_IN] = V_LOCAL,
	[CURLE_UNKNOWN_OPTION] = V_LOCAL,
	[CURLE_SETOPT_OPTION_SYNTAX] = V_LOCAL,
	[CURLE_BAD_FUNCTION_ARGUMENT] = V_LOCAL,
	[CURLE_FUNCTION_NOT_FOUND] = V_LOCAL,
	[CURLE_RECURSIVE_API_CALL] = V_LOCAL,
	[CURLE_INTERFACE_FAILED] = V_LOCAL,
	[CURLE_AGAIN] = V_LOCAL,
	[CURLE_NO_CONNECTION_AVAILABLE] = V_LOCAL,
	[CURLE_UNRECOVERABLE_POLL] = V_LOCAL,
	/* this monitor's TLS material: CA file, CRL, client cert, engine */
	[CURLE_SSL_CACERT_BADFILE] = V_LOCAL,
	[CURLE_SSL_CRL_BADFILE] = V_LOCAL,
	[CURLE_SSL_CERTPROBLEM] = V_LOCAL,
	[CURLE_SSL_CIPHER] = V_LOCAL,
	[CURLE_SSL_ENGINE_NOTFOUND] = V_LOCAL,
	[CURLE_SSL_ENGINE_SETFAILED] = V_LOCAL,
	[CURLE_SSL_ENGINE_INITFAILED] = V_LOCAL,
	[CURLE_USE_SSL_FAILED] = V_LOCAL,
	/* our callbacks: a write error we did not ask for is our bug */
	[CURLE_WRITE_ERROR] = V_LOCAL,
	[CURLE_ABORTED_BY_CALLBACK] = V_LOCAL,
	[CURLE_READ_ERROR] = V_LOCAL,
	[CURLE_CHUNK_FAILED] = V_LOCAL,
	[CURLE_AUTH_ERROR] = V_LOCAL,
	/* options never set (fail on error, redirects, ranges, uploads) */
	[CURLE_HTTP_RETURNED_ERROR] = V_LOCAL,
	[CURLE_TOO_MANY_REDIRECTS] = V_LOCAL,
	[CURLE_RANGE_ERROR] = V_LOCAL,
	[CURLE_BAD_DOWNLOAD_RESUME] = V_LOCAL,
	[CURLE_UPLOAD_FAILED] = V_LOCAL,
	[CURLE_HTTP_POST_ERROR] = V_LOCAL,
	[CURLE_SEND_FAIL_REWIND] = V_LOCAL,
	[CURLE_FILE_COULDNT_READ_FILE] = V_LOCAL,
	/* protocols never spoken: CURLOPT_PROTOCOLS_STR is http,https */
	[CURLE_REMOTE_ACCESS_DENIED] = V_LOCAL,
	[CURLE_FTP_ACCEPT_FAILED] = V_LOCAL,
	[CURLE_FTP_WEIRD_PASS_REPLY] = V_LOCAL,
	[CURLE_FTP_ACCEPT_TIMEOUT] = V_LOCAL,
	[CURLE_FTP_WEIRD_PASV_REPLY] = V_LOCAL,
	[CURLE_FTP_WEIRD_227_FORMAT] = V_LOCAL,
	[CURLE_FTP_CANT_GET_HOST] = V_LOCAL,
	[CURLE_FTP_COULDNT_SET_TYPE] = V_LOCAL,
	[CURLE_FTP_COULDNT_RETR_FILE] = V_LOCAL,
	[CURLE_QUOTE_ERROR] = V_LOCAL,
	[CURLE_FTP_PORT_FAILED] = V_LOCAL,
	[CURLE_FTP_COULDNT_USE_REST] = V_LOCAL,
	[CURLE_FTP_PRET_FAILED] = V_LOCAL,
	[CURLE_FTP_BAD_FILE_LIST] = V_LOCAL,
	[CURLE_LDAP_CANNOT_BIND] = V_LOCAL,
	[CURLE_LDAP_SEARCH_FAILED] = V_LOCAL,
	[CURLE_LOGIN_DENIED] = V_LOCAL,
	[CURLE_TFTP_NOTFOUND] = V_LOCAL,
	[CURLE_TFTP_PERM] = V_LOCAL,
	[CURLE_REMOTE_DISK_FULL] = V_LOCAL,
	[CURLE_TFTP_ILLEGAL] = V_LOCAL,
	[CURLE_TFTP_UNKNOWNID] = V_LOCAL,
	[CURLE_REMOTE_FILE_EXISTS] = V_LOCAL,
	[CURLE_TFTP_NOSUCHUSER] = V_LOCAL,
	[CURLE_REMOTE_FILE_NOT_FOUND] = V_LOCAL,
	[CURLE_SSH] = V_LOCAL,
	[CURLE_RTSP_CSEQ_ERROR] = V_LOCAL,
	[CURLE_RTSP_SESSION_ERROR] = V_LOCAL,
	/* never returned: CURLE_OBSOLETE20 ... CURLE_OBSOLETE76 */
	[CURLE_OBSOLETE20] = V_LOCAL,
	[CURLE_OBSOLETE24] = V_LOCAL,
	[CURLE_OBSOLETE29] = V_LOCAL,
	[CURLE_OBSOLETE32] = V_LOCAL,
	[CURLE_OBSOLETE40] = V_LOCAL,
	[CURLE_OBSOLETE44] = V_LOCAL,
	[CURLE_OBSOLETE46] = V_LOCAL,
	[CURLE_OBSOLETE50] = V_LOCAL,
	[CURLE_OBSOLETE51] = V_LOCAL,
	[CURLE_OBSOLETE57] = V_LOCAL,
	[CURLE_OBSOLETE62] = V_LOCAL,
	[CURLE_OBSOLETE75] = V_LOCAL,
	[CURLE_OBSOLETE76] = V_LOCAL,
};

static enum verdict
verdict_of(CURLcode rc)
{
	if ((int)rc == CURLE_TOO_LARGE_NUM)
		return V_TOO_LARGE;
	if ((unsigned)rc < NELEM(verdicts))
		return verdicts[rc];
	return V_UNLISTED;
}

/*
 * Whether the server was reached: a TCP connection was made (curl counts
 * it; getpeername() fails once the server's reset is in), or a byte of
 * its answer arrived.  Before that, curl failing is our fault.
 */
static bool
reached(const struct slot *s)
{
	long made = 0, header = 0;

	curl_easy_getinfo(s->easy, CURLINFO_NUM_CONNECTS, &made);
	curl_easy_getinfo(s->easy, CURLINFO_HEADER_SIZE, &header);
	return s->connected || made > 0 || header > 0;
}

/*
 * Too large for curl: 7.88 refuses a header line of 100 KiB or more
 * (CURLE_OUT_OF_MEMORY, with no error text) and a header block over
 * 300 KiB (CURLE_RECV_ERROR, or CURLE_TOO_LARGE from curl 8.6, with
 * this text).
 */
static bool
headers_too_large(const struct slot *s)
{
	return strncmp(s->errbuf, "Too large response headers", 26) == 0;
}

static void
too_large(const struct slot *s, struct probe_result *r)
{
	curl_off_t body = 0;

	curl_easy_getinfo(s->easy, CURLINFO_SIZE_DOWNLOAD_T, &body);
	r->reason = PROBE_BAD_RESPONSE;
	if (headers_too_large(s))
		str_copy(r->detail, "header too large, over 300 KiB in all",
		    sizeof(r->detail));
	else if (body == 0)
		str_copy(r->detail, "header too large, a line over 100 KiB",
		    sizeof(r->detail));
	else
		str_copy(r->detail, "response too large", sizeof(r->detail));
}

/* Reason and detail of a transfer curl ended with rc. */
static void
error_result(const struct slot *s, CURLcode rc, long oserr,
    struct probe_result *r)
{
	str_copy(r->detail, s->errbuf[0] ? s->errbuf : curl_easy_strerror(rc),
	    sizeof(r->detail));
	switch (verdict_of(rc)) {
	case V_CONNECT:
		r->reason = connect_reason(s, oserr);
		break;
	case V_TIMEOUT:
		/* curl's connect time stays 0 while TLS is unfinished */
		r->reason = s->connected ? PROBE_TIMEOUT :
		    PROBE_CONNECT_TIMEOUT;
		break;
	case V_TLS:
		r->reason = PROBE_TLS_ERROR;
		break;
	case V_CERT:
		r->reason = PROBE_CERT_ERROR;
		break;
	case V_RESET:
		r->reason = PROBE_RESET;
		break;
	case V_RECV:
		if (headers_too_large(s))
			too_large(s, r);
		else	/* a bad chunk, a TLS record that is not one */
			r->reason = oserr != 0 ? PROBE_RESET :
			    PROBE_BAD_RESPONSE;
		break;
	case V_BAD:
		r->reason = PROBE_BAD_RESPONSE;
		break;
	case V_BAD_REACHED:
		/* also a URL scheme refused before connecting (a canary) */
		r->reason = reached(s) ? PROBE_BAD_RESPONSE : PROBE_LOCAL_ERROR;
		break;
	case V_TOO_LARGE:
		/* a malloc failing before the connection is ours */
		if (reached(s))
			too_large(s, r);
		else
			r->reason = PROBE_LOCAL_ERROR;
		break;
	default:
		r->reason = PROBE_LOCAL_ERROR;
	}
	if (r->reason == PROBE_LOCAL_ERROR && s->sock_errno != 0)
		snprintf(r->detail, sizeof(r->detail), "cannot open a socket: "
		    "%s", strerror(s->sock_errno));
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
	if (rc != CURLE_OK)
		error_result(s, rc, oserr, r);
	else if (c->type != CHECK_TCP && !probe_status_expected(c, code)) {
		r->reason = PROBE_HTTP_STATUS;
		snprintf(r->detail, sizeof(r->detail), "HTTP %ld", code);
	} else if (c->type != CHECK_TCP && c->expect_body != NULL &&
	    !s->scan.found) {
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
