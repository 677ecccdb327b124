/*
 * probe_http.c: the http and https check types, on a libcurl easy handle
 * the engine (probe.c) runs.
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
 *		local errors.  With cert_warn, the leaf certificate's
 *		expiry is read from curl's certificate info.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <curl/curl.h>

#include "probe.h"
#include "probe_type.h"
#include "util.h"
#include "version.h"

struct http_probe {
	struct probe_task	*t;
	char			*url;
	struct curl_slist	*headers, *connect_to;
	bool			 stopped;	/* we ended the transfer */
	uint64_t		 seen;		/* body bytes scanned */
	struct probe_scan	 scan;		/* for expect_body */
};

static size_t
on_body(char *p, size_t size, size_t nmemb, void *ud)
{
	struct http_probe *h = ud;
	const struct check_http *c = &h->t->req->check->http;
	size_t n = size * nmemb, use;

	if (c->expect_body == NULL) {
		h->stopped = true;	/* the status is all we need */
		return CURL_WRITEFUNC_ERROR;
	}
	use = c->body_limit - h->seen < n ? (size_t)(c->body_limit - h->seen) :
	    n;
	if (probe_scan_feed(&h->scan, p, use)) {
		h->stopped = true;
		return CURL_WRITEFUNC_ERROR;
	}
	h->seen += use;
	if (h->seen >= c->body_limit) {
		h->stopped = true;
		return CURL_WRITEFUNC_ERROR;
	}
	return n;
}

/* ---- build ---- */

/* The request's URL and CONNECT_TO entry; both on the site's name. */
static int
http_target(struct http_probe *h)
{
	const struct probe_req *req = h->t->req;
	const struct check_spec *c = req->check;
	const struct addr *a = req->addr;
	char entry[DNAME_MAXLEN + ADDR_STRLEN + 32];
	struct curl_slist *l;

	if (req->url != NULL) {
		h->url = xstrdup(req->url);
		return 0;
	}
	h->url = xasprintf("%s://%s:%u%s", c->type == CHECK_HTTPS ? "https" :
	    "http", req->host, c->port, c->http.path);
	snprintf(entry, sizeof(entry), a->family == AF_INET6 ?
	    "%s:%u:[%s]:%u" : "%s:%u:%s:%u", req->host, c->port, a->text,
	    c->port);
	if ((l = curl_slist_append(NULL, entry)) == NULL)
		return -1;
	h->connect_to = l;
	return 0;
}

static int
http_headers(struct http_probe *h)
{
	const struct check_http *c = &h->t->req->check->http;
	struct curl_slist *l = NULL, *t;
	char *line;
	size_t i;

	for (i = 0; i < c->nheaders; i++) {
		line = xasprintf("%s: %s", c->headers[i].name,
		    c->headers[i].value);
		t = curl_slist_append(l, line);
		free(line);
		if (t == NULL) {
			curl_slist_free_all(l);
			return -1;
		}
		l = t;
	}
	h->headers = l;
	return 0;
}

/* Sets every option of the type; returns CURLE_OK or the first failure. */
static CURLcode
http_options(struct http_probe *h, CURL *e)
{
	const struct check_http *c = &h->t->req->check->http;
	CURLcode rc = CURLE_OK;

#define SET(opt, val) do { if (rc == CURLE_OK) \
	rc = curl_easy_setopt(e, opt, val); } while (0)
	SET(CURLOPT_URL, h->url);
	SET(CURLOPT_CONNECT_TO, h->connect_to);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_FRESH_CONNECT, 1L);
	SET(CURLOPT_FORBID_REUSE, 1L);
	SET(CURLOPT_SSL_SESSIONID_CACHE, 0L);	/* verify every time */
	SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	SET(CURLOPT_USERAGENT, "dnsfailover/" DNSFAILOVER_VERSION);
	SET(CURLOPT_HTTPHEADER, h->headers);
	SET(CURLOPT_NOBODY, c->method == HTTP_HEAD ? 1L : 0L);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, h);
	SET(CURLOPT_SSL_VERIFYPEER, c->tls_verify ? 1L : 0L);
	SET(CURLOPT_SSL_VERIFYHOST, c->tls_verify ? 2L : 0L);
	if (c->ca_file != NULL)
		SET(CURLOPT_CAINFO, c->ca_file);
	/* Debian's CApath disables curl's CA store cache: 25x slower */
	SET(CURLOPT_CAPATH, NULL);
	/* the chain as text, only when its expiry is wanted */
	if (c->cert_warn_ms > 0 && h->t->req->check->type == CHECK_HTTPS)
		SET(CURLOPT_CERTINFO, 1L);
#undef SET
	return rc;
}

static int
http_setup(struct probe_task *t, void *easy, char *errbuf)
{
	const char *ne = t->req->check->http.expect_body;
	struct http_probe *h = xcalloc(1, sizeof(*h));
	CURLcode rc;

	(void)errbuf;
	h->t = t;
	t->priv = h;
	if (ne != NULL)
		probe_scan_init(&h->scan, ne);
	if (http_target(h) == -1 || http_headers(h) == -1) {
		probe_result_local(t->res, "out of memory");
		return -1;
	}
	if ((rc = http_options(h, easy)) != CURLE_OK) {
		probe_result_local(t->res, curl_easy_strerror(rc));
		return -1;
	}
	return 0;
}

static void
http_clear(struct probe_task *t)
{
	struct http_probe *h = t->priv;

	if (h == NULL)
		return;
	free(h->url);
	curl_slist_free_all(h->headers);
	curl_slist_free_all(h->connect_to);
	probe_scan_free(&h->scan);
	free(h);
	t->priv = NULL;
}

/* ---- judge ---- */

bool
probe_status_expected(const struct check_spec *c, long code)
{
	size_t i;

	for (i = 0; i < c->http.nexpect; i++)
		if (code >= c->http.expect[i].lo && code <= c->http.expect[i].hi)
			return true;
	return false;
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

/* What judge() learns of a finished transfer. */
struct ending {
	CURL			*easy;
	const struct http_probe	*h;
	const char		*errbuf;
	int			 sock_errno;	/* socket() failed: local */
	bool			 connected;	/* TCP connect completed */
};

/*
 * Whether the server was reached: a TCP connection was made (curl counts
 * it; getpeername() fails once the server's reset is in), or a byte of
 * its answer arrived.  Before that, curl failing is our fault.
 */
static bool
reached(const struct ending *x)
{
	long made = 0, header = 0;

	curl_easy_getinfo(x->easy, CURLINFO_NUM_CONNECTS, &made);
	curl_easy_getinfo(x->easy, CURLINFO_HEADER_SIZE, &header);
	return x->connected || made > 0 || header > 0;
}

/*
 * Too large for curl: 7.88 refuses a header line of 100 KiB or more
 * (CURLE_OUT_OF_MEMORY, with no error text) and a header block over
 * 300 KiB (CURLE_RECV_ERROR, or CURLE_TOO_LARGE from curl 8.6, with
 * this text).
 */
static bool
headers_too_large(const struct ending *x)
{
	return strncmp(x->errbuf, "Too large response headers", 26) == 0;
}

static void
too_large(const struct ending *x, struct probe_result *r)
{
	curl_off_t body = 0;

	curl_easy_getinfo(x->easy, CURLINFO_SIZE_DOWNLOAD_T, &body);
	r->reason = PROBE_BAD_RESPONSE;
	if (headers_too_large(x))
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
error_result(const struct ending *x, CURLcode rc, long oserr,
    struct probe_result *r)
{
	str_copy(r->detail, x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc),
	    sizeof(r->detail));
	switch (verdict_of(rc)) {
	case V_CONNECT:
		r->reason = x->sock_errno != 0 ? PROBE_LOCAL_ERROR :
		    probe_connect_reason((int)oserr);
		break;
	case V_TIMEOUT:
		/* curl's connect time stays 0 while TLS is unfinished */
		r->reason = x->connected ? PROBE_TIMEOUT :
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
		if (headers_too_large(x))
			too_large(x, r);
		else	/* a bad chunk, a TLS record that is not one */
			r->reason = oserr != 0 ? PROBE_RESET :
			    PROBE_BAD_RESPONSE;
		break;
	case V_BAD:
		r->reason = PROBE_BAD_RESPONSE;
		break;
	case V_BAD_REACHED:
		/* also a URL scheme refused before connecting (a canary) */
		r->reason = reached(x) ? PROBE_BAD_RESPONSE : PROBE_LOCAL_ERROR;
		break;
	case V_TOO_LARGE:
		/* a malloc failing before the connection is ours */
		if (reached(x))
			too_large(x, r);
		else
			r->reason = PROBE_LOCAL_ERROR;
		break;
	default:
		r->reason = PROBE_LOCAL_ERROR;
	}
	if (r->reason == PROBE_LOCAL_ERROR && x->sock_errno != 0)
		snprintf(r->detail, sizeof(r->detail), "cannot open a socket: "
		    "%s", strerror(x->sock_errno));
}

static void
body_detail(const struct http_probe *h, struct probe_result *r)
{
	const struct check_http *c = &h->t->req->check->http;

	if (h->seen >= c->body_limit)
		snprintf(r->detail, sizeof(r->detail), "\"%.60s\" not in the "
		    "first %llu bytes", c->expect_body,
		    (unsigned long long)c->body_limit);
	else
		snprintf(r->detail, sizeof(r->detail), "\"%.60s\" not in the "
		    "%llu-byte body", c->expect_body,
		    (unsigned long long)h->seen);
}

/*
 * The leaf certificate's notAfter from curl's certificate info, as the
 * OpenSSL backend writes it ("Expire date:Dec  3 10:00:00 2026 GMT");
 * 0 when it is not there.
 */
static int64_t
cert_expiry(CURL *easy)
{
	struct curl_certinfo *ci = NULL;
	struct curl_slist *l;
	struct tm tm;
	const char *v;
	char *end;

	if (curl_easy_getinfo(easy, CURLINFO_CERTINFO, &ci) != CURLE_OK ||
	    ci == NULL || ci->num_of_certs < 1)
		return 0;
	for (l = ci->certinfo[0]; l != NULL; l = l->next) {
		if (strncmp(l->data, "Expire date:", 12) != 0)
			continue;
		v = l->data + 12;
		memset(&tm, 0, sizeof(tm));
		end = strptime(v, "%b %e %H:%M:%S %Y GMT", &tm);
		if (end == NULL || *end != '\0')
			return 0;
		return (int64_t)timegm(&tm);
	}
	return 0;
}

/* cert_warn: the expiry of a certificate that was accepted. */
static void
cert_judge(const struct probe_task *t, CURL *easy, struct probe_result *r)
{
	const struct check_spec *c = t->req->check;
	time_t now = time(NULL);

	if (c->type != CHECK_HTTPS || c->http.cert_warn_ms == 0)
		return;
	if ((r->cert_expires = cert_expiry(easy)) == 0)
		return;
	r->cert_expiring = r->cert_expires - (int64_t)now <
	    (int64_t)(c->http.cert_warn_ms / 1000);
}

static void
http_judge(struct probe_task *t, void *easy, int curlcode,
    const char *errbuf, int sock_errno)
{
	const struct check_spec *c = t->req->check;
	const struct http_probe *h = t->priv;
	struct probe_result *r = t->res;
	struct ending x = { easy, h, errbuf, sock_errno,
	    probe_task_connected(t) };
	curl_off_t total = 0, connect = 0;
	long code = 0, oserr = 0;
	CURLcode rc = (CURLcode)curlcode;

	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo(easy, CURLINFO_OS_ERRNO, &oserr);
	curl_easy_getinfo(easy, CURLINFO_TOTAL_TIME_T, &total);
	curl_easy_getinfo(easy, CURLINFO_CONNECT_TIME_T, &connect);
	r->http_status = (int)code;
	r->total_ms = (uint32_t)(total / 1000);
	r->connect_ms = (uint32_t)(connect / 1000);
	if (rc == CURLE_WRITE_ERROR && h->stopped)
		rc = CURLE_OK;
	if (rc != CURLE_OK)
		error_result(&x, rc, oserr, r);
	else if (!probe_status_expected(c, code)) {
		r->reason = PROBE_HTTP_STATUS;
		snprintf(r->detail, sizeof(r->detail), "HTTP %ld", code);
	} else if (c->http.expect_body != NULL && !h->scan.found) {
		r->reason = PROBE_BODY_MISSING;
		body_detail(h, r);
	} else
		r->reason = PROBE_OK;
	/* a certificate that failed is a CERT_ERROR; one that passed
	 * (or was not verified) may still expire soon */
	if (rc == CURLE_OK || reached(&x))
		cert_judge(t, easy, r);
}

static void
http_describe(const struct probe_req *req, char *buf, size_t size)
{
	const struct check_spec *c = req->check;

	if (req->url != NULL)
		snprintf(buf, size, "%s %s", http_method_str(c->http.method),
		    req->url);
	else
		snprintf(buf, size, "%s %s://%s:%u%s", http_method_str(
		    c->http.method), c->type == CHECK_HTTPS ? "https" : "http",
		    req->host, c->port, c->http.path);
}

const struct probe_ops probe_http_ops = {
	.curl = true,
	.setup = http_setup,
	.judge = http_judge,
	.describe = http_describe,
	.clear = http_clear,
};
