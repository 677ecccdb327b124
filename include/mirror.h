/*
 * mirror.h: a monitor's copy of the votes zone, kept up to date by
 * transfers (dnsxfr.h): the TXT RRs at each name, and when this monitor
 * saw them change, on its own clock (rule 13: a peer's freshness is
 * judged from when its heartbeat was seen to change, so skewed clocks
 * do not matter).  Pure but for mirror_save and mirror_load, the copy
 * `check` keeps between runs beside the state file (a cache: a damaged
 * or missing one costs a full transfer, never a decision).
 */
#ifndef DNSFAILOVER_MIRROR_H
#define DNSFAILOVER_MIRROR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dnsxfr.h"
#include "parse.h"
#include "vote.h"

struct mirror_entry {
	char		*owner;		/* lower case, no trailing dot */
	struct vote_txt	*rr;		/* its TXT RRs (one, normally) */
	size_t		 nrr;
	int64_t		 seen_ms;	/* when its RRs last changed (realtime
					   ms, this host); 0: not seen change
					   (known since the first transfer) */
};

struct mirror {
	char			 zone[DNAME_MAXLEN + 2];
	bool			 synced;	/* serial is known */
	uint32_t		 serial;
	struct mirror_entry	*e;
	size_t			 n, cap;
	size_t			*slot;		/* hash index; private */
	size_t			 nslot;
};

void	mirror_init(struct mirror *, const char *zone);
void	mirror_clear(struct mirror *);

/* The entry at owner, or NULL (an owner with no RR left is removed). */
const struct mirror_entry *mirror_get(const struct mirror *,
	    const char *owner);
/* Its one TXT RR, or NULL when it has none, several, or a bad one: a
 * record the tool did not write alone is not trusted. */
const struct vote_txt *mirror_txt(const struct mirror *, const char *owner);

/*
 * Takes a transfer in at now_ms.  XFR_FULL replaces everything: entries
 * whose RRs did not change keep their seen_ms, changed or new ones get
 * now_ms, or 0 when the mirror was not synced before (a first transfer
 * cannot tell when anything changed).  XFR_INCREMENTAL applies the
 * deletes and adds in order; each owner they touch gets now_ms.
 * XFR_UPTODATE changes nothing.  The serial is r's.
 */
void	mirror_apply(struct mirror *, const struct xfr_result *r,
	    int64_t now_ms);

/*
 * The copy kept between runs: written atomically (mode 0600) to path;
 * read back by mirror_load, which leaves m empty (unsynced, for zone)
 * and returns -1 with the reason when the file is damaged or is of
 * another zone; a missing file is an empty mirror and 0.
 */
int	mirror_save(const char *path, const struct mirror *);
int	mirror_load(const char *path, const char *zone, struct mirror *,
	    char *err, size_t errlen);

#endif
