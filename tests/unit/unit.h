/*
 * unit.h: helpers shared by the Check suites.
 */
#ifndef DNSFAILOVER_UNIT_H
#define DNSFAILOVER_UNIT_H

#include <check.h>
#include <sys/types.h>

#include "config.h"
#include "diag.h"

/* A valid TSIG key, as tsig-keygen writes it.  Test data only. */
#define UNIT_SECRET	"liT2SIUW7BfHrClmIh3AXrdZitXgeFvSLVdmdq3znUo="
#define UNIT_SECRET512	"3Vl0VmLh8P9kh4p3ypeJ+pUjvAaz0E3o7BdhUY+8GEytOKn8p4hm" \
			"rA5CIBBHUJCa3TqIxUZrC49AOX20RP6tGQ=="
#define UNIT_KEY	"key \"failover-key\" {\n\talgorithm hmac-sha256;\n" \
			"\tsecret \"" UNIT_SECRET "\";\n};\n"

/* Fixture: a fresh temporary directory per test, removed afterwards. */
void	 unit_tmpdir_setup(void);
void	 unit_tmpdir_teardown(void);
const char *unit_tmpdir(void);

/* Writes content to name in the temporary directory; returns the path. */
char	*unit_write(const char *name, const char *content, mode_t mode);

/*
 * Writes yaml as sitelist.yaml next to a valid k.key and loads it.
 * Returns every diagnostic, one per line, with the directory stripped
 * ("sitelist.yaml:3:5: ..."), or "" when there is none.  *cfg gets the
 * config (NULL on errors) when cfg is not NULL.  The caller frees both.
 */
char	*unit_load(const char *yaml, struct config **cfg);

/*
 * All diagnostics as text, one per line, with every "<tmpdir>/" removed
 * so that expectations read "t.key:1:5: ...".  The caller frees it.
 */
char	*unit_diags_text(const struct diags *);

/*
 * The HTTP(S) fixture (tests/fixture/httpd.c, path in $HTTPD), for an
 * unchecked fixture: started once in the parent, stopped by its pid.
 * Listeners are "ADDR" (plain) or "ADDR/tls" entries, all on port
 * unit_httpd_port() (plain) or unit_httpd_port() + 1 (TLS).  A test CA
 * and certificate for a.test, *.a.test, site.test are made at start.
 */
void	 unit_httpd_start(const char *const *addrs, size_t n);
void	 unit_httpd_stop(void);
int	 unit_httpd_port(void);
const char *unit_httpd_dir(void);
/* Sends "set NAME ..." to the fixture; fails the test unless "ok". */
void	 unit_httpd_set(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
/* The request log lines so far; the caller frees. */
char	*unit_httpd_log(void);

/*
 * For suites that start BIND (tests/fixture/dns.sh): the first port from
 * from on (in steps of step, 10 tries) free for both TCP and UDP on
 * 127.0.0.1; the key file at path, loaded (fails the test otherwise);
 * the DNS settings for one server at 127.0.0.1:port over TCP, verify on;
 * what dig sees for name and type, values sorted one per line (the
 * caller frees).
 */
int		 unit_free_port(int from, int step);
struct keyfile	*unit_keyfile(const char *path);
struct dns_conf	 unit_dns_conf(struct dns_server *sv, int port,
		    const struct tsig_key *key, uint64_t timeout_ms);
char		*unit_dig(int port, const char *name, const char *type);

/* Runs the suite; the exit status main() should return. */
int	 unit_run(Suite *);

#endif
