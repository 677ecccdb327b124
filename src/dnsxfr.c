/*
 * dnsxfr.c: the votes zone by IXFR (RFC 1995) or AXFR (RFC 5936) over
 * TCP, TSIG-signed (RFC 8945), through ldns.
 *
 *	build:	question ZONE IXFR IN and, in the authority section, the
 *		SOA with our serial (RFC 1995 3; its other fields zero);
 *		AXFR when we have no serial; random ID; TSIG (fudge 300);
 *	send:	one TCP connection per server, the servers in order;
 *	check:	every message as it arrives: parses (dnsquery's pre-check
 *		of TSIG placement first), same ID, QR, NOERROR, the
 *		question echoed (or none after the first), signed with our
 *		key name and algorithm, its MAC chained to the one before
 *		(RFC 8945 5.3.1), signed within the fudge, owners in the
 *		zone;
 *	parse:	the answer's records as one sequence (RFC 1995 4): the
 *		new SOA first; then either the old SOA (incremental:
 *		[old SOA, deletions, new SOA, additions]... up to the new
 *		SOA again) or the zone (AXFR form, up to the SOA again).
 *
 * The checks run on each message as dnsio hands it over (dnsio_stream),
 * so a bad message ends the transfer at once; dnsxfr_judge runs the same
 * checks on messages already received.  Only TXT records are kept.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ldns/ldns.h>

#include "dnsio.h"
#include "dnsquery.h"
#include "dnsxfr.h"
#include "keyfile.h"
#include "util.h"

#define FUDGE		300
#define TSIG_BADTIME	18
#define TSIG_F_MAC	3	/* TSIG RR rdf indexes (RFC 8945 4.2) */
#define TSIG_F_TIME	1
#define TSIG_F_FUDGE	2
#define TSIG_F_ERROR	5
#define TSIG_F_OTHER	6
#define SOA_F_SERIAL	2
#define XFR_MAX_MSGS	100000
#define XFR_MAX_BYTES	(64u * 1024 * 1024)

/* Where the answer's record sequence is. */
enum phase {
	PH_FIRST,	/* nothing yet: the new SOA comes first */
	PH_SECOND,	/* after it: old SOA (incremental) or the zone */
	PH_ZONE,	/* AXFR form: records until the SOA again */
	PH_DEL,		/* incremental: after an old SOA */
	PH_ADD,		/* incremental: after a new SOA */
	PH_DONE
};

struct xfr {
	const char		*zone;
	ldns_rdf		*apex;
	const struct tsig_key	*key;
	uint16_t		 id;
	uint16_t		 qtype;		/* IXFR or AXFR */
	uint32_t		 ours;		/* with IXFR */
	ldns_rdf		*mac;		/* to chain the next MAC to */
	enum phase		 ph;
	uint32_t		 first, cur;
	size_t			 nrr, cap;
	struct xfr_result	*r;
};

/* ---- the request ---- */

static ldns_rr *
soa_ours(const char *zone, uint32_t serial)
{
	char *s = xasprintf("%s. 0 IN SOA . . %u 0 0 0 0", zone, serial);
	ldns_rr *rr = NULL;

	if (ldns_rr_new_frm_str(&rr, s, 0, NULL, NULL) != LDNS_STATUS_OK)
		rr = NULL;
	free(s);
	return rr;
}

int
dnsxfr_request(const char *zone, bool have_serial, uint32_t serial,
    uint16_t id, const struct tsig_key *key, uint8_t **wire, size_t *len,
    char *err, size_t errlen)
{
	ldns_rdf *z = dnsquery_dname(zone);
	ldns_pkt *p;
	ldns_rr *soa = NULL;
	ldns_status st;
	int rc = -1;

	p = z ? ldns_pkt_query_new(z, have_serial ? LDNS_RR_TYPE_IXFR :
	    LDNS_RR_TYPE_AXFR, LDNS_RR_CLASS_IN, 0) : NULL;
	if (p == NULL || (have_serial && (soa = soa_ours(zone,
	    serial)) == NULL)) {
		if (p == NULL)
			ldns_rdf_deep_free(z);
		ldns_pkt_free(p);
		snprintf(err, errlen, "cannot build a transfer request for "
		    "zone %s", zone);
		return -1;
	}
	if (soa != NULL)
		ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY, soa); /* takes */
	ldns_pkt_set_id(p, id);		/* before signing: the MAC covers it */
	if (key != NULL && (st = ldns_pkt_tsig_sign(p, key->name, key->secret,
	    FUDGE, tsig_alg_ldns(key->alg), NULL)) != LDNS_STATUS_OK)
		snprintf(err, errlen, "cannot sign with key %s: %s", key->name,
		    ldns_get_errorstr_by_id(st));
	else if (ldns_pkt2wire(wire, p, len) != LDNS_STATUS_OK)
		snprintf(err, errlen, "cannot encode the transfer request "
		    "for zone %s", zone);
	else
		rc = 0;
	ldns_pkt_free(p);
	return rc;
}

/* ---- the state of one answer ---- */

static int
xfr_init(struct xfr *x, const uint8_t *req, size_t reqlen, const char *zone,
    const struct tsig_key *key, struct xfr_result *r, char *err,
    size_t errlen)
{
	ldns_pkt *q = NULL;
	ldns_rr *qr, *soa;

	memset(x, 0, sizeof(*x));
	memset(r, 0, sizeof(*r));
	x->zone = zone;
	x->key = key;
	x->r = r;
	if (ldns_wire2pkt(&q, req, reqlen) != LDNS_STATUS_OK ||
	    ldns_pkt_qdcount(q) != 1 || (x->apex = dnsquery_dname(zone)) ==
	    NULL || (key != NULL && ldns_pkt_tsig(q) == NULL)) {
		ldns_pkt_free(q);
		snprintf(err, errlen, "malformed request");
		return -1;
	}
	qr = ldns_rr_list_rr(ldns_pkt_question(q), 0);
	x->id = ldns_pkt_id(q);
	x->qtype = (uint16_t)ldns_rr_get_type(qr);
	soa = ldns_rr_list_rr(ldns_pkt_authority(q), 0);
	if (x->qtype == LDNS_RR_TYPE_IXFR && soa != NULL &&
	    ldns_rr_rd_count(soa) > SOA_F_SERIAL)
		x->ours = ldns_rdf2native_int32(ldns_rr_rdf(soa,
		    SOA_F_SERIAL));
	else if (x->qtype != LDNS_RR_TYPE_AXFR) {
		ldns_pkt_free(q);
		snprintf(err, errlen, "malformed request");
		return -1;
	}
	if (key != NULL)
		x->mac = ldns_rdf_clone(ldns_rr_rdf(ldns_pkt_tsig(q),
		    TSIG_F_MAC));
	ldns_pkt_free(q);
	return 0;
}

static void
xfr_free(struct xfr *x)
{
	ldns_rdf_deep_free(x->apex);
	ldns_rdf_deep_free(x->mac);
	x->apex = x->mac = NULL;
}

void
dnsxfr_clear(struct xfr_result *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free(r->c[i].owner);
		vote_txt_clear(&r->c[i].txt);
	}
	free(r->c);
	memset(r, 0, sizeof(*r));
}

/* ---- each message ---- */

/*
 * The TSIG of message number nmsg (1 the first): what says why when
 * not 0.  Every message must be signed: RFC 8945 5.3.1 lets a server
 * leave up to 99 unsigned between signed ones, but BIND and Knot sign
 * each, and an unsigned message is one anybody on the path could have
 * inserted; so an unsigned intermediate message is refused.
 */
static int
sig_check(struct xfr *x, ldns_pkt *p, const uint8_t *w, size_t len,
    size_t nmsg, uint64_t now, char *what, size_t wlen)
{
	ldns_rr *t = ldns_pkt_tsig(p);
	uint64_t at;
	unsigned terr;

	if (x->key == NULL) {	/* an unsigned request: tests only */
		if (t == NULL && !dnsquery_tsig_present(w, len))
			return 0;
		snprintf(what, wlen, "signed answer to an unsigned request");
		return -1;
	}
	if (t == NULL || ldns_rr_rd_count(t) < 7) {
		snprintf(what, wlen, "not signed");
		return -1;
	}
	terr = ldns_rdf2native_int16(ldns_rr_rdf(t, TSIG_F_ERROR));
	if (terr == TSIG_BADTIME) {
		snprintf(what, wlen, "TSIG error BADTIME (server time %llu, "
		    "ours %llu: check the clocks)", (unsigned long long)
		    dnsquery_u48(ldns_rr_rdf(t, TSIG_F_OTHER)),
		    (unsigned long long)now);
		return -1;
	}
	if (terr != 0) {
		snprintf(what, wlen, "TSIG error %s",
		    dnsquery_tsig_error_str(terr));
		return -1;
	}
	if (!dnsquery_tsig_ours(t, x->key, what, wlen))
		return -1;
	/* the first against the request's MAC, with every TSIG variable;
	 * each next against the one before, timers only (RFC 8945 5.3.1) */
	if (!ldns_pkt_tsig_verify_next(p, w, len, x->key->name,
	    x->key->secret, x->mac, nmsg > 1)) {
		snprintf(what, wlen, "signature does not verify");
		return -1;
	}
	at = dnsquery_u48(ldns_rr_rdf(t, TSIG_F_TIME));
	if ((at > now ? at - now : now - at) >
	    ldns_rdf2native_int16(ldns_rr_rdf(t, TSIG_F_FUDGE))) {
		snprintf(what, wlen, "signed at %llu, outside the fudge of "
		    "our time %llu", (unsigned long long)at,
		    (unsigned long long)now);
		return -1;
	}
	ldns_rdf_deep_free(x->mac);
	x->mac = ldns_rdf_clone(ldns_rr_rdf(t, TSIG_F_MAC));
	return 0;
}

/* The question: echoed in the first message; none or the same after. */
static int
question_check(const struct xfr *x, const ldns_pkt *p, size_t nmsg)
{
	const ldns_rr *q;

	if (ldns_pkt_qdcount(p) == 0 && nmsg > 1)
		return 0;
	if (ldns_pkt_qdcount(p) != 1)
		return -1;
	q = ldns_rr_list_rr(ldns_pkt_question(p), 0);
	return ldns_dname_compare(ldns_rr_owner(q), x->apex) == 0 &&
	    ldns_rr_get_type(q) == x->qtype &&
	    ldns_rr_get_class(q) == LDNS_RR_CLASS_IN ? 0 : -1;
}

/*
 * The header, question and signature of a message; what says why when
 * not 0, beginning with the rcode when it is not NOERROR (the TSIG
 * error after it: "NOTAUTH, TSIG error BADKEY").
 */
static int
header_check(struct xfr *x, ldns_pkt *p, const uint8_t *w, size_t len,
    size_t nmsg, uint64_t now, char *what, size_t wlen)
{
	const ldns_lookup_table *rc;
	char sig[200] = "";
	int sigok;

	if (ldns_pkt_id(p) != x->id) {
		snprintf(what, wlen, "wrong message id %u (sent %u)",
		    (unsigned)ldns_pkt_id(p), (unsigned)x->id);
		return -1;
	}
	sigok = sig_check(x, p, w, len, nmsg, now, sig, sizeof(sig));
	if (ldns_pkt_get_rcode(p) != LDNS_RCODE_NOERROR) {
		rc = ldns_lookup_by_id(ldns_rcodes,
		    (int)ldns_pkt_get_rcode(p));
		snprintf(what, wlen, "%s%s%s", rc ? rc->name : "unknown rcode",
		    sigok == 0 ? "" : ", ", sigok == 0 ? "" : sig);
		return -1;
	}
	if (sigok != 0) {
		snprintf(what, wlen, "%s", sig);
		return -1;
	}
	/* AA is not required: Knot 3.2 clears it in transfers, and RFC
	 * 5936 2.2.1 recommends that clients ignore it; the signature
	 * says who answered */
	if (ldns_pkt_get_opcode(p) != LDNS_PACKET_QUERY) {
		snprintf(what, wlen, "not a query answer");
		return -1;
	}
	if (question_check(x, p, nmsg) == -1) {
		snprintf(what, wlen, "question not echoed");
		return -1;
	}
	return 0;
}

/* The owner of rr: lower case, no trailing dot (malloc'd). */
static char *
owner_str(const ldns_rr *rr)
{
	char *s = ldns_rdf2str(ldns_rr_owner(rr)), *c;
	size_t n;

	if (s == NULL)
		return xstrdup("?");
	n = strlen(s);
	if (n > 1 && s[n - 1] == '.')
		s[n - 1] = '\0';
	for (c = s; *c != '\0'; c++)
		*c = (char)tolower((unsigned char)*c);
	return s;
}

/* Records a TXT RR (others are not kept) as an add or a delete. */
static void
change_add(struct xfr *x, const ldns_rr *rr, bool add)
{
	struct xfr_result *r = x->r;
	struct xfr_change *c;
	const uint8_t *d;
	size_t i;

	if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_TXT ||
	    ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN)
		return;
	if (r->n == x->cap) {
		x->cap = x->cap ? 2 * x->cap : 16;
		r->c = xreallocarray(r->c, x->cap, sizeof(*r->c));
	}
	c = &r->c[r->n++];
	memset(c, 0, sizeof(*c));
	c->add = add;
	c->owner = owner_str(rr);
	for (i = 0; i < ldns_rr_rd_count(rr); i++) {
		d = ldns_rdf_data(ldns_rr_rdf(rr, i));
		if (ldns_rdf_size(ldns_rr_rdf(rr, i)) < 1 ||
		    (size_t)d[0] + 1 > ldns_rdf_size(ldns_rr_rdf(rr, i)))
			c->txt.bad = true;
		else
			vote_txt_add(&c->txt, (const char *)d + 1, d[0]);
	}
}

/* The serial of SOA RR rr, or -1 when it is no SOA of the zone. */
static int
soa_serial(const struct xfr *x, const ldns_rr *rr, uint32_t *serial)
{
	if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_SOA ||
	    ldns_rr_rd_count(rr) <= SOA_F_SERIAL ||
	    ldns_dname_compare(ldns_rr_owner(rr), x->apex) != 0)
		return -1;
	*serial = ldns_rdf2native_int32(ldns_rr_rdf(rr, SOA_F_SERIAL));
	return 0;
}

/* One record of the answer's sequence, RFC 1995 4. */
static int
rr_take(struct xfr *x, const ldns_rr *rr, char *what, size_t wlen)
{
	const ldns_rdf *o = ldns_rr_owner(rr);
	uint32_t s = 0;
	bool soa;

	if (ldns_dname_compare(o, x->apex) != 0 &&
	    !ldns_dname_is_subdomain(o, x->apex)) {
		char *n = owner_str(rr);

		snprintf(what, wlen, "record %.80s outside the zone", n);
		free(n);
		return -1;
	}
	soa = ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA;
	if (soa && soa_serial(x, rr, &s) == -1) {
		snprintf(what, wlen, "SOA record not at the apex");
		return -1;
	}
	x->nrr++;
	switch (x->ph) {
	case PH_FIRST:
		if (!soa) {
			snprintf(what, wlen, "answer not starting with the "
			    "SOA");
			return -1;
		}
		x->first = s;
		x->ph = PH_SECOND;
		return 0;
	case PH_SECOND:
		if (soa && x->qtype == LDNS_RR_TYPE_AXFR) {
			x->r->kind = XFR_FULL;	/* a zone of one SOA */
			x->ph = PH_DONE;
			if (s == x->first)
				return 0;
			snprintf(what, wlen, "zone ends with serial %u, not %u",
			    s, x->first);
			return -1;
		}
		if (soa) {
			if (s != x->ours) {
				snprintf(what, wlen, "changes from serial %u, "
				    "not from ours %u", s, x->ours);
				return -1;
			}
			x->r->kind = XFR_INCREMENTAL;
			x->cur = s;
			x->ph = PH_DEL;
			return 0;
		}
		x->r->kind = XFR_FULL;
		x->ph = PH_ZONE;
		change_add(x, rr, true);
		return 0;
	case PH_ZONE:
		if (soa) {
			x->ph = PH_DONE;
			if (s == x->first)
				return 0;
			snprintf(what, wlen, "zone ends with serial %u, not %u",
			    s, x->first);
			return -1;
		}
		change_add(x, rr, true);
		return 0;
	case PH_DEL:
		if (soa) {
			x->cur = s;
			x->ph = PH_ADD;
		} else
			change_add(x, rr, false);
		return 0;
	case PH_ADD:
		if (soa && s == x->first)
			x->ph = PH_DONE;
		else if (soa && s != x->cur) {
			snprintf(what, wlen, "changes from serial %u follow "
			    "those to %u", s, x->cur);
			return -1;
		} else if (soa)
			x->ph = PH_DEL;
		else
			change_add(x, rr, true);
		return 0;
	case PH_DONE:
		break;
	}
	snprintf(what, wlen, "records after the closing SOA");
	return -1;
}

/* Why the answer that stopped after nmsg messages is not whole. */
static void
xfr_short(const struct xfr *x, size_t nmsg, char *what, size_t wlen)
{
	if (x->ph == PH_SECOND && x->qtype == LDNS_RR_TYPE_IXFR &&
	    (int32_t)(x->first - x->ours) < 0)
		snprintf(what, wlen, "the server's serial %u is behind ours %u",
		    x->first, x->ours);
	else
		snprintf(what, wlen, "answer ends before its closing SOA (%zu "
		    "messages, %zu records)", nmsg, x->nrr);
}

/*
 * Message number nmsg of the answer: 1 when it completes the answer,
 * 0 when more must come, -1 with what saying why it is bad.
 */
static int
xfr_message(struct xfr *x, const uint8_t *w, size_t len, size_t nmsg,
    uint64_t now, char *what, size_t wlen)
{
	ldns_rr_list *an;
	ldns_pkt *p;
	size_t i;
	int rc = 0;

	x->r->messages = nmsg;
	x->r->bytes += len;
	if (x->ph == PH_DONE) {
		snprintf(what, wlen, "messages after the closing SOA");
		return -1;
	}
	if ((p = dnsquery_reply_parse(w, len)) == NULL || !ldns_pkt_qr(p)) {
		ldns_pkt_free(p);
		snprintf(what, wlen, "malformed message");
		return -1;
	}
	if (header_check(x, p, w, len, nmsg, now, what, wlen) == -1) {
		ldns_pkt_free(p);
		return -1;
	}
	an = ldns_pkt_answer(p);
	for (i = 0; rc == 0 && i < ldns_rr_list_rr_count(an); i++)
		rc = rr_take(x, ldns_rr_list_rr(an, i), what, wlen);
	ldns_pkt_free(p);
	if (rc == -1)
		return -1;
	/* RFC 1995 4: a single SOA when the zone is at our serial or one
	 * newer than the server's (a single SOA of a newer serial is only
	 * the start of an answer in more messages) */
	if (x->ph == PH_SECOND && nmsg == 1 && x->qtype == LDNS_RR_TYPE_IXFR &&
	    (int32_t)(x->first - x->ours) <= 0) {
		if (x->first != x->ours) {
			xfr_short(x, nmsg, what, wlen);
			return -1;
		}
		x->r->kind = XFR_UPTODATE;
		x->ph = PH_DONE;
	}
	if (x->ph != PH_DONE)
		return 0;
	x->r->serial = x->first;
	return 1;
}

int
dnsxfr_judge(const uint8_t *req, size_t reqlen, const uint8_t *const *msgs,
    const size_t *lens, size_t n, const char *zone,
    const struct tsig_key *key, uint64_t now, struct xfr_result *r,
    char *err, size_t errlen)
{
	struct xfr x;
	size_t i;
	int rc = 0;

	if (xfr_init(&x, req, reqlen, zone, key, r, err, errlen) == -1)
		return -1;
	for (i = 0; rc == 0 && i < n; i++)
		rc = xfr_message(&x, msgs[i], lens[i], i + 1, now, err, errlen);
	if (rc == 1 && i < n) {
		snprintf(err, errlen, "messages after the closing SOA");
		rc = -1;
	} else if (rc == 0) {
		xfr_short(&x, n, err, errlen);
		rc = -1;
	}
	xfr_free(&x);
	if (rc == -1) {
		dnsxfr_clear(r);
		return -1;
	}
	return 0;
}

/* ---- over the network ---- */

struct stream {
	struct xfr	 x;
	size_t		 nmsg;
	char		 what[256];
};

static int
stream_got(void *arg, const uint8_t *m, size_t len)
{
	struct stream *s = arg;

	return xfr_message(&s->x, m, len, ++s->nmsg, (uint64_t)time(NULL),
	    s->what, sizeof(s->what));
}

/* Appends "server: what" to err at *at, "; " between servers. */
static void
err_add(char *err, size_t errlen, size_t *at, const char *srv,
    const char *what)
{
	int n;

	if (*at >= errlen)
		return;
	n = snprintf(err + *at, errlen - *at, "%s%s: %.160s", *at ? "; " : "",
	    srv, what);
	*at = n < 0 ? errlen : *at + (size_t)n;
}

/* One server: 0 with r filled, or -1 with what saying why. */
static int
fetch_one(const struct dns_conf *dns, const struct dns_server *sv,
    const char *zone, bool have_serial, uint32_t serial,
    struct xfr_result *r, char *what, size_t wlen)
{
	struct stream s;
	enum dnsio_status st;
	uint8_t *req;
	size_t len;

	if (dnsxfr_request(zone, have_serial, serial,
	    (uint16_t)ldns_get_random(), dns->key, &req, &len, what,
	    wlen) == -1)
		return -1;
	memset(&s, 0, sizeof(s));
	if (xfr_init(&s.x, req, len, zone, dns->key, r, what, wlen) == -1) {
		free(req);
		return -1;
	}
	st = dnsio_stream(sv, req, len, mono_ms() + dns->timeout_ms,
	    XFR_MAX_MSGS, XFR_MAX_BYTES, stream_got, &s, what, wlen);
	free(req);
	if (st == DNSIO_BADREPLY && s.what[0] != '\0')
		snprintf(what, wlen, "%s%.200s", s.nmsg > 1 ? "in a later message: "
		    : "", s.what);
	else if ((st == DNSIO_TIMEOUT || st == DNSIO_UNREACHABLE) &&
	    s.nmsg > 0) {
		xfr_short(&s.x, s.nmsg, s.what, sizeof(s.what));
		snprintf(what, wlen, "%s: %.200s", st == DNSIO_TIMEOUT ?
		    "no more in time" : "connection closed", s.what);
	}
	xfr_free(&s.x);
	if (st != DNSIO_OK) {
		dnsxfr_clear(r);
		return -1;
	}
	return 0;
}

int
dnsxfr_fetch(const struct dns_conf *dns, const char *zone, bool have_serial,
    uint32_t serial, struct xfr_result *r, char *err, size_t errlen)
{
	char srv[ADDR_STRLEN + 16], what[256];
	size_t i, at = 0;

	memset(r, 0, sizeof(*r));
	if (errlen > 0)
		err[0] = '\0';
	for (i = 0; i < dns->nservers; i++) {
		dnsquery_server_str(&dns->servers[i], srv, sizeof(srv));
		what[0] = '\0';
		if (fetch_one(dns, &dns->servers[i], zone, have_serial,
		    serial, r, what, sizeof(what)) == 0) {
			str_copy(r->server, srv, sizeof(r->server));
			return 0;
		}
		err_add(err, errlen, &at, srv, what);
	}
	if (dns->nservers == 0)
		snprintf(err, errlen, "no server for zone %s", zone);
	return -1;
}
