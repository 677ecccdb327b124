/*
 * keyfile.c: a reader for the named.conf subset that BIND key files use:
 *
 *	key "name" { algorithm hmac-sha256; secret "base64"; };
 *
 * repeated, with #, // and C comments, names and algorithms quoted or
 * bare.  Messages never quote a token that could be the secret.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "keyfile.h"
#include "parse.h"
#include "util.h"

#define KEYFILE_MAX	(1024 * 1024)

static const struct {
	const char	*name, *ldns;
	size_t		 digest;	/* bytes: the secret should be as long */
} algs[] = {
	[TSIG_HMAC_MD5] = { "hmac-md5", "hmac-md5.sig-alg.reg.int.", 16 },
	[TSIG_HMAC_SHA1] = { "hmac-sha1", "hmac-sha1.", 20 },
	[TSIG_HMAC_SHA256] = { "hmac-sha256", "hmac-sha256.", 32 },
	[TSIG_HMAC_SHA512] = { "hmac-sha512", "hmac-sha512.", 64 },
};

const char *
tsig_alg_str(enum tsig_alg a)
{
	return algs[a].name;
}

const char *
tsig_alg_ldns(enum tsig_alg a)
{
	return algs[a].ldns;
}

enum tok_type {
	TOK_EOF,
	TOK_WORD,
	TOK_STRING,
	TOK_LBRACE = '{',
	TOK_RBRACE = '}',
	TOK_SEMI = ';',
	TOK_BAD
};

struct lexer {
	const char	*path;
	const char	*p, *end;
	size_t		 line, col;
	struct diags	*diags;
	size_t		 nerrors;
	/* current token */
	enum tok_type	 type;
	const char	*text;
	size_t		 len, tline, tcol;
};

static void
lex_error(struct lexer *lx, const char *msg)
{
	diag_error(lx->diags, lx->path, lx->tline, lx->tcol, "%s", msg);
	lx->nerrors++;
}

static void
lex_advance(struct lexer *lx, size_t n)
{
	for (; n > 0 && lx->p < lx->end; n--, lx->p++) {
		if (*lx->p == '\n') {
			lx->line++;
			lx->col = 1;
		} else
			lx->col++;
	}
}

/* Skips white space and comments; returns -1 on an unterminated comment. */
static int
lex_skip(struct lexer *lx)
{
	while (lx->p < lx->end) {
		const char *p = lx->p;

		if (isspace((unsigned char)*p))
			lex_advance(lx, 1);
		else if (*p == '#' || (*p == '/' && p + 1 < lx->end &&
		    p[1] == '/')) {
			while (lx->p < lx->end && *lx->p != '\n')
				lex_advance(lx, 1);
		} else if (*p == '/' && p + 1 < lx->end && p[1] == '*') {
			lx->tline = lx->line;
			lx->tcol = lx->col;
			lex_advance(lx, 2);
			while (lx->p + 1 < lx->end &&
			    !(lx->p[0] == '*' && lx->p[1] == '/'))
				lex_advance(lx, 1);
			if (lx->p + 1 >= lx->end) {
				lx->p = lx->end;
				return -1;
			}
			lex_advance(lx, 2);
		} else
			break;
	}
	return 0;
}

static int
word_char(int c)
{
	return c > ' ' && c < 0x7f && c != '{' && c != '}' && c != ';' &&
	    c != '"' && c != '#';
}

static void
lex_next(struct lexer *lx)
{
	if (lex_skip(lx) == -1) {
		lx->type = TOK_BAD;
		lex_error(lx, "unterminated comment");
		return;
	}
	lx->tline = lx->line;
	lx->tcol = lx->col;
	lx->text = lx->p;
	lx->len = 0;
	if (lx->p >= lx->end) {
		lx->type = TOK_EOF;
		return;
	}
	if (strchr("{};", *lx->p) != NULL) {
		lx->type = (enum tok_type)*lx->p;
		lex_advance(lx, 1);
		return;
	}
	if (*lx->p == '"') {
		lex_advance(lx, 1);
		lx->text = lx->p;
		while (lx->p < lx->end && *lx->p != '"' && *lx->p != '\n')
			lex_advance(lx, 1);
		if (lx->p >= lx->end || *lx->p != '"') {
			lx->type = TOK_BAD;
			lex_error(lx, "unterminated string");
			return;
		}
		lx->len = (size_t)(lx->p - lx->text);
		lx->type = TOK_STRING;
		lex_advance(lx, 1);
		return;
	}
	while (lx->p < lx->end && word_char((unsigned char)*lx->p))
		lex_advance(lx, 1);
	lx->len = (size_t)(lx->p - lx->text);
	if (lx->len == 0) {
		lx->type = TOK_BAD;
		lex_error(lx, "unexpected character");
		lex_advance(lx, 1);
		return;
	}
	lx->type = TOK_WORD;
}

static int
tok_is(const struct lexer *lx, const char *word)
{
	return lx->type == TOK_WORD && lx->len == strlen(word) &&
	    strncasecmp(lx->text, word, lx->len) == 0;
}

/* Expects a token of type t (with what naming it); consumes it. */
static int
expect(struct lexer *lx, enum tok_type t, const char *what)
{
	char msg[128];

	if (lx->type != t) {
		if (lx->type != TOK_BAD) {
			snprintf(msg, sizeof(msg), "expected %s", what);
			lex_error(lx, msg);
		}
		return -1;
	}
	lex_next(lx);
	return 0;
}

/* Whether an algorithm name is one we cannot sign with, and why. */
static const char *
alg_refusal(const char *name)
{
	if (strcmp(name, "hmac-sha224") == 0 || strcmp(name, "hmac-sha384") ==
	    0)
		return "is not supported: ldns 1.8.3, which signs our updates, "
		    "cannot sign with it (make a hmac-sha256 key: tsig-keygen "
		    "-a hmac-sha256 NAME)";
	if (strncmp(name, "hmac-", 5) == 0 && strchr(name + 5, '-') != NULL &&
	    strncmp(name, "hmac-md5.", 9) != 0)
		return "is not supported: truncated MACs cannot be signed by "
		    "ldns 1.8.3 (use the full algorithm, e.g. hmac-sha256)";
	return NULL;
}

static int
alg_parse(struct lexer *lx, struct tsig_key *k)
{
	char name[64], msg[320];
	const char *why;
	size_t n = lx->len, i;

	if (lx->type != TOK_WORD && lx->type != TOK_STRING)
		return expect(lx, TOK_WORD, "an algorithm name");
	if (n >= sizeof(name))
		n = sizeof(name) - 1;
	memcpy(name, lx->text, n);
	name[n] = '\0';
	str_lower(name);
	if (n > 0 && name[n - 1] == '.')
		name[n - 1] = '\0';
	if (strcmp(name, "hmac-md5.sig-alg.reg.int") == 0)
		name[8] = '\0';
	for (i = 0; i < NELEM(algs); i++)
		if (strcmp(name, algs[i].name) == 0)
			break;
	if (i < NELEM(algs)) {
		k->alg = (enum tsig_alg)i;
		if (k->alg == TSIG_HMAC_MD5)
			diag_warning(lx->diags, lx->path, lx->tline, lx->tcol,
			    "hmac-md5 is obsolete and weak (RFC 8945: MUST NOT "
			    "be used); move to hmac-sha256");
	} else {
		why = alg_refusal(name);
		snprintf(msg, sizeof(msg), "algorithm \"%s\" %s", name,
		    why ? why : "is unknown (use hmac-sha256, hmac-sha512, "
		    "hmac-sha1 or hmac-md5)");
		lex_error(lx, msg);
	}
	lex_next(lx);
	return expect(lx, TOK_SEMI, "';' after the algorithm");
}

/* Takes the secret; *bytes gets its decoded length (0 if invalid). */
/* Decoded length of a base64 secret, or 0 if it is not base64. */
static size_t
secret_bytes(const char *b64)
{
	ldns_rdf *rd = NULL;
	size_t n;

	if (ldns_str2rdf_b64(&rd, b64) != LDNS_STATUS_OK || rd == NULL) {
		ldns_rdf_deep_free(rd);
		return 0;
	}
	n = ldns_rdf_size(rd);
	explicit_bzero(ldns_rdf_data(rd), n);
	ldns_rdf_deep_free(rd);
	return n;
}

/* Takes the secret; *bytes gets its decoded length (0 if invalid). */
static int
secret_parse(struct lexer *lx, struct tsig_key *k, size_t *bytes)
{
	if (lx->type != TOK_STRING)
		return expect(lx, TOK_STRING, "the secret as a quoted string");
	if (k->secret != NULL) {
		lex_error(lx, "secret given twice");
		lex_next(lx);
		return expect(lx, TOK_SEMI, "';' after the secret");
	}
	k->secret = xstrndup(lx->text, lx->len);
	if ((*bytes = secret_bytes(k->secret)) == 0)
		lex_error(lx, "the secret is not valid base64");
	lex_next(lx);
	return expect(lx, TOK_SEMI, "';' after the secret");
}

static void
key_clear(struct tsig_key *k)
{
	if (k->secret != NULL) {
		explicit_bzero(k->secret, strlen(k->secret));
		free(k->secret);
	}
	free(k->name);
	memset(k, 0, sizeof(*k));
}

/* Parses the statements between the braces of a key block. */
static int
key_body(struct lexer *lx, struct tsig_key *k)
{
	size_t bytes = 0, sline = 0, scol = 0;
	int have_alg = 0;

	while (lx->type != TOK_RBRACE) {
		if (tok_is(lx, "algorithm")) {
			lex_next(lx);
			k->alg = TSIG_HMAC_SHA256;
			if (alg_parse(lx, k) == -1)
				return -1;
			have_alg = 1;
		} else if (tok_is(lx, "secret")) {
			sline = lx->tline;
			scol = lx->tcol;
			lex_next(lx);
			if (secret_parse(lx, k, &bytes) == -1)
				return -1;
		} else {
			if (lx->type != TOK_BAD)
				lex_error(lx, lx->type == TOK_EOF ?
				    "missing '}' at the end of the key block" :
				    "expected \"algorithm\", \"secret\" or '}'");
			return -1;
		}
	}
	if (!have_alg)
		lex_error(lx, "the key has no algorithm");
	if (k->secret == NULL)
		lex_error(lx, "the key has no secret");
	else if (have_alg && bytes > 0 && bytes < algs[k->alg].digest)
		diag_warning(lx->diags, lx->path, sline, scol, "the secret "
		    "is %zu bytes, shorter than the %zu bytes of %s (RFC 8945 "
		    "section 8)", bytes, algs[k->alg].digest,
		    algs[k->alg].name);
	lex_next(lx);
	return expect(lx, TOK_SEMI, "';' after '}'");
}

static int
key_name(struct lexer *lx, struct tsig_key *k)
{
	char raw[DNAME_MAXLEN + 4], norm[DNAME_MAXLEN + 2];
	char err[PARSE_ERRLEN];

	if (lx->type != TOK_WORD && lx->type != TOK_STRING)
		return expect(lx, TOK_WORD, "a key name");
	if (lx->len >= sizeof(raw)) {
		lex_error(lx, "the key name is too long");
		return -1;
	}
	memcpy(raw, lx->text, lx->len);
	raw[lx->len] = '\0';
	/* not quoted back: a misplaced secret could stand here */
	if (parse_dname(raw, 0, norm, err, sizeof(err)) == -1) {
		lex_error(lx, "the key name is not a valid domain name");
		return -1;
	}
	k->name = xstrdup(norm);
	lex_next(lx);
	return 0;
}

static void
key_add(struct keyfile *kf, struct lexer *lx, struct tsig_key *k)
{
	size_t i;
	char msg[DNAME_MAXLEN + 64];

	for (i = 0; i < kf->nkeys; i++) {
		if (strcmp(kf->keys[i].name, k->name) == 0) {
			snprintf(msg, sizeof(msg), "key \"%s\" is defined "
			    "twice (first at line %zu)", k->name,
			    kf->keys[i].line);
			diag_error(lx->diags, lx->path, k->line, 1, "%s", msg);
			lx->nerrors++;
			key_clear(k);
			return;
		}
	}
	kf->keys = xreallocarray(kf->keys, kf->nkeys + 1, sizeof(*k));
	kf->keys[kf->nkeys++] = *k;
	memset(k, 0, sizeof(*k));
}

static void
keyfile_parse(struct keyfile *kf, struct lexer *lx)
{
	struct tsig_key k;

	memset(&k, 0, sizeof(k));
	for (lex_next(lx); lx->type != TOK_EOF; ) {
		if (!tok_is(lx, "key")) {
			if (lx->type != TOK_BAD)
				lex_error(lx, "expected a \"key\" statement");
			return;
		}
		k.line = lx->tline;
		lex_next(lx);
		if (key_name(lx, &k) == -1 ||
		    expect(lx, TOK_LBRACE, "'{' after the key name") == -1 ||
		    key_body(lx, &k) == -1) {
			key_clear(&k);
			return;
		}
		key_add(kf, lx, &k);
	}
}

/* Opens path and checks that it is a private regular file. */
static int
keyfile_open(const char *path, const struct diag_ref *ref,
    struct diags *diags)
{
	struct stat st;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1 ||
	    fstat(fd, &st) == -1) {
		diag_error(diags, ref->file, ref->line, ref->col,
		    "key file %s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > KEYFILE_MAX) {
		diag_error(diags, ref->file, ref->line, ref->col,
		    "key file %s: %s", path, S_ISREG(st.st_mode) ?
		    "larger than 1 MiB" : "not a regular file");
		close(fd);
		return -1;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		diag_error(diags, ref->file, ref->line, ref->col,
		    "key file %s is accessible by group or others (mode "
		    "%04o); run: chmod 600 %s", path,
		    (unsigned)(st.st_mode & 07777), path);
		close(fd);
		return -1;
	}
	return fd;
}

/* Reads fd into a buffer that is never reallocated (no stray copies). */
static char *
keyfile_slurp(int fd, size_t *lenp)
{
	struct stat st;
	size_t cap, len = 0;
	ssize_t n;
	char *buf;

	if (fstat(fd, &st) == -1)
		return NULL;
	cap = (size_t)st.st_size + 1;
	buf = xmalloc(cap);
	while (len < cap - 1) {
		n = read(fd, buf + len, cap - 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			explicit_bzero(buf, len);
			free(buf);
			return NULL;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*lenp = len;
	return buf;
}

struct keyfile *
keyfile_load(const char *path, const struct diag_ref *ref,
    struct diags *diags)
{
	struct keyfile *kf;
	struct lexer lx;
	size_t len;
	char *buf;
	int fd;

	if ((fd = keyfile_open(path, ref, diags)) == -1)
		return NULL;
	buf = keyfile_slurp(fd, &len);
	close(fd);
	if (buf == NULL) {
		diag_error(diags, ref->file, ref->line, ref->col,
		    "key file %s: %s", path, strerror(errno));
		return NULL;
	}
	kf = xcalloc(1, sizeof(*kf));
	kf->path = xstrdup(path);
	memset(&lx, 0, sizeof(lx));
	lx.path = path;
	lx.p = buf;
	lx.end = buf + len;
	lx.line = lx.col = 1;
	lx.diags = diags;
	keyfile_parse(kf, &lx);
	explicit_bzero(buf, len);
	free(buf);
	if (lx.nerrors == 0 && kf->nkeys == 0) {
		diag_error(diags, ref->file, ref->line, ref->col,
		    "key file %s holds no key", path);
		lx.nerrors++;
	}
	if (lx.nerrors > 0) {
		keyfile_free(kf);
		return NULL;
	}
	return kf;
}

void
keyfile_free(struct keyfile *kf)
{
	size_t i;

	if (kf == NULL)
		return;
	for (i = 0; i < kf->nkeys; i++)
		key_clear(&kf->keys[i]);
	free(kf->keys);
	free(kf->path);
	free(kf);
}

const struct tsig_key *
keyfile_find(const struct keyfile *kf, const char *name)
{
	char norm[DNAME_MAXLEN + 2], err[PARSE_ERRLEN];
	size_t i;

	if (parse_dname(name, 0, norm, err, sizeof(err)) == -1)
		return NULL;
	for (i = 0; i < kf->nkeys; i++)
		if (strcmp(kf->keys[i].name, norm) == 0)
			return &kf->keys[i];
	return NULL;
}
