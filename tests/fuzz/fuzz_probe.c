/*
 * fuzz_probe.c: libFuzzer target for the response handling that is ours
 * (src/probe.c, src/probe_http.c), each piece against an oracle written
 * another way:
 *
 *	body scan:	the body, cut into chunks at points the input
 *			chooses, is fed to probe_scan_feed(); after every
 *			chunk its answer must equal memmem() on everything
 *			fed so far;
 *	status match:	probe_status_expected() must agree with a bitmap
 *			of the codes the ranges cover.
 *
 * Input, first byte even (scan): L, needle (L % 64 bytes), K, K chunk
 * sizes (0 is an empty chunk), the body.  First byte odd (status): N,
 * N ranges as 2 + 2 bytes (lo, hi), then codes as 4 bytes each.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Takes n bytes from the input; NULL once it runs out. */
static const uint8_t *
take(const uint8_t **p, size_t *left, size_t n)
{
	const uint8_t *q = *p;

	if (*left < n)
		return NULL;
	*p += n;
	*left -= n;
	return q;
}

/*
 * Feeds chunk by chunk, each copied to the very end of a heap buffer so
 * that ASan sees a read past the chunk (one buffer per input: a malloc
 * per chunk filled ASan's quarantine to over a gigabyte).
 */
static void
fuzz_scan(const uint8_t *p, size_t left)
{
	char needle[65];
	const uint8_t *q, *sizes, *body;
	struct probe_scan sc;
	size_t m, k, nbody, off = 0, i, n;
	bool got, want, any = false;
	char *buf;

	if ((q = take(&p, &left, 1)) == NULL)
		return;
	m = q[0] % 64;
	if ((q = take(&p, &left, m)) == NULL)
		return;
	memcpy(needle, q, m);
	needle[m] = '\0';		/* a NUL inside makes it shorter */
	m = strlen(needle);
	if ((q = take(&p, &left, 1)) == NULL)
		return;
	k = q[0];
	if ((sizes = take(&p, &left, k)) == NULL)
		return;
	body = p;
	nbody = left;
	for (i = 0; i < k; i++)
		any |= sizes[i] != 0;
	if ((buf = malloc(nbody ? nbody : 1)) == NULL)
		abort();
	probe_scan_init(&sc, needle);
	for (i = 0; off < nbody || i < k; i++) {
		n = k == 0 || (!any && i >= k) ? nbody - off : sizes[i % k];
		if (n > nbody - off)
			n = nbody - off;
		memcpy(buf + nbody - n, body + off, n);
		got = probe_scan_feed(&sc, buf + nbody - n, n);
		off += n;
		want = memmem(body, off, needle, m) != NULL;
		if (got != want)
			abort();
	}
	probe_scan_free(&sc);
	free(buf);
}

static void
fuzz_status(const uint8_t *p, size_t left)
{
	static uint8_t covered[65536 / 8];
	struct status_range r[16];
	struct check_spec c;
	const uint8_t *q;
	size_t n, i;
	uint32_t v, code;
	long lcode;

	if ((q = take(&p, &left, 1)) == NULL)
		return;
	n = q[0] % (sizeof(r) / sizeof(r[0]) + 1);
	memset(covered, 0, sizeof(covered));
	for (i = 0; i < n; i++) {
		if ((q = take(&p, &left, 4)) == NULL)
			return;
		r[i].lo = (uint16_t)(q[0] << 8 | q[1]);
		r[i].hi = (uint16_t)(q[2] << 8 | q[3]);
		for (v = r[i].lo; v <= r[i].hi; v++)
			covered[v / 8] |= (uint8_t)(1u << (v % 8));
	}
	memset(&c, 0, sizeof(c));
	c.http.expect = r;
	c.http.nexpect = n;
	while ((q = take(&p, &left, 4)) != NULL) {
		code = (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 |
		    (uint32_t)q[2] << 8 | q[3];
		lcode = q[0] & 0x80 ? -(long)(code & 0x7fffffff) : (long)code;
		if (probe_status_expected(&c, lcode) != (lcode >= 0 &&
		    lcode < 65536 && (covered[lcode / 8] >> (lcode % 8) & 1)))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] & 1)
		fuzz_status(data + 1, size - 1);
	else
		fuzz_scan(data + 1, size - 1);
	return 0;
}
