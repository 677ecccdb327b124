/*
 * publish.h: how the rest of the program puts an address set into DNS
 * and reads what DNS serves, in its own words.  A request is one site's
 * wish: these record names should serve these addresses (and, with
 * compare-and-swap, only if they serve those now).  The outcome says
 * what became of it, whatever the protocol behind.
 *
 * A publisher is the way to get there: RFC 2136 signed with TSIG is the
 * one there is; GSS-TSIG or a provider's HTTP API would be another
 * struct publisher_ops, chosen by publisher_of() from the DNS settings,
 * and nothing outside its own file would change.  Publishers do not
 * print; they may log_debug.
 */
#ifndef DNSFAILOVER_PUBLISH_H
#define DNSFAILOVER_PUBLISH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "config.h"
#include "parse.h"

enum publish_outcome {
	PUBLISH_APPLIED,	/* the names serve want now: changed by us */
	PUBLISH_ALREADY,	/* they served want already, nothing had to
				   change (an earlier update applied but its
				   confirmation was lost) */
	PUBLISH_CHANGED,	/* with cas: the names do not serve expect
				   (someone else changed them); not done */
	PUBLISH_REFUSED,	/* a server answered no: not permitted, a key
				   problem, not authoritative for the zone */
	PUBLISH_NO_ANSWER,	/* no server answered */
	PUBLISH_FAILED,		/* anything else (why says): a bad answer,
				   accepted but not served in time */
	PUBLISH_PLANNED		/* dry run: nothing sent; plan says what
				   would be */
};
const char	*publish_outcome_str(enum publish_outcome);

/*
 * The plan of a dry run is the exact change, one line per name, each
 * "  NAME: ...;\n" as `check -n` prints it under its own heading, e.g.
 *   "  www.example.test: require A = 192.0.2.10; require AAAA absent;
 *    set A 198.51.100.20 (ttl 60);\n"		(one line)
 */
struct publish_req {
	/* the wish: borrowed, must outlive the call */
	const struct dns_conf	*dns;
	const char *const	*names;		/* no trailing dot; >= 1 */
	size_t			 nnames;
	const char		*zone;		/* NULL: the publisher finds
						   it */
	uint32_t		 ttl;
	const struct addr	*want;		/* every name serves these */
	size_t			 nwant;		/* 0: no address at all */
	bool			 cas;		/* only if they serve expect */
	const struct addr	*expect;
	size_t			 nexpect;
	bool			 dry_run;

	/* the result, set by the publisher */
	enum publish_outcome	 outcome;
	char			 zone_found[DNAME_MAXLEN + 2]; /* "" if none */
	char			 why[320];	/* "" for APPLIED, PLANNED;
						   ALREADY: the refused swap
						   that showed it */
	char			*plan;		/* PLANNED: malloc'd */
	long long		 serial;	/* APPLIED: the zone's serial
						   serving it; -1 unknown */
	char			 served[256];	/* after a refused swap: what
						   the names serve, read back
						   ("" unknown) */
};

/*
 * Fills r with the wish (the result fields cleared); publish_req_clear()
 * frees what a publisher left in it (the plan).
 */
void	publish_req_init(struct publish_req *r, const struct dns_conf *dns,
	    const char *const *names, size_t nnames, const char *zone,
	    uint32_t ttl, const struct addr *want, size_t nwant);
void	publish_req_clear(struct publish_req *);

struct publisher_ops {
	const char	*name;
	/*
	 * Publishes reqs[0..n), all with dns, and sets each one's result
	 * (it gets them cleared: PUBLISH_FAILED, no why, no plan).
	 * Batching is the publisher's business, and so is telling
	 * PUBLISH_ALREADY from PUBLISH_CHANGED after a refused swap; one
	 * request's failure must not hold back the others.
	 */
	void	(*publish)(const struct dns_conf *dns,
		    struct publish_req **reqs, size_t n);
	/*
	 * What names[0..n) serve now, as dnsquery_read_addrs() says it:
	 * addrs[i] malloc'd (NULL for none; the caller frees), naddrs[i].
	 * 0, or -1 with a reason in err (and every addrs[i] NULL).
	 */
	int	(*read)(const struct dns_conf *dns, const char *const *names,
		    size_t n, struct addr **addrs, size_t *naddrs, char *err,
		    size_t errlen);
};

/* The publisher for these DNS settings (never NULL). */
const struct publisher_ops *publisher_of(const struct dns_conf *);

/*
 * Publishes reqs[0..n), each through the publisher of its dns (one call
 * per DNS settings, in the order they first appear).  Does not print;
 * the outcome and why of each request say what happened.
 */
void	publish_run(struct publish_req **reqs, size_t n);

/* What names[0..n) serve now, through the publisher of dns (see read). */
int	publish_read(const struct dns_conf *dns, const char *const *names,
	    size_t n, struct addr **addrs, size_t *naddrs, char *err,
	    size_t errlen);

/*
 * The one set names[0..n) all serve now: 0 with *addrs (malloc'd; NULL
 * for none) and *naddrs; 1 when they do not agree (*differs: the first
 * name whose set is not names[0]'s); -1 with a reason in err when they
 * cannot be read.
 */
int	publish_read_same(const struct dns_conf *dns,
	    const char *const *names, size_t n, struct addr **addrs,
	    size_t *naddrs, size_t *differs, char *err, size_t errlen);

/* The publishers there are (for publisher_of and the tests). */
extern const struct publisher_ops publisher_rfc2136;

#endif
