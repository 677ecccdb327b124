/*
 * fuzz_votes.c: libFuzzer target for the votes zone's copy file
 * (mirror_load) and the TXT parsers (vote.c).  Any input must load or
 * give a reason, leaving the copy empty then; never a crash, leak or
 * undefined behaviour.  Oracles: a copy that loaded is saved and loaded
 * again and must come back the same, and a full transfer of its own
 * records changes no seen time; a record that parses is written and
 * parsed again to the same, in strings of at most 255 octets.
 *
 * The input is the file, and its lines are also one TXT RR's strings.
 *
 *	make fuzz FUZZ_TARGETS=votes FUZZ_SECONDS=60
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mirror.h"
#include "vote.h"

#define ZONE	"votes.example"

static char dir[64], path[96], path2[96];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "%s/fuzz-votes.XXXXXX",
	    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/votes", dir);
	snprintf(path2, sizeof(path2), "%s/votes2", dir);
}

static void
fail(const char *what)
{
	fprintf(stderr, "%s\n", what);
	abort();
}

static void
same(const struct mirror *a, const struct mirror *b)
{
	const struct mirror_entry *x, *y;
	size_t i, j, k;

	if (strcmp(a->zone, b->zone) != 0 || a->synced != b->synced ||
	    a->serial != b->serial || a->n != b->n)
		fail("round trip: zone, serial or entries differ");
	for (i = 0; i < a->n; i++) {
		x = &a->e[i];
		if ((y = mirror_get(b, x->owner)) == NULL)
			fail("round trip: an owner is missing");
		if (x->seen_ms != y->seen_ms || x->nrr != y->nrr)
			fail("round trip: seen time or RR count differs");
		for (j = 0; j < x->nrr; j++) {
			for (k = 0; k < y->nrr; k++)
				if (vote_txt_equal(&x->rr[j], &y->rr[k]))
					break;
			if (k == y->nrr)
				fail("round trip: an RR differs");
		}
	}
}

static int
load(const char *p, struct mirror *m)
{
	char err[256] = "";
	int rc = mirror_load(p, ZONE, m, err, sizeof(err));

	if (rc == -1 && (m->n != 0 || m->e != NULL || m->synced ||
	    err[0] == '\0'))
		fail("a refused file left entries or no reason");
	if (rc != 0 && rc != -1)
		fail("mirror_load returned neither 0 nor -1");
	return rc;
}

/* Its own records as a full transfer: nothing changed, so every seen
 * time stays. */
static void
self_transfer(const struct mirror *a)
{
	struct xfr_result r;
	struct mirror c;
	char err[256];
	size_t i, j, n = 0;

	memset(&r, 0, sizeof(r));
	r.kind = XFR_FULL;
	r.serial = a->serial + 1;
	for (i = 0; i < a->n; i++)
		n += a->e[i].nrr;
	r.c = calloc(n + 1, sizeof(*r.c));
	for (i = 0; i < a->n; i++)
		for (j = 0; j < a->e[i].nrr; j++) {
			r.c[r.n].add = true;
			r.c[r.n].owner = a->e[i].owner;
			r.c[r.n++].txt = a->e[i].rr[j];		/* borrowed */
		}
	if (mirror_load(path2, ZONE, &c, err, sizeof(err)) != 0)
		fail("the saved copy does not load");
	c.synced = true;
	mirror_apply(&c, &r, 1);
	c.serial = a->serial;
	c.synced = a->synced;
	same(a, &c);
	mirror_clear(&c);
	free(r.c);
}

static void
check_mirror(const uint8_t *data, size_t size)
{
	struct mirror a, b;
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	if (load(path, &a) == -1)
		return;
	if (mirror_save(path2, &a) == -1)
		abort();
	if (load(path2, &b) == -1)
		fail("round trip: the saved copy does not load");
	same(&a, &b);
	self_transfer(&a);
	mirror_clear(&a);
	mirror_clear(&b);
}

static void
fits(const struct vote_txt *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (strlen(t->s[i]) > 255)
			fail("a string longer than 255 octets");
}

static void
check_beat(const struct vote_txt *t)
{
	struct vote_beat a, b;
	struct vote_txt u = { 0 };
	char err[256];

	if (vote_beat_parse(t, &a, err, sizeof(err)) == -1)
		return;
	vote_beat_txt(&a, &u);
	fits(&u);
	if (vote_beat_parse(&u, &b, err, sizeof(err)) == -1 ||
	    memcmp(&a, &b, sizeof(a)) != 0)
		fail("beat: written and parsed again, differs");
	vote_txt_clear(&u);
}

static void
check_view(const struct vote_txt *t)
{
	struct vote_view a, b;
	struct vote_txt u = { 0 };
	char err[256];
	size_t i;

	if (vote_view_parse(t, &a, err, sizeof(err)) == -1) {
		if (a.set != NULL || a.nset != 0)
			fail("view: a refused view keeps addresses");
		return;
	}
	vote_view_txt(&a, &u);
	fits(&u);
	if (vote_view_parse(&u, &b, err, sizeof(err)) == -1)
		fail("view: written, does not parse again");
	if (strcmp(a.site, b.site) != 0 || a.want != b.want ||
	    a.nset != b.nset || strcmp(a.why, b.why) != 0)
		fail("view: written and parsed again, differs");
	for (i = 0; i < a.nset; i++)
		if (strcmp(a.set[i].text, b.set[i].text) != 0)
			fail("view: an address differs");
	vote_view_clear(&a);
	vote_view_clear(&b);
	vote_txt_clear(&u);
}

static void
check_hold(const struct vote_txt *t)
{
	struct vote_hold a, b;
	struct vote_txt u = { 0 };
	char err[256];

	if (vote_hold_parse(t, &a, err, sizeof(err)) == -1)
		return;
	vote_hold_txt(&a, &u);
	fits(&u);
	if (vote_hold_parse(&u, &b, err, sizeof(err)) == -1 ||
	    strcmp(a.site, b.site) != 0 || a.side != b.side ||
	    a.until != b.until || strcmp(a.by, b.by) != 0 ||
	    strcmp(a.who, b.who) != 0 || strcmp(a.reason, b.reason) != 0)
		fail("hold: written and parsed again, differs");
	vote_txt_clear(&u);
}

/* The lines as strings (at most 255 octets each, as on the wire). */
static void
check_txt(const uint8_t *data, size_t size)
{
	struct vote_txt t = { 0 };
	char id[VOTE_ID_MAX + 1], label[VOTE_LABEL_LEN + 1], *owner;
	const uint8_t *p = data, *nl;
	size_t n;

	while (p < data + size) {
		nl = memchr(p, '\n', (size_t)(data + size - p));
		n = (size_t)((nl ? nl : data + size) - p);
		vote_txt_add(&t, (const char *)p, n > 255 ? 255 : n);
		p += n + 1;
	}
	check_beat(&t);
	check_view(&t);
	check_hold(&t);
	if (t.n > 0 && !t.bad) {
		owner = t.s[0];
		vote_name_kind(ZONE, owner, id, label);
	}
	vote_txt_clear(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (dir[0] == '\0')
		setup();
	check_mirror(data, size);
	check_txt(data, size);
	return 0;
}
