/*
 * dnsxfr.h: the votes zone brought up to date by zone transfer: IXFR
 * (RFC 1995) from the serial last seen, over TCP, signed with TSIG
 * (RFC 8945), every message of the answer verified; a server that
 * answers with the whole zone (AXFR form, RFC 1995 4: no journal that
 * far back, or no IXFR at all) is taken as that.  Only TXT records are
 * kept, and the SOA serial.  Nothing here logs.
 *
 * What the answer must be to count: the question echoed, every message
 * from the same server on one connection, NOERROR, each message
 * signed with our key and verifying (the first against the request's
 * MAC, each next against the one before, RFC 8945 5.3.1), signed within
 * the fudge, owner names in the zone, the first and last record the SOA
 * (AA is not required: Knot clears it in transfers, RFC 5936 2.2.1).
 * Anything else, or silence, asks the next server; none: -1.
 */
#ifndef DNSFAILOVER_DNSXFR_H
#define DNSFAILOVER_DNSXFR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "vote.h"

enum xfr_kind {
	XFR_UPTODATE,		/* the zone is still at the serial given */
	XFR_INCREMENTAL,	/* changes since it, in order */
	XFR_FULL		/* the whole zone: every change an add */
};

struct xfr_change {
	bool		 add;		/* else a delete of exactly this RR */
	char		*owner;		/* lower case, no trailing dot */
	struct vote_txt	 txt;
};

struct xfr_result {
	enum xfr_kind		 kind;
	uint32_t		 serial;	/* the zone's now */
	struct xfr_change	*c;
	size_t			 n;
	size_t			 messages, bytes;	/* received */
	char			 server[64];	/* the one that answered */
};

/*
 * Brings zone up to date from serial (have_serial false: the whole zone,
 * an AXFR) through the servers of dns in order, signed with dns->key
 * (unsigned when NULL: tests only), within dns->timeout_ms per server.
 * 0 with r filled, or -1 with the reason in err (each server tried).
 */
int	dnsxfr_fetch(const struct dns_conf *dns, const char *zone,
	    bool have_serial, uint32_t serial, struct xfr_result *r,
	    char *err, size_t errlen);
void	dnsxfr_clear(struct xfr_result *);

/*
 * The checks and parsing of one answer, with no I/O, for tests and
 * fuzzing: msgs[0..n) the messages as received for request req (as
 * dnsxfr_fetch sends it; dnsxfr_request() builds one), judged at time
 * now.  0 with r filled, or -1 with the reason in err.
 */
int	dnsxfr_request(const char *zone, bool have_serial, uint32_t serial,
	    uint16_t id, const struct tsig_key *key, uint8_t **wire,
	    size_t *len, char *err, size_t errlen);
int	dnsxfr_judge(const uint8_t *req, size_t reqlen,
	    const uint8_t *const *msgs, const size_t *lens, size_t n,
	    const char *zone, const struct tsig_key *key, uint64_t now,
	    struct xfr_result *r, char *err, size_t errlen);

#endif
