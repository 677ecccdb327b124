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
 *	- final for a signed request only if the reply carries a TSIG RR
 *	  with our key name, no TSIG error and a time within its fudge;
 *	  for an unsigned request only if the reply carries none;
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
		ldns_pkt_free(p);
	}
}

/* Whether a reply judged final carries what a final answer must. */
static bool
final_ok(const uint8_t *reply, size_t len, const struct tsig_key *key,
    uint64_t now)
{
	ldns_pkt *p = NULL;
	ldns_rdf *name;
	ldns_rr *t;
	uint64_t at;
	bool ok;

	if (ldns_wire2pkt(&p, reply, len) != LDNS_STATUS_OK)
		return false;
	t = ldns_pkt_tsig(p);
	if (key == NULL || t == NULL) {
		ok = key == NULL && t == NULL;
		ldns_pkt_free(p);
		return ok;
	}
	name = ldns_dname_new_frm_str(key->name);
	at = u48(ldns_rr_rdf(t, 1));
	ok = ldns_rr_rd_count(t) >= 7 &&
	    ldns_dname_compare(ldns_rr_owner(t), name) == 0 &&
	    ldns_rdf2native_int16(ldns_rr_rdf(t, 5)) == 0 &&
	    (at > now ? at - now : now - at) <=
	    ldns_rdf2native_int16(ldns_rr_rdf(t, 2));
	ldns_rdf_deep_free(name);
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
	if (final && !final_ok(data + 1, size - 1, key, now))
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
