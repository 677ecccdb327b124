/*
 * publish.c: the program's side of publishing: requests, outcomes in
 * its own words, and the choice of a publisher for DNS settings.  What
 * a publisher does is in its own file (publish_rfc2136.c).
 */
#include <stdlib.h>
#include <string.h>

#include "publish.h"
#include "util.h"

static const char *const outcome_names[] = {
	[PUBLISH_APPLIED] = "applied",
	[PUBLISH_ALREADY] = "already served",
	[PUBLISH_CHANGED] = "changed by someone else",
	[PUBLISH_REFUSED] = "refused",
	[PUBLISH_NO_ANSWER] = "no answer",
	[PUBLISH_FAILED] = "failed",
	[PUBLISH_PLANNED] = "planned (dry run)",
};

const char *
publish_outcome_str(enum publish_outcome o)
{
	return outcome_names[o];
}

void
publish_req_init(struct publish_req *r, const struct dns_conf *dns,
    const char *const *names, size_t nnames, const char *zone, uint32_t ttl,
    const struct addr *want, size_t nwant)
{
	memset(r, 0, sizeof(*r));
	r->serial = -1;
	r->dns = dns;
	r->names = names;
	r->nnames = nnames;
	r->zone = zone;
	r->ttl = ttl;
	r->want = want;
	r->nwant = nwant;
	r->outcome = PUBLISH_FAILED;
}

void
publish_req_clear(struct publish_req *r)
{
	free(r->plan);
	r->plan = NULL;
}

/*
 * Every dns_conf speaks RFC 2136 with TSIG today.  Another publisher is
 * chosen here, from a setting of dns (its key's kind, a provider).
 */
const struct publisher_ops *
publisher_of(const struct dns_conf *dns)
{
	(void)dns;
	return &publisher_rfc2136;
}

void
publish_run(struct publish_req **reqs, size_t n)
{
	struct publish_req **g = xcalloc(n + 1, sizeof(*g));
	bool *done = xcalloc(n + 1, sizeof(*done));
	size_t i, k, ng;

	for (i = 0; i < n; i++) {	/* what a publisher does not set */
		reqs[i]->outcome = PUBLISH_FAILED;
		reqs[i]->zone_found[0] = reqs[i]->why[0] = '\0';
		publish_req_clear(reqs[i]);
	}
	for (i = 0; i < n; i++) {
		if (done[i])
			continue;
		for (k = i, ng = 0; k < n; k++)
			if (!done[k] && reqs[k]->dns == reqs[i]->dns) {
				g[ng++] = reqs[k];
				done[k] = true;
			}
		publisher_of(reqs[i]->dns)->publish(reqs[i]->dns, g, ng);
	}
	free(g);
	free(done);
}

int
publish_read(const struct dns_conf *dns, const char *const *names,
    size_t n, struct addr **addrs, size_t *naddrs, char *err, size_t errlen)
{
	return publisher_of(dns)->read(dns, names, n, addrs, naddrs, err,
	    errlen);
}

int
publish_read_same(const struct dns_conf *dns, const char *const *names,
    size_t n, struct addr **addrs, size_t *naddrs, size_t *differs,
    char *err, size_t errlen)
{
	struct addr **a = xcalloc(n + 1, sizeof(*a));
	size_t *na = xcalloc(n + 1, sizeof(*na)), k;
	int rc = 0;

	*addrs = NULL;
	*naddrs = 0;
	if (publish_read(dns, names, n, a, na, err, errlen) == -1)
		rc = -1;
	for (k = 1; rc == 0 && k < n; k++)
		if (!addr_same_set(a[k], na[k], a[0], na[0])) {
			*differs = k;
			rc = 1;
		}
	if (rc == 0) {
		*addrs = a[0];
		*naddrs = na[0];
		a[0] = NULL;
	}
	for (k = 0; k < n; k++)
		free(a[k]);
	free(a);
	free(na);
	return rc;
}
