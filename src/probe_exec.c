/*
 * probe_exec.c: the exec check type.  Runs check.command without a
 * shell; exit status 0 is up, anything else is down with the first line
 * of its output as the reason.
 *
 *	spawn:  posix_spawn, argv[0] an absolute path; stdin /dev/null,
 *		stdout and stderr into one pipe; every other descriptor
 *		closed in the child; default signal actions and an empty
 *		mask; its own process group; a clean environment: PATH and
 *		the DNSFAILOVER_* variables (exec_env), nothing inherited;
 *	wait:   on a pidfd (readable when the command ends) and on the
 *		pipe, whose first line is kept (OUT_LINE bytes) and the
 *		rest read and thrown away up to OUT_CAP bytes, when our end
 *		is closed (the command then gets SIGPIPE or EPIPE).  Without
 *		pidfds (ENOSYS: Linux before 5.3, valgrind) the end is seen
 *		when the output ends, or at the deadline;
 *	end:    when the command exits, or at the deadline (SIGKILL),
 *		its whole process group is killed and the command reaped,
 *		so nothing it started outlives the check and no zombie is
 *		left.
 *
 * A command that cannot be started (no such file, not executable, no
 * descriptor, no process) is a local error.  Only the pid of our own
 * child is ever waited for.  Never logs.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "probe_type.h"
#include "util.h"

#define OUT_LINE	150		/* bytes of the first line kept */
#define OUT_CAP		(64 * 1024)	/* bytes read before we stop */
#define KILL_WAIT_MS	50		/* for a killed command to die */
#define EXEC_PATH	"PATH=/usr/sbin:/usr/bin:/sbin:/bin"

struct exec_probe {
	pid_t	 pid;		/* -1: reaped */
	int	 pidfd;
	int	 out;		/* our end of the pipe; -1: closed */
	size_t	 seen;		/* bytes of output read */
	bool	 capped;	/* we closed the pipe at OUT_CAP */
	int	 line_state;	/* 0 none yet, 1 in it, 2 done */
	size_t	 nline;
	char	 line[OUT_LINE + 1];
};

/*
 * Killed commands that had not died within KILL_WAIT_MS (one stuck in
 * the kernel): reaped without waiting at the next start or clear.
 */
static pid_t	*graves;
static size_t	 ngraves;

static void
graves_reap(void)
{
	size_t i = 0;

	while (i < ngraves) {
		pid_t r = waitpid(graves[i], NULL, WNOHANG);

		if (r == graves[i] || (r == -1 && errno == ECHILD))
			graves[i] = graves[--ngraves];
		else
			i++;
	}
}

enum ended {
	RUNNING,
	ENDED,		/* a zombie, ours to reap */
	GONE		/* reaped by someone else: the number is free */
};

/*
 * Whether e's command has ended, waiting at most ms for it: on the
 * pidfd, or without one (Linux before 5.3, valgrind) by looking every
 * millisecond.
 */
static enum ended
exec_ended(const struct exec_probe *e, int ms)
{
	struct pollfd p = { .fd = e->pidfd, .events = POLLIN };
	siginfo_t si;
	int i;

	if (e->pidfd != -1 && ms > 0)
		(void)poll(&p, 1, ms);
	for (i = 0;; i++) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)e->pid, &si, WEXITED | WNOHANG |
		    WNOWAIT) == -1)
			return errno == ECHILD ? GONE : RUNNING;
		if (si.si_pid == e->pid)
			return ENDED;
		if (e->pidfd != -1 || i >= ms)
			return RUNNING;
		usleep(1000);
	}
}

/*
 * Ends e's command: its process group killed while the command (alive
 * or a zombie) still holds the group's number, then reaped, waiting
 * at most KILL_WAIT_MS.  *status gets the wait status, or -1 if it was
 * not reaped yet (left to graves_reap).
 */
static void
exec_kill(struct exec_probe *e, int *status)
{
	pid_t r;

	*status = -1;
	if (e->pid == -1)
		return;
	kill(-e->pid, SIGKILL);
	(void)exec_ended(e, KILL_WAIT_MS);
	r = waitpid(e->pid, status, WNOHANG);
	if (r == 0) {
		graves = xreallocarray(graves, ngraves + 1, sizeof(*graves));
		graves[ngraves++] = e->pid;
	}
	if (r != e->pid)
		*status = -1;
	e->pid = -1;
}

/* ---- output ---- */

/* Keeps the first non-empty line of the chunk p[0..n). */
static void
line_feed(struct exec_probe *e, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && e->line_state != 2; i++) {
		if (p[i] == '\n' || p[i] == '\r') {
			if (e->line_state == 1)
				e->line_state = 2;
			continue;
		}
		e->line_state = 1;
		if (e->nline < OUT_LINE)
			e->line[e->nline++] = p[i];
	}
	e->line[e->nline] = '\0';
}

static void
out_close(struct exec_probe *e)
{
	if (e->out != -1)
		close(e->out);
	e->out = -1;
}

/* Reads what the pipe holds now, closing it at its end or at OUT_CAP. */
static void
out_read(struct exec_probe *e)
{
	char buf[4096];
	ssize_t n;

	while (e->out != -1) {
		if ((n = read(e->out, buf, sizeof(buf))) == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				out_close(e);
			return;
		}
		if (n == 0) {
			out_close(e);
			return;
		}
		line_feed(e, buf, (size_t)n);
		if ((e->seen += (size_t)n) >= OUT_CAP) {
			e->capped = true;
			out_close(e);
		}
	}
}

/* ---- spawn ---- */

static char *
env_var(const char *name, const char *value)
{
	return xasprintf("%s=%s", name, value != NULL ? value : "");
}

/*
 * The command's whole environment (NULL-ended, the caller frees each
 * string and the array): PATH, then what the check is about.  Nothing
 * of the monitor's own environment is passed on.
 */
static char **
exec_env(const struct probe_req *req)
{
	char **env = xcalloc(8, sizeof(*env)), port[8] = "", tmo[24];
	const struct addr *a = req->addr;
	size_t k = 0;

	if (req->check->port != 0)
		snprintf(port, sizeof(port), "%u", req->check->port);
	snprintf(tmo, sizeof(tmo), "%llu",
	    (unsigned long long)req->check->timeout_ms);
	env[k++] = xstrdup(EXEC_PATH);
	env[k++] = env_var("DNSFAILOVER_ADDRESS", a != NULL ? a->text : "");
	env[k++] = env_var("DNSFAILOVER_FAMILY", a == NULL ? "" :
	    a->family == AF_INET6 ? "6" : "4");
	env[k++] = env_var("DNSFAILOVER_PORT", port);
	env[k++] = env_var("DNSFAILOVER_SITE", req->site != NULL ? req->site :
	    req->host);
	env[k++] = env_var("DNSFAILOVER_HOST", req->host);
	env[k++] = env_var("DNSFAILOVER_TIMEOUT_MS", tmo);
	env[k] = NULL;
	return env;
}

static void
env_free(char **env)
{
	size_t i;

	for (i = 0; env[i] != NULL; i++)
		free(env[i]);
	free(env);
}

/* posix_spawn with the pipe's write end w as stdout and stderr. */
static int
exec_spawn(const struct probe_req *req, int w, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t sa;
	sigset_t none, all;
	char **env = exec_env(req);
	int rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, w, 1);
	posix_spawn_file_actions_adddup2(&fa, w, 2);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	posix_spawnattr_init(&sa);
	sigemptyset(&none);
	sigfillset(&all);	/* the daemon ignores SIGPIPE, blocks others */
	posix_spawnattr_setsigmask(&sa, &none);
	posix_spawnattr_setsigdefault(&sa, &all);
	posix_spawnattr_setpgroup(&sa, 0);
	posix_spawnattr_setflags(&sa, POSIX_SPAWN_SETSIGMASK |
	    POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
	rc = posix_spawn(pid, req->check->exec.argv[0], &fa, &sa,
	    (char *const *)(uintptr_t)req->check->exec.argv, env);
	posix_spawnattr_destroy(&sa);
	posix_spawn_file_actions_destroy(&fa);
	env_free(env);
	return rc;
}

static int
local(struct probe_task *t, const char *what, int err)
{
	char buf[160];

	snprintf(buf, sizeof(buf), "%s: %s", what, strerror(err));
	probe_result_local(t->res, buf);
	t->res->total_ms = (uint32_t)(mono_ms() - t->start_ms);
	return 1;
}

static int
exec_start(struct probe_task *t)
{
	struct exec_probe *e = xcalloc(1, sizeof(*e));
	char what[96];
	int p[2], rc, st;

	graves_reap();
	t->priv = e;
	e->pid = -1;
	e->pidfd = e->out = -1;
	if (pipe2(p, O_CLOEXEC) == -1)
		return local(t, "pipe", errno);
	e->out = p[0];
	if (fcntl(e->out, F_SETFL, O_NONBLOCK) == -1) {
		close(p[1]);
		return local(t, "pipe", errno);
	}
	rc = exec_spawn(t->req, p[1], &e->pid);
	close(p[1]);
	if (rc != 0) {
		e->pid = -1;
		snprintf(what, sizeof(what), "cannot run %s",
		    t->req->check->exec.argv[0]);
		return local(t, what, rc);
	}
	/* without pidfds (ENOSYS), the end is seen when the output ends */
	if ((e->pidfd = pidfd_open(e->pid, 0)) == -1 && errno != ENOSYS) {
		rc = errno;
		exec_kill(e, &st);
		return local(t, "pidfd_open", rc);
	}
	return 0;
}

/* ---- judge ---- */

static int
judge(struct probe_task *t, struct exec_probe *e, int status)
{
	char raw[256];
	const char *sep = e->nline > 0 ? ": " : "";

	if (status == -1)
		str_copy(raw, "exit status lost", sizeof(raw));
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		raw[0] = '\0';
	else if (WIFEXITED(status))
		snprintf(raw, sizeof(raw), "exit %d%s%s", WEXITSTATUS(status),
		    sep, e->line);
	else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE &&
	    e->capped)
		snprintf(raw, sizeof(raw), "killed by signal %d (output over "
		    "%d bytes)%s%s", SIGPIPE, OUT_CAP, sep, e->line);
	else
		snprintf(raw, sizeof(raw), "killed by signal %d%s%s",
		    WIFSIGNALED(status) ? WTERMSIG(status) : 0, sep, e->line);
	t->res->reason = raw[0] == '\0' ? PROBE_OK : PROBE_EXIT_STATUS;
	str_escape(t->res->detail, raw, sizeof(t->res->detail));
	t->res->total_ms = (uint32_t)(mono_ms() - t->start_ms);
	return 1;
}

static int
exec_fds(const struct probe_task *t, struct probe_fd *out)
{
	const struct exec_probe *e = t->priv;
	int n = 0;

	if (e == NULL)
		return 0;
	if (e->pid != -1 && e->pidfd != -1) {
		out[n].fd = e->pidfd;
		out[n].events = POLLIN;
		out[n++].revents = 0;
	}
	if (e->out != -1) {
		out[n].fd = e->out;
		out[n].events = POLLIN;
		out[n++].revents = 0;
	}
	return n;
}

static int
exec_advance(struct probe_task *t, uint64_t now_ms, bool timed_out)
{
	struct exec_probe *e = t->priv;
	enum ended end = GONE;
	int status;

	(void)now_ms;
	out_read(e);
	if (timed_out) {
		exec_kill(e, &status);
		snprintf(t->res->detail, sizeof(t->res->detail),
		    "killed after %llu ms",
		    (unsigned long long)t->req->check->timeout_ms);
		t->res->reason = PROBE_TIMEOUT;
		t->res->total_ms = (uint32_t)(mono_ms() - t->start_ms);
		return 1;
	}
	/* ended?  (the group is killed before the pid is freed) */
	if (e->pid != -1 && (end = exec_ended(e, e->pidfd == -1 &&
	    e->out == -1 ? KILL_WAIT_MS : 0)) == RUNNING)
		return 0;
	if (end == GONE)
		e->pid = -1;	/* never kill(-pid) a number now free */
	out_read(e);	/* what it wrote before it ended */
	exec_kill(e, &status);
	out_close(e);
	return judge(t, e, status);
}

static void
exec_describe(const struct probe_req *req, char *buf, size_t size)
{
	const struct check_exec *c = &req->check->exec;
	char raw[512];
	size_t i, len;

	len = str_copy(raw, "exec", sizeof(raw));
	for (i = 0; c->argv != NULL && c->argv[i] != NULL &&
	    len < sizeof(raw); i++)
		len += (size_t)snprintf(raw + len, sizeof(raw) - len, " %s",
		    c->argv[i]);
	str_escape(buf, raw, size);
}

static void
exec_clear(struct probe_task *t)
{
	struct exec_probe *e = t->priv;
	int status;

	if (e == NULL)
		return;
	exec_kill(e, &status);
	out_close(e);
	if (e->pidfd != -1)
		close(e->pidfd);
	free(e);
	t->priv = NULL;
	graves_reap();
}

const struct probe_ops probe_exec_ops = {
	.curl = false,
	.start = exec_start,
	.fds = exec_fds,
	.advance = exec_advance,
	.describe = exec_describe,
	.clear = exec_clear,
};
