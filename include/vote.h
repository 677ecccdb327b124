/*
 * vote.h: what monitors write in the votes zone (rules 13-17 of
 * doc/rules.md), as owner names and TXT records, and back.  Pure: no
 * I/O, no clock, no logging.
 *
 * Names, under the votes zone Z (monitor.zone):
 *
 *	ID.Z		the heartbeat of monitor ID
 *	H.ID.Z		monitor ID's view of the site whose name hashes to H
 *	H._hold.Z	the hold of that site, written by whichever monitor
 *			ran flip (or release, which deletes it)
 *
 * H is vote_site_label(): 16 characters, the base32hex digits (lower
 * case, RFC 4648) of the first 10 octets of SHA-256 of the site's name
 * (lower case, no trailing dot): a fixed length, whatever the site's.
 * A server's policy can so let monitor ID write only ID.Z and below (and
 * _hold.Z and below), with a key of its own; monitor ids are DNS labels
 * without "_", so none is ever "_hold".
 *
 * Each record is one TXT RR whose character-strings are "key=value",
 * the first always "v=1".  A reader ignores keys it does not know (a
 * later writer may add some) and refuses another version.
 *
 *	heartbeat  "v=1" "beat=N" "at=2026-12-02T08:00:00Z" "every=10"
 *		   N changes every round (the writer's clock in ms, or one
 *		   more than the last when that is not more); at and every (the
 *		   round period, s) are for people: freshness is judged
 *		   from when the reader saw N change, on its own clock.
 *	view	   "v=1" "site=NAME" "want=primary|failover|none"
 *		   "set=ADDR,ADDR" ["set=ADDR,..."...] "why=TEXT"
 *		   want none: no change wanted (everything down, the
 *		   failover not known yet, held, drift); set: the addresses
 *		   the writer would publish (repeated "set=" strings are
 *		   joined, as are repeated "site=" strings: a string holds
 *		   255 octets, a name may need two); why: at most 160
 *		   octets, control characters replaced by '?'.
 *	hold	   "v=1" "site=NAME" "side=primary|failover" "until=T"
 *		   "by=ID" "who=USER" "reason=TEXT"
 *		   T: seconds since the epoch on the flipping monitor's
 *		   clock, 0 for until release.
 */
#ifndef DNSFAILOVER_VOTE_H
#define DNSFAILOVER_VOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "addr.h"
#include "parse.h"

#define VOTE_LABEL_LEN	16
#define VOTE_HOLD_LABEL	"_hold"
#define VOTE_WHY_MAX	160
#define VOTE_REASON_MAX	160	/* = HOLD_REASON_MAX */
#define VOTE_ID_MAX	63

/* The character-strings of one TXT RR, decoded (each NUL-terminated,
 * malloc'd; a string holding a NUL octet makes the RR bad). */
struct vote_txt {
	char	**s;
	size_t	  n;
	bool	  bad;
};
void	vote_txt_add(struct vote_txt *, const char *s, size_t len);
void	vote_txt_clear(struct vote_txt *);
void	vote_txt_copy(struct vote_txt *dst, const struct vote_txt *src);
bool	vote_txt_equal(const struct vote_txt *, const struct vote_txt *);
/* The RR's data in presentation form, each string quoted, '"' and '\'
 * escaped, other octets outside 0x20-0x7e as \DDD (what dnsupdate and
 * ldns take); malloc'd. */
char	*vote_txt_rdata(const struct vote_txt *);

/* The label H of site (any case, trailing dot or not). */
void	vote_site_label(const char *site, char out[VOTE_LABEL_LEN + 1]);

/* The names, lower case, no trailing dot, into buf; -1 if longer than
 * a DNS name may be (255 octets on the wire). */
int	vote_name_beat(const char *zone, const char *id, char *buf,
	    size_t size);
int	vote_name_view(const char *zone, const char *id, const char *site,
	    char *buf, size_t size);
int	vote_name_hold(const char *zone, const char *site, char *buf,
	    size_t size);

enum vote_kind {
	VOTE_OTHER,		/* not a name of ours (the apex, junk) */
	VOTE_BEAT,
	VOTE_VIEW,
	VOTE_HOLD
};
/*
 * What owner (lower case, no trailing dot) is in zone: its kind, the
 * monitor id (beat, view; else "") and the site label (view, hold; else
 * "").  A view or hold label that is not 16 base32hex digits, or an id
 * that is not a label of ours, is VOTE_OTHER.
 */
enum vote_kind vote_name_kind(const char *zone, const char *owner,
	    char id[VOTE_ID_MAX + 1], char label[VOTE_LABEL_LEN + 1]);

enum vote_want {
	VOTE_WANT_NONE,
	VOTE_WANT_PRIMARY,
	VOTE_WANT_FAILOVER
};
const char	*vote_want_str(enum vote_want);

struct vote_beat {
	uint64_t	beat;
	time_t		at;		/* the writer's clock */
	unsigned	every;		/* s */
};

struct vote_view {
	char		 site[DNAME_MAXLEN + 2];
	enum vote_want	 want;
	struct addr	*set;		/* malloc'd; NULL when none */
	size_t		 nset;
	char		 why[VOTE_WHY_MAX + 1];
};

struct vote_hold {
	char		 site[DNAME_MAXLEN + 2];
	enum vote_want	 side;		/* PRIMARY or FAILOVER */
	time_t		 until;		/* 0: until release */
	char		 by[VOTE_ID_MAX + 1];
	char		 who[64];
	char		 reason[VOTE_REASON_MAX + 1];
};

/*
 * To TXT (t is cleared first) and back.  A parse returns 0, or -1 with
 * what is wrong in err ("version 2", "no site=", "bad address x in
 * set=", ...); the site name is normalised as parse_dname() does.
 */
void	vote_beat_txt(const struct vote_beat *, struct vote_txt *t);
int	vote_beat_parse(const struct vote_txt *, struct vote_beat *,
	    char *err, size_t errlen);
void	vote_view_txt(const struct vote_view *, struct vote_txt *t);
int	vote_view_parse(const struct vote_txt *, struct vote_view *,
	    char *err, size_t errlen);
void	vote_view_clear(struct vote_view *);
void	vote_hold_txt(const struct vote_hold *, struct vote_txt *t);
int	vote_hold_parse(const struct vote_txt *, struct vote_hold *,
	    char *err, size_t errlen);

#endif
