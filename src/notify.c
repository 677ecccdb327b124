/*
 * notify.c: delivering events without ever holding up the caller.
 *
 * notify_send() copies the event into a bounded queue; one thread takes
 * them in order.  The exec hook is started with posix_spawn (no shell:
 * the site name and the reason are data, never code) and killed when it
 * outlives the time limit; the webhook is one POST per try, three tries.
 * Delivery problems are logged; the webhook's URL is logged without its
 * path and query, which often carry a token.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "log.h"
#include "notify.h"
#include "util.h"
#include "version.h"

#define QUEUE_MAX	1024	/* events waiting; more are dropped */
#define TRIES		3	/* webhook */
#define KILL_GRACE_MS	2000	/* SIGTERM, then this long, then SIGKILL */
#define MAX_HOOKS	16	/* exec hooks running at once */
#define STOP_KILL_MS	500	/* stopping: SIGTERM, this long, SIGKILL */

extern char **environ;

struct child {
	pid_t		pid;
	uint64_t	term_at, kill_at;	/* monotonic ms */
	bool		termed;
	char		event[24];
};

struct notifier {
	char		*exec;		/* NULL: none */
	char		*webhook;	/* NULL: none */
	char		*webhook_log;	/* scheme://host only */
	uint64_t	 timeout_ms;
	char		 host[256];

	pthread_t	 thread;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	struct event	*queue;		/* ring */
	size_t		 head, count;
	size_t		 dropped;
	bool		 stopping;
	/* stopping: nothing is waited for past this (the libcurl progress
	 * callback reads it on the worker thread) */
	_Atomic uint64_t stop_by;

	struct child	*kids;		/* thread only */
	size_t		 nkids;
};

static const char *const kinds[] = {
	[EV_SWITCH] = "switch",
	[EV_FLIP] = "flip",
	[EV_RELEASE] = "release",
	[EV_BOTH_DOWN] = "both_down",
	[EV_UPDATE_FAILED] = "update_failed",
	[EV_UPDATE_APPLIED] = "update_applied",
	[EV_DRIFT] = "drift",
	[EV_MONITOR_ISOLATED] = "monitor_isolated",
	[EV_STATE_BROKEN] = "state_broken",
	[EV_CERT_EXPIRING] = "cert_expiring",
	[EV_QUORUM_LOST] = "quorum_lost",
	[EV_QUORUM_REGAINED] = "quorum_regained",
	[EV_FAILBACK_READY] = "failback_ready",
	[EV_FLAPPING] = "flapping",
};

const char *
event_str(enum event_kind k)
{
	return kinds[k];
}

void
event_init(struct event *ev, enum event_kind k, const char *site, time_t now)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = k;
	if (site != NULL)
		str_copy(ev->site, site, sizeof(ev->site));
	ev->time = now;
}

/* ---- the JSON body ---- */

static void
json_str(FILE *fp, const char *s)
{
	const unsigned char *p;

	fputc('"', fp);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(fp, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(fp, "\\u%04x", *p);
		else
			fputc(*p, fp);
	}
	fputc('"', fp);
}

char *
notify_json(const struct event *ev, const char *host)
{
	char *buf = NULL, when[32], *a, *tok, *save = NULL;
	size_t len = 0, n = 0;
	FILE *fp = open_memstream(&buf, &len);

	if (fp == NULL)
		fatal("open_memstream");
	time_rfc3339(ev->time, when, sizeof(when));
	fputs("{\"event\":", fp);
	json_str(fp, event_str(ev->kind));
	fputs(",\"site\":", fp);
	json_str(fp, ev->site);
	fputs(",\"from\":", fp);
	json_str(fp, ev->from);
	fputs(",\"to\":", fp);
	json_str(fp, ev->to);
	fputs(",\"addresses\":[", fp);
	a = xstrdup(ev->addresses);
	for (tok = strtok_r(a, ", ", &save); tok != NULL;
	    tok = strtok_r(NULL, ", ", &save)) {
		fputs(n++ ? "," : "", fp);
		json_str(fp, tok);
	}
	free(a);
	fputs("],\"reason\":", fp);
	json_str(fp, ev->reason);
	fputs(",\"time\":", fp);
	json_str(fp, when);
	fprintf(fp, ",\"timestamp\":%lld,\"host\":", (long long)ev->time);
	json_str(fp, host);
	fputs("}\n", fp);
	if (fclose(fp) != 0)
		fatal("open_memstream");
	return buf;
}

/* ---- exec ---- */

/* NAME=value with control characters replaced: one line per value. */
static char *
env_var(const char *name, const char *value)
{
	char *s = xasprintf("%s=%s", name, value), *p;

	for (p = s + strlen(name) + 1; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return s;
}

static uint64_t	reap(struct notifier *);

/* Whether notify_free_by()'s deadline has passed. */
static bool
overdue(struct notifier *n)
{
	uint64_t by = atomic_load(&n->stop_by);

	return by != 0 && mono_ms() >= by;
}

static void
run_exec(struct notifier *n, const struct event *ev)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t sa;
	sigset_t none, dfl;
	char when[32], **envp, *argv[3];
	size_t ne = 0, i, k = 0;
	pid_t pid;
	int rc;

	while (reap(n), n->nkids >= MAX_HOOKS && !overdue(n))
		usleep(50000);		/* a burst: in turn */
	if (overdue(n)) {
		log_warnx("notify: stopping; %s %s dropped (not delivered)",
		    event_str(ev->kind), ev->site);
		return;
	}
	for (ne = 0; environ[ne] != NULL; ne++)
		;
	envp = xcalloc(ne + 9, sizeof(*envp));
	for (i = 0; i < ne; i++)	/* ours replace any inherited ones */
		if (strncmp(environ[i], "DNSFAILOVER_", 12) != 0)
			envp[k++] = environ[i];
	i = k;
	time_rfc3339(ev->time, when, sizeof(when));
	envp[k++] = env_var("DNSFAILOVER_EVENT", event_str(ev->kind));
	envp[k++] = env_var("DNSFAILOVER_SITE", ev->site);
	envp[k++] = env_var("DNSFAILOVER_FROM", ev->from);
	envp[k++] = env_var("DNSFAILOVER_TO", ev->to);
	envp[k++] = env_var("DNSFAILOVER_REASON", ev->reason);
	envp[k++] = env_var("DNSFAILOVER_ADDRESSES", ev->addresses);
	envp[k++] = env_var("DNSFAILOVER_TIME", when);
	envp[k++] = env_var("DNSFAILOVER_HOST", n->host);
	argv[0] = n->exec;
	argv[1] = (char *)(uintptr_t)event_str(ev->kind);
	argv[2] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	/*
	 * The daemon blocks its signals (signalfd) and ignores SIGPIPE; a
	 * hook must start with neither, or SIGTERM at its time limit would
	 * not stop it and its pipes would misbehave.
	 */
	posix_spawnattr_init(&sa);
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	sigaddset(&dfl, SIGHUP);
	sigaddset(&dfl, SIGINT);
	sigaddset(&dfl, SIGTERM);
	posix_spawnattr_setsigmask(&sa, &none);
	posix_spawnattr_setsigdefault(&sa, &dfl);
	/* its own process group: the time limit stops what it started too */
	posix_spawnattr_setpgroup(&sa, 0);
	posix_spawnattr_setflags(&sa, POSIX_SPAWN_SETSIGMASK |
	    POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
	rc = posix_spawn(&pid, n->exec, &fa, &sa, argv, envp);
	posix_spawnattr_destroy(&sa);
	posix_spawn_file_actions_destroy(&fa);
	for (; i < k; i++)
		free(envp[i]);
	free(envp);
	if (rc != 0) {
		log_warnx("notify: cannot run %s for %s %s: %s", n->exec,
		    event_str(ev->kind), ev->site, strerror(rc));
		return;
	}
	n->kids = xreallocarray(n->kids, n->nkids + 1, sizeof(*n->kids));
	n->kids[n->nkids].pid = pid;
	n->kids[n->nkids].term_at = mono_ms() + n->timeout_ms;
	n->kids[n->nkids].kill_at = n->kids[n->nkids].term_at + KILL_GRACE_MS;
	n->kids[n->nkids].termed = false;
	str_copy(n->kids[n->nkids].event, event_str(ev->kind),
	    sizeof(n->kids[0].event));
	n->nkids++;
}

/* Reaps ended hooks, stops overdue ones; ms until the next deadline. */
static uint64_t
reap(struct notifier *n)
{
	uint64_t now = mono_ms(), next = UINT64_MAX;
	size_t i = 0;
	int status;

	while (i < n->nkids) {
		struct child *c = &n->kids[i];
		pid_t r = waitpid(c->pid, &status, WNOHANG);

		if (r == c->pid || (r == -1 && errno == ECHILD)) {
			if (r == c->pid && WIFEXITED(status) &&
			    WEXITSTATUS(status) != 0)
				log_warnx("notify: %s (%s) exited with status "
				    "%d", n->exec, c->event,
				    WEXITSTATUS(status));
			else if (r == c->pid && WIFSIGNALED(status) &&
			    !c->termed)
				log_warnx("notify: %s (%s) killed by signal "
				    "%d", n->exec, c->event, WTERMSIG(status));
			n->kids[i] = n->kids[--n->nkids];
			continue;
		}
		if (!c->termed && now >= c->term_at) {
			log_warnx("notify: %s (%s) still running after %llu "
			    "ms; stopping it", n->exec, c->event,
			    (unsigned long long)n->timeout_ms);
			kill(-c->pid, SIGTERM);
			c->termed = true;
		} else if (!c->termed && overdue(n)) {
			log_warnx("notify: stopping; %s (%s) still running: "
			    "stopped", n->exec, c->event);
			kill(-c->pid, SIGTERM);
			c->termed = true;
			c->kill_at = now + STOP_KILL_MS;
		} else if (c->termed && overdue(n) && c->kill_at > now +
		    STOP_KILL_MS)
			c->kill_at = now + STOP_KILL_MS;
		else if (c->termed && now >= c->kill_at)
			kill(-c->pid, SIGKILL);
		next = c->termed ? (c->kill_at > now ? c->kill_at - now : 10) :
		    c->term_at - now < next ? c->term_at - now : next;
		i++;
	}
	return next;
}

/* ---- webhook ---- */

/* scheme://host[:port] of url, without user info, path or query. */
static char *
url_for_log(const char *url)
{
	const char *h = strstr(url, "://"), *end, *at;

	if (h == NULL)
		return xstrdup("(webhook)");
	h += 3;
	end = h + strcspn(h, "/?#");
	at = memchr(h, '@', (size_t)(end - h));
	if (at != NULL)
		h = at + 1;
	return xasprintf("%.*s%.*s", (int)(strstr(url, "://") + 3 - url), url,
	    (int)(end - h), h);
}

static size_t
discard(char *p, size_t size, size_t nmemb, void *ud)
{
	(void)p;
	(void)ud;
	return size * nmemb;
}

/* Cuts a delivery short at the stop deadline. */
static int
progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut,
    curl_off_t un)
{
	(void)dt;
	(void)dn;
	(void)ut;
	(void)un;
	return overdue(ud);
}

/* Waits on n->cv (n->mu held) for at most ms, or until signalled. */
static void
cond_wait_ms(struct notifier *n, uint64_t ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)(ms / 1000);
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_cond_timedwait(&n->cv, &n->mu, &ts);
}

/* Sleeps ms, or until the stop deadline; false if that has passed. */
static bool
pause_ms(struct notifier *n, uint64_t ms)
{
	uint64_t until = mono_ms() + ms, by, now;

	pthread_mutex_lock(&n->mu);
	for (;;) {
		by = atomic_load(&n->stop_by);
		if (by != 0 && by < until)
			until = by;
		if ((now = mono_ms()) >= until)
			break;
		cond_wait_ms(n, until - now);
	}
	pthread_mutex_unlock(&n->mu);
	return !overdue(n);
}

/* A try's time limit: notify.timeout, or less before the deadline. */
static long
try_timeout(struct notifier *n)
{
	uint64_t by = atomic_load(&n->stop_by), now = mono_ms();

	if (by != 0 && by > now && by - now < n->timeout_ms)
		return (long)(by - now);
	return (long)n->timeout_ms;
}

/* One POST of body; true on a 2xx answer.  *rc, *code and err say why
 * not. */
static bool
post_once(struct notifier *n, CURL *e, struct curl_slist *hdr,
    const char *body, char *err, CURLcode *rc, long *code)
{
	curl_easy_reset(e);
	err[0] = '\0';
	curl_easy_setopt(e, CURLOPT_URL, n->webhook);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, try_timeout(n));
	curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, progress);
	curl_easy_setopt(e, CURLOPT_XFERINFODATA, n);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "dnsfailover/"
	    DNSFAILOVER_VERSION);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, err);
	*rc = curl_easy_perform(e);
	*code = 0;
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, code);
	return *rc == CURLE_OK && *code >= 200 && *code < 300;
}

static void
run_webhook(struct notifier *n, const struct event *ev)
{
	struct curl_slist *hdr = NULL;
	char *body = notify_json(ev, n->host), err[CURL_ERROR_SIZE] = "";
	CURL *e = curl_easy_init();
	CURLcode rc = CURLE_OK;
	long code = 0;
	bool delivered = false;
	int try;

	if (e == NULL) {
		log_warnx("notify: cannot create a libcurl handle");
		free(body);
		return;
	}
	hdr = curl_slist_append(hdr, "Content-Type: application/json");
	for (try = 1; try <= TRIES && !delivered && !overdue(n); try++) {
		delivered = post_once(n, e, hdr, body, err, &rc, &code);
		/* again after 1 s, then 2 s, unless the stop comes first */
		if (!delivered && try < TRIES && !pause_ms(n, 1000 *
		    (uint64_t)try))
			break;
		reap(n);
	}
	if (delivered)
		log_debug("notify: webhook %s: %s %s delivered (HTTP %ld)",
		    n->webhook_log, event_str(ev->kind), ev->site, code);
	else if (overdue(n))
		log_warnx("notify: stopping; webhook %s: %s %s dropped "
		    "(not delivered)", n->webhook_log, event_str(ev->kind),
		    ev->site);
	else
		log_warnx("notify: webhook %s: %s %s not delivered after %d "
		    "tries: %s", n->webhook_log, event_str(ev->kind), ev->site,
		    TRIES, rc != CURLE_OK ? (err[0] ? err :
		    curl_easy_strerror(rc)) : "HTTP status not 2xx");
	curl_slist_free_all(hdr);
	curl_easy_cleanup(e);
	free(body);
}

/* ---- the thread ---- */

/* At the deadline: what is still queued is dropped, by name.  Called
 * with the lock held. */
static void
drop_queued(struct notifier *n)
{
	const struct event *ev;
	size_t i, shown = n->count < 10 ? n->count : 10;

	for (i = 0; i < shown; i++) {
		ev = &n->queue[(n->head + i) % QUEUE_MAX];
		log_warnx("notify: stopping; %s %s dropped (not delivered)",
		    event_str(ev->kind), ev->site);
	}
	if (n->count > shown)
		log_warnx("notify: stopping; %zu more events dropped",
		    n->count - shown);
	n->head = (n->head + n->count) % QUEUE_MAX;
	n->count = 0;
}

static void *
worker(void *arg)
{
	struct notifier *n = arg;
	struct event ev;
	uint64_t wait;

	pthread_mutex_lock(&n->mu);
	for (;;) {
		if (n->count > 0 && n->stopping && overdue(n))
			drop_queued(n);
		if (n->count > 0) {
			ev = n->queue[n->head];
			n->head = (n->head + 1) % QUEUE_MAX;
			n->count--;
			pthread_mutex_unlock(&n->mu);
			if (n->exec != NULL)
				run_exec(n, &ev);
			if (n->webhook != NULL)
				run_webhook(n, &ev);
			reap(n);
			pthread_mutex_lock(&n->mu);
			continue;
		}
		pthread_mutex_unlock(&n->mu);
		wait = reap(n);
		pthread_mutex_lock(&n->mu);
		if (n->count > 0)
			continue;
		if (n->stopping && n->nkids == 0)
			break;
		/* children are polled: at most 50 ms late */
		wait = n->nkids > 0 ? (wait < 50 ? wait : 50) : 3600000;
		cond_wait_ms(n, wait);
	}
	pthread_mutex_unlock(&n->mu);
	return NULL;
}

struct notifier *
notify_new(const struct config *cfg)
{
	struct notifier *n;
	int rc;

	if (cfg->notify_exec == NULL && cfg->notify_webhook == NULL)
		return NULL;
	n = xcalloc(1, sizeof(*n));
	n->exec = cfg->notify_exec ? xstrdup(cfg->notify_exec) : NULL;
	n->webhook = cfg->notify_webhook ? xstrdup(cfg->notify_webhook) :
	    NULL;
	n->webhook_log = n->webhook ? url_for_log(n->webhook) : NULL;
	n->timeout_ms = cfg->notify_timeout_ms;
	if (gethostname(n->host, sizeof(n->host) - 1) == -1)
		str_copy(n->host, "localhost", sizeof(n->host));
	n->queue = xcalloc(QUEUE_MAX, sizeof(*n->queue));
	pthread_mutex_init(&n->mu, NULL);
	pthread_cond_init(&n->cv, NULL);
	if ((rc = pthread_create(&n->thread, NULL, worker, n)) != 0)
		fatalx("cannot start the notify thread: %s", strerror(rc));
	return n;
}

void
notify_send(struct notifier *n, const struct event *ev)
{
	size_t dropped = 0;

	if (n == NULL)
		return;
	pthread_mutex_lock(&n->mu);
	if (n->count == QUEUE_MAX) {	/* the oldest goes */
		n->head = (n->head + 1) % QUEUE_MAX;
		n->count--;
		dropped = ++n->dropped;
	}
	n->queue[(n->head + n->count) % QUEUE_MAX] = *ev;
	n->count++;
	pthread_cond_signal(&n->cv);
	pthread_mutex_unlock(&n->mu);
	if (dropped > 0)
		log_warnx("notify: %zu events waiting; dropped the oldest "
		    "(%zu so far)", (size_t)QUEUE_MAX, dropped);
}

void
notify_free(struct notifier *n)
{
	notify_free_by(n, mono_ms() + NOTIFY_STOP_MS);
}

/* Under mu: stopping, by deadline or earlier if already set so. */
static void
stop_at(struct notifier *n, uint64_t deadline)
{
	uint64_t by = atomic_load(&n->stop_by);

	if (deadline == 0)
		deadline = 1;
	if (by == 0 || deadline < by)
		atomic_store(&n->stop_by, deadline);
	n->stopping = true;
	pthread_cond_signal(&n->cv);
}

void
notify_retire(struct notifier *n)
{
	if (n == NULL)
		return;
	pthread_mutex_lock(&n->mu);
	stop_at(n, mono_ms() + NOTIFY_STOP_MS);
	pthread_mutex_unlock(&n->mu);
}

void
notify_free_by(struct notifier *n, uint64_t deadline)
{
	if (n == NULL)
		return;
	pthread_mutex_lock(&n->mu);
	stop_at(n, deadline);
	pthread_mutex_unlock(&n->mu);
	pthread_join(n->thread, NULL);
	pthread_mutex_destroy(&n->mu);
	pthread_cond_destroy(&n->cv);
	free(n->kids);
	free(n->queue);
	free(n->exec);
	free(n->webhook);
	free(n->webhook_log);
	free(n);
}
