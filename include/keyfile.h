/*
 * keyfile.h: TSIG keys from BIND key files (tsig-keygen, ddns-confgen).
 *
 * The secret is kept in base64, as ldns takes it, never printed, and
 * wiped with explicit_bzero() before its memory is released.
 */
#ifndef DNSFAILOVER_KEYFILE_H
#define DNSFAILOVER_KEYFILE_H

#include <stddef.h>

#include "diag.h"

enum tsig_alg {
	TSIG_HMAC_MD5,
	TSIG_HMAC_SHA1,
	TSIG_HMAC_SHA256,
	TSIG_HMAC_SHA512
};

/* "hmac-sha256"; for messages. */
const char	*tsig_alg_str(enum tsig_alg);
/* The name ldns_pkt_tsig_sign() accepts: "hmac-sha256.", ... */
const char	*tsig_alg_ldns(enum tsig_alg);

struct tsig_key {
	char		*name;		/* normalised: lower case, no dot */
	enum tsig_alg	 alg;
	char		*secret;	/* base64; never print */
	size_t		 line;		/* where the key block starts */
};

struct keyfile {
	char		*path;
	struct tsig_key	*keys;
	size_t		 nkeys;
};

/*
 * Reads every key block of path.  Problems inside the file are reported
 * to diags as path:line:col; problems with the file as a whole (missing,
 * unreadable, accessible by group or others, no key in it) are reported
 * at ref (the sitelist.yaml position that named the file).  Returns the
 * keys, or NULL when any error was reported.  Never prints a secret.
 */
struct keyfile	*keyfile_load(const char *path, const struct diag_ref *ref,
		    struct diags *);

/* Wipes the secrets and frees; NULL is a no-op. */
void		 keyfile_free(struct keyfile *);

/* Borrowed pointer to the key named name (any case, dot optional). */
const struct tsig_key *keyfile_find(const struct keyfile *, const char *name);

#endif
