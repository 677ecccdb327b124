/*
 * cmd_probe.c: "dnsfailover probe SITE", one probe of every address of a
 * site, printed in detail.  Changes nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>
#include <time.h>

#include "cmd.h"
#include "config.h"
#include "probe.h"
#include "util.h"

/* cert_warn: "certificate expires 2026-12-03T10:00:00Z (in 1d 23h)". */
static void
print_cert(const struct check_spec *c, const struct probe_result *r)
{
	int64_t left = r->cert_expires - (int64_t)time(NULL);
	char when[32], span[32], warn[32];

	if (c->type != CHECK_HTTPS || c->http.cert_warn_ms == 0 ||
	    r->cert_expires == 0)
		return;
	time_rfc3339((time_t)r->cert_expires, when, sizeof(when));
	duration_short(left < 0 ? -left : left, span, sizeof(span));
	if (c->http.cert_warn_ms % 86400000 == 0)
		snprintf(warn, sizeof(warn), "%llud", (unsigned long long)
		    (c->http.cert_warn_ms / 86400000));
	else
		format_duration(c->http.cert_warn_ms, warn, sizeof(warn));
	printf("  certificate expires %s (%s%s%s)%s%s", when, left < 0 ?
	    "" : "in ", span, left < 0 ? " ago" : "", r->cert_expiring ?
	    ", within cert_warn " : "", r->cert_expiring ? warn : "");
}

static void
print_result(const char *side, const struct addr *a,
    const struct check_spec *c, const struct probe_result *r)
{
	char status[16] = "-", e[4 * sizeof(r->detail)];

	if (r->http_status > 0)
		snprintf(status, sizeof(status), "%d", r->http_status);
	printf("%-8s  %-25s  %-4s  %-24s  %4s  %5u ms", side, a->text,
	    r->reason == PROBE_OK ? "ok" : "FAIL", probe_reason_str(r->reason),
	    status, r->total_ms);
	if (r->reason != PROBE_OK)
		printf("  (%s)", str_escape(e, r->detail, sizeof(e)));
	print_cert(c, r);
	printf("\n");
}

static void
probe_site(const struct config *cfg, const struct site *s)
{
	size_t n = s->nprimary + s->nfailover, i;
	struct probe_req *reqs = xcalloc(n, sizeof(*reqs));
	struct probe_result *res = xcalloc(n, sizeof(*res));
	struct prober *p = prober_new(cfg->max_parallel);
	char what[512];

	prober_set_source(p, cfg->monitor.source4, cfg->monitor.source6);
	for (i = 0; i < n; i++) {
		reqs[i].host = s->check.host ? s->check.host : s->name;
		reqs[i].site = s->name;
		reqs[i].addr = i < s->nprimary ? &s->primary[i] :
		    &s->failover[i - s->nprimary];
		reqs[i].check = &s->check;
	}
	probe_run(p, reqs, n, res);
	probe_describe(&reqs[0], what, sizeof(what));
	/* each type escapes the text of its own it shows */
	printf("%s: %s\n", s->name, what);
	for (i = 0; i < n; i++)
		print_result(i < s->nprimary ? "primary" : "failover",
		    reqs[i].addr, &s->check, &res[i]);
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
