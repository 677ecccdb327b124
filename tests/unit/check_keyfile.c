/*
 * check_keyfile.c: the BIND key file reader.
 */
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "keyfile.h"
#include "unit.h"
#include "util.h"


struct loaded {
	struct keyfile	*kf;
	char		*msgs;		/* diagnostics, directory stripped */
};

/* Loads content written with mode; keeps the diagnostics as text. */
static struct loaded
load(const char *content, mode_t mode)
{
	struct diag_ref ref = { "sitelist.yaml", 3, 13 };
	struct loaded r;
	struct diags d;
	char *path = unit_write("t.key", content, mode);

	diags_init(&d);
	r.kf = keyfile_load(path, &ref, &d);
	r.msgs = unit_diags_text(&d);
	diags_clear(&d);
	free(path);
	return r;
}

static void
loaded_free(struct loaded *r)
{
	keyfile_free(r->kf);
	free(r->msgs);
}

START_TEST(test_tsig_keygen_format)
{
	struct loaded r = load(UNIT_KEY, 0600);

	ck_assert_str_eq(r.msgs, "");
	ck_assert_ptr_nonnull(r.kf);
	ck_assert_uint_eq(r.kf->nkeys, 1);
	ck_assert_str_eq(r.kf->keys[0].name, "failover-key");
	ck_assert_int_eq(r.kf->keys[0].alg, TSIG_HMAC_SHA256);
	ck_assert_str_eq(r.kf->keys[0].secret, UNIT_SECRET);
	ck_assert_str_eq(tsig_alg_ldns(r.kf->keys[0].alg), "hmac-sha256.");
	loaded_free(&r);
}
END_TEST

START_TEST(test_several_keys_and_comments)
{
	struct loaded r = load(
	    "# ddns-confgen style header\n"
	    "// another comment\n"
	    "/* a block\n   comment */ key Ddns-Key.Example.TEST. {\n"
	    "  algorithm \"HMAC-SHA512\"; # trailing\n"
	    "  secret \"" UNIT_SECRET512 "\";\n"
	    "};\n"
	    "key \"legacy\" { algorithm hmac-md5.sig-alg.reg.int.; "
	    "secret \"SFuWd/q99SzF8Yzd1QbB9g==\"; };\n"
	    "key sha1key{algorithm hmac-sha1;secret \"MA+QDhXbyqUak+qnMFyTyEir"
	    "zng=\";};", 0400);
	const struct tsig_key *k;

	ck_assert_str_eq(r.msgs, "t.key:8:26: warning: hmac-md5 is obsolete "
	    "and weak (RFC 8945: MUST NOT be used); move to hmac-sha256\n");
	ck_assert_ptr_nonnull(r.kf);
	ck_assert_uint_eq(r.kf->nkeys, 3);
	k = keyfile_find(r.kf, "ddns-key.example.test");
	ck_assert_ptr_nonnull(k);
	ck_assert_int_eq(k->alg, TSIG_HMAC_SHA512);
	ck_assert_uint_eq(k->line, 4);
	k = keyfile_find(r.kf, "LEGACY.");
	ck_assert_ptr_nonnull(k);
	ck_assert_int_eq(k->alg, TSIG_HMAC_MD5);
	ck_assert_str_eq(tsig_alg_ldns(k->alg), "hmac-md5.sig-alg.reg.int.");
	k = keyfile_find(r.kf, "sha1key");
	ck_assert_ptr_nonnull(k);
	ck_assert_int_eq(k->alg, TSIG_HMAC_SHA1);
	ck_assert_ptr_null(keyfile_find(r.kf, "nosuch"));
	loaded_free(&r);
}
END_TEST

/* Bad key files and the exact diagnostics they get. */
static const struct {
	const char	*content;
	mode_t		 mode;
	const char	*msgs;
} bad[] = {
	{ UNIT_KEY, 0640, "sitelist.yaml:3:13: key file t.key is accessible "
	    "by group or others (mode 0640); run: chmod 600 t.key\n" },
	{ UNIT_KEY, 0604, "sitelist.yaml:3:13: key file t.key is accessible "
	    "by group or others (mode 0604); run: chmod 600 t.key\n" },
	{ "", 0600, "sitelist.yaml:3:13: key file t.key holds no key\n" },
	{ "# only a comment\n", 0600, "sitelist.yaml:3:13: key file t.key "
	    "holds no key\n" },
	{ "key \"k\" {\n\talgorithm hmac-sha384;\n\tsecret \"" UNIT_SECRET
	    "\";\n};\n", 0600, "t.key:2:12: algorithm \"hmac-sha384\" is not "
	    "supported: ldns 1.8.3, which signs our updates, cannot sign with "
	    "it (make a hmac-sha256 key: tsig-keygen -a hmac-sha256 NAME)\n" },
	{ "key k { algorithm hmac-sha224; secret \"" UNIT_SECRET "\"; };",
	    0600, "t.key:1:19: algorithm \"hmac-sha224\" is not supported: "
	    "ldns 1.8.3, which signs our updates, cannot sign with it (make a "
	    "hmac-sha256 key: tsig-keygen -a hmac-sha256 NAME)\n" },
	{ "key k { algorithm hmac-sha256-128; secret \"" UNIT_SECRET "\"; };",
	    0600, "t.key:1:19: algorithm \"hmac-sha256-128\" is not supported: "
	    "truncated MACs cannot be signed by ldns 1.8.3 (use the full "
	    "algorithm, e.g. hmac-sha256)\n" },
	{ "key k { algorithm sha256; secret \"" UNIT_SECRET "\"; };", 0600,
	    "t.key:1:19: algorithm \"sha256\" is unknown (use hmac-sha256, "
	    "hmac-sha512, hmac-sha1 or hmac-md5)\n" },
	{ "key k { algorithm hmac-sha256; secret \"" UNIT_SECRET "\" };",
	    0600, "t.key:1:86: expected ';' after the secret\n" },
	{ "key k { algorithm hmac-sha256; };", 0600,
	    "t.key:1:32: the key has no secret\n" },
	{ "key k { secret \"" UNIT_SECRET "\"; };", 0600,
	    "t.key:1:64: the key has no algorithm\n" },
	{ "key k { algorithm hmac-sha256; secret \"not*base64\"; };", 0600,
	    "t.key:1:39: the secret is not valid base64\n" },
	{ "key k { algorithm hmac-sha256; secret " UNIT_SECRET "; };", 0600,
	    "t.key:1:39: expected the secret as a quoted string\n" },
	{ "key k { algorithm hmac-sha256; secret \"" UNIT_SECRET "\";\n",
	    0600, "t.key:2:1: missing '}' at the end of the key block\n" },
	{ "key k { algorithm hmac-sha256; secret \"" UNIT_SECRET, 0600,
	    "t.key:1:39: unterminated string\n" },
	{ "/* open comment\nkey k {};", 0600, "t.key:1:1: unterminated "
	    "comment\n" },
	{ "options { };", 0600, "t.key:1:1: expected a \"key\" statement\n" },
	{ "key k { algorithm hmac-sha256; secret \"" UNIT_SECRET "\"; "
	    "owner me; };", 0600, "t.key:1:87: expected \"algorithm\", "
	    "\"secret\" or '}'\n" },
	{ "key bad..name { };", 0600, "t.key:1:5: the key name is not a valid "
	    "domain name\n" },
	{ UNIT_KEY UNIT_KEY, 0600, "t.key:5:1: key \"failover-key\" is "
	    "defined twice (first at line 1)\n" },
	{ "key k { algorithm hmac-sha256; secret \"AAAA\"; };", 0600,
	    "t.key:1:32: warning: the secret is 3 bytes, shorter than the 32 "
	    "bytes of hmac-sha256 (RFC 8945 section 8)\n" },
};

START_TEST(test_bad)
{
	struct loaded r = load(bad[_i].content, bad[_i].mode);
	char *want = xasprintf("%s", bad[_i].msgs);

	ck_assert_str_eq(r.msgs, want);
	/* a warning alone still loads the key; an error never does */
	if (strstr(want, ": warning: ") != NULL)
		ck_assert_ptr_nonnull(r.kf);
	else
		ck_assert_ptr_null(r.kf);
	free(want);
	loaded_free(&r);
}
END_TEST

START_TEST(test_missing_file)
{
	struct diag_ref ref = { "sitelist.yaml", 3, 13 };
	struct diags d;
	char line[512];

	diags_init(&d);
	ck_assert_ptr_null(keyfile_load("/nonexistent/update.key", &ref, &d));
	ck_assert_uint_eq(d.n, 1);
	diag_format(&d, 0, line, sizeof(line));
	ck_assert_str_eq(line, "sitelist.yaml:3:13: key file "
	    "/nonexistent/update.key: No such file or directory");
	diags_clear(&d);
}
END_TEST

/* No diagnostic may quote the secret, whatever is wrong around it. */
START_TEST(test_secret_never_echoed)
{
	static const char *const files[] = {
		"key k { algorithm hmac-sha256; \"" UNIT_SECRET "\"; };",
		"key k { algorithm \"" UNIT_SECRET "\"; };",
		"key k { secret \"" UNIT_SECRET "\" algorithm hmac-sha256; };",
		"key k { secret \"" UNIT_SECRET "\"; secret \"" UNIT_SECRET
		    "\"; };",
		UNIT_SECRET,
		"key \"" UNIT_SECRET "\" { };",
	};
	struct loaded r;
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		r = load(files[i], 0600);
		ck_assert_msg(strstr(r.msgs, "liT2SIUW") == NULL, "file %zu: "
		    "%s", i, r.msgs);
		ck_assert_msg(r.msgs[0] != '\0', "file %zu: no error", i);
		loaded_free(&r);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("keyfile");
	TCase *tc = tcase_create("keyfile");

	tcase_add_checked_fixture(tc, unit_tmpdir_setup,
	    unit_tmpdir_teardown);
	tcase_add_test(tc, test_tsig_keygen_format);
	tcase_add_test(tc, test_several_keys_and_comments);
	tcase_add_loop_test(tc, test_bad, 0, (int)(sizeof(bad) /
	    sizeof(bad[0])));
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_secret_never_echoed);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
