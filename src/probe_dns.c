/*
 * probe_dns.c: the dns check type.  Asks the probed address itself one
 * question (check.query) and judges the reply.
 *
 *	build:  ldns makes the query: one question, class IN, a random ID,
 *		RD off (an authoritative answer is wanted), no EDNS;
 *	send:   over a connected non-blocking UDP socket, or over TCP
 *		(two-byte length first) when query.tcp says so, or when
 *		the UDP reply is truncated (TC): then the same question is
 *		asked again over TCP within the same deadline;
 *	judge:  the reply must carry our ID (over UDP a datagram with
 *		another ID is ignored: it may be stale or forged), be a
 *		reply to our question, have rcode NOERROR and hold in its
 *		answer section an RR of the asked type, one of whose
 *		rdata equals query.expect when that is set (see
 *		rdata_matches).  NOERROR without such an RR (NODATA) is
 *		down: the server no longer serves what the check asks for.
 *
 * Faults of this host (no descriptor, no route when connecting or
 * sending) are local errors; ICMP refusals and resets count against the
 * server.  Never blocks, never logs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "probe_type.h"
#include "util.h"

#define DNS_MSGMAX	65535	/* the largest DNS message */
#define UDP_BURST	32	/* datagrams read per wake-up, at most */

struct dns_probe {
	int		 fd;
	bool		 tcp;
	bool		 connecting;	/* tcp: connect() in progress */
	bool		 sending;	/* the query is not all written yet */
	uint16_t	 id;
	uint8_t		*query;		/* 2-byte length, then the message */
	size_t		 qlen;		/* the message alone */
	size_t		 sent;		/* tcp: bytes of query[] written */
	size_t		 got;		/* tcp: bytes of buf[] read */
	uint64_t	 connect_start;
	uint8_t		 buf[2 + DNS_MSGMAX];
};

enum reply {
	REPLY_IGNORE = 0,	/* not ours: keep waiting */
	REPLY_DONE = 1,		/* t->res filled (what done() returns) */
	REPLY_TRUNCATED = 2	/* ours, with TC: ask again over TCP */
};

/* ---- results ---- */

static int
done(struct probe_task *t, enum probe_reason why, const char *detail)
{
	t->res->reason = why;
	str_escape(t->res->detail, detail, sizeof(t->res->detail));
	t->res->total_ms = (uint32_t)(mono_ms() - t->start_ms);
	return 1;
}

static int
done_local(struct probe_task *t, const char *what, int err)
{
	char buf[128];

	snprintf(buf, sizeof(buf), "%s: %s", what, strerror(err));
	probe_result_local(t->res, buf);
	t->res->total_ms = (uint32_t)(mono_ms() - t->start_ms);
	return 1;
}

/*
 * An error the socket reported after the packet left (ICMP, a reset)
 * counts against the server; anything else is this host's.
 */
static int
done_errno(struct probe_task *t, const char *what, int err)
{
	switch (err) {
	case ECONNREFUSED:
		return done(t, PROBE_CONNECT_REFUSED, strerror(err));
	case EHOSTUNREACH:
	case EHOSTDOWN:
		return done(t, PROBE_UNREACHABLE, strerror(err));
	case ECONNRESET:
	case EPIPE:
		return done(t, PROBE_RESET, strerror(err));
	case ETIMEDOUT:
		return done(t, PROBE_CONNECT_TIMEOUT, strerror(err));
	default:
		return done_local(t, what, err);
	}
}

/* ---- build and connect ---- */

static int
query_build(struct dns_probe *d, const struct check_dns *c)
{
	ldns_rdf *name = ldns_dname_new_frm_str(c->name);
	ldns_pkt *q;
	uint8_t *wire = NULL;
	size_t len = 0;

	if (name == NULL)
		return -1;
	if ((q = ldns_pkt_query_new(name, (ldns_rr_type)c->qtype,
	    LDNS_RR_CLASS_IN, 0)) == NULL) {
		ldns_rdf_deep_free(name);
		return -1;
	}
	name = NULL;	/* no longer ours */
	ldns_pkt_set_rd(q, false);
	ldns_pkt_set_random_id(q);
	d->id = ldns_pkt_id(q);
	if (ldns_pkt2wire(&wire, q, &len) != LDNS_STATUS_OK ||
	    len > DNS_MSGMAX) {
		free(wire);
		ldns_pkt_free(q);
		return -1;
	}
	ldns_pkt_free(q);
	d->query = xmalloc(len + 2);
	d->query[0] = (uint8_t)(len >> 8);
	d->query[1] = (uint8_t)len;
	memcpy(d->query + 2, wire, len);
	d->qlen = len;
	free(wire);
	return 0;
}


/*
 * Opens and connects d->fd over UDP or TCP; returns 1 when the probe
 * is already over (a local fault, a refusal at once), 0 to wait.
 */
static int
sock_open(struct probe_task *t, struct dns_probe *d, bool tcp)
{
	struct sockaddr_storage ss;
	socklen_t len = addr_sockaddr(t->req->addr, t->req->check->port, &ss);

	d->tcp = tcp;
	d->sent = d->got = 0;
	d->sending = true;
	d->connecting = false;
	d->fd = socket(ss.ss_family, (tcp ? SOCK_STREAM : SOCK_DGRAM) |
	    SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (d->fd == -1)
		return done_local(t, "socket", errno);
	if (probe_bind_source(t, d->fd, ss.ss_family) == -1)
		return 1;
	d->connect_start = mono_ms();
	if (connect(d->fd, (struct sockaddr *)&ss, len) == 0) {
		if (tcp)
			t->res->connect_ms = (uint32_t)(mono_ms() -
			    d->connect_start);
		return 0;
	}
	if (tcp && errno == EINPROGRESS) {
		d->connecting = true;
		return 0;
	}
	if (errno == ECONNREFUSED)
		return done(t, PROBE_CONNECT_REFUSED, strerror(errno));
	return done_local(t, "connect", errno);	/* no route from here */
}

/* ---- judge ---- */

/* The rdata of rr in presentation form, rdfs separated by one space. */
static void
rdata_text(const ldns_rr *rr, char *buf, size_t size)
{
	size_t i, len = 0;
	char *s;

	buf[0] = '\0';
	for (i = 0; i < ldns_rr_rd_count(rr) && len + 1 < size; i++) {
		if ((s = ldns_rdf2str(ldns_rr_rdf(rr, i))) == NULL)
			continue;
		len += (size_t)snprintf(buf + len, size - len, "%s%s",
		    i > 0 ? " " : "", s);
		free(s);
		if (len >= size)
			len = size - 1;
	}
}

/* Whether a and b are equal ignoring ASCII case and one final dot. */
static bool
name_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la > 0 && a[la - 1] == '.')
		la--;
	if (lb > 0 && b[lb - 1] == '.')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

/*
 * Whether rr (whose presentation form is text) answers expect.  A and
 * AAAA compare as addresses (so "2001:DB8::1" matches 2001:db8::1); TXT
 * exactly, as dig shows it, with or without the quotes of a single
 * string; every other type (names, MX, SRV, ...) ignoring ASCII case
 * and a final dot.
 */
static bool
rdata_matches(const ldns_rr *rr, const char *text, const char *expect)
{
	const ldns_rdf *f = ldns_rr_rdf(rr, 0);
	uint8_t bin[16];
	size_t len;

	switch (ldns_rr_get_type(rr)) {
	case LDNS_RR_TYPE_A:
	case LDNS_RR_TYPE_AAAA:
		len = ldns_rr_get_type(rr) == LDNS_RR_TYPE_A ? 4 : 16;
		return f != NULL && ldns_rdf_size(f) == len &&
		    inet_pton(len == 4 ? AF_INET : AF_INET6, expect, bin) == 1 &&
		    memcmp(ldns_rdf_data(f), bin, len) == 0;
	case LDNS_RR_TYPE_TXT:
		len = strlen(text);
		if (strcmp(text, expect) == 0)
			return true;
		return ldns_rr_rd_count(rr) == 1 && len >= 2 &&
		    text[0] == '"' && text[len - 1] == '"' &&
		    strlen(expect) == len - 2 &&
		    strncmp(text + 1, expect, len - 2) == 0;
	default:
		return name_equal(text, expect);
	}
}

/* The answer section of p against c; fills t->res. */
static int
judge_answers(struct probe_task *t, const ldns_pkt *p, const char *tname)
{
	const struct check_dns *c = &t->req->check->dns;
	const ldns_rr_list *an = ldns_pkt_answer(p);
	char found[512] = "", text[256], msg[600];
	size_t i, n = 0, len = 0;

	for (i = 0; i < ldns_rr_list_rr_count(an); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(an, i);

		if (ldns_rr_get_type(rr) != c->qtype ||
		    ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN)
			continue;
		n++;
		rdata_text(rr, text, sizeof(text));
		if (c->expect == NULL || rdata_matches(rr, text, c->expect))
			return done(t, PROBE_OK, "");
		if (len < sizeof(found))
			len += (size_t)snprintf(found + len, sizeof(found) - len,
			    "%s%s", n > 1 ? ", " : "", text);
	}
	if (n == 0)
		snprintf(msg, sizeof(msg), "no %s record in the answer", tname);
	else
		snprintf(msg, sizeof(msg), "found %s", found);
	return done(t, PROBE_EXPECT_MISSING, msg);
}

/* Whether the single question of p is the one c asked. */
static bool
question_ours(const ldns_pkt *p, const struct check_dns *c)
{
	const ldns_rr *q;
	ldns_rdf *name;
	bool same;

	if (ldns_pkt_qdcount(p) != 1 ||
	    (q = ldns_rr_list_rr(ldns_pkt_question(p), 0)) == NULL)
		return false;
	if (ldns_rr_get_type(q) != c->qtype ||
	    ldns_rr_get_class(q) != LDNS_RR_CLASS_IN ||
	    (name = ldns_dname_new_frm_str(c->name)) == NULL)
		return false;
	same = ldns_dname_compare(ldns_rr_owner(q), name) == 0;
	ldns_rdf_deep_free(name);
	return same;
}

static enum reply
judge_pkt(struct probe_task *t, struct dns_probe *d, const ldns_pkt *p)
{
	const struct check_dns *c = &t->req->check->dns;
	ldns_pkt_rcode rc = ldns_pkt_get_rcode(p);
	const ldns_lookup_table *lt;
	char tname[32], msg[64];
	char *s;

	if (!ldns_pkt_qr(p) || ldns_pkt_get_opcode(p) != LDNS_PACKET_QUERY)
		return done(t, PROBE_BAD_RESPONSE, "not a reply to a query");
	/* a refusal may come without the question */
	if (!(rc != LDNS_RCODE_NOERROR && ldns_pkt_qdcount(p) == 0) &&
	    !question_ours(p, c))
		return done(t, PROBE_BAD_RESPONSE,
		    "a reply to another question");
	if (ldns_pkt_tc(p) && !d->tcp)
		return REPLY_TRUNCATED;
	if (rc != LDNS_RCODE_NOERROR) {
		if ((lt = ldns_lookup_by_id(ldns_rcodes, rc)) != NULL)
			str_copy(msg, lt->name, sizeof(msg));
		else
			snprintf(msg, sizeof(msg), "rcode %d", (int)rc);
		return done(t, PROBE_DNS_RCODE, msg);
	}
	s = ldns_rr_type2str((ldns_rr_type)c->qtype);
	str_copy(tname, s != NULL ? s : "?", sizeof(tname));
	free(s);
	return judge_answers(t, p, tname);
}

/* One message from the server (wire, len bytes). */
static enum reply
judge_reply(struct probe_task *t, struct dns_probe *d, const uint8_t *wire,
    size_t len)
{
	ldns_pkt *p = NULL;
	ldns_status st;
	enum reply r;
	char msg[96];

	if (len < 2 || ((uint16_t)(wire[0] << 8 | wire[1])) != d->id)
		return REPLY_IGNORE;
	if ((st = ldns_wire2pkt(&p, wire, len)) != LDNS_STATUS_OK) {
		snprintf(msg, sizeof(msg), "malformed reply (%s)",
		    ldns_get_errorstr_by_id(st));
		return done(t, PROBE_BAD_RESPONSE, msg);
	}
	r = judge_pkt(t, d, p);
	ldns_pkt_free(p);
	return r;
}

/* ---- run ---- */

static int	tcp_advance(struct probe_task *, struct dns_probe *, short);

/* The UDP reply was truncated: the same query over TCP. */
static int
tcp_again(struct probe_task *t, struct dns_probe *d)
{
	close(d->fd);
	d->fd = -1;
	if (sock_open(t, d, true))
		return 1;
	return d->connecting ? 0 : tcp_advance(t, d, POLLOUT);
}

static int
udp_advance(struct probe_task *t, struct dns_probe *d, short revents)
{
	ssize_t n;
	int i;

	if (d->sending && (revents & (POLLOUT | POLLERR))) {
		if (send(d->fd, d->query + 2, d->qlen, 0) == -1)
			return errno == EAGAIN ? 0 : done_errno(t, "send", errno);
		d->sending = false;
		return 0;
	}
	if (d->sending || !(revents & (POLLIN | POLLERR)))
		return 0;
	for (i = 0; i < UDP_BURST; i++) {
		if ((n = recv(d->fd, d->buf, DNS_MSGMAX, 0)) == -1)
			return errno == EAGAIN || errno == EINTR ? 0 :
			    done_errno(t, "recv", errno);
		switch (judge_reply(t, d, d->buf, (size_t)n)) {
		case REPLY_IGNORE:
			continue;
		case REPLY_TRUNCATED:
			return tcp_again(t, d);
		case REPLY_DONE:
			return 1;
		}
	}
	return 0;
}

static int
tcp_connected(struct probe_task *t, struct dns_probe *d)
{
	socklen_t len = sizeof(int);
	int err = 0;

	if (getsockopt(d->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		err = errno;
	if (err != 0)
		return done_errno(t, "connect", err);
	d->connecting = false;
	t->res->connect_ms = (uint32_t)(mono_ms() - d->connect_start);
	return 0;
}

/* Reads what there is; 1 when the probe is over. */
static int
tcp_read(struct probe_task *t, struct dns_probe *d)
{
	size_t want;
	ssize_t n;

	want = d->got < 2 ? 2 : 2 + ((size_t)d->buf[0] << 8 | d->buf[1]);
	while (d->got < want) {
		if ((n = read(d->fd, d->buf + d->got, want - d->got)) == -1)
			return errno == EAGAIN || errno == EINTR ? 0 :
			    done_errno(t, "read", errno);
		if (n == 0)
			return done(t, PROBE_RESET, d->got == 0 ?
			    "closed without an answer" :
			    "closed in the middle of the answer");
		d->got += (size_t)n;
		if (d->got == 2)
			want = 2 + ((size_t)d->buf[0] << 8 | d->buf[1]);
	}
	if (judge_reply(t, d, d->buf + 2, d->got - 2) == REPLY_IGNORE)
		return done(t, PROBE_BAD_RESPONSE, "a reply with another ID");
	return 1;	/* a TC bit over TCP is judged as it is */
}

static int
tcp_advance(struct probe_task *t, struct dns_probe *d, short revents)
{
	ssize_t n;

	if (d->connecting) {
		if (!(revents & (POLLOUT | POLLERR | POLLHUP)))
			return 0;
		if (tcp_connected(t, d))
			return 1;
	}
	while (d->sending) {
		n = send(d->fd, d->query + d->sent, d->qlen + 2 - d->sent,
		    MSG_NOSIGNAL);
		if (n == -1)
			return errno == EAGAIN ? 0 : done_errno(t, "send", errno);
		if ((d->sent += (size_t)n) == d->qlen + 2)
			d->sending = false;
	}
	return tcp_read(t, d);
}

static int
dns_start(struct probe_task *t)
{
	struct dns_probe *d = xcalloc(1, sizeof(*d));

	t->priv = d;
	d->fd = -1;
	if (query_build(d, &t->req->check->dns) == -1) {
		probe_result_local(t->res, "cannot build the DNS query");
		return 1;
	}
	if (sock_open(t, d, t->req->check->dns.tcp))
		return 1;
	if (d->tcp)
		return d->connecting ? 0 : tcp_advance(t, d, POLLOUT);
	return udp_advance(t, d, POLLOUT);
}

static int
dns_fds(const struct probe_task *t, struct probe_fd *out)
{
	const struct dns_probe *d = t->priv;

	if (d == NULL || d->fd == -1)
		return 0;
	out[0].fd = d->fd;
	out[0].events = d->connecting || d->sending ? POLLOUT : POLLIN;
	out[0].revents = 0;
	return 1;
}

static int
dns_advance(struct probe_task *t, uint64_t now_ms, bool timed_out)
{
	struct dns_probe *d = t->priv;
	struct pollfd p;
	char msg[64];

	(void)now_ms;
	if (timed_out) {
		snprintf(msg, sizeof(msg), "no answer in %llu ms",
		    (unsigned long long)t->req->check->timeout_ms);
		return done(t, d->connecting ? PROBE_CONNECT_TIMEOUT :
		    PROBE_TIMEOUT, msg);
	}
	/* the engine's revents are not passed on: ask the socket itself */
	p.fd = d->fd;
	p.events = POLLIN | POLLOUT;
	if (d->fd == -1 || poll(&p, 1, 0) <= 0)
		return 0;
	return d->tcp ? tcp_advance(t, d, p.revents) :
	    udp_advance(t, d, p.revents);
}

static void
dns_describe(const struct probe_req *req, char *buf, size_t size)
{
	const struct check_dns *c = &req->check->dns;
	char *type = ldns_rr_type2str((ldns_rr_type)c->qtype);
	char raw[512];

	snprintf(raw, sizeof(raw), "query %s %s over %s port %u%s%s",
	    c->name, type != NULL ? type : "?", c->tcp ? "TCP" : "UDP",
	    req->check->port, c->expect ? ", expect " : "",
	    c->expect ? c->expect : "");
	free(type);
	str_escape(buf, raw, size);
}

static void
dns_clear(struct probe_task *t)
{
	struct dns_probe *d = t->priv;

	if (d == NULL)
		return;
	if (d->fd != -1)
		close(d->fd);
	free(d->query);
	free(d);
	t->priv = NULL;
}

const struct probe_ops probe_dns_ops = {
	.curl = false,
	.start = dns_start,
	.fds = dns_fds,
	.advance = dns_advance,
	.describe = dns_describe,
	.clear = dns_clear,
};
