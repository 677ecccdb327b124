/*
 * dnsquery.c: the query half of RFC 2136 publishing, through ldns:
 * finding a name's zone, reading what names serve, confirming that an
 * update is served; and the ldns pieces the update half shares (names,
 * records, the reply pre-check).
 *
 * Queries are unsigned.  A reply counts only when it parses, passes the
 * TSIG placement check, and is NOERROR or NXDOMAIN; any other answer
 * asks the next server.  Nothing here logs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "dnsio.h"
#include "dnsquery.h"
#include "keyfile.h"
#include "log.h"
#include "util.h"

/* ---- records ---- */

ldns_rdf *
dnsquery_dname(const char *name)
{
	char fq[DNAME_MAXLEN + 2];

	snprintf(fq, sizeof(fq), "%s.", name);
	return ldns_dname_new_frm_str(fq);
}

ldns_rr *
dnsquery_rr(const char *name, uint32_t ttl, uint16_t type, const char *rdata)
{
	ldns_rr *rr = NULL;
	char *type_s = ldns_rr_type2str((ldns_rr_type)type), *s;

	s = xasprintf("%s. %u IN %s %s", name, ttl, type_s ? type_s : "TYPE0",
	    rdata);
	if (ldns_rr_new_frm_str(&rr, s, 0, NULL, NULL) != LDNS_STATUS_OK)
		rr = NULL;
	free(s);
	free(type_s);
	return rr;
}

/* ---- replies ---- */

/*
 * Skips the name at *pos; -1 if it runs past len or is no name: a bad
 * label type, or over 255 octets before its end or pointer (RFC 1035
 * 2.3.4; ldns 1.8.3 takes longer ones).
 */
static int
skip_name(const uint8_t *w, size_t len, size_t *pos)
{
	size_t octets = 0;

	while (*pos < len) {
		if (w[*pos] == 0) {
			(*pos)++;
			return octets < 255 ? 0 : -1;
		}
		if ((w[*pos] & 0xc0) == 0xc0) {
			*pos += 2;
			return *pos <= len && octets < 255 ? 0 : -1;
		}
		if (w[*pos] & 0xc0)
			return -1;
		octets += (size_t)w[*pos] + 1;
		if (octets >= 255)
			return -1;
		*pos += (size_t)w[*pos] + 1;
	}
	return -1;
}

/* Counts the records of a message and its TSIG RRs (the last at index
 * last - 1); false when the records are not all there. */
static bool
tsig_scan(const uint8_t *w, size_t len, size_t *nrrp, size_t *ntsig,
    size_t *last)
{
	size_t pos = 12, i, nrr;

	*ntsig = *last = 0;
	if (len < 12)
		return false;
	for (i = 0; i < (size_t)(w[4] << 8 | w[5]); i++)
		if (skip_name(w, len, &pos) == -1 || (pos += 4) > len)
			return false;
	nrr = (size_t)(w[6] << 8 | w[7]) + (size_t)(w[8] << 8 | w[9]) +
	    (size_t)(w[10] << 8 | w[11]);
	for (i = 0; i < nrr; i++) {
		if (skip_name(w, len, &pos) == -1 || pos + 10 > len)
			return false;
		if ((w[pos] << 8 | w[pos + 1]) == LDNS_RR_TYPE_TSIG) {
			(*ntsig)++;
			*last = i + 1;
		}
		pos += 10 + (size_t)(w[pos + 8] << 8 | w[pos + 9]);
		if (pos > len)
			return false;
	}
	*nrrp = nrr;
	return true;
}

/*
 * Whether a message's records are all there and a TSIG RR, if any, is
 * the one last record (RFC 8945 5.1).  Checked before ldns parses: ldns
 * 1.8.3 keeps the last of several TSIG RRs and leaks the others.
 */
static bool
tsig_placed(const uint8_t *w, size_t len)
{
	size_t nrr, ntsig, last;

	if (!tsig_scan(w, len, &nrr, &ntsig, &last))
		return false;
	return ntsig == 0 || (ntsig == 1 && last == nrr &&
	    (w[10] << 8 | w[11]) > 0);
}

bool
dnsquery_tsig_present(const uint8_t *w, size_t len)
{
	size_t nrr, ntsig, last;

	return !tsig_scan(w, len, &nrr, &ntsig, &last) || ntsig > 0;
}

ldns_pkt *
dnsquery_reply_parse(const uint8_t *wire, size_t len)
{
	ldns_pkt *p = NULL;

	if (!tsig_placed(wire, len) || ldns_wire2pkt(&p, wire, len) !=
	    LDNS_STATUS_OK) {
		ldns_pkt_free(p);
		return NULL;
	}
	return p;
}

/* ---- TSIG pieces, for dnsupdate.c and dnsxfr.c ---- */

const char *
dnsquery_tsig_error_str(unsigned e)
{
	switch (e) {
	case 16: return "BADSIG";
	case 17: return "BADKEY";
	case 18: return "BADTIME";
	case 19: return "BADMODE";
	case 20: return "BADNAME";
	case 21: return "BADALG";
	case 22: return "BADTRUNC";
	default: return "unknown TSIG error";
	}
}

uint64_t
dnsquery_u48(const ldns_rdf *r)
{
	const uint8_t *p = ldns_rdf_data(r);
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < 6 && i < ldns_rdf_size(r); i++)
		v = v << 8 | p[i];
	return v;
}

/*
 * Whether TSIG RR t is made with our key name and algorithm; what says
 * which differs.  Checked before ldns computes a MAC: ldns 1.8.3 leaks
 * the TSIG RR when it cannot (an algorithm it does not know).
 */
bool
dnsquery_tsig_ours(const ldns_rr *t, const struct tsig_key *key, char *what,
    size_t wlen)
{
	ldns_rdf *name = dnsquery_dname(key->name);
	ldns_rdf *alg = ldns_dname_new_frm_str(tsig_alg_ldns(key->alg));
	char *got = NULL;
	bool ok = false;

	if (name == NULL || alg == NULL)
		snprintf(what, wlen, "cannot compare the reply's key");
	else if (ldns_dname_compare(ldns_rr_owner(t), name) != 0) {
		got = ldns_rdf2str(ldns_rr_owner(t));
		snprintf(what, wlen, "reply signed with key %.64s, not %s",
		    got ? got : "?", key->name);
	} else if (ldns_dname_compare(ldns_rr_rdf(t, 0), alg) != 0) {
		got = ldns_rdf2str(ldns_rr_rdf(t, 0));
		snprintf(what, wlen, "reply signed with algorithm %.64s, "
		    "not %s", got ? got : "?", tsig_alg_str(key->alg));
	} else
		ok = true;
	free(got);
	ldns_rdf_deep_free(name);
	ldns_rdf_deep_free(alg);
	return ok;
}

/* ---- queries: verify, read, find the zone ---- */

struct query {
	const char	*name;
	uint16_t	 type;
	uint8_t		*wire;
	size_t		 len;
};

static int
query_build(struct query *q, const char *name, uint16_t type, uint16_t id)
{
	ldns_rdf *d = dnsquery_dname(name);
	ldns_pkt *p = d ? ldns_pkt_query_new(d, (ldns_rr_type)type,
	    LDNS_RR_CLASS_IN, 0) : NULL;
	int rc = -1;

	q->name = name;
	q->type = type;
	q->wire = NULL;
	if (p == NULL) {
		ldns_rdf_deep_free(d);
		return -1;
	}
	ldns_pkt_set_id(p, id);
	if (ldns_pkt2wire(&q->wire, p, &q->len) == LDNS_STATUS_OK)
		rc = 0;
	ldns_pkt_free(p);
	return rc;
}

/* The rdata of an RR as one canonical string (the caller frees). */
static char *
rdata_str(const ldns_rr *rr)
{
	char *out = xstrdup(""), *f, *t;
	size_t i;

	for (i = 0; i < ldns_rr_rd_count(rr); i++) {
		f = ldns_rdf2str(ldns_rr_rdf(rr, i));
		t = xasprintf("%s%s%s", out, i ? " " : "", f ? f : "");
		free(f);
		free(out);
		out = t;
	}
	return out;
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The values of RRset (name, type) in a reply, sorted; -1 if the reply
 * is no authoritative answer (neither NOERROR nor NXDOMAIN).
 */
static int
answer_values(const uint8_t *wire, size_t len, const char *name,
    uint16_t type, char ***vals, size_t *n)
{
	ldns_pkt *p = NULL;
	ldns_rr_list *an;
	ldns_rdf *owner = dnsquery_dname(name);
	ldns_rr *rr;
	size_t i;

	*vals = NULL;
	*n = 0;
	if ((p = dnsquery_reply_parse(wire, len)) == NULL ||
	    (ldns_pkt_get_rcode(p) != LDNS_RCODE_NOERROR &&
	    ldns_pkt_get_rcode(p) != LDNS_RCODE_NXDOMAIN)) {
		ldns_pkt_free(p);
		ldns_rdf_deep_free(owner);
		return -1;
	}
	an = ldns_pkt_answer(p);
	*vals = xcalloc(ldns_rr_list_rr_count(an) + 1, sizeof(char *));
	for (i = 0; i < ldns_rr_list_rr_count(an); i++) {
		rr = ldns_rr_list_rr(an, i);
		if (ldns_rr_get_type(rr) == type &&
		    ldns_dname_compare(ldns_rr_owner(rr), owner) == 0)
			(*vals)[(*n)++] = rdata_str(rr);
	}
	qsort(*vals, *n, sizeof(char *), str_cmp);
	ldns_pkt_free(p);
	ldns_rdf_deep_free(owner);
	return 0;
}

static void
vals_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* The values of set as ldns prints them, sorted (canonical form). */
static char **
canonical(const struct dq_rrset *set)
{
	char **want = xcalloc(set->nrdata + 1, sizeof(char *));
	ldns_rr *rr;
	size_t i;

	for (i = 0; i < set->nrdata; i++) {
		rr = dnsquery_rr(set->name, 0, set->type, set->rdata[i]);
		want[i] = rr ? rdata_str(rr) : xstrdup("");
		ldns_rr_free(rr);
	}
	qsort(want, set->nrdata, sizeof(char *), str_cmp);
	return want;
}

/* Whether a reply serves exactly the n canonical values in want. */
static bool
serves(const uint8_t *wire, size_t len, const char *name, uint16_t type,
    char *const *want, size_t n)
{
	char **got;
	size_t ngot, i;
	bool same;

	if (answer_values(wire, len, name, type, &got, &ngot) == -1)
		return false;
	same = ngot == n;
	for (i = 0; same && i < ngot; i++)
		same = strcmp(got[i], want[i]) == 0;
	vals_free(got, ngot);
	return same;
}

struct vq {			/* one RRset to confirm */
	const struct dq_rrset	*set;
	char			**want;		/* canonical values */
	size_t			 at;		/* in sets[] and ok[] */
};

/* Builds the queries for v[0..n) in q, msgs and lens, IDs from id. */
static void
vq_build(const struct vq *v, size_t n, uint16_t id, struct query *q,
    uint8_t **msgs, size_t *lens)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (query_build(&q[i], v[i].set->name, v[i].set->type,
		    (uint16_t)(id + i)) == -1)
			fatalx("cannot build a DNS query");
		msgs[i] = q[i].wire;
		lens[i] = q[i].len;
	}
}

void
dnsquery_confirm(const struct dns_server *s, const struct dq_rrset *sets,
    size_t n, uint64_t deadline, bool *ok)
{
	struct vq *v = xcalloc(n + 1, sizeof(*v));
	struct query *q = xcalloc(n + 1, sizeof(*q));
	uint8_t **msgs = xcalloc(n + 1, sizeof(*msgs));
	uint8_t **rep = xcalloc(n + 1, sizeof(*rep));
	size_t *lens = xcalloc(n + 1, sizeof(*lens));
	size_t *rl = xcalloc(n + 1, sizeof(*rl)), i, j, left;
	uint16_t id = (uint16_t)ldns_get_random();

	for (i = 0; i < n; i++) {
		ok[i] = true;
		v[i].set = &sets[i];
		v[i].want = canonical(&sets[i]);
		v[i].at = i;
	}
	for (left = n; left > 0 && mono_ms() < deadline; ) {
		vq_build(v, left, id, q, msgs, lens);
		id = (uint16_t)(id + left);
		dnsio_query_many(s, msgs, lens, left, 256, deadline, rep, rl);
		for (i = 0, j = 0; i < left; i++) {
			if (rep[i] == NULL || !serves(rep[i], rl[i],
			    v[i].set->name, v[i].set->type, v[i].want,
			    v[i].set->nrdata))
				v[j++] = v[i];	/* ask again */
			else
				vals_free(v[i].want, v[i].set->nrdata);
			free(rep[i]);
			free(q[i].wire);
		}
		left = j;
		if (left > 0)
			usleep(100000);	/* not yet: do not hammer the server */
	}
	for (i = 0; i < left; i++) {
		ok[v[i].at] = false;
		vals_free(v[i].want, v[i].set->nrdata);
	}
	free(v);
	free(q);
	free(msgs);
	free(rep);
	free(lens);
	free(rl);
}

/* ---- zone discovery and reading what is served ---- */

void
dnsquery_server_str(const struct dns_server *s, char *buf, size_t size)
{
	snprintf(buf, size, s->addr.family == AF_INET6 ? "[%s]:%u" : "%s:%u",
	    s->addr.text, s->port);
}

/*
 * One unsigned query to the servers in order; the reply or NULL.
 * *heard is set when a server replied at all; silent gets the last
 * server that did not, and why.
 */
static ldns_pkt *
ask(const struct dns_conf *dns, const char *name, uint16_t type,
    bool *heard, char *silent, size_t slen)
{
	struct query q;
	ldns_pkt *p = NULL;
	uint8_t *reply;
	size_t i, rlen;
	char err[128], srv[ADDR_STRLEN + 16];

	if (query_build(&q, name, type, (uint16_t)ldns_get_random()) == -1)
		return NULL;
	for (i = 0; i < dns->nservers && p == NULL; i++) {
		if (dnsio_exchange(&dns->servers[i], dns->transport == DNS_UDP,
		    q.wire, q.len, mono_ms() + dns->timeout_ms, &reply,
		    &rlen, err, sizeof(err)) != DNSIO_OK) {
			dnsquery_server_str(&dns->servers[i], srv, sizeof(srv));
			snprintf(silent, slen, "server %s: %s", srv, err);
			continue;
		}
		*heard = true;
		/* an answer counts; a refusal or failure asks the next */
		if ((p = dnsquery_reply_parse(reply, rlen)) == NULL ||
		    (ldns_pkt_get_rcode(p) != LDNS_RCODE_NOERROR &&
		    ldns_pkt_get_rcode(p) != LDNS_RCODE_NXDOMAIN)) {
			ldns_pkt_free(p);
			p = NULL;
		}
		free(reply);
	}
	free(q.wire);
	return p;
}

int
dnsquery_serial(const struct dns_conf *dns, const struct dns_server *s,
    const char *zone, uint32_t *serial, char *err, size_t errlen)
{
	struct query q;
	ldns_pkt *p;
	ldns_rdf *z;
	uint8_t *reply;
	size_t i, rlen;
	int rc = -1;

	if (query_build(&q, zone, LDNS_RR_TYPE_SOA,
	    (uint16_t)ldns_get_random()) == -1) {
		snprintf(err, errlen, "cannot build the SOA query");
		return -1;
	}
	if (dnsio_exchange(s, dns->transport == DNS_UDP, q.wire, q.len,
	    mono_ms() + dns->timeout_ms, &reply, &rlen, err, errlen) !=
	    DNSIO_OK) {
		free(q.wire);
		return -1;
	}
	free(q.wire);
	p = dnsquery_reply_parse(reply, rlen);
	free(reply);
	if (p == NULL || ldns_pkt_get_rcode(p) != LDNS_RCODE_NOERROR) {
		snprintf(err, errlen, "no SOA answer for %s", zone);
		ldns_pkt_free(p);
		return -1;
	}
	z = dnsquery_dname(zone);
	for (i = 0; rc == -1 && i < ldns_rr_list_rr_count(ldns_pkt_answer(p));
	    i++) {
		ldns_rr *rr = ldns_rr_list_rr(ldns_pkt_answer(p), i);

		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA &&
		    ldns_dname_compare(ldns_rr_owner(rr), z) == 0 &&
		    ldns_rr_rd_count(rr) == 7) {
			*serial = ldns_rdf2native_int32(ldns_rr_rdf(rr, 2));
			rc = 0;
		}
	}
	if (rc == -1)
		snprintf(err, errlen, "no SOA for %s in the answer", zone);
	ldns_rdf_deep_free(z);
	ldns_pkt_free(p);
	return rc;
}

/* The owner of an SOA in section l that encloses name, or NULL. */
static char *
soa_owner(const ldns_rr_list *l, const char *name)
{
	ldns_rdf *n = dnsquery_dname(name);
	char *z = NULL;
	size_t i;

	for (i = 0; z == NULL && i < ldns_rr_list_rr_count(l); i++) {
		ldns_rr *rr = ldns_rr_list_rr(l, i);

		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA &&
		    (ldns_dname_compare(ldns_rr_owner(rr), n) == 0 ||
		    ldns_dname_is_subdomain(n, ldns_rr_owner(rr))))
			z = ldns_rdf2str(ldns_rr_owner(rr));
	}
	ldns_rdf_deep_free(n);
	return z;
}

enum dq_zone
dnsquery_find_zone(const struct dns_conf *dns, const char *name,
    char *zone, size_t zonelen, char *err, size_t errlen)
{
	const char *cur = name;
	char *z = NULL, silent[200] = "";
	bool heard = false;
	ldns_pkt *p;
	size_t len;

	for (; z == NULL && cur != NULL; cur = strchr(cur, '.') ?
	    strchr(cur, '.') + 1 : NULL) {
		if ((p = ask(dns, cur, LDNS_RR_TYPE_SOA, &heard, silent,
		    sizeof(silent))) == NULL)
			continue;
		if ((z = soa_owner(ldns_pkt_answer(p), name)) == NULL)
			z = soa_owner(ldns_pkt_authority(p), name);
		ldns_pkt_free(p);
	}
	if (z == NULL && !heard) {
		snprintf(err, errlen, "no server answered the zone query for "
		    "%s (%s)", name, silent);
		return DQ_ZONE_NO_ANSWER;
	}
	if (z == NULL) {
		snprintf(err, errlen, "no server of %s is authoritative for a "
		    "zone above it", name);
		return DQ_ZONE_NONE;
	}
	len = strlen(z);
	if (len > 1 && z[len - 1] == '.')
		z[--len] = '\0';
	str_lower(z);
	str_copy(zone, z, zonelen);
	free(z);
	return DQ_ZONE_FOUND;
}

/* Appends the A or AAAA values of a reply to a. */
static int
reply_addrs(const uint8_t *wire, size_t len, const char *name,
    uint16_t type, struct addr **a, size_t *n)
{
	char **vals, err[PARSE_ERRLEN];
	size_t nv, i;

	if (answer_values(wire, len, name, type, &vals, &nv) == -1)
		return -1;
	if (nv > 0)	/* none: *a stays NULL, as the contract says */
		*a = xreallocarray(*a, *n + nv + 1, sizeof(**a));
	for (i = 0; i < nv; i++)
		if (addr_parse(vals[i], &(*a)[*n], err, sizeof(err)) == 0)
			(*n)++;
	vals_free(vals, nv);
	return 0;
}

int
dnsquery_read_addrs(const struct dns_conf *dns, const char *const *names,
    size_t n, struct addr **addrs, size_t *naddrs, char *err, size_t errlen)
{
	struct query *q = xcalloc(2 * n + 1, sizeof(*q));
	uint8_t **msgs = xcalloc(2 * n + 1, sizeof(*msgs)), **rep;
	size_t *lens = xcalloc(2 * n + 1, sizeof(*lens)), *rl, i, s, bad;
	uint16_t id = (uint16_t)ldns_get_random();

	rep = xcalloc(2 * n + 1, sizeof(*rep));
	rl = xcalloc(2 * n + 1, sizeof(*rl));
	for (i = 0; i < 2 * n; i++) {
		if (query_build(&q[i], names[i / 2], i % 2 ? LDNS_RR_TYPE_AAAA :
		    LDNS_RR_TYPE_A, (uint16_t)(id + i)) == -1)
			fatalx("cannot build a DNS query");
		msgs[i] = q[i].wire;
		lens[i] = q[i].len;
	}
	for (s = 0, bad = 2 * n + 1; s < dns->nservers && bad > 0; s++) {
		dnsio_query_many(&dns->servers[s], msgs, lens, 2 * n, 64,
		    mono_ms() + dns->timeout_ms, rep, rl);
		for (i = 0, bad = 0; i < n; i++) {
			addrs[i] = NULL;
			naddrs[i] = 0;
			if (rep[2 * i] == NULL || rep[2 * i + 1] == NULL ||
			    reply_addrs(rep[2 * i], rl[2 * i], names[i],
			    LDNS_RR_TYPE_A, &addrs[i], &naddrs[i]) == -1 ||
			    reply_addrs(rep[2 * i + 1], rl[2 * i + 1], names[i],
			    LDNS_RR_TYPE_AAAA, &addrs[i], &naddrs[i]) == -1)
				bad++;
		}
		for (i = 0; i < 2 * n; i++) {
			free(rep[i]);
			rep[i] = NULL;
		}
		if (bad > 0)
			for (i = 0; i < n; i++) {
				free(addrs[i]);
				addrs[i] = NULL;
				naddrs[i] = 0;
			}
	}
	if (bad > 0)
		snprintf(err, errlen, "no server answered for all of %zu names",
		    n);
	for (i = 0; i < 2 * n; i++)
		free(q[i].wire);
	free(q);
	free(msgs);
	free(rep);
	free(lens);
	free(rl);
	return bad > 0 ? -1 : 0;
}
