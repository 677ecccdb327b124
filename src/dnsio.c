/*
 * dnsio.c: sockets for DNS.  Non-blocking sockets and poll(2), so that
 * every wait ends at the caller's deadline.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dnsio.h"
#include "util.h"

#define UDP_MAX		65535
#define RESEND_MS	250	/* UDP: ask once more after this long */

static int
left_ms(uint64_t deadline)
{
	uint64_t now = mono_ms();

	return now >= deadline ? 0 : (int)(deadline - now);
}


static enum dnsio_status
errno_status(int e)
{
	switch (e) {
	case ECONNREFUSED:
	case ECONNRESET:
	case EHOSTUNREACH:
	case ENETUNREACH:
	case EPIPE:
		return DNSIO_UNREACHABLE;
	case ETIMEDOUT:
		return DNSIO_TIMEOUT;
	default:
		return DNSIO_LOCAL;
	}
}

/* Waits for events on fd; DNSIO_OK when ready. */
static enum dnsio_status
wait_fd(int fd, short events, uint64_t deadline)
{
	struct pollfd p = { fd, events, 0 };
	int n;

	for (;;) {
		n = poll(&p, 1, left_ms(deadline));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return DNSIO_LOCAL;
		return n == 0 ? DNSIO_TIMEOUT : DNSIO_OK;
	}
}

/*
 * Binds fd to s's source (port 0), if it has one: the server may trust
 * only that address.  A failure is this host's (the address went away).
 */
static int
bind_source(int fd, const struct dns_server *s, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (s->source == NULL)
		return 0;
	len = addr_sockaddr(s->source, 0, &ss);
	if (bind(fd, (struct sockaddr *)&ss, len) == 0)
		return 0;
	snprintf(err, errlen, "cannot bind to source %s: %s", s->source->text,
	    strerror(errno));
	return -1;
}

/*
 * A non-blocking socket connected to s; -1 with *st set on failure (and
 * err, when the source could not be bound).
 */
static int
open_connected(const struct dns_server *s, int type, uint64_t deadline,
    enum dnsio_status *st, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t len = addr_sockaddr(&s->addr, s->port, &ss);
	socklen_t elen = sizeof(int);
	int fd, e = 0;

	err[0] = '\0';
	fd = socket(ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		*st = DNSIO_LOCAL;
		return -1;
	}
	if (bind_source(fd, s, err, errlen) == -1) {
		*st = DNSIO_LOCAL;
		close(fd);
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&ss, len) == 0)
		return fd;
	if (errno != EINPROGRESS) {
		*st = errno_status(errno);
		close(fd);
		return -1;
	}
	if ((*st = wait_fd(fd, POLLOUT, deadline)) != DNSIO_OK ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) == -1 || e != 0) {
		if (*st == DNSIO_OK)
			*st = errno_status(e);
		close(fd);
		return -1;
	}
	return fd;
}

static enum dnsio_status
write_all(int fd, const uint8_t *p, size_t n, uint64_t deadline)
{
	enum dnsio_status st;
	ssize_t w;

	while (n > 0) {
		w = send(fd, p, n, MSG_NOSIGNAL);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w == -1 && errno != EAGAIN && errno != EINTR)
			return errno_status(errno);
		if ((st = wait_fd(fd, POLLOUT, deadline)) != DNSIO_OK)
			return st;
	}
	return DNSIO_OK;
}

static enum dnsio_status
read_all(int fd, uint8_t *p, size_t n, uint64_t deadline)
{
	enum dnsio_status st;
	ssize_t r;

	while (n > 0) {
		r = recv(fd, p, n, 0);
		if (r > 0) {
			p += r;
			n -= (size_t)r;
			continue;
		}
		if (r == 0)
			return DNSIO_UNREACHABLE;	/* closed early */
		if (errno != EAGAIN && errno != EINTR)
			return errno_status(errno);
		if ((st = wait_fd(fd, POLLIN, deadline)) != DNSIO_OK)
			return st;
	}
	return DNSIO_OK;
}

/*
 * One length-prefixed message each way.  The connection carries only
 * this message, so a reply with another ID is no late or stray answer
 * to skip: the server (or whatever holds the connection) is broken, and
 * err says so rather than waiting for the deadline.
 */
static enum dnsio_status
tcp_exchange(int fd, const uint8_t *msg, size_t len, uint64_t deadline,
    uint8_t **reply, size_t *rlen, char *err, size_t errlen)
{
	uint8_t hdr[2] = { (uint8_t)(len >> 8), (uint8_t)len }, *buf;
	enum dnsio_status st;
	size_t n;

	if ((st = write_all(fd, hdr, 2, deadline)) != DNSIO_OK ||
	    (st = write_all(fd, msg, len, deadline)) != DNSIO_OK ||
	    (st = read_all(fd, hdr, 2, deadline)) != DNSIO_OK)
		return st;
	n = (size_t)hdr[0] << 8 | hdr[1];
	buf = xmalloc(n ? n : 1);
	if ((st = read_all(fd, buf, n, deadline)) != DNSIO_OK) {
		free(buf);
		return st;
	}
	if (n >= 2 && buf[0] == msg[0] && buf[1] == msg[1]) {
		*reply = buf;
		*rlen = n;
		return DNSIO_OK;
	}
	if (n < 2)
		snprintf(err, errlen, "reply too short (%zu bytes) over TCP",
		    n);
	else
		snprintf(err, errlen, "reply with wrong message id %u "
		    "(sent %u) over TCP", (unsigned)(buf[0] << 8 | buf[1]),
		    (unsigned)(msg[0] << 8 | msg[1]));
	free(buf);
	return DNSIO_BADREPLY;
}

/* Reads datagrams until one carries id; DNSIO_TIMEOUT at deadline. */
static enum dnsio_status
udp_wait(int fd, const uint8_t *id, uint64_t deadline, uint8_t **reply,
    size_t *rlen)
{
	uint8_t *buf = xmalloc(UDP_MAX);
	enum dnsio_status st;
	ssize_t r;

	for (;;) {
		r = recv(fd, buf, UDP_MAX, 0);
		if (r >= 2 && buf[0] == id[0] && buf[1] == id[1]) {
			*reply = xreallocarray(buf, (size_t)r, 1);
			*rlen = (size_t)r;
			return DNSIO_OK;
		}
		if (r == -1 && errno != EAGAIN && errno != EINTR) {
			free(buf);
			return errno_status(errno);
		}
		if (r == -1 && (st = wait_fd(fd, POLLIN, deadline)) !=
		    DNSIO_OK) {
			free(buf);
			return st;
		}
	}
}

static const char *
status_str(enum dnsio_status st)
{
	switch (st) {
	case DNSIO_TIMEOUT:
		return "no answer in time";
	case DNSIO_UNREACHABLE:
		return "unreachable";
	case DNSIO_BADREPLY:
		return "reply to another message";
	case DNSIO_LOCAL:
		return "local error";
	default:
		return "ok";
	}
}

enum dnsio_status
dnsio_exchange(const struct dns_server *s, int udp, const uint8_t *msg,
    size_t len, uint64_t deadline, uint8_t **reply, size_t *rlen, char *err,
    size_t errlen)
{
	enum dnsio_status st;
	uint64_t resend;
	int fd;

	if (len > 65535) {
		snprintf(err, errlen, "message of %zu bytes is too large", len);
		return DNSIO_LOCAL;
	}
	if ((fd = open_connected(s, udp ? SOCK_DGRAM : SOCK_STREAM, deadline,
	    &st, err, errlen)) == -1) {
		if (err[0] == '\0')
			snprintf(err, errlen, "%s over %s (connect)",
			    status_str(st), udp ? "UDP" : "TCP");
		return st;
	}
	if (!udp)
		st = tcp_exchange(fd, msg, len, deadline, reply, rlen, err,
		    errlen);
	else if ((st = write_all(fd, msg, len, deadline)) == DNSIO_OK) {
		resend = mono_ms() + RESEND_MS;
		st = udp_wait(fd, msg, resend < deadline ? resend : deadline,
		    reply, rlen);
		if (st == DNSIO_TIMEOUT && resend < deadline &&
		    (st = write_all(fd, msg, len, deadline)) == DNSIO_OK)
			st = udp_wait(fd, msg, deadline, reply, rlen);
	}
	if (st != DNSIO_OK && st != DNSIO_BADREPLY)	/* that one said why */
		snprintf(err, errlen, "%s over %s", status_str(st),
		    udp ? "UDP" : "TCP");
	close(fd);
	return st;
}

/* ---- many queries at once ---- */

#define UDP_TRIES	3

struct pending {
	uint64_t	sent;		/* last send; 0: not sent yet */
	int		tries;
	int		done;		/* answered or given up */
};

struct many {
	int		 fd;
	uint8_t *const	*msgs;
	const size_t	*lens;
	size_t		 n, next, lo, inflight, done;
	struct pending	*pd;
	int		*byid;		/* message ID -> index, or -1 */
	uint8_t		**replies;
	size_t		*rlens;
};

static void
many_send(struct many *m, size_t i)
{
	if (send(m->fd, m->msgs[i], m->lens[i], 0) == (ssize_t)m->lens[i] ||
	    m->pd[i].tries == 0) {
		m->pd[i].sent = mono_ms();
		m->pd[i].tries++;
	}
}

static void
many_finish(struct many *m, size_t i)
{
	m->pd[i].done = 1;
	m->inflight--;
	m->done++;
}

#define BATCH		64	/* datagrams per recvmmsg/sendmmsg call */
#define SMALL		4096	/* larger answers are asked again over TCP */

/* Reads every datagram waiting, BATCH per call; files each under its
 * query.  buf holds BATCH * SMALL bytes. */
static void
many_drain(struct many *m, uint8_t *buf)
{
	struct mmsghdr mh[BATCH];
	struct iovec iov[BATCH];
	uint8_t *d;
	int k, j, i;

	for (;;) {
		memset(mh, 0, sizeof(mh));
		for (j = 0; j < BATCH; j++) {
			iov[j].iov_base = buf + (size_t)j * SMALL;
			iov[j].iov_len = SMALL;
			mh[j].msg_hdr.msg_iov = &iov[j];
			mh[j].msg_hdr.msg_iovlen = 1;
		}
		k = recvmmsg(m->fd, mh, BATCH, MSG_DONTWAIT, NULL);
		if (k == -1 && errno == EINTR)
			continue;
		if (k <= 0)
			return;
		for (j = 0; j < k; j++) {
			d = buf + (size_t)j * SMALL;
			if (mh[j].msg_len < 12 ||
			    (mh[j].msg_hdr.msg_flags & MSG_TRUNC) ||
			    (i = m->byid[d[0] << 8 | d[1]]) < 0 ||
			    m->pd[i].done || m->pd[i].tries == 0)
				continue;	/* not ours, or not asked yet */
			m->replies[i] = xmalloc(mh[j].msg_len);
			memcpy(m->replies[i], d, mh[j].msg_len);
			m->rlens[i] = mh[j].msg_len;
			many_finish(m, (size_t)i);
		}
	}
}

/* Sends queries [from, to) in batches, as the first try of each. */
static void
many_send_new(struct many *m, size_t from, size_t to)
{
	struct mmsghdr mh[BATCH];
	struct iovec iov[BATCH];
	uint64_t now = mono_ms();
	size_t i, k;
	int sent;

	while (from < to) {
		k = to - from < BATCH ? to - from : BATCH;
		memset(mh, 0, sizeof(mh));
		for (i = 0; i < k; i++) {
			iov[i].iov_base = m->msgs[from + i];
			iov[i].iov_len = m->lens[from + i];
			mh[i].msg_hdr.msg_iov = &iov[i];
			mh[i].msg_hdr.msg_iovlen = 1;
		}
		sent = sendmmsg(m->fd, mh, (unsigned)k, 0);
		/* unsent ones count as sent and lost: resent later */
		for (i = 0; i < k; i++) {
			m->pd[from + i].sent = now;
			m->pd[from + i].tries = 1;
		}
		(void)sent;
		from += k;
	}
}

/* Resends queries whose answer is late; gives up after UDP_TRIES. */
static void
many_retry(struct many *m, uint64_t now)
{
	size_t i;

	while (m->lo < m->next && m->pd[m->lo].done)
		m->lo++;
	for (i = m->lo; i < m->next; i++) {
		if (m->pd[i].done || now - m->pd[i].sent < RESEND_MS)
			continue;
		if (m->pd[i].tries < UDP_TRIES)
			many_send(m, i);
		else
			many_finish(m, i);	/* over TCP later */
	}
}

static void
udp_many(int fd, uint8_t *const *msgs, const size_t *lens, size_t n,
    size_t window, uint64_t deadline, uint8_t **replies, size_t *rlens)
{
	struct many m = { fd, msgs, lens, n, 0, 0, 0, 0, NULL, NULL, replies,
	    rlens };
	uint8_t *buf = xmalloc((size_t)BATCH * SMALL);
	size_t first;
	uint64_t now, scan = 0;
	size_t i;

	m.pd = xcalloc(n ? n : 1, sizeof(*m.pd));
	m.byid = xmalloc(65536 * sizeof(int));
	memset(m.byid, -1, 65536 * sizeof(int));
	for (i = 0; i < n; i++)
		m.byid[msgs[i][0] << 8 | msgs[i][1]] = (int)i;
	while (m.done < n && (now = mono_ms()) < deadline) {
		first = m.next;
		while (m.inflight < window && m.next < n) {
			m.next++;
			m.inflight++;
		}
		many_send_new(&m, first, m.next);
		if (wait_fd(fd, POLLIN, now + 20 < deadline ? now + 20 :
		    deadline) == DNSIO_OK)
			many_drain(&m, buf);
		if ((now = mono_ms()) - scan >= 20) {
			many_retry(&m, now);
			scan = now;
		}
	}
	free(m.pd);
	free(m.byid);
	free(buf);
}

size_t
dnsio_query_many(const struct dns_server *s, uint8_t *const *msgs,
    const size_t *lens, size_t n, size_t window, uint64_t deadline,
    uint8_t **replies, size_t *rlens)
{
	enum dnsio_status st;
	char err[128];
	size_t i, got = 0;
	int fd;

	memset(replies, 0, n * sizeof(*replies));
	if ((fd = open_connected(s, SOCK_DGRAM, deadline, &st, err,
	    sizeof(err))) != -1) {
		udp_many(fd, msgs, lens, n, window, deadline, replies, rlens);
		close(fd);
	}
	for (i = 0; i < n; i++) {
		/* missing or truncated: over TCP, one by one */
		if (replies[i] != NULL && !(replies[i][2] & 0x02)) {
			got++;
			continue;
		}
		free(replies[i]);
		replies[i] = NULL;
		if (dnsio_exchange(s, 0, msgs[i], lens[i], deadline,
		    &replies[i], &rlens[i], err, sizeof(err)) == DNSIO_OK)
			got++;
	}
	return got;
}
