/*
 * unit.c: temporary files and config loading for the Check suites.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "unit.h"
#include "util.h"

static char tmpdir[64];

void
unit_tmpdir_setup(void)
{
	str_copy(tmpdir, "/tmp/dnsfailover-unit.XXXXXX", sizeof(tmpdir));
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

void
unit_tmpdir_teardown(void)
{
	char *cmd = xasprintf("rm -rf '%s'", tmpdir);

	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
	free(cmd);
}

const char *
unit_tmpdir(void)
{
	return tmpdir;
}

char *
unit_write(const char *name, const char *content, mode_t mode)
{
	char *path = xasprintf("%s/%s", tmpdir, name);
	size_t len = strlen(content);
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fchmod(fd, mode), 0);
	ck_assert_int_eq(write(fd, content, len), (ssize_t)len);
	close(fd);
	return path;
}

char *
unit_diags_text(const struct diags *d)
{
	char *out = xcalloc(1, 1), line[2048], prefix[80];
	const char *p, *hit;
	size_t i, len = 0, n, pl;

	pl = (size_t)snprintf(prefix, sizeof(prefix), "%s/", tmpdir);
	for (i = 0; i < d->n; i++) {
		diag_format(d, i, line, sizeof(line));
		for (p = line; *p != '\0'; p = hit + pl) {
			hit = strstr(p, prefix);
			n = hit ? (size_t)(hit - p) : strlen(p);
			out = xreallocarray(out, len + n + 2, 1);
			memcpy(out + len, p, n);
			len += n;
			if (hit == NULL)
				break;
		}
		out[len++] = '\n';
		out[len] = '\0';
	}
	return out;
}

char *
unit_load(const char *yaml, struct config **cfgp)
{
	struct config *cfg;
	struct diags d;
	char *path, *out;

	free(unit_write("k.key", UNIT_KEY, 0600));
	path = unit_write("sitelist.yaml", yaml, 0644);
	diags_init(&d);
	cfg = config_load(path, &d);
	diags_sort(&d);
	out = unit_diags_text(&d);
	diags_clear(&d);
	free(path);
	if (cfgp != NULL)
		*cfgp = cfg;
	else
		config_free(cfg);
	return out;
}

int
unit_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int nf;

	srunner_run_all(sr, CK_ENV);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
