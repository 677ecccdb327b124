/*
 * main.c: option parsing and the command table.
 *
 * Global options may stand before or after the command
 * ("dnsfailover validate -c FILE" works), as GNU getopt permutes them.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <curl/curl.h>
#include <ldns/ldns.h>
#include <yaml.h>

#include "cmd.h"
#include "config.h"
#include "log.h"
#include "probe.h"
#include "util.h"

struct command {
	const char	*name;
	int		(*fn)(const struct globals *, int, char **);
	const char	*args;
	const char	*help;
	const char	*options;	/* the command options it takes */
};

/* Commands appear here, and in --help, once they really work. */
static const struct command commands[] = {
	{ "check", cmd_check, "[SITE...]",
	    "one round: probe, decide, update DNS, save state", "" },
	{ "run", cmd_run, "",
	    "daemon: probe each site every interval, act, until SIGTERM", "" },
	{ "status", cmd_status, "[--json] [SITE...]",
	    "what each site serves, the health of its addresses, and why",
	    "json" },
	{ "flip", cmd_flip, "SITE... primary|failover [--for DURATION] "
	    "[--reason TEXT]", "publish that side now and hold it there",
	    "for,reason" },
	{ "release", cmd_release, "SITE... [--reason TEXT]",
	    "hand held sites back to automatic control", "reason" },
	{ "history", cmd_history, "[SITE...] [--since DURATION] [--json]",
	    "every change and event, oldest first, with its cause",
	    "json,since" },
	{ "validate", cmd_validate, "",
	    "check sitelist.yaml and the TSIG key file", "" },
	{ "probe", cmd_probe, "SITE",
	    "probe the site's addresses once and show each result", "" },
};

static void
usage(FILE *fp)
{
	size_t i;

	fprintf(fp,
	    "usage: dnsfailover [-c FILE] [-S FILE] [-n] [-v]... [-q] "
	    "[--syslog] COMMAND [ARG...]\n"
	    "\n"
	    "commands:\n");
	for (i = 0; i < NELEM(commands); i++)
		fprintf(fp, "  %s%s%s\n      %s\n", commands[i].name,
		    commands[i].args[0] ? " " : "",
		    commands[i].args, commands[i].help);
	fprintf(fp,
	    "\n"
	    "options:\n"
	    "  -c FILE    sitelist.yaml to use (default %s)\n"
	    "  -S FILE    state file (default: state_file from sitelist.yaml)\n"
	    "  -n         dry run: decide and print, send and save nothing\n"
	    "  -v, -q     more, less logging\n"
	    "  --syslog   log to syslog (daemon facility)\n"
	    "  --help     this text; --version: the version\n"
	    "\n"
	    "See dnsfailover(8) and sitelist.yaml(5).\n",
	    CONFIG_DEFAULT_PATH);
}

static void
version(void)
{
	curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);

	printf("dnsfailover %s (libcurl %s, ldns %s, libyaml %s)\n",
	    DNSFAILOVER_VERSION, cv->version, ldns_version(),
	    yaml_get_version_string());
}

static int
usage_error(const char *msg, const char *arg)
{
	fprintf(stderr, "dnsfailover: %s%s%s\n", msg, arg ? " " : "",
	    arg ? arg : "");
	fprintf(stderr, "Try 'dnsfailover --help'.\n");
	return EX_USAGE;
}

/* Parses global options; returns -1 to go on, or an exit status. */
static int
options_parse(int argc, char **argv, struct globals *g)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "syslog", no_argument, NULL, 'L' },
		{ "for", required_argument, NULL, 'F' },
		{ "reason", required_argument, NULL, 'R' },
		{ "json", no_argument, NULL, 'J' },
		{ "since", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":c:S:nvqhV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c': g->config_path = optarg; break;
		case 'S': g->state_path = optarg; break;
		case 'n': g->dry_run = true; break;
		case 'v': g->verbosity = g->verbosity < 0 ? 1 :
			      g->verbosity + 1; break;
		case 'q': g->verbosity = -1; break;
		case 'L': g->syslog = true; break;
		case 'F': g->for_duration = optarg; break;
		case 'R': g->reason = optarg; break;
		case 'J': g->json = true; break;
		case 'T': g->since = optarg; break;
		case 'h': usage(stdout); return EX_OK;
		case 'V': version(); return EX_OK;
		case ':':
			return usage_error("missing argument for option",
			    argv[optind - 1]);
		default:
			return usage_error("unknown option", argv[optind - 1]);
		}
	}
	return -1;
}

static const struct command *
command_find(const char *name)
{
	size_t i;

	for (i = 0; i < NELEM(commands); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

int
main(int argc, char **argv)
{
	struct globals g = { .config_path = CONFIG_DEFAULT_PATH };
	const struct command *cmd;
	int rc;

	if ((rc = options_parse(argc, argv, &g)) >= 0)
		return rc;
	if (optind >= argc)
		return usage_error("no command given", NULL);
	if ((cmd = command_find(argv[optind])) == NULL)
		return usage_error("unknown command", argv[optind]);
	if ((g.for_duration && !strstr(cmd->options, "for")) ||
	    (g.reason && !strstr(cmd->options, "reason")) ||
	    (g.json && !strstr(cmd->options, "json")) ||
	    (g.since && !strstr(cmd->options, "since")))
		return usage_error("option not valid for command",
		    cmd->name);
	log_init(g.syslog ? LOG_TO_SYSLOG : LOG_TO_STDERR, g.verbosity,
	    "dnsfailover");
	signal(SIGPIPE, SIG_IGN);	/* OpenSSL may write to a closed socket */
	probe_raise_nofile();
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		fatalx("cannot initialise libcurl");
	rc = cmd->fn(&g, argc - optind, argv + optind);
	curl_global_cleanup();
	return rc;
}
