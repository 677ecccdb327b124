/*
 * fuzz_dnsreply.c: libFuzzer target for the judge of UPDATE replies,
 * dnsupdate_judge(): message ID, TSIG key name and algorithm, MAC
 * chained to the request's, signing time, TSIG error, rcode, outcome.
 *
 * Input: one selector byte, then the reply.  The selector picks one of
 * the requests the seed replies answer (fuzz_dnsreply_req.h, recorded
 * from BIND, Knot and PowerDNS by record-replies.sh, with the key each
 * was signed with) and the clock: the request's signing time, or 301 s
 * after or before it (outside the fudge).  Whatever the reply, the
 * judge must not crash, leak or read out of bounds, and:
 *	- DU_APPLIED and DU_PREREQ_FAILED come only with final;
 *	- final for a signed request only if the reply, checked here on
 *	  its own: has the request's ID; carries one TSIG RR, the last,
 *	  with our key name and algorithm, no TSIG error, a time within
 *	  300 s of the clock; and its MAC verifies, chained to the
 *	  request's; for an unsigned request only if it carries no TSIG;
 *	- what is one line of printable text without the secret.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "dnsupdate.h"
#include "keyfile.h"

#include "fuzz_dnsreply_req.h"

#define NREQ	(sizeof(rec_reqs) / sizeof(rec_reqs[0]))

static uint8_t	*req[NREQ];
static size_t	 reqlen[NREQ];
static uint64_t	 signed_at[NREQ];
static ldns_rdf	*reqmac[NREQ];		/* NULL: unsigned */
static struct tsig_key keys[3];

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static uint64_t
u48(const ldns_rdf *r)
{
	const uint8_t *p = ldns_rdf_data(r);
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < 6 && i < ldns_rdf_size(r); i++)
		v = v << 8 | p[i];
	return v;
}

/* Decodes the recorded requests and their signing times, once. */
static void
init(void)
{
	ldns_pkt *p;
	ldns_rr *t;
	size_t i, j, n;
	unsigned v;

	keys[0].name = (char *)REC_KEY_NAME;
	keys[0].alg = TSIG_HMAC_SHA256;
	keys[0].secret = (char *)REC_SECRET;
	keys[1] = keys[2] = keys[0];
	keys[1].secret = (char *)REC_WRONG_SECRET;
	keys[2].name = (char *)"nosuch-key";
	for (i = 0; i < NREQ; i++) {
		n = strlen(rec_reqs[i].hex) / 2;
		req[i] = malloc(n);
		for (j = 0; j < n; j++) {
			if (sscanf(rec_reqs[i].hex + 2 * j, "%2x", &v) != 1)
				abort();
			req[i][j] = (uint8_t)v;
		}
		reqlen[i] = n;
		p = NULL;
		if (ldns_wire2pkt(&p, req[i], n) != LDNS_STATUS_OK)
			abort();
		t = ldns_pkt_tsig(p);
		signed_at[i] = t ? u48(ldns_rr_rdf(t, 1)) : 1700000000;
		reqmac[i] = t ? ldns_rdf_clone(ldns_rr_rdf(t, 3)) : NULL;
		ldns_pkt_free(p);
	}
}

/* Past the name at w[*o]; false if it runs off the end or is bad. */
static bool
skip_dname(const uint8_t *w, size_t len, size_t *o)
{
	size_t hops = 0;

	while (*o < len && hops++ < 128) {
		if (w[*o] == 0) {
			(*o)++;
			return true;
		}
		if ((w[*o] & 0xc0) == 0xc0) {
			*o += 2;
			return *o <= len;
		}
		if (w[*o] & 0xc0)
			return false;
		*o += 1 + (size_t)w[*o];
	}
	return false;
}

/*
 * The TSIG RRs of a reply, walked on the wire (ldns keeps only the last
 * of several, and leaks the rest): how many, and whether the one there
 * is the last record.  -1 if the message does not walk.
 */
static int
tsig_count(const uint8_t *w, size_t len, bool *last)
{
	size_t o = 12, i, n, nq;
	int count = 0;
	uint16_t type;

	if (len < 12)
		return -1;
	nq = (size_t)(w[4] << 8 | w[5]);
	n = (size_t)(w[6] << 8 | w[7]) + (size_t)(w[8] << 8 | w[9]) +
	    (size_t)(w[10] << 8 | w[11]);
	for (i = 0; i < nq; i++)
		if (!skip_dname(w, len, &o) || (o += 4) > len)
			return -1;
	*last = false;
	for (i = 0; i < n; i++) {
		if (!skip_dname(w, len, &o) || o + 10 > len)
			return -1;
		type = (uint16_t)(w[o] << 8 | w[o + 1]);
		*last = type == LDNS_RR_TYPE_TSIG;
		count += *last;
		o += 10 + (size_t)(w[o + 8] << 8 | w[o + 9]);
		if (o > len)
			return -1;
	}
	return count;
}

/*
 * Whether a reply judged final is one a final answer must be, checked
 * independently of the engine: request r's ID; for a signed request one
 * TSIG, last, our name and algorithm, no error, 300 s of now, and a MAC
 * that verifies against the request's; for an unsigned one no TSIG.
 */
static bool
final_ok(const uint8_t *reply, size_t len, size_t r,
    const struct tsig_key *key, uint64_t now)
{
	ldns_rdf *name, *alg;
	ldns_pkt *p = NULL;
	ldns_rr *t;
	uint64_t at;
	bool last, ok;
	int n;

	if (len < 12 || memcmp(reply, req[r], 2) != 0)
		return false;
	if ((n = tsig_count(reply, len, &last)) < 0)
		return false;
	if (key == NULL)
		return n == 0;
	if (n != 1 || !last || ldns_wire2pkt(&p, reply, len) != LDNS_STATUS_OK)
		return false;
	t = ldns_pkt_tsig(p);
	name = ldns_dname_new_frm_str(key->name);
	alg = ldns_dname_new_frm_str("hmac-sha256.");
	ok = t != NULL && ldns_rr_rd_count(t) == 7 &&
	    ldns_dname_compare(ldns_rr_owner(t), name) == 0 &&
	    ldns_dname_compare(ldns_rr_rdf(t, 0), alg) == 0 &&
	    ldns_rdf2native_int16(ldns_rr_rdf(t, 5)) == 0;
	if (ok) {
		at = u48(ldns_rr_rdf(t, 1));
		ok = (at > now ? at - now : now - at) <= 300 &&
		    ldns_pkt_tsig_verify(p, reply, len, key->name, key->secret,
		    reqmac[r]);
	}
	ldns_rdf_deep_free(name);
	ldns_rdf_deep_free(alg);
	ldns_pkt_free(p);
	return ok;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int64_t shift[] = { 0, 301, -301 };
	const struct tsig_key *key;
	char what[256];
	uint64_t now;
	size_t r, i;
	bool final;
	int out;

	if (req[0] == NULL)
		init();
	if (size < 1)
		return 0;
	r = data[0] % NREQ;
	key = rec_reqs[r].key < 0 ? NULL : &keys[rec_reqs[r].key];
	now = (uint64_t)((int64_t)signed_at[r] + shift[data[0] / NREQ % 3]);
	memset(what, 'x', sizeof(what));
	out = dnsupdate_judge(req[r], reqlen[r], data + 1, size - 1, key, now,
	    &final, what, sizeof(what));
	if (out < DU_APPLIED || out > DU_OTHER)
		abort();
	if ((out == DU_APPLIED || out == DU_PREREQ_FAILED) && !final)
		abort();
	if (final && !final_ok(data + 1, size - 1, r, key, now))
		abort();
	if (memchr(what, '\0', sizeof(what)) == NULL)
		abort();
	for (i = 0; what[i] != '\0'; i++)
		if ((unsigned char)what[i] < 0x20 || what[i] == 0x7f)
			abort();
	if (strstr(what, REC_SECRET) != NULL)
		abort();
	return 0;
}
