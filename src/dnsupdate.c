/*
 * dnsupdate.c: RFC 2136 UPDATE with TSIG, through ldns.
 *
 * For each message:
 *	build:	zone section, then per change its prerequisites (answer
 *		section) and its deletes and adds (authority section);
 *	sign:	random ID and RD clear first, then TSIG (fudge 300);
 *	send:	to each server in turn, until one gives an answer that
 *		decides: verified, and not SERVFAIL or NOTIMP (see judge);
 *		a timeout, an unsigned or badly signed answer moves on;
 *	check:	same ID, TSIG present, made with our key name and
 *		algorithm, verified with the request MAC, time within the
 *		fudge; then the rcode and TSIG error;
 *	verify:	query until the server serves what was sent (dnsquery).
 *
 * ldns does not check the reply ID or the TSIG time, and a resolver
 * marks a failed server dead forever; so ldns builds, signs and parses
 * here, and dnsio carries the bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ldns/ldns.h>

#include "dnsio.h"
#include "dnsquery.h"
#include "dnsupdate.h"
#include "keyfile.h"
#include "log.h"
#include "util.h"

#define FUDGE		300
#define TCP_MAX		65535
#define UDP_MAX_PLAIN	512
#define TSIG_ROOM	640	/* key and algorithm names (255 each), MAC */

static const char *const outcome_names[] = {
	[DU_APPLIED] = "applied",
	[DU_PREREQ_FAILED] = "prerequisite failed",
	[DU_NOT_PERMITTED] = "not permitted",
	[DU_KEY_PROBLEM] = "key problem",
	[DU_NOT_AUTHORITATIVE] = "not authoritative",
	[DU_UNREACHABLE] = "unreachable",
	[DU_VERIFY_FAILED] = "not served after update",
	[DU_OTHER] = "failed",
};

const char *
du_outcome_str(enum du_outcome o)
{
	return outcome_names[o];
}

/* ---- the usual change: A and AAAA of a name ---- */

/* Puts the texts of one family of addrs at rd; returns how many. */
static size_t
family_texts(const struct addr *a, size_t n, int family, const char **rd)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (a[i].family == family)
			rd[k++] = a[i].text;
	return k;
}

void
du_addrs_init(struct du_addrs *d, const char *name, uint32_t ttl,
    const struct addr *want, size_t nwant, const struct addr *expect,
    size_t nexpect, bool cas)
{
	const char **rd;
	size_t k;

	memset(d, 0, sizeof(*d));
	d->rdata = rd = xcalloc(nwant + nexpect + 1, sizeof(char *));
	d->sets[0].type = DU_TYPE_A;
	d->sets[0].rdata = rd;
	d->sets[0].nrdata = k = family_texts(want, nwant, AF_INET, rd);
	rd += k;
	d->sets[1].type = DU_TYPE_AAAA;
	d->sets[1].rdata = rd;
	d->sets[1].nrdata = k = family_texts(want, nwant, AF_INET6, rd);
	rd += k;
	d->pre[0].set.type = DU_TYPE_A;
	d->pre[0].set.rdata = rd;
	d->pre[0].set.nrdata = k = family_texts(expect, nexpect, AF_INET, rd);
	d->pre[0].kind = k ? DU_PRE_EQUALS : DU_PRE_ABSENT;
	rd += k;
	d->pre[1].set.type = DU_TYPE_AAAA;
	d->pre[1].set.rdata = rd;
	d->pre[1].set.nrdata = k = family_texts(expect, nexpect, AF_INET6, rd);
	d->pre[1].kind = k ? DU_PRE_EQUALS : DU_PRE_ABSENT;
	d->change.name = name;
	d->change.ttl = ttl;
	d->change.prereqs = cas ? d->pre : NULL;
	d->change.nprereqs = cas ? 2 : 0;
	d->change.sets = d->sets;
	d->change.nsets = 2;
}

void
du_addrs_clear(struct du_addrs *d)
{
	free(d->rdata);
	d->rdata = NULL;
}

/* An RR without data: delete-RRset and the type-only prerequisites. */
static ldns_rr *
rr_empty(const char *name, uint16_t type, ldns_rr_class class)
{
	ldns_rr *rr = ldns_rr_new();
	ldns_rdf *owner = dnsquery_dname(name);

	if (rr == NULL || owner == NULL) {
		ldns_rr_free(rr);
		ldns_rdf_deep_free(owner);
		return NULL;
	}
	ldns_rr_set_owner(rr, owner);
	ldns_rr_set_type(rr, (ldns_rr_type)type);
	ldns_rr_set_class(rr, class);
	ldns_rr_set_ttl(rr, 0);
	return rr;
}
/* Upper bound of an RR's size on the wire: no name compression. */
static size_t
rr_wire_max(const ldns_rr *rr)
{
	size_t n = ldns_rdf_size(ldns_rr_owner(rr)) + 10, i;

	for (i = 0; i < ldns_rr_rd_count(rr); i++)
		n += ldns_rdf_size(ldns_rr_rdf(rr, i));
	return n;
}

static int
push(ldns_rr_list *l, ldns_rr *rr, size_t *size)
{
	if (rr == NULL)
		return -1;
	*size += rr_wire_max(rr);
	ldns_rr_list_push_rr(l, rr);	/* takes rr */
	return 0;
}

static int
prereq_add(ldns_rr_list *pr, const char *name, const struct du_prereq *p,
    size_t *size)
{
	size_t i;

	switch (p->kind) {
	case DU_PRE_EQUALS:
		for (i = 0; i < p->set.nrdata; i++)
			if (push(pr, dnsquery_rr(name, 0, p->set.type,
			    p->set.rdata[i]), size) == -1)
				return -1;
		/* TTL 0 in prerequisites (RFC 2136 2.4), ldns kept it 0 */
		return 0;
	case DU_PRE_ABSENT:
		return push(pr, rr_empty(name, p->set.type,
		    LDNS_RR_CLASS_NONE), size);
	case DU_PRE_EXISTS:
		return push(pr, rr_empty(name, p->set.type, LDNS_RR_CLASS_ANY),
		    size);
	case DU_PRE_NAME_USED:
		return push(pr, rr_empty(name, LDNS_RR_TYPE_ANY,
		    LDNS_RR_CLASS_ANY), size);
	case DU_PRE_NAME_UNUSED:
		return push(pr, rr_empty(name, LDNS_RR_TYPE_ANY,
		    LDNS_RR_CLASS_NONE), size);
	}
	return -1;
}

/*
 * Whether replacing set is a no-op: no values wanted, and a prerequisite
 * of the same change already requires that no such RRset exists (the
 * server checks it in the same transaction).  Such a set is neither
 * deleted nor verified.
 */
bool
du_set_noop(const struct du_change *c, const struct du_rrset *set)
{
	size_t i;

	if (set->nrdata > 0)
		return false;
	for (i = 0; i < c->nprereqs; i++)
		if (c->prereqs[i].kind == DU_PRE_ABSENT &&
		    c->prereqs[i].set.type == set->type)
			return true;
	return false;
}

/* Appends change c to the lists; *size grows by its wire size bound. */
static int
change_add(ldns_rr_list *pr, ldns_rr_list *up, const struct du_change *c,
    size_t *size)
{
	const struct du_rrset *s;
	size_t i, j;

	for (i = 0; i < c->nprereqs; i++)
		if (prereq_add(pr, c->name, &c->prereqs[i], size) == -1)
			return -1;
	for (i = 0; i < c->nsets; i++) {
		s = &c->sets[i];
		if (du_set_noop(c, s))
			continue;
		if (push(up, rr_empty(c->name, s->type, LDNS_RR_CLASS_ANY),
		    size) == -1)
			return -1;
		for (j = 0; j < s->nrdata; j++)
			if (push(up, dnsquery_rr(c->name, c->ttl, s->type,
			    s->rdata[j]), size) == -1)
				return -1;
	}
	return 0;
}

/* ---- messages ---- */

struct msg {
	ldns_pkt	*pkt;		/* signed request (for the request MAC) */
	uint8_t		*wire;
	size_t		 len;
	size_t		 first, n;	/* the changes it carries */
};

static void
msg_clear(struct msg *m)
{
	ldns_pkt_free(m->pkt);
	free(m->wire);
	memset(m, 0, sizeof(*m));
}

/* Turns the lists into a signed message; takes the lists. */
static int
msg_finish(struct msg *m, const char *zone, ldns_rr_list *pr,
    ldns_rr_list *up, uint16_t id, const struct tsig_key *key, char *err,
    size_t errlen)
{
	ldns_rdf *z = dnsquery_dname(zone);
	ldns_status st;

	m->pkt = z ? ldns_update_pkt_new(z, LDNS_RR_CLASS_IN, pr, up, NULL) :
	    NULL;
	ldns_rr_list_deep_free(pr);	/* ldns_update_pkt_new cloned them */
	ldns_rr_list_deep_free(up);
	if (m->pkt == NULL) {
		ldns_rdf_deep_free(z);
		snprintf(err, errlen, "cannot build an update for zone %s", zone);
		return -1;
	}
	ldns_pkt_set_rd(m->pkt, false);	/* ldns sets it on updates */
	ldns_pkt_set_id(m->pkt, id);	/* before signing: the MAC covers it */
	if (key != NULL && (st = ldns_pkt_tsig_sign(m->pkt, key->name,
	    key->secret, FUDGE, tsig_alg_ldns(key->alg), NULL)) !=
	    LDNS_STATUS_OK) {
		snprintf(err, errlen, "cannot sign with key %s: %s", key->name,
		    ldns_get_errorstr_by_id(st));
		return -1;
	}
	if (ldns_pkt2wire(&m->wire, m->pkt, &m->len) != LDNS_STATUS_OK) {
		snprintf(err, errlen, "cannot encode the update for zone %s",
		    zone);
		return -1;
	}
	return 0;
}

int
dnsupdate_build(const char *zone, const struct du_change *changes,
    size_t n, uint16_t id, const struct tsig_key *key, uint8_t **wire,
    size_t *len, char *err, size_t errlen)
{
	ldns_rr_list *pr = ldns_rr_list_new(), *up = ldns_rr_list_new();
	struct msg m;
	size_t i, size = 0;

	memset(&m, 0, sizeof(m));
	for (i = 0; i < n; i++) {
		if (change_add(pr, up, &changes[i], &size) == -1) {
			snprintf(err, errlen, "invalid record data at %s",
			    changes[i].name);
			ldns_rr_list_deep_free(pr);
			ldns_rr_list_deep_free(up);
			return -1;
		}
	}
	if (msg_finish(&m, zone, pr, up, id, key, err, errlen) == -1) {
		msg_clear(&m);
		return -1;
	}
	*wire = m.wire;
	*len = m.len;
	m.wire = NULL;			/* no longer ours */
	msg_clear(&m);
	return 0;
}

static int
rcode_outcome(ldns_pkt_rcode rc)
{
	switch (rc) {
	case LDNS_RCODE_NOERROR:
		return DU_APPLIED;
	case LDNS_RCODE_YXDOMAIN:
	case LDNS_RCODE_YXRRSET:
	case LDNS_RCODE_NXDOMAIN:
	case LDNS_RCODE_NXRRSET:
		return DU_PREREQ_FAILED;
	case LDNS_RCODE_REFUSED:
	case LDNS_RCODE_NOTAUTH:
		return DU_NOT_PERMITTED;
	case LDNS_RCODE_NOTZONE:
		return DU_NOT_AUTHORITATIVE;
	default:
		return DU_OTHER;
	}
}

enum sig {
	SIG_OK,		/* verified with our key; or neither side signed */
	SIG_BAD,	/* unsigned, another key, forged or stale */
	SIG_ERROR	/* the server reports a TSIG error */
};

/* The TSIG checks ldns leaves to us; what says why when not SIG_OK. */
static enum sig
tsig_check(const ldns_pkt *req, ldns_pkt *r, const uint8_t *wire,
    size_t len, const struct tsig_key *key, uint64_t now, char *what,
    size_t wlen)
{
	ldns_rr *t = ldns_pkt_tsig(r);
	uint64_t signed_at;
	unsigned terr;

	if (key == NULL)	/* an unsigned request (tests only): a TSIG
				   RR that ldns did not take is one too */
		return t == NULL && !dnsquery_tsig_present(wire, len) ?
		    SIG_OK : SIG_BAD;
	if (t == NULL || ldns_rr_rd_count(t) < 7) {
		snprintf(what, wlen, "reply not signed");
		return SIG_BAD;
	}
	terr = ldns_rdf2native_int16(ldns_rr_rdf(t, 5));
	if (terr == 18) {
		snprintf(what, wlen, "TSIG error BADTIME (server time %llu, "
		    "ours %llu: check the clocks)", (unsigned long long)
		    dnsquery_u48(ldns_rr_rdf(t, 6)), (unsigned long long)now);
		return SIG_ERROR;
	}
	if (terr != 0) {
		snprintf(what, wlen, "TSIG error %s",
		    dnsquery_tsig_error_str(terr));
		return SIG_ERROR;
	}
	if (!dnsquery_tsig_ours(t, key, what, wlen))
		return SIG_BAD;
	if (ldns_pkt_tsig(req) == NULL || !ldns_pkt_tsig_verify(r, wire, len,
	    key->name, key->secret, ldns_rr_rdf(ldns_pkt_tsig(req), 3))) {
		snprintf(what, wlen, "reply signature does not verify");
		return SIG_BAD;
	}
	signed_at = dnsquery_u48(ldns_rr_rdf(t, 1));
	if ((signed_at > now ? signed_at - now : now - signed_at) >
	    ldns_rdf2native_int16(ldns_rr_rdf(t, 2))) {
		snprintf(what, wlen, "reply signed at %llu, outside the fudge "
		    "of our time %llu", (unsigned long long)signed_at,
		    (unsigned long long)now);
		return SIG_BAD;
	}
	return SIG_OK;
}

/*
 * Judges a reply to req at time now: the outcome it stands for, and in
 * *final whether it decides for this message.  Only a verified answer
 * decides (RFC 8945 5.4: an unsigned or unverifiable one could be
 * forged by anyone on the path, so it must not stop the next server
 * from being tried), and not SERVFAIL or NOTIMP, which say nothing of
 * the update.  A verified REFUSED or NOTAUTH is final: it comes from a
 * server that holds our key and is one of the zone's configured
 * update servers, and it says the update is not allowed; another
 * server of the zone would apply the same policy (a secondary forwards
 * the update to the same primary), so asking it only delays the error
 * the operator has to fix.  An unverified answer is never a success,
 * nor trusted to say the records changed under us; a refusal stays a
 * refusal.  what says why, without server and zone.
 */
static int
judge(const ldns_pkt *req, const uint8_t *wire, size_t len,
    const struct tsig_key *key, uint64_t now, bool *final, char *what,
    size_t wlen)
{
	ldns_pkt *r;
	const ldns_lookup_table *rc;
	ldns_pkt_rcode code;
	char tsig[160] = "";
	enum sig sig;
	int out;

	*final = false;
	if ((r = dnsquery_reply_parse(wire, len)) == NULL || !ldns_pkt_qr(r)) {
		snprintf(what, wlen, "malformed reply");
		ldns_pkt_free(r);
		return DU_OTHER;
	}
	if (ldns_pkt_id(r) != ldns_pkt_id(req)) {
		snprintf(what, wlen, "reply with wrong message id %u (sent %u)",
		    (unsigned)ldns_pkt_id(r), (unsigned)ldns_pkt_id(req));
		ldns_pkt_free(r);
		return DU_OTHER;
	}
	code = ldns_pkt_get_rcode(r);
	rc = ldns_lookup_by_id(ldns_rcodes, (int)code);
	out = rcode_outcome(code);
	sig = tsig_check(req, r, wire, len, key, now, tsig, sizeof(tsig));
	ldns_pkt_free(r);
	snprintf(what, wlen, "%s%s%s", rc ? rc->name : "unknown rcode",
	    tsig[0] != '\0' ? ", " : "", tsig);
	if (sig != SIG_OK && (sig == SIG_ERROR || out == DU_APPLIED ||
	    out == DU_PREREQ_FAILED))
		out = DU_KEY_PROBLEM;
	*final = sig == SIG_OK && code != LDNS_RCODE_SERVFAIL &&
	    code != LDNS_RCODE_NOTIMPL;
	return out;
}

/* One exchange with one server; TCP when UDP is truncated or too big. */
static enum dnsio_status
exchange(const struct dns_conf *dns, const struct dns_server *s,
    const struct msg *m, uint8_t **reply, size_t *rlen, char *err,
    size_t errlen)
{
	uint64_t deadline = mono_ms() + dns->timeout_ms;
	int udp = dns->transport == DNS_UDP && m->len <= UDP_MAX_PLAIN;
	enum dnsio_status st;

	st = dnsio_exchange(s, udp, m->wire, m->len, deadline, reply, rlen,
	    err, errlen);
	if (st == DNSIO_OK && udp && *rlen > 2 && ((*reply)[2] & 0x02)) {
		free(*reply);
		st = dnsio_exchange(s, 0, m->wire, m->len, deadline, reply,
		    rlen, err, errlen);
	}
	return st;
}

/*
 * How much a failed attempt tells, to choose what to report when no
 * server decides: an answer more than a broken one, that more than none.
 */
static int
weight(enum du_outcome o)
{
	return o == DU_UNREACHABLE ? 0 : o == DU_OTHER ? 1 : 2;
}

/* Appends server srv's part to why at *at: the first names the zone. */
static void
why_add(char *why, size_t wlen, size_t *at, const char *srv,
    const char *zone, const char *what)
{
	int n;

	if (*at >= wlen)
		return;
	if (*at == 0)
		n = snprintf(why, wlen, "server %s, zone %s: %.120s", srv, zone,
		    what);
	else
		n = snprintf(why + *at, wlen - *at, "; server %s: %.120s", srv,
		    what);
	*at = n < 0 ? wlen : *at + (size_t)n;
}

/*
 * Sends m to the servers in order until one gives an answer that
 * decides (see judge); *used gets that one.  If none does, the outcome
 * is that of the first most telling attempt.  why names every server
 * tried and what it did.
 */
static enum du_outcome
send_msg(const struct dns_conf *dns, const char *zone, const struct msg *m,
    const struct dns_server **used, char *why, size_t wlen)
{
	char srv[ADDR_STRLEN + 16], what[256];
	enum du_outcome best = DU_UNREACHABLE;
	enum dnsio_status st;
	uint8_t *reply;
	size_t i, rlen, at = 0;
	bool final;
	int out;

	why[0] = '\0';
	for (i = 0; i < dns->nservers; i++) {
		dnsquery_server_str(&dns->servers[i], srv, sizeof(srv));
		st = exchange(dns, &dns->servers[i], m, &reply, &rlen, what,
		    sizeof(what));
		final = false;
		if (st != DNSIO_OK)
			out = st == DNSIO_BADREPLY ? DU_OTHER : DU_UNREACHABLE;
		else {
			out = judge(m->pkt, reply, rlen, dns->key,
			    (uint64_t)time(NULL), &final, what, sizeof(what));
			free(reply);
		}
		why_add(why, wlen, &at, srv, zone, what);
		if (final) {
			*used = &dns->servers[i];
			return (enum du_outcome)out;
		}
		if (weight((enum du_outcome)out) > weight(best))
			best = (enum du_outcome)out;
	}
	return best;
}

/* ---- apply ---- */

/* The largest message we build: TCP's limit less what we add later. */
static size_t
msg_budget(const char *zone)
{
	return TCP_MAX - 12 - (strlen(zone) + 2 + 4) - TSIG_ROOM;
}

/*
 * Builds the next message from changes[*next..n), as many whole changes
 * as fit.  Returns -1 with err set if one change alone is too large or
 * its data does not parse.
 */
static int
next_msg(const char *zone, const struct du_change *changes, size_t n,
    size_t *next, const struct tsig_key *key, struct msg *m, char *err,
    size_t errlen)
{
	ldns_rr_list *pr = ldns_rr_list_new(), *up = ldns_rr_list_new();
	ldns_rr_list *p1, *u1;
	size_t size = 0, one;

	m->first = *next;
	for (; *next < n; (*next)++) {
		p1 = ldns_rr_list_new();
		u1 = ldns_rr_list_new();
		one = 0;
		if (change_add(p1, u1, &changes[*next], &one) == -1 ||
		    one > msg_budget(zone)) {
			snprintf(err, errlen, "%s at %s", one > msg_budget(zone) ?
			    "change too large for one message" :
			    "invalid record data", changes[*next].name);
			ldns_rr_list_deep_free(p1);
			ldns_rr_list_deep_free(u1);
			ldns_rr_list_deep_free(pr);
			ldns_rr_list_deep_free(up);
			return -1;
		}
		if (size + one > msg_budget(zone) && *next > m->first) {
			ldns_rr_list_deep_free(p1);
			ldns_rr_list_deep_free(u1);
			break;
		}
		ldns_rr_list_cat(pr, p1);	/* moves the RRs */
		ldns_rr_list_cat(up, u1);
		ldns_rr_list_free(p1);
		ldns_rr_list_free(u1);
		size += one;
	}
	m->n = *next - m->first;
	return msg_finish(m, zone, pr, up, (uint16_t)ldns_get_random(), key,
	    err, errlen);
}

static void
report_failure(struct du_report *r, enum du_outcome o, const char *why)
{
	if (r->outcome != DU_APPLIED)
		return;
	r->outcome = o;
	str_copy(r->msg, why, sizeof(r->msg));
}

/* Sends one message; outcomes of its changes, and the server used. */
static void
apply_msg(const struct dns_conf *dns, const char *zone, struct msg *m,
    enum du_outcome *out, const struct dns_server **used,
    struct du_report *r)
{
	enum du_outcome o;
	char why[sizeof(r->msg)];
	size_t i;

	r->nmessages++;
	r->bytes += m->len;
	o = send_msg(dns, zone, m, &used[m->first], why, sizeof(why));
	for (i = 0; i < m->n; i++) {
		out[m->first + i] = o;
		used[m->first + i] = used[m->first];
	}
	if (o != DU_APPLIED)
		report_failure(r, o, why);
}

/*
 * Whether each of changes[idx[0..k)] is served by server s as sent, all
 * its RRsets queried at once; ok[i] for changes[idx[i]].  A set that is
 * not sent (du_set_noop) is not queried.
 */
static void
confirm(const struct dns_server *s, const struct du_change *changes,
    const size_t *idx, size_t k, uint64_t deadline, bool *ok)
{
	struct dq_rrset *sets;
	size_t *of, i, j, nsets = 0;
	bool *served;

	for (i = 0; i < k; i++)
		nsets += changes[idx[i]].nsets;		/* at most */
	sets = xcalloc(nsets + 1, sizeof(*sets));
	of = xcalloc(nsets + 1, sizeof(*of));
	served = xcalloc(nsets + 1, sizeof(*served));
	for (i = 0, nsets = 0; i < k; i++) {
		const struct du_change *c = &changes[idx[i]];

		ok[i] = true;
		for (j = 0; j < c->nsets; j++) {
			if (du_set_noop(c, &c->sets[j]))
				continue;
			sets[nsets] = (struct dq_rrset){ c->name,
			    c->sets[j].type, c->sets[j].rdata,
			    c->sets[j].nrdata };
			of[nsets++] = i;
		}
	}
	dnsquery_confirm(s, sets, nsets, deadline, served);
	for (j = 0; j < nsets; j++)
		if (!served[j])
			ok[of[j]] = false;
	free(sets);
	free(of);
	free(served);
}

/*
 * Confirms the applied changes, all at once per server that took them;
 * those not served in time become DU_VERIFY_FAILED.
 */
static void
verify_all(const struct dns_conf *dns, const char *zone,
    const struct du_change *changes, size_t n, enum du_outcome *out,
    const struct dns_server **used, struct du_report *r)
{
	uint64_t deadline = mono_ms() + dns->timeout_ms;
	size_t *idx = xcalloc(n + 1, sizeof(size_t)), i, k, s;
	bool *ok = xcalloc(n + 1, sizeof(bool));
	char why[300];

	for (s = 0; s < dns->nservers; s++) {
		for (i = 0, k = 0; i < n; i++)
			if (out[i] == DU_APPLIED && used[i] == &dns->servers[s])
				idx[k++] = i;
		if (k == 0)
			continue;
		confirm(&dns->servers[s], changes, idx, k, deadline, ok);
		for (i = 0; i < k; i++) {
			if (ok[i])
				continue;
			out[idx[i]] = DU_VERIFY_FAILED;
			snprintf(why, sizeof(why), "zone %s: %s accepted but "
			    "not served within %llu ms", zone,
			    changes[idx[i]].name,
			    (unsigned long long)dns->timeout_ms);
			report_failure(r, DU_VERIFY_FAILED, why);
		}
	}
	free(idx);
	free(ok);
}

int
dnsupdate_apply(const struct dns_conf *dns, const char *zone,
    const struct du_change *changes, size_t n, enum du_outcome *outcomes,
    struct du_report *r)
{
	enum du_outcome *out = xcalloc(n + 1, sizeof(*out));
	const struct dns_server **used = xcalloc(n + 1, sizeof(*used));
	char err[256];
	struct msg m;
	size_t next = 0, i;

	memset(r, 0, sizeof(*r));
	r->outcome = DU_APPLIED;
	for (i = 0; i < n; i++)
		out[i] = DU_OTHER;	/* until a message carries it */
	while (next < n) {
		memset(&m, 0, sizeof(m));
		if (next_msg(zone, changes, n, &next, dns->key, &m, err,
		    sizeof(err)) == -1) {
			msg_clear(&m);	/* [m.first, n) stay DU_OTHER */
			report_failure(r, DU_OTHER, err);
			break;
		}
		apply_msg(dns, zone, &m, out, used, r);
		msg_clear(&m);
	}
	if (dns->verify)
		verify_all(dns, zone, changes, n, out, used, r);
	for (i = 0; i < n; i++) {
		r->napplied += out[i] == DU_APPLIED;
		if (outcomes != NULL)
			outcomes[i] = out[i];
	}
	/* the serial the changes made, as the server that took the last
	 * of them serves it (one query; unknown if it does not answer) */
	for (i = n; i-- > 0;)
		if (out[i] == DU_APPLIED) {
			r->serial_known = dnsquery_serial(dns, used[i], zone,
			    &r->serial, err, sizeof(err)) == 0;
			break;
		}
	free(out);
	free(used);
	return r->napplied == n ? 0 : -1;
}

int
dnsupdate_judge(const uint8_t *req, size_t reqlen, const uint8_t *reply,
    size_t replylen, const struct tsig_key *key, uint64_t now, bool *final,
    char *what, size_t wlen)
{
	ldns_pkt *q = NULL;
	bool dummy;
	int out;

	if (final == NULL)
		final = &dummy;
	*final = false;
	if (ldns_wire2pkt(&q, req, reqlen) != LDNS_STATUS_OK) {
		snprintf(what, wlen, "malformed request");
		return DU_OTHER;
	}
	out = judge(q, reply, replylen, key, now, final, what, wlen);
	ldns_pkt_free(q);
	return out;
}
