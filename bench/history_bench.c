/*
 * history_bench.c: writes a history log for bench/history.sh with
 * history_append(), as the monitor would, and says how fast it went.
 *
 *   history_bench FILE LINES SITES DAYS
 *
 * LINES entries over SITES sites (siteN.example.test), evenly spread
 * over the DAYS days up to now, none between 50 and 70 minutes ago (so
 * that a "--since 1h" has one answer for 10 minutes whatever the moment
 * it runs).  history_size 1 GiB: nothing rotates.  Prints the entries
 * written, the file's bytes and the seconds it took on stdout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "history.h"
#include "util.h"

#define GAP_FROM_MS	(50 * 60000LL)
#define GAP_TO_MS	(70 * 60000LL)

/* One entry of the usual mix: mostly switches, some flips by a person,
 * failed updates, and monitor-wide events. */
static void
entry(long i, long sites, int64_t when, char *site, char *addr, char *why,
    struct history_rec *r)
{
	long s = (i * 7919) % sites;

	snprintf(site, 64, "site%ld.example.test", s);
	snprintf(addr, 64, "192.0.2.%ld", s % 250 + 1);
	snprintf(why, 128, "primary 198.51.100.%ld down (3/3 failed: HTTP "
	    "503)", s % 250 + 1);
	memset(r, 0, sizeof(*r));
	r->time_ms = when;
	r->event = "switch";
	r->site = site;
	r->host = "fra1";
	r->from = i % 2 ? "failover" : "primary";
	r->to = i % 2 ? "primary" : "failover";
	r->addresses = addr;
	r->reason = why;
	r->answer = "NOERROR";
	r->serial = 2026120200 + i % 100;
	if (i % 50 == 7) {
		r->event = "flip";
		r->who = "alice@ops1";
		r->reason = "maintenance window";
	} else if (i % 50 == 13) {
		r->event = "update_failed";
		r->answer = "REFUSED";
		r->serial = -1;
	} else if (i % 100 == 21) {
		r->event = "quorum_lost";
		r->site = r->from = r->to = r->addresses = r->answer = NULL;
		r->reason = "1 of 3 monitors fresh";
		r->serial = -1;
	}
}

int
main(int argc, char **argv)
{
	char site[64], addr[64], why[128];
	struct history_rec r;
	long lines, sites, i, n = 0;
	int64_t now, span, when;
	uint64_t t0;
	FILE *fp;
	long size;

	if (argc != 5 || (lines = atol(argv[2])) < 1 ||
	    (sites = atol(argv[3])) < 1 || atol(argv[4]) < 1) {
		fprintf(stderr, "usage: history_bench FILE LINES SITES DAYS\n");
		return 2;
	}
	now = real_ms();
	span = atol(argv[4]) * 86400000LL;
	t0 = mono_ms();
	for (i = 0; i < lines; i++) {
		when = now - span + (span * i) / lines;
		if (when > now - GAP_TO_MS && when < now - GAP_FROM_MS)
			continue;
		entry(i, sites, when, site, addr, why, &r);
		if (history_append(argv[1], (uint64_t)1 << 30, &r) == -1) {
			perror(argv[1]);
			return 1;
		}
		n++;
	}
	if ((fp = fopen(argv[1], "r")) == NULL || fseek(fp, 0, SEEK_END) ||
	    (size = ftell(fp)) < 0) {
		perror(argv[1]);
		return 1;
	}
	fclose(fp);
	printf("%ld %ld %.2f\n", n, size, (double)(mono_ms() - t0) / 1e3);
	return 0;
}
