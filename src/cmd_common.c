/*
 * cmd_common.c: what several commands do the same way.
 */
#include <stdio.h>

#include "cmd.h"
#include "config.h"
#include "state.h"

struct config *
cmd_config_load(const struct globals *g)
{
	struct config *cfg;
	struct diags d;

	diags_init(&d);
	cfg = config_load(g->config_path, &d);
	diags_sort(&d);
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
