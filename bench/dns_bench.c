/*
 * dns_bench.c: N records of one zone switched to new addresses in one
 * dnsupdate_apply() call against a local server, verify on: the call
 * returns when the server serves every new record.  Then every record is
 * read back once more, independently.
 *
 *	dns_bench KEYFILE PORT N
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsio.h"
#include "dnsquery.h"
#include "dnsupdate.h"
#include "keyfile.h"
#include "util.h"

static double
now(void)
{
	return (double)mono_ms() / 1000;
}

/* All N names to addresses 10.x or 172.x (base), with or without CAS. */
static void
round_(const struct dns_conf *c, char (*names)[48], struct addr *cur,
    struct addr *next, size_t n, const char *label)
{
	struct du_addrs *d = xcalloc(n, sizeof(*d));
	struct du_change *ch = xcalloc(n, sizeof(*ch));
	struct du_report r;
	double t0, t1;
	size_t i;

	for (i = 0; i < n; i++) {
		du_addrs_init(&d[i], names[i], 60, &next[i], 1, cur ? &cur[i] :
		    NULL, cur ? 1 : 0, true);
		ch[i] = d[i].change;
	}
	t0 = now();
	dnsupdate_apply(c, "example.test", ch, n, NULL, &r);
	t1 = now();
	printf("%-8s records %zu applied+served %zu messages %zu bytes %zu "
	    "time %.3f s%s%s\n", label, n, r.napplied, r.nmessages, r.bytes,
	    t1 - t0, r.outcome == DU_APPLIED ? "" : "  FAILED: ",
	    r.outcome == DU_APPLIED ? "" : r.msg);
	for (i = 0; i < n; i++)
		du_addrs_clear(&d[i]);
	free(d);
	free(ch);
}

int
main(int argc, char **argv)
{
	struct diag_ref ref = { "bench", 1, 1 };
	struct keyfile *kf;
	struct dns_server sv;
	struct dns_conf c;
	struct diags d;
	struct addr *a, *b, **got;
	char (*names)[48], err[256];
	const char **np;
	size_t n, i, *ng, ok = 0;
	double t0;

	if (argc != 4)
		return 64;
	n = strtoul(argv[3], NULL, 10);
	diags_init(&d);
	if ((kf = keyfile_load(argv[1], &ref, &d)) == NULL)
		return 78;
	memset(&c, 0, sizeof(c));
	addr_parse("127.0.0.1", &sv.addr, err, sizeof(err));
	sv.port = (uint16_t)atoi(argv[2]);
	sv.source = NULL;
	c.servers = &sv;
	c.nservers = 1;
	c.key = &kf->keys[0];
	c.transport = DNS_TCP;
	c.timeout_ms = 10000;
	c.verify = true;
	names = xcalloc(n, sizeof(*names));
	np = xcalloc(n, sizeof(*np));
	a = xcalloc(n, sizeof(*a));
	b = xcalloc(n, sizeof(*b));
	for (i = 0; i < n; i++) {
		char ip[32];

		snprintf(names[i], sizeof(names[i]), "r%zu.example.test", i);
		np[i] = names[i];
		snprintf(ip, sizeof(ip), "10.%zu.%zu.%zu", i >> 16,
		    (i >> 8) & 255, i & 255);
		addr_parse(ip, &a[i], err, sizeof(err));
		snprintf(ip, sizeof(ip), "172.16.%zu.%zu", (i >> 8) & 255,
		    i & 255);
		addr_parse(ip, &b[i], err, sizeof(err));
	}
	round_(&c, names, NULL, a, n, "create");
	round_(&c, names, a, b, n, "switch");
	got = xcalloc(n, sizeof(*got));
	ng = xcalloc(n, sizeof(*ng));
	t0 = now();
	if (dnsquery_read_addrs(&c, np, n, got, ng, err, sizeof(err)) == 0)
		for (i = 0; i < n; i++)
			ok += ng[i] == 1 && addr_equal(&got[i][0], &b[i]);
	printf("readback records %zu serving the new address %zu (%.3f s)\n",
	    n, ok, now() - t0);
	for (i = 0; i < n; i++)
		free(got[i]);
	free(got);
	free(ng);
	free(names);
	free(np);
	free(a);
	free(b);
	keyfile_free(kf);
	diags_clear(&d);
	return ok == n ? 0 : 1;
}
