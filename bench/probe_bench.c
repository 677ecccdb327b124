/*
 * probe_bench.c: one probe round over every primary and failover address
 * of a sitelist.yaml, as "dnsfailover check" will run it.  Prints wall
 * time, CPU time and peak RSS of this process.
 *
 *	probe_bench SITELIST
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <curl/curl.h>

#include "config.h"
#include "dnsio.h"
#include "probe.h"
#include "util.h"

static double
now(void)
{
	return (double)mono_ms() / 1000;
}

static double
cpu(const struct rusage *ru)
{
	return (double)ru->ru_utime.tv_sec + ru->ru_utime.tv_usec / 1e6 +
	    (double)ru->ru_stime.tv_sec + ru->ru_stime.tv_usec / 1e6;
}

int
main(int argc, char **argv)
{
	struct probe_result *res;
	struct probe_req *reqs;
	struct rusage r0, r1;
	struct prober *p;
	struct config *cfg;
	struct diags d;
	size_t i, j, n = 0, ok = 0, local = 0;
	double t0, t1;

	if (argc != 2) {
		fprintf(stderr, "usage: probe_bench SITELIST\n");
		return 64;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	probe_raise_nofile();
	diags_init(&d);
	if ((cfg = config_load(argv[1], &d)) == NULL) {
		diags_print(&d, stderr);
		return 78;
	}
	diags_clear(&d);
	for (i = 0; i < cfg->nsites; i++)
		n += cfg->sites[i].nprimary + cfg->sites[i].nfailover;
	reqs = xcalloc(n, sizeof(*reqs));
	res = xcalloc(n, sizeof(*res));
	for (i = 0, n = 0; i < cfg->nsites; i++) {
		const struct site *s = &cfg->sites[i];

		for (j = 0; j < s->nprimary + s->nfailover; j++, n++) {
			reqs[n].host = s->check.host ? s->check.host : s->name;
			reqs[n].addr = j < s->nprimary ? &s->primary[j] :
			    &s->failover[j - s->nprimary];
			reqs[n].check = &s->check;
		}
	}
	p = prober_new(cfg->max_parallel);
	getrusage(RUSAGE_SELF, &r0);
	t0 = now();
	probe_run(p, reqs, n, res);
	t1 = now();
	getrusage(RUSAGE_SELF, &r1);
	for (i = 0; i < n; i++) {
		ok += res[i].reason == PROBE_OK;
		local += res[i].reason == PROBE_LOCAL_ERROR;
		if (res[i].reason != PROBE_OK && i - ok - local < 3)
			fprintf(stderr, "%s %s: %s (%s)\n", reqs[i].host,
			    reqs[i].addr->text,
			    probe_reason_str(res[i].reason), res[i].detail);
	}
	printf("probes %zu ok %zu failed %zu local %zu parallel %u wall %.3f "
	    "cpu %.3f rss_mib %.1f rate %.0f\n", n, ok, n - ok - local, local,
	    prober_parallel(p), t1 - t0, cpu(&r1) - cpu(&r0),
	    r1.ru_maxrss / 1024.0, (double)n / (t1 - t0));
	prober_free(p);
	config_free(cfg);
	free(reqs);
	free(res);
	curl_global_cleanup();
	return ok == n ? 0 : 1;
}
