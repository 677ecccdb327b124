/*
 * fuzz_xfr.c: libFuzzer target for the judge of zone transfer answers,
 * dnsxfr_judge(): message IDs, the question, rcode and TSIG error, each
 * message's MAC chained to the one before, signing time, the record
 * sequence of RFC 1995 4 (uptodate, incremental, AXFR form) and the TXT
 * records kept.
 *
 * Input: one selector byte, then the answer's messages as TCP carries
 * them, each after its 2-octet length (at most 16; a short last one is
 * taken as it is).  The selector's bit 0 picks the request: a signed
 * IXFR from serial 5 (key failover-key, below) or an unsigned AXFR,
 * both ID 0x1234 for zone example.test; bit 1 the clock: the request's
 * signing time, or 301 s after it (outside the fudge).  The seeds in
 * tests/fuzz/corpus/xfr were signed against this request.  Whatever the
 * answer, the judge must not crash, leak or read out of bounds, and:
 *	- on failure the result is empty and err one line of printable
 *	  text without the secret;
 *	- on success every message was taken; a signed request's answer
 *	  verifies here on its own (one TSIG per message, chained from the
 *	  request MAC, RFC 8945 5.3.1), an unsigned one carries no TSIG;
 *	  every owner is in the zone, lower case, without a trailing dot;
 *	  an up-to-date answer has no change and the request's serial.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "dnsquery.h"
#include "dnsxfr.h"
#include "keyfile.h"

#define SECRET	"liT2SIUW7BfHrClmIh3AXrdZitXgeFvSLVdmdq3znUo="
#define ZONE	"example.test"
#define MAXMSG	16

/* dnsxfr_request(ZONE, true, 5, 0x1234, key) as made once */
static const char ixfr_hex[] = "123400000001000000010001076578616d706c65"
    "04746573740000fb0001c00c0006000100000000001600000000000500000000000000"
    "0000000000000000000c6661696c6f7665722d6b65790000fa00ff00000000003d0b68"
    "6d61632d7368613235360000006b0fd03f012c0020d685b200599548625a2014690"
    "0e25058226c3fcac49928c892e07440fe3fe947123400000000";
static const char axfr_hex[] = "123400000001000000000000076578616d706c65"
    "04746573740000fc0001";

static uint8_t	 ixfr[256], axfr[64];
static size_t	 ixfrlen, axfrlen;
static uint64_t	 signed_at;
static ldns_rdf	*reqmac;
static struct tsig_key key;

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static size_t
unhex(const char *h, uint8_t *out)
{
	size_t i, n = strlen(h) / 2;
	unsigned v;

	for (i = 0; i < n; i++) {
		if (sscanf(h + 2 * i, "%2x", &v) != 1)
			abort();
		out[i] = (uint8_t)v;
	}
	return n;
}

static void
init(void)
{
	ldns_pkt *p = NULL;

	key.name = (char *)"failover-key";
	key.alg = TSIG_HMAC_SHA256;
	key.secret = (char *)SECRET;
	ixfrlen = unhex(ixfr_hex, ixfr);
	axfrlen = unhex(axfr_hex, axfr);
	if (ldns_wire2pkt(&p, ixfr, ixfrlen) != LDNS_STATUS_OK ||
	    ldns_pkt_tsig(p) == NULL)
		abort();
	signed_at = dnsquery_u48(ldns_rr_rdf(ldns_pkt_tsig(p), 1));
	reqmac = ldns_rdf_clone(ldns_rr_rdf(ldns_pkt_tsig(p), 3));
	ldns_pkt_free(p);
}

/* The answer verified here, message by message, chained. */
static bool
chain_ok(const uint8_t *const *m, const size_t *len, size_t n)
{
	ldns_rdf *mac = ldns_rdf_clone(reqmac);
	ldns_pkt *p;
	bool ok = true;
	size_t i;

	for (i = 0; ok && i < n; i++) {
		p = NULL;
		ok = ldns_wire2pkt(&p, m[i], len[i]) == LDNS_STATUS_OK &&
		    ldns_pkt_tsig(p) != NULL && ldns_pkt_tsig_verify_next(p,
		    m[i], len[i], key.name, key.secret, mac, i > 0);
		if (ok) {
			ldns_rdf_deep_free(mac);
			mac = ldns_rdf_clone(ldns_rr_rdf(ldns_pkt_tsig(p), 3));
		}
		ldns_pkt_free(p);
	}
	ldns_rdf_deep_free(mac);
	return ok;
}

static bool
owner_ok(const char *o)
{
	size_t n = strlen(o), z = strlen(ZONE);
	const char *c;

	for (c = o; *c != '\0'; c++)
		if (*c >= 'A' && *c <= 'Z')
			return false;
	if (n == 0 || o[n - 1] == '.' || n < z || strcmp(o + n - z, ZONE))
		return false;
	return n == z || o[n - z - 1] == '.';
}

static void
check_ok(const struct xfr_result *r, bool signed_req,
    const uint8_t *const *m, const size_t *len, size_t n)
{
	size_t i;

	if (r->kind > XFR_FULL || r->messages != n)
		abort();
	if (r->kind == XFR_UPTODATE && (r->n != 0 || r->serial != 5 ||
	    !signed_req))
		abort();
	if (r->kind == XFR_INCREMENTAL && !signed_req)
		abort();	/* an AXFR has no incremental answer */
	if (signed_req && !chain_ok(m, len, n))
		abort();
	for (i = 0; !signed_req && i < n; i++)
		if (dnsquery_tsig_present(m[i], len[i]))
			abort();
	for (i = 0; i < r->n; i++)
		if (r->c[i].owner == NULL || !owner_ok(r->c[i].owner))
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *m[MAXMSG];
	size_t len[MAXMSG], n = 0, at = 1, l, i;
	struct xfr_result r;
	bool signed_req;
	char err[512];
	uint64_t now;
	int rc;

	if (reqmac == NULL)
		init();
	if (size < 1)
		return 0;
	signed_req = (data[0] & 1) == 0;
	now = signed_at + ((data[0] & 2) ? 301 : 0);
	while (n < MAXMSG && at + 2 <= size) {
		l = (size_t)data[at] << 8 | data[at + 1];
		at += 2;
		if (l > size - at)
			l = size - at;
		m[n] = data + at;
		len[n++] = l;
		at += l;
	}
	memset(err, 'x', sizeof(err));
	rc = dnsxfr_judge(signed_req ? ixfr : axfr, signed_req ? ixfrlen :
	    axfrlen, m, len, n, ZONE, signed_req ? &key : NULL, now, &r, err,
	    sizeof(err));
	if (rc == 0) {
		check_ok(&r, signed_req, m, len, n);
		dnsxfr_clear(&r);
		return 0;
	}
	if (rc != -1 || r.n != 0 || r.c != NULL)
		abort();
	if (memchr(err, '\0', sizeof(err)) == NULL)
		abort();
	for (i = 0; err[i] != '\0'; i++)
		if ((unsigned char)err[i] < 0x20 || err[i] == 0x7f)
			abort();
	if (strstr(err, SECRET) != NULL)
		abort();
	return 0;
}
