/*
 * probe_tcp.c: the tcp check type, on its own non-blocking socket.
 *
 *	connect: to the configured address and port; a refusal, a reset
 *		 or an unreachable host count against the server, a socket
 *		 this host cannot open or route is a local error;
 *	send:	 the check's send bytes, if any;
 *	read:	 until expect is found in what arrived (across reads),
 *		 read_limit bytes, the end of the stream or the deadline.
 *
 * Without send or expect, a completed connect is the answer.  Closed
 * with a reset, as the web types are (see probe.c).
 */
#include <sys/socket.h>

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe.h"
#include "probe_type.h"
#include "util.h"

enum tcp_phase {
	TCP_CONNECT,
	TCP_SEND,
	TCP_READ
};

struct tcp_probe {
	int			fd;
	enum tcp_phase		phase;
	size_t			sent;
	size_t			nread;
	struct probe_scan	scan;	/* for expect */
};

static struct tcp_probe *
tcp_of(const struct probe_task *t)
{
	return t->priv;
}

static void
tcp_end(struct probe_task *t, enum probe_reason reason, const char *detail)
{
	struct probe_result *r = t->res;

	r->reason = reason;
	r->total_ms = (uint32_t)(mono_ms() - t->start_ms);
	if (detail != NULL)
		str_copy(r->detail, detail, sizeof(r->detail));
}

/* A failed connect, send or read: its errno decides. */
static int
tcp_fail(struct probe_task *t, const char *what, int err)
{
	char d[sizeof(t->res->detail)];
	enum probe_reason reason = probe_connect_reason(err);

	if (reason == PROBE_CONNECT_TIMEOUT && tcp_of(t)->phase != TCP_CONNECT)
		reason = PROBE_TIMEOUT;
	snprintf(d, sizeof(d), "%s: %s", what, strerror(err));
	if (err == EPIPE)
		reason = PROBE_RESET;
	tcp_end(t, reason, d);
	return 1;
}

/* The next phase after phase (connect, send, read), or the end. */
static int
tcp_next(struct probe_task *t)
{
	const struct check_tcp *c = &t->req->check->tcp;
	struct tcp_probe *p = tcp_of(t);

	if (p->phase == TCP_CONNECT) {
		t->res->connect_ms = (uint32_t)(mono_ms() - t->start_ms);
		p->phase = TCP_SEND;
	}
	if (p->phase == TCP_SEND && (c->send == NULL || p->sent == c->nsend))
		p->phase = TCP_READ;
	if (p->phase == TCP_READ && c->expect == NULL) {
		tcp_end(t, PROBE_OK, NULL);
		return 1;
	}
	return 0;
}

static int
tcp_start(struct probe_task *t)
{
	const struct probe_req *req = t->req;
	struct linger lg = { 1, 0 };
	struct sockaddr_storage ss;
	struct tcp_probe *p = xcalloc(1, sizeof(*p));
	char d[sizeof(t->res->detail)];
	socklen_t len;

	p->fd = -1;
	t->priv = p;
	if (req->check->tcp.expect != NULL)
		probe_scan_init(&p->scan, req->check->tcp.expect);
	len = addr_sockaddr(req->addr, req->check->port, &ss);
	p->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (p->fd == -1) {
		snprintf(d, sizeof(d), "cannot open a socket: %s",
		    strerror(errno));
		probe_result_local(t->res, d);
		return 1;
	}
	setsockopt(p->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	if (probe_bind_source(t, p->fd, ss.ss_family) == -1)
		return 1;	/* clear() closes the socket */
	if (connect(p->fd, (struct sockaddr *)&ss, len) == 0)
		return tcp_next(t);
	if (errno != EINPROGRESS)
		return tcp_fail(t, "connect", errno);
	return 0;
}

static int
tcp_fds(const struct probe_task *t, struct probe_fd *out)
{
	const struct tcp_probe *p = tcp_of(t);

	out[0].fd = p->fd;
	out[0].events = p->phase == TCP_READ ? POLLIN : POLLOUT;
	out[0].revents = 0;
	return 1;
}

static int
tcp_connected(struct probe_task *t)
{
	socklen_t len = sizeof(int);
	int err = 0;

	if (getsockopt(tcp_of(t)->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		err = errno;
	if (err != 0)
		return tcp_fail(t, "connect", err);
	return tcp_next(t);
}

static int
tcp_send(struct probe_task *t)
{
	const struct check_tcp *c = &t->req->check->tcp;
	struct tcp_probe *p = tcp_of(t);
	ssize_t n;

	n = send(p->fd, c->send + p->sent, c->nsend - p->sent, MSG_NOSIGNAL);
	if (n == -1)
		return errno == EAGAIN || errno == EINTR ? 0 :
		    tcp_fail(t, "send", errno);
	p->sent += (size_t)n;
	return tcp_next(t);
}

/* What was read, when it did not hold the text. */
static int
tcp_missing(struct probe_task *t, const char *how)
{
	char d[sizeof(t->res->detail)], e[80];

	snprintf(d, sizeof(d), "\"%s\" not in the %zu bytes read%s",
	    str_escape(e, t->req->check->tcp.expect, sizeof(e)),
	    tcp_of(t)->nread, how);
	tcp_end(t, PROBE_EXPECT_MISSING, d);
	return 1;
}

static int
tcp_read(struct probe_task *t)
{
	const struct check_tcp *c = &t->req->check->tcp;
	struct tcp_probe *p = tcp_of(t);
	char buf[4096];
	size_t use;
	ssize_t n;

	n = recv(p->fd, buf, sizeof(buf), 0);
	if (n == -1)
		return errno == EAGAIN || errno == EINTR ? 0 :
		    tcp_fail(t, "read", errno);
	if (n == 0) {
		if (p->nread == 0) {
			tcp_end(t, PROBE_RESET, "closed without a byte");
			return 1;
		}
		return tcp_missing(t, " before the close");
	}
	use = c->read_limit - p->nread < (size_t)n ? c->read_limit -
	    p->nread : (size_t)n;
	p->nread += use;
	if (probe_scan_feed(&p->scan, buf, use)) {
		tcp_end(t, PROBE_OK, NULL);
		return 1;
	}
	if (p->nread >= c->read_limit)
		return tcp_missing(t, " (the limit)");
	return 0;
}

/* Out of time: silent (nothing read) is a timeout; else not there. */
static int
tcp_late(struct probe_task *t)
{
	struct tcp_probe *p = tcp_of(t);
	char d[sizeof(t->res->detail)];
	uint64_t ms = t->req->check->timeout_ms;

	if (p->phase == TCP_READ && p->nread > 0)
		return tcp_missing(t, ", then nothing more");
	if (p->phase == TCP_CONNECT)
		snprintf(d, sizeof(d), "connect timed out after %llu ms",
		    (unsigned long long)ms);
	else if (p->phase == TCP_SEND)
		snprintf(d, sizeof(d), "send not taken in %llu ms",
		    (unsigned long long)ms);
	else
		snprintf(d, sizeof(d), "no answer in %llu ms",
		    (unsigned long long)ms);
	tcp_end(t, p->phase == TCP_CONNECT ? PROBE_CONNECT_TIMEOUT :
	    PROBE_TIMEOUT, d);
	return 1;
}

static int
tcp_advance(struct probe_task *t, uint64_t now_ms, bool timed_out)
{
	struct tcp_probe *p = tcp_of(t);
	int over;

	(void)now_ms;
	if (timed_out)
		return tcp_late(t);
	switch (p->phase) {
	case TCP_CONNECT:
		over = tcp_connected(t);
		break;
	case TCP_SEND:
		over = tcp_send(t);
		break;
	default:
		over = tcp_read(t);
	}
	return over;
}

/* ", send \"QUIT\\r\\n\"" for text, escaped; "" for none. */
static const char *
tcp_text(char *buf, size_t size, const char *what, const char *text)
{
	char e[128];

	if (text == NULL)
		return "";
	snprintf(buf, size, ", %s \"%s\"", what, str_escape(e, text,
	    sizeof(e)));
	return buf;
}

static void
tcp_describe(const struct probe_req *req, char *buf, size_t size)
{
	const struct check_tcp *c = &req->check->tcp;
	char s[160], e[160];

	snprintf(buf, size, "connect to port %u%s%s", req->check->port,
	    tcp_text(s, sizeof(s), "send", c->send),
	    tcp_text(e, sizeof(e), "expect", c->expect));
}

static void
tcp_clear(struct probe_task *t)
{
	struct tcp_probe *p = tcp_of(t);

	if (p == NULL)
		return;
	if (p->fd != -1)
		close(p->fd);
	probe_scan_free(&p->scan);
	free(p);
	t->priv = NULL;
}

const struct probe_ops probe_tcp_ops = {
	.curl = false,
	.start = tcp_start,
	.fds = tcp_fds,
	.advance = tcp_advance,
	.describe = tcp_describe,
	.clear = tcp_clear,
};
