/*
 * fuzz_keyfile.c: libFuzzer target for the BIND key file reader.  Any
 * input must load or be reported, and no diagnostic may quote a secret.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "keyfile.h"

static char path[64];

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag_ref ref = { "sitelist.yaml", 1, 1 };
	struct keyfile *kf;
	struct diags d;
	char line[2048];
	size_t i, k;
	int fd;

	if (path[0] == '\0') {
		snprintf(path, sizeof(path), "/tmp/fuzz-keyfile.%d", getpid());
	}
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	diags_init(&d);
	kf = keyfile_load(path, &ref, &d);
	if ((kf == NULL) != (d.nerrors > 0))
		abort();
	for (k = 0; kf != NULL && k < kf->nkeys; k++) {
		for (i = 0; i < d.n; i++) {
			diag_format(&d, i, line, sizeof(line));
			if (strlen(kf->keys[k].secret) >= 8 &&
			    strstr(line, kf->keys[k].secret) != NULL)
				abort();
		}
	}
	keyfile_free(kf);
	diags_clear(&d);
	return 0;
}
