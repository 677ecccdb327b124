/*
 * fuzz_state.c: libFuzzer target for the state file reader (state.c,
 * yamldoc, yamlwalk, parse, addr).  Any input must give a state or
 * diagnostics, never both nor neither, nor a crash, leak or undefined
 * behaviour.  And a real oracle: a state that loaded is saved and loaded
 * again, and must come back the same, field by field.
 *
 *	make fuzz FUZZ_TARGETS=state FUZZ_SECONDS=60
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "diag.h"
#include "state.h"

static char dir[64], path[96], path2[96];

/* In memory when it can be: every save is fsynced. */
static void
setup(void)
{
	snprintf(dir, sizeof(dir), "%s/fuzz-state.XXXXXX",
	    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/state", dir);
	snprintf(path2, sizeof(path2), "%s/state2", dir);
}

static void
differ(const char *site, const char *what)
{
	fprintf(stderr, "round trip: %s: %s differs\n", site, what);
	abort();
}

static void
addr_same(const char *site, const char *what, const struct addr *a,
    const struct addr *b)
{
	if (a->family != b->family || strcmp(a->text, b->text) != 0 ||
	    memcmp(&a->u, &b->u, a->family == AF_INET ? sizeof(a->u.v4) :
	    sizeof(a->u.v6)) != 0)
		differ(site, what);
}

static void
addrs_same(const char *site, const char *what, const struct addr *a,
    size_t na, const struct addr *b, size_t nb)
{
	size_t i;

	if (na != nb)
		differ(site, what);
	for (i = 0; i < na; i++)
		addr_same(site, what, &a[i], &b[i]);
}

static void
side_same(const char *site, const struct addr_state *a, size_t na,
    const struct addr_state *b, size_t nb)
{
	size_t i;

	if (na != nb)
		differ(site, "number of addresses");
	for (i = 0; i < na; i++) {
		addr_same(site, "address", &a[i].addr, &b[i].addr);
		if (a[i].health != b[i].health || a[i].ok_run != b[i].ok_run ||
		    a[i].fail_run != b[i].fail_run ||
		    a[i].last_reason != b[i].last_reason ||
		    a[i].probed != b[i].probed ||
		    (a[i].probed && a[i].last_ms != b[i].last_ms))
			differ(site, "address health");
		if (strcmp(a[i].last_error, b[i].last_error) != 0)
			differ(site, "address error");
	}
}

static void
hold_same(const char *site, const struct hold *a, const struct hold *b)
{
	if (a->active != b->active)
		differ(site, "hold");
	if (a->active && (a->side != b->side || a->until != b->until ||
	    strcmp(a->reason, b->reason) != 0 || strcmp(a->who, b->who) != 0))
		differ(site, "hold fields");
}

static void
site_same(const struct state_site *a, const struct state_site *b)
{
	const struct site_state *x = &a->st, *y = &b->st;

	if (strcmp(a->name, b->name) != 0)
		differ(a->name, "name");
	if (x->side != y->side || x->drift != y->drift ||
	    x->last_change != y->last_change ||
	    strcmp(x->last_reason, y->last_reason) != 0)
		differ(a->name, "side, drift or last change");
	if (x->published_known != y->published_known)
		differ(a->name, "published known");
	if (x->published_known)
		addrs_same(a->name, "published", x->published, x->npublished,
		    y->published, y->npublished);
	hold_same(a->name, &x->hold, &y->hold);
	if (a->pending != b->pending)
		differ(a->name, "pending");
	if (a->pending) {
		addrs_same(a->name, "want", a->want, a->nwant, b->want,
		    b->nwant);
		if (a->pending_since != b->pending_since ||
		    strcmp(a->pending_error, b->pending_error) != 0)
			differ(a->name, "pending fields");
	}
	if (memcmp(&a->n, &b->n, sizeof(a->n)) != 0)
		differ(a->name, "counters");
	if (a->alert_both_down != b->alert_both_down ||
	    a->alert_update_failed != b->alert_update_failed ||
	    a->alert_cert_expiring != b->alert_cert_expiring ||
	    a->alert_failback_ready != b->alert_failback_ready)
		differ(a->name, "alerts");
	if (x->up_since != y->up_since ||
	    x->failback_since != y->failback_since ||
	    x->side_by_hand != y->side_by_hand ||
	    x->nswitched != y->nswitched || (x->nswitched > 0 &&
	    memcmp(x->switched, y->switched, x->nswitched *
	    sizeof(*x->switched)) != 0))
		differ(a->name, "failback or switches");
	side_same(a->name, x->primary, x->nprimary, y->primary, y->nprimary);
	side_same(a->name, x->failover, x->nfailover, y->failover,
	    y->nfailover);
}

/* Loads p; a state exactly when there is no error, none after one. */
static int
load(const char *p, struct state *st)
{
	struct diags d;
	int rc;

	diags_init(&d);
	rc = state_load(p, st, &d);
	if ((rc == 0) != (d.nerrors == 0) || (rc != 0 && rc != -1))
		abort();
	if (rc == -1 && (st->nsites != 0 || st->sites != NULL))
		abort();
	diags_sort(&d);
	diags_clear(&d);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct state a, b;
	size_t i;
	int fd;

	if (dir[0] == '\0')
		setup();
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	if (load(path, &a) == -1)
		return 0;
	if (state_save(path2, &a) == -1)
		abort();
	if (load(path2, &b) == -1) {
		fprintf(stderr, "round trip: the saved state does not load\n");
		abort();
	}
	if (a.nsites != b.nsites || a.alert_isolated != b.alert_isolated)
		differ("-", "number of sites or monitor alert");
	if (a.blind_since != b.blind_since ||
	    a.blind_rounds != b.blind_rounds ||
	    strcmp(a.blind_cause, b.blind_cause) != 0)
		differ("-", "probing");
	for (i = 0; i < a.nsites; i++)
		site_same(&a.sites[i], &b.sites[i]);
	state_clear(&a);
	state_clear(&b);
	return 0;
}
