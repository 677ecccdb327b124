/*
 * scheduler.h: sched.c, the daemon ("dnsfailover run"): per-site timers
 * and the canaries, rounds of the sites whose probes are back, the DNS
 * updates off the loop, saves, metrics, reloads on SIGHUP and the stop
 * on SIGTERM.  The command (cmd_run.c) only parses, starts and waits.
 * (Not sched.h: with -Iinclude that name would hide the system's
 * <sched.h>, which <pthread.h> includes.)
 */
#ifndef DNSFAILOVER_SCHEDULER_H
#define DNSFAILOVER_SCHEDULER_H

#include "cmd.h"

struct daemon;

/*
 * Loads sitelist.yaml, its diagnostics through the log.  NULL when it
 * has errors (exit EX_CONFIG).  Nothing is started yet.
 */
struct daemon	*sched_new(const struct globals *);

/*
 * Blocks SIGHUP, SIGTERM and SIGINT (read from a signalfd), starts the
 * DNS thread, takes the state lock (waiting up to 10 s), loads the
 * state and tells systemd READY=1.  EX_OK, or the exit status to leave
 * with after sched_free(): EX_TEMPFAIL (another process holds the lock)
 * or 1 (the state file cannot be read); logged.  fatal() when a thread
 * or descriptor cannot be made.
 */
int		 sched_start(struct daemon *);

/*
 * Runs until SIGTERM or SIGINT, then finishes the probes and updates in
 * flight and saves; the exit status (EX_OK).
 */
int		 sched_wait(struct daemon *);

/*
 * Stops the DNS thread, gives the notifications what is left of the
 * stop's time, releases the lock, restores the signal mask and frees
 * everything; after sched_new() alone, after a failed sched_start() or
 * after sched_wait().  NULL is a no-op.
 */
void		 sched_free(struct daemon *);

#endif
