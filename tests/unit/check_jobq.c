/*
 * check_jobq.c: the off-thread job queue: done in submission order on
 * the caller's thread, two kinds of job in one queue, the in-flight
 * count, the eventfd's readiness, and a stop with jobs in flight.
 */
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "jobq.h"
#include "unit.h"
#include "util.h"

/* A job held in run() until the test opens the gate. */
static pthread_mutex_t	gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	gate_cv = PTHREAD_COND_INITIALIZER;
static bool		gate_open;

static pthread_t	loop_thread;	/* the test's own */
static char		trail[512];	/* what the done functions saw */
static int		ndone, nrun;	/* nrun: the worker's only */

struct num {			/* kind A: squares n on the worker */
	int		 n, sq;
	pthread_t	 ran_on;
};

struct text {			/* kind B: writes a word on the worker */
	char		 word[16];
	const char	*src;
};

static void
num_run(void *arg)
{
	struct num *a = arg;

	usleep((useconds_t)(1000 * (a->n % 3)));	/* uneven work */
	a->sq = a->n * a->n;
	a->ran_on = pthread_self();
}

static void
num_done(void *arg)
{
	struct num *a = arg;

	ck_assert(pthread_equal(pthread_self(), loop_thread));
	ck_assert(!pthread_equal(a->ran_on, loop_thread));
	ck_assert_int_eq(a->sq, a->n * a->n);
	snprintf(trail + strlen(trail), sizeof(trail) - strlen(trail),
	    "A%d ", a->n);
	ndone++;
}

static void
text_run(void *arg)
{
	struct text *t = arg;

	str_copy(t->word, t->src, sizeof(t->word));
}

static void
text_done(void *arg)
{
	struct text *t = arg;
	size_t len = strlen(trail);

	ck_assert(pthread_equal(pthread_self(), loop_thread));
	snprintf(trail + len, sizeof(trail) - len, "B%zu:%s ",
	    strlen(t->word), t->word);
	ndone++;
}

static void
gated_run(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&gate_mu);
	while (!gate_open)
		pthread_cond_wait(&gate_cv, &gate_mu);
	pthread_mutex_unlock(&gate_mu);
	nrun++;
}

static void
slow_run(void *arg)
{
	(void)arg;
	usleep(20000);
	nrun++;
}

static void
count_done(void *arg)
{
	(void)arg;
	ck_assert(pthread_equal(pthread_self(), loop_thread));
	ndone++;
}

static void
open_gate(void)
{
	pthread_mutex_lock(&gate_mu);
	gate_open = true;
	pthread_cond_broadcast(&gate_cv);
	pthread_mutex_unlock(&gate_mu);
}

/* Whether the queue's descriptor becomes readable within ms. */
static bool
readable(struct jobq *q, int ms)
{
	struct pollfd p = { jobq_fd(q), POLLIN, 0 };

	return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

/* Collects, waiting on the descriptor, until n done were called. */
static void
collect_until(struct jobq *q, int n)
{
	int tries;

	for (tries = 0; ndone < n && tries < 500; tries++)
		if (readable(q, 10))
			jobq_collect(q);
	ck_assert_int_eq(ndone, n);
}

static void
setup(void)
{
	loop_thread = pthread_self();
	trail[0] = '\0';
	ndone = nrun = 0;
	gate_open = false;
}

START_TEST(test_done_in_submission_order)
{
	struct jobq *q = jobq_new();
	struct num a[12];
	char want[512] = "";
	int i;

	ck_assert_ptr_nonnull(q);
	jobq_submit(q, gated_run, count_done, NULL);	/* all queue up */
	for (i = 0; i < 12; i++) {
		a[i].n = i;
		jobq_submit(q, num_run, num_done, &a[i]);
		snprintf(want + strlen(want), sizeof(want) - strlen(want),
		    "A%d ", i);
	}
	open_gate();
	usleep(200000);		/* all finished: collected in one go */
	collect_until(q, 13);
	ck_assert_str_eq(trail, want);
	ck_assert_uint_eq(jobq_inflight(q), 0);
	jobq_free(q);
}
END_TEST

START_TEST(test_two_kinds)
{
	struct jobq *q = jobq_new();
	struct num a[3] = { { .n = 2 }, { .n = 3 }, { .n = 4 } };
	struct text t[2] = { { .src = "reads" }, { .src = "dns" } };

	jobq_submit(q, num_run, num_done, &a[0]);
	jobq_submit(q, text_run, text_done, &t[0]);
	jobq_submit(q, num_run, num_done, &a[1]);
	jobq_submit(q, text_run, text_done, &t[1]);
	jobq_submit(q, num_run, num_done, &a[2]);
	ck_assert_uint_eq(jobq_inflight(q), 5);
	collect_until(q, 5);
	ck_assert_str_eq(trail, "A2 B5:reads A3 B3:dns A4 ");
	jobq_free(q);
}
END_TEST

START_TEST(test_inflight_count)
{
	struct jobq *q = jobq_new();

	ck_assert_uint_eq(jobq_inflight(q), 0);
	ck_assert_uint_eq(jobq_collect(q), 0);
	jobq_submit(q, slow_run, count_done, NULL);
	jobq_submit(q, gated_run, count_done, NULL);
	jobq_submit(q, slow_run, count_done, NULL);
	ck_assert_uint_eq(jobq_inflight(q), 3);
	collect_until(q, 1);		/* the gate holds the rest */
	ck_assert_uint_eq(jobq_inflight(q), 2);
	ck_assert(!readable(q, 50));
	ck_assert_uint_eq(jobq_collect(q), 0);
	open_gate();
	collect_until(q, 3);
	ck_assert_uint_eq(jobq_inflight(q), 0);
	jobq_free(q);
}
END_TEST

START_TEST(test_eventfd_readiness)
{
	struct jobq *q = jobq_new();

	ck_assert(!readable(q, 0));
	jobq_submit(q, gated_run, count_done, NULL);
	ck_assert(!readable(q, 50));	/* running, not finished */
	open_gate();
	ck_assert(readable(q, 2000));
	ck_assert(readable(q, 0));	/* stays so until collected */
	ck_assert_uint_eq(jobq_collect(q), 1);
	ck_assert(!readable(q, 0));
	ck_assert_int_eq(ndone, 1);
	jobq_free(q);
}
END_TEST

/* A done that submits a follow-up (reads first, then the update). */
static struct jobq *chain_q;

static void
chain_done(void *arg)
{
	count_done(arg);
	if (ndone < 3)
		jobq_submit(chain_q, slow_run, chain_done, NULL);
}

START_TEST(test_stop_with_jobs_in_flight)
{
	struct jobq *q = jobq_new();
	int i;

	for (i = 0; i < 5; i++)
		jobq_submit(q, slow_run, count_done, NULL);
	ck_assert_uint_eq(jobq_inflight(q), 5);
	jobq_free(q);			/* waits: nothing is lost */
	ck_assert_int_eq(ndone, 5);
	ck_assert_int_eq(nrun, 5);

	ndone = nrun = 0;
	chain_q = jobq_new();
	jobq_submit(chain_q, slow_run, chain_done, NULL);
	jobq_free(chain_q);		/* ... also what done submits */
	ck_assert_int_eq(ndone, 3);
	ck_assert_int_eq(nrun, 3);
	jobq_free(NULL);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("jobq");
	TCase *tc = tcase_create("jobq");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_done_in_submission_order);
	tcase_add_test(tc, test_two_kinds);
	tcase_add_test(tc, test_inflight_count);
	tcase_add_test(tc, test_eventfd_readiness);
	tcase_add_test(tc, test_stop_with_jobs_in_flight);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
