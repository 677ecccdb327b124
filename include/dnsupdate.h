/*
 * dnsupdate.h: RFC 2136 dynamic updates signed with TSIG (RFC 8945).
 *
 * A change is everything to do at one owner name: prerequisites, then
 * RRsets to replace (an RRset without values is deleted).  Changes for
 * one zone go in as few messages as the size limit allows, a change never
 * split across two.  Each message is signed, sent to the servers in
 * order, and its reply checked beyond what ldns checks: same ID, a TSIG
 * with our key name and algorithm that verifies with the request MAC,
 * signing time within the fudge.  An unsigned or badly signed reply is
 * never taken as success and never stops the next server from being
 * tried; the first verified answer other than SERVFAIL or NOTIMP
 * decides.  Outcomes are data; messages name each server tried, the
 * zone, rcode and TSIG error, never the secret.  The queries (zone,
 * what is served, verify) are dnsquery's.  Nothing here logs.
 */
#ifndef DNSFAILOVER_DNSUPDATE_H
#define DNSFAILOVER_DNSUPDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "config.h"

#define DU_TYPE_A	1
#define DU_TYPE_AAAA	28

enum du_outcome {
	DU_APPLIED,
	DU_PREREQ_FAILED,	/* YXRRSET, NXRRSET, NXDOMAIN, YXDOMAIN */
	DU_NOT_PERMITTED,	/* REFUSED, NOTAUTH */
	DU_KEY_PROBLEM,		/* BADSIG, BADKEY, BADTIME, unsigned/bad reply */
	DU_NOT_AUTHORITATIVE,	/* NOTZONE; no zone found */
	DU_UNREACHABLE,		/* every server timed out or failed */
	DU_VERIFY_FAILED,	/* accepted, but not served afterwards */
	DU_OTHER
};
const char	*du_outcome_str(enum du_outcome);

/* The values of one RRset, in presentation form ("192.0.2.1"). */
struct du_rrset {
	uint16_t		 type;
	const char *const	*rdata;
	size_t			 nrdata;
};

enum du_prereq_kind {
	DU_PRE_EQUALS,		/* the RRset holds exactly these values */
	DU_PRE_ABSENT,		/* no RRset of this type */
	DU_PRE_EXISTS,		/* an RRset of this type, any values */
	DU_PRE_NAME_USED,	/* some RRset at the name (type ignored) */
	DU_PRE_NAME_UNUSED	/* nothing at the name (type ignored) */
};

struct du_prereq {
	enum du_prereq_kind	kind;
	struct du_rrset		set;	/* values only for DU_PRE_EQUALS */
};

struct du_change {
	const char		*name;		/* no trailing dot */
	uint32_t		 ttl;		/* of what is added */
	const struct du_prereq	*prereqs;
	size_t			 nprereqs;
	const struct du_rrset	*sets;		/* RRsets to replace */
	size_t			 nsets;
};

/*
 * Storage for the usual change: the A and AAAA RRsets of name replaced
 * by the addresses in want, and with cas, prerequisites that they hold
 * exactly the addresses in expect (a family with none: no RRset).
 * du_addrs_init() fills a->change; du_addrs_clear() frees.
 */
struct du_addrs {
	struct du_change	 change;
	struct du_prereq	 pre[2];
	struct du_rrset		 sets[2];
	const char		**rdata;	/* want v4, want v6, exp v4, v6 */
};
void	du_addrs_init(struct du_addrs *, const char *name, uint32_t ttl,
	    const struct addr *want, size_t nwant, const struct addr *expect,
	    size_t nexpect, bool cas);
void	du_addrs_clear(struct du_addrs *);

/*
 * Whether replacing set in c is a no-op that is not sent: no values
 * wanted, and a prerequisite of c already requires that no such RRset
 * exists (the server checks it in the same transaction).
 */
bool	du_set_noop(const struct du_change *, const struct du_rrset *);

struct du_report {
	enum du_outcome	outcome;	/* the first failure, or APPLIED */
	size_t		nmessages;	/* UPDATE messages sent */
	size_t		bytes;		/* their size on the wire, signed */
	size_t		napplied;	/* changes applied and verified */
	char		msg[320];	/* the first failure, each server tried */
	/* the zone's SOA serial after the last applied message, read
	 * from the server that took it (for the history: rule 22) */
	bool		serial_known;
	uint32_t	serial;
};

/*
 * Applies changes to zone through the servers of dns, signed with its
 * key (unsigned if dns->key is NULL: tests only).  outcomes[i] (if not
 * NULL) gets the outcome of changes[i]; the report sums up.  With
 * dns->verify, applied changes are confirmed by queries until
 * dns->timeout.  Returns 0 if every change was applied.
 */
int	dnsupdate_apply(const struct dns_conf *, const char *zone,
	    const struct du_change *changes, size_t n,
	    enum du_outcome *outcomes, struct du_report *);

/*
 * One UPDATE message for changes[0..n) with the given ID, signed with key
 * (unsigned when key is NULL), as wire data in *wire (malloc'd).  For
 * tests and dry runs; returns 0, or -1 with a reason in err.
 */
int	dnsupdate_build(const char *zone, const struct du_change *changes,
	    size_t n, uint16_t id, const struct tsig_key *key, uint8_t **wire,
	    size_t *len, char *err, size_t errlen);

/*
 * The checks applied to a reply, on their own, with no I/O: reply (any
 * bytes) to request req (an UPDATE as dnsupdate_build() makes it, signed
 * with key, or unsigned if key is NULL), judged as at time now (seconds
 * since the epoch).  For tests with fixed vectors and for fuzzing.
 * Returns the outcome the reply stands for; *final (if not NULL) says
 * whether it decides, or the next server would be tried: true only for
 * an answer that verifies (same ID, our key name and algorithm, MAC
 * chained to the request's, time within the fudge, no TSIG error) and is
 * not SERVFAIL or NOTIMP.  DU_APPLIED and DU_PREREQ_FAILED come only
 * with *final.  what says why, without server or zone; text from the
 * reply is in presentation form (escaped), the secret never.
 */
int	dnsupdate_judge(const uint8_t *req, size_t reqlen,
	    const uint8_t *reply, size_t replylen, const struct tsig_key *key,
	    uint64_t now, bool *final, char *what, size_t wlen);

#endif
