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

/* Runs the suite; the exit status main() should return. */
int	 unit_run(Suite *);

#endif
