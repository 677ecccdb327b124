/*
 * cmd_common.c: what several commands do the same way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "config.h"
#include "log.h"
#include "state.h"

void
cmd_diags_log(const struct diags *d)
{
	char *buf = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *fp;

	if ((fp = open_memstream(&buf, &len)) == NULL)
		fatal("open_memstream");
	diags_print(d, fp);
	fclose(fp);
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		log_warnx("%s", line);
	free(buf);
}

struct config *
cmd_config_load(const struct globals *g, bool to_log)
{
	struct config *cfg;
	struct diags d;

	diags_init(&d);
	cfg = config_load(g->config_path, &d);
	diags_sort(&d);
	if (to_log)
		cmd_diags_log(&d);
	else
		diags_print(&d, stderr);
	diags_clear(&d);
	return cfg;
}

const char *
cmd_state_path(const struct globals *g, const struct config *cfg)
{
	if (g->state_path != NULL)
		return g->state_path;
	return cfg->state_file != NULL ? cfg->state_file : STATE_DEFAULT_PATH;
}
