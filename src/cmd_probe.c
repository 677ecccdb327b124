/*
 * cmd_probe.c: "dnsfailover probe SITE", one probe of every address of a
 * site, printed in detail.  Changes nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>

#include "cmd.h"
#include "config.h"
#include "probe.h"
#include "util.h"

static void
print_result(const char *side, const struct addr *a,
    const struct probe_result *r)
{
	char status[16] = "-", e[4 * sizeof(r->detail)];

	if (r->http_status > 0)
		snprintf(status, sizeof(status), "%d", r->http_status);
	printf("%-8s  %-25s  %-4s  %-24s  %4s  %5u ms", side, a->text,
	    r->reason == PROBE_OK ? "ok" : "FAIL", probe_reason_str(r->reason),
	    status, r->total_ms);
	if (r->reason != PROBE_OK)
		printf("  (%s)", str_escape(e, r->detail, sizeof(e)));
	printf("\n");
}

static void
probe_site(const struct config *cfg, const struct site *s)
{
	size_t n = s->nprimary + s->nfailover, i;
	struct probe_req *reqs = xcalloc(n, sizeof(*reqs));
	struct probe_result *res = xcalloc(n, sizeof(*res));
	struct prober *p = prober_new(cfg->max_parallel);

	for (i = 0; i < n; i++) {
		reqs[i].host = s->check.host ? s->check.host : s->name;
		reqs[i].addr = i < s->nprimary ? &s->primary[i] :
		    &s->failover[i - s->nprimary];
		reqs[i].check = &s->check;
	}
	probe_run(p, reqs, n, res);
	printf("%s: %s %s://%s:%u%s\n", s->name, http_method_str(s->check.method),
	    check_type_str(s->check.type), reqs[0].host, s->check.port,
	    s->check.type == CHECK_TCP ? "" : s->check.path);
	for (i = 0; i < n; i++)
		print_result(i < s->nprimary ? "primary" : "failover",
		    reqs[i].addr, &res[i]);
	prober_free(p);
	free(reqs);
	free(res);
}

int
cmd_probe(const struct globals *g, int argc, char **argv)
{
	const struct site *s;
	struct config *cfg;

	if (argc != 2) {
		fprintf(stderr, "dnsfailover: usage: probe SITE\n");
		return EX_USAGE;
	}
	if ((cfg = cmd_config_load(g, false)) == NULL)
		return EX_CONFIG;
	if ((s = config_site_find(cfg, argv[1])) == NULL) {
		fprintf(stderr, "dnsfailover: unknown site %s\n", argv[1]);
		config_free(cfg);
		return EX_USAGE;
	}
	probe_site(cfg, s);
	config_free(cfg);
	return EX_OK;
}
