/*
 * dnsquery.h: the queries RFC 2136 publishing makes, unsigned: the zone
 * of a name (SOA queries upwards), the A and AAAA addresses names serve,
 * and whether RRsets are served as an update wrote them.  A reply counts
 * only when it is NOERROR or NXDOMAIN; anything else, or silence, asks
 * the next server.  Also the ldns pieces dnsupdate.c shares: names,
 * records and the pre-check of a reply.  Nothing here logs.
 */
#ifndef DNSFAILOVER_DNSQUERY_H
#define DNSFAILOVER_DNSQUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "config.h"

/* ldns's own types (ldns_rdf, ldns_rr, ldns_pkt), without its header */
struct ldns_struct_rdf;
struct ldns_struct_rr;
struct ldns_struct_pkt;

enum dq_zone {
	DQ_ZONE_FOUND,
	DQ_ZONE_NONE,		/* servers answered; none serves a zone
				   above the name */
	DQ_ZONE_NO_ANSWER	/* no server answered at all */
};

/*
 * The zone of name, found by SOA queries from name upwards, sent to the
 * servers of dns in order.  DQ_ZONE_FOUND and the zone (lower case, no
 * trailing dot) in zone; otherwise a reason in err.
 */
enum dq_zone	dnsquery_find_zone(const struct dns_conf *, const char *name,
		    char *zone, size_t zonelen, char *err, size_t errlen);

/*
 * The current A and AAAA addresses of each of names[0..n) as served by
 * the first server of dns that answers for all of them.  addrs[i] is
 * malloc'd (NULL when none; the caller frees), naddrs[i] its count.
 * Returns 0 if every name got an answer (NOERROR or NXDOMAIN), -1
 * otherwise, with a reason in err and every addrs[i] NULL.
 */
int	dnsquery_read_addrs(const struct dns_conf *, const char *const *names,
	    size_t n, struct addr **addrs, size_t *naddrs, char *err,
	    size_t errlen);

/* One RRset and the values it must hold, in presentation form. */
struct dq_rrset {
	const char		*name;		/* no trailing dot */
	uint16_t		 type;
	const char *const	*rdata;
	size_t			 nrdata;	/* 0: no such RRset */
};

/*
 * Queries server s until every one of sets[0..n) is served exactly
 * (values compared in ldns's canonical form), or until deadline_ms
 * (mono_ms()); ok[i] says whether sets[i] is.  All queries of a pass
 * are in flight together, passes 100 ms apart.
 */
void	dnsquery_confirm(const struct dns_server *s,
	    const struct dq_rrset *sets, size_t n, uint64_t deadline_ms,
	    bool *ok);

/*
 * The SOA serial of zone as server s (one of dns's) serves it now: 0,
 * or -1 with a reason in err.  One unsigned query, dns's transport and
 * timeout.
 */
int	dnsquery_serial(const struct dns_conf *dns,
	    const struct dns_server *s, const char *zone, uint32_t *serial,
	    char *err, size_t errlen);

/* "192.0.2.53:53" or "[2001:db8::53]:53" into buf. */
void	dnsquery_server_str(const struct dns_server *, char *buf, size_t size);

/* ---- for dnsupdate.c ---- */

/* The absolute name of name (no trailing dot), or NULL; ldns frees. */
struct ldns_struct_rdf *dnsquery_dname(const char *name);

/* "name ttl IN TYPE rdata" as a record, or NULL if ldns will not
 * parse it (this is how record data is validated). */
struct ldns_struct_rr *dnsquery_rr(const char *name, uint32_t ttl,
	    uint16_t type, const char *rdata);

/*
 * A reply parsed, or NULL if malformed: records that run past the end,
 * or a TSIG RR that is not the one last record (RFC 8945 5.1; checked
 * before ldns parses, since ldns 1.8.3 keeps the last of several TSIG
 * RRs and leaks the others).
 */
struct ldns_struct_pkt *dnsquery_reply_parse(const uint8_t *wire, size_t len);
/* Whether wire holds a TSIG RR anywhere (true too when malformed): a
 * reply to an unsigned request must hold none. */
bool	dnsquery_tsig_present(const uint8_t *wire, size_t len);

/* ---- TSIG, for dnsupdate.c and dnsxfr.c ---- */

struct tsig_key;

/* "BADSIG", "BADTIME", ... for a TSIG error code (RFC 8945 3). */
const char	*dnsquery_tsig_error_str(unsigned);
/* A 48-bit TSIG time (the first 6 octets of r) as a number. */
uint64_t	 dnsquery_u48(const struct ldns_struct_rdf *r);
/*
 * Whether TSIG RR t is made with key's name and algorithm; what says
 * which differs.  Checked before ldns computes a MAC: ldns 1.8.3 leaks
 * the TSIG RR when it cannot (an algorithm it does not know).
 */
bool	dnsquery_tsig_ours(const struct ldns_struct_rr *t,
	    const struct tsig_key *key, char *what, size_t wlen);

#endif
