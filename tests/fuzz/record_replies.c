/*
 * record_replies.c: records real UPDATE replies for the seed corpus of
 * fuzz_dnsreply (run by record-replies.sh, which starts the servers).
 *
 *	record_replies KEYFILE OUTDIR HEADER PORT [NAME...]
 *
 * Builds one request per case below with dnsupdate_build(), as the
 * engine sends them, sends each over TCP to 127.0.0.1:PORT+i for the
 * i-th server NAME (default bind knot pdns), and writes for each reply
 * OUTDIR/NAME-CASE: one byte (the case's index) and the reply.  HEADER
 * gets the requests and the throwaway key of KEYFILE, for the target.
 * Prints how dnsupdate_judge() sees each reply.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dnsio.h"
#include "dnsupdate.h"
#include "keyfile.h"
#include "util.h"

#define WRONG_SECRET	"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

enum keyuse { K_NONE = -1, K_OURS, K_WRONG_SECRET, K_UNKNOWN_NAME };

struct rcase {
	const char		*name;
	const char		*zone;
	enum keyuse		 key;
	const char		*owner;
	enum du_prereq_kind	 pre;	/* DU_PRE_EQUALS: old[] */
	int			 has_pre;
	const char		*old;
	const char		*new;
};

static const struct rcase cases[] = {
	{ "applied", "example.test", K_OURS, "www.example.test",
	    DU_PRE_EQUALS, 1, "192.0.2.10", "198.51.100.20" },
	{ "nxrrset", "example.test", K_OURS, "api.example.test",
	    DU_PRE_EQUALS, 1, "192.0.2.99", "198.51.100.30" },
	{ "yxrrset", "example.test", K_OURS, "api.example.test",
	    DU_PRE_ABSENT, 1, NULL, "198.51.100.31" },
	{ "nxdomain", "example.test", K_OURS, "nosuch.example.test",
	    DU_PRE_NAME_USED, 1, NULL, "198.51.100.32" },
	{ "yxdomain", "example.test", K_OURS, "api.example.test",
	    DU_PRE_NAME_UNUSED, 1, NULL, "198.51.100.33" },
	{ "notzone", "example.test", K_OURS, "www.other.test",
	    DU_PRE_EQUALS, 0, NULL, "198.51.100.34" },
	{ "notauth", "nosuch.test", K_OURS, "www.nosuch.test",
	    DU_PRE_EQUALS, 0, NULL, "198.51.100.35" },
	{ "badsig", "example.test", K_WRONG_SECRET, "www.example.test",
	    DU_PRE_EQUALS, 0, NULL, "198.51.100.36" },
	{ "badkey", "example.test", K_UNKNOWN_NAME, "www.example.test",
	    DU_PRE_EQUALS, 0, NULL, "198.51.100.37" },
	{ "unsigned", "example.test", K_NONE, "www.example.test",
	    DU_PRE_EQUALS, 0, NULL, "198.51.100.38" },
};
#define NCASES	(sizeof(cases) / sizeof(cases[0]))

/* The request of case i in *wire; key is the one it is signed with. */
static void
build(size_t i, const struct tsig_key *keys, uint8_t **wire, size_t *len)
{
	const struct rcase *rc = &cases[i];
	const char *old[1] = { rc->old }, *new[1] = { rc->new };
	struct du_prereq pre = { rc->pre, { DU_TYPE_A, old, rc->old ? 1 : 0 } };
	struct du_rrset set = { DU_TYPE_A, new, 1 };
	struct du_change ch = { rc->owner, 60, &pre, (size_t)rc->has_pre,
	    &set, 1 };
	char err[256];

	if (dnsupdate_build(rc->zone, &ch, 1, (uint16_t)(0x1000 + i),
	    rc->key == K_NONE ? NULL : &keys[rc->key], wire, len, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "record_replies: %s: %s\n", rc->name, err);
		exit(1);
	}
}

static void
write_file(const char *path, const uint8_t *pre, size_t npre,
    const uint8_t *p, size_t n)
{
	FILE *fp = fopen(path, "wb");

	if (fp == NULL || fwrite(pre, 1, npre, fp) != npre ||
	    fwrite(p, 1, n, fp) != n || fclose(fp) != 0) {
		fprintf(stderr, "record_replies: cannot write %s\n", path);
		exit(1);
	}
}

static void
write_header(const char *path, const struct tsig_key *key, uint8_t **req,
    const size_t *len)
{
	FILE *fp = fopen(path, "w");
	size_t i, j;

	if (fp == NULL) {
		fprintf(stderr, "record_replies: cannot write %s\n", path);
		exit(1);
	}
	fprintf(fp, "/*\n * %s: made by tests/fuzz/record-replies.sh; do "
	    "not edit.\n * The requests the replies in tests/fuzz/corpus/"
	    "dnsreply answer.  The\n * key is the throwaway one of the "
	    "fixture run that recorded them.\n */\n", strrchr(path, '/') ?
	    strrchr(path, '/') + 1 : path);
	fprintf(fp, "#define REC_KEY_NAME\t\"%s\"\n", key->name);
	fprintf(fp, "#define REC_SECRET\t\"%s\"\n", key->secret);
	fprintf(fp, "#define REC_WRONG_SECRET \"%s\"\n\n", WRONG_SECRET);
	fprintf(fp, "static const struct rec_req {\n\tconst char\t*name;\n"
	    "\tint\t\t key;\t/* -1 unsigned, 0 ours, 1 wrong secret, "
	    "2 unknown name */\n\tconst char\t*hex;\n} rec_reqs[] = {\n");
	for (i = 0; i < NCASES; i++) {
		fprintf(fp, "\t{ \"%s\", %d,", cases[i].name,
		    (int)cases[i].key);
		for (j = 0; j < len[i]; j++)
			fprintf(fp, "%s%02x%s", j % 32 == 0 ? "\n\t    \"" : "",
			    req[i][j], j % 32 == 31 || j + 1 == len[i] ? "\"" :
			    "");
		fprintf(fp, " },\n");
	}
	fprintf(fp, "};\n");
	if (fclose(fp) != 0)
		exit(1);
}

/* Sends every request to server name at port; writes what it answers. */
static void
record(const char *name, int port, const char *outdir, uint8_t **req,
    const size_t *len, const struct tsig_key *keys)
{
	char err[256], what[256], path[512];
	struct dns_server sv;
	uint8_t *reply, sel;
	size_t i, rlen;
	bool final;
	int out;

	memset(&sv, 0, sizeof(sv));
	addr_parse("127.0.0.1", &sv.addr, err, sizeof(err));
	sv.port = (uint16_t)port;
	for (i = 0; i < NCASES; i++) {
		if (dnsio_exchange(&sv, 0, req[i], len[i], mono_ms() + 3000,
		    &reply, &rlen, err, sizeof(err)) != DNSIO_OK) {
			fprintf(stderr, "record_replies: %s %s: %s\n", name,
			    cases[i].name, err);
			exit(1);
		}
		sel = (uint8_t)i;
		snprintf(path, sizeof(path), "%s/%s-%s", outdir, name,
		    cases[i].name);
		write_file(path, &sel, 1, reply, rlen);
		out = dnsupdate_judge(req[i], len[i], reply, rlen,
		    cases[i].key == K_NONE ? NULL : &keys[cases[i].key],
		    (uint64_t)time(NULL), &final, what, sizeof(what));
		printf("%-5s %-9s %-20s %-5s %s\n", name, cases[i].name,
		    du_outcome_str((enum du_outcome)out), final ? "final" :
		    "next", what);
		free(reply);
	}
}

int
main(int argc, char *argv[])
{
	static const char *const defnames[] = { "bind", "knot", "pdns" };
	const char *const *names = argc > 5 ? (const char *const *)argv + 5 :
	    defnames;
	size_t nnames = argc > 5 ? (size_t)argc - 5 : 3, i, s;
	struct diag_ref ref = { "record", 1, 1 };
	struct tsig_key keys[3];
	struct keyfile *kf;
	struct diags d;
	uint8_t *req[NCASES];
	size_t len[NCASES];
	int port;

	if (argc < 5) {
		fprintf(stderr, "usage: record_replies KEYFILE OUTDIR HEADER "
		    "PORT [NAME...]\n");
		return 64;
	}
	diags_init(&d);
	if ((kf = keyfile_load(argv[1], &ref, &d)) == NULL) {
		fprintf(stderr, "record_replies: cannot load %s\n", argv[1]);
		return 1;
	}
	port = (int)strtol(argv[4], NULL, 10);
	if (port < 1 || port > 65533) {
		fprintf(stderr, "record_replies: bad port %s\n", argv[4]);
		return 64;
	}
	keys[K_OURS] = keys[K_WRONG_SECRET] = keys[K_UNKNOWN_NAME] =
	    kf->keys[0];
	keys[K_WRONG_SECRET].secret = (char *)WRONG_SECRET;
	keys[K_UNKNOWN_NAME].name = (char *)"nosuch-key";
	for (i = 0; i < NCASES; i++)
		build(i, keys, &req[i], &len[i]);
	for (s = 0; s < nnames; s++)
		record(names[s], port + (int)s, argv[2], req, len, keys);
	write_header(argv[3], &kf->keys[0], req, len);
	for (i = 0; i < NCASES; i++)
		free(req[i]);
	keyfile_free(kf);
	diags_clear(&d);
	return 0;
}
