/*
 * jobq.c: one worker thread, two FIFO lists under one mutex: todo
 * (submitted, not run) and done (run, not collected).  The worker tells
 * the loop through an eventfd; jobs are run and collected in submission
 * order because there is one worker and both lists are FIFO.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "jobq.h"
#include "log.h"
#include "util.h"

struct jobq_item {
	jobq_fn		*run, *done;
	void		*arg;
	struct jobq_item *next;
};

struct list {
	struct jobq_item *head, **tail;
};

struct jobq {
	pthread_t	 th;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	struct list	 todo, done;	/* under mu */
	bool		 quit;		/* under mu */
	int		 efd;		/* done has news */
	size_t		 inflight;	/* the loop's only */
};

static void
list_init(struct list *l)
{
	l->head = NULL;
	l->tail = &l->head;
}

static void
list_put(struct list *l, struct jobq_item *j)
{
	j->next = NULL;
	*l->tail = j;
	l->tail = &j->next;
}

static struct jobq_item *
list_take(struct list *l)
{
	struct jobq_item *j = l->head;

	if (j != NULL && (l->head = j->next) == NULL)
		l->tail = &l->head;
	return j;
}

static void *
worker(void *arg)
{
	struct jobq *q = arg;
	struct jobq_item *j;
	uint64_t one = 1;

	pthread_mutex_lock(&q->mu);
	for (;;) {
		/* what is queued runs even after quit: nothing is lost */
		while (q->todo.head == NULL && !q->quit)
			pthread_cond_wait(&q->cv, &q->mu);
		if ((j = list_take(&q->todo)) == NULL)
			break;
		pthread_mutex_unlock(&q->mu);
		j->run(j->arg);
		pthread_mutex_lock(&q->mu);
		list_put(&q->done, j);
		if (write(q->efd, &one, sizeof(one)) == -1) {
			/* EAGAIN: the counter is full, so already signalled */
		}
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

struct jobq *
jobq_new(void)
{
	struct jobq *q = xcalloc(1, sizeof(*q));
	int rc;

	list_init(&q->todo);
	list_init(&q->done);
	if ((q->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1) {
		free(q);
		return NULL;
	}
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	if ((rc = pthread_create(&q->th, NULL, worker, q)) != 0) {
		pthread_mutex_destroy(&q->mu);
		pthread_cond_destroy(&q->cv);
		close(q->efd);
		free(q);
		errno = rc;
		return NULL;
	}
	return q;
}

void
jobq_submit(struct jobq *q, jobq_fn *run, jobq_fn *done, void *arg)
{
	struct jobq_item *j = xcalloc(1, sizeof(*j));

	j->run = run;
	j->done = done;
	j->arg = arg;
	pthread_mutex_lock(&q->mu);
	list_put(&q->todo, j);
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
	q->inflight++;
}

int
jobq_fd(const struct jobq *q)
{
	return q->efd;
}

size_t
jobq_collect(struct jobq *q)
{
	struct list l;
	struct jobq_item *j;
	uint64_t v;
	size_t n = 0;

	/* first: a job finishing from here on signals again */
	if (read(q->efd, &v, sizeof(v)) == -1 && errno != EAGAIN)
		log_warn("eventfd");
	if (q->inflight == 0)
		return 0;
	pthread_mutex_lock(&q->mu);
	l = q->done;
	list_init(&q->done);
	pthread_mutex_unlock(&q->mu);
	while ((j = list_take(&l)) != NULL) {
		q->inflight--;
		j->done(j->arg);	/* may submit: not under mu */
		free(j);
		n++;
	}
	return n;
}

size_t
jobq_inflight(const struct jobq *q)
{
	return q->inflight;
}

void
jobq_free(struct jobq *q)
{
	struct pollfd pfd;

	if (q == NULL)
		return;
	pfd.fd = q->efd;
	pfd.events = POLLIN;
	while (q->inflight > 0) {
		if (poll(&pfd, 1, -1) == -1 && errno != EINTR)
			fatal("poll");
		jobq_collect(q);
	}
	pthread_mutex_lock(&q->mu);
	q->quit = true;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
	pthread_join(q->th, NULL);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cv);
	close(q->efd);
	free(q);
}
