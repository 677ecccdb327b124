/*
 * fuzz_config.c: libFuzzer target for the sitelist.yaml loader (yamldoc,
 * yamlwalk, config, parse, addr).  Any input must give a config or
 * diagnostics, never a crash, leak or undefined behaviour.
 *
 *	make fuzz FUZZ_SECONDS=60
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "diag.h"

static char dir[64], yaml[96];

static void
setup(void)
{
	static const char key[] = "key \"failover-key\" {\n\talgorithm "
	    "hmac-sha256;\n\tsecret \"liT2SIUW7BfHrClmIh3AXrdZitXgeFvSLVdmdq3z"
	    "nUo=\";\n};\n";
	char path[96];
	int fd;

	snprintf(dir, sizeof(dir), "/tmp/fuzz-config.XXXXXX");
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/k.key", dir);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    write(fd, key, sizeof(key) - 1) != (ssize_t)(sizeof(key) - 1))
		abort();
	close(fd);
	snprintf(yaml, sizeof(yaml), "%s/sitelist.yaml", dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *cfg;
	struct diags d;
	int fd;

	if (dir[0] == '\0')
		setup();
	if ((fd = open(yaml, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1 ||
	    write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	diags_init(&d);
	cfg = config_load(yaml, &d);
	/* a config exactly when there is no error */
	if ((cfg == NULL) != (d.nerrors > 0))
		abort();
	diags_sort(&d);
	config_free(cfg);
	diags_clear(&d);
	return 0;
}
