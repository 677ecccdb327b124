/*
 * cmd_validate.c: "dnsfailover validate", the configuration check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cmd.h"
#include "config.h"
#include "util.h"

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Counts distinct strings in v, sorting it. */
static size_t
count_distinct(const char **v, size_t n)
{
	size_t i, d = 0;

	qsort(v, n, sizeof(*v), str_cmp);
	for (i = 0; i < n; i++)
		if (i == 0 || strcmp(v[i], v[i - 1]) != 0)
			d++;
	return d;
}

/* Appends "server" strings of c to v; the caller frees them. */
static size_t
servers_add(const struct dns_conf *c, char **v, size_t n)
{
	size_t i;

	for (i = 0; i < c->nservers; i++)
		v[n++] = xasprintf("%s#%u", c->servers[i].addr.text,
		    c->servers[i].port);
	return n;
}

static const char *
plural(size_t n)
{
	return n == 1 ? "" : "s";
}

/*
 * One line: sites, distinct zones (and how many sites find theirs by
 * SOA query), distinct DNS servers, the key or keys.
 */
static void
summary(const struct config *cfg)
{
	size_t i, nz = 0, ns, nk = 0, ndisc = 0, cap = cfg->dns.nservers;
	const char **zones, **keys;
	char **servers;

	for (i = 0; i < cfg->nsites; i++)
		cap += cfg->sites[i].dns->nservers;
	zones = xcalloc(cfg->nsites + 1, sizeof(*zones));
	keys = xcalloc(cfg->nsites + 1, sizeof(*keys));
	servers = xcalloc(cap + 1, sizeof(*servers));
	ns = servers_add(&cfg->dns, servers, 0);
	keys[nk++] = cfg->dns.key->name;
	for (i = 0; i < cfg->nsites; i++) {
		const struct site *s = &cfg->sites[i];

		if (s->zone != NULL)
			zones[nz++] = s->zone;
		else
			ndisc++;
		if (s->dns != &cfg->dns) {
			ns = servers_add(s->dns, servers, ns);
			keys[nk++] = s->dns->key->name;
		}
	}
	printf("%zu site%s", cfg->nsites, plural(cfg->nsites));
	nz = count_distinct(zones, nz);
	printf(", %zu zone%s", nz, plural(nz));
	if (ndisc > 0)
		printf(" (+%zu site%s whose zone is found by SOA query)", ndisc,
		    plural(ndisc));
	printf(", %zu DNS server%s", count_distinct((const char **)servers,
	    ns), plural(count_distinct((const char **)servers, ns)));
	nk = count_distinct(keys, nk);
	if (nk > 1)
		printf(", %zu keys (default", nk);
	else
		printf(", key");
	printf(" %s (%s)%s\n", cfg->dns.key->name,
	    tsig_alg_str(cfg->dns.key->alg), nk > 1 ? ")" : "");
	for (i = 0; i < ns; i++)
		free(servers[i]);
	free(servers);
	free(zones);
	free(keys);
}

int
cmd_validate(const struct globals *g, int argc, char **argv)
{
	struct config *cfg;

	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "dnsfailover: validate takes no arguments\n");
		return EX_USAGE;
	}
	if ((cfg = cmd_config_load(g, false)) == NULL)
		return EX_CONFIG;
	printf("configuration OK\n");
	summary(cfg);
	config_free(cfg);
	return EX_OK;
}
