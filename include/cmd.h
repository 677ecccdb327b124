/*
 * cmd.h: the subcommands and what main() hands them.
 */
#ifndef DNSFAILOVER_CMD_H
#define DNSFAILOVER_CMD_H

#include <stdbool.h>

#include "version.h"

/* Global options, as given on the command line. */
struct globals {
	const char	*config_path;
	const char	*state_path;	/* NULL: from sitelist.yaml */
	bool		 dry_run;
	int		 verbosity;
	bool		 syslog;
	/* command options, checked against the command by main() */
	const char	*for_duration;	/* flip --for */
	const char	*reason;	/* flip --reason */
	bool		 json;		/* status, history --json */
	const char	*since;		/* history --since */
};

struct config;

/*
 * Loads sitelist.yaml and prints its warnings and errors to stderr, in
 * file order, or with to_log through the log (the daemon: syslog with
 * --syslog).  Returns the config, or NULL (exit with EX_CONFIG).
 */
struct config	*cmd_config_load(const struct globals *, bool to_log);

/* The state file: -S, else state_file from sitelist.yaml, else default. */
const char	*cmd_state_path(const struct globals *, const struct config *);

struct session;
struct round;

/*
 * What check, flip and release share: loads sitelist.yaml, selects the
 * sites named in argv[1..] (names or globs; all when none), opens the
 * session (waiting up to lock_wait_ms for the lock; none with -n) and
 * begins the round.  Returns -1 to go on, or the exit status to leave
 * with (everything released).
 */
int	cmd_round_open(const struct globals *, int argc, char **argv,
	    unsigned lock_wait_ms, struct session *, struct round *);
/*
 * Prints the plans of a dry run, ends the round and the session (saving
 * the state, and the metrics after a round that probed); the exit
 * status: 75 when an update did not apply, 1 when the state file was
 * damaged or cannot be saved, else 0.
 */
int	cmd_round_close(struct session *, struct round *);
/* -n: prints the plans the round's publish stage returned, and drops
 * them (the daemon prints them as its updates come back). */
void	cmd_print_plans(struct round *);

/*
 * A command gets its own arguments (argv[0] is its name) and returns the
 * exit status (sysexits(3)).  Commands print their own diagnostics.
 */
int	cmd_check(const struct globals *, int argc, char **argv);
int	cmd_flip(const struct globals *, int argc, char **argv);
int	cmd_history(const struct globals *, int argc, char **argv);
int	cmd_probe(const struct globals *, int argc, char **argv);
int	cmd_run(const struct globals *, int argc, char **argv);
int	cmd_release(const struct globals *, int argc, char **argv);
int	cmd_status(const struct globals *, int argc, char **argv);
int	cmd_validate(const struct globals *, int argc, char **argv);

#endif
