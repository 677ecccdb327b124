/*
 * jobq.h: work off the loop's thread.  One worker thread runs the jobs,
 * one at a time in the order they were submitted, so that slow work (a
 * DNS server that takes seconds) never delays the loop; what a job
 * found is taken back on the loop's thread, where the daemon's data
 * lives, so that nothing but the job itself is ever shared.
 *
 * A job is two functions and their argument: run(arg) on the worker,
 * then done(arg) on the loop, from jobq_collect().  Jobs of any kind
 * (different run and done functions) share one queue.  All functions
 * but run are for the loop's thread only.
 */
#ifndef DNSFAILOVER_JOBQ_H
#define DNSFAILOVER_JOBQ_H

#include <stddef.h>

struct jobq;

typedef void	jobq_fn(void *arg);

/*
 * A queue with its worker started.  The worker inherits the caller's
 * signal mask: block signals first.  NULL with errno when the eventfd
 * or the thread cannot be made; does not log.
 */
struct jobq	*jobq_new(void);

/*
 * Queues run(arg), then done(arg).  arg is the caller's: the queue
 * never reads or frees it; run must touch nothing the loop uses while
 * the job is in flight, done may (and may submit more jobs).
 */
void	jobq_submit(struct jobq *, jobq_fn *run, jobq_fn *done, void *arg);

/*
 * A descriptor that is readable while a job has finished and not been
 * collected: for poll(2) or prober_step()'s extra descriptors.
 */
int	jobq_fd(const struct jobq *);

/*
 * Calls done for every finished job not yet collected, in the order
 * they were submitted; returns how many.  Never waits.
 */
size_t	jobq_collect(struct jobq *);

/* Jobs submitted whose done has not been called yet. */
size_t	jobq_inflight(const struct jobq *);

/*
 * Waits for every job in flight (also those that done functions submit
 * meanwhile), calls their done, stops the worker and frees the queue.
 * NULL is a no-op.
 */
void	jobq_free(struct jobq *);

#endif
